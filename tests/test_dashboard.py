"""The desk dashboard (datasette-dashboards): served, and every panel's query answers, with and
without the desk's filters, on the crawled sample outlets."""

import asyncio
import json

import pytest
import yaml
from datasette.app import Datasette
from datasette_dashboards import replace_opts_in_query

from crawler.dashboard import DATASETTE_DIR

METADATA = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text())
DESK = METADATA["plugins"]["datasette-dashboards"]["desk"]
FILTERS = {"date_start": "2026-03-01", "date_end": "2026-06-30", "actor": "Putin", "outlet": "Steppe Observer", "language": "en",
           "group": "Central Asian independent"}


def with_filters(query: str, values: dict) -> tuple[str, dict]:
    """The SQL and parameters the dashboard page sends for these filter values: the plugin's own
    resolution of its optional [[ ... ]] clauses, and only the filters that are set."""
    values = {name: value for name, value in values.items() if value}
    return replace_opts_in_query(query, values), values


def run(datasette: Datasette, path: str, params: dict | None = None):
    return asyncio.run(datasette.client.get(path, params=params))


@pytest.fixture(scope="module")
def datasette(crawled):
    return Datasette([str(crawled["db"])], plugins_dir=str(DATASETTE_DIR / "plugins"), metadata=METADATA)


def test_the_dashboard_page_is_served_with_every_panel(datasette):
    page = run(datasette, "/-/dashboards/desk")
    assert page.status_code == 200
    for chart in DESK["charts"]:
        assert chart in page.text


@pytest.mark.parametrize("chart", sorted(DESK["charts"]))
def test_every_panel_answers_unfiltered_and_filtered(datasette, chart):
    query = DESK["charts"][chart]["query"]
    for values in ({}, FILTERS):
        sql, params = with_filters(query, values)
        response = run(datasette, "/monitor.json", {"sql": sql, "_shape": "array", **params})
        assert response.status_code == 200, response.text[:300]
        rows = response.json()
        if not values and chart not in NOTHING_YET:
            assert rows and any(v not in (None, 0) for v in rows[0].values()), rows


# panels whose truth on the crawled sample outlets is 0: the sample articles are from 2026's first
# half, and nobody reviewed them (tests/test_reviews.py measures the review panels with reviews)
NOTHING_YET = ("articles-this-week", "desk-reviews")


def test_filters_change_what_the_stance_panel_shows(datasette):
    query = DESK["charts"]["stance-over-time"]["query"]
    everyone = run(datasette, "/monitor.json", {"sql": with_filters(query, {})[0], "_shape": "array"}).json()
    sql, params = with_filters(query, {"actor": "Putin"})
    putin = run(datasette, "/monitor.json", {"sql": sql, "_shape": "array", **params}).json()
    assert {row["actor"] for row in putin} == {"Putin"} and len(everyone) > len(putin)


def test_copies_are_counted_once(datasette):
    sql = with_filters(DESK["charts"]["duplicates-removed"]["query"], {})[0]
    assert run(datasette, "/monitor.json", {"sql": sql, "_shape": "array"}).json() == [{"count": 1}]
    sql = with_filters(DESK["charts"]["language-share"]["query"], {})[0]
    shares = {row["language"]: row["articles"] for row in run(datasette, "/monitor.json", {"sql": sql, "_shape": "array"}).json()}
    assert shares == {"en": 20, "ru": 2, "hy": 1}  # 24 stored, the syndicated copy left out


def test_markup_in_an_article_is_shown_inert_in_the_strong_stance_table(crawled, tmp_path):
    import shutil

    import sqlite_utils

    path = tmp_path / "monitor.db"
    shutil.copy(crawled["db"], path)
    db = sqlite_utils.Database(path)
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    article = db["articles"].insert({"url": "http://evil.example/a?x=\"><script>", "title": f"Evil {hostile}",
                                     "published": "2026-07-30", "text": "x", "outlet_id": 1}).last_pk
    db["stances"].insert({"article_id": article, "actor_id": 1, "label": "critical", "score": -0.9,
                          "evidence": json.dumps([f"Sentence {hostile}"]), "model": "test"})
    db.close()
    datasette = Datasette([str(path)], plugins_dir=str(DATASETTE_DIR / "plugins"), metadata=METADATA)
    sql = with_filters(DESK["charts"]["strong-stances"]["query"], {})[0]
    first = run(datasette, "/monitor.json", {"sql": sql, "_shape": "array"}).json()[0]
    cells = first["article"] + first["evidence"] + first["source"]
    assert "<script" not in cells and "<img" not in cells
    assert "&lt;script&gt;" in first["evidence"] and first["article"].startswith(f'<a href="/monitor/articles/{article}">')


def test_the_matrix_shows_the_mean_of_the_stored_stances(datasette):
    """The heatmap reads the summary tables; its numbers are those of the stances themselves."""
    raw = """
        select o.name as outlet, ac.name as actor, round(avg(s.score), 3) as mean_score, count(*) as articles
        from stances s join articles a on a.id = s.article_id join outlets o on o.id = a.outlet_id
        join actors ac on ac.id = s.actor_id
        where a.duplicate_of is null and s.label is not null group by 1, 2 order by 1, 2
    """
    expected = run(datasette, "/monitor.json", {"sql": raw, "_shape": "array"}).json()
    sql = with_filters(DESK["charts"]["outlet-actor-matrix"]["query"], {})[0]
    cells = sorted(run(datasette, "/monitor.json", {"sql": sql, "_shape": "array"}).json(), key=lambda r: (r["outlet"], r["actor"]))
    shown = [{key: value for key, value in cell.items() if key != "cell"} for cell in cells]
    assert shown == expected and len(shown) > 5
    # a grid of more than 8 actors keeps its numbers in the tooltip; one actor's cells write them out
    assert len({c["actor"] for c in cells}) > 8 and all(c["cell"] == "" for c in cells)
    sql, params = with_filters(DESK["charts"]["outlet-actor-matrix"]["query"], {"actor": "Pashinyan"})
    one = run(datasette, "/monitor.json", {"sql": sql, "_shape": "array", **params}).json()
    assert one and all(c["cell"] == f"{c['mean_score']:+.2f} ({c['articles']})" for c in one)


def test_coverage_without_a_stance_model_is_counted_not_hidden(datasette, crawled):
    import sqlite3

    connection = sqlite3.connect(crawled["db"])
    unjudged = connection.execute(
        "select count(*) from stances s join articles a on a.id = s.article_id "
        "where a.duplicate_of is null and s.label is null").fetchone()[0]
    pashinyan_hy = connection.execute(
        "select count(*) from stances s join articles a on a.id = s.article_id join actors ac on ac.id = s.actor_id "
        "where ac.name = 'Pashinyan' and a.language = 'hy' and a.duplicate_of is null").fetchone()[0]
    connection.close()
    assert unjudged > 0 and pashinyan_hy == 1  # the sample's Armenian article: none:hy
    metric = DESK["charts"]["not-judged"]["query"]
    assert run(datasette, "/monitor.json", {"sql": with_filters(metric, {})[0], "_shape": "array"}).json() == [{"count": unjudged}]
    sql, params = with_filters(metric, {"actor": "Pashinyan"})
    assert run(datasette, "/monitor.json", {"sql": sql, "_shape": "array", **params}).json() == [{"count": pashinyan_hy}]
    table = DESK["charts"]["judged-by-language"]["query"]
    rows = {r["language"]: r for r in run(datasette, "/monitor.json", {"sql": with_filters(table, {})[0], "_shape": "array"}).json()}
    assert rows["hy"]["judged"] == 0 and rows["hy"]["not_judged"] == unjudged and rows["hy"]["note"] == "no stance model for this language"
    assert rows["ru"]["not_judged"] == 0 and rows["ru"]["judged"] > 0 and rows["ru"]["note"] == ""  # the Russian model
    assert rows["en"]["not_judged"] == 0 and rows["en"]["judged"] > 0 and rows["en"]["note"] == ""


def test_outlet_groups_filter_the_panels_and_are_compared(datasette, crawled):
    import sqlite3

    connection = sqlite3.connect(crawled["db"])
    groups = dict(connection.execute("select name, outlet_group from outlets"))
    connection.close()
    assert groups == {"Steppe Observer": "Central Asian independent", "Caucasus Ledger": "Armenian independent",
                      "Eurasia Wire": "Russian state"}  # from the sample outlets' sources.yml
    sql, params = with_filters(DESK["charts"]["outlet-actor-matrix"]["query"], {"group": "Russian state"})
    cells = run(datasette, "/monitor.json", {"sql": sql, "_shape": "array", **params}).json()
    assert cells and {c["outlet"] for c in cells} == {"Eurasia Wire"}
    sql, params = with_filters(DESK["charts"]["group-gap"]["query"], {"actor": "CSTO"})
    weeks = run(datasette, "/monitor.json", {"sql": sql, "_shape": "array", **params}).json()
    assert weeks and {w["actor"] for w in weeks} == {"CSTO"}
    assert {w["outlet_group"] for w in weeks} == set(groups.values())
    for week in {w["week"] for w in weeks}:
        means = [w["mean_score"] for w in weeks if w["week"] == week]
        gap = next(w["gap"] for w in weeks if w["week"] == week)
        assert gap == pytest.approx(max(means) - min(means), abs=0.002)
    chosen = run(datasette, "/monitor.json", {"sql": with_filters(DESK["charts"]["group-gap"]["query"], {})[0], "_shape": "array"}).json()
    assert chosen and len({w["actor"] for w in chosen}) == 1  # the most covered actor when none is chosen


def test_search_shows_the_matching_passage_and_articles_mentioning_finds_every_form(datasette):
    page = run(datasette, "/monitor/search", {"q": "Пашинян*"})
    assert page.status_code == 200 and "<mark>Пашиняна</mark>" in page.text
    rows = run(datasette, "/monitor/articles_mentioning.json",
               {"actor": "pashinyan", "language": "RU", "outlet": "", "since": "", "_shape": "array"}).json()
    assert [r["title"] for r in rows] == ["Пашинян подорвал доверие к ОДКБ, считают эксперты"]
    assert "Пашиняна" in json.loads(rows[0]["mentioned_as"]) and rows[0]["label"] == "critical"
    everywhere = run(datasette, "/monitor/articles_mentioning.json",
                     {"actor": "Pashinyan", "language": "", "outlet": "", "since": "", "_shape": "array"}).json()
    assert {r["language"] for r in everywhere} == {"en", "ru", "hy"}
