"""`csto-monitor backfill`: the sample outlets' past year from WARC files (warcio) and from a real
pywb replaying a collection of them, through the crawl's stages into a real SQLite file, compared
with a real crawl of the same outlets."""

import os
from pathlib import Path
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from crawler.samples.server import LocalServer
from tests.archive_samples import sample_outlets, write_year
from tests.conftest import NO_STANCE, PROJECT, csto_monitor

FROM, UNTIL = "2026-03-01", "2026-06-22"  # an article of June 22 is archived on the 23rd
WAYBACK = PROJECT / ".venv-pywb" / "bin" / "wayback"


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    folder = tmp_path_factory.mktemp("archive")
    outlets = sample_outlets()
    sources = outlets.write_sources(folder / "sources.yml")
    write_year(folder / "year.warc.gz", outlets)
    write_year(folder / "cut.warc.gz", outlets, truncate=True)
    return {"folder": folder, "sources": sources, "warc": folder / "year.warc.gz", "cut": folder / "cut.warc.gz"}


def backfill(year, db: Path, *source: str):
    return csto_monitor("backfill", "--sources", str(year["sources"]), "--db", str(db), "--from", FROM, "--until", UNTIL,
                        *source, "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", timeout=600)


def read_alike(db: Path, other: Path, skip=lambda row: False) -> bool:
    """The same articles (title, URL, publication time) in both databases: for the backfills that
    read the archive another way, run without the stance stage (the WARC backfill, with it, is
    compared with the crawl's stances)."""
    def articles(path):
        return {title: (row["url"], row["published"]) for title, row in stored(path).items() if not skip(row)}
    return articles(db) == articles(other)


def stored(db: Path) -> dict[str, dict]:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        rows = connection.execute(
            """select a.title, a.published, a.source, a.capture_url, a.captured_at, a.url,
                 group_concat(ac.name || '=' || coalesce(s.label, '-'), ' ') as stances
               from articles a left join stances s on s.article_id = a.id left join actors ac on ac.id = s.actor_id
               group by a.id order by a.id""").fetchall()
        return {row["title"]: dict(row) for row in rows}
    finally:
        connection.close()


@pytest.fixture(scope="module")
def from_warc(year):
    db = year["folder"] / "warc.db"
    first = backfill(year, db, "--warc", str(year["warc"]))
    second = backfill(year, db, "--warc", str(year["warc"]))
    return {"db": db, "first": first, "second": second}


def test_a_warc_backfill_stores_the_period_as_a_crawl_would(from_warc, crawled):
    assert from_warc["first"].returncode == 0, from_warc["first"].stderr[-3000:]
    assert from_warc["first"].stdout.startswith("backfill run 1 ok")
    archived = stored(from_warc["db"])
    crawl = {title: row for title, row in stored(crawled["db"]).items() if row["published"] and FROM <= row["published"][:10]}
    assert archived and all(FROM <= row["published"][:10] <= UNTIL for row in archived.values())  # the period, by publication
    common = set(crawl) & set(archived)
    assert len(common) >= len(crawl) - 1  # (a page robots.txt keeps from the crawl is in the archive)
    assert {t: archived[t]["stances"] for t in common} == {t: crawl[t]["stances"] for t in common}
    assert {row["source"] for row in archived.values()} == {"year.warc.gz"}
    assert all(row["captured_at"].startswith("2026-") for row in archived.values())
    assert any("доверие" in title for title in archived)  # the windows-1251 page, decoded


def test_a_second_backfill_stores_nothing_twice(from_warc):
    assert from_warc["second"].returncode == 0, from_warc["second"].stderr[-3000:]
    assert "articles new: 0" in from_warc["second"].stdout
    connection = sqlite3.connect(from_warc["db"])
    assert connection.execute("select count(*), count(distinct url) from articles").fetchone()[0] == \
        connection.execute("select count(distinct url) from articles").fetchone()[0]
    kinds = [row[0] for row in connection.execute("select kind from crawl_runs order by id")]
    assert kinds == ["backfill", "backfill"]


def test_a_truncated_record_is_one_warning_and_the_rest_is_read(year, from_warc, tmp_path):
    db = tmp_path / "monitor.db"
    result = backfill(year, db, "--warc", str(year["cut"]), "--progress", *NO_STANCE)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "truncated or corrupt record" in result.stderr
    assert re.search(r"; (\d+) of \1 captures", result.stderr)  # the progress line says what was left
    assert len(stored(db)) == len(stored(from_warc["db"]))


def test_the_dashboard_shows_where_each_week_came_from_and_feeds_leave_backfills_out(from_warc, crawled, tmp_path):
    connection = sqlite3.connect(from_warc["db"])
    sources = {row[0] for row in connection.execute("select distinct came_from from weekly_coverage")}
    assert "archive" in sources and "crawl" not in sources
    assert connection.execute("select count(*) from article_alerts").fetchone()[0] == 0  # nothing announced as new
    history = connection.execute("select * from outlet_history").fetchall()
    assert len(history) == 3
    originals = connection.execute("select count(*) from articles where duplicate_of is null").fetchone()[0]
    assert connection.execute("select sum(articles) from daily_articles").fetchone()[0] == originals  # summaries refreshed
    assert connection.execute("select count(*) from articles where story_id is null").fetchone()[0] == 0  # stories placed


def test_the_archive_layouts_name_the_cdx_server_and_the_captures():
    from types import SimpleNamespace

    from crawler.config import Outlet
    from crawler.operations.run import project_settings
    from crawler.spiders.archive import ArchiveSpider, capture_time, cdx_rows

    crawler = SimpleNamespace(settings=project_settings())  # the URLs read only the settings
    outlet = Outlet(name="X", url="http://x.example/news/", country="am", language="en")
    for archive, cdx, capture in (
            ("wayback", "https://web.archive.org/cdx/search/cdx?url=http%3A%2F%2Fx.example%2Fnews%2F&",
             "https://web.archive.org/web/20250301000000id_/http://x.example/news/a"),
            ("http://127.0.0.1:8080/coll/", "http://127.0.0.1:8080/coll/cdx?url=http%3A%2F%2Fx.example%2Fnews%2F&",
             "http://127.0.0.1:8080/coll/20250301000000id_/http://x.example/news/a")):
        spider = ArchiveSpider(archive=archive, period_from="2025-01-01", period_until="2025-12-31")
        spider.crawler = crawler
        assert spider.cdx_url(outlet).startswith(cdx) and "&from=20250101&to=20260131" in spider.cdx_url(outlet)
        assert spider.capture_url("20250301000000", "http://x.example/news/a") == capture
    assert cdx_rows('[["timestamp","original","statuscode"],["20250301","http://x/a","200"]]') == \
        [{"timestamp": "20250301", "original": "http://x/a", "statuscode": "200"}]
    assert capture_time("20250301123000") == "2025-03-01T12:30:00+00:00"


def test_dry_run_prints_the_captures_per_outlet_and_writes_nothing(year, tmp_path):
    db = tmp_path / "never.db"
    result = csto_monitor("backfill", "--sources", str(year["sources"]), "--db", str(db), "--from", FROM, "--until", UNTIL,
                          "--warc", str(year["warc"]), "--dry-run")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3 and all("captures of articles to read" in line for line in lines)
    assert not db.exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pywb(year):
    """A real pywb (its own environment, `make pywb`) replaying the year's WARC as collection `year`."""
    if not WAYBACK.exists():
        pytest.fail("pywb is not installed: `make test` installs it in .venv-pywb (make pywb)")
    root = year["folder"] / "pywb"
    root.mkdir()
    manager = str(WAYBACK.with_name("wb-manager"))
    subprocess.run([manager, "init", "year"], cwd=root, check=True, capture_output=True)
    subprocess.run([manager, "add", "year", str(year["warc"])], cwd=root, check=True, capture_output=True)
    port = free_port()
    log = (root / "wayback.log").open("w")
    server = subprocess.Popen([str(WAYBACK), "--port", str(port), "--bind", "127.0.0.1"], cwd=root, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/year"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/cdx?url=caucasus-ledger.example/&matchType=prefix", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_a_backfill_from_pywb_stores_what_the_warc_backfill_does(year, pywb, from_warc, tmp_path):
    db = tmp_path / "monitor.db"
    result = backfill(year, db, "--archive", pywb, *NO_STANCE)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    archived = stored(db)
    assert read_alike(db, from_warc["db"])
    assert {r["source"] for r in archived.values()} == {pywb}
    assert all(r["capture_url"].startswith(f"{pywb}/2026") and "id_/http" in r["capture_url"] for r in archived.values())
    assert "redirect capture without a target" not in result.stderr  # the 301 capture is followed in the archive
    again = backfill(year, db, "--archive", pywb, *NO_STANCE)
    assert again.returncode == 0 and "articles new: 0" in again.stdout


def test_the_internet_archive_layout_reads_its_cdx_server_and_captures_from_the_settings(year, pywb, from_warc, tmp_path):
    """`--archive wayback` with BACKFILL_WAYBACK_* pointed at the local pywb (the Internet Archive
    itself cannot be reached here)."""
    db = tmp_path / "monitor.db"
    result = backfill(year, db, "--archive", "wayback", "--set", f"BACKFILL_WAYBACK_CDX={pywb}/cdx",
                      "--set", f"BACKFILL_WAYBACK_CAPTURES={pywb}", *NO_STANCE)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert read_alike(db, from_warc["db"])
    assert {r["source"] for r in stored(db).values()} == {"wayback"}


@pytest.fixture
def cdx_failing_for_one_outlet(pywb):
    """pywb behind a proxy whose CDX answers 500 for the Eurasia Wire's captures."""
    from http.server import BaseHTTPRequestHandler
    import threading
    import urllib.error

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self):
            if "/cdx?" in self.path and "eurasia-wire" in self.path:
                self.send_response(500)
                self.end_headers()
                return
            try:
                with urllib.request.urlopen(pywb.rsplit("/", 1)[0] + self.path, timeout=30) as answer:
                    status, headers, body = answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as error:
                status, headers, body = error.code, error.headers, error.read()
            self.send_response(status)
            for name in ("Content-Type", "Location"):
                if headers.get(name):
                    self.send_header(name, headers[name])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = LocalServer(Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/year"
    finally:
        server.shutdown()


def test_a_cdx_server_error_is_one_warning_and_the_other_outlets_are_read(year, cdx_failing_for_one_outlet, from_warc,
                                                                         tmp_path):
    db = tmp_path / "monitor.db"
    result = backfill(year, db, "--archive", cdx_failing_for_one_outlet, "--set", "RETRY_TIMES=1", *NO_STANCE)
    warned = [line for line in result.stderr.splitlines() if "skipped" in line and "eurasia-wire" in line]
    assert len(warned) == 1 and "500" in warned[0], result.stderr[-3000:]
    assert not any("eurasia-wire" in row["url"] for row in stored(db).values())
    assert read_alike(db, from_warc["db"], skip=lambda row: "eurasia-wire" in row["url"])
    connection = sqlite3.connect(db)
    assert connection.execute("select errors from crawl_runs").fetchone()[0] >= 1


def test_a_killed_backfill_run_again_continues_without_duplicates(year, pywb, from_warc, tmp_path):
    db = tmp_path / "monitor.db"
    command = [sys.executable, "-m", "crawler.cli", "backfill", "--sources", str(year["sources"]), "--db", str(db),
               "--from", FROM, "--until", UNTIL, "--archive", pywb, "--set", "DOWNLOAD_DELAY=0.4",
               "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RANDOMIZE_DOWNLOAD_DELAY=False"]
    running = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if db.exists() and 3 <= count_articles(db):
                break
            time.sleep(0.1)
    finally:
        os.kill(running.pid, signal.SIGKILL)
        running.wait(timeout=30)
    killed_at = count_articles(db)
    assert 3 <= killed_at < len(stored(from_warc["db"]))
    again = backfill(year, db, "--archive", pywb)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert {t: r["stances"] for t, r in stored(db).items()} == {t: r["stances"] for t, r in stored(from_warc["db"]).items()}
    statuses = [row[0] for row in sqlite3.connect(db).execute("select status from crawl_runs order by id")]
    assert statuses == ["interrupted", "ok"]


def count_articles(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return connection.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:  # no table yet
        return 0
