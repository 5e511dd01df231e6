"""`csto-monitor serve`, `publish` and `demo`: the database as the desk's Datasette dashboard."""

import os
from pathlib import Path
import subprocess
import sys
import tempfile

import click

from crawler.cli.app import DEFAULT_DB, fail, main, require_database
from crawler.dashboard import PLUGINS_DIR, TEMPLATES_DIR, metadata_file_for


# Datasette's settings for the desk; suggested facets off: on a million stance rows, guessing
# which columns to offer as facets costs every table page more than the page itself
SETTINGS = {"sql_time_limit_ms": 3000, "max_returned_rows": 5000, "default_page_size": 50, "suggest_facets": False}
SERVE_SETTINGS = tuple(arg for name, value in SETTINGS.items()
                       for arg in ("--setting", name, str(value).lower() if isinstance(value, bool) else str(value)))
# the reviewers' sign-in and review form: only the desk's own `serve` has them
SERVE_ONLY = ("csto_monitor_reviews.py", "csto_login.html")
PUBLISHED_PLUGINS = ("datasette", "datasette-vega", "datasette-dashboards", "datasette-atom")


def datasette_command(db: str, host: str, port: int) -> list[str]:
    """Datasette on DB with the dashboard's metadata (renamed for DB's name) and plugins."""
    scratch = Path(tempfile.gettempdir()) / f"csto-monitor-{os.getuid()}"
    return [
        sys.executable, "-m", "datasette", "serve", str(db),
        "--metadata", str(metadata_file_for(db, scratch)), "--plugins-dir", str(PLUGINS_DIR),
        "--template-dir", str(TEMPLATES_DIR), "--host", host, "--port", str(port), *SERVE_SETTINGS,
    ]


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database to publish.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def serve(db, host, port):
    """Serve DB as the Datasette dashboard with the project's metadata and canned queries.

    Exit code 1 when DB does not exist or is not a SQLite database."""
    require_database(db)
    click.echo(f"Dashboard: http://{host}:{port}/-/dashboards/desk  (tables and SQL: http://{host}:{port}/; Ctrl+C to stop)")
    environment = {**os.environ, **reviewers_environment(db)}
    sys.stdout.flush()
    command = datasette_command(db, host, port)
    os.execve(command[0], command, environment)  # this process becomes Datasette: a signal to stop it reaches the server


def reviewers_environment(db: str) -> dict:
    """DATASETTE_SECRET from the desk file beside DB (crawler/storage/reviews.py), so reviewers stay
    signed in when the dashboard restarts; nothing when the desk file cannot be written there."""
    import sqlite3

    from crawler.storage.reviews import open_desk, signing_secret

    try:
        desk = open_desk(db)
    except (sqlite3.Error, OSError):
        click.echo("note: the folder of the database is read-only, so reviewers cannot sign in to this dashboard", err=True)
        return {}
    try:
        return {"DATASETTE_SECRET": signing_secret(desk)}
    finally:
        desk.close()


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database to publish.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the deployable files to.")
@click.option("--with-reviewers", is_flag=True, help="Keep the names of the desk's reviewers on their reviews (left out by default).")
def publish(db, out, with_reviewers):
    """Write to OUT what a deployment serves: a consistent copy of DB (monitor.db), its inspect
    file for immutable mode (counts.json), metadata.yml, the plugins with their versions
    (requirements.txt) and the project's own (plugins/), and the command that serves them (serve.sh).

    The desk's reviews are published with their labels, notes and dates, without who made them
    unless --with-reviewers; the reviewers' passwords (in the desk file) never are, and the
    published dashboard has no sign-in."""
    import shutil
    import sqlite3
    from importlib.metadata import version

    require_database(db)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "monitor.db"
    partial = out / "monitor.db.partial"
    partial.unlink(missing_ok=True)
    source, copy = sqlite3.connect(db), sqlite3.connect(partial)
    with copy:
        source.backup(copy)  # a consistent snapshot even while a crawl writes
    if not with_reviewers and copy.execute("select 1 from sqlite_master where name = 'reviews'").fetchone():
        copy.execute("pragma secure_delete = on")  # the names are overwritten, not left in free pages
        with copy:
            copy.execute("update reviews set reviewer = null")
    copy.execute("pragma journal_mode = delete")  # immutable serving reads one plain file
    copy.close()
    source.close()
    partial.replace(target)
    subprocess.run([sys.executable, "-m", "datasette", "inspect", str(target), "--inspect-file", str(out / "counts.json")], check=True)
    shutil.copy(metadata_file_for(target, out), out / "metadata.yml")
    shutil.copytree(PLUGINS_DIR, out / "plugins", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", *SERVE_ONLY))
    shutil.copytree(TEMPLATES_DIR, out / "templates", dirs_exist_ok=True, ignore=shutil.ignore_patterns(*SERVE_ONLY))
    (out / "requirements.txt").write_text("".join(f"{name}=={version(name)}\n" for name in PUBLISHED_PLUGINS))
    (out / "serve.sh").write_text(serve_script(Path(sys.executable).parent / "datasette"))
    (out / "serve.sh").chmod(0o755)
    click.echo(f"published to {out}: monitor.db, counts.json, metadata.yml, plugins/, templates/, requirements.txt, serve.sh")


def serve_script(installed: Path) -> str:
    """serve.sh: runs from any folder and any shell; finds datasette on PATH, in $DATASETTE, or in
    the environment that published (`installed`), or says how to install it."""
    return f"""#!/bin/sh
# Serve the published CSTO Monitor database read-only (immutable mode), from this folder.
cd "$(dirname "$0")" || exit 1
DATASETTE="${{DATASETTE:-$(command -v datasette)}}"
if [ -z "$DATASETTE" ] && [ -x "{installed}" ]; then DATASETTE="{installed}"; fi
if [ -z "$DATASETTE" ]; then
  echo "serve.sh: datasette not found: install it with 'pip install -r requirements.txt' (activate that environment first), or set DATASETTE=/path/to/datasette" >&2
  exit 127
fi
exec "$DATASETTE" serve -i monitor.db --inspect-file counts.json --metadata metadata.yml --plugins-dir plugins --template-dir templates {" ".join(SERVE_SETTINGS)} "$@"
"""


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, help="SQLite database to write.")
@click.option("--no-serve", is_flag=True, help="Stop once the database is written.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port of the dashboard.")
@click.pass_context
def demo(ctx, db, no_serve, port):
    """Serve the bundled sample outlets on 127.0.0.1, crawl them into DB, then serve the dashboard.

    Eight outlets in four groups: the three hand-written ones and a year of five more, written by
    a seeded generator and dated up to today (crawler/samples/desk_year.py).

    The sample outlets get new ports every run, so a demo database is rebuilt each time; a
    database that holds any other outlet is never touched."""
    from datetime import date

    from crawler.operations.run import run_crawl, summary_line
    from crawler.samples.desk_year import desk_year
    from crawler.samples.server import SampleOutlets

    Path(db).parent.mkdir(parents=True, exist_ok=True)  # the demo's own database
    with SampleOutlets(extra=desk_year(date.today())) as outlets, tempfile.TemporaryDirectory() as scratch:
        clear_demo_database(Path(db), {o.name for o in outlets.outlets})
        sources = outlets.write_sources(Path(scratch) / "sources.yml")
        click.echo(f"Sample outlets: {', '.join(f'{o.name} at {o.base}' for o in outlets.outlets)}")
        # the sample outlets are our own server on loopback: no need to wait between requests
        run = run_crawl(str(sources), db, LOG_LEVEL=os.environ.get("CSTO_LOG_LEVEL", "WARNING"),
                        DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False)
    click.echo(summary_line(run))
    click.echo(f"Database written: {db}")
    if not no_serve:
        ctx.invoke(serve, db=db, port=port)


def clear_demo_database(db: Path, sample_names: set[str]) -> None:
    """Delete an earlier demo database; refuse (one line, exit 1) when it holds a real crawl."""
    if not db.exists():
        return
    import sqlite_utils

    existing = sqlite_utils.Database(db)
    names = {row[0] for row in existing.execute("select name from outlets")} if "outlets" in existing.table_names() else set()
    existing.close()
    if names - sample_names:
        fail(f"{db} holds a crawl of other outlets ({sorted(names - sample_names)[0]}, ...); "
             "pass --db with another path for the demo")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
