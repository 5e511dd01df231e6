"""Datasette plugin: the alert feeds' `.atom` format, also when a feed has no entry yet.

datasette-atom (0.9) renders the Atom feeds of the canned queries in datasette/metadata.yml, but
answers an empty result with an error 500 (it takes the newest `atom_updated` of no rows): a
feed reader subscribed to "critical of Pashinyan" would see a broken feed until the first such
article. This renderer hands every non-empty result to datasette-atom and writes an empty,
valid feed itself. Registered as a Datasette plugin (entry point `csto_monitor_feeds`) and copied
beside a published database by `csto-monitor publish`.
"""

from datetime import datetime, timezone

from datasette import hookimpl
from datasette.utils.asgi import Response
import datasette_atom
from feedgen.feed import FeedGenerator


def feed_title(datasette, database: str, query_name: str | None, sql: str) -> str:
    queries = (datasette.metadata(database=database) or {}).get("queries") or {}
    query = queries.get(query_name) if query_name else None
    return query.get("title", query_name) if isinstance(query, dict) else sql


def render_atom(datasette, request, sql, columns, rows, database, table, query_name, view_name, data):
    if rows:
        return datasette_atom.render_atom(datasette, request, sql, columns, rows, database, table, query_name,
                                          view_name, data)
    feed = FeedGenerator()
    feed.id(request.url)
    feed.link(href=request.url, rel="self")
    feed.title(feed_title(datasette, database, query_name, sql))
    feed.updated(datetime.now(timezone.utc))
    return Response(feed.atom_str(pretty=True), content_type="application/xml; charset=utf-8", status=200)


@hookimpl(trylast=True)  # called after datasette-atom's hook, so this entry for "atom" is the one kept
def register_output_renderer(datasette):
    return {"extension": "atom", "render": render_atom, "can_render": datasette_atom.can_render_atom}
