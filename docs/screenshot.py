"""Take docs/dashboard.png: the desk dashboard on the demo database, in Debian's chromium.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(PROJECT / "data" / "monitor.db"))
    parser.add_argument("--out", default=str(PROJECT / "docs" / "dashboard.png"))
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--db", args.db, "--port", str(port)],
                              cwd=PROJECT, stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/-/dashboards/desk"
        for _ in range(150):
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="networkidle")
            page.wait_for_timeout(1000)  # let Vega finish drawing
            page.screenshot(path=args.out, full_page=True)
            browser.close()
        print(f"wrote {args.out}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
