"""Take the README's screenshots on the demo database, in Debian's chromium: docs/dashboard.png
(the desk dashboard), docs/dashboard-pashinyan.png (filtered to one actor), docs/article.png
(an article's page), docs/story.png (the story most outlets reported) and docs/model-and-desk.png
(the Model and desk panels, once reviews are posted: benchmarks/demo_reviews.py).

    .venv/bin/csto-monitor demo --no-serve && .venv/bin/python docs/screenshot.py [--db data/monitor.db]
"""

import argparse
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

PROJECT = Path(__file__).resolve().parent.parent
DESK_PANELS = ("desk-reviews", "desk-agreement", "desk-macro-f1", "desk-critical-recall", "desk-confusion")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(PROJECT / "data" / "monitor.db"))
    parser.add_argument("--out", default=str(PROJECT / "docs"), help="folder to write the screenshots to")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--db", args.db, "--port", str(port)],
                              cwd=PROJECT, stdout=subprocess.DEVNULL)
    try:
        import sqlite3

        base = f"http://127.0.0.1:{port}"
        connection = sqlite3.connect(args.db)
        article = connection.execute("select id from articles where url like '%pashinyan-doverie-odkb%'").fetchone()[0]
        story = connection.execute("select id from stories order by outlets desc, articles desc limit 1").fetchone()[0]
        connection.close()
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        name = Path(args.db).stem
        shots = {"dashboard.png": "/-/dashboards/desk", "dashboard-pashinyan.png": "/-/dashboards/desk?actor=Pashinyan",
                 "article.png": f"/{name}/articles/{article}", "story.png": f"/{name}/stories/{story}"}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            for file, path in shots.items():
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(base + path, wait_until="networkidle")
                page.wait_for_timeout(1000)  # let Vega finish drawing
                page.screenshot(path=str(Path(args.out) / file), full_page=True)
                print(f"wrote {Path(args.out) / file}")
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base + "/-/dashboards/desk", wait_until="networkidle")
            page.wait_for_selector("#card-desk-confusion table")
            boxes = [page.locator(f"#card-{panel}").bounding_box() for panel in DESK_PANELS]
            top, bottom = min(b["y"] for b in boxes), max(b["y"] + b["height"] for b in boxes)
            page.screenshot(path=str(Path(args.out) / "model-and-desk.png"), full_page=True,
                            clip={"x": 0, "y": top - 8, "width": 1400, "height": bottom - top + 16})
            print(f"wrote {Path(args.out) / 'model-and-desk.png'}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
