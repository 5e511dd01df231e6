"""`csto-monitor reviewers add / list / remove` and `csto-monitor reviews export`: the desk's
reviewers and their reviews (crawler/storage/reviews.py), kept in the desk file beside the database."""

import json
from pathlib import Path
import sys

import click

from crawler.cli.app import DEFAULT_DB, EXIT_CONFIG_ERROR, fail, main, require_database


def desk_of(db: str):
    """The desk file of DB, which must exist; one line and exit 1 when it cannot be opened."""
    import sqlite3

    from crawler.storage.reviews import desk_file, open_desk

    require_database(db)
    try:
        return open_desk(db)
    except sqlite3.Error as error:
        fail(f"cannot open the desk file {desk_file(db)}: {error}; make it and its folder writable")


@main.group()
def reviewers():
    """The desk's reviewers: who may sign in to the dashboard (`csto-monitor serve`) and review judgements."""


@reviewers.command("add")
@click.argument("name")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="The monitor database the reviewer reviews.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (its first line).")
def reviewers_add(name, db, password_stdin):
    """Add reviewer NAME (or give NAME a new password). The password is stored hashed (argon2) in
    the desk file beside DB, which `publish` never copies."""
    from crawler.storage.reviews import ReviewError, add_reviewer, desk_file

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    desk = desk_of(db)
    try:
        add_reviewer(desk, name, password)
    except ReviewError as error:
        fail(str(error), EXIT_CONFIG_ERROR)
    click.echo(f"reviewer {name} can sign in at /-/login of `csto-monitor serve --db {db}` (kept in {desk_file(db)})")


@reviewers.command("list")
@click.option("--db", default=DEFAULT_DB, show_default=True)
def reviewers_list(db):
    """The reviewers, when each was added, and how many reviews each made."""
    from crawler.storage.reviews import list_reviewers

    rows = list_reviewers(desk_of(db))
    if not rows:
        click.echo(f"no reviewers yet: add one with `csto-monitor reviewers add NAME --db {db} --password-stdin`")
    for row in rows:
        click.echo(f"{row['name']}\tadded {row['added']}\t{row['reviews']} reviews")


@reviewers.command("remove")
@click.argument("name")
@click.option("--db", default=DEFAULT_DB, show_default=True)
def reviewers_remove(name, db):
    """Remove reviewer NAME: they can no longer sign in or review; their reviews stay."""
    from crawler.storage.reviews import remove_reviewer

    if not remove_reviewer(desk_of(db), name):
        fail(f"no reviewer is named {name}; `csto-monitor reviewers list --db {db}` lists them")
    click.echo(f"reviewer {name} removed (their reviews stay)")


@main.group()
def reviews():
    """The desk's reviews of stance judgements."""


@reviews.command("export")
@click.option("--db", default=DEFAULT_DB, show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="JSON-lines file to write.")
@click.option("--with-reviewers", is_flag=True, help="Keep who made each review (left out by default).")
def reviews_export(db, out, with_reviewers):
    """Write the current review of every reviewed stance as labelled articles, in the format
    `stance eval --articles` and `stance fit-combination --articles` read (title, text, target,
    aliases, label, language): to measure a model on them or share them with another desk."""
    from crawler.storage.database import open_database

    require_database(db)
    records = review_records(open_database(db), with_reviewers)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    partial.replace(target)
    click.echo(f"{len(records)} reviewed judgements written to {out}")


def review_records(db, with_reviewers: bool = False) -> list[dict]:
    """The reviewed stances of `db` as labelled-article records (lab/articles.py's JSON lines):
    the target's aliases are the words the article names it by, then actors.yml's."""
    from crawler.config import DEFAULT_ACTORS_FILE, load_actors
    from crawler.storage.reviews import reviewed_stances

    aliases = {actor.name: actor.aliases for actor in load_actors(DEFAULT_ACTORS_FILE).actors}
    records = []
    for row in reviewed_stances(db):
        named = json.loads(row["mentioned_as"] or "[]")
        record = {"title": row["title"] or "", "text": row["text"] or "", "target": row["actor"],
                  "aliases": list(dict.fromkeys([*named, row["actor"], *aliases.get(row["actor"], ())])),
                  "label": row["label"], "language": row["language"] or "und", "model_label": row["model_label"],
                  "article_id": row["article_id"]}
        if with_reviewers:
            record["reviewer"] = row["reviewer"]
        records.append(record)
    return records
