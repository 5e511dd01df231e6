"""Log a dropped item as one short line (why, and the URL) instead of the whole article."""

import logging

from scrapy import logformatter


class QuietDropLogFormatter(logformatter.LogFormatter):
    def dropped(self, item, exception, response, spider=None):
        return {"level": logging.INFO, "msg": "dropped: %(exception)s", "args": {"exception": exception}}
