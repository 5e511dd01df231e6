"""Choose the calibration of an article judgement (stance/aggregate.py, `Calibration`) on
articles of the desk's own domain.

A judgement learned on PerSenT carries PerSenT's world (a tenth of its articles negative, and
criticism in long articles about much-covered persons); the desk's coverage is another. The
calibration adds one offset per label (neutral's fixed at 0) to the judgement's log-probabilities.
The offsets maximise the macro-F1 of the readers' labels on the tuning articles (each label
weighs the same, whatever its share of the set, so the offsets undo the training set's priors
instead of learning the tuning set's), ties broken by the class-balanced log-likelihood, on a
grid of OFFSET_STEP from -OFFSET_LIMIT to +OFFSET_LIMIT for the critical and the supportive
offset. `left_out` says how well that does on articles it did not see: each tuning article
judged with the offsets chosen on the others.
"""

import math

from stance import LABELS
from stance.aggregate import Calibration

OFFSET_LIMIT = 3.0
OFFSET_STEP = 0.05


def balanced_log_likelihood(rows: list[tuple[dict, str]], offsets: dict) -> float:
    """Mean over labels of the mean log-probability the offset judgement gives the reader's label."""
    by_label: dict[str, list[float]] = {}
    for log_probabilities, gold in rows:
        shifted = {label: value + offsets.get(label, 0.0) for label, value in log_probabilities.items()}
        top = max(shifted.values())
        norm = top + math.log(sum(math.exp(v - top) for v in shifted.values()))
        by_label.setdefault(gold, []).append(shifted[gold] - norm)
    return sum(sum(values) / len(values) for values in by_label.values()) / len(by_label)


def predicted(log_probabilities: dict, offsets: dict) -> str:
    return max(LABELS, key=lambda label: log_probabilities[label] + offsets.get(label, 0.0))


def macro_f1(gold: list[str], labels: list[str]) -> float:
    total = 0.0
    for label in LABELS:
        hits = sum(g == label == p for g, p in zip(gold, labels))
        claimed, actual = labels.count(label), gold.count(label)
        total += 2 * hits / (claimed + actual) if claimed + actual else 0.0
    return total / len(LABELS)


def best_offsets(rows: list[tuple[dict, str]]) -> tuple[dict, float]:
    """The grid's offsets with the best macro-F1 on `rows`, then the best balanced log-likelihood,
    then the smallest; and that macro-F1."""
    steps = int(round(OFFSET_LIMIT / OFFSET_STEP))
    grid = [round(i * OFFSET_STEP, 4) for i in range(-steps, steps + 1)]
    gold = [g for _, g in rows]
    by_f1 = {}
    for c in grid:
        for s in grid:
            offsets = {"critical": c, "supportive": s}
            by_f1.setdefault(round(macro_f1(gold, [predicted(lp, offsets) for lp, _ in rows]), 6), []).append(offsets)
    top = max(by_f1)
    chosen = max(by_f1[top], key=lambda o: (round(balanced_log_likelihood(rows, o), 6), -abs(o["critical"]) - abs(o["supportive"])))
    return {"critical": chosen["critical"], "neutral": 0.0, "supportive": chosen["supportive"]}, top


def fit_calibration(rows: list[tuple[dict, str]], fitted: dict | None = None) -> Calibration:
    """The calibration chosen on `rows` (log-probabilities per label before calibration, the
    reader's label)."""
    if len({gold for _, gold in rows}) < len(LABELS):
        raise ValueError("the tuning articles need readers' labels of all three kinds to calibrate on")
    offsets, _ = best_offsets(rows)
    return Calibration(offsets, {**(fitted or {}), "judgements": len(rows),
                                 "balanced_log_likelihood": round(balanced_log_likelihood(rows, offsets), 4),
                                 "uncalibrated_balanced_log_likelihood": round(balanced_log_likelihood(rows, {}), 4)})


def left_out(rows: list[tuple[dict | None, str, int]]) -> dict:
    """Macro-F1 and critical recall on the tuning articles, each article judged with the offsets
    chosen on the others, beside the uncalibrated judgement's (rows: log-probabilities or None
    when the actor was not found, the reader's label, the article's index)."""
    gold, calibrated, plain = [], [], []
    for article in sorted({index for _, _, index in rows}):
        offsets, _ = best_offsets([(lp, g) for lp, g, i in rows if i != article and lp is not None])
        for lp, g, i in rows:
            if i == article:
                gold.append(g)
                calibrated.append(predicted(lp, offsets) if lp is not None else "neutral")
                plain.append(predicted(lp, {}) if lp is not None else "neutral")

    def figure(labels):
        critical = [p for g, p in zip(gold, labels) if g == "critical"]
        return {"macro_f1": round(macro_f1(gold, labels), 4),
                "critical_recall": round(critical.count("critical") / len(critical), 4) if critical else None}

    return {"calibrated": figure(calibrated), "uncalibrated": figure(plain), "n": len(gold)}
