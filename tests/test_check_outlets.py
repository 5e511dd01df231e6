"""`csto-monitor check-outlets`: the smoke test before the nightly crawl, run for real against
sample outlets that work, one whose feed is gone and one whose new template hides the text."""

import json

import jinja2
import pytest
import yaml

from crawler.operations.check_outlets import OutletCheck, report
from crawler.samples.server import SampleOutlets
from tests.conftest import FAST, csto_monitor
from tests.sample_history import write_outlet

# a relaunched site: only the headline is in the page, the story comes by script
SCRIPT_ONLY = jinja2.Template(
    "<!DOCTYPE html><html><head><title>{{ article.title }}</title></head><body><h1>{{ article.title }}</h1>"
    "<div id=app></div><script>window.__STORY__ = {{ article.paragraphs | tojson }};</script></body></html>")
STORY = {"slug": "news/csto-exercise", "title": "CSTO exercise opens near the border", "author": "Staff",
         "published": "2026-07-01", "paragraphs": [
             "The CSTO opened a week of exercises near the southern border on Monday, with troops from Russia, "
             "Kazakhstan and Kyrgyzstan taking part in drills on the defence of mountain passes and airfields.",
             "Officials said the exercise would test communications between the national staffs."]}


@pytest.fixture(scope="module")
def checked(sample_outlets, tmp_path_factory):
    folder = tmp_path_factory.mktemp("check")
    (folder / "outlets").mkdir()
    write_outlet(folder / "outlets", "Relaunched Gazette", [STORY])
    with SampleOutlets(folder / "outlets") as extra:
        extra.outlet("Relaunched Gazette").template = SCRIPT_ONLY
        entries = [*yaml.safe_load(sample_outlets.write_sources(folder / "samples.yml").read_text())["outlets"],
                   *yaml.safe_load(extra.write_sources(folder / "extra.yml").read_text())["outlets"]]
        gone = extra.outlets[0].base + "gone/feed.xml"
        entries.append({"name": "Vanished Voice", "url": extra.outlets[0].base, "feeds": [gone], "language": "en"})
        sources = folder / "sources.yml"
        sources.write_text(yaml.safe_dump({"outlets": entries}, allow_unicode=True))
        text = csto_monitor("check-outlets", "--sources", str(sources), *FAST)
    return {"text": text, "gone": gone, "folder": folder}


def test_working_outlets_pass_every_step(checked, sample_outlets):
    lines = {line.split(": ", 1)[0].split(None, 1)[1]: line for line in checked["text"].stdout.splitlines()[:-1]}
    for outlet in sample_outlets.outlets:
        line = lines[outlet.name]
        assert line.split()[0] in ("ok", "warn"), line
        assert "articles listed · " in line and f"article {outlet.base}" in line and " characters" in line
        assert "language " in line
    # Steppe Observer's newest listed article is closed by robots.txt: the next one is checked
    assert "members/" not in lines["Steppe Observer"] and "article " in lines["Steppe Observer"]
    assert any("actors " in line for line in lines.values())


def test_broken_outlets_fail_with_the_step_that_broke(checked):
    result = checked["text"]
    assert result.returncode == 1, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    vanished = next(line for line in lines if "Vanished Voice" in line)
    assert vanished.startswith("FAIL") and f"discovery failed ({checked['gone']}: HTTP 404)" in vanished
    relaunched = next(line for line in lines if "Relaunched Gazette" in line)
    assert relaunched.startswith("FAIL") and "FAIL: extraction failed (no article text)" in relaunched
    assert lines[-1] == "5 outlets checked: " + lines[-1].split(": ", 1)[1] and lines[-1].endswith("2 failed")
    assert list(checked["folder"].glob("*.db")) == []  # a check stores nothing


def test_json_output():
    broken = OutletCheck("Broken")
    broken.add("ok", "3 articles listed")
    broken.add("FAIL", "extraction failed (no article text at http://x/1)")
    assert json.loads(report([broken], as_json=True)) == [{"outlet": "Broken", "status": "FAIL", "steps": [
        {"level": "ok", "text": "3 articles listed"},
        {"level": "FAIL", "text": "extraction failed (no article text at http://x/1)"}]}]


def test_quiet_prints_only_failures():
    good, warned, broken = OutletCheck("Good"), OutletCheck("Warned"), OutletCheck("Broken")
    good.add("ok", "3 articles listed")
    warned.add("warn", "no actor found")
    broken.add("FAIL", "discovery failed (x)")
    assert report([good, warned]) .splitlines()[-1] == "2 outlets checked: 1 ok, 1 with warnings, 0 failed"
    assert report([good, warned], quiet=True) == ""
    assert report([good, warned, broken], quiet=True).splitlines() == [
        "FAIL  Broken: FAIL: discovery failed (x)", "3 outlets checked: 1 ok, 1 with warnings, 1 failed"]
