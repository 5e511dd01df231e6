"""The desk's reviews: a reviewer's label for an actor in an article, replacing the model's.

Two files hold them:
- the desk file beside the database (`monitor.desk.db` beside `monitor.db`, desk_file()): the
  reviewers with their hashed passwords (argon2, argon2-cffi), the secret that signs their
  sign-in cookies, and every review ever made, keyed by the article's canonical URL (else its URL)
  and the actor's name, each with who, when, the model's judgement at the time and the review it
  replaced. It is never published and never rebuilt.
- the monitor database: each review applied to a stored article (`reviews`), and on the stance
  the review whose label replaced the model's (`stances.review_id`; label, score and confidence
  become the desk's: score -1, 0 or +1 and confidence 1), so every panel, query and feed that
  counts labels counts the desk's. The model's own judgement stays in `reviews.model_*`.

A review is written to the desk file first, then applied to the database (apply_reviews), with
the summaries of its publication day refreshed. A crawl applies, when it ends, every review not
yet applied (a rebuilt database, an article stored again): a review is never lost, and whoever
writes, WAL mode, the busy timeout and transactions that take the write lock first
(crawler/storage/database.py, Database) make the other wait a moment instead of failing.
"""

from dataclasses import dataclass
import functools
from pathlib import Path
import re
import secrets

import sqlite_utils
from sqlite_utils import Migrations

from crawler.storage.database import Database, utc_now, with_busy_timeout
from crawler.storage.summaries import recompute_days

LABELS = ("critical", "neutral", "supportive")
LABEL_SCORES = {"critical": -1.0, "neutral": 0.0, "supportive": 1.0}
NAME = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD = 8
MAX_NOTE = 2000
ARTICLE_KEY = "coalesce(a.canonical_url, a.url)"

desk_migrations = Migrations("csto_monitor_desk")


class ReviewError(ValueError):
    """A review or a reviewer that cannot be recorded; the message is one line saying why."""


@desk_migrations()
def desk_schema(desk: sqlite_utils.Database) -> None:
    desk["reviewers"].create({"name": str, "password_hash": str, "added": str}, pk="name")
    desk["reviews"].create(
        {"id": int, "article_key": str, "actor": str, "label": str, "note": str, "reviewer": str, "reviewed_at": str,
         "model_label": str, "model_score": float, "model_confidence": float, "previous_id": int},
        pk="id",
    )
    desk["reviews"].create_index(["article_key", "actor"])
    desk["secrets"].create({"name": str, "value": str}, pk="name")


def desk_file(db_path: str | Path) -> Path:
    """The desk file of a database: `monitor.desk.db` beside `monitor.db`."""
    path = Path(db_path)
    return path.with_name(f"{path.stem}.desk.db")


def open_desk(db_path: str | Path) -> sqlite_utils.Database:
    """The desk file of the database at `db_path` (created when missing), in WAL mode, its schema up to date."""
    desk = with_busy_timeout(Database(desk_file(db_path)))
    desk.enable_wal()
    desk_migrations.apply(desk)
    return desk


# --- reviewers -------------------------------------------------------------------------------

def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def add_reviewer(desk: sqlite_utils.Database, name: str, password: str) -> None:
    """Add a reviewer, or set a new password for one; ReviewError on a bad name or a short password."""
    if not NAME.match(name):
        raise ReviewError(f"reviewer name {name!r}: use 1 to 64 letters, digits, '.', '_', '@' or '-'")
    if len(password) < MIN_PASSWORD:
        raise ReviewError(f"the password must have at least {MIN_PASSWORD} characters")
    desk["reviewers"].upsert({"name": name, "password_hash": _hasher().hash(password), "added": utc_now()}, pk="name")


def remove_reviewer(desk: sqlite_utils.Database, name: str) -> bool:
    """Remove a reviewer (their reviews stay); False when there is none of that name."""
    if not desk.execute("select 1 from reviewers where name = ?", [name]).fetchone():
        return False
    desk.execute("delete from reviewers where name = ?", [name])
    desk.conn.commit()
    return True


def list_reviewers(desk: sqlite_utils.Database) -> list[dict]:
    return list(desk.query(
        "select r.name, r.added, (select count(*) from reviews v where v.reviewer = r.name) as reviews "
        "from reviewers r order by r.name"))


def is_reviewer(desk: sqlite_utils.Database, name: str) -> bool:
    return desk.execute("select 1 from reviewers where name = ?", [name]).fetchone() is not None


def check_password(desk: sqlite_utils.Database, name: str, password: str) -> bool:
    """Whether `password` is the reviewer's; an unknown name costs a hash check too (no timing hint)."""
    from argon2.exceptions import VerificationError

    row = desk.execute("select password_hash from reviewers where name = ?", [name]).fetchone()
    try:
        return _hasher().verify(row[0] if row else _unknown_reviewer_hash(), password) and row is not None
    except VerificationError:
        return False


@functools.cache
def _unknown_reviewer_hash() -> str:
    return _hasher().hash(secrets.token_hex(16))


def signing_secret(desk: sqlite_utils.Database) -> str:
    """The secret that signs sign-in cookies, made once, so a restarted dashboard keeps its reviewers signed in."""
    row = desk.execute("select value from secrets where name = 'datasette'").fetchone()
    if row:
        return row[0]
    value = secrets.token_hex(32)
    desk["secrets"].insert({"name": "datasette", "value": value}, ignore=True)
    return desk.execute("select value from secrets where name = 'datasette'").fetchone()[0]


# --- reviews ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Review:
    article_id: int
    actor: str
    label: str
    note: str
    reviewer: str


def record_review(db: sqlite_utils.Database, desk: sqlite_utils.Database, review: Review) -> int:
    """Write `review` to the desk file, then apply it to the database; return its id. ReviewError
    when the label is not one of LABELS or the article does not mention the actor."""
    if review.label not in LABELS:
        raise ReviewError(f"label {review.label!r} is not one of {', '.join(LABELS)}")
    if len(review.note) > MAX_NOTE:
        raise ReviewError(f"the note has {len(review.note)} characters; at most {MAX_NOTE}")
    stance = db.execute(
        f"""select {ARTICLE_KEY}, s.label, s.score, s.confidence, r.model_label, r.model_score, r.model_confidence,
                   s.review_id
            from stances s join actors ac on ac.id = s.actor_id join articles a on a.id = s.article_id
            left join reviews r on r.id = s.review_id
            where s.article_id = ? and ac.name = ?""", [review.article_id, review.actor]).fetchone()
    if stance is None:
        raise ReviewError(f"article {review.article_id} does not mention {review.actor}")
    key, label, score, confidence, reviewed_label, reviewed_score, reviewed_confidence, review_id = stance
    model = (reviewed_label, reviewed_score, reviewed_confidence) if review_id is not None else (label, score, confidence)
    previous = desk.execute("select max(id) from reviews where article_key = ? and actor = ?", [key, review.actor]).fetchone()[0]
    with desk.atomic():
        new_id = desk["reviews"].insert({
            "article_key": key, "actor": review.actor, "label": review.label, "note": review.note or None,
            "reviewer": review.reviewer, "reviewed_at": utc_now(), "model_label": model[0], "model_score": model[1],
            "model_confidence": model[2], "previous_id": previous}).last_pk
    apply_reviews(db, desk)
    return new_id


def apply_reviews(db: sqlite_utils.Database, desk: sqlite_utils.Database) -> set:
    """Apply to the database every review of the desk file not applied yet whose article and
    actor it holds, refreshing the summaries of their days; return those days. A review whose
    article is not stored (yet) waits for the crawl that stores it."""
    days = set()
    with db.atomic():  # IMMEDIATE: read what is applied only once no other writer can apply it too
        applied = {row[0] for row in db.execute("select id from reviews")}
        pending = [row for row in desk.query("select * from reviews order by id") if row["id"] not in applied]
        for review in pending:
            targets = db.execute(
                f"""select s.article_id, s.actor_id, date(a.published), s.review_id from stances s
                    join articles a on a.id = s.article_id join actors ac on ac.id = s.actor_id
                    where {ARTICLE_KEY} = ? and ac.name = ?""", [review["article_key"], review["actor"]]).fetchall()
            if not targets:
                continue
            db["reviews"].insert({
                "id": review["id"], "article_id": targets[0][0], "actor_id": targets[0][1],
                **{column: review[column] for column in ("label", "note", "reviewer", "reviewed_at", "model_label",
                                                          "model_score", "model_confidence", "previous_id")}})
            for article_id, actor_id, day, current in targets:
                if current is not None and current > review["id"]:  # a later review was applied already
                    continue
                db.execute("update stances set label = ?, score = ?, confidence = 1.0, review_id = ? "
                           "where article_id = ? and actor_id = ?",
                           [review["label"], LABEL_SCORES[review["label"]], review["id"], article_id, actor_id])
                days.add(day)
        if days:
            recompute_days(db, sorted(days, key=lambda d: d or ""))
    return days


def apply_desk_reviews(db: sqlite_utils.Database, db_path: str | Path) -> set:
    """apply_reviews from the desk file of the database at `db_path`, when it has one."""
    if not desk_file(db_path).exists():
        return set()
    desk = open_desk(db_path)
    try:
        return apply_reviews(db, desk)
    finally:
        desk.close()


def reviewed_stances(db: sqlite_utils.Database) -> list[dict]:
    """The current review of every reviewed stance, with its article, for measuring the models
    (`stance eval --reviews`) and sharing (`reviews export`); copies are left out."""
    return list(db.query(
        """select a.id as article_id, a.title, a.text, a.language, ac.name as actor, s.mentioned_as,
                  r.label, r.model_label, r.reviewer, r.reviewed_at
           from stances s join reviews r on r.id = s.review_id join articles a on a.id = s.article_id
           join actors ac on ac.id = s.actor_id
           where a.duplicate_of is null order by r.id"""))
