"""Stance speed: mentions and articles per second for the default model, on CPU or GPU.

    .venv/bin/python benchmarks/stance.py [--articles 60] [--device cpu|cuda] [--quantize]
        [--eval ../shared/data/newsmtsc/devtest_mt.jsonl]

Articles are synthetic, about 800 words each, naming 5 actors 3 times each (15 mentions), built
from sentences written for this benchmark. Each article goes through what the pipeline runs per
article: actor search (sentences, aliases), one batched model call for all its mentions, and the
combination into article stances. `--quantize` also measures the model with dynamic int8
quantization of the encoder's linear layers (torch.ao), and with `--eval` prints macro-F1 of
both on a NewsMTSC file so the loss can be checked.
"""

import argparse
from pathlib import Path
import random
import sys
import time

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import torch  # noqa: E402

from crawler.config import DEFAULT_ACTORS_FILE, load_actors  # noqa: E402
from pipelines.actors import ActorFinder  # noqa: E402
from stance import combine_mentions, load_model  # noqa: E402

ACTORS = ["Putin", "Pashinyan", "Tokayev", "Lukashenko", "the CSTO"]
MENTIONING = [
    "{a} told reporters that the alliance would hold its exercises as planned despite the objections.",
    "Officials close to {a} described the talks as difficult but said a compromise was within reach.",
    "Critics accused {a} of ignoring the border incidents that have unsettled the region for months.",
    "In a statement on Tuesday, {a} praised the peacekeepers for their discipline and restraint.",
]
FILLER = [
    "The summit took place in a conference hall on the edge of the capital, under heavy security.",
    "Delegations arrived throughout the morning and the plenary session began two hours late.",
    "Analysts said the meeting showed how far the member states had drifted apart since the last crisis.",
    "A joint declaration on military cooperation was expected to be signed before the end of the week.",
    "Local newspapers devoted several pages to the preparations and to the traffic restrictions.",
    "Several ministers declined to comment on the draft budget for the joint rapid reaction force.",
]


def synthetic_article(rng: random.Random) -> str:
    sentences = [template.format(a=actor) for actor in ACTORS for template in rng.sample(MENTIONING, 3)]
    while sum(len(s.split()) for s in sentences) < 800:
        sentences.append(rng.choice(FILLER))
    rng.shuffle(sentences)
    return "\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))


def run(model, finder, articles: list[str], batch_size: int) -> tuple[float, float, int]:
    mentions_total = 0
    started = time.perf_counter()
    for text in articles:
        found = finder.find("Summit ends", text, "en")
        flat = [(actor, m) for actor, mentions in found.items() for m in mentions]
        judgements = model.predict([m for _, m in flat], batch_size)
        by_actor = {}
        for (actor, _), judgement in zip(flat, judgements):
            by_actor.setdefault(actor, []).append(judgement)
        for judged in by_actor.values():
            combine_mentions(judged)
        mentions_total += len(flat)
    elapsed = time.perf_counter() - started
    return len(articles) / elapsed, mentions_total / elapsed, mentions_total


def macro_f1(model, path: str) -> float:
    from stance.newsmtsc import read_newsmtsc
    from stance.training import evaluate

    mentions, labels = read_newsmtsc(path)
    return evaluate(model, mentions, labels)["macro_f1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--quantize", action="store_true", help="also measure dynamic int8 quantization")
    parser.add_argument("--eval", help="NewsMTSC file to measure macro-F1 on")
    args = parser.parse_args()
    rng = random.Random(7)
    articles = [synthetic_article(rng) for _ in range(args.articles)]
    finder = ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors)
    model = load_model(device=args.device)
    run(model, finder, articles[:3], args.batch_size)  # warm up
    variants = [("default", model)]
    if args.quantize:
        quantized = load_model()
        quantized.encoder.model = torch.ao.quantization.quantize_dynamic(quantized.encoder.model, {torch.nn.Linear}, dtype=torch.qint8)
        variants.append(("int8 dynamic", quantized))
    words = sum(len(a.split()) for a in articles) / len(articles)
    print(f"{len(articles)} articles of {words:.0f} words, device {args.device}, {torch.get_num_threads()} threads")
    for name, variant in variants:
        per_article, per_mention, mentions = run(variant, finder, articles, args.batch_size)
        line = f"{name:14s} {per_article:6.1f} articles/s  {per_mention:7.1f} mentions/s  ({mentions / len(articles):.0f} mentions per article)"
        if args.eval:
            line += f"  macro-F1 {macro_f1(variant, args.eval):.4f}"
        print(line)


if __name__ == "__main__":
    main()
