"""Health warnings when a run ends, against each outlet's own earlier runs (real SQLite)."""

from crawler.config import Outlet
from crawler.storage.database import open_database
from crawler.operations.health import HealthRules, check_run

RULES = HealthRules(quiet_runs=3, max_error_rate=0.2, min_errors=5)


def database_with_history(tmp_path, yields: list[int]):
    """A database where outlet "Wire" found `yields` new articles in its earlier, finished runs."""
    db = open_database(tmp_path / "monitor.db")
    outlet_id = db["outlets"].insert({"name": "Wire", "url": "http://127.0.0.1/"}).last_pk
    for articles in yields:
        run = db["crawl_runs"].insert({"status": "ok"}).last_pk
        db["crawl_run_outlets"].insert({"crawl_run_id": run, "outlet_id": outlet_id, "articles_new": articles})
    run = db["crawl_runs"].insert({"status": "running"}).last_pk
    return db, run, {"Wire": outlet_id}


def outlet(name: str = "Wire") -> Outlet:
    return Outlet(name=name, url="http://127.0.0.1/", feeds=("http://127.0.0.1/feed",))


def test_an_outlet_that_always_yielded_and_now_yields_nothing_is_flagged(tmp_path):
    db, run, ids = database_with_history(tmp_path, [4, 2, 5])
    stats = {"outlets/Wire/discovery_ok": 1, "outlets/Wire/requests": 3}
    assert check_run(db, run, [outlet()], ids, stats, RULES) == [
        "outlet Wire: no new article, though each of its last 3 runs found some (a changed feed or site?)"]
    assert db.execute("select articles_new from crawl_run_outlets where crawl_run_id = ?", [run]).fetchone() == (0,)


def test_an_outlet_with_a_recent_empty_run_or_a_short_history_is_not_flagged(tmp_path):
    db, run, ids = database_with_history(tmp_path, [4, 0, 5])
    assert check_run(db, run, [outlet()], ids, {"outlets/Wire/discovery_ok": 1}, RULES) == []
    db, run, ids = database_with_history(tmp_path / "short", [4, 5])
    assert check_run(db, run, [outlet()], ids, {"outlets/Wire/discovery_ok": 1}, RULES) == []


def test_an_error_rate_above_the_threshold_is_flagged_for_outlet_and_run(tmp_path):
    db, run, ids = database_with_history(tmp_path, [])
    stats = {"outlets/Wire/discovery_ok": 1, "outlets/Wire/articles_new": 3, "outlets/Wire/requests": 20,
             "outlets/Wire/errors": 8, "errors/count": 8, "downloader/request_count": 22}
    warnings = check_run(db, run, [outlet()], ids, stats, RULES)
    assert warnings == ["outlet Wire: 8 of 20 requests failed (40%, more than HEALTH_MAX_ERROR_RATE 20%)",
                        "this run: 8 of 22 requests failed (36%, more than HEALTH_MAX_ERROR_RATE 20%)"]
    few = {**stats, "outlets/Wire/errors": 4, "errors/count": 4}  # a handful of dead links is normal
    assert check_run(db, run, [outlet()], ids, few, RULES) == []


def test_rules_read_their_settings_with_the_defaults_of_settings_py():
    from scrapy.settings import Settings

    from crawler import settings as defaults
    from crawler.operations.outlet_health import OutletHealthRules

    assert HealthRules.from_settings(Settings()) == HealthRules(
        defaults.HEALTH_QUIET_RUNS, defaults.HEALTH_MAX_ERROR_RATE, defaults.HEALTH_MIN_ERRORS)
    rules = OutletHealthRules.from_settings(Settings({"OUTLET_HEALTH_ALPHA": "0.05", "OUTLET_HEALTH_MIN_DAYS": "3"}))
    assert (rules.alpha, rules.min_days, rules.baseline_days) == (0.05, 3, defaults.OUTLET_HEALTH_BASELINE_DAYS)
