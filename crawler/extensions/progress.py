"""Progress of a running crawl on the terminal: one line of counts every PROGRESS_INTERVAL
seconds (PROGRESS_ENABLED; `csto-monitor crawl` turns it on when stderr is a terminal, so cron
gets no progress lines).

    [0:42] 212 pages, 57 new articles, 3 copies, 88 dropped, 2 errors, 31 queued

and for a backfill what is left of the captures it found: `; 140 of 960 captures, about 4 min left`.
"""

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler import counters


class Progress:
    def __init__(self, crawler, interval: float, stream):
        self.crawler = crawler
        self.interval = interval
        self.stream = stream
        self.started = time.monotonic()
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("PROGRESS_ENABLED"):
            raise NotConfigured
        extension = cls(crawler, crawler.settings.getfloat("PROGRESS_INTERVAL"), sys.stderr)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def line(self) -> str:
        stats = self.crawler.stats
        elapsed = int(time.monotonic() - self.started)
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        queued = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        dropped = (stats.get_value(counters.DROPPED_IRRELEVANT, 0) or 0) + (stats.get_value(counters.DROPPED_NO_TEXT, 0) or 0)
        line = (f"[{elapsed // 60}:{elapsed % 60:02d}] {stats.get_value('response_received_count', 0)} pages, "
                f"{stats.get_value(counters.ARTICLES_STORED, 0)} new articles, {stats.get_value(counters.DUPLICATES, 0)} copies, "
                f"{dropped} dropped, {stats.get_value(counters.ERRORS_TOTAL, 0)} errors, {queued} queued")
        return line + self.captures_left(stats, elapsed)

    @staticmethod
    def captures_left(stats, elapsed: int) -> str:
        """A backfill's captures read of those found, and at this pace about how long the rest takes."""
        found = stats.get_value(counters.CAPTURES_FOUND, 0) or 0
        if not found:
            return ""
        done = min(found, (stats.get_value(counters.ARTICLES_STORED, 0) or 0) + (stats.get_value(counters.DUPLICATES, 0) or 0)
                   + sum(stats.get_value(key, 0) or 0 for key in (counters.DROPPED_IRRELEVANT, counters.DROPPED_NO_TEXT,
                                                                   counters.DROPPED_OUT_OF_PERIOD)))
        left = f", about {int((found - done) * elapsed / done) // 60 + 1} min left" if done and done < found else ""
        return f"; {done} of {found} captures{left}"

    def report(self) -> None:
        self.stream.write(self.line() + "\n")
        self.stream.flush()

    def spider_opened(self, spider):
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider):
        if self.loop and self.loop.running:
            self.loop.stop()
        self.report()
