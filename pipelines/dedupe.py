"""Stage 6: mark copies. Exact copies share a normalised-text hash; syndicated near-copies
(another headline, another first paragraph, an agency credit) are found with MinHash/LSH.

`duplicate_of` always points at the earliest copy (by published date): when a copy turns up
that was published before the stored original, it becomes the original and the stored
copies are re-pointed at it by the store stage (`supersedes_url`).

The index lives in the database (crawler/storage/signatures.py), so memory stays flat over a
backfill of years, and every item sees the copies the store stage committed before it.
"""

import hashlib
import re

import numpy as np
from datasketch import MinHash, MinHashLSH

from crawler import counters
from crawler.storage.database import open_database
from crawler.storage.signatures import band_keys, candidate_signatures, ensure_band_index
from crawler import settings as defaults

NUM_PERM = 128
SHINGLE_WORDS = 5
SCHEME = "affine32"  # datasketch's permutation scheme; stored signatures must all share it


def normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def text_hash(text: str) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()


def minhash_of(text: str) -> MinHash:
    words = normalise(text).split()
    signature = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    signature.update_batch([s.encode("utf-8") for s in shingles])
    return signature


def minhash_from_bytes(data: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, hashvalues=np.frombuffer(data, dtype=np.uint64), scheme=SCHEME)


def published_before(a: str | None, b: str | None) -> bool:
    """True when `a` is known to be earlier than `b` (an unknown date is never earlier)."""
    return bool(a) and (not b or a < b)


class DuplicateIndex:
    """Every stored article's hash and signature, looked up in the database: the LSH bands in
    `article_bands` (crawler/storage/signatures.py), the text hash in `articles`. Nothing grows in
    memory with the database; what the store stage commits is found by the next item."""

    def __init__(self, db, threshold: float):
        self.db = db
        self.threshold = threshold
        layout = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.bands, self.rows = layout.b, layout.r

    def prepare(self) -> int:
        """Index the stored signatures not indexed yet (all of them when the threshold changed)."""
        return ensure_band_index(self.db, self.bands, self.rows)

    def band_keys(self, signature: MinHash) -> list[int]:
        return band_keys(signature.hashvalues, self.bands, self.rows)

    def is_stored(self, url: str) -> bool:
        return self.db.execute("select 1 from articles where url = ?", [url]).fetchone() is not None

    def find_original(self, digest: str, signature: MinHash) -> tuple[str, str | None] | None:
        """(URL, published) of the original of the earliest group this text copies, or None for a
        new story."""
        exact = self.db.execute(
            "select coalesce(duplicate_of, id) from articles where text_hash = ? order by id limit 1", [digest]
        ).fetchone()
        if exact:
            originals = [exact[0]]
        else:
            similar = [
                article_id
                for article_id, stored in candidate_signatures(self.db, self.band_keys(signature))
                if np.mean(np.frombuffer(stored, dtype=np.uint64) == signature.hashvalues) >= self.threshold
            ]
            if not similar:
                return None
            marks = ", ".join("?" * len(similar))
            originals = [row[0] for row in self.db.execute(
                f"select distinct coalesce(duplicate_of, id) from articles where id in ({marks})", similar)]
        marks = ", ".join("?" * len(originals))
        rows = self.db.execute(f"select url, published from articles where id in ({marks})", originals).fetchall()
        return min(rows, key=lambda row: (row[1] is None, row[1] or "")) if rows else None


class DedupePipeline:
    def __init__(self, db_path: str, threshold: float, stats):
        self.db_path = db_path
        self.threshold = threshold
        self.stats = stats
        self.index = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(settings.get("DB_PATH"), settings.getfloat("DEDUPE_THRESHOLD", defaults.DEDUPE_THRESHOLD), crawler.stats)

    def open_spider(self, spider=None):
        self.index = DuplicateIndex(open_database(self.db_path), self.threshold)
        self.index.prepare()

    def close_spider(self, spider=None):
        if self.index is not None:
            self.index.db.close()

    def process_item(self, item):
        if self.index.is_stored(item.url):  # another URL of an article already stored: the store links it
            return item
        digest, signature = text_hash(item.text), minhash_of(item.text)
        item.text_hash, item.minhash = digest, signature.hashvalues.astype(np.uint64).tobytes()
        item.band_keys = self.index.band_keys(signature)
        found = self.index.find_original(digest, signature)
        if found is None:
            return item
        original_url, original_published = found
        if published_before(item.published, original_published):
            item.supersedes_url = original_url
        else:
            item.duplicate_of_url = original_url
        self.stats.inc_value(counters.DUPLICATES)
        return item
