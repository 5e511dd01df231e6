"""A teacher's lessons: a larger stance model judges the labelled mentions and many more made
from the same sentences (lab/augment.py), and a smaller one learns from its probabilities.

`teach` writes one JSON line per judged mention:
`{"sentence", "from", "to", "group", "gold", "teacher": [p_critical, p_neutral, p_supportive]}`.
`group` numbers the labelled sentence a line was made from (its variants share it, so a
validation slice can leave out whole sentences); `gold` is the label where the mention is a
labelled one, else null. The file is written to FILE.part and renamed when complete; a run
that was stopped goes on from where the .part file ends.
"""

import json
import logging
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from lab.augment import NearWords, other_names, swap_words
from stance.labels import LABELS, Mention
from lab.training import validation_split

logger = logging.getLogger(__name__)

CHUNK = 2048  # mentions judged between two writes of the .part file


@dataclass(frozen=True)
class Lesson:
    """A mention for the teacher to judge; `gold` where it is one of the labelled mentions."""

    mention: Mention
    group: int
    gold: str | None = None


@dataclass(frozen=True)
class Taught:
    """A judged lesson: what a student trains on."""

    mention: Mention
    group: int
    gold: str | None
    teacher: tuple[float, ...]


def lessons(mentions: list[Mention], labels: list[str], near: NearWords, variants: int, seed: int = 13) -> list[Lesson]:
    """Per labelled sentence: its labelled mentions, up to two other names in it, and `variants`
    copies with words swapped (every target of the sentence judged in each)."""
    rng = random.Random(seed)
    by_sentence: dict[str, list[tuple[Mention, str]]] = {}
    for mention, label in zip(mentions, labels):
        by_sentence.setdefault(mention.sentence, []).append((mention, label))
    result = []
    for group, (sentence, labelled) in enumerate(by_sentence.items()):
        spans = [(m.start, m.end) for m, _ in labelled]
        names = other_names(sentence, spans)
        result += [Lesson(mention, group, label) for mention, label in labelled]
        result += [Lesson(Mention(sentence, a, b), group) for a, b in names]
        for _ in range(variants):
            text, moved = swap_words(sentence, spans + names, near, rng)
            if text != sentence:
                result += [Lesson(Mention(text, a, b), group) for a, b in moved]
    return result


def teach(model, todo: list[Lesson], out: str | Path) -> int:
    """Judge every lesson with `model` (a StanceModel), writing FILE.part as it goes and renaming
    it to `out` at the end; returns the number of lines written."""
    out = Path(out)
    part = out.with_name(out.name + ".part")
    done = complete_lines(part)
    if done:
        logger.info("going on from %s: %d of %d mentions already judged", part, done, len(todo))
    started, written = time.monotonic(), 0
    with part.open("a", encoding="utf-8") as lines:
        for start in range(done, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            for lesson, judged in zip(chunk, model.predict([lesson.mention for lesson in chunk])):
                lines.write(json.dumps(record(lesson, judged.probabilities), ensure_ascii=False) + "\n")
            lines.flush()
            written += len(chunk)
            rate = written / (time.monotonic() - started)
            logger.info("judged %d / %d mentions (%.0f a second, %.0f minutes left)", start + len(chunk), len(todo),
                        rate, (len(todo) - start - len(chunk)) / rate / 60)
    os.replace(part, out)
    return len(todo)


def complete_lines(part: Path) -> int:
    """How many whole lines `part` holds, after cutting off a last line that a stop left half
    written."""
    if not part.exists():
        return 0
    text = part.read_bytes()
    whole = text[: text.rfind(b"\n") + 1]
    if len(whole) < len(text):
        part.write_bytes(whole)
    return whole.count(b"\n")


def record(lesson: Lesson, probabilities: dict) -> dict:
    mention = lesson.mention
    return {"sentence": mention.sentence, "from": mention.start, "to": mention.end, "group": lesson.group,
            "gold": lesson.gold, "teacher": [round(probabilities[label], 5) for label in LABELS]}


def read_taught(path: str | Path) -> list[Taught]:
    """The lines `teach` wrote; one ValueError line naming the file and line on anything else."""
    taught = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                item = json.loads(line)
                teacher = tuple(float(p) for p in item["teacher"])
                if len(teacher) != len(LABELS) or (item["gold"] is not None and item["gold"] not in LABELS):
                    raise ValueError("teacher needs one probability per label, gold a label or null")
                taught.append(Taught(Mention(item["sentence"], int(item["from"]), int(item["to"])), int(item["group"]),
                                     item["gold"], teacher))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: not a line of `csto-monitor stance teach` ({error})") from None
    return taught


def split_by_sentence(taught: list[Taught], fraction: float) -> tuple[list[Taught], list[Taught]]:
    """(the labelled mentions of a held-out `fraction` of the sentences, every mention made from
    the other sentences): no variant of a held-out sentence trains."""
    groups = sorted({t.group for t in taught})
    held_out, _ = validation_split(len(groups), fraction)
    held = {groups[i] for i in held_out}
    return [t for t in taught if t.group in held and t.gold], [t for t in taught if t.group not in held]


def soft_targets(taught: list[Taught], gold_weight: float) -> torch.Tensor:
    """What each mention is trained towards: the teacher's probabilities, mixed with the gold
    label (weight `gold_weight`) where there is one."""
    targets = torch.tensor([t.teacher for t in taught], dtype=torch.float32)
    for row, item in enumerate(taught):
        if item.gold is not None:
            targets[row] *= 1 - gold_weight
            targets[row, LABELS.index(item.gold)] += gold_weight
    return targets
