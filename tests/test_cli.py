"""The commands a newcomer runs: `csto-monitor demo --no-serve` and `csto-monitor serve`."""

import json
import socket
import subprocess
import sys
import time
import urllib.request

import sqlite_utils

from tests.conftest import PROJECT, csto_monitor


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_without_serving_writes_the_database(tmp_path):
    db = tmp_path / "monitor.db"
    result = csto_monitor("demo", "--no-serve", "--db", str(db))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "articles new: 23" in result.stdout
    assert sqlite_utils.Database(db).execute("select count(*) from articles").fetchone()[0] == 23


def test_serve_publishes_the_canned_query(crawled):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(crawled["db"]), "--port", str(port)],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/monitor/stance_over_time.json?actor=Tokayev&_shape=array"
        for _ in range(100):
            try:
                rows = json.load(urllib.request.urlopen(url, timeout=5))
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("csto-monitor serve did not answer")
        assert rows and {row["actor"] for row in rows} == {"Tokayev"}
        home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
        assert "CSTO Monitor" in home
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_without_a_database_says_how_to_make_one(tmp_path):
    result = csto_monitor("serve", "--db", str(tmp_path / "missing.db"))
    assert result.returncode == 1
    assert "csto-monitor crawl" in result.stderr and len(result.stderr.strip().splitlines()) == 1
