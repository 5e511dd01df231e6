"""Configuration mistakes are one line naming the file, the entry and the fix."""

import pytest

from crawler.config import ConfigError, load_actors, load_sources
from tests.conftest import csto_monitor


def write(tmp_path, text: str):
    path = tmp_path / "sources.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, expected", [
    ("outlets:\n  - name: A\n", "outlets[0] (A): missing 'url'"),
    ("outlets:\n  - name: A\n    url: http://a/\n    feed: [http://a/rss]\n", "outlets[0] (A): unknown key 'feed'"),
    ("outlets:\n  - name: A\n    url: http://a/\n", "outlets[0] (A): nothing to crawl"),
    ("outlets: [\n", "malformed YAML"),
    ("outlets:\n  - name: A\n    url: http://a/\n    feeds: [http://a/rss]\n    follow: ['(']\n", "not a valid regex"),
    ("outlets:\n  - name: A\n    url: http://a/\n    feeds: [http://a/rss]\n    group: [state]\n", "group must be a name"),
])
def test_bad_sources_give_one_clear_line(tmp_path, text, expected):
    with pytest.raises(ConfigError) as error:
        load_sources(write(tmp_path, text))
    message = str(error.value)
    assert expected in message and str(tmp_path) in message and "\n" not in message


def test_actor_with_unknown_kind_is_named(tmp_path):
    path = tmp_path / "actors.yml"
    path.write_text("topic_keywords: [CSTO]\nactors:\n  - name: Putin\n    kind: human\n")
    with pytest.raises(ConfigError, match=r"actors\[0\] \(Putin\): kind must be one of"):
        load_actors(path)


def test_shipped_sources_and_actors_are_valid():
    outlets = load_sources("sources.yml")
    assert len(outlets) >= 5 and all(o.feeds or o.sitemaps or o.start_urls for o in outlets)
    assert {o.group for o in outlets if o.name.startswith("TASS")} == {"Russian state"}
    names = {a.name for a in load_actors("actors.yml").actors}
    assert {"Russia", "Putin", "Belarus", "Lukashenko", "Armenia", "Pashinyan", "Kazakhstan", "Tokayev",
            "Kyrgyzstan", "Tajikistan", "Azerbaijan", "Ukraine", "Zelensky", "CSTO", "NATO", "China",
            "Turkey", "EU", "US"} <= names


def test_crawl_command_reports_a_config_error_without_traceback(tmp_path):
    result = csto_monitor("crawl", "--sources", str(write(tmp_path, "outlets: []\n")), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 4
    assert result.stderr.strip().startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
