"""Stance speed: mentions and articles per second for the default model (or --model), on CPU or GPU.

    .venv/bin/python lab/benchmarks/stance.py [--articles 60] [--device cpu|cuda] [--workers N]
        [--eval ../shared/data/newsmtsc/devtest_mt.jsonl] [--model mpnet-newsmtsc]

Articles are synthetic, about 800 words each, naming 5 actors 3 times each (15 mentions), built
from sentences written for this benchmark. Each article goes through what the pipeline runs per
article: actor search (sentences, aliases), one batched model call for all its mentions, and the
combination into article stances. Measured for each runtime (PyTorch fp32; PyTorch with dynamic
int8 quantization of the linear layers; ONNX Runtime int8, `runtime: onnx-int8`), with one
article at a time on all cores and with --workers articles side by side (the stance stage's
STANCE_WORKERS), and with `--eval` the macro-F1 of each runtime on a NewsMTSC file.
"""

import argparse
from concurrent.futures import ThreadPoolExecutor
import os
from pathlib import Path
import random
import sys
import time

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))

import torch  # noqa: E402

from crawler.config import DEFAULT_ACTORS_FILE, load_actors  # noqa: E402
from pipelines.actors import ActorFinder  # noqa: E402
from stance import combine_mentions, load_model  # noqa: E402
from stance.quantized import quantize_encoder  # noqa: E402

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


def judge_article(model, finder, text: str, batch_size: int) -> int:
    found = finder.find("Summit ends", text, "en")
    flat = [(actor, m) for actor, mentions in found.items() for m in mentions]
    judgements = model.predict([m for _, m in flat], batch_size)
    by_actor = {}
    for (actor, _), judgement in zip(flat, judgements):
        by_actor.setdefault(actor, []).append(judgement)
    for judged in by_actor.values():
        combine_mentions(judged)
    return len(flat)


def run(model, finder, articles: list[str], batch_size: int, workers: int = 1) -> tuple[float, float, int]:
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        mentions_total = sum(pool.map(lambda text: judge_article(model, finder, text, batch_size), articles))
    elapsed = time.perf_counter() - started
    return len(articles) / elapsed, mentions_total / elapsed, mentions_total


def macro_f1(model, path: str) -> float:
    from lab.newsmtsc import read_newsmtsc
    from lab.training import evaluate

    mentions, labels = read_newsmtsc(path)
    return evaluate(model, mentions, labels)["macro_f1"]


def runtimes(device: str, threads: int, model_dir: str | None):
    yield "torch fp32", load_model(model_dir, device=device)
    if device == "cpu":
        dynamic = load_model(model_dir)
        dynamic.encoder.model = torch.ao.quantization.quantize_dynamic(
            dynamic.encoder.model, {torch.nn.Linear}, dtype=torch.qint8)
        yield "torch int8", dynamic
        onnx = load_model(model_dir)
        quantize_encoder(onnx.encoder, threads)
        yield "onnx int8", onnx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="articles judged side by side, one thread each (default: CPU cores)")
    parser.add_argument("--eval", help="NewsMTSC file to measure macro-F1 on")
    parser.add_argument("--model", help="a model folder, or one in stance/models (default: the offline default)")
    args = parser.parse_args()
    rng = random.Random(7)
    articles = [synthetic_article(rng) for _ in range(args.articles)]
    finder = ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors)
    cores = os.cpu_count() or 1
    words = sum(len(a.split()) for a in articles) / len(articles)
    print(f"{len(articles)} articles of {words:.0f} words, device {args.device}, {cores} CPU cores")
    configurations = [(1, cores)] + ([(args.workers, max(1, cores // args.workers))] if args.workers > 1 else [])
    for workers, threads in configurations:
        torch.set_num_threads(threads)
        for name, model in runtimes(args.device, threads, args.model):
            run(model, finder, articles[:3], args.batch_size, workers)  # warm up
            per_article, per_mention, mentions = run(model, finder, articles, args.batch_size, workers)
            line = (f"{name:11s} {workers} worker(s) x {threads} thread(s): {per_article:6.1f} articles/s  "
                    f"{per_mention:7.1f} mentions/s  ({mentions / len(articles):.0f} mentions per article)")
            if args.eval and workers == 1:
                line += f"  macro-F1 {macro_f1(model, args.eval):.4f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
