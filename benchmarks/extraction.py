"""Article extraction quality on the article-extraction benchmark: this project against plain
trafilatura, in the same run.

    .venv/bin/python benchmarks/extraction.py [../shared/data/article-extraction-benchmark]

The folder holds html/KEY.html.gz and ground-truth.json ({KEY: {"url", "articleBody"}}). The
metric is the benchmark's: texts split into \\w+ tokens, 4-token shingles counted, per page the
true/false positives and false negatives normalised by their sum, those summed over pages, then
precision, recall and F1. This project's text is what `csto-monitor extract` prints.
"""

import argparse
from collections import Counter
import json
from pathlib import Path
import re
import subprocess
import sys
import time

import trafilatura

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from pipelines.clean import extract_article, read_page  # noqa: E402


def shingles(text: str, n: int = 4) -> Counter:
    tokens = re.findall(r"\w+", text or "", re.UNICODE)
    return Counter(tuple(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1)))


def page_scores(truth: str, predicted: str) -> tuple[float, float, float]:
    true, pred = shingles(truth), shingles(predicted)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def summary(per_page: list[tuple[float, float, float]]) -> dict:
    tp, fp, fn = (sum(column) for column in zip(*per_page))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4), "pages": len(per_page)}


def project_texts(files: list[Path]) -> dict[str, str]:
    """Run `csto-monitor extract --jsonl` exactly as a user would."""
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "extract", "--jsonl", *map(str, files)],
        cwd=PROJECT, capture_output=True, text=True, check=True,
    )
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {Path(r["file"]).name.split(".")[0]: r["text"] for r in records}


def evaluate(folder: Path) -> dict:
    truth = json.loads((folder / "ground-truth.json").read_text())
    files = sorted((folder / "html").glob("*.html*"))
    ours = project_texts(files)
    plain = {f.name.split(".")[0]: trafilatura.extract(read_page(f)) or "" for f in files}
    keys = [f.name.split(".")[0] for f in files if f.name.split(".")[0] in truth]
    return {
        "csto-monitor extract": summary([page_scores(truth[k]["articleBody"], ours.get(k, "")) for k in keys]),
        "trafilatura.extract": summary([page_scores(truth[k]["articleBody"], plain[k]) for k in keys]),
    }


def pages_per_second(folder: Path) -> dict:
    """Throughput of this project's cleaning and of plain trafilatura, in this process."""
    pages = [read_page(f) for f in sorted((folder / "html").glob("*.html*"))]
    speeds = {}
    for name, extract in (("csto-monitor extract", extract_article), ("trafilatura.extract", trafilatura.extract)):
        start = time.perf_counter()
        for html in pages:
            extract(html)
        speeds[name] = round(len(pages) / (time.perf_counter() - start), 1)
    return speeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(PROJECT.parent / "shared" / "data" / "article-extraction-benchmark"))
    args = parser.parse_args()
    results = evaluate(Path(args.folder))
    speeds = pages_per_second(Path(args.folder))
    print(f"{'extractor':<24}{'F1':>8}{'precision':>11}{'recall':>9}{'pages':>7}{'pages/s':>9}")
    for name, scores in results.items():
        scores["pages_per_second"] = speeds[name]
        print(f"{name:<24}{scores['f1']:>8.4f}{scores['precision']:>11.4f}{scores['recall']:>9.4f}{scores['pages']:>7}{speeds[name]:>9.1f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
