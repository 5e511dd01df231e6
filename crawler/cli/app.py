"""The `csto-monitor` command group, its exit codes and the helpers every command shares."""

from contextlib import contextmanager
from pathlib import Path
import sys

import click

DEFAULT_DB = "data/monitor.db"
EXIT_FAILED = 2
EXIT_LOCKED = 3
EXIT_CONFIG_ERROR = 4
EXIT_CODES = {"ok": 0, "partial": 1, "failed": EXIT_FAILED}


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def exit_on_run_errors():
    """A configuration error, a database another run holds, or one that cannot be written: one
    line and its exit code (4, 3, 2) instead of a traceback."""
    from crawler.config import ConfigError
    from crawler.storage.articles import StorageError
    from crawler.storage.lock import CrawlLocked

    try:
        yield
    except ConfigError as error:
        fail(str(error), EXIT_CONFIG_ERROR)
    except CrawlLocked as error:
        fail(str(error), EXIT_LOCKED)
    except StorageError as error:
        fail(str(error), EXIT_FAILED)


def require_database(db: str) -> None:
    """One line and exit 1 when the database to read does not exist yet or is not a database."""
    from crawler.storage.articles import StorageError, check_database_path

    if not Path(db).exists():
        fail(f"database {db} not found; run `csto-monitor crawl --db {db}` (or `csto-monitor demo`) first")
    try:
        check_database_path(db, writable=False)
    except StorageError as error:
        fail(str(error))


@click.group()
@click.version_option(package_name="csto-monitor")
def main():
    """CSTO Monitor: follow what outlets publish about the CSTO and how they portray each actor."""


def parse_overrides(overrides) -> dict:
    """--set NAME=VALUE options as settings; a malformed one is a configuration error (exit 4)."""
    settings, known = {}, known_settings() if overrides else set()
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            fail(f"--set {override!r}: expected NAME=VALUE, for example --set DOWNLOAD_DELAY=2", EXIT_CONFIG_ERROR)
        problem = unknown_setting_problem(name, known)
        if problem:
            fail(f"--set {override}: {problem}", EXIT_CONFIG_ERROR)
        settings[name] = value
    return settings


def known_settings() -> set[str]:
    """The names of Scrapy's settings and the project's."""
    from crawler.operations.run import project_settings

    return set(project_settings())


def unknown_setting_problem(name: str, known: set[str]) -> str | None:
    """None for a setting Scrapy, scrapy-redis or the project has (`known`, and scrapy-redis's
    prefixes); else a sentence naming the closest ones and where the settings are listed."""
    import difflib

    if name in known or name.startswith(("REDIS_", "SCHEDULER_")):  # scrapy-redis reads its own
        return None
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return (f"no setting is named {name}; {hint}the project's settings are listed in crawler/settings.py, "
            "Scrapy's in its documentation (Settings)")
