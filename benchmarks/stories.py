"""Story grouping measured: B-cubed precision and recall of the rule in pipelines/stories.py.

    .venv/bin/python benchmarks/stories.py                        # the labelled set (stories.yml)
    .venv/bin/python benchmarks/stories.py --demo data/monitor.db  # a demo crawl against the year it was written from
    .venv/bin/python benchmarks/stories.py --speed /tmp/csto-monitor-bench/monitor.db

B-cubed (Bagga & Baldwin): for each report, precision is the share of its predicted story that
truly is its story, recall the share of its true story that was predicted with it; both averaged
over reports. The labelled set is twelve reports of seven events within one week: three of the
five real seed articles and two reports written for the project about the CSTO summit in Yerevan
(one in Russian: the cross-lingual case), a seed and a Russian report of the Kursk refusal, and
five other events. `--demo` compares a crawled demo database with the story each generated
article was written for (crawler/samples/desk_year.py; the hand-written outlets are left out).
`--speed` times the nightly assignment of 300 new articles on the 200,000-article benchmark
database (benchmarks/dashboard.py), its existing articles given synthetic stories first.
"""

import argparse
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
import random
import sys
import time

import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from crawler.config import load_actors  # noqa: E402
from crawler.rules import default_rules  # noqa: E402
from pipelines.stories import (DIMENSION, READ_CHARS, Report, StoryRules, anchors_of, assign_stories, embedder,  # noqa: E402
                               group_reports)
from pipelines.actors import ActorFinder  # noqa: E402

LABELS = Path(__file__).with_name("stories.yml")
SEEDS = PROJECT.parent / "shared" / "seeds"


def bcubed(predicted: list, gold: list) -> dict:
    by_predicted, by_gold = defaultdict(set), defaultdict(set)
    for index, (p, g) in enumerate(zip(predicted, gold)):
        by_predicted[p].add(index)
        by_gold[g].add(index)
    precision = sum(len(by_predicted[p] & by_gold[g]) / len(by_predicted[p]) for p, g in zip(predicted, gold)) / len(gold)
    recall = sum(len(by_predicted[p] & by_gold[g]) / len(by_gold[g]) for p, g in zip(predicted, gold)) / len(gold)
    return {"precision": round(precision, 3), "recall": round(recall, 3),
            "f1": round(2 * precision * recall / (precision + recall), 3), "reports": len(gold),
            "stories": len(by_predicted), "true_stories": len(by_gold)}


def seed_report(name: str) -> tuple[str, str]:
    """Title and first paragraph of a seed, as cleaning leaves them (its scraper residue skipped)."""
    lines = [line.strip() for line in (SEEDS / name).read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and line.lower() not in ("top of page", "bottom of page")]
    return lines[0], lines[1]


def labelled_set(rules: StoryRules) -> dict:
    finder = ActorFinder(load_actors(PROJECT / "actors.yml").actors)
    items = sorted(yaml.safe_load(LABELS.read_text(encoding="utf-8"))["reports"], key=lambda r: str(r["published"]))
    reports, gold, languages = [], [], []
    for item in items:
        title, lead = seed_report(item["seed"]) if "seed" in item else (item["title"], item["text"])
        text = f"{title}. {lead}"[:READ_CHARS]
        actors = set(finder.find(title, lead, item["language"]))
        reports.append(Report(text, date.fromisoformat(str(item["published"])), anchors_of(text, actors)))
        gold.append(item["story"])
        languages.append(item["language"])
    predicted = group_reports(reports, embedder()([r.text for r in reports]), rules)
    result = bcubed(predicted, gold)
    summit = {p for p, g, lang in zip(predicted, gold, languages) if g == "yerevan-summit" and lang == "ru"}
    english = {p for p, g, lang in zip(predicted, gold, languages) if g == "yerevan-summit" and lang == "en"}
    result["cross_lingual_summit_joined"] = bool(summit & english)
    return result


def demo(db_path: Path) -> dict:
    import sqlite3

    from crawler.samples.desk_year import desk_year

    connection = sqlite3.connect(db_path)
    first = connection.execute("select min(crawled_at) from articles").fetchone()[0]
    written = date.fromisoformat(first[:10])  # the demo writes its year up to the day it runs
    truth = {a["slug"]: a["story"] for spec in desk_year(written) for a in spec["articles"]}
    predicted, gold = [], []
    for url, story in connection.execute("select url, story_id from articles"):
        slug = url.split("/", 3)[3]
        if slug in truth:
            predicted.append(story)
            gold.append(truth[slug])
    connection.close()
    return bcubed(predicted, gold)


def speed(db_path: Path, rules: StoryRules, new: int = 300) -> dict:
    """Nightly assignment time on a copy of the benchmark database: its articles get synthetic
    stories (one per about three articles, random centroids) so that the index holds a real
    database's recent stories, then `new` articles published over the last three days get theirs."""
    import numpy as np

    from crawler.storage.database import open_database

    import sqlite3

    work = db_path.with_name("stories-speed.db")
    source, copy = sqlite3.connect(db_path), sqlite3.connect(work)
    source.backup(copy)  # the database with what its write-ahead log holds
    source.close()
    copy.close()
    db = open_database(work)
    rng = random.Random(7)
    rows = db.execute("select id, published from articles order by published, id").fetchall()
    newest = rows[-new:]
    stories, placed, story_id, start = [], [], 0, 0
    for index in range(len(rows) - new):
        if index >= start:
            story_id += 1
            start = index + rng.randrange(1, 6)
            vector = np.array([rng.gauss(0, 1) for _ in range(DIMENSION)], dtype=np.float32)
            day = rows[index][1][:10]
            stories.append((story_id, f"story {story_id}", day, day, rows[index][0], (vector / np.linalg.norm(vector)).tobytes()))
        placed.append((story_id, rows[index][0]))
    with db.atomic():
        db.conn.executemany(
            "insert into stories (id, title, first_published, last_published, articles, outlets, languages, "
            "representative_article_id, anchors, centroid) values (?, ?, ?, ?, 1, 1, '[]', ?, '[]', ?)", stories)
        db.conn.executemany("update articles set story_id = ? where id = ?", placed)
        for article_id, _ in newest:
            day = (date.today() - timedelta(days=rng.randrange(3))).isoformat()
            db.execute("update articles set story_id = null, published = ? where id = ?", [day, article_id])
    recent = db.execute("select count(*) from stories where last_published >= ?",
                        [(date.today() - timedelta(days=3 + rules.window_days)).isoformat()]).fetchone()[0]
    embed = embedder()
    embed(["warm up"])
    started = time.perf_counter()
    placed = assign_stories(db, rules, ActorFinder(load_actors(PROJECT / "actors.yml").actors), embed)
    seconds = time.perf_counter() - started
    total = db.execute("select count(*) from articles").fetchone()[0]
    db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    return {"articles_in_database": total, "stories_in_database": story_id, "recent_stories_in_index": recent,
            "placed": placed, "seconds": round(seconds, 2), "ms_per_article": round(1000 * seconds / placed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a database written by `csto-monitor demo`")
    parser.add_argument("--speed", type=Path, help="the benchmark database of benchmarks/dashboard.py")
    args = parser.parse_args()
    rules = default_rules(StoryRules, "STORY_")
    print("labelled set:", labelled_set(rules))
    if args.demo:
        print("demo year:", demo(args.demo))
    if args.speed:
        print("speed:", speed(args.speed, rules))


if __name__ == "__main__":
    main()
