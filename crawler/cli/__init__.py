"""`csto-monitor`: crawl outlets, serve the dashboard, run the demo, train and evaluate stance.

Each module registers its commands on the one group, `main` (crawler/cli/app.py).
"""

from crawler.cli.app import main
from crawler.cli import actors, crawl, reviews, serve, stance  # noqa: F401  (register their commands)

__all__ = ["main"]
