"""Nightly operations: the lock, exit codes, log files and progress, kill -9 recovery, Datasette
reading while a crawl writes, a full or read-only database. Real crawls of the sample outlets in
subprocesses, real SQLite files."""

import json
import os
from pathlib import Path
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
import yaml

from crawler.storage.database import open_database
from crawler.storage import lock
from tests.conftest import FAST, NO_STANCE, SLOW, csto_monitor, serving, start_crawl, stored_urls



def wait_for(condition, timeout: float = 120, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def assert_consistent(db: Path) -> None:
    """SQLite's own checks, and no article without its full-text row or stance without article."""
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert connection.execute("pragma foreign_key_check").fetchall() == []
        articles = connection.execute("select count(*) from articles").fetchone()[0]
        assert connection.execute("select count(*) from articles_fts").fetchone()[0] == articles
        assert connection.execute("select count(*) from pages where outcome in ('stored', 'duplicate') "
                                  "and article_id not in (select id from articles)").fetchone()[0] == 0
    finally:
        connection.close()


def test_a_second_crawl_of_the_same_database_exits_3_and_leaves_it_alone(reference, tmp_path):
    db = tmp_path / "monitor.db"
    # 40 requests 0.15 s apart (one download slot): the first holds the lock for 6 s or more, the
    # second is refused within about a second of starting
    first = start_crawl(reference["sources"], db, "--set", "DOWNLOAD_DELAY=0.15", "--set", "AUTOTHROTTLE_ENABLED=False", *NO_STANCE)
    try:
        wait_for(lambda: Path(f"{db}.lock").exists() and Path(f"{db}.lock").read_text().startswith("pid"),
                 what="the first crawl's lock")
        second = csto_monitor("crawl", "--sources", str(reference["sources"]), "--db", str(db), *FAST, *NO_STANCE)
        assert second.returncode == 3, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: another crawl is writing {db} (pid {first.pid}")
        assert first.wait(timeout=180) == 0
    finally:
        first.kill()
    assert stored_urls(db) == reference["urls"]
    runs = open_database(db).execute("select status from crawl_runs").fetchall()
    assert runs == [("ok",)]  # the refused run wrote nothing, not even a crawl_runs row
    assert lock.acquire(db)  # the lock went with the process that held it: the next run may start
    lock.release(db)


def test_kill_9_mid_crawl_loses_nothing_and_counts_nothing_twice(reference, tmp_path):
    db = tmp_path / "monitor.db"
    crawl = start_crawl(reference["sources"], db, *SLOW, *NO_STANCE)
    try:
        wait_for(lambda: len(stored_urls(db)) >= 3, what="the first stored articles")
    finally:
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
    partial = stored_urls(db)
    assert 3 <= len(partial) < len(reference["urls"])  # it really died half-way
    assert_consistent(db)
    result = csto_monitor("crawl", "--sources", str(reference["sources"]), "--db", str(db), *FAST, *NO_STANCE)
    assert result.returncode == 0, result.stderr[-2000:]
    assert stored_urls(db) == reference["urls"]  # every article, each once (url is unique too)
    assert_consistent(db)
    statuses = [row[0] for row in open_database(db).execute("select status from crawl_runs order by id")]
    assert statuses == ["interrupted", "ok"]


def test_a_double_ctrl_c_leaves_true_counts(reference, tmp_path):
    import re

    db = tmp_path / "monitor.db"
    crawl = start_crawl(reference["sources"], db, *SLOW, *NO_STANCE)
    try:
        wait_for(lambda: len(stored_urls(db)) >= 3, what="the first stored articles")
        crawl.send_signal(signal.SIGINT)
        time.sleep(0.3)
        crawl.send_signal(signal.SIGINT)  # the impatient second Ctrl-C: Scrapy stops at once
        crawl.wait(timeout=120)
    finally:
        crawl.kill()
    output = db.with_name(f"{db.stem}-crawl.out").read_text()
    connection = sqlite3.connect(db)
    run_id, status, articles_new = connection.execute("select id, status, articles_new from crawl_runs").fetchone()
    stored = connection.execute("select count(*) from articles where crawl_run_id = ?", [run_id]).fetchone()[0]
    connection.close()
    assert stored >= 3 and articles_new == stored, output[-2000:]
    assert status != "running"  # finished, or marked interrupted by the process that was stopped
    assert int(re.search(r"articles new: (\d+)", output).group(1)) == stored, output[-2000:]
    assert_consistent(db)


def test_datasette_reads_while_a_crawl_writes(reference, tmp_path):
    db = tmp_path / "monitor.db"
    open_database(db).close()
    failures, answers = [], []
    with serving(db) as base:
        # 40 requests 0.15 s apart (one download slot): writes for 6 s or more while Datasette reads
        crawl = start_crawl(reference["sources"], db, "--set", "DOWNLOAD_DELAY=0.15", "--set", "AUTOTHROTTLE_ENABLED=False", *NO_STANCE)
        stop = threading.Event()

        def read_all_the_time():
            paths = ["/monitor/articles.json?_size=50", "/monitor/stances.json", "/monitor/crawl_runs.json",
                     "/monitor/daily_stances.json", "/monitor/strong_stances.json?actor=&since="]
            while not stop.is_set():
                for path in paths:
                    try:
                        with urllib.request.urlopen(base + path, timeout=30) as response:
                            answers.append(response.status)
                    except urllib.error.HTTPError as error:
                        failures.append(f"{path}: HTTP {error.code} {error.read()[:300]!r}")

        reader = threading.Thread(target=read_all_the_time)
        reader.start()
        try:
            assert crawl.wait(timeout=180) == 0, db.with_name("monitor-crawl.out").read_text()[-2000:]
        finally:
            stop.set()
            reader.join()
            crawl.kill()
    assert failures == []
    assert len(answers) > 50
    assert stored_urls(db) == reference["urls"]
    assert "database is locked" not in db.with_name("monitor-crawl.out").read_text()


def test_a_full_database_stops_the_crawl_with_one_line_and_exit_2(reference, tmp_path):
    db = tmp_path / "monitor.db"
    open_database(db).close()
    room_mb = (db.stat().st_size + 60 * 1024) / 1024 / 1024  # room for a few articles, not all
    result = csto_monitor("crawl", "--sources", str(reference["sources"]), "--db", str(db), *FAST, *NO_STANCE,
                          "--set", f"DB_MAX_SIZE_MB={room_mb}", "--log-file", str(tmp_path / "crawl.log"))
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write {db}: database or disk is full; free disk space")
    stored = stored_urls(db)
    assert len(stored) < len(reference["urls"])
    assert_consistent(db)  # the article that did not fit was rolled back whole
    again = csto_monitor("crawl", "--sources", str(reference["sources"]), "--db", str(db), *FAST, *NO_STANCE)
    assert again.returncode == 0, again.stderr[-2000:]
    assert stored_urls(db) == reference["urls"]


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this process cannot write: by permissions, or as root by a read-only bind mount."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    open_database(folder / "monitor.db").close()
    if os.geteuid() != 0:
        for path in folder.iterdir():
            path.chmod(0o444)
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"running as root and cannot mount a read-only folder: {mounted.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True, capture_output=True)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_read_only_database_is_one_line_and_exit_2(reference, read_only_folder):
    db = read_only_folder / "monitor.db"
    before = db.read_bytes()
    result = csto_monitor("crawl", "--sources", str(reference["sources"]), "--db", str(db), *FAST, *NO_STANCE)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write in the folder {read_only_folder}, ")
    assert "make it writable, or pass --db with a path in a writable folder" in lines[0]
    assert db.read_bytes() == before


def test_log_file_per_run_and_quiet_under_cron(reference, tmp_path):
    db = tmp_path / "monitor.db"
    result = csto_monitor("crawl", "--sources", str(reference["sources"]), "--db", str(db), *FAST, *NO_STANCE,
                          "--quiet", "--log-file", str(tmp_path / "logs" / "crawl-%Y-%m-%d.log"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "" and result.stderr == ""  # cron mails nothing for a good night
    (log,) = (tmp_path / "logs").iterdir()
    assert log.name == time.strftime("crawl-%Y-%m-%d.log")
    assert "Spider closed (finished)" in log.read_text()


def test_progress_lines_on_request(reference, tmp_path):
    result = csto_monitor("crawl", "--sources", str(reference["sources"]), "--db", str(tmp_path / "m.db"), *FAST, *NO_STANCE,
                          "--progress", "--set", "PROGRESS_INTERVAL=0.2", "--log-level", "WARNING")
    assert result.returncode == 0, result.stderr[-2000:]
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert progress and progress[-1].endswith("queued")
    assert f"{len(reference['urls'])} new articles" in progress[-1]
    assert "Loading weights" not in result.stderr


def test_an_unreachable_feed_is_a_partial_run_naming_the_outlet_and_url(reference, tmp_path):
    from tests.conftest import free_port

    sources = tmp_path / "sources.yml"
    dead = f"http://127.0.0.1:{free_port()}/feed.xml"
    text = reference["sources"].read_text()
    sources.write_text(text + f"- name: Gone Gazette\n  url: {dead.rsplit('/', 1)[0]}/\n  language: en\n  feeds:\n  - {dead}\n")
    result = csto_monitor("crawl", "--sources", str(sources), "--db", str(tmp_path / "m.db"), *FAST, *NO_STANCE,
                          "--set", "RETRY_TIMES=0")
    assert result.returncode == 1, result.stderr[-2000:]
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert any(line.startswith(f"warning: outlet Gone Gazette: no feed, sitemap or section page could be read ({dead}: ")
               and line.endswith(f"; check its URLs in {sources}, or whether the site is down") for line in warnings), result.stdout
    row = open_database(tmp_path / "m.db").execute("select status, warnings from crawl_runs").fetchone()
    assert row[0] == "partial" and "Gone Gazette" in json.loads(row[1])[0]
    outlets = yaml.safe_load(sources.read_text())["outlets"]
    one_and_gone = tmp_path / "one-and-gone.yml"  # one live outlet is enough for a partial run
    one_and_gone.write_text(yaml.safe_dump({"outlets": [outlets[0], outlets[-1]]}))
    for quiet in (["--quiet"], ["--quiet", "--log-file", str(tmp_path / "crawl.log")]):  # stderr at ERROR; the log's echo of errors
        # cron mails what is printed: the summary and its warnings, never Scrapy's robots.txt traceback
        again = csto_monitor("crawl", "--sources", str(one_and_gone), "--db", str(tmp_path / f"q{len(quiet)}.db"), *FAST, *NO_STANCE,
                             "--set", "RETRY_TIMES=0", *quiet)
        assert again.returncode == 1 and again.stderr == "", (quiet, again.stderr[-3000:])
        printed = again.stdout.strip().splitlines()
        assert printed[0].startswith("crawl run 1 partial: ") and all(line.startswith("warning: ") for line in printed[1:]), printed
