"""The names a desk does not track yet (pipelines/names.py finds them): `names`, one row per
person or organisation across languages (`key`), and `article_names`, the articles naming each
with the words and the sentence. An article is read once (`articles.names_read`).
"""

import json

import sqlite_utils


def unread(languages: list[str]) -> str:
    """The condition on `articles` of the originals in `languages` not read for names yet."""
    return f"names_read is null and duplicate_of is null and language in ({', '.join('?' * len(languages))})"


def articles_to_read(db: sqlite_utils.Database, languages: list[str], limit: int) -> list[tuple]:
    """(id, title, text, language) of the first `limit` originals not read yet."""
    return db.execute(f"select id, title, text, language from articles where {unread(languages)} order by id limit ?",
                      [*languages, limit]).fetchall()


def unread_count(db: sqlite_utils.Database, languages: list[str]) -> int:
    return db.execute(f"select count(*) from articles where {unread(languages)}", languages).fetchone()[0]


def save_names(db: sqlite_utils.Database, article_id: int, found: list) -> None:
    """The names one article gives (pipelines.names.FoundName: the fullest form becomes the name,
    every form an alias), and the article marked read, in the caller's transaction."""
    for name in found:
        row = db.execute("select id, name, aliases from names where key = ?", [name.key]).fetchone()
        if row is None:
            name_id = db["names"].insert({"key": name.key, "name": name.name, "kind": name.kind,
                                          "aliases": json.dumps(list(name.forms), ensure_ascii=False)}).last_pk
        else:
            name_id, known_as, aliases = row[0], row[1], json.loads(row[2] or "[]")
            aliases.extend(form for form in name.forms if form not in aliases)
            better = name.name if len(name.name) > len(known_as) else known_as
            db.execute("update names set name = ?, aliases = ? where id = ?",
                       [better, json.dumps(aliases, ensure_ascii=False), name_id])
        db.execute("insert or ignore into article_names (article_id, name_id, surface, sentence) values (?, ?, ?, ?)",
                   [article_id, name_id, name.surface, name.sentence])
    db.execute("update articles set names_read = 1 where id = ?", [article_id])


def forget_names(db: sqlite_utils.Database, name_ids: list[int]) -> int:
    """Remove names a desk now tracks as an actor (their rows in article_names too)."""
    if not name_ids:
        return 0
    marks = ", ".join("?" * len(name_ids))
    db.execute(f"delete from article_names where name_id in ({marks})", name_ids)
    db.execute(f"delete from names where id in ({marks})", name_ids)
    return len(name_ids)


def suggested_names(db: sqlite_utils.Database, since: str | None, limit: int) -> list[dict]:
    """The most-named untracked names since `since` (publication day), with their outlets and an
    example sentence."""
    rows = db.execute(
        """with named as (
             select an.name_id, an.article_id, an.sentence, a.outlet_id from article_names an join articles a on a.id = an.article_id
             where ? is null or date(coalesce(a.published, a.crawled_at)) >= ?)
           select n.id, n.name, n.kind, n.aliases, count(distinct m.article_id) as articles,
             count(distinct m.outlet_id) as outlets,
             (select group_concat(name, ', ') from (select distinct o.name from named x join outlets o on o.id = x.outlet_id
                where x.name_id = n.id order by o.name)) as outlet_names,
             (select x.sentence from named x where x.name_id = n.id order by x.article_id limit 1) as example
           from names n join named m on m.name_id = n.id
           group by n.id order by articles desc, outlets desc, n.name limit ?""",
        [since, since, limit]).fetchall()
    columns = ("id", "name", "kind", "aliases", "articles", "outlets", "outlet_names", "example")
    return [dict(zip(columns, row)) | {"aliases": json.loads(row[3] or "[]")} for row in rows]
