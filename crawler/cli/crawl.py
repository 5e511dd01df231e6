"""`csto-monitor crawl`, `check-outlets`, `extract` and `stories`: the crawl and its stages, from the command line."""

import json
from pathlib import Path
import sys

import click

from crawler.cli.app import (DEFAULT_DB, EXIT_CODES, EXIT_CONFIG_ERROR, EXIT_FAILED, EXIT_LOCKED, fail, main, parse_overrides,
                              require_database)
from crawler.config import DEFAULT_SOURCES_FILE, ConfigError


@main.command()
@click.option("--sources", default=str(DEFAULT_SOURCES_FILE), show_default=True, help="YAML file listing the outlets to crawl.")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database to write (made when missing); its folder must exist, except the default's.")
@click.option("--actors", default=None, help="YAML file of actors and topic keywords (default: the project's actors.yml).")
@click.option("--since", default=None, help="Skip feed and sitemap entries dated before this day (YYYY-MM-DD). Default: per outlet, the start of the last run that read it without a failure.")
@click.option("--refresh", is_flag=True, help="Fetch again pages already fetched, ignoring stored ETags and dates.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting, as `scrapy -s` does (repeatable).")
@click.option("--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.option("--log-file", default=None, metavar="PATH",
              help="Write the log there instead of the terminal (strftime fields such as %Y-%m-%d give a file per run); errors still reach stderr.")
@click.option("--progress/--no-progress", default=None, help="A line of counts every 2 s on stderr. Default: on when stderr is a terminal.")
@click.option("--quiet", "-q", is_flag=True, help="For cron: print nothing unless the run is not ok (then its summary and warnings) or fails.")
@click.option("--redis-url", default=None, metavar="URL", help="Share the frontier with other crawl processes through Redis (scrapy-redis), e.g. redis://127.0.0.1:6379; see docs/operations.md, Scale-out.")
@click.option("--redis-run", default=None, metavar="ID", help="With --redis-url: the name of the shared run (default: today's UTC date).")
@click.option("--fetch-only", is_flag=True, help="With --redis-url: fetch and judge, and hand the articles to the writer process instead of writing DB.")
def crawl(sources, db, actors, since, refresh, overrides, log_level, log_file, progress, quiet, redis_url, redis_run, fetch_only):
    """Crawl the outlets in SOURCES and store every relevant article in DB.

    Same as `scrapy crawl outlets -a sources=SOURCES -s DB_PATH=DB`. Ends with a summary:
    pages fetched, new articles, duplicates, pages dropped as irrelevant, errors, and a line per
    health warning.

    Exit code: 0 ok, 1 partial (some outlet could not be read, or a health warning), 2 failed
    (also: the database cannot be written), 3 locked (another crawl is writing DB), 4
    configuration error.
    """
    from crawler.storage.lock import CrawlLocked
    from crawler.operations.run import run_crawl, summary_line
    from crawler.spiders.outlets import parse_since
    from crawler.storage.articles import StorageError

    settings = {"LOG_LEVEL": "ERROR" if quiet and not log_file else log_level}
    if progress is None:
        progress = sys.stderr.isatty() and not quiet
    settings["PROGRESS_ENABLED"] = progress
    if log_file:
        settings["LOG_FILE"] = expand_log_path(log_file)
    if fetch_only and not redis_url:
        fail("--fetch-only needs --redis-url: the writer process reads the articles from Redis", EXIT_CONFIG_ERROR)
    if redis_url:
        from crawler.extensions.scale_out import default_run_id, redis_settings

        settings.update(redis_settings(redis_url, redis_run or default_run_id(), fetch_only))
    settings.update(parse_overrides(overrides))
    if db == DEFAULT_DB:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    try:
        since = parse_since(since)
    except ValueError as error:
        fail(f"--since: {error}", EXIT_CONFIG_ERROR)
    try:
        run = run_crawl(sources, db, actors, since=since, refresh=refresh, **settings)
    except ConfigError as error:
        fail(str(error), EXIT_CONFIG_ERROR)
    except CrawlLocked as error:
        fail(str(error), EXIT_LOCKED)
    except StorageError as error:
        fail(str(error), EXIT_FAILED)
    if not (quiet and run.get("status") == "ok"):
        click.echo(summary_line(run))
    sys.exit(EXIT_CODES.get(run.get("status"), EXIT_FAILED))


@main.command("check-outlets")
@click.option("--sources", default=str(DEFAULT_SOURCES_FILE), show_default=True, help="YAML file listing the outlets to check.")
@click.option("--actors", default=None, help="YAML file of actors (default: the project's actors.yml).")
@click.option("--articles", default=1, show_default=True, type=click.IntRange(1, 20), help="Newest articles to fetch per outlet.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list instead of lines.")
@click.option("--quiet", "-q", is_flag=True, help="For cron: print only the outlets that failed.")
def check_outlets_command(sources, actors, articles, overrides, as_json, quiet):
    """Smoke test before the nightly crawl: per outlet, fetch its newest article and report
    whether feed discovery, extraction, language and actor detection still work. Stores nothing.

    Exit code: 0 every outlet passed (warnings allowed), 1 some outlet failed, 4 configuration error.
    """
    from crawler.operations.check_outlets import check_outlets, report

    settings = {"LOG_LEVEL": "ERROR", "PROGRESS_ENABLED": False, **parse_overrides(overrides)}
    try:
        checks = check_outlets(sources, actors, articles, **settings)
    except ConfigError as error:
        fail(str(error), EXIT_CONFIG_ERROR)
    output = report(checks, quiet=quiet, as_json=as_json)
    if output:
        click.echo(output)
    sys.exit(1 if any(c.status == "FAIL" for c in checks) else 0)

def expand_log_path(pattern: str) -> str:
    """The log file for this run: strftime fields filled in with the local time; folders made."""
    import time

    path = Path(time.strftime(pattern))
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)

@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--jsonl", is_flag=True, help="One JSON object per line (default: indented JSON per file).")
def extract(files, jsonl):
    """Run the pipeline's cleaning on saved pages (.html or .html.gz) and print, per file,
    {"file", "title", "author", "published", "language", "language_prob", "text"}."""
    from pipelines.clean import extract_file

    for path in files:
        record = extract_file(path)
        click.echo(json.dumps(record, ensure_ascii=False, indent=None if jsonl else 2))


@main.command("stories")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database whose articles to place in stories.")
@click.option("--actors", default=None, help="actors.yml [default: the project's].")
def stories_command(db, actors):
    """Place every article that has no story yet (what each crawl does when it ends): fills the
    stories of a database written by an earlier version without waiting for the next crawl."""
    from crawler.config import DEFAULT_ACTORS_FILE, load_actors
    from crawler.rules import default_rules
    from crawler.storage.articles import StorageError, check_database_path
    from crawler.storage.database import open_database
    from crawler.storage.lock import CrawlLocked, database_lock
    from pipelines.actors import ActorFinder
    from pipelines.stories import StoryRules, assign_stories

    require_database(db)
    try:
        check_database_path(db)  # its folder must be writable too: the stories are written into it
        finder = ActorFinder(load_actors(actors or DEFAULT_ACTORS_FILE).actors)
        with database_lock(db):
            database = open_database(db)
            placed = assign_stories(database, default_rules(StoryRules, "STORY_"), finder)
            stories = database.execute("select count(*) from stories").fetchone()[0]
    except ConfigError as error:
        fail(str(error), EXIT_CONFIG_ERROR)
    except CrawlLocked as error:
        fail(str(error), EXIT_LOCKED)
    except StorageError as error:
        fail(str(error), EXIT_FAILED)
    click.echo(f"{placed} articles placed; {stories} stories in {db}")
