"""Stage 6: mark copies. Exact copies share a normalised-text hash; syndicated near-copies
(another headline, another first paragraph, an agency credit) are found with MinHash/LSH.

`duplicate_of` always points at the earliest copy (by published date): when a copy turns up
that was published before the stored original, it becomes the original and the stored
copies are re-pointed at it by the store stage (`supersedes_url`).
"""

import hashlib
import re

import numpy as np
from datasketch import MinHash, MinHashLSH

from crawler import counters
from crawler.storage.database import open_database
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
    """Every stored article's hash and signature, grouped by the original each copy points at."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.signatures: dict[str, MinHash] = {}
        self.by_hash: dict[str, str] = {}
        self.original_of: dict[str, str] = {}
        self.copies: dict[str, set[str]] = {}
        self.published: dict[str, str | None] = {}

    def add(self, url: str, digest: str, signature: MinHash, published: str | None, original: str) -> None:
        self.lsh.insert(url, signature)
        self.signatures[url] = signature
        self.by_hash.setdefault(digest, url)
        self.published[url] = published
        self.original_of[url] = original
        self.copies.setdefault(original, set()).add(url)

    def find_original(self, digest: str, signature: MinHash) -> str | None:
        """The original of the earliest group this text copies, or None for a new story."""
        if digest in self.by_hash:
            return self.original_of[self.by_hash[digest]]
        originals = {
            self.original_of[url]
            for url in self.lsh.query(signature)
            if self.signatures[url].jaccard(signature) >= self.threshold
        }
        if not originals:
            return None
        return min(originals, key=lambda url: (self.published[url] is None, self.published[url] or ""))

    def promote(self, new_original: str, old_original: str) -> None:
        members = self.copies.pop(old_original, set())
        for url in members:
            self.original_of[url] = new_original
        self.copies.setdefault(new_original, set()).update(members)


class DedupePipeline:
    def __init__(self, db_path: str, threshold: float, stats):
        self.db_path = db_path
        self.index = DuplicateIndex(threshold)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(settings.get("DB_PATH"), settings.getfloat("DEDUPE_THRESHOLD", defaults.DEDUPE_THRESHOLD), crawler.stats)

    def open_spider(self, spider=None):
        db = open_database(self.db_path)
        rows = db.query(
            """select a.url, a.published, a.text_hash, coalesce(o.url, a.url) as original, s.minhash
               from articles a
               left join articles o on o.id = a.duplicate_of
               join article_signatures s on s.article_id = a.id"""
        )
        for row in rows:
            self.index.add(row["url"], row["text_hash"], minhash_from_bytes(row["minhash"]), row["published"], row["original"])
        db.close()

    def process_item(self, item):
        if item.url in self.index.signatures:  # another URL of an article already seen: the store links it
            return item
        digest, signature = text_hash(item.text), minhash_of(item.text)
        item.text_hash, item.minhash = digest, signature.hashvalues.astype(np.uint64).tobytes()
        original = self.index.find_original(digest, signature)
        if original is None:
            original = item.url
        elif published_before(item.published, self.index.published[original]):
            item.supersedes_url = original
            self.index.promote(item.url, original)
            self.stats.inc_value(counters.DUPLICATES)
            original = item.url
        else:
            item.duplicate_of_url = original
            self.stats.inc_value(counters.DUPLICATES)
        self.index.add(item.url, digest, signature, item.published, original)
        return item
