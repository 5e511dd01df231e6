"""Read RuSentNE-2023's tab-separated format into labelled mentions, and its held-out split.

Columns: sentence, entity, entity_tag, entity_pos_start_rel, entity_pos_end_rel, label (-1
negative, 0 neutral, 1 positive), mapped to critical / neutral / supportive. The shared task's
measure is F1_PN: macro-F1 over the positive and negative classes only.

RuSentNE's train file is all the labelled data there is, so `held_out` sets aside a fixed part
of it by sentence (the same sentence never lands on both sides, whichever entity it is judged
for): `csto-monitor stance train --held-out 0.15` trains without it and `stance eval
--held-out 0.15` measures on it alone.
"""

import csv
import hashlib
from pathlib import Path

from stance.labels import Mention

LABELS = {"-1": "critical", "0": "neutral", "1": "supportive"}
COLUMNS = ("sentence", "entity", "entity_pos_start_rel", "entity_pos_end_rel", "label")


def held_out(sentence: str, fraction: float) -> bool:
    """True for the sentences of the fixed held-out part (about `fraction` of them)."""
    digest = hashlib.sha1(sentence.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


def read_rusentne(path: str | Path, held_out_fraction: float = 0.0, part: str = "all") -> tuple[list[Mention], list[str]]:
    """(mentions, labels) of the file; with a fraction, only the `train` or the `held-out` part."""
    mentions, labels = [], []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: not a RuSentNE file: no column {missing[0]} (expected {', '.join(COLUMNS)})")
        for number, row in enumerate(reader, 2):
            try:
                sentence, start, end = row["sentence"], int(row["entity_pos_start_rel"]), int(row["entity_pos_end_rel"])
                label = LABELS[row["label"].strip()]
            except (KeyError, ValueError, AttributeError):
                raise ValueError(f"{path}:{number}: not a RuSentNE row (label -1/0/1 and character offsets expected)") from None
            if held_out_fraction and held_out(sentence, held_out_fraction) != (part == "held-out"):
                continue
            mentions.append(Mention(sentence, start, end))
            labels.append(label)
    return mentions, labels


def f1_pn(scores: dict) -> float:
    """RuSentNE's F1_PN from a scores dict: the mean F1 of the critical and supportive classes."""
    return round((scores["f1"]["critical"] + scores["f1"]["supportive"]) / 2, 4)
