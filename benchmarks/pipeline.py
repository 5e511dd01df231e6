"""Crawl throughput with and without the pipelines, in one run, on the bundled sample outlets.

    .venv/bin/python benchmarks/pipeline.py [--copies 10]

Serves `--copies` copies of the three sample outlets on 127.0.0.1 (each copy its own ports and
outlet names; the texts repeat, so later copies are stored as duplicates after going through
every stage), then crawls them twice in fresh subprocesses with politeness delays off: once
with every pipeline, once with ITEM_PIPELINES empty. Prints pages/s, articles/s and peak RSS
from Scrapy's own stats (elapsed time counts from the spider's start, after the model is loaded).
"""

import argparse
from contextlib import ExitStack
import json
from pathlib import Path
import subprocess
import sys
import tempfile

import yaml

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from crawler.samples.server import SampleOutlets  # noqa: E402

CRAWL_AND_PRINT_STATS = """
import json, sys
from scrapy.crawler import CrawlerProcess
from crawler.operations.run import project_settings
settings = project_settings(DB_PATH=sys.argv[2], LOG_LEVEL="WARNING", DOWNLOAD_DELAY=0,
                            AUTOTHROTTLE_ENABLED=False, CONCURRENT_REQUESTS_PER_DOMAIN=16)
if sys.argv[3] == "none":
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
process = CrawlerProcess(settings)
crawler = process.create_crawler("outlets")
process.crawl(crawler, sources=sys.argv[1])
process.start()
print(json.dumps(crawler.stats.get_stats(), default=str))
"""


def crawl(sources: Path, db: Path, pipelines: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CRAWL_AND_PRINT_STATS, str(sources), str(db), pipelines],
        cwd=PROJECT, capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="copies of the three sample outlets to serve")
    args = parser.parse_args()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as scratch:
        entries = []
        for copy in range(args.copies):
            outlets = stack.enter_context(SampleOutlets())
            for outlet in outlets.outlets:
                entries.append({**outlet.sources_entry(), "name": f"{outlet.name} #{copy + 1}"})
        sources = Path(scratch) / "sources.yml"
        sources.write_text(yaml.safe_dump({"outlets": entries}, allow_unicode=True))
        rows = []
        for label, pipelines in (("with pipelines", "all"), ("without pipelines", "none")):
            stats = crawl(sources, Path(scratch) / f"{pipelines}.db", pipelines)
            elapsed = float(stats["elapsed_time_seconds"])
            pages = int(stats.get("response_received_count", 0))
            items = int(stats.get("item_scraped_count", 0))
            rows.append((label, pages, items, elapsed, pages / elapsed, items / elapsed, int(stats.get("memusage/max", 0)) / 2**20))
    print(f"{args.copies} copies of the sample outlets ({3 * args.copies} outlets), CPU: 2 cores")
    print(f"{'run':<20}{'pages':>7}{'items':>7}{'seconds':>9}{'pages/s':>9}{'items/s':>9}{'peak RSS MiB':>14}")
    for label, pages, items, elapsed, pages_s, items_s, rss in rows:
        print(f"{label:<20}{pages:>7}{items:>7}{elapsed:>9.1f}{pages_s:>9.1f}{items_s:>9.1f}{rss:>14.0f}")


if __name__ == "__main__":
    main()
