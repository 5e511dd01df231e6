"""`csto-monitor crawl`, `check-outlets`, `extract` and `stories`: the crawl and its stages, from the command line."""

import json
from pathlib import Path
import sys

import click

from crawler.cli.app import (DEFAULT_DB, EXIT_CODES, EXIT_CONFIG_ERROR, EXIT_FAILED, exit_on_run_errors, fail, main, parse_overrides,
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
    from crawler.operations.run import summary_line
    from crawler.spiders.outlets import parse_since

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
    try:
        since = parse_since(since)
    except ValueError as error:
        fail(f"--since: {error}", EXIT_CONFIG_ERROR)
    run = run_or_exit(sources, db, actors, since=since, refresh=refresh, **settings)
    if not (quiet and run.get("status") == "ok"):
        click.echo(summary_line(run))
    sys.exit(EXIT_CODES.get(run.get("status"), EXIT_FAILED))


def run_or_exit(sources: str, db: str, *args, **kwargs) -> dict:
    """crawler.operations.run.run_crawl (the default database's folder made first); a configuration
    error, a locked or an unwritable database is one line and its exit code."""
    from crawler.operations.run import run_crawl

    if db == DEFAULT_DB:
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    with exit_on_run_errors():
        return run_crawl(sources, db, *args, **kwargs)


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
    from crawler.storage.articles import check_database_path
    from crawler.storage.database import open_database
    from crawler.storage.lock import database_lock
    from pipelines.actors import ActorFinder
    from pipelines.stories import StoryRules, assign_stories

    require_database(db)
    with exit_on_run_errors():
        check_database_path(db)  # its folder must be writable too: the stories are written into it
        finder = ActorFinder(load_actors(actors or DEFAULT_ACTORS_FILE).actors)
        with database_lock(db):
            database = open_database(db)
            placed = assign_stories(database, default_rules(StoryRules, "STORY_"), finder)
            stories = database.execute("select count(*) from stories").fetchone()[0]
    click.echo(f"{placed} articles placed; {stories} stories in {db}")


@main.command()
@click.option("--sources", default=str(DEFAULT_SOURCES_FILE), show_default=True, help="YAML file listing the outlets whose history to read.")
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database to write (made when missing).")
@click.option("--from", "period_from", required=True, help="First publication day to keep (YYYY-MM-DD).")
@click.option("--until", "period_until", required=True, help="Last publication day to keep (YYYY-MM-DD).")
@click.option("--archive", default=None, metavar="URL",
              help="A Wayback-style collection: its CDX server at URL/cdx, captures at URL/TIMESTAMPid_/ORIGINAL "
                   "(pywb, Common Crawl's index servers); `wayback` for the Internet Archive.")
@click.option("--warc", "warc_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A WARC or ARC file, gzipped or not (repeatable), instead of --archive.")
@click.option("--dry-run", is_flag=True, help="Print per outlet the captures found; read and store nothing.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting (repeatable).")
@click.option("--log-level", default="WARNING", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.option("--progress/--no-progress", default=None, help="A line of counts every 2 s on stderr. Default: on when stderr is a terminal.")
def backfill(sources, db, period_from, period_until, archive, warc_files, dry_run, overrides, log_level, progress):
    """Read the outlets' history from a web archive or WARC files: every archived article page
    published from --from to --until goes through the crawl's stages into DB, marked with where it
    came from (crawler/spiders/archive.py). Articles already stored are never stored twice; a
    backfill run again (or after being killed) continues where it stopped.

    Ends with the crawl's summary line. Exit code: 0 ok, 1 partial, 2 failed, 3 locked, 4
    configuration error (as `crawl`).
    """
    from datetime import date

    from crawler.operations.run import summary_line

    if bool(archive) == bool(warc_files):
        fail("give either --archive URL or --warc FILE (one or more)", EXIT_CONFIG_ERROR)
    try:
        first, last = date.fromisoformat(period_from), date.fromisoformat(period_until)
    except ValueError:
        fail(f"--from and --until take days written YYYY-MM-DD, not {period_from!r} and {period_until!r}", EXIT_CONFIG_ERROR)
    if first > last:
        fail(f"--from {period_from} is after --until {period_until}", EXIT_CONFIG_ERROR)
    spider_args = {"archive": archive, "warc": ",".join(str(Path(f).resolve()) for f in warc_files) or None,
                   "period_from": first.isoformat(), "period_until": last.isoformat(), "dry_run": dry_run}
    # the Internet Archive asks for about one request a second; a --set DOWNLOAD_DELAY still wins
    polite = {"DOWNLOAD_DELAY": 1.0} if archive == "wayback" else {}
    settings = {"LOG_LEVEL": log_level, "RUN_KIND": "backfill", **polite, **parse_overrides(overrides),
                "PROGRESS_ENABLED": sys.stderr.isatty() if progress is None else progress}
    if dry_run:
        print_dry_run(sources, spider_args, settings)
        return
    run = run_or_exit(sources, db, spider="archive", spider_args=spider_args, **settings)
    click.echo(summary_line(run))
    sys.exit(EXIT_CODES.get(run.get("status"), EXIT_FAILED))


def print_dry_run(sources: str, spider_args: dict, settings: dict) -> None:
    """The captures per outlet a backfill would read; nothing is written (no database, no lock)."""
    import tempfile

    from crawler.config import load_sources
    from crawler.operations.run import crawl_once, project_settings
    from crawler.spiders.archive import ArchiveSpider

    try:
        load_sources(sources)
        with tempfile.TemporaryDirectory() as scratch:
            crawler = crawl_once(project_settings(
                DB_PATH=str(Path(scratch) / "none.db"), SOURCES_FILE=str(sources), CRAWL_RUN_ENABLED=False,
                ITEM_PIPELINES={}, DOWNLOADER_MIDDLEWARES={"crawler.middlewares.SkipFetchedPagesMiddleware": None},
                **settings), sources, None, False, "archive", spider_args)
    except ConfigError as error:
        fail(str(error), EXIT_CONFIG_ERROR)
    spider = crawler.spider
    found = spider.found if isinstance(spider, ArchiveSpider) else {}
    for outlet in spider.outlets:
        click.echo(f"{outlet.name}: {found.get(outlet.name, 0)} captures of articles to read")
