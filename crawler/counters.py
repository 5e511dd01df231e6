"""What a crawl counts per outlet, as named keys in Scrapy's stats (`outlets/NAME/KEY`), and the
check mode's per-outlet records (`check/NAME/KEY`). The spider and the stages count through
`count`; health, outlet health, the check report and the next run's cut-off read through
`outlet_stat` / `stat_key`, so a counter is spelled in one place.
"""

# per run (Scrapy's stats keys), counted by the spider and the stages, read into crawl_runs and progress
ARTICLES_STORED = "articles/new"
DUPLICATES = "articles/duplicate"
DROPPED_IRRELEVANT = "articles/dropped/irrelevant"
DROPPED_NO_TEXT = "articles/dropped/no_text"
DROPPED_OUT_OF_PERIOD = "articles/dropped/out_of_period"  # a backfill's article published outside its period
CAPTURES_FOUND = "captures/found"  # a backfill's captures (or WARC records) of articles to read
RECORDS_READ = "captures/read_from_files"  # WARC records of articles read (a backfill from files fetches nothing)
CAPTURES_SKIPPED = "captures/skipped"  # ... not read: not HTML, not status 200, or already stored
ERRORS_TOTAL = "errors/count"
PUSHED = "articles/pushed"  # a scale-out fetcher's articles handed to the writer

# per outlet, counted by the spider
REQUESTS = "requests"  # requests made (feeds, sitemaps, section pages, articles)
LISTED = "listed"  # article links that feeds, sitemaps and section pages listed
DISCOVERY_OK = "discovery_ok"  # feeds, sitemaps and section pages that answered
DISCOVERY_FAILED = "discovery_failed"  # ... that failed
FIRST_ERROR = "first_error"  # the first discovery failure, "URL: reason" (a text, not a count)
PAGES = "pages"  # article pages fetched
ERRORS = "errors"  # failed requests
TRANSIENT_FAILURES = "transient_failures"  # failures that may pass (timeouts, 5xx, 429)
BAD_ENTRIES = "bad_entries"  # listed links that could not be requested (javascript:, malformed), skipped
# per outlet, counted by the stages
NO_TEXT = "no_text"  # pages the clean stage found no article text in
IRRELEVANT = "irrelevant"  # articles without a topic keyword
ARTICLES_NEW = "articles_new"  # articles stored

# check mode (`csto-monitor check-outlets`): lists kept per outlet
CHECK_ARTICLES = "articles"  # what the stages made of each fetched article
CHECK_FAILED = "failed"  # (URL, reason) of newest articles that could not be fetched


def stat_key(outlet: str, key: str) -> str:
    """The stats key of one outlet's counter."""
    return f"outlets/{outlet}/{key}"


def count(stats, outlet: str, key: str, by: int = 1) -> None:
    """Add to one outlet's counter in a crawler's stats collector."""
    stats.inc_value(stat_key(outlet, key), by)


def outlet_stat(stats: dict, outlet: str, key: str) -> int:
    """One of a run's per-outlet counters (from a stats dict), 0 when unset."""
    return int(stats.get(stat_key(outlet, key), 0) or 0)


def first_error(stats: dict, outlet: str) -> str | None:
    return stats.get(stat_key(outlet, FIRST_ERROR))


def note_first_error(stats, outlet: str, text: str) -> None:
    """Keep the outlet's first discovery failure (a stats collector)."""
    if not stats.get_value(stat_key(outlet, FIRST_ERROR)):
        stats.set_value(stat_key(outlet, FIRST_ERROR), text)


def read_without_failure(outlet: str) -> tuple[str, tuple[str, ...]]:
    """The counter a run must have for the outlet, and those it must not have, for the run to
    count as having read the outlet completely (the next run's cut-off starts there)."""
    return stat_key(outlet, DISCOVERY_OK), tuple(stat_key(outlet, key) for key in (DISCOVERY_FAILED, TRANSIENT_FAILURES, BAD_ENTRIES))


def check_key(outlet: str, key: str) -> str:
    return f"check/{outlet}/{key}"


def append_check(stats, outlet: str, key: str, record) -> None:
    """Add a record to one of the check mode's per-outlet lists (a stats collector)."""
    name = check_key(outlet, key)
    stats.set_value(name, [*(stats.get_value(name) or []), record])


def check_records(stats: dict, outlet: str, key: str) -> list:
    return stats.get(check_key(outlet, key)) or []
