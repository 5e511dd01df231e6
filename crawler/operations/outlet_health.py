"""Per-outlet volume and extraction alerts after each crawl, stored in `outlet_health`.

Volume: the outlet's stored articles on the judged day (a publication day, UTC; by default the
last whole day before the run started) against its own baseline, the mean of the
OUTLET_HEALTH_BASELINE_DAYS (28) days before it (only days since its first stored article; at
least OUTLET_HEALTH_MIN_DAYS of them, else the outlet is still `learning`). Day counts are
treated as Poisson counts around that mean:

- `low`: so few articles (zero included) that a day like it happens by chance less than once in
  1 / OUTLET_HEALTH_ALPHA days (P(X <= count) < alpha);
- `high`: a burst: P(X >= count) < alpha and at least twice the usual volume.

Extraction (a template change), from this run's article pages of the outlet, once at least
OUTLET_HEALTH_MIN_PAGES were fetched:

- more than half of them gave no article text; or
- the share of pages kept fell below half its usual share (earlier runs of the baseline period);
- or the median length of the texts stored fell below half the usual median (the outlet's
  articles stored in the baseline period before this run).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
import math
import statistics

from crawler import counters, settings as defaults
from crawler.rules import rules_from_settings

TABLE = "outlet_health"


@dataclass(frozen=True)
class OutletHealthRules:
    """The thresholds (settings OUTLET_HEALTH_BASELINE_DAYS, ...); defaults are the settings'."""

    baseline_days: int = defaults.OUTLET_HEALTH_BASELINE_DAYS
    min_days: int = defaults.OUTLET_HEALTH_MIN_DAYS
    alpha: float = defaults.OUTLET_HEALTH_ALPHA
    min_pages: int = defaults.OUTLET_HEALTH_MIN_PAGES

    @classmethod
    def from_settings(cls, settings) -> "OutletHealthRules":
        return rules_from_settings(cls, settings, "OUTLET_HEALTH_")


def judged_day(run_started: str, setting: str | None = None) -> str:
    """The publication day a run judges: OUTLET_HEALTH_DAY when set, else the day before the run."""
    if setting:
        return date.fromisoformat(str(setting)[:10]).isoformat()
    return (datetime.fromisoformat(run_started).date() - timedelta(days=1)).isoformat()


def poisson_cdf(count: int, mean: float) -> float:
    """P(X <= count) for X ~ Poisson(mean)."""
    term = total = math.exp(-mean)
    for k in range(1, count + 1):
        term *= mean / k
        total += term
    return min(total, 1.0)


def volume_flags(count: int, mean: float, alpha: float) -> tuple[bool, bool]:
    """(low, high) for `count` articles in a day against a usual `mean` a day."""
    low = poisson_cdf(count, mean) < alpha
    high = count >= 2 * mean and (1 - poisson_cdf(count - 1, mean) if count else 1.0) < alpha
    return low, high


def day_counts(db, outlet_id: int, first: str, last: str) -> dict[str, int]:
    """Stored articles of the outlet per publication day (crawl day for undated ones), first..last."""
    return dict(db.execute(
        "select date(coalesce(published, crawled_at)) as day, count(*) from articles "
        "where outlet_id = ? and date(coalesce(published, crawled_at)) between ? and ? group by day",
        [outlet_id, first, last]).fetchall())


def volume(db, outlet_id: int, day: str, rules: OutletHealthRules) -> dict:
    judged = date.fromisoformat(day)
    window_start = (judged - timedelta(days=rules.baseline_days)).isoformat()
    counts = day_counts(db, outlet_id, window_start, day)
    first = db.execute("select min(date(coalesce(published, crawled_at))) from articles where outlet_id = ?",
                       [outlet_id]).fetchone()[0]
    start = max(window_start, first or day)
    days = (judged - date.fromisoformat(start)).days
    baseline = sum(n for d, n in counts.items() if start <= d < day)
    return {"articles": counts.get(day, 0), "baseline_days": days, "baseline_mean": round(baseline / days, 3) if days else None}


def text_lengths(db, where: str, params: list) -> list[int]:
    return [row[0] for row in db.execute(f"select length(text) from articles where {where}", params)]


def median(lengths: list[int]) -> int | None:
    return int(statistics.median(lengths)) if lengths else None


def extraction(db, run_id: int, outlet_id: int, counts: dict, started: str, rules: OutletHealthRules) -> dict:
    pages, no_text, kept = counts["pages"], counts["no_text"], counts["kept"]
    since = (datetime.fromisoformat(started) - timedelta(days=rules.baseline_days)).isoformat(timespec="seconds")
    earlier = db.execute(
        f"select sum(pages), sum(kept) from {TABLE} h join crawl_runs r on r.id = h.crawl_run_id "
        "where h.outlet_id = ? and h.crawl_run_id < ? and r.started >= ?", [outlet_id, run_id, since]).fetchone()
    new_texts = text_lengths(db, "outlet_id = ? and crawl_run_id = ?", [outlet_id, run_id])
    result = {
        "pages": pages, "kept": kept, "no_text": no_text, "median_chars": median(new_texts),
        "baseline_median_chars": median(text_lengths(db, "outlet_id = ? and crawl_run_id < ? and crawled_at >= ?",
                                                     [outlet_id, run_id, since])),
    }
    reasons = []
    if pages >= rules.min_pages:
        if no_text > pages / 2:
            reasons.append(f"{no_text} of {pages} pages gave no article text")
        usual_pages, usual_kept = earlier if earlier and earlier[0] else (0, 0)
        if usual_pages >= rules.min_pages and usual_kept and kept / pages < 0.5 * usual_kept / usual_pages:
            reasons.append(f"{kept} of {pages} pages kept, usually {usual_kept / usual_pages:.0%}")
    now, usual = result["median_chars"], result["baseline_median_chars"]
    if len(new_texts) >= 3 and usual and now < 0.5 * usual:
        reasons.append(f"texts much shorter (median {now} characters, usually {usual})")
    result["extraction_reasons"] = reasons
    return result


def assess_outlets(db, run_id: int, started: str, outlets, outlet_ids: dict[str, int], stats: dict,
                   rules: OutletHealthRules, day: str | None = None) -> list[dict]:
    """Judge every outlet for this run, store the rows in outlet_health and return them."""
    day = judged_day(started, day)
    rows = []
    for outlet in outlets:
        outlet_id = outlet_ids[outlet.name]
        pages, no_text, irrelevant = (counters.outlet_stat(stats, outlet.name, key)
                                       for key in (counters.PAGES, counters.NO_TEXT, counters.IRRELEVANT))
        counts = {"pages": pages, "no_text": no_text, "kept": pages - no_text - irrelevant}
        row = {"crawl_run_id": run_id, "outlet_id": outlet_id, "day": day, **volume(db, outlet_id, day, rules)}
        found = extraction(db, run_id, outlet_id, counts, started, rules)
        reasons = found.pop("extraction_reasons")
        row.update(found)
        mean = row["baseline_mean"]
        learning = row["baseline_days"] < rules.min_days or mean is None
        low, high = (False, False) if learning else volume_flags(row["articles"], mean, rules.alpha)
        row.update(low=int(low), high=int(high), extraction=int(bool(reasons)))
        notes = []
        if low:
            notes.append(f"low volume: {row['articles']} articles on {day}, usually {mean:.1f} a day")
        if high:
            notes.append(f"burst: {row['articles']} articles on {day}, usually {mean:.1f} a day")
        if reasons:
            notes.append("extraction: " + "; ".join(reasons) + " (a template change?)")
        row["status"] = "flagged" if notes else ("learning" if learning else "ok")
        row["note"] = f"outlet {outlet.name}: " + "; ".join(notes) if notes else None
        rows.append(row)
    db[TABLE].insert_all(rows, pk=("crawl_run_id", "outlet_id"), replace=True)
    return rows


def alert_lines(rows: list[dict]) -> tuple[list[str], list[str]]:
    """(warnings, notes): low volume and extraction problems are warnings (the run is partial);
    a burst is news, not a fault: a note."""
    warnings = [row["note"] for row in rows if row["low"] or row["extraction"]]
    notes = [row["note"] for row in rows if row["high"] and not (row["low"] or row["extraction"])]
    return warnings, notes
