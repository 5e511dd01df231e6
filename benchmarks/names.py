"""New names' and rejudge's cost beside the crawl's, in a copy of a crawled database: every
original read again for names (pipelines/names.py), and `rejudge` of one actor (default Putin:
found and judged again in every article), set beside the crawl's own time and mentions judged per
second (its runs' elapsed time and stance/mentions_judged from Scrapy's stats, every stage included).

    .venv/bin/csto-monitor demo --db /tmp/demo.db --no-serve
    .venv/bin/python benchmarks/names.py --db /tmp/demo.db
"""

import argparse
import json
from pathlib import Path
import shutil
import sys
import tempfile
import time

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from crawler import settings as defaults  # noqa: E402
from crawler.config import DEFAULT_ACTORS_FILE, DEFAULT_STANCE_FILE, load_actors, load_stance_models  # noqa: E402
from crawler.operations.rejudge import rejudge  # noqa: E402
from crawler.storage.database import open_database  # noqa: E402
from pipelines.actors import ActorFinder  # noqa: E402
from pipelines.names import NameFinder, read_names  # noqa: E402
from pipelines.stance import stance_workers  # noqa: E402
from stance.quiet import quiet_loading  # noqa: E402
from stance.registry import StanceModels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a crawled database (read, never written)")
    parser.add_argument("--actor", default="Putin", help="the actor rejudge judges again")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "monitor.db"
        shutil.copy(args.db, copy)
        db = open_database(copy)
        with db.atomic():
            db.execute("delete from article_names")
            db.execute("delete from names")
            db.execute("update articles set names_read = null")
        runs = [json.loads(stats) for (stats,) in db.execute("select stats from crawl_runs where stats is not null")]
        crawl_seconds = sum(float(run.get("elapsed_time_seconds", 0)) for run in runs)
        crawl_mentions = sum(int(run.get("stance/mentions_judged", 0)) for run in runs)
        articles = db.execute("select count(*) from articles").fetchone()[0]
        finder = NameFinder(ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors), defaults.NAMES_MODELS)
        started = time.perf_counter()
        finder.languages  # the models load once per crawl, counted here
        read = read_names(db, finder)
        seconds = time.perf_counter() - started
        names = db.execute("select count(*) from names").fetchone()[0]
        actor = next(a for a in load_actors(DEFAULT_ACTORS_FILE).actors if a.name == args.actor)
        workers, threads = stance_workers()  # as `csto-monitor rejudge` and the stance stage
        with quiet_loading():
            models = StanceModels.from_specs(load_stance_models(DEFAULT_STANCE_FILE), threads=threads)
        started = time.perf_counter()
        counts = rejudge(db, actor, models, workers=workers)
        rejudge_seconds = time.perf_counter() - started
        mentions = db.execute("select sum(s.mentions) from stances s join actors a on a.id = s.actor_id "
                              "where a.name = ? and s.label is not null", [actor.name]).fetchone()[0] or 0
    print(json.dumps({"articles": articles, "read_for_names": read, "names": names, "names_s": round(seconds, 1),
                      "crawl_s": round(crawl_seconds, 1), "names_added_to_crawl": f"{seconds / crawl_seconds:.0%}",
                      "rejudge_actor": actor.name, "rejudge_articles_mentioning": counts["mentioning"],
                      "rejudge_s": round(rejudge_seconds, 1),
                      "rejudge_mentions_per_s": round(mentions / rejudge_seconds, 1),
                      "crawl_mentions_judged_per_s": round(crawl_mentions / crawl_seconds, 1)}))


if __name__ == "__main__":
    main()
