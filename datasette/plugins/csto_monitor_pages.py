"""Datasette plugin: the pages a desk reads around the tables.

- An article's row page (template datasette/templates/row.html) shows the article as a reader
  wants it: title, outlet by name, date, language, author, the original link; per actor its
  label, score, confidence and evidence sentences; the text with the actors' mentions
  highlighted (the words stored in `stances.mentioned_as`); its copies or its original.
  A label the desk reviewed (crawler/storage/reviews.py) is marked so, with who, when, the
  note and what the model had said; a signed-in reviewer gets a form per actor
  (datasette/plugins/csto_monitor_reviews.py).
- A stance's row page is titled by actor and article instead of bare ids.
- A story's row page shows its reports as a timeline (outlet, group, language) and how each
  outlet portrayed each actor within the story, with evidence.
- Evidence (a JSON list of sentences) is shown as a list wherever a table or query shows it.
- A canned query's form says what is wrong with a value that can match nothing (an unknown actor,
  outlet or language, a date not written YYYY-MM-DD, an unknown label) instead of an empty result alone;
  actor and outlet names match whatever their case (the queries compare with `collate nocase`).
Copied beside a published database by `csto-monitor publish`, like the feeds plugin.
"""

from datetime import date
import json
import re

from datasette import hookimpl
from datasette.utils import tilde_decode
from markupsafe import Markup, escape


def json_list(value) -> list | None:
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else None


def as_list(items: list) -> Markup:
    return Markup('<ul class="evidence">' + "".join(f"<li>{escape(str(item))}</li>" for item in items) + "</ul>")


PASSAGE_START, PASSAGE_END = "\x02", "\x03"  # the search query's snippet() markers around each matched word


@hookimpl
def render_cell(value, column):
    if column == "passage" and isinstance(value, str) and PASSAGE_START in value:
        marked = str(escape(value)).replace(PASSAGE_START, "<mark>").replace(PASSAGE_END, "</mark>")
        return Markup(marked)
    if column in ("evidence", "mentioned_as", "matched_terms"):
        items = json_list(value)
        if items is not None:
            return as_list(items) if column == "evidence" else ", ".join(str(item) for item in items)
    return None


def highlighted(text: str, forms: dict[str, str]) -> list[Markup]:
    """The text's paragraphs as HTML, each word in `forms` (word -> actor) marked with its actor."""
    words = sorted(forms, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)") if words else None
    paragraphs = []
    for paragraph in (text or "").split("\n"):
        if not paragraph.strip():
            continue
        if pattern is None:
            paragraphs.append(Markup(escape(paragraph)))
            continue
        parts, last = [], 0
        for match in pattern.finditer(paragraph):
            parts.append(escape(paragraph[last:match.start()]))
            parts.append(Markup('<mark title="{}">{}</mark>').format(forms[match.group(1)], match.group(1)))
            last = match.end()
        parts.append(escape(paragraph[last:]))
        paragraphs.append(Markup("").join(parts))
    return paragraphs


async def article_page(db, article_id: str) -> dict | None:
    rows = (await db.execute(
        """select a.*, o.name as outlet, original.title as original_title
           from articles a left join outlets o on o.id = a.outlet_id
           left join articles original on original.id = a.duplicate_of where a.id = ?""", [article_id])).rows
    if not rows:
        return None
    article = dict(rows[0])
    stances = [dict(r) for r in (await db.execute(
        """select s.*, ac.name as actor, r.model_label, r.model_score, r.reviewer, r.reviewed_at, r.note as review_note
           from stances s join actors ac on ac.id = s.actor_id left join reviews r on r.id = s.review_id
           where s.article_id = ? order by s.label is null, abs(coalesce(s.score, 0)) desc, ac.name""",
        [article_id])).rows]
    forms = {}
    for stance in stances:
        stance["evidence"] = json_list(stance.get("evidence")) or []
        for word in json_list(stance.get("mentioned_as")) or []:
            forms.setdefault(word, stance["actor"])
    copies = [dict(r) for r in (await db.execute(
        """select c.id, c.title, c.url, o.name as outlet from articles c left join outlets o on o.id = c.outlet_id
           where c.duplicate_of = ? order by c.id""", [article_id])).rows]
    return {"article": article, "stances": stances, "copies": copies,
            "paragraphs": highlighted(article.get("text") or "", forms)}


async def story_page(db, story_id: str) -> dict | None:
    rows = (await db.execute("select * from stories where id = ?", [story_id])).rows
    if not rows:
        return None
    story = dict(rows[0])
    story["languages"] = json_list(story.get("languages")) or []
    reports = [dict(r) for r in (await db.execute(
        """select a.id, a.title, a.url, a.published, a.language, a.duplicate_of, o.name as outlet, o.outlet_group
           from articles a left join outlets o on o.id = a.outlet_id where a.story_id = ?
           order by a.published, a.id""", [story_id])).rows]
    cells = {}
    for row in (await db.execute(
            """select o.name as outlet, ac.name as actor, s.label, s.score, s.evidence, s.review_id, a.id as article_id
               from articles a join stances s on s.article_id = a.id join actors ac on ac.id = s.actor_id
               join outlets o on o.id = a.outlet_id
               where a.story_id = ? and a.duplicate_of is null order by abs(coalesce(s.score, 0)) desc""", [story_id])).rows:
        cell = cells.setdefault((row["outlet"], row["actor"]), {"scores": [], "labels": [], "evidence": None, "reviewed": 0,
                                                              "article_id": row["article_id"]})
        cell["reviewed"] += row["review_id"] is not None
        if row["score"] is not None:
            cell["scores"].append(row["score"])
        cell["labels"].append(row["label"] or "not judged")
        if cell["evidence"] is None:
            cell["evidence"] = (json_list(row["evidence"]) or [None])[0]
    outlets = sorted({outlet for outlet, _ in cells})
    actors = sorted({actor for _, actor in cells}, key=lambda a: (-sum(1 for o in outlets if (o, a) in cells), a))
    for cell in cells.values():
        cell["mean"] = sum(cell["scores"]) / len(cell["scores"]) if cell["scores"] else None
        cell["label"] = max(set(cell["labels"]), key=cell["labels"].count)
    return {"story": story, "reports": reports, "outlets": outlets, "actors": actors,
            "cells": {f"{o}\t{a}": c for (o, a), c in cells.items()}}


async def stance_page(db, keys: list[str]) -> dict | None:
    if len(keys) != 2:
        return None
    rows = (await db.execute(
        """select ac.name as actor, a.title, a.id as article_id from stances s join actors ac on ac.id = s.actor_id
           join articles a on a.id = s.article_id where s.article_id = ? and s.actor_id = ?""", keys)).rows
    return dict(rows[0]) if rows else None


NAMED = {"actor": "actors", "outlet": "outlets"}  # parameter -> the table whose names it must match
DATES = ("since", "until")
LABELS = ("critical", "neutral", "supportive")


async def parameter_problems(db, args) -> list[str]:
    """One sentence per canned-query parameter whose value can match nothing."""
    problems = []
    for parameter, table in NAMED.items():
        value = (args.get(parameter) or "").strip()
        if value and not (await db.execute(f"select 1 from {table} where name = ? collate nocase", [value])).rows:
            known = [row[0] for row in (await db.execute(f"select name from {table} order by name")).rows]
            problems.append(f"No {parameter} is named “{value}”: known {table} are {', '.join(known)}.")
    for parameter in DATES:
        value = (args.get(parameter) or "").strip()
        if value:
            try:
                date.fromisoformat(value)
                valid = len(value) == 10
            except ValueError:
                valid = False
            if not valid:
                problems.append(f"{parameter} must be a date written YYYY-MM-DD (for example 2026-04-01), not “{value}”.")
    language = (args.get("language") or "").strip()
    if language and not (await db.execute("select 1 from articles where language = lower(?) limit 1", [language])).rows:
        known = [row[0] for row in (await db.execute(
            "select distinct language from articles where language is not null order by language")).rows]
        problems.append(f"No article is in the language “{language}”: languages are written as ISO 639-1 codes, "
                        f"and the stored ones are {', '.join(known) or 'none yet'}.")
    label = (args.get("label") or "").strip()
    if label and label.lower() not in LABELS:
        problems.append(f"label must be one of {', '.join(LABELS)} (or empty for all), not “{label}”.")
    return problems


@hookimpl
def extra_template_vars(template, view_name, table, database, request, datasette):
    if template and template.startswith("query") and request is not None and database:
        async def query_vars():
            return {"parameter_problems": await parameter_problems(datasette.get_database(database), request.args)}

        return query_vars
    if view_name != "row" or table not in ("articles", "stances", "stories") or request is None:
        return {}

    async def page_vars():
        keys = [tilde_decode(key) for key in request.url_vars.get("pks", "").split(",")]
        db = datasette.get_database(database)
        if table == "articles":
            return {"article_page": await article_page(db, keys[0])}
        if table == "stories":
            return {"story_page": await story_page(db, keys[0])}
        return {"stance_page": await stance_page(db, keys)}

    return page_vars
