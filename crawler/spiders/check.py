"""The `check-outlets` spider: the outlets spider in check mode (`csto-monitor check-outlets`).

It discovers like the outlets spider, but fetches only the CHECK_ARTICLES_PER_OUTLET newest
listed articles of each outlet (the next newest each time one cannot be fetched), reads only the
first section page, and keeps why an article could not be fetched for the check's report
(crawler/operations/check_outlets.py).
"""

from crawler import counters
from crawler.config import Outlet
from crawler.spiders.outlets import OutletsSpider


class CheckOutletsSpider(OutletsSpider):
    name = "check-outlets"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue: dict[str, list] = {}  # per outlet: listed links not requested yet, newest first
        self.under_way: dict[str, int] = {}  # ... and article requests not failed

    def per_outlet(self) -> int:
        return max(1, self.crawler.settings.getint("CHECK_ARTICLES_PER_OUTLET"))

    def section_max_pages(self) -> int:
        return 1

    def _article_requests(self, found: list[tuple[str, str | None]], outlet: Outlet, via: tuple = (), failed: int = 0):
        """Keep the listed links newest first; request the newest until `per_outlet` are under
        way, the next one each time one cannot be fetched."""
        if found:
            counters.count(self.crawler.stats, outlet.name, counters.LISTED, len(found))
        queue = self.queue.setdefault(outlet.name, [])
        queue.extend(found)
        queue.sort(key=lambda link: link[1] or "", reverse=True)
        self.under_way[outlet.name] = self.under_way.get(outlet.name, 0) - failed
        while queue and self.under_way[outlet.name] < self.per_outlet():
            url, _ = queue.pop(0)
            request = self._entry_request(url, self.parse_article, outlet, via, article=True)
            if request is not None:
                self.under_way[outlet.name] += 1
                yield request

    def on_error(self, failure):
        """Note why the article could not be fetched, and request the next newest."""
        super().on_error(failure)
        outlet = failure.request.cb_kwargs.get("outlet")
        if not failure.request.meta.get("article") or outlet is None:
            return
        if "Forbidden by robots.txt" not in str(failure.value):  # not meant to be fetched: no warning
            response = getattr(failure.value, "response", None)
            reason = f"HTTP {response.status}" if response is not None else (failure.getErrorMessage() or failure.type.__name__)
            counters.append_check(self.crawler.stats, outlet.name, counters.CHECK_FAILED, (failure.request.url, reason[:200]))
        yield from self._article_requests([], outlet, failed=1)
