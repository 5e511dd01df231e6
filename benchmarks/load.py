"""The desk under load: eight clients at once against `csto-monitor serve` on the benchmark database.

    .venv/bin/python benchmarks/load.py [--db /tmp/csto-monitor-bench/monitor.db] [--clients 8] [--seconds 30]

Serves the database built by benchmarks/dashboard.py with `csto-monitor serve` (a real Datasette
process with the project's metadata, plugins, templates and settings), then runs `--clients`
threads for `--seconds`, each requesting at random what a desk's browsers and feed readers ask
for: every dashboard panel's SQL (unfiltered and filtered), every canned query and alert feed
(.atom, with and without its parameters), the dashboard page, article pages, and the articles
and stances table pages (plain and filtered). Prints answers per second, p50 and p95 in
milliseconds, the slowest kinds of request, and every error (a status other than 200).
"""

import argparse
from collections import defaultdict
import http.client
from pathlib import Path
import random
import statistics
import sys
import threading
import time
from urllib.parse import urlencode

import yaml

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

sys.path.insert(0, str(PROJECT / "benchmarks"))
from dashboard import GROUPS, TABLE_PAGES, query_parameters  # noqa: E402  (benchmarks/dashboard.py)
from crawler.dashboard import DATASETTE_DIR  # noqa: E402
from datasette_dashboards import replace_opts_in_query  # noqa: E402
from tests.conftest import serving  # noqa: E402

FILTERS = {"actor": "Actor 05", "outlet": "Outlet 21", "language": "en", "group": GROUPS[1]}


def request_mix(metadata: dict, article_ids: list[int]) -> list[tuple[str, str]]:
    """(kind, path) of every request a client may make."""
    mix = [("dashboard page", "/-/dashboards/desk")]
    for name, chart in metadata["plugins"]["datasette-dashboards"]["desk"]["charts"].items():
        for label, values in (("", {}), (" filtered", FILTERS)):
            sql = replace_opts_in_query(chart["query"], values)
            mix.append((f"panel {name}{label}", "/monitor.json?" + urlencode({"sql": sql, "_shape": "objects", **values})))
    chosen = {**FILTERS, "since": "2026-01-01", "label": "critical", "q": "summit"}
    for name, query in metadata["databases"]["monitor"]["queries"].items():
        extension = ".atom" if name.startswith("alerts_") else ""
        for label, values in (("", {"q": "summit"}), (" set", chosen)):
            params = query_parameters(query["sql"], values)
            mix.append((f"query {name}{extension}{label}", f"/monitor/{name}{extension}?" + urlencode(params)))
    mix += [(f"page {page}", page) for page in TABLE_PAGES]
    mix += [("article page", f"/monitor/articles/{article_id}") for article_id in article_ids]
    return mix


def client(port: int, mix: list, until: float, seed: int, results: list, errors: list) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.perf_counter() < until:
        kind, path = rng.choice(mix)
        started = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status = f"{type(error).__name__}"
        elapsed = (time.perf_counter() - started) * 1000
        results.append((kind, elapsed))
        if status != 200:
            errors.append(f"{kind}: {status}")
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/csto-monitor-bench/monitor.db"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    if not args.db.exists():
        raise SystemExit(f"{args.db} not found: build it first with `.venv/bin/python benchmarks/dashboard.py`")
    import sqlite3

    connection = sqlite3.connect(args.db)
    article_ids = [row[0] for row in connection.execute("select id from articles order by random() limit 20")]
    connection.close()
    metadata = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text())
    mix = request_mix(metadata, article_ids)
    with serving(args.db) as base:
        port = int(base.rsplit(":", 1)[1])
        results, errors = [], []
        until = time.perf_counter() + args.seconds
        threads = [threading.Thread(target=client, args=(port, mix, until, seed, results, errors)) for seed in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    times = sorted(t for _, t in results)
    by_kind = defaultdict(list)
    for kind, elapsed in results:
        by_kind[kind].append(elapsed)
    print(f"{args.clients} clients for {args.seconds:.0f} s, {len(mix)} kinds of request: {len(results)} answers, "
          f"{len(results) / args.seconds:.1f}/s, p50 {statistics.median(times):.0f} ms, "
          f"p95 {statistics.quantiles(times, n=20)[-1]:.0f} ms, errors {len(errors)}")
    print("slowest kinds (p50 ms, answers):")
    for kind, values in sorted(by_kind.items(), key=lambda item: -statistics.median(item[1]))[:8]:
        print(f"  {kind}: {statistics.median(values):.0f} ({len(values)})")
    for error in sorted(set(errors)):
        print(f"error: {error} (x{errors.count(error)})")


if __name__ == "__main__":
    main()
