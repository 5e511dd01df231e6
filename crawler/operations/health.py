"""Health checks when a run ends: what each outlet yielded, and the warnings a desk must see.

Read from Scrapy's stats (the spider and the store stage count per outlet), stored per run and
outlet in `crawl_run_outlets`, and compared with the outlet's earlier runs:

- an outlet none of whose feeds, sitemaps or section pages could be read (with the first error);
- an outlet that found new articles in each of its last HEALTH_QUIET_RUNS runs and none now;
- an error rate above HEALTH_MAX_ERROR_RATE, for the run and per outlet, once at least
  HEALTH_MIN_ERRORS requests failed (a handful of dead links is normal).
"""

from dataclasses import dataclass

from crawler import counters, settings as defaults
from crawler.rules import rules_from_settings


@dataclass(frozen=True)
class HealthRules:
    """The thresholds (settings HEALTH_QUIET_RUNS, ...); defaults are the settings'."""

    quiet_runs: int = defaults.HEALTH_QUIET_RUNS
    max_error_rate: float = defaults.HEALTH_MAX_ERROR_RATE
    min_errors: int = defaults.HEALTH_MIN_ERRORS

    @classmethod
    def from_settings(cls, settings) -> "HealthRules":
        return rules_from_settings(cls, settings, "HEALTH_")


def outlet_counts(stats: dict, name: str) -> dict:
    """This run's counters for one outlet."""
    def count(key: str) -> int:
        return counters.outlet_stat(stats, name, key)

    return {"requests": count(counters.REQUESTS), "pages_fetched": count(counters.PAGES),
            "articles_new": count(counters.ARTICLES_NEW), "errors": count(counters.ERRORS),
            "discovery_failed": count(counters.DISCOVERY_FAILED), "discovery_ok": count(counters.DISCOVERY_OK)}


def error_rate_warning(subject: str, errors: int, requests: int, rules: HealthRules) -> str | None:
    rate = errors / max(requests, errors, 1)
    if errors >= rules.min_errors and rate > rules.max_error_rate:
        return (f"{subject}: {errors} of {max(requests, errors)} requests failed ({rate:.0%}, "
                f"more than HEALTH_MAX_ERROR_RATE {rules.max_error_rate:.0%})")
    return None


def recent_yields(db, outlet_id: int, before_run: int, runs: int) -> list[int]:
    """New articles of the outlet in its last `runs` finished runs before this one, newest first."""
    return [row[0] for row in db.execute(
        "select o.articles_new from crawl_run_outlets o join crawl_runs r on r.id = o.crawl_run_id "
        "where o.outlet_id = ? and o.crawl_run_id < ? and r.status in ('ok', 'partial') "
        "order by o.crawl_run_id desc limit ?", [outlet_id, before_run, runs])]


def check_run(db, run_id: int, outlets, outlet_ids: dict[str, int], stats: dict, rules: HealthRules,
              sources_file: str = "the sources file", quiet_check: bool = True) -> list[str]:
    """Store this run's per-outlet counts and return its warnings, one line each (`quiet_check`
    off: no warning for an outlet without new articles, as for a backfill run again)."""
    warnings = []
    rows = []
    for outlet in outlets:
        counts = outlet_counts(stats, outlet.name)
        rows.append({"crawl_run_id": run_id, "outlet_id": outlet_ids[outlet.name],
                     **{key: counts[key] for key in ("pages_fetched", "articles_new", "errors", "discovery_failed")}})
        if counts["discovery_failed"] and not counts["discovery_ok"]:
            first = counters.first_error(stats, outlet.name) or "no readable answer"
            warnings.append(f"outlet {outlet.name}: no feed, sitemap or section page could be read ({first}); "
                            f"check its URLs in {sources_file}, or whether the site is down")
            continue
        earlier = recent_yields(db, outlet_ids[outlet.name], run_id, rules.quiet_runs)
        if quiet_check and counts["articles_new"] == 0 and len(earlier) == rules.quiet_runs and all(earlier):
            warnings.append(f"outlet {outlet.name}: no new article, though each of its last {rules.quiet_runs} "
                            "runs found some (a changed feed or site?)")
        warning = error_rate_warning(f"outlet {outlet.name}", counts["errors"], counts["requests"], rules)
        if warning:
            warnings.append(warning)
    warning = error_rate_warning("this run", int(stats.get(counters.ERRORS_TOTAL, 0) or 0),
                                 int(stats.get("downloader/request_count", 0) or 0), rules)
    if warning:
        warnings.append(warning)
    db["crawl_run_outlets"].insert_all(rows, pk=("crawl_run_id", "outlet_id"), replace=True)
    return warnings
