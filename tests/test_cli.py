"""The commands a newcomer runs: `csto-monitor serve`, `publish`, `scrapy crawl` beside `csto-monitor crawl`, and the demo's refusal of a real database (the demo itself: test_demo.py)."""

import json
import urllib.request

import sqlite_utils

from tests.conftest import PROJECT, csto_monitor, scrapy


def test_demo_never_touches_a_database_of_a_real_crawl(tmp_path):
    real = tmp_path / "real.db"
    database = sqlite_utils.Database(real)
    database["outlets"].insert({"id": 1, "name": "TASS"}, pk="id")
    database.close()
    result = csto_monitor("demo", "--no-serve", "--db", str(real))
    assert result.returncode == 1 and "pass --db with another path" in result.stderr
    assert [r["name"] for r in sqlite_utils.Database(real).query("select name from outlets")] == ["TASS"]


def test_serve_publishes_the_canned_query(served):
    url = f"{served}/monitor/stance_over_time.json?actor=Tokayev&since=&_shape=array"
    rows = json.load(urllib.request.urlopen(url, timeout=5))
    assert rows and {row["actor"] for row in rows} == {"Tokayev"}
    home = urllib.request.urlopen(f"{served}/", timeout=5).read().decode()
    assert "CSTO Monitor" in home


def test_serve_without_a_database_says_how_to_make_one(tmp_path):
    result = csto_monitor("serve", "--db", str(tmp_path / "missing.db"))
    assert result.returncode == 1
    assert "csto-monitor crawl" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_scrapy_crawl_and_csto_monitor_crawl_store_the_same(crawled, tmp_path):
    db_path = tmp_path / "scrapy.db"
    result = scrapy("crawl", "outlets", "-a", f"sources={crawled['sources']}", "-s", f"DB_PATH={db_path}",
                    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False")
    assert result.returncode == 0, result.stderr[-2000:]
    by_scrapy, by_cli = sqlite_utils.Database(db_path), sqlite_utils.Database(crawled["db"])
    query = "select url, title, language, duplicate_of is not null as copy from articles order by url"
    assert list(by_scrapy.query(query)) == list(by_cli.query(query))
    counts = "select articles_new, duplicates, dropped, errors, status from crawl_runs order by id limit 1"
    assert list(by_scrapy.query(counts)) == list(by_cli.query(counts))


def test_publish_writes_what_an_immutable_deployment_serves(crawled, tmp_path):
    import asyncio

    import yaml
    from datasette.app import Datasette

    out = tmp_path / "site"
    result = csto_monitor("publish", "--db", str(crawled["db"]), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    assert {p.name for p in out.iterdir()} == {"monitor.db", "counts.json", "metadata.yml", "plugins", "templates", "requirements.txt", "serve.sh"}
    counts = json.loads((out / "counts.json").read_text())
    assert counts["monitor"]["tables"]["articles"]["count"] == 24
    assert "datasette-dashboards==" in (out / "requirements.txt").read_text()
    assert "datasette-atom==" in (out / "requirements.txt").read_text()
    assert "-i monitor.db --inspect-file counts.json --metadata metadata.yml --plugins-dir plugins" in (out / "serve.sh").read_text()
    assert (out / "plugins" / "csto_monitor_feeds.py").read_text() == (PROJECT / "datasette" / "plugins" / "csto_monitor_feeds.py").read_text()
    datasette = Datasette(immutables=[str(out / "monitor.db")], inspect_data=counts, plugins_dir=str(out / "plugins"),
                          metadata=yaml.safe_load((out / "metadata.yml").read_text()))
    response = asyncio.run(datasette.client.get("/monitor/stance_over_time.json?actor=Putin&since=&_shape=array"))
    assert response.status_code == 200 and response.json()
    empty = asyncio.run(datasette.client.get("/monitor/alerts_outlet_health.atom"))  # nothing flagged yet
    assert empty.status_code == 200 and "<feed" in empty.text


def test_a_database_of_any_name_is_served_with_the_whole_desk_view(crawled, tmp_path):
    import shutil

    from tests.conftest import serving

    other = tmp_path / "elsewhere" / "other.db"
    other.parent.mkdir()
    shutil.copy(crawled["db"], other)
    with serving(other) as base:
        rows = json.load(urllib.request.urlopen(f"{base}/other/stance_over_time.json?actor=Tokayev&since=&_shape=array", timeout=10))
        assert rows and {row["actor"] for row in rows} == {"Tokayev"}
        dashboard = urllib.request.urlopen(f"{base}/-/dashboards/desk", timeout=10).read().decode()
        assert "Stance over time" in dashboard and "/other/articles/" in dashboard  # the panels' links follow the name
        assert "monitor" not in dashboard  # no panel still points at a database that is not served
        feed = urllib.request.urlopen(f"{base}/other/alerts_outlet_health.atom", timeout=10).read().decode()
        assert "<feed" in feed
        home = urllib.request.urlopen(f"{base}/", timeout=10).read().decode()
        assert 'href="/-/dashboards/desk"' in home and "/monitor/" not in home
