"""Datasette plugin: SQL functions the dashboard's queries call (every connection Datasette opens).

- `html_text(value)`: the value as inert HTML text. datasette-dashboards' table panels write their
  cells as HTML, so every text that comes from a page or from sources.yml (an article's title or
  evidence, an outlet's name or group) goes through it: `<b onmouseover=...>` shows as typed.
- `fts_query(q)`: a desk's full-text query as FTS5 reads it. A query FTS5 parses is kept as
  written (quoted phrases, AND / OR / NOT, `prefix*`, parentheses); in one it cannot parse, the
  words it cannot read are quoted, or at last every word, so `Russia's` or `C.S.T.O.` search
  for those words instead of answering with a syntax error.
Copied beside a published database by `csto-monitor publish`, like the other plugins.
"""

import re
import sqlite3
import threading

from datasette import hookimpl
from markupsafe import escape

OPERATORS = {"AND", "OR", "NOT"}
BAREWORD = re.compile(r"^[\w]+\*?$")  # what FTS5 takes unquoted (letters, digits, _ in any script; a prefix *)
TOKENS = re.compile(r'"[^"]*"?|[()]|[^\s()"]+')


def html_text(value) -> str | None:
    return None if value is None else str(escape(str(value)))


def fts_query(query: str | None) -> str:
    """`query` as the desk wrote it when FTS5 reads it; else with the words FTS5 would not read
    as words quoted; else every word quoted (all of them must match)."""
    if not query or not query.strip():
        return '""'
    tokens = TOKENS.findall(query)
    quoted = ['"' + token.strip('"').replace('"', '""') + '"' for token in tokens if token not in ("(", ")")]
    for candidate in (query, " ".join(t if t in ("(", ")") or t in OPERATORS or BAREWORD.match(t) or
                                      (t.startswith('"') and t.endswith('"') and len(t) > 1) else
                                      '"' + t.strip('"').replace('"', '""') + '"' for t in tokens)):
        if readable(candidate):
            return candidate
    return " ".join(quoted) or '""'


_probe = sqlite3.connect(":memory:", check_same_thread=False)
_probe.execute("create virtual table probe using fts5(text)")
_probe_lock = threading.Lock()


def readable(query: str) -> bool:
    """Whether FTS5 parses `query` (tried on an empty table of its own)."""
    with _probe_lock:
        try:
            _probe.execute("select count(*) from probe where probe match ?", [query]).fetchone()
            return True
        except sqlite3.OperationalError:
            return False


@hookimpl
def prepare_connection(conn):
    conn.create_function("html_text", 1, html_text, deterministic=True)
    conn.create_function("fts_query", 1, fts_query, deterministic=True)
