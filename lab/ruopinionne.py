"""Read RuOpinionNE-2024's opinion tuples into labelled mentions of the author's stance.

Each line of its JSONL files is a sentence with `opinions`: `Source` (the holder: an entity
span, `AUTHOR`, or `NULL` for no one named), `Target` (span), `Polarity` (POS / NEG), spans as
`"start:end"` character offsets. For the product's question (how does the author portray the
actor), the mentions are:
- the targets of opinions held by the author or by no one named: supportive (POS) or critical
  (NEG); a target given both polarities by such holders is left out;
- the targets and holders of opinions held by someone named in the sentence, where the author
  holds none about them: neutral (reported speech: "Lavrov criticised NATO" says nothing of the
  author's view of NATO or of Lavrov). Only short spans that start with a capital letter count
  (names, not phrases such as "the head of his administration").
Targets longer than MAX_TARGET_WORDS words are left out: the product judges names.
"""

import json
from pathlib import Path

from stance.labels import Mention

POLARITY = {"POS": "supportive", "NEG": "critical"}
AUTHOR_HOLDERS = {"AUTHOR", "NULL"}
MAX_TARGET_WORDS = 4


def spans(field: list) -> list[tuple[int, int]]:
    texts, offsets = field
    found = []
    for text, offset in zip(texts, offsets):
        start, end = (int(x) for x in offset.split(":"))
        if end > start and text not in AUTHOR_HOLDERS:
            found.append((start, end))
    return found


def sentence_mentions(text: str, opinions: list[dict]) -> list[tuple[Mention, str]]:
    """The labelled mentions of one sentence (see the module's docstring)."""
    authored: dict[tuple[int, int], set[str]] = {}
    reported: set[tuple[int, int]] = set()
    for opinion in opinions:
        holders = opinion["Source"][0]
        by_author = any(h in AUTHOR_HOLDERS for h in holders)
        for span in spans(opinion["Target"]):
            if by_author:
                authored.setdefault(span, set()).add(POLARITY[opinion["Polarity"]])
            else:
                reported.add(span)
        if not by_author:
            reported.update(spans(opinion["Source"]))
    labelled = [(span, labels.pop()) for span, labels in authored.items() if len(labels) == 1]
    labelled += [(span, "neutral") for span in reported
                 if span not in authored and text[span[0]:span[0] + 1].isupper()]
    return [(Mention(text, start, end), label) for (start, end), label in sorted(labelled)
            if len(text[start:end].split()) <= MAX_TARGET_WORDS]


def read_ruopinionne(path: str | Path) -> tuple[list[Mention], list[str]]:
    """(mentions, labels) of one RuOpinionNE JSONL file."""
    mentions, labels = [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                found = sentence_mentions(record["text"], record.get("opinions") or [])
            except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                raise ValueError(f"{path}:{number}: not a RuOpinionNE line (text and opinions expected)") from None
            for mention, label in found:
                mentions.append(mention)
                labels.append(label)
    return mentions, labels
