"""`csto-monitor check-outlets`: the daily smoke test a cron job runs before the nightly crawl.

Per outlet it reads the feeds, sitemaps and section pages, fetches the newest listed article(s)
(the check-outlets spider, crawler/spiders/check.py) and runs the crawl's own stages on them (cleaning, language detection
and actor detection), storing nothing. It reports whether each still works:

- discovery: some feed, sitemap or section page answered and listed articles;
- extraction: the article gave text (at least CLEAN_MIN_TEXT_CHARS characters);
- language: it was detected (a language other than the outlet's own in sources.yml is a warning);
- actors: some actor of actors.yml was found (none is a warning: the newest article may be off topic).
"""

from dataclasses import dataclass, field
import json
import tempfile

from scrapy import signals

from crawler.config import load_actors, load_sources
from crawler.stages import item_pipelines
from crawler import counters

PIPELINES = item_pipelines(without=("relevance", "stance", "dedupe", "store"),
                           add={"crawler.operations.check_outlets.CheckReportPipeline": 900})


class CheckReportPipeline:
    """Last stage of a check: keep what the stages made of each article in the crawl's stats."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler.stats)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def _add(self, outlet: str, record: dict) -> None:
        counters.append_check(self.stats, outlet, counters.CHECK_ARTICLES, record)

    def process_item(self, item):
        self._add(item.outlet, {"url": item.url, "chars": len(item.text or ""), "language": item.language,
                                "language_prob": item.language_prob, "actors": sorted(item.mentions)})
        return item

    def item_dropped(self, item, response, exception, spider=None):
        self._add(item.outlet, {"url": item.url, "dropped": str(exception)})


LEVELS = ("ok", "warn", "FAIL")


@dataclass
class OutletCheck:
    """What one outlet's check found, step by step: (level, text) with level ok, warn or FAIL."""

    outlet: str
    steps: list[tuple[str, str]] = field(default_factory=list)

    def add(self, level: str, text: str) -> None:
        self.steps.append((level, text))

    @property
    def status(self) -> str:
        return max((level for level, _ in self.steps), key=LEVELS.index, default="ok")

    def line(self) -> str:
        return f"{self.status:<4}  {self.outlet}: " + " · ".join(
            text if level == "ok" else f"{level}: {text}" for level, text in self.steps)

    def as_dict(self) -> dict:
        return {"outlet": self.outlet, "status": self.status,
                "steps": [{"level": level, "text": text} for level, text in self.steps]}


def judge(outlet, stats: dict) -> OutletCheck:
    """What the check run showed for one outlet."""
    check = OutletCheck(outlet.name)

    def count(key: str) -> int:
        return counters.outlet_stat(stats, outlet.name, key)

    if not count(counters.DISCOVERY_OK):
        first = counters.first_error(stats, outlet.name) or "no feed, sitemap or section page answered"
        check.add("FAIL", f"discovery failed ({first})")
        return check
    if not count(counters.LISTED):
        check.add("FAIL", "discovery: feeds, sitemaps and section pages answered but listed no article")
        return check
    check.add("ok", f"{count(counters.LISTED)} articles listed")
    for url, reason in counters.check_records(stats, outlet.name, counters.CHECK_FAILED):
        check.add("warn", f"newest article {url} not fetched ({reason})")
    articles = counters.check_records(stats, outlet.name, counters.CHECK_ARTICLES)
    if not articles:
        check.add("FAIL", "no listed article could be fetched")
    for article in articles:
        check.add("ok", f"article {article['url']}")
        if "dropped" in article:
            check.add("FAIL", f"extraction failed ({article['dropped']})")
            continue
        check.add("ok", f"text {article['chars']:,} characters")
        language, probability = article["language"], article["language_prob"] or 0
        if language in (None, "und"):
            check.add("FAIL", "language not detected")
        elif outlet.language and language != outlet.language:
            check.add("warn", f"language {language} ({probability:.2f}), the outlet's is {outlet.language}")
        else:
            check.add("ok", f"language {language} ({probability:.2f})")
        if article["actors"]:
            check.add("ok", "actors " + ", ".join(article["actors"]))
        else:
            check.add("warn", "no actor found")
    return check


def check_outlets(sources: str, actors: str | None = None, articles: int = 1, **settings) -> list[OutletCheck]:
    """Run the check crawl in this process (storing nothing) and judge every outlet."""
    from crawler.operations.run import crawl_once, project_settings

    outlets = load_sources(sources)
    with tempfile.TemporaryDirectory() as scratch:
        crawl_settings = project_settings(
            SOURCES_FILE=str(sources), ACTORS_FILE=actors, DB_PATH=f"{scratch}/unused.db",
            ITEM_PIPELINES=PIPELINES, CRAWL_RUN_ENABLED=False, CHECK_ARTICLES_PER_OUTLET=max(1, articles), CLEAN_TEMPLATES_IN_DB=False,
            **settings)
        crawl_settings.set("DOWNLOADER_MIDDLEWARES", {**crawl_settings.getdict("DOWNLOADER_MIDDLEWARES"),
                                                      "crawler.middlewares.SkipFetchedPagesMiddleware": None,
                                                      "crawler.middlewares.ConditionalGetMiddleware": None}, "cmdline")
        load_actors(crawl_settings.get("ACTORS_FILE"))
        crawler = crawl_once(crawl_settings, sources, since=None, refresh=True, spider="check-outlets")
    stats = crawler.stats.get_stats()
    return [judge(outlet, stats) for outlet in outlets]


def report(checks: list[OutletCheck], quiet: bool = False, as_json: bool = False) -> str:
    if as_json:
        return json.dumps([c.as_dict() for c in checks], ensure_ascii=False)
    lines = [c.line() for c in checks if not quiet or c.status == "FAIL"]
    failed = sum(c.status == "FAIL" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    if not quiet or failed:
        lines.append(f"{len(checks)} outlets checked: {len(checks) - failed - warned} ok, {warned} with warnings, {failed} failed")
    return "\n".join(lines)
