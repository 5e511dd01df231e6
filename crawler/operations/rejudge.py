"""`csto-monitor rejudge --actor NAME`: an actor added to actors.yml after articles were stored is
found and judged in every stored article, as the crawl's actors and stance stages would have,
so its history appears without a recrawl.

The articles are read in batches, each batch judged and written in one transaction (a killed run
keeps what it wrote; run again, it judges again and replaces). A stance the desk reviewed is never
replaced. Then the summaries of the publication days touched and the shifts are refreshed, and
the new names the actor now covers leave the "New names" panel.
"""

from concurrent.futures import ThreadPoolExecutor
import json
import logging
import time

import sqlite_utils

from crawler.config import Actor
from crawler.storage.articles import store_stances
from crawler.storage.names import forget_names
from crawler.storage.shifts import ShiftRules, refresh_shifts
from crawler.storage.summaries import recompute_days
from crawler.rules import default_rules
from pipelines.actors import ActorFinder
from pipelines.stance import judge_stances
from pipelines.store import stance_record

logger = logging.getLogger(__name__)

BATCH = 200


def actor_id_of(db: sqlite_utils.Database, actor: Actor) -> int:
    row = db.execute("select id from actors where name = ?", [actor.name]).fetchone()
    if row:
        db.execute("update actors set kind = ? where id = ?", [actor.kind, row[0]])
        return row[0]
    return db["actors"].insert({"name": actor.name, "kind": actor.kind}).last_pk


def rejudge(db: sqlite_utils.Database, actor: Actor, models, batch_size: int = 64, progress=None, workers: int = 1) -> dict:
    """Find and judge `actor` in every stored article, `workers` articles at a time as the stance
    stage does (models built with threads = cores // workers); return counts (articles read,
    articles that mention it, stances written, reviewed stances kept, days refreshed, names forgotten)."""
    with ThreadPoolExecutor(workers, thread_name_prefix="rejudge") as executor:
        return rejudge_with(db, actor, models, batch_size, progress, executor)


def rejudge_with(db, actor: Actor, models, batch_size: int, progress, executor) -> dict:
    finder = ActorFinder((actor,))
    with db.atomic():
        actor_id = actor_id_of(db, actor)
    reviewed = {row[0] for row in db.execute(
        "select article_id from stances where actor_id = ? and review_id is not null", [actor_id])}
    total = db.execute("select count(*) from articles").fetchone()[0]
    counts = {"articles": 0, "mentioning": 0, "stances": 0, "reviewed_kept": 0, "days": 0, "names_forgotten": 0}
    days: set = set()
    started, last_id = time.perf_counter(), 0

    def judge(article_id, title, language, mentions):
        stance = judge_stances(models, language, title, mentions, batch_size)[0]
        return article_id, stance_record(stance, actor_id, mentions[actor.name])

    while rows := db.execute("select id, title, text, language, date(published) from articles where id > ? "
                             "order by id limit ?", [last_id, BATCH]).fetchall():
        last_id = rows[-1][0]
        pending = []  # judged in the workers while the next articles are searched
        for article_id, title, text, language, day in rows:
            mentions = finder.find(title, text or "", language or "en")
            if not mentions:
                continue
            counts["mentioning"] += 1
            if article_id in reviewed:
                counts["reviewed_kept"] += 1
                continue
            pending.append(executor.submit(judge, article_id, title, language, mentions))
            days.add(day)
        judged = [future.result() for future in pending]
        with db.atomic():
            for article_id, record in judged:
                store_stances(db, article_id, [record])
        counts["articles"] += len(rows)
        counts["stances"] += len(judged)
        if progress:
            elapsed = time.perf_counter() - started
            progress(f"rejudge {actor.name}: {counts['articles']} of {total} articles read, "
                     f"{counts['mentioning']} mention it ({elapsed / counts['articles'] * (total - counts['articles']):.0f} s left)")
    with db.atomic():
        if days:
            recompute_days(db, list(days))
        counts["names_forgotten"] = forget_names(db, names_now_tracked(db, finder))
    counts["days"] = len(days)
    refresh_shifts(db, default_rules(ShiftRules, "SHIFT_"))
    return counts


def names_now_tracked(db: sqlite_utils.Database, finder: ActorFinder) -> list[int]:
    """The new names (crawler/storage/names.py) the actor finder now finds an actor in."""
    tracked = []
    for name_id, name, aliases in db.execute("select id, name, aliases from names"):
        if any(finder.matcher.keys_in(text) for text in [name, *json.loads(aliases or "[]")]):
            tracked.append(name_id)
    return tracked
