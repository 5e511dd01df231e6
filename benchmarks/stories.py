"""Story grouping measured: B-cubed precision and recall of the rule in pipelines/stories.py.

    .venv/bin/python benchmarks/stories.py                        # the labelled set (stories.yml)
    .venv/bin/python benchmarks/stories.py --cross-validate       # the rule's settings chosen on it by events
    .venv/bin/python benchmarks/stories.py --demo data/monitor.db  # a demo crawl against the year it was written from
    .venv/bin/python benchmarks/stories.py --speed /tmp/csto-monitor-bench/monitor.db

B-cubed (Bagga & Baldwin): for each report, precision is the share of its predicted story that
truly is its story, recall the share of its true story that was predicted with it; both averaged
over reports. The labelled set is 43 reports of 23 events from 6 October to 8 December 2022: the
five real seed articles (read from ../shared/seeds) and 38 reports written for the project,
English and Russian, with 12 events reported in both languages, one event over two days (the
Astana drills), and different events that share actors within days (Pashinyan at the summit and
in parliament; Lukashenko hosting ministers, ordering an inspection, pardoning; Putin, Tokayev).
`--cross-validate` chooses how much of an article is read (and whether places are anchors), the threshold and the anchor weight
on the training events of each of 5 folds (5 shufflings; folds never split an event) and
measures B-cubed F1 on the held-out events, beside the shipped settings on the same folds.
`--demo` compares a crawled demo database with the story each generated article was written for
(crawler/samples/desk_year.py; the hand-written outlets are left out). `--speed` times the
nightly assignment of 300 new articles on the 200,000-article benchmark database
(benchmarks/dashboard.py), its existing articles given synthetic stories first.
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


def seed_text(name: str) -> tuple[str, str]:
    """Title and paragraphs (one per line) of a seed, as cleaning leaves them (its scraper residue skipped)."""
    lines = [line.strip() for line in (SEEDS / name).read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and line.lower() not in ("top of page", "bottom of page")]
    return lines[0], "\n".join(lines[1:])


def place_finder(finder):
    """Tried, not kept (docs/measurements.md, Stories): an actor finder of the actors' metonyms alone
    (Yerevan, Ереван, Astana, Minsk, Kremlin), the places a report names as anchors of their own."""
    from crawler.config import Actor

    return ActorFinder(tuple(Actor(a.name, a.kind, a.metonyms) for a in finder.actors if a.metonyms))


def places_of(places, title: str | None, lead: str, language: str) -> set:
    return {f"place:{name}" for name in places.find(title, lead, language)} if places is not None else set()


def labelled_reports(read: str = "lead", chars: int = READ_CHARS, places: bool = False):
    """The labelled set, oldest first, as the rule reads it: title and first paragraph (`lead`),
    or title and whole text (`all`), cut at `chars`. Returns (reports, gold, languages)."""
    finder = ActorFinder(load_actors(PROJECT / "actors.yml").actors)
    items = sorted(yaml.safe_load(LABELS.read_text(encoding="utf-8"))["reports"], key=lambda r: str(r["published"]))
    reports, gold, languages = [], [], []
    for item in items:
        title, body = seed_text(item["seed"]) if "seed" in item else (item["title"], item["text"])
        lead = body.split("\n", 1)[0] if read == "lead" else " ".join(body.split("\n"))
        text = f"{title}. {lead}"[:chars]
        actors = set(finder.find(title, lead, item["language"]))
        anchors = anchors_of(text, actors) | places_of(place_finder(finder) if places else None, title, lead, item["language"])
        reports.append(Report(text, date.fromisoformat(str(item["published"])), anchors))
        gold.append(item["story"])
        languages.append(item["language"])
    return reports, gold, languages


def labelled_set(rules: StoryRules) -> dict:
    reports, gold, languages = labelled_reports()
    predicted = group_reports(reports, embedder()([r.text for r in reports]), rules)
    result = bcubed(predicted, gold)
    cross = [story for story in set(gold) if {"en", "ru"} <= {lang for g, lang in zip(gold, languages) if g == story}]
    joined = [story for story in cross
              if {p for p, g, lang in zip(predicted, gold, languages) if g == story and lang == "ru"}
              & {p for p, g, lang in zip(predicted, gold, languages) if g == story and lang == "en"}]
    result["cross_lingual_events_joined"] = f"{len(joined)} of {len(cross)}"
    return result


READINGS = {"lead 250": ("lead", 250, False), "lead 400": ("lead", 400, False), "all 400": ("all", 400, False),
            "all 600": ("all", 600, False), "lead 250 + places": ("lead", 250, True), "lead 400 + places": ("lead", 400, True)}
THRESHOLDS = [round(1.0 + 0.05 * i, 2) for i in range(9)]
ANCHOR_WEIGHTS = [0.0, 0.25, 0.5, 0.75, 1.0]


def cross_validated(folds: int = 5, seeds: int = 5) -> dict:
    """Reading, threshold and anchor weight chosen on the training events of each fold (best
    B-cubed F1 over the grid), measured on the held-out events' reports; folds split events, never
    a story's reports; `seeds` shufflings. The shipped settings are measured on the same folds."""
    embed = embedder()
    variants = {}
    for name, (read, chars, places) in READINGS.items():
        reports, gold, _ = labelled_reports(read, chars, places)
        variants[name] = (reports, gold, embed([r.text for r in reports]))
    shipped = default_rules(StoryRules, "STORY_")
    events = sorted(set(variants["lead 250"][1]))

    def f1(name, rules, keep):
        reports, gold, vectors = variants[name]
        index = [i for i, g in enumerate(gold) if g in keep]
        predicted = group_reports([reports[i] for i in index], vectors[index], rules)
        return bcubed(predicted, [gold[i] for i in index])["f1"]

    grid = [(name, StoryRules(shipped.window_days, t, w)) for name in READINGS for t in THRESHOLDS for w in ANCHOR_WEIGHTS]
    chosen_scores, shipped_scores, picks = [], [], []
    for seed in range(seeds):
        order = events[:]
        random.Random(seed).shuffle(order)
        for fold in range(folds):
            held = set(order[fold::folds])
            train = set(events) - held
            name, rules = max(grid, key=lambda option: f1(option[0], option[1], train))
            picks.append(f"{name}, threshold {rules.threshold}, anchor weight {rules.anchor_weight}")
            chosen_scores.append(f1(name, rules, held))
            shipped_scores.append(f1("lead 250", shipped, held))
    mean = lambda values: round(sum(values) / len(values), 3)  # noqa: E731
    spread = lambda values: round((sum((v - mean(values)) ** 2 for v in values) / len(values)) ** 0.5, 3)  # noqa: E731
    best_overall = max(grid, key=lambda option: f1(option[0], option[1], set(events)))
    return {"held_out_f1_chosen_by_cv": mean(chosen_scores), "sd": spread(chosen_scores),
            "held_out_f1_shipped": mean(shipped_scores), "sd_shipped": spread(shipped_scores),
            "most_chosen": max(set(picks), key=picks.count), "times_chosen": f"{picks.count(max(set(picks), key=picks.count))} of {len(picks)}",
            "best_on_the_whole_set": f"{best_overall[0]}, threshold {best_overall[1].threshold}, anchor weight {best_overall[1].anchor_weight}"}


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
    parser.add_argument("--cross-validate", action="store_true",
                        help="choose reading, threshold and anchor weight on training events, measure on held-out ones")
    args = parser.parse_args()
    rules = default_rules(StoryRules, "STORY_")
    print("labelled set:", labelled_set(rules))
    if args.cross_validate:
        print("cross-validated:", cross_validated())
    if args.demo:
        print("demo year:", demo(args.demo))
    if args.speed:
        print("speed:", speed(args.speed, rules))


if __name__ == "__main__":
    main()
