"""A real crawl of the bundled sample outlets into a real SQLite file, then a second crawl."""

import asyncio
import json

import pytest
import sqlite_utils
from datasette.app import Datasette
import yaml

from crawler.dashboard import DATASETTE_DIR
from tests.conftest import csto_monitor

RESIDUE = ("top of page", "bottom of page", "Leave a Reply", "Similar Posts", "Write a comment",
           "Your email address will not be published", "Source: Steppe Observer")


@pytest.fixture(scope="module")
def db(crawled):
    return sqlite_utils.Database(crawled["db"])


def stored_paths(db, sample_outlets) -> dict[str, set[str]]:
    paths: dict[str, set[str]] = {}
    for row in db.query("select a.url, o.name from articles a join outlets o on o.id = a.outlet_id"):
        base = sample_outlets.outlet(row["name"]).base
        paths.setdefault(row["name"], set()).add(row["url"].removeprefix(base))
    return paths


def test_every_csto_article_is_stored_once_and_unrelated_ones_are_not(db, sample_outlets):
    expected = {
        outlet.name: {
            a["slug"] for a in outlet.articles
            if any(k in a["title"] + " ".join(a["paragraphs"]) for k in ("CSTO", "ОДКБ", "ՀԱՊԿ", "Collective Security Treaty"))
            and not a["slug"].startswith("members/")
        }
        for outlet in sample_outlets.outlets
    }
    assert sum(len(v) for v in expected.values()) >= 24
    assert stored_paths(db, sample_outlets) == expected
    assert db.execute("select count(*), count(distinct url) from articles").fetchone() == (24, 24)
    titles = {row["title"] for row in db.query("select title from articles")}
    for unrelated in ("Astana braces for a record summer heat wave", "Teenager wins the Yerevan chess open",
                      "Hockey league final goes to a seventh game"):
        assert unrelated not in titles


def test_robots_disallowed_page_is_never_requested(crawled):
    requested = crawled["requests_first"]["Steppe Observer"] + crawled["requests_second"]["Steppe Observer"]
    assert "/robots.txt" in requested
    assert "/blog-feed.xml" in requested
    assert not [path for path in requested if path.startswith("/members/")]


def test_section_pagination_and_redirect_are_followed(db, crawled, sample_outlets):
    assert "/category/csto/page/2/" in crawled["requests_first"]["Caucasus Ledger"]
    paths = stored_paths(db, sample_outlets)
    assert "2026/02/pashinyan-freezes-csto" in paths["Caucasus Ledger"]  # only on section page 2
    assert "news/zelensky-blamed.html" in paths["Eurasia Wire"]  # only reachable through a 301


def test_syndicated_copy_points_at_the_earlier_original(db):
    original = db.execute("select id from articles where url like '%/post/tokayev-keeps-troops-home'").fetchone()[0]
    copy = db.execute("select duplicate_of from articles where url like '%csto-tokayev-syndicated.html'").fetchone()[0]
    assert copy == original
    assert db.execute("select count(*) from articles where duplicate_of is not null").fetchone()[0] == 1


def test_russian_articles_are_detected_and_decoded(db):
    rows = list(db.query("select url, title, text, language from articles where url like '%/ru/%' order by url"))
    assert [r["language"] for r in rows] == ["ru", "ru"]
    windows_1251 = next(r for r in rows if "pashinyan-doverie" in r["url"])
    assert windows_1251["title"] == "Пашинян подорвал доверие к ОДКБ, считают эксперты"
    assert "Никол Пашинян" in windows_1251["text"]


def test_no_stored_text_carries_boilerplate(db):
    for row in db.query("select url, text from articles"):
        for phrase in RESIDUE:
            assert phrase.lower() not in row["text"].lower(), (phrase, row["url"])


def stance_of(db, url_part: str, actor: str) -> dict:
    return next(db.query(
        """select s.* from stances s join articles a on a.id = s.article_id join actors ac on ac.id = s.actor_id
           where a.url like ? and ac.name = ?""", [f"%{url_part}%", actor]))


def test_actors_are_found_with_the_stance_the_article_takes(db):
    assert stance_of(db, "putin-pressure-central-asia", "Putin")["label"] == "critical"
    assert stance_of(db, "tokayev-balanced-diplomacy", "Tokayev")["label"] == "supportive"
    # the same outlet portrays the same actor differently in two articles
    assert stance_of(db, "pashinyan-freezes-csto", "Pashinyan")["label"] == "supportive"
    assert stance_of(db, "pashinyan-criticised-at-home", "Pashinyan")["label"] == "critical"
    putin = stance_of(db, "putin-pressure-central-asia", "Putin")
    assert putin["mentions"] >= 3 and -1 <= putin["score"] < 0
    evidence = json.loads(putin["evidence"])
    assert evidence and all("Putin" in sentence for sentence in evidence)


def test_russian_articles_get_their_stance_from_the_russian_model(db):
    putin = stance_of(db, "putin-odkb-opora", "Putin")  # praised and thanked by the allies
    assert putin["model"] == "e5-ru" and putin["label"] == "supportive" and putin["score"] > 0
    pashinyan = stance_of(db, "pashinyan-doverie-odkb", "Pashinyan")  # accused, his decisions called dangerous
    assert pashinyan["mentions"] >= 3  # Пашинян, Пашиняна, Пашиняна
    assert pashinyan["model"] == "e5-ru" and pashinyan["label"] == "critical" and pashinyan["score"] < 0
    assert any("Пашинян" in sentence for sentence in json.loads(pashinyan["evidence"]))


def test_articles_in_a_language_without_a_model_keep_actors_but_no_guess(db):
    stance = stance_of(db, "pashinyan-csto-obligations", "Pashinyan")
    assert stance["mentions"] >= 2  # Փաշինյանը, Փաշինյանի
    assert stance["label"] is None and stance["score"] is None
    assert stance["model"] == "none:hy"


def test_crawl_run_is_recorded_with_its_counts(db, crawled):
    first, second = list(db.query("select * from crawl_runs order by id"))
    assert first["status"] == "ok" and first["finished"]
    assert first["articles_new"] == 24 and first["duplicates"] == 1
    assert first["dropped"] == 4  # the four sport and weather articles
    assert first["errors"] == 2  # the 404 and the 500
    assert "articles new: 24" in crawled["first"].stdout


def test_second_crawl_rereads_unchanged_feeds_and_sitemaps_as_304(crawled, sample_outlets):
    """...except the sitemaps that listed a page that failed with a 500 (it may work next time):
    they are read again in full, and the page is retried."""
    def discovery(statuses):
        return [(path, status) for path, status in statuses if path.endswith((".xml", "/feed/atom/"))]

    led_to_the_500 = {"/sitemap.xml", "/sitemap-en.xml"}
    for outlet in sample_outlets.outlets:
        first, second = discovery(crawled["statuses_first"][outlet.name]), discovery(crawled["statuses_second"][outlet.name])
        assert first and {status for _, status in first} == {200}, outlet.name
        expected = {path: 200 if outlet.name == "Eurasia Wire" and path in led_to_the_500 else 304 for path, _ in second}
        assert second and dict(second) == expected, (outlet.name, second)
    assert ("/news/broken-story.html", 500) in crawled["statuses_second"]["Eurasia Wire"]


def test_second_crawl_adds_no_rows_and_refetches_no_article(db, crawled, sample_outlets):
    second = list(db.query("select * from crawl_runs order by id"))[-1]
    assert second["status"] == "ok" and second["articles_new"] == 0
    assert db.execute("select count(*) from articles").fetchone()[0] == 24
    stored = stored_paths(db, sample_outlets)
    for outlet, paths in crawled["requests_second"].items():
        refetched = {p.lstrip("/") for p in paths} & stored[outlet]
        assert not refetched, (outlet, refetched)


def test_datasette_answers_the_stance_over_time_query(crawled):
    metadata = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text())
    datasette = Datasette([str(crawled["db"])], plugins_dir=str(DATASETTE_DIR / "plugins"), metadata=metadata)

    async def fetch():
        rows = await datasette.client.get("/monitor/stance_over_time.json?actor=Putin&since=&_shape=array")
        page = await datasette.client.get("/monitor/stance_over_time?actor=")
        return rows, page

    async def fetch_by_outlet():
        return await datasette.client.get("/monitor/stance_by_outlet.json?actor=Tokayev&since=2026-01-01&_shape=array")

    response, page = asyncio.run(fetch())
    by_outlet = asyncio.run(fetch_by_outlet()).json()
    # Eurasia Wire mentions Tokayev only in its syndicated copy, which is not counted again
    assert {row["outlet"] for row in by_outlet} == {"Steppe Observer"}
    assert response.status_code == 200
    rows = response.json()
    assert rows and {row["actor"] for row in rows} == {"Putin"}
    assert all(-1 <= row["mean_score"] <= 1 and row["articles"] >= 1 for row in rows)
    assert page.status_code == 200
    assert "datasette_vega" in page.text  # the chart plugin is loaded on the canned query page


def test_a_dropped_page_records_the_category_of_its_reason_not_its_url(db):
    reasons = {row[0]: row[1] for row in db.execute(
        "select reason, count(*) from pages where outcome = 'dropped' group by reason")}
    assert reasons == {"no topic keyword": 4}  # the sample outlets' sport and weather articles


def test_each_stance_says_whether_the_headline_names_the_actor(db):
    assert stance_of(db, "putin-pressure-central-asia", "Putin")["headline"] == 1
    assert stance_of(db, "putin-pressure-central-asia", "Russia")["headline"] == 0  # named in the text only
    assert stance_of(db, "pashinyan-doverie-odkb", "Pashinyan")["headline"] == 1  # unjudged (none:ru), still known


def test_every_article_is_placed_in_a_story_and_a_copy_joins_its_originals(db):
    assert db.execute("select count(*) from articles where story_id is null").fetchone()[0] == 0
    copy = next(db.query("select story_id, duplicate_of from articles where duplicate_of is not null"))
    assert copy["story_id"] == db.execute("select story_id from articles where id = ?", [copy["duplicate_of"]]).fetchone()[0]
    stories, reports = db.execute("select count(*), sum(articles) from stories").fetchone()
    assert reports == 24 and stories <= 23  # the copy shares its original's story
    # the hand-written outlets report different events: no story joins two outlets' original reports
    assert db.execute("select max(outlets) from stories").fetchone()[0] <= 2


def test_the_crawl_reads_new_names_and_suggests_the_person_not_in_actors_yml(db, crawled):
    """The Russian sample article quotes a political scientist actors.yml does not track; English
    articles are read too (spaCy), and no tracked actor is new in either language."""
    names = {row["name"]: row for row in db.query("select * from names")}
    assert names["Аркадий Зимин"]["kind"] == "person"
    tracked = {"Путин", "Владимир Путин", "Пашинян", "Никол Пашинян", "ОДКБ", "Токаев", "Лукашенко",
               "Putin", "Vladimir Putin", "Pashinyan", "Nikol Pashinyan", "CSTO", "Tokayev", "Lukashenko"}
    assert not tracked & set(names)
    assert not {"Eurasia Wire", "Steppe Observer", "Caucasus Ledger", "Kazakh", "Kazakhs"} & set(names)  # outlets, peoples
    assert db.execute("select count(*) from articles where language in ('ru', 'en') and duplicate_of is null "
                      "and names_read is null").fetchone()[0] == 0
    result = csto_monitor("actors", "suggest", "--db", str(crawled["db"]))
    assert result.returncode == 0 and "- name: Аркадий Зимин\n  kind: person\n  aliases:\n  - Зимин\n" in result.stdout


def test_the_new_names_panel_ranks_names_with_their_outlets_and_a_sentence(crawled):
    from datasette_dashboards import replace_opts_in_query

    metadata = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text())
    datasette = Datasette([str(crawled["db"])], plugins_dir=str(DATASETTE_DIR / "plugins"), metadata=metadata)
    panel = metadata["plugins"]["datasette-dashboards"]["desk"]["charts"]["new-names"]["query"]

    def rows(**options):
        sql = replace_opts_in_query(panel, options)
        return asyncio.run(datasette.client.get("/monitor.json", params={"sql": sql, "_shape": "array", **options})).json()

    found = {row["name"]: row for row in rows(date_start="2026-04-01", date_end="2026-05-10")}
    zimin = found["Аркадий Зимин"]
    assert (zimin["kind"], zimin["articles"], zimin["last_7_days"], zimin["outlets"]) == ("person", 1, 1, "Eurasia Wire")
    assert zimin["rise_vs_weeks_before"] == "+1.0" and "Института евразийской безопасности" in zimin["example"]
    assert "Аркадий Зимин" not in {row["name"] for row in rows(date_start="2026-04-01", date_end="2026-05-01")}
    assert rows(date_start="2020-01-01", date_end="2020-02-01")[0]["name"] == "no new name in this period"
