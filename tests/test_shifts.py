"""Shifts: weeks in which an actor's volume or stance left its own baseline (crawler/storage/shifts.py)."""

from datetime import date, timedelta

from crawler.storage.database import open_database
from crawler.rules import default_rules
from crawler.storage.shifts import ShiftRules, refresh_shifts, shifts_of

START = date(2026, 1, 5)  # a Monday


def week(k: int) -> str:
    return (START + timedelta(weeks=k)).isoformat()


def steady(weeks: int = 8, articles: int = 3, score: float = 0.1) -> dict:
    """`weeks` weeks of `articles` judged articles a week with mean score `score` (a little noise)."""
    return {week(k): [articles + k % 2, articles + k % 2, (score + 0.05 * (k % 3 - 1)) * (articles + k % 2)] for k in range(weeks)}


def test_a_week_far_from_the_baseline_is_a_shift_in_volume_and_stance():
    weeks = steady()
    weeks[week(8)] = [12, 12, -0.7 * 12]  # a burst of critical coverage
    found = {row["kind"]: row for row in shifts_of(weeks, 8, 2.0, 3)}
    assert found["volume"]["week"] == week(8) and found["volume"]["direction"] == "up" and found["volume"]["value"] == 12
    assert found["stance"]["direction"] == "down" and found["stance"]["value"] == -0.7
    assert found["stance"]["deviation_sd"] < -2 and found["volume"]["deviation_sd"] > 2


def test_ordinary_weeks_short_histories_and_small_counts_are_not_shifts():
    weeks = steady(12)
    assert shifts_of(weeks, 8, 2.0, 3) == []  # the baseline's own ups and downs
    young = steady(4)
    young[week(4)] = [12, 12, -8.4]
    assert shifts_of(young, 8, 2.0, 3) == []  # four weeks of history is no baseline
    quiet = {week(k): [0, 0, 0.0] for k in range(8)}
    quiet[week(8)] = [2, 2, -1.6]
    assert shifts_of(quiet, 8, 2.0, 3) == []  # two articles are below the minimum
    quiet[week(8)] = [3, 0, 0.0]
    assert [r["kind"] for r in shifts_of(quiet, 8, 2.0, 3)] == ["volume"]  # 3 against a flat 0: more than 2 x the 1-article floor


def test_shifts_are_rebuilt_per_outlet_group_and_for_every_outlet(tmp_path):
    db = open_database(tmp_path / "monitor.db")
    db["outlets"].insert_all([{"id": 1, "name": "State", "outlet_group": "Russian state"},
                              {"id": 2, "name": "Independent", "outlet_group": "Russian independent"}])
    db["actors"].insert({"id": 1, "name": "Pashinyan", "kind": "person"})
    rows = []
    for k in range(9):
        for outlet, score in ((1, -0.1), (2, 0.1)):
            articles, mean = (10, -0.8) if (outlet == 1 and k == 8) else (3 + k % 2, score + 0.05 * (k % 3 - 1))
            rows.append({"week": week(k), "outlet_id": outlet, "actor_id": 1, "language": "ru", "articles": articles,
                         "scored": articles, "score_sum": mean * articles, "critical": 0, "neutral": 0, "supportive": 0})
    db["weekly_stances"].insert_all(rows)
    assert refresh_shifts(db, ShiftRules(8, 2.0, 3)) > 0
    found = {(r["outlet_group"], r["kind"]) for r in db.query("select * from stance_shifts where week = ?", [week(8)])}
    assert ("Russian state", "stance") in found and ("Russian state", "volume") in found
    assert not any(group == "Russian independent" for group, _ in found)
    assert ("", "volume") in found  # over every outlet too
    refresh_shifts(db, ShiftRules(8, 2.0, 3))
    assert db["stance_shifts"].count == len(list(db.query("select distinct week, outlet_group, kind from stance_shifts")))  # rebuilt, not appended


def test_the_shifts_feed_and_panel_show_them(tmp_path):
    import asyncio

    import feedparser
    import yaml
    from datasette.app import Datasette

    from crawler.dashboard import DATASETTE_DIR

    db = open_database(tmp_path / "monitor.db")
    db["outlets"].insert({"id": 1, "name": "State", "outlet_group": "Russian state"})
    db["actors"].insert({"id": 1, "name": "Pashinyan", "kind": "person"})
    db["crawl_runs"].insert({"id": 1, "started": "2026-03-02T06:00:00+00:00", "finished": "2026-03-02T06:05:00+00:00", "status": "ok"})
    weeks = steady()
    weeks[week(8)] = [12, 12, -8.4]
    db["weekly_stances"].insert_all({"week": w, "outlet_id": 1, "actor_id": 1, "language": "ru", "articles": a, "scored": s,
                                     "score_sum": total, "critical": 0, "neutral": 0, "supportive": 0}
                                    for w, (a, s, total) in weeks.items())
    refresh_shifts(db, default_rules(ShiftRules, "SHIFT_"))
    metadata = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text())
    datasette = Datasette([str(tmp_path / "monitor.db")], plugins_dir=str(DATASETTE_DIR / "plugins"), metadata=metadata)
    response = asyncio.run(datasette.client.get("/monitor/alerts_shifts.atom", params={"actor": "pashinyan", "group": "russian STATE"}))
    feed = feedparser.parse(response.content)
    assert response.status_code == 200 and not feed.bozo
    titles = {entry.title for entry in feed.entries}
    end = (date.fromisoformat(week(8)) + timedelta(days=6)).isoformat()
    assert {entry.link for entry in feed.entries} == {
        f"/-/dashboards/desk?actor=Pashinyan&date_start={week(8)}&date_end={end}&group=Russian%20state"}
    assert asyncio.run(datasette.client.get(feed.entries[0].link)).status_code == 200
    assert titles == {f"Pashinyan: more articles in the week of {week(8)} (Russian state)",
                      f"Pashinyan: more critical in the week of {week(8)} (Russian state)"}
    panel = metadata["plugins"]["datasette-dashboards"]["desk"]["charts"]["shifts"]["query"]
    from datasette_dashboards import replace_opts_in_query

    rows = asyncio.run(datasette.client.get("/monitor.json", params={"sql": replace_opts_in_query(panel, {}), "_shape": "array"})).json()
    assert {(r["shift"], r["outlet_group"]) for r in rows} == {("more articles", "all outlets"), ("more critical", "all outlets")}
