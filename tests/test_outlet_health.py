"""Outlet health: volume against each outlet's 28-day baseline and extraction checks, after real
crawls of sample outlets whose volume drops to zero, bursts, or whose template changes between
two runs; and the rules themselves on a real SQLite database."""

from datetime import datetime, timedelta, timezone
import json
import random
import sqlite3

import jinja2

import asyncio

import feedparser
from datasette.app import Datasette
import yaml

from crawler.dashboard import DATASETTE_DIR
from crawler.config import Outlet
from crawler.storage.database import open_database
from crawler.operations.outlet_health import OutletHealthRules, assess_outlets, poisson_cdf, volume_flags
from crawler.samples.server import SampleOutlets
from tests.conftest import FAST, NO_STANCE, csto_monitor
from tests.sample_history import articles, history, write_outlet

RULES = OutletHealthRules()


def health_feed(db):
    datasette = Datasette([str(db)], plugins_dir=str(DATASETTE_DIR / "plugins"), metadata=yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text()))
    response = asyncio.run(datasette.client.get("/monitor/alerts_outlet_health.atom"))
    assert response.status_code == 200, response.text[:300]
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed
# a relaunched site: the page shows the lead, the rest of the story arrives by script
RELAUNCHED = jinja2.Template(
    "<!DOCTYPE html><html lang=en><head><title>{{ article.title }}</title>"
    '<meta property="article:published_time" content="{{ article.published }}T09:00:00Z"></head><body>'
    "<main><h1>{{ article.title }}</h1><p class=lead>{{ article.paragraphs[0] }}</p>"
    "<div id=story data-loading=true></div></main>"
    "<script>window.__STORY__ = {{ article.paragraphs[1:] | tojson }};</script></body></html>")


def test_poisson_flags():
    assert abs(poisson_cdf(0, 2.0) - 0.1353) < 1e-4 and abs(poisson_cdf(2, 2.0) - 0.6767) < 1e-4
    assert volume_flags(0, 6.0, 0.01) == (True, False)  # zero where six a day are usual
    assert volume_flags(0, 2.0, 0.01) == (False, False)  # a day without is normal at two a day
    assert volume_flags(15, 2.0, 0.01) == (False, True)
    assert volume_flags(4, 2.0, 0.01) == (False, False)  # twice the usual, but common enough


def database(tmp_path, per_day: int, days: int, started: str):
    """An outlet with `per_day` articles on each of the `days` days before the run's start."""
    db = open_database(tmp_path / "monitor.db")
    outlet_id = db["outlets"].insert({"name": "Wire", "url": "http://wire/"}).last_pk
    first_run = db["crawl_runs"].insert({"started": "2026-01-01T00:00:00+00:00", "status": "ok"}).last_pk
    start = datetime.fromisoformat(started).date()
    rows = [{"url": f"http://wire/{d}-{n}", "outlet_id": outlet_id, "published": (start - timedelta(days=d)).isoformat(),
             "text": "x" * 1000, "crawl_run_id": first_run, "crawled_at": "2026-01-01T00:00:00+00:00"}
            for d in range(1, days + 1) for n in range(per_day)]
    db["articles"].insert_all(rows)
    run = db["crawl_runs"].insert({"started": started, "status": "running"}).last_pk
    return db, run, {"Wire": outlet_id}


def wire() -> Outlet:
    return Outlet(name="Wire", url="http://wire/", feeds=("http://wire/feed",))


def test_an_outlet_with_a_short_history_is_learning_not_flagged(tmp_path):
    db, run, ids = database(tmp_path, per_day=5, days=4, started="2026-05-10T02:00:00+00:00")
    [row] = assess_outlets(db, run, "2026-05-10T02:00:00+00:00", [wire()], ids, {}, RULES, day="2026-05-10")
    assert (row["status"], row["low"], row["baseline_days"]) == ("learning", 0, 4)


def test_a_day_judged_again_keeps_its_feed_entry_id(tmp_path):
    """Two runs judging the same day: one entry per outlet and day, under the same id, updated."""
    started = "2026-05-10T02:00:00+00:00"
    db, run, ids = database(tmp_path, per_day=6, days=20, started=started)
    db["articles"].delete_where("published = ?", ["2026-05-09"])  # nothing published the day judged
    assess_outlets(db, run, started, [wire()], ids, {}, RULES)
    first = health_feed(tmp_path / "monitor.db").entries
    again = db["crawl_runs"].insert({"started": "2026-05-10T14:00:00+00:00", "status": "running"}).last_pk
    assess_outlets(db, again, "2026-05-10T14:00:00+00:00", [wire()], ids, {}, RULES, day="2026-05-09")
    second = health_feed(tmp_path / "monitor.db").entries
    assert [e.id for e in first] == [e.id for e in second] == ["tag:csto-monitor,2026:outlet-health/Wire/2026-05-09"]
    assert first[0].title == "Wire: low volume (2026-05-09)" and second[0].updated > first[0].updated


def test_pages_without_text_flag_extraction(tmp_path):
    started = "2026-05-10T02:00:00+00:00"
    db, run, ids = database(tmp_path, per_day=2, days=20, started=started)
    stats = {"outlets/Wire/pages": 8, "outlets/Wire/no_text": 6}
    [row] = assess_outlets(db, run, started, [wire()], ids, stats, RULES)
    assert row["day"] == "2026-05-09" and row["extraction"] == 1 and row["low"] == 0
    assert "6 of 8 pages gave no article text" in row["note"]
    stats = {"outlets/Wire/pages": 4, "outlets/Wire/no_text": 4}  # too few pages to judge
    assert assess_outlets(db, run, started, [wire()], ids, stats, RULES)[0]["extraction"] == 0


def test_volume_drop_burst_and_template_change_between_two_runs(tmp_path):
    today = datetime.now(timezone.utc).date()
    first, yesterday = today - timedelta(days=8), today - timedelta(days=1)
    folder = tmp_path / "outlets"
    folder.mkdir()
    write_outlet(folder, "Quiet Post", history("quiet", 5, first, yesterday, seed=1))
    write_outlet(folder, "Burst Daily", history("burst", 1, first, yesterday, seed=2))
    write_outlet(folder, "Relaunch Times", history("relaunch", 2, first, yesterday, seed=3))
    db = tmp_path / "monitor.db"
    with SampleOutlets(folder) as outlets:
        sources = outlets.write_sources(tmp_path / "sources.yml")
        crawl = ("crawl", "--sources", str(sources), "--db", str(db), *FAST, *NO_STANCE)
        run_1 = csto_monitor(*crawl)  # judges yesterday: every outlet as usual
        assert run_1.returncode == 0, run_1.stdout + run_1.stderr[-3000:]
        rng = random.Random(4)
        outlets.outlet("Burst Daily").articles += [outlets.outlet("Burst Daily")._prepare(a) for a in articles("burst", today, 15, rng)]
        relaunched = outlets.outlet("Relaunch Times")
        relaunched.articles += [relaunched._prepare(a) for a in articles("relaunch", today, 5, rng)]
        relaunched.template = RELAUNCHED
        # Quiet Post publishes nothing today; the run judges today, as tomorrow's nightly run would
        run_2 = csto_monitor(*crawl, "--set", f"OUTLET_HEALTH_DAY={today.isoformat()}")
        feed_2 = health_feed(db)
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    rows = {(r["crawl_run_id"], r["name"]): dict(r) for r in connection.execute(
        "select h.*, o.name from outlet_health h join outlets o on o.id = h.outlet_id")}
    for name in ("Quiet Post", "Burst Daily", "Relaunch Times"):
        row = rows[(1, name)]
        assert (row["status"], row["day"], row["baseline_days"]) == ("ok", yesterday.isoformat(), 7), row
    quiet, burst, relaunch = (rows[(2, name)] for name in ("Quiet Post", "Burst Daily", "Relaunch Times"))
    assert (quiet["articles"], quiet["baseline_mean"], quiet["low"], quiet["high"]) == (0, 5.0, 1, 0)
    assert (burst["articles"], burst["baseline_mean"], burst["high"], burst["low"]) == (15, 1.0, 1, 0)
    assert relaunch["extraction"] == 1 and relaunch["median_chars"] < 0.5 * relaunch["baseline_median_chars"]
    assert "texts much shorter" in relaunch["note"]
    assert quiet["extraction"] == burst["extraction"] == 0
    # the crawl's exit output: low volume and extraction are warnings (exit 1), a burst a note
    assert run_2.returncode == 1, run_2.stderr[-3000:]
    lines = run_2.stdout.strip().splitlines()
    assert lines[0].startswith("crawl run 2 partial")
    assert f"warning: outlet Quiet Post: low volume: 0 articles on {today}, usually 5.0 a day" in lines
    assert any(line.startswith("warning: outlet Relaunch Times:") and "extraction" in line for line in lines)
    assert f"note: outlet Burst Daily: burst: 15 articles on {today}, usually 1.0 a day" in lines
    # the alert feed: one entry per outlet and day, under the same id when a later run judges it again
    assert {e.title for e in feed_2.entries} == {f"Quiet Post: low volume ({today})", f"Burst Daily: burst ({today})",
                                                 f"Relaunch Times: extraction ({today})"}
    assert all(e.content[0].value == rows[(2, e.title.split(":")[0])]["note"] for e in feed_2.entries)
    assert all(e.id.endswith(f"/{today}") and e.id.startswith("tag:csto-monitor,2026:outlet-health/") for e in feed_2.entries)
    stored = json.loads(connection.execute("select warnings from crawl_runs where id = 2").fetchone()[0])
    assert len([w for w in stored if "low volume" in w or "extraction" in w]) == 2
