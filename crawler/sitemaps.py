"""Reading sitemaps: sitemap indexes, urlsets and Google News sitemaps, streamed with lxml.

Scrapy's own `scrapy.utils.sitemap.Sitemap` keeps only the direct children of `<url>` (and says
its API may change without notice), so a Google News entry's `<news:publication_date>` would be
lost. This reader streams the document with the same safe parser options (no entities, no
network, recovering from broken markup) and yields, per `<url>` or `<sitemap>`, its `loc`,
`lastmod` and `publication_date`.
"""

from io import BytesIO
from typing import Iterator

import lxml.etree


def local_name(element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


class SitemapDocument:
    """`type` is the root element's name (sitemapindex, urlset, or whatever the body holds);
    iterating yields one dict per entry that has a <loc>."""

    def __init__(self, body: bytes):
        self._events = lxml.etree.iterparse(BytesIO(body), events=("start", "end"), recover=True, remove_comments=True,
                                            resolve_entities=False, no_network=True, remove_pis=True, collect_ids=False)
        _, root = next(self._events)  # raises on a body that is not XML at all
        self.type = local_name(root)

    def __iter__(self) -> Iterator[dict]:
        for event, element in self._events:
            if event != "end" or local_name(element) not in ("url", "sitemap"):
                continue
            entry = {}
            for child in element.iter():
                name = local_name(child)
                if name in ("loc", "lastmod", "publication_date") and child.text and child.text.strip():
                    entry.setdefault(name, child.text.strip())
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]  # keep memory flat on a 50 MB sitemap
            if "loc" in entry:
                yield entry
