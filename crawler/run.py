"""Run one crawl in this process and report what it did (used by `csto-monitor crawl` and `demo`)."""

import os

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler.config import load_actors, load_sources
from crawler.database import open_database

SUMMARY_FIELDS = ("pages_fetched", "articles_new", "duplicates", "dropped", "errors")


def project_settings(**overrides):
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for name, value in overrides.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(
    sources: str, db_path: str, actors: str | None = None, since: str | None = None, refresh: bool = False, **settings_overrides
) -> dict:
    """Crawl every outlet in `sources` into `db_path`; return this run's crawl_runs row.

    The configuration files are validated first, so a mistake is reported before anything runs.
    """
    settings = project_settings(DB_PATH=str(db_path), SOURCES_FILE=str(sources), ACTORS_FILE=actors, **settings_overrides)
    load_sources(sources)
    load_actors(settings.get("ACTORS_FILE"))
    process = CrawlerProcess(settings)
    process.crawl("outlets", sources=str(sources), since=since, refresh=refresh)
    process.start()
    db = open_database(db_path)
    try:
        rows = list(db.query("select * from crawl_runs order by id desc limit 1"))
        return rows[0] if rows else {}
    finally:
        db.close()


def summary_line(run: dict) -> str:
    counts = ", ".join(f"{field.replace('_', ' ')}: {run.get(field) or 0}" for field in SUMMARY_FIELDS)
    return f"crawl run {run.get('id')} {run.get('status')}: {counts}"
