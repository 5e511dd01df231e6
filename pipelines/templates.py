"""Per-outlet templates for the clean stage: a short line that recurs on many pages of the same
outlet (a slogan, a newsletter pitch, a standard disclaimer) is that outlet's boilerplate.

Counts live in the `outlet_templates` table, so what one night learns the next night uses.
Only lines seen on at least two pages are kept there (and in memory); a line counts once per page.

A page that would lose more than half of its text is left whole: it is not boilerplate but
the same story again (a republished wire report), and the dedupe stage handles that.
"""

from collections import OrderedDict, defaultdict
import re

from crawler.storage.database import open_database

MAX_TEMPLATE_LINE_CHARS = 200


def line_key(line: str) -> str | None:
    """The form a line is counted under, or None for a line too short or long to be a template."""
    key = re.sub(r"\s+", " ", line).strip().lower()
    return key if 3 <= len(key) <= MAX_TEMPLATE_LINE_CHARS else None


class OutletTemplates:
    """Lines seen on two pages or more are counted per outlet; a line seen once waits among the
    last `max_single` such lines (a template recurs soon), so memory stays bounded over a
    backfill of years, whose lines are mostly each page's own."""

    def __init__(self, min_pages: int, max_single: int = 50_000):
        self.min_pages = min_pages
        self.max_single = max_single
        self.pages: dict[str, dict[str, int]] = defaultdict(dict)
        self.single: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.changed: set[tuple[str, str]] = set()

    def remove_and_learn(self, outlet: str, text: str) -> str:
        """Drop the outlet's known template lines from `text`, then count this page's lines."""
        counts = self.pages[outlet]
        lines = text.split("\n")
        kept = "\n".join(line for line in lines if counts.get(line_key(line) or "", 0) < self.min_pages).strip()
        for key in {line_key(line) for line in lines} - {None}:
            if key in counts:
                counts[key] += 1
            elif (outlet, key) in self.single:  # its second page
                del self.single[(outlet, key)]
                counts[key] = 2
            else:
                self.single[(outlet, key)] = None
                if len(self.single) > self.max_single:
                    self.single.popitem(last=False)
                continue
            self.changed.add((outlet, key))
        return kept if len(kept) >= len(text) / 2 else text

    def load(self, db_path: str) -> None:
        db = open_database(db_path)
        for row in db.query("select outlet, line, pages from outlet_templates"):
            self.pages[row["outlet"]][row["line"]] = row["pages"]
        db.close()

    def save(self, db_path: str) -> None:
        rows = [{"outlet": outlet, "line": key, "pages": self.pages[outlet][key]} for outlet, key in self.changed]
        db = open_database(db_path)
        with db.atomic():
            db["outlet_templates"].upsert_all(rows, pk=("outlet", "line"))
        db.close()
        self.changed.clear()
