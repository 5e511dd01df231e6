"""Scale-out through scrapy-redis: two crawl processes share one frontier in a local
redis-server (Debian's package, started here) and every article is stored exactly once."""

import shutil
import sqlite3
import subprocess
import time

import pytest

from tests.conftest import free_port, start_crawl, stored_urls


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs Debian's redis-server)")
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}", client
    server.terminate()
    server.wait(timeout=10)


def test_two_processes_share_one_frontier_and_store_each_article_once(reference, redis_url, tmp_path):
    url, client = redis_url
    db = tmp_path / "monitor.db"
    # one request at a time per process, 0.8 s apart (the outlets share one host, so one download
    # slot): the 39 pages take one process about 31 s, far longer than the other needs to start
    # (2-5 s), so both take part whichever starts first
    shared = ("--redis-url", url, "--redis-run", "test-night", "--set", "DOWNLOAD_DELAY=0.8", "--set", "CONCURRENT_REQUESTS=1",
              "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RANDOMIZE_DOWNLOAD_DELAY=False")
    fetcher = start_crawl(reference["sources"], tmp_path / "fetcher.db", *shared, "--fetch-only")
    writer = start_crawl(reference["sources"], db, *shared)
    assert fetcher.wait(timeout=240) == 0, (tmp_path / "fetcher-crawl.out").read_text()[-3000:]
    assert writer.wait(timeout=240) == 0, (tmp_path / "monitor-crawl.out").read_text()[-3000:]
    assert stored_urls(db) == reference["urls"]  # url is unique: each article once, none missing
    assert not (tmp_path / "fetcher.db").exists()  # the fetcher wrote no database
    fetcher_output = (tmp_path / "fetcher-crawl.out").read_text()
    pushed = int(fetcher_output.rsplit("articles new: ", 1)[1].split(",")[0])
    writer_output = (tmp_path / "monitor-crawl.out").read_text()
    fetched_by_writer = int(writer_output.rsplit("pages fetched: ", 1)[1].split(",")[0])
    assert pushed > 0 and fetched_by_writer > 0, (fetcher_output[-300:], writer_output[-300:])  # both took part
    connection = sqlite3.connect(db)
    assert connection.execute("select count(*) from pages").fetchone()[0] >= len(reference["urls"])
    assert client.keys("csto-monitor:test-night:*") == []  # the writer cleaned the run's keys up
