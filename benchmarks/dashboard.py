"""Dashboard speed at scale: every desk panel and canned query timed through Datasette.

    .venv/bin/python benchmarks/dashboard.py [--db /tmp/csto-monitor-bench/monitor.db] [--rebuild] [--repeat 20]

Builds (once; `--rebuild` to redo) a synthetic monitor database of 200,000 articles and
1,000,000 stance rows from 50 outlets about 40 actors over 3 years, written through the
project's own storage code (`crawler.storage.articles.store_article`, then the summary refresh a crawl
runs when it ends). Outlets publish mostly in one language and at different volumes, actors
are mentioned with a long-tailed frequency, 5 % of articles are copies, and articles in
languages no model covers have no stance label, as in a real crawl.

Then every panel of the desk dashboard and every canned query is requested through Datasette's
own HTTP client, as the browser requests them (`/monitor.json?sql=...`), unfiltered and with
the desk's filters, `--repeat` times each. Prints panel → p50 / p95 in milliseconds.
"""

import argparse
import asyncio
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
import random
import re
import statistics
import sys
import time

import yaml

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from datasette.app import Datasette  # noqa: E402
from datasette_dashboards import replace_opts_in_query  # noqa: E402

from crawler.cli.serve import SETTINGS as SERVE  # noqa: E402
from crawler.dashboard import DATASETTE_DIR  # noqa: E402
from crawler.storage.database import open_database, utc_now  # noqa: E402
from crawler.storage.articles import store_article  # noqa: E402
from crawler.rules import default_rules  # noqa: E402
from crawler.storage.shifts import ShiftRules, refresh_shifts  # noqa: E402
from crawler.storage.summaries import refresh_summaries  # noqa: E402

ARTICLES = 200_000
ACTORS_PER_ARTICLE = 5
OUTLETS = 50
ACTORS = 40
DAYS = 3 * 365
COPY_SHARE = 0.05
BATCH = 5_000
LANGUAGES = ["ru"] * 20 + ["en"] * 15 + ["hy"] * 5 + ["kk"] * 5 + ["uk"] * 5
SCORED_LANGUAGES = {"en"}
GROUPS = ["Russian state", "Russian independent", "Armenian independent", "Central Asian", "international"]
WORDS = ("summit treaty security council exercise border troops agreement minister talks "
         "statement visit delegation defence alliance peacekeeping session drills envoy").split()


def synthetic_articles(rng: random.Random, outlet_ids: list[int], actor_ids: list[int], end: date,
                       count: int = ARTICLES, days: int = DAYS):
    """Yield (article row, stance rows) for `count` synthetic articles published over the
    `days` days up to `end`, oldest first."""
    outlet_weight = [1 / (rank + 1) ** 0.7 for rank in range(len(outlet_ids))]
    actor_weight = [1 / (rank + 1) for rank in range(len(actor_ids))]
    bias = {(o, a): rng.uniform(-0.6, 0.6) for o in outlet_ids for a in actor_ids}
    for number, day in enumerate(sorted(end - timedelta(days=rng.randrange(days)) for _ in range(count)), 1):
        outlet = rng.choices(outlet_ids, outlet_weight)[0]
        language = LANGUAGES[outlet - 1] if rng.random() < 0.9 else rng.choice(["en", "ru"])
        published = datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=timezone.utc)
        actors = set()
        while len(actors) < ACTORS_PER_ARTICLE:
            actors.add(rng.choices(actor_ids, actor_weight)[0])
        words = " ".join(rng.choices(WORDS, k=60))
        article = {
            "url": f"https://outlet{outlet}.example/news/{number}",
            "outlet_id": outlet,
            "title": f"Synthetic article {number} on {rng.choice(WORDS)}",
            "published": published.isoformat(),
            "language": language,
            "language_prob": 0.99,
            "text": words,
            "text_hash": f"{number:040x}",
            "duplicate_of": rng.randrange(1, number) if number > 1 and rng.random() < COPY_SHARE else None,
            "matched_terms": '["CSTO"]',
            "crawled_at": published.isoformat(),
        }
        stances = []
        for actor in actors:
            scored = language in SCORED_LANGUAGES
            score = max(-1.0, min(1.0, bias[outlet, actor] + rng.gauss(0, 0.4))) if scored else None
            label = None if not scored else "critical" if score < -0.2 else "supportive" if score > 0.2 else "neutral"
            stances.append({
                "actor_id": actor, "label": label, "score": score, "confidence": 0.8 if scored else None,
                "mentions": rng.randint(1, 6), "evidence": [words[:120]] if scored else [],
                "model": "minilm-newsmtsc" if scored else f"none:{language}",
            })
        yield article, stances


def build(path: Path) -> None:
    path.unlink(missing_ok=True)
    db = open_database(path)
    rng = random.Random(2026)
    db["outlets"].insert_all(
        {"id": i, "name": f"Outlet {i:02d}", "url": f"https://outlet{i}.example/", "language": LANGUAGES[i - 1]}
        for i in range(1, OUTLETS + 1)
    )
    db["actors"].insert_all({"id": i, "name": f"Actor {i:02d}", "kind": "person"} for i in range(1, ACTORS + 1))
    run_id = db["crawl_runs"].insert({"started": utc_now(), "status": "running"}).last_pk
    started = time.perf_counter()
    articles = synthetic_articles(rng, list(range(1, OUTLETS + 1)), list(range(1, ACTORS + 1)), date.today())
    done = 0
    while done < ARTICLES:
        with db.atomic():
            for article, stances in (next(articles) for _ in range(min(BATCH, ARTICLES - done))):
                store_article(db, {**article, "crawl_run_id": run_id}, stances)
                done += 1
        print(f"\r  stored {done:,} / {ARTICLES:,} articles", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    stored = time.perf_counter()
    db["crawl_runs"].update(run_id, {"finished": utc_now(), "status": "ok", "articles_new": ARTICLES})
    refresh_summaries(db)
    refreshed = time.perf_counter()
    print(f"built {path}: {ARTICLES:,} articles in {stored - started:.0f} s, "
          f"summaries refreshed in full in {refreshed - stored:.1f} s", file=sys.stderr)
    nightly_run(db, rng)
    db.close()


def bring_up_to_date(db) -> None:
    """Outlet groups for the synthetic outlets (databases built before groups existed get them
    too), then the summaries and the shifts, as a crawl's end does (the shifts timed)."""
    for outlet_id, in db.execute("select id from outlets where outlet_group is null").fetchall():
        db["outlets"].update(outlet_id, {"outlet_group": GROUPS[outlet_id % len(GROUPS)]})
    refresh_summaries(db)
    started = time.perf_counter()
    shifts = refresh_shifts(db, default_rules(ShiftRules, "SHIFT_"))
    print(f"shifts rebuilt ({shifts} found) in {time.perf_counter() - started:.2f} s", file=sys.stderr)


def nightly_run(db, rng: random.Random, articles: int = 300) -> None:
    """One more crawl run of `articles` articles published over the last three days, then the
    incremental summary refresh a crawl runs when it ends, timed."""
    run_id = db["crawl_runs"].insert({"started": utc_now(), "status": "running"}).last_pk
    newest = db.execute("select max(id) from articles").fetchone()[0]
    with db.atomic():
        for number, (article, stances) in enumerate(
            synthetic_articles(rng, list(range(1, OUTLETS + 1)), list(range(1, ACTORS + 1)), date.today(), articles, days=3), 1
        ):
            article["url"] += f"/nightly{run_id}-{number}"
            article["duplicate_of"] = None
            store_article(db, {**article, "crawl_run_id": run_id}, stances)
    db["crawl_runs"].update(run_id, {"finished": utc_now(), "status": "ok", "articles_new": articles})
    started = time.perf_counter()
    days = refresh_summaries(db)
    print(f"nightly run of {articles} articles after article {newest:,}: summaries refreshed for {days} days "
          f"in {time.perf_counter() - started:.2f} s", file=sys.stderr)


PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


def query_parameters(sql: str, values: dict) -> dict:
    """Every named parameter of a canned query's SQL, from `values` or empty (as a form sends it)."""
    return {name: values.get(name, "") for name in dict.fromkeys(PARAMETER.findall(sql))}


def requests(metadata: dict, filters: dict) -> list[tuple[str, str, dict]]:
    """(name, sql, params) for every dashboard panel (unfiltered and filtered) and canned query
    (every parameter empty, then the ones a desk sets)."""
    out = []
    desk = metadata["plugins"]["datasette-dashboards"]["desk"]
    for name, chart in desk["charts"].items():
        for label, values in (("", {}), (" (filtered)", filters)):
            out.append((name + label, replace_opts_in_query(chart["query"], values), values))
    chosen = {"actor": filters["actor"], "since": filters["date_start"], "outlet": filters["outlet"], "label": "critical",
              "q": "summit", "language": "ru", "group": filters["group"]}
    for name, query in metadata["databases"]["monitor"]["queries"].items():
        for label, values in (("", {"q": "summit"}), (" (set)", chosen)):
            out.append((f"query {name}{label}", query["sql"], query_parameters(query["sql"], values)))
    return out


TABLE_PAGES = ["/monitor/articles", "/monitor/articles?language=ru", "/monitor/articles?outlet_id=21",
               "/monitor/stances", "/monitor/stances?label=critical", "/monitor/stances?actor_id=5",
               "/monitor/stances?label=critical&actor_id=5"]


async def time_requests(path: Path, repeat: int) -> list[tuple[str, float, float, int]]:
    metadata = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text())
    datasette = Datasette([str(path)], metadata=metadata, plugins_dir=str(DATASETTE_DIR / "plugins"),
                          template_dir=str(DATASETTE_DIR / "templates"), settings={**SERVE, "sql_time_limit_ms": 10_000})
    today = date.today()
    filters = {"date_start": (today - timedelta(days=90)).isoformat(), "date_end": today.isoformat(),
               "actor": "Actor 05", "outlet": "Outlet 21", "language": "en", "group": GROUPS[1]}
    results = []
    for name, sql, params in requests(metadata, filters):
        times = []
        for _ in range(repeat + 1):
            started = time.perf_counter()
            response = await datasette.client.get("/monitor.json", params={"sql": sql, "_shape": "objects", **params})
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}: {response.text[:300]}")
        times = times[1:]  # the first request warms SQLite's page cache
        rows = len(response.json()["rows"])
        results.append((name, statistics.median(times), statistics.quantiles(times, n=20)[-1], rows))
    for page in TABLE_PAGES:  # the HTML page a desk or researcher browses: rows, count, facets
        times = []
        for _ in range(repeat + 1):
            started = time.perf_counter()
            response = await datasette.client.get(page)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{page}: HTTP {response.status_code}: {response.text[:300]}")
        times = times[1:]
        results.append((f"page {page}", statistics.median(times), statistics.quantiles(times, n=20)[-1], 0))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/csto-monitor-bench/monitor.db"))
    parser.add_argument("--rebuild", action="store_true", help="build the synthetic database again")
    parser.add_argument("--repeat", type=int, default=20, help="requests per panel")
    args = parser.parse_args()
    if args.rebuild or not args.db.exists():
        build(args.db)
    bring_up_to_date(open_database(args.db))  # (an existing database: its schema too)
    results = asyncio.run(time_requests(args.db, args.repeat))
    width = max(len(name) for name, *_ in results)
    print(f"{'panel / canned query':{width}}  {'p50 ms':>7}  {'p95 ms':>7}  {'rows':>5}")
    for name, p50, p95, rows in results:
        print(f"{name:{width}}  {p50:7.1f}  {p95:7.1f}  {rows:5d}")
    slowest = max(results, key=lambda r: r[2])
    print(f"slowest p95: {slowest[0]} {slowest[2]:.1f} ms (target 300 ms for panels and queries, 1 s for pages)")


if __name__ == "__main__":
    main()
