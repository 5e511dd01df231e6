"""Writing one article with its stances and signature: the single place rows enter `articles`,
`stances` and `article_signatures`, used by the store stage and by benchmarks/dashboard.py.

The caller holds the transaction (`with db.atomic():`), so a crawl can write one article per
transaction and a bulk load thousands.
"""

import json

import sqlite_utils


def store_article(
    db: sqlite_utils.Database,
    article: dict,
    stances: list[dict],
    minhash: bytes | None = None,
    supersedes_id: int | None = None,
) -> int:
    """Insert `article` (a row of `articles`) with its `stances` (rows of `stances` without
    article_id; `evidence` a list of sentences) and return its id. `supersedes_id`: an older
    stored copy of the same story that this earlier-published one replaces as the original."""
    article_id = db["articles"].insert(article).last_pk
    if supersedes_id is not None:
        db.execute(
            "update articles set duplicate_of = ? where id = ? or duplicate_of = ?",
            [article_id, supersedes_id, supersedes_id],
        )
    if minhash:
        db["article_signatures"].insert({"article_id": article_id, "minhash": minhash})
    db["stances"].insert_all(
        (
            {**stance, "article_id": article_id, "evidence": json.dumps(stance["evidence"], ensure_ascii=False)}
            for stance in stances
        ),
        replace=True,
    )
    return article_id
