"""Log a dropped item as one short line (the URL, and why) instead of the whole article."""

import logging

from scrapy import logformatter


class QuietDropLogFormatter(logformatter.LogFormatter):
    def dropped(self, item, exception, response, spider=None):
        return {"level": logging.INFO, "msg": "dropped %(url)s: %(exception)s",
                "args": {"url": getattr(item, "url", None), "exception": exception}}
