"""The one item the crawl produces: an article, filled in stage by stage by the pipelines."""

from dataclasses import dataclass, field


@dataclass
class ArticleItem:
    # set by the spider
    url: str  # the article's identity: its declared canonical URL on the same site, else the fetched URL, normalised
    outlet: str
    html: str | None = None
    canonical_url: str | None = None  # as the page declares it (rel=canonical or og:url)
    fetched_urls: list[str] = field(default_factory=list)  # every URL that led to the page (redirects included)
    crawled_at: str | None = None
    # set by the archive spider (a backfill): where the page came from, and the period asked for
    source: str | None = None  # the web archive's URL or the WARC file's name; None when crawled
    capture_url: str | None = None
    captured_at: str | None = None
    period: tuple[str, str] | None = None  # (from, until) publication days, YYYY-MM-DD
    # pipelines/clean.py
    title: str | None = None
    author: str | None = None
    published: str | None = None
    text: str = ""
    # pipelines/relevance.py
    matched_terms: list[str] = field(default_factory=list)
    # pipelines/language.py
    language: str = "und"
    language_prob: float = 0.0
    # pipelines/actors.py: actor name -> stance.Mention list
    mentions: dict = field(default_factory=dict)
    # pipelines/stance.py: one dict per actor (actor, label, score, confidence, mentions, evidence, model)
    stances: list[dict] = field(default_factory=list)
    # pipelines/dedupe.py
    text_hash: str | None = None
    minhash: bytes | None = None
    band_keys: list[int] = field(default_factory=list)  # its LSH bands, crawler/storage/signatures.py
    duplicate_of_url: str | None = None  # the earliest copy already stored
    supersedes_url: str | None = None  # a stored copy that this earlier one replaces as the original
