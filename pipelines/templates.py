"""Per-outlet templates for the clean stage: a short line that recurs on many pages of the same
outlet (a slogan, a newsletter pitch, a standard disclaimer) is that outlet's boilerplate.

Counts live in the `outlet_templates` table, so what one night learns the next night uses.
Only lines seen on at least two pages are kept there; a line counts once per page.

A page that would lose more than half of its text is left whole: it is not boilerplate but
the same story again (a republished wire report), and the dedupe stage handles that.
"""

from collections import defaultdict
import re

from crawler.storage.database import open_database

MAX_TEMPLATE_LINE_CHARS = 200


def line_key(line: str) -> str | None:
    """The form a line is counted under, or None for a line too short or long to be a template."""
    key = re.sub(r"\s+", " ", line).strip().lower()
    return key if 3 <= len(key) <= MAX_TEMPLATE_LINE_CHARS else None


class OutletTemplates:
    def __init__(self, min_pages: int):
        self.min_pages = min_pages
        self.pages: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.changed: set[tuple[str, str]] = set()

    def remove_and_learn(self, outlet: str, text: str) -> str:
        """Drop the outlet's known template lines from `text`, then count this page's lines."""
        counts = self.pages[outlet]
        lines = text.split("\n")
        kept = "\n".join(line for line in lines if counts.get(line_key(line) or "", 0) < self.min_pages).strip()
        for key in {line_key(line) for line in lines} - {None}:
            counts[key] += 1
            self.changed.add((outlet, key))
        return kept if len(kept) >= len(text) / 2 else text

    def load(self, db_path: str) -> None:
        db = open_database(db_path)
        for row in db.query("select outlet, line, pages from outlet_templates"):
            self.pages[row["outlet"]][row["line"]] = row["pages"]
        db.close()

    def save(self, db_path: str) -> None:
        rows = [
            {"outlet": outlet, "line": key, "pages": self.pages[outlet][key]}
            for outlet, key in self.changed
            if self.pages[outlet][key] >= 2
        ]
        db = open_database(db_path)
        with db.atomic():
            db["outlet_templates"].upsert_all(rows, pk=("outlet", "line"))
        db.close()
        self.changed.clear()
