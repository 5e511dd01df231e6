"""The alert feeds a desk subscribes to: every canned alert query as Atom through real Datasette
(datasette-atom), parsed by feedparser; entry ids stay the same across crawls, so a feed reader
never shows an entry twice."""

import asyncio
import shutil
import sqlite3

import feedparser
import pytest
import yaml
from datasette.app import Datasette

from crawler.dashboard import DATASETTE_DIR
from crawler.samples.server import SampleOutlets
from tests.conftest import FAST, csto_monitor
from tests.sample_history import write_outlet

METADATA = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text())
FEEDS = [
    ("alerts_stance", {"actor": "Putin", "label": "critical"}),
    ("alerts_stance", {"actor": "Pashinyan", "label": ""}),
    ("alerts_stance", {}),
    ("alerts_outlet", {"outlet": "Steppe Observer"}),
    ("alerts_outlet", {}),
    ("alerts_search", {"q": "peacekeepers"}),
    ("alerts_search", {"q": "Pashinyan"}),
    ("alerts_outlet_health", {}),
]
# a new outlet in the second crawl: fictional, written for this test
HARBOUR = [
    {"slug": "news/pashinyan-budget-row", "title": "Pashinyan's budget plan draws anger in Yerevan", "author": "Staff",
     "published": "2026-07-20", "paragraphs": [
         "Prime Minister Nikol Pashinyan faced furious criticism in parliament on Tuesday over a budget that cuts "
         "pensions while the government debates its future in the CSTO.",
         "Opposition deputies called Pashinyan incompetent and dishonest, accusing him of breaking every promise he "
         "made to voters and of ruining the economy with reckless decisions.",
         "Even former allies said his government had failed the country and should resign."]},
    {"slug": "news/csto-council-yerevan", "title": "CSTO council meets without Armenia", "author": "Staff",
     "published": "2026-07-21", "paragraphs": [
         "The CSTO council met in Moscow on Wednesday without an Armenian delegation, the third such meeting this year.",
         "Officials from the other member states discussed border exercises, customs cooperation and the "
         "organisation's budget for next year, and agreed to meet again in the autumn."]},
]


def fetch(datasette: Datasette, query: str, params: dict):
    response = asyncio.run(datasette.client.get(f"/monitor/{query}.atom", params=params))
    assert response.status_code == 200, (query, params, response.text[:300])
    feed = feedparser.parse(response.content)
    assert not feed.bozo, (query, params, feed.get("bozo_exception"))
    assert feed.version == "atom10" and feed.feed.title == METADATA["databases"]["monitor"]["queries"][query]["title"]
    return feed


def entries(db) -> dict:
    """{(query, params): {entry id: (title, link, updated, author, content)}} for every feed."""
    datasette = Datasette([str(db)], plugins_dir=str(DATASETTE_DIR / "plugins"), metadata=METADATA)
    found = {}
    for query, params in FEEDS:
        feed = fetch(datasette, query, params)
        ids = [entry.id for entry in feed.entries]
        assert len(ids) == len(set(ids)), f"{query} {params}: an id twice"
        found[(query, tuple(sorted(params.items())))] = {
            entry.id: (entry.title, entry.link, entry.updated, entry.author, entry.content[0].value) for entry in feed.entries}
    return found


@pytest.fixture(scope="module")
def feeds_over_two_crawls(crawled, sample_outlets, tmp_path_factory):
    folder = tmp_path_factory.mktemp("feeds")
    db = folder / "monitor.db"
    shutil.copy(crawled["db"], db)
    before = entries(db)
    outlets_folder = folder / "outlets"
    outlets_folder.mkdir()
    write_outlet(outlets_folder, "Harbour Herald", HARBOUR)
    with SampleOutlets(outlets_folder) as harbour:  # the next night: a new outlet joins
        sources = harbour.write_sources(folder / "harbour.yml")
        result = csto_monitor("crawl", "--sources", str(sources), "--db", str(db), *FAST)
        assert result.returncode in (0, 1), result.stderr[-3000:]
    return {"db": db, "before": before, "after": entries(db)}


def test_every_alert_feed_is_valid_atom_with_what_a_desk_needs(feeds_over_two_crawls):
    connection = sqlite3.connect(feeds_over_two_crawls["db"])
    urls = {row[0] for row in connection.execute("select url from articles")}
    outlets = {row[0] for row in connection.execute("select name from outlets")}
    after = feeds_over_two_crawls["after"]
    critical_of_putin = after[("alerts_stance", (("actor", "Putin"), ("label", "critical")))]
    assert critical_of_putin
    for title, link, updated, author, content in critical_of_putin.values():
        assert title.startswith("[critical · Putin] ") and link in urls and author in outlets and updated
        outlet_line, evidence = content.split("\n", 1)
        assert outlet_line.startswith(f"{author} · published 2026-") and "Putin: critical (score -" in outlet_line
        assert "Putin" in evidence  # the sentence that carried the judgement
    steppe = after[("alerts_outlet", (("outlet", "Steppe Observer"),))]
    assert steppe and {entry[3] for entry in steppe.values()} == {"Steppe Observer"}
    assert all(entry_id in urls for entry_id in steppe)
    everything = after[("alerts_outlet", ())]
    assert len(everything) == min(50, len(urls))
    assert after[("alerts_search", (("q", "peacekeepers"),))]
    assert after[("alerts_outlet_health", ())] == {}  # no outlet flagged: an empty feed, still valid


def test_entry_ids_stay_stable_across_crawls(feeds_over_two_crawls):
    before, after = feeds_over_two_crawls["before"], feeds_over_two_crawls["after"]
    for feed, old in before.items():
        for entry_id, entry in old.items():
            assert after[feed].get(entry_id) == entry, f"{feed}: {entry_id} changed or vanished"
    # the second crawl's new outlet brought new entries, under new ids
    new_pashinyan = set(after[("alerts_stance", (("actor", "Pashinyan"), ("label", "")))]) - set(
        before[("alerts_stance", (("actor", "Pashinyan"), ("label", "")))])
    assert any("pashinyan-budget-row" in entry_id for entry_id in new_pashinyan), new_pashinyan
    assert set(after[("alerts_search", (("q", "Pashinyan"),))]) - set(before[("alerts_search", (("q", "Pashinyan"),))])
