"""The demo's year of generated outlets (crawler/samples/desk_year.py): what a desk's year looks like."""

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from crawler.samples.desk_year import SHIFT_WEEKS_AGO, desk_year
from crawler.samples.server import SampleOutlets
from pipelines.language import detect_language

TODAY = date(2026, 11, 27)


def test_a_year_of_five_outlets_in_four_languages_up_to_the_run_date():
    specs = desk_year(TODAY)
    articles = [a for spec in specs for a in spec["articles"]]
    assert len(specs) == 5 and len(articles) + 24 >= 400  # with the three hand-written outlets' 24
    assert {spec["group"] for spec in specs} == {"Russian state", "Armenian independent", "Central Asian independent", "international"}
    assert all(TODAY - timedelta(days=364) <= a["published"] <= TODAY for a in articles)
    assert max(a["published"] for a in articles) >= TODAY - timedelta(days=6)
    for spec in specs:  # each outlet's language is the one langdetect and the script rules find
        found = Counter(detect_language(a["title"] + "\n" + "\n".join(a["paragraphs"]))[0] for a in spec["articles"])
        assert found.most_common(1)[0][0] == spec["language"] and found[spec["language"]] >= 0.9 * len(spec["articles"])
    assert len({a["slug"] for a in articles}) == len(articles)
    assert desk_year(TODAY) == specs and desk_year(TODAY + timedelta(days=1)) != specs  # seeded, relative to the run


def test_stories_are_covered_by_several_outlets_and_one_portrayal_shifts():
    specs = desk_year(TODAY)
    by_title_week = defaultdict(set)
    for spec in specs:
        for article in spec["articles"]:
            by_title_week[(article["title"][:20], article["published"].isocalendar()[1])].add(spec["name"])
    assert sum(len(outlets) >= 2 for outlets in by_title_week.values()) >= 20
    volga = next(spec for spec in specs if spec["name"] == "Volga Herald")
    shift = TODAY - timedelta(weeks=SHIFT_WEEKS_AGO)

    def critical_share(articles):
        about = [a for a in articles if any("Пашинян" in p for p in a["paragraphs"])]
        return sum("безответственно" in " ".join(a["paragraphs"]) or "критик" in " ".join(a["paragraphs"]).lower()
                   for a in about) / max(1, len(about))

    before = [a for a in volga["articles"] if a["published"] < shift - timedelta(days=7)]
    after = [a for a in volga["articles"] if a["published"] >= shift]
    assert critical_share(after) > critical_share(before) + 0.3


def test_the_generated_outlets_are_served_with_a_sitemap_per_language():
    with SampleOutlets(extra=desk_year(TODAY, weeks=2)) as outlets:
        almaty = outlets.outlet("Almaty Ledger")
        index = almaty.handle("/sitemap.xml", {}).body.decode()
        assert "sitemap-kk.xml" in index and "sitemap-en.xml" in index
        listed = almaty.handle("/sitemap-kk.xml", {}).body.decode()
        assert listed.count("<url>") == len(almaty.articles) > 0
        page = almaty.handle("/" + almaty.articles[0]["slug"], {})
        assert page.status == 200 and "ҰҚШҰ" in page.body.decode()


def written_shifts(specs: list[dict]) -> list[dict]:
    """The shifts (crawler/storage/shifts.py's rule, the settings' defaults) in the stance the
    year was written with, per outlet group and actor: what the demo's crawl should find when the
    stance model reads each portrayal as it was written."""
    from crawler import settings
    from crawler.storage.shifts import shifts_of

    weeks = defaultdict(lambda: defaultdict(lambda: [0, 0, 0.0]))
    for spec in specs:
        for article in spec["articles"]:
            week = (article["published"] - timedelta(days=article["published"].weekday())).isoformat()
            for actor, stance in article["portrayals"].items():
                cell = weeks[(spec["group"], actor)][week]
                cell[0] += 1
                cell[1] += 1
                cell[2] += stance
    return [{"group": group, "actor": actor, **row} for (group, actor), series in weeks.items()
            for row in shifts_of(series, settings.SHIFT_BASELINE_WEEKS, settings.SHIFT_THRESHOLD_SD, settings.SHIFT_MIN_ARTICLES)]


RUN_DATES = [date(2026, 11, 30) + timedelta(days=n) for n in range(7)] + [  # every weekday
    date(2026, 1, 31), date(2026, 2, 28), date(2026, 4, 30), date(2026, 12, 31), date(2027, 6, 30),  # month and year ends
    date(2028, 2, 29), date(2028, 3, 1), date(2024, 2, 29)]  # leap days and the day after one


@pytest.mark.parametrize("today", RUN_DATES, ids=str)
def test_the_year_tells_the_same_story_whatever_day_it_is_generated(today):
    specs = desk_year(today)
    shifts = written_shifts(specs)
    freeze_week = today - timedelta(days=today.weekday(), weeks=SHIFT_WEEKS_AGO)
    turned = [s for s in shifts if (s["group"], s["actor"], s["kind"], s["direction"]) == ("Russian state", "Pashinyan", "stance", "down")]
    assert turned and all(date.fromisoformat(s["week"]) >= freeze_week for s in turned)
    # each generated week is a calendar week: the same weeks back hold as many articles on any day
    assert weeks_back(specs, today) == weeks_back(desk_year(date(2026, 12, 2)), date(2026, 12, 2))


def weeks_back(specs: list[dict], today: date) -> Counter:
    """Articles per calendar week, counted back from the week of `today` (0)."""
    monday = today - timedelta(days=today.weekday())
    return Counter((monday - a["published"] + timedelta(days=6)).days // 7 for spec in specs for a in spec["articles"])
