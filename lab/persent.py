"""PerSenT's paragraphs as labelled mentions: the author's sentiment toward the article's main
person, per paragraph, on every sentence that mentions that person by name or pronoun.

MASKED_DOCUMENT replaces each mention of the target (names, titles and pronouns: "he", "his")
with [TGT]; aligning it word by word with DOCUMENT recovers what each [TGT] stood for, so a
mention keeps its real words ("@ he @", "@ Koellmann @") as the crawl would see them. Paragraph
labels (Paragraph0..15: Negative / Neutral / Positive) line up with DOCUMENT's lines.
"""

import csv
from dataclasses import dataclass
import difflib
import re
import sys

from lab.articles import PERSENT_LABELS
from stance.labels import Mention

MASK = "[TGT]"


@dataclass(frozen=True)
class ParagraphMention:
    article: int  # the article's row index in the file
    paragraph: int
    mention: Mention
    label: str


def mask_spans(original: str, masked: str) -> list[tuple[int, int]]:
    """Character spans in `original` of the words that `masked` replaced by [TGT]."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", original)]
    tokens = [original[a:b] for a, b in words]
    masked_tokens = masked.split()
    spans = []
    matcher = difflib.SequenceMatcher(a=masked_tokens, b=tokens, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag != "replace" or b0 == b1:
            continue
        pieces = masked_tokens[a0:a1]
        if all(MASK in piece for piece in pieces) and len(pieces) == 1:
            start, end = words[b0][0], words[b1 - 1][1]
            text = original[start:end]
            # keep the word itself, not punctuation glued to it ("Koellmann's" -> "Koellmann")
            core = re.match(r"^\W*(.*?)(?:'s|’s)?\W*$", text)
            if core and core.group(1):
                start += core.start(1)
                end = start + len(core.group(1))
            spans.append((start, end))
    return spans


def sentence_spans(paragraph: str, sentences: list[str]) -> list[tuple[int, int]]:
    """Where each of the paragraph's sentences (in order) starts and ends in it."""
    spans, position = [], 0
    for sentence in sentences:
        start = paragraph.find(sentence, position)
        if start < 0:
            continue
        spans.append((start, start + len(sentence)))
        position = start + len(sentence)
    return spans


def paragraph_mentions(path, split_sentences) -> list[ParagraphMention]:
    """Every mention of the target in a labelled paragraph, in its sentence, with the paragraph's
    label. `split_sentences(text)` gives a paragraph's sentences (the actors stage's splitter)."""
    csv.field_size_limit(sys.maxsize)
    found = []
    with open(path, encoding="utf-8", newline="") as handle:
        for row_index, row in enumerate(csv.DictReader(handle)):
            paragraphs = row["DOCUMENT"].split("\n")
            masked = row["MASKED_DOCUMENT"].split("\n")
            if len(paragraphs) != len(masked):
                continue
            for number, (paragraph, masked_paragraph) in enumerate(zip(paragraphs, masked)):
                label = PERSENT_LABELS.get(row.get(f"Paragraph{number}") or "")
                if label is None:
                    continue
                paragraph = paragraph.strip()
                spans = mask_spans(paragraph, masked_paragraph.strip())
                for start, end in sentence_spans(paragraph, split_sentences(paragraph)):
                    for a, b in spans:
                        if start <= a and b <= end:
                            found.append(ParagraphMention(row_index, number, Mention(paragraph[start:end], a - start, b - start), label))
    return found
