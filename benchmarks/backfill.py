"""Backfill throughput and memory: `--copies` copies of the three hand-written sample outlets'
archived year (tests/archive_samples.py), a WARC file per copy, each copy's pages under a path of
its own on the outlets' hosts (or, with --outlet-per-copy, its own host and outlet names); the
texts repeat, so later copies are stored as duplicates after every stage. Read by
the archive spider with every stage, in a fresh subprocess. Prints captures/s, articles/s and
peak RSS from Scrapy's stats (elapsed from the spider's start, after the model is loaded), to
set beside benchmarks/pipeline.py's crawl of the same pages, and the resident memory after every
thousand items (stored or dropped), to see that it stays flat.

    .venv/bin/python benchmarks/backfill.py [--copies 10] [--outlet-per-copy]
"""

import argparse
import json
from pathlib import Path
import subprocess
import sys
import tempfile

import yaml

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tests.archive_samples import sample_outlets, write_year  # noqa: E402

BACKFILL_AND_PRINT_STATS = """
import json, os, sys
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from crawler.operations.run import project_settings
settings = project_settings(DB_PATH=sys.argv[2], SOURCES_FILE=sys.argv[1], LOG_LEVEL="WARNING", RUN_KIND="backfill")
process = CrawlerProcess(settings)
crawler = process.create_crawler("archive")
rss_by_items = {}
def sample_rss(*args, **kwargs):
    done = len(rss_by_items) and max(rss_by_items)
    seen = sum(crawler.stats.get_value(key, 0) for key in ("item_scraped_count", "item_dropped_count"))
    if seen >= done + 1000:
        rss_by_items[seen] = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20
crawler.signals.connect(sample_rss, signal=signals.item_scraped)
crawler.signals.connect(sample_rss, signal=signals.item_dropped)
process.crawl(crawler, sources=sys.argv[1], warc=sys.argv[3], period_from="2026-01-01", period_until="2026-12-31")
process.start()
print(json.dumps({**crawler.stats.get_stats(), "rss_mib_by_items": rss_by_items}, default=str))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--outlet-per-copy", action="store_true",
                        help="each copy its own host and outlet (memory then also grows with the outlets' own state)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        entries, files = {}, []
        for copy in range(args.copies):
            outlets = sample_outlets()
            for outlet in outlets.outlets:
                if args.outlet_per_copy:  # a new host and outlet per copy: per-outlet state grows with the copies
                    outlet.base = outlet.base.replace("http://", f"http://copy{copy + 1}.")
                    entries[outlet.base] = {**outlet.sources_entry(), "name": f"{outlet.name} #{copy + 1}"}
                else:  # the three outlets, each copy's pages under a path of their own
                    entries.setdefault(outlet.base, outlet.sources_entry())
                    outlet.base = f"{outlet.base}copy{copy + 1}/"
            files.append(folder / f"copy{copy + 1}.warc.gz")
            write_year(files[-1], outlets)
        sources = folder / "sources.yml"
        sources.write_text(yaml.safe_dump({"outlets": list(entries.values())}, allow_unicode=True))
        result = subprocess.run([sys.executable, "-c", BACKFILL_AND_PRINT_STATS, str(sources), str(folder / "monitor.db"),
                                 ",".join(map(str, files))], cwd=PROJECT, capture_output=True, text=True, check=True)
        stats = json.loads(result.stdout.strip().splitlines()[-1])
    elapsed = float(stats["elapsed_time_seconds"])
    read = stats.get("captures/read_from_files", 0)
    articles = stats.get("articles/new", 0)
    print(json.dumps({"captures": read, "articles_stored": articles, "elapsed_s": round(elapsed, 1),
                      "captures_per_s": round(read / elapsed, 1), "articles_per_s": round(articles / elapsed, 1),
                      "peak_rss_mib": round(int(stats.get("memusage/max", 0)) / 2**20),
                      "rss_mib_by_items": stats["rss_mib_by_items"]}))


if __name__ == "__main__":
    main()
