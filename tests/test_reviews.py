"""The desk corrects judgements: reviewers (`csto-monitor reviewers`), sign-in and the review form
of `csto-monitor serve` (a real Datasette, real HTTP, real Chromium), reviews posted while a real
crawl writes the database, a rebuilt database, `publish`, and measuring and refitting on reviews."""

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
import sqlite_utils
import yaml

from crawler.storage.database import open_database
from crawler.storage.reviews import Review, ReviewError, apply_reviews, desk_file, open_desk, record_review
from stance.model import MODELS_DIR
from tests.conftest import FAST, PROJECT, SLOW, csto_monitor, serving, start_crawl
from tests.test_browser import Visit, browser  # noqa: F401  (the module's Chromium)

PASSWORD = "correct horse battery"
NOTE = "<script>alert(1)</script> '); drop table stances; --"


def add_reviewer(db, name: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", "reviewers", "add", name, "--db", str(db), "--password-stdin"],
                          input=password + "\n", cwd=PROJECT, capture_output=True, text=True, timeout=120)


def copy_database(source, target) -> None:
    """A consistent copy of a database in WAL mode, as SQLite's backup makes it."""
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)


def write_sources(outlets, path, count: int | None = None):
    entries = [o.sources_entry() for o in outlets.outlets[:count]]
    path.write_text(yaml.safe_dump({"outlets": entries}, allow_unicode=True, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def desk(sample_outlets, tmp_path_factory):
    """A database of one sample outlet's crawl, with reviewer anna; the other outlets' sources for a later crawl."""
    folder = tmp_path_factory.mktemp("desk")
    db = folder / "monitor.db"
    first = csto_monitor("crawl", "--sources", str(write_sources(sample_outlets, folder / "one.yml", 1)), "--db", str(db), *FAST)
    assert first.returncode == 0, first.stderr[-3000:]
    assert add_reviewer(db, "anna").returncode == 0
    return {"db": db, "folder": folder, "all_sources": write_sources(sample_outlets, folder / "all.yml")}


@pytest.fixture(scope="module")
def served_desk(desk):
    with serving(desk["db"]) as base:
        yield base


def judged_stances(db, language: str = "en") -> list[tuple[int, str, str]]:
    """(article id, actor, label) of the judged stances of originals in `language`."""
    connection = sqlite3.connect(db)
    try:
        return connection.execute(
            """select s.article_id, ac.name, s.label from stances s join actors ac on ac.id = s.actor_id
               join articles a on a.id = s.article_id where a.language = ? and s.label is not null
               and a.duplicate_of is null order by s.article_id, ac.name""", [language]).fetchall()
    finally:
        connection.close()


def csrf_token(client: httpx.Client, path: str = "/-/login") -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', client.get(path).text).group(1)


def signed_in(base: str, name: str = "anna", password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    answer = client.post("/-/login", data={"username": name, "password": password, "csrftoken": csrf_token(client)})
    assert answer.status_code == 302, answer.text[:300]
    return client


def post_review(client: httpx.Client, article_id: int, actor: str, label: str, note: str = "") -> httpx.Response:
    token = csrf_token(client)  # the sign-in page carries a token for anyone
    return client.post("/-/review", data={"article_id": article_id, "actor": actor, "label": label, "note": note,
                                          "csrftoken": token})


def counts(db) -> tuple[int, int]:
    """(reviews in the desk file, reviews applied to the database)."""
    with sqlite3.connect(desk_file(db)) as desk_connection, sqlite3.connect(db) as connection:
        return (desk_connection.execute("select count(*) from reviews").fetchone()[0],
                connection.execute("select count(*) from reviews").fetchone()[0])


def test_reviewers_are_added_listed_and_removed_with_only_a_hash_kept(desk):
    db = desk["db"]
    assert add_reviewer(db, "carol", "short").returncode == 4  # too short: one line, nothing stored
    assert add_reviewer(db, "bad name!").returncode == 4
    assert add_reviewer(db, "carol").returncode == 0
    listed = csto_monitor("reviewers", "list", "--db", str(db))
    assert "anna" in listed.stdout and "carol" in listed.stdout
    stored = desk_file(db).read_bytes() + (desk_file(db).with_name(desk_file(db).name + "-wal").read_bytes()
                                           if desk_file(db).with_name(desk_file(db).name + "-wal").exists() else b"")
    assert PASSWORD.encode() not in stored and b"$argon2" in stored
    with sqlite3.connect(db) as connection:  # the database researchers get holds no credential
        assert "reviewers" not in {row[0] for row in connection.execute("select name from sqlite_master")}
    assert csto_monitor("reviewers", "remove", "carol", "--db", str(db)).returncode == 0
    missing = csto_monitor("reviewers", "remove", "carol", "--db", str(db))
    assert missing.returncode == 1 and missing.stderr.startswith("error: no reviewer is named carol")
    assert "carol" not in csto_monitor("reviewers", "list", "--db", str(db)).stdout


def test_a_review_is_kept_with_its_history_and_an_sql_looking_note_as_text(desk, tmp_path):
    db_path = tmp_path / "monitor.db"
    copy_database(desk["db"], db_path)
    article_id, actor, model_label = judged_stances(db_path)[0]
    db, desk_db = open_database(db_path), open_desk(db_path)
    with pytest.raises(ReviewError):
        record_review(db, desk_db, Review(article_id, "Nobody", "critical", "", "anna"))
    with pytest.raises(ReviewError):
        record_review(db, desk_db, Review(article_id, actor, "hostile", "", "anna"))
    other = next(label for label in ("critical", "supportive") if label != model_label)
    first = record_review(db, desk_db, Review(article_id, actor, other, NOTE, "anna"))
    second = record_review(db, desk_db, Review(article_id, actor, "neutral", "", "ben"))
    review = desk_db["reviews"].get(second)
    assert (review["previous_id"], review["model_label"], review["reviewer"]) == (first, model_label, "ben")
    assert desk_db["reviews"].get(first)["note"] == NOTE and "stances" in db.table_names()
    stance = next(db.query("select label, score, confidence, review_id from stances s join actors ac on ac.id = s.actor_id "
                           "where s.article_id = ? and ac.name = ?", [article_id, actor]))
    assert stance == {"label": "neutral", "score": 0.0, "confidence": 1.0, "review_id": second}
    assert apply_reviews(db, desk_db) == set()  # applied once only
    assert db.execute("select count(*) from reviews").fetchone()[0] == 2


def test_sign_in_takes_a_reviewer_and_refuses_a_wrong_password(served_desk):
    client = httpx.Client(base_url=served_desk, timeout=30)
    assert "Reviewers: sign in" in client.get("/-/dashboards/desk").text
    wrong = client.post("/-/login", data={"username": "anna", "password": "wrong password", "csrftoken": csrf_token(client)})
    assert wrong.status_code == 403 and "Wrong name or password" in wrong.text and "ds_actor" not in client.cookies
    unknown = client.post("/-/login", data={"username": "nobody", "password": PASSWORD, "csrftoken": csrf_token(client)})
    assert unknown.status_code == 403
    assert signed_in(served_desk).get("/-/actor.json").json()["actor"]["id"] == "anna"


def test_anonymous_and_csrf_less_posts_are_refused_and_store_nothing(served_desk, desk):
    article_id, actor, _ = judged_stances(desk["db"])[0]
    before = counts(desk["db"])
    anonymous = httpx.Client(base_url=served_desk, timeout=30)
    refused = post_review(anonymous, article_id, actor, "critical")  # a CSRF token, but nobody signed in
    assert refused.status_code == 403
    without_cookies = httpx.post(f"{served_desk}/-/review", data={"article_id": article_id, "actor": actor, "label": "critical"})
    assert without_cookies.status_code == 403
    reviewer = signed_in(served_desk)
    no_token = reviewer.post("/-/review", data={"article_id": article_id, "actor": actor, "label": "critical"})
    assert no_token.status_code == 403  # Datasette's CSRF protection
    assert post_review(reviewer, article_id, actor, "furious").status_code == 400
    assert counts(desk["db"]) == before


def test_anonymous_sql_cannot_change_the_served_database(served_desk, desk):
    for sql in ("update stances set label = 'supportive'", "delete from reviews", "attach database 'x.db' as x"):
        answer = httpx.get(f"{served_desk}/monitor.json", params={"sql": sql})
        assert answer.status_code in (400, 403), sql
    with sqlite3.connect(desk["db"]) as connection:
        assert connection.execute("select count(*) from stances where label = 'supportive'").fetchone()[0] < \
            connection.execute("select count(*) from stances").fetchone()[0]


def test_a_reviewer_corrects_a_label_in_chromium_and_the_dashboard_counts_it(browser, served_desk, desk):  # noqa: F811
    article_id, actor, model_label = judged_stances(desk["db"])[1]
    desk_label = "critical" if model_label != "critical" else "supportive"
    visit = Visit(browser, f"{served_desk}/-/login?next=/monitor/articles/{article_id}")
    dialogs = []
    visit.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    visit.page.fill("#username", "anna")
    visit.page.fill("#password", PASSWORD)
    visit.page.click("input[type=submit]")
    visit.page.wait_for_url(f"**/monitor/articles/{article_id}")
    row = visit.page.locator(f'tr.stance-row[data-actor="{actor}"]')
    row.locator("select[name=label]").select_option(desk_label)
    row.locator("input[name=note]").fill(NOTE)
    row.locator("button[type=submit]").click()
    visit.page.wait_for_load_state("networkidle")
    row = visit.page.locator(f'tr.stance-row[data-actor="{actor}"]')
    assert row.locator(".reviewed").inner_text() == "reviewed"
    assert row.locator(f"td.label-{desk_label}").inner_text().startswith(f"{desk_label} reviewed")
    assert f"the model said {model_label}" in row.inner_text() and "alert(1)" in row.locator(".review-note").inner_text()
    assert visit.page.locator("main script").count() == 0 and dialogs == [] and visit.errors == []
    visit.page.screenshot(path=str(desk["folder"] / "reviewed-article.png"), full_page=True)

    anonymous = Visit(browser, f"{served_desk}/monitor/articles/{article_id}")  # another reader sees it, without a form
    assert anonymous.page.locator(f'tr.stance-row[data-actor="{actor}"] .reviewed').count() == 1
    assert anonymous.page.locator("form.review-form").count() == 0
    dashboard = Visit(browser, f"{served_desk}/-/dashboards/desk?date_start=2000-01-01&actor={actor}")
    dashboard.page.wait_for_selector("#card-desk-confusion table", timeout=30_000)
    assert dashboard.page.locator("#chart-desk-reviews").inner_text().strip() == "1"
    assert dashboard.page.locator("#chart-desk-agreement").inner_text().strip() == "0.0 %"
    confusion = dashboard.page.locator("#card-desk-confusion table").inner_text()
    assert actor in confusion and desk_label in confusion and dashboard.errors == []
    dashboard.page.screenshot(path=str(desk["folder"] / "model-and-desk.png"), full_page=True)
    with sqlite3.connect(desk["db"]) as connection:  # the summaries count the desk's label
        day, counted = connection.execute(
            f"""select d.day, d.{desk_label} from daily_stances d join articles a on a.id = ? and d.day = date(a.published)
                and d.outlet_id = a.outlet_id and d.language = a.language
                join actors ac on ac.id = d.actor_id and ac.name = ?""", [article_id, actor]).fetchone()
        assert counted >= 1


def test_reviews_posted_while_a_crawl_writes_are_all_kept(served_desk, desk):
    stances = judged_stances(desk["db"])
    crawl = start_crawl(desk["all_sources"], desk["db"], *SLOW)  # the reviews land while it writes
    reviewer, posted, labels = signed_in(served_desk), [], ("critical", "neutral", "supportive")
    while crawl.poll() is None or len(posted) < 12:
        article_id, actor, _ = stances[len(posted) % len(stances)]
        label = labels[len(posted) % 3]
        answer = post_review(reviewer, article_id, actor, label)
        assert answer.status_code == 302, answer.text[:300]
        posted.append((article_id, actor, label))
        time.sleep(0.3)
    assert crawl.wait(timeout=300) == 0, desk["db"].with_name("monitor-crawl.out").read_text()[-3000:]
    with sqlite3.connect(desk["db"]) as connection:
        assert connection.execute("select count(distinct outlet_id) from articles").fetchone()[0] == 3  # the crawl wrote
        for article_id, actor in {(a, b) for a, b, _ in posted}:
            last = [label for a, b, label in posted if (a, b) == (article_id, actor)][-1]
            stored = connection.execute("select s.label from stances s join actors ac on ac.id = s.actor_id "
                                        "where s.article_id = ? and ac.name = ?", [article_id, actor]).fetchone()[0]
            assert stored == last
    desk_count, applied = counts(desk["db"])
    assert desk_count == applied >= len(posted)


def test_the_reviews_survive_a_rebuilt_database(desk, tmp_path):
    rebuilt = tmp_path / "monitor.db"
    copy_database(desk_file(desk["db"]), desk_file(rebuilt))  # the desk file stays; the database is crawled anew
    crawl = csto_monitor("crawl", "--sources", str(desk["all_sources"]), "--db", str(rebuilt), *FAST)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    expected = {(row[0], row[1]): row[2] for row in sqlite3.connect(desk["db"]).execute(
        """select coalesce(a.canonical_url, a.url), ac.name, s.label from stances s join reviews r on r.id = s.review_id
           join articles a on a.id = s.article_id join actors ac on ac.id = s.actor_id""")}
    found = {(row[0], row[1]): row[2] for row in sqlite3.connect(rebuilt).execute(
        """select coalesce(a.canonical_url, a.url), ac.name, s.label from stances s join reviews r on r.id = s.review_id
           join articles a on a.id = s.article_id join actors ac on ac.id = s.actor_id""")}
    assert len(expected) >= 3 and found == expected


def test_stance_eval_and_export_measure_the_models_on_the_reviews(desk, tmp_path):
    result = csto_monitor("stance", "eval", "--reviews", "--db", str(desk["db"]))
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"agreement", "macro_f1", "f1", "n", "by_language"} <= set(figures)
    with sqlite3.connect(desk["db"]) as connection:
        pairs = connection.execute("select desk_label, model_label from model_desk_pairs").fetchall()
    # the models judge as the crawl did, so they agree with the desk exactly where the stored judgement did
    assert figures["n"] == len(pairs) >= 5
    assert figures["agreement"] == pytest.approx(sum(d == m for d, m in pairs) / len(pairs), abs=1e-4)
    assert figures["by_language"]["en"]["n"] == figures["n"]
    out = tmp_path / "reviews.jsonl"
    exported = csto_monitor("reviews", "export", "--db", str(desk["db"]), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    from lab.articles import read_articles

    articles = read_articles(out)
    assert len(articles) == figures["n"] and "anna" not in out.read_text()
    assert sorted(a.label for a in articles) == sorted(d for d, _ in pairs)


def test_fit_combination_on_the_reviews_reports_before_and_after_and_writes_only_out(desk, tmp_path):
    from lab.desk_articles import DESK_TUNING, read_desk_articles

    articles = tmp_path / "articles.jsonl"  # real-news stand-ins: the desk's tuning articles, one record per actor
    articles.write_text("".join(json.dumps({"title": a.title, "text": a.text, "target": actor, "label": label}) + "\n"
                                for a in read_desk_articles(DESK_TUNING) if a.language == "en"
                                for actor, label in a.actors.items()))
    shipped = hashlib.sha1((MODELS_DIR / "minilm-newsmtsc" / "combination.json").read_bytes()).hexdigest()
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "combination.json"
    result = csto_monitor("stance", "fit-combination", "--articles", str(articles), "--reviews", str(desk["db"]),
                          "--out", str(out), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(figures) == {"before", "after"} and figures["after"]["reviews"]["n"] == figures["before"]["reviews"]["n"] >= 5
    assert 0 <= figures["after"]["reviews"]["macro_f1"] <= 1 and 0 <= figures["before"]["macro_f1"] <= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before + ["combination.json"])
    assert json.loads(out.read_text())["fitted"]["files"][-1] == "monitor.db"
    assert hashlib.sha1((MODELS_DIR / "minilm-newsmtsc" / "combination.json").read_bytes()).hexdigest() == shipped


def test_publish_leaves_out_credentials_and_reviewer_names_unless_asked(desk, tmp_path):
    db = tmp_path / "monitor.db"  # reviews of its own: the test holds in any order
    copy_database(desk["db"], db)
    copy_database(desk_file(desk["db"]), desk_file(db))
    database, desk_db = open_database(db), open_desk(db)
    for article_id, actor, label in judged_stances(db)[:3]:
        record_review(database, desk_db, Review(article_id, actor, "neutral" if label != "neutral" else "critical", "", "anna"))
    out = tmp_path / "site"
    result = csto_monitor("publish", "--db", str(db), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    published = b"".join(path.read_bytes() for path in out.rglob("*") if path.is_file())
    assert b"anna" not in published and b"$argon2" not in published and b"correct horse" not in published
    assert not list(out.rglob("*.desk.db")) and not (out / "plugins" / "csto_monitor_reviews.py").exists()
    copy = sqlite_utils.Database(out / "monitor.db")
    assert copy.execute("select count(*), count(reviewer) from reviews").fetchone()[0] >= 3
    assert copy.execute("select count(reviewer) from reviews").fetchone()[0] == 0
    named = tmp_path / "named"
    assert csto_monitor("publish", "--db", str(db), "--out", str(named), "--with-reviewers").returncode == 0
    assert sqlite_utils.Database(named / "monitor.db").execute("select count(reviewer) from reviews").fetchone()[0] >= 3
    assert b"$argon2" not in b"".join(p.read_bytes() for p in named.rglob("*") if p.is_file())


def test_sign_in_attempts_are_limited(desk, tmp_path):
    db = tmp_path / "monitor.db"
    copy_database(desk["db"], db)
    copy_database(desk_file(desk["db"]), desk_file(db))
    with serving(db) as base:
        client = httpx.Client(base_url=base, timeout=30)
        for _ in range(5):
            data = {"username": "anna", "password": "guess", "csrftoken": csrf_token(client)}
            assert client.post("/-/login", data=data).status_code == 403
        data = {"username": "anna", "password": PASSWORD, "csrftoken": csrf_token(client)}
        limited = client.post("/-/login", data=data)
        assert limited.status_code == 429 and "Too many failed sign-ins" in limited.text
        assert "ds_actor" not in client.cookies


def test_review_commands_say_what_is_wrong_in_one_line(desk, tmp_path):
    empty = tmp_path / "monitor.db"
    open_database(empty).close()
    for args, code, start in (
            (("stance", "eval"), 4, "error: give the FILE to measure on, or --reviews"),
            (("stance", "eval", "--reviews", "--db", str(empty)), 1, f"error: {empty} holds no review yet"),
            (("reviewers", "list", "--db", str(tmp_path / "missing.db")), 1, "error: database"),
            (("reviewers", "remove", "nobody", "--db", str(desk["db"])), 1, "error: no reviewer is named nobody")):
        result = csto_monitor(*args)
        assert result.returncode == code and result.stderr.startswith(start) and len(result.stderr.splitlines()) == 1, \
            (args, result.stderr)
