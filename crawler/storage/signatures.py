"""The duplicate index on disk: each stored article's MinHash signature cut into LSH bands, one
row per band in `article_bands` (key: a 64-bit hash of the band's number and values). Two texts
whose signatures agree on all rows of one band are candidates; the dedupe stage then compares
their whole signatures. Looking candidates up in SQLite keeps a crawl's memory flat however many
articles the database holds (pipelines/dedupe.py).

The banding (how many bands of how many rows) follows from the dedupe threshold, and is recorded
in `article_bands_layout`: when the threshold changes, the keys are computed again from
`article_signatures`, as they are for any stored article without keys (a database written before
the index existed, or articles stored by a bulk load).
"""

import hashlib
import logging

import numpy as np
import sqlite_utils

logger = logging.getLogger(__name__)

REBUILD_CHUNK = 2000


def band_keys(hashvalues: np.ndarray, bands: int, rows: int) -> list[int]:
    """The signed 64-bit key of each band of a signature."""
    values = np.asarray(hashvalues, dtype=np.uint64)
    return [
        int.from_bytes(hashlib.blake2b(band.to_bytes(2, "little") + values[band * rows : (band + 1) * rows].tobytes(),
                                       digest_size=8).digest(), "little", signed=True)
        for band in range(bands)
    ]


def store_band_keys(db: sqlite_utils.Database, article_id: int, keys: list[int]) -> None:
    db.conn.executemany("insert into article_bands (key, article_id) values (?, ?)", [(key, article_id) for key in keys])


def candidate_signatures(db: sqlite_utils.Database, keys: list[int]) -> list[tuple[int, bytes]]:
    """(article id, signature bytes) of every stored article sharing at least one band key."""
    marks = ", ".join("?" * len(keys))
    return db.execute(
        f"""select s.article_id, s.minhash from article_signatures s
            where s.article_id in (select article_id from article_bands where key in ({marks}))""",
        keys,
    ).fetchall()


def ensure_band_index(db: sqlite_utils.Database, bands: int, rows: int) -> int:
    """Make `article_bands` hold the keys of every stored signature for this banding; returns how
    many articles were (re)indexed."""
    layout = db.execute("select bands, rows from article_bands_layout").fetchone()
    if layout != (bands, rows):
        with db.atomic():
            db.execute("delete from article_bands")
            db.execute("delete from article_bands_layout")
            db.execute("insert into article_bands_layout (bands, rows) values (?, ?)", [bands, rows])
    indexed = 0
    while True:
        missing = db.execute(
            """select article_id, minhash from article_signatures
               where article_id not in (select article_id from article_bands) limit ?""",
            [REBUILD_CHUNK],
        ).fetchall()
        if not missing:
            break
        with db.atomic():
            for article_id, minhash in missing:
                store_band_keys(db, article_id, band_keys(np.frombuffer(minhash, dtype=np.uint64), bands, rows))
        indexed += len(missing)
        logger.info("duplicate index: %d stored articles indexed", indexed)
    return indexed
