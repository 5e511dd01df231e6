"""Article-level stance on PerSenT when only the shipped model's head learns PerSenT's labelled
paragraphs (the taught encoder kept as it is), cross-validated by article; runs on a CPU:

    .venv/bin/python lab/benchmarks/persent_head.py --data .devdata   (made by persent_cv.py prepare)

Every mention is encoded once with the shipped model's encoder (adapters merged); per fold a new
head trains on NewsMTSC's train and the paragraph mentions of the other folds' articles, then
judges the fold's articles (the rule, and the learned combination fitted on the other folds) and
devtest_mt.
"""

import argparse
import json
from pathlib import Path
import random
import sys

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lab.benchmarks.persent_cv import FOLDS, fold_of, mentions_of, read_jsonl  # noqa: E402
from lab.newsmtsc import read_newsmtsc  # noqa: E402
from lab.training import balanced_loss, scores  # noqa: E402
from stance import LABELS, MentionStance, load_model  # noqa: E402
from stance.aggregate import article_features, combine_mentions  # noqa: E402
from stance.head import StanceHead  # noqa: E402


def train_head(features: torch.Tensor, labels: list[str], epochs: int, seed: int) -> StanceHead:
    torch.manual_seed(seed)
    targets = torch.tensor([LABELS.index(label) for label in labels])
    head = StanceHead(features.shape[1], 256, len(LABELS))
    loss_fn = balanced_loss(targets)
    optimiser = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-2)
    for _ in range(epochs):
        head.train()
        for batch in torch.randperm(len(targets)).split(64):
            optimiser.zero_grad()
            loss_fn(head(features[batch]), targets[batch]).backward()
            optimiser.step()
    return head.eval()


def judgements(head: StanceHead, features: torch.Tensor, mentions) -> list[MentionStance]:
    with torch.no_grad():
        probabilities = torch.softmax(head(features), -1).tolist()
    return [MentionStance(m, LABELS[max(range(3), key=p.__getitem__)], dict(zip(LABELS, p))) for m, p in zip(mentions, probabilities)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(".devdata"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--persent-weight", type=int, default=1)
    args = parser.parse_args()
    random.seed(13)
    model = load_model()
    encode = model.encoder.encode
    news_mentions, news_labels = read_newsmtsc(args.data / "newsmtsc-train.jsonl")
    dev_mentions, dev_labels = read_newsmtsc(args.data / "newsmtsc-devtest_mt.jsonl")
    paragraphs = read_jsonl(args.data / "paragraph_mentions.jsonl")
    articles = read_jsonl(args.data / "articles.jsonl")
    with torch.inference_mode():
        news, dev = encode(news_mentions), encode(dev_mentions)
        paragraph_features = encode(mentions_of(paragraphs))
        article_mentions = [mentions_of(a["named"]) for a in articles]
        flat = encode([m for ms in article_mentions for m in ms])
    starts = [0]
    for ms in article_mentions:
        starts.append(starts[-1] + len(ms))
    print("encoded", flush=True)

    gold = [a["label"] for a in articles]
    by_rule, learned = ["neutral"] * len(articles), ["neutral"] * len(articles)
    dev_f1 = []
    from sklearn.linear_model import LogisticRegression

    for fold in range(FOLDS):
        taught = [i for i, p in enumerate(paragraphs) if fold_of(p["article"]) != fold]
        features = torch.cat([news, *[paragraph_features[taught]] * args.persent_weight])
        labels = news_labels + [paragraphs[i]["label"] for i in taught] * args.persent_weight
        head = train_head(features, labels, args.epochs, 13)
        dev_f1.append(scores(dev_labels, [j.label for j in judgements(head, dev, dev_mentions)])["macro_f1"])
        judged = [judgements(head, flat[starts[i]:starts[i + 1]], article_mentions[i]) for i in range(len(articles))]
        rows = [(article_features(j, a["title"]) if j else None, a["label"]) for j, a in zip(judged, articles)]
        train_rows = [r for r, a in zip(rows, articles) if fold_of(a["article"]) != fold and r[0] is not None]
        combiner = LogisticRegression(max_iter=5000, class_weight="balanced").fit([r[0] for r in train_rows], [r[1] for r in train_rows])
        for i, a in enumerate(articles):
            if fold_of(a["article"]) == fold and judged[i]:
                by_rule[i] = combine_mentions(judged[i], a["title"]).label
                learned[i] = combiner.predict([rows[i][0]])[0]
        print(f"fold {fold}: devtest_mt {dev_f1[-1]}", flush=True)
    print(json.dumps({"rule": scores(gold, by_rule), "combination": scores(gold, learned), "devtest_mt": dev_f1}))


if __name__ == "__main__":
    main()
