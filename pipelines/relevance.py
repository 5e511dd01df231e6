"""Stage 2: keep only articles about the topic; `matched_terms` records which keywords hit. A
backfill's article (crawler/spiders/archive.py) is kept only when published in its period."""

from scrapy.exceptions import DropItem

from crawler import counters
from crawler.config import load_actors
from pipelines.terms import TermMatcher


class RelevancePipeline:
    """Drops an article unless its title or text contains a topic keyword from actors.yml."""

    def __init__(self, keywords: tuple[str, ...], stats):
        self.matcher = TermMatcher({keyword: (keyword,) for keyword in keywords})
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        actors = load_actors(crawler.settings.get("ACTORS_FILE"))
        return cls(actors.topic_keywords, crawler.stats)

    def process_item(self, item):
        if item.period and not (item.published and item.period[0] <= item.published[:10] <= item.period[1]):
            self.stats.inc_value(counters.DROPPED_OUT_OF_PERIOD)
            raise DropItem("published outside the backfill period" if item.published else "no publication date")
        matched = self.matcher.keys_in(f"{item.title or ''}\n{item.text}")
        if not matched:
            self.stats.inc_value(counters.DROPPED_IRRELEVANT)
            counters.count(self.stats, item.outlet, counters.IRRELEVANT)
            raise DropItem("no topic keyword")
        item.matched_terms = matched
        return item
