"""Run one crawl in this process and report what it did (used by `csto-monitor crawl` and `demo`)."""

import json
import logging
import os
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.settings import BaseSettings
from scrapy.utils.project import get_project_settings

from crawler import counters
from crawler.config import ConfigError, load_actors, load_sources, load_stance_models
from crawler.extensions.crawl_run import CrawlRun
from crawler.stages import stage_name
from crawler.storage.articles import StorageError, check_database_path, check_writable, mark_unfinished_run
from crawler.storage.database import open_database, utc_now
from crawler.storage.lock import database_lock

SUMMARY_FIELDS = ("pages_fetched", "articles_new", "duplicates", "dropped", "errors")


def project_settings(**overrides):
    """The project's settings with `overrides`; a text value (from `--set`) that does not fit the
    type of the setting's default is a ConfigError naming it."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for name, value in overrides.items():
        if value is not None:
            if isinstance(value, str):
                check_setting_value(name, value, settings.get(name))
            settings.set(name, value, priority="cmdline")
    return settings


BOOLEAN_TEXTS = {"true", "false", "1", "0"}


def default_text(default) -> str:
    return json.dumps(default.copy_to_dict()) if isinstance(default, BaseSettings) else repr(default)


def check_setting_value(name: str, value: str, default) -> None:
    """Raise ConfigError (one line) when `value` cannot be read as the type of `default`, as
    Scrapy's settings.getbool / getfloat / getdict would have to."""
    if isinstance(default, bool):
        ok, kind = value.strip().lower() in BOOLEAN_TEXTS, "True or False"
    elif isinstance(default, (int, float)):
        try:
            float(value)
            ok = True
        except ValueError:
            ok = False
        kind = "a number"
    elif isinstance(default, (dict, BaseSettings)):
        try:
            ok = isinstance(json.loads(value), dict)
        except ValueError:
            ok = False
        kind = "a JSON object"
    else:
        return
    if not ok:
        raise ConfigError(f"--set {name}={value}: {name} takes {kind} (its default is {default_text(default)})")


def run_crawl(
    sources: str, db_path: str, actors: str | None = None, since: str | None = None, refresh: bool = False,
    spider: str = "outlets", spider_args: dict | None = None, **settings_overrides
) -> dict:
    """Crawl every outlet in `sources` into `db_path`; return this run's crawl_runs row.

    The configuration files are validated first, so a mistake is reported before anything runs
    (ConfigError); then the database's lock is taken (CrawlLocked when another crawl holds it)
    and the database is checked to be writable (StorageError, also raised when it stops being
    writable during the crawl).
    """
    settings = project_settings(DB_PATH=str(db_path), SOURCES_FILE=str(sources), ACTORS_FILE=actors, **settings_overrides)
    load_sources(sources)
    load_actors(settings.get("ACTORS_FILE"))
    check_stance_models(settings)
    if settings.get("SCRAPE_ROLE") == "fetcher":  # writes no database: no lock, nothing to check
        crawler = crawl_once(settings, sources, since, refresh)
        stats = crawler.stats.get_stats()
        return {"id": None, "status": "ok" if stats.get("finish_reason") == "finished" else "failed",
                "pages_fetched": stats.get("response_received_count", 0),
                "articles_new": stats.get(counters.PUSHED, 0), "errors": stats.get(counters.ERRORS_TOTAL, 0)}
    check_database_path(db_path)
    with database_lock(db_path):
        check_writable(db_path)
        crawler = crawl_once(settings, sources, since, refresh, spider, spider_args)
        run = crawler.get_extension(CrawlRun)
        if run is not None and run.storage_failure:
            raise StorageError(run.storage_failure)
        db = open_database(db_path)
        try:
            if run is not None and run.run_id is not None:  # stopped before it could finish its row (a second Ctrl-C)
                mark_unfinished_run(db, run.run_id, utc_now())
            rows = list(db.query("select * from crawl_runs order by id desc limit 1"))
            return rows[0] if rows else {}
        finally:
            db.close()


def check_stance_models(settings) -> None:
    """When the stance stage is on: stance.yml read and the folder of each of its default-backend
    models found (ConfigError naming the entry), before anything runs; the models themselves load
    when their first article comes."""
    if "stance" not in {stage_name(path) for path in settings.getdict("ITEM_PIPELINES")}:
        return
    from stance.registry import check_model_folder

    path = settings.get("STANCE_FILE")
    for index, spec in enumerate(load_stance_models(path)):
        try:
            check_model_folder(spec, settings.get("STANCE_MODEL_DIR"))
        except FileNotFoundError as error:
            raise ConfigError(f"{path}: models[{index}]: {error}") from None


def crawl_once(settings, sources: str, since: str | None, refresh: bool, spider: str = "outlets",
               spider_args: dict | None = None):
    """Run the spider (outlets, check-outlets or archive, with `spider_args`) to its end in this
    process; return its crawler (stats)."""
    process = CrawlerProcess(settings)  # sets up logging: to LOG_FILE when there is one
    if settings.get("LOG_FILE"):
        echo_errors_to_stderr()
    crawler = process.create_crawler(spider)
    process.crawl(crawler, sources=str(sources), since=since, refresh=refresh, **(spider_args or {}))
    process.start()
    return crawler


def echo_errors_to_stderr() -> None:
    """With the log in a file, errors still reach the terminal (or cron's mail)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)


def summary_line(run: dict) -> str:
    """The run in one line (`crawl run 3 ok: ...`, `backfill run 4 ok: ...`), then one line per health
    warning and per note (an outlet's burst)."""
    counts = ", ".join(f"{field.replace('_', ' ')}: {run.get(field) or 0}" for field in SUMMARY_FIELDS)
    warnings = json.loads(run.get("warnings") or "[]")
    notes = json.loads(run.get("notes") or "[]")
    return "\n".join([f"{run.get('kind') or 'crawl'} run {run.get('id')} {run.get('status')}: {counts}", *(f"warning: {w}" for w in warnings),
                      *(f"note: {n}" for n in notes)])
