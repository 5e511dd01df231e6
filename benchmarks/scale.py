"""A long crawl: 100,000 synthetic pages served on 127.0.0.1, memory and throughput along the way.

    .venv/bin/python benchmarks/scale.py [--pages 100000] [--relevant 0.05] [--outlets 10]

Each synthetic outlet has a sitemap index of sitemaps of 5,000 article URLs; pages are made on
request from their number (about 350 words; a share `--relevant` of them about the CSTO and its
actors, the rest about other news, as on a real outlet). One `csto-monitor crawl` with every
pipeline and politeness delays off runs in a subprocess; the crawl's resident memory (RSS, from
/proc) and its pages per second are printed at every 10,000 pages, then the totals.
"""

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import random
import subprocess
import sys
import tempfile
import threading
import time

import yaml

PROJECT = Path(__file__).resolve().parent.parent
PER_SITEMAP = 5000

TOPIC = [
    "The CSTO secretary general met defence ministers of the member states in Moscow on {day}.",
    "Pashinyan said Armenia would not take part in the CSTO exercises planned for the autumn.",
    "Tokayev praised the collective peacekeeping force for its conduct during the January unrest.",
    "Lukashenko called for closer military cooperation within the alliance and criticised the West.",
    "Putin described the Collective Security Treaty Organization as a pillar of regional security.",
]
OTHER = [
    "The city council approved a new budget for public transport and road repairs on {day}.",
    "Local farmers expect a good harvest after a mild spring and a wet early summer.",
    "The national football team won its qualifying match after a late goal in extra time.",
    "A new exhibition of contemporary painting opened at the regional museum this week.",
    "Prices for fresh vegetables rose at the central market as the heating season began.",
    "The university announced scholarships for students from rural districts.",
]


def article_html(outlet: int, number: int, relevant_share: float) -> bytes:
    rng = random.Random(outlet * 1_000_003 + number)
    relevant = rng.random() < relevant_share
    day = f"2026-{1 + number % 12:02d}-{1 + number % 28:02d}"
    pool = TOPIC if relevant else OTHER
    paragraphs = []
    for _ in range(7):
        sentences = [rng.choice(pool if rng.random() < 0.6 else OTHER).format(day=day) for _ in range(4)]
        paragraphs.append(f"<p>{' '.join(sentences)} Report number {number} of outlet {outlet}.</p>")
    title = ("CSTO: " if relevant else "News: ") + f"story {number} from outlet {outlet}"
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f"<meta property='article:published_time' content='{day}T08:00:00+00:00'></head><body>"
            f"<nav><a href=/>Home</a> <a href=/about>About</a></nav><article><h1>{title}</h1>"
            f"{''.join(paragraphs)}</article><footer>Synthetic outlet {outlet}</footer></body></html>").encode()


class SyntheticOutlets:
    """One HTTP server per outlet (its own port), counting the article pages it served."""

    def __init__(self, outlets: int, pages: int, relevant_share: float):
        self.pages_per_outlet = pages // outlets
        self.relevant_share = relevant_share
        self.served = 0
        self.lock = threading.Lock()
        self.servers = [self._server(index) for index in range(outlets)]

    def _server(self, outlet: int) -> ThreadingHTTPServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                if self.path == "/robots.txt":
                    return self.reply(b"User-agent: *\nAllow: /\n", "text/plain")
                if self.path == "/sitemap.xml":
                    count = -(-owner.pages_per_outlet // PER_SITEMAP)
                    body = "".join(f"<sitemap><loc>{base}/sitemap-{n}.xml</loc></sitemap>" for n in range(count))
                    return self.reply(f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'.encode(), "application/xml")
                if self.path.startswith("/sitemap-"):
                    part = int(self.path[len("/sitemap-"):-len(".xml")])
                    numbers = range(part * PER_SITEMAP, min(owner.pages_per_outlet, (part + 1) * PER_SITEMAP))
                    body = "".join(f"<url><loc>{base}/news/{n}</loc><lastmod>2026-11-20</lastmod></url>" for n in numbers)
                    return self.reply(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'.encode(), "application/xml")
                if self.path.startswith("/news/"):
                    with owner.lock:
                        owner.served += 1
                    return self.reply(article_html(outlet, int(self.path[len("/news/"):]), owner.relevant_share), "text/html; charset=utf-8")
                self.send_error(404)

            def reply(self, body: bytes, content_type: str):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def sources_entries(self) -> list[dict]:
        return [{"name": f"Synthetic {n + 1}", "url": f"http://127.0.0.1:{s.server_address[1]}/", "language": "en",
                 "sitemaps": [f"http://127.0.0.1:{s.server_address[1]}/sitemap.xml"]} for n, s in enumerate(self.servers)]

    def close(self):
        for server in self.servers:
            server.shutdown()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--relevant", type=float, default=0.05, help="share of pages about the CSTO")
    parser.add_argument("--outlets", type=int, default=10)
    args = parser.parse_args()
    outlets = SyntheticOutlets(args.outlets, args.pages, args.relevant)
    with tempfile.TemporaryDirectory() as scratch:
        sources = Path(scratch) / "sources.yml"
        sources.write_text(yaml.safe_dump({"outlets": outlets.sources_entries()}))
        command = [sys.executable, "-m", "crawler.cli", "crawl", "--sources", str(sources), "--db", f"{scratch}/scale.db",
                   "--log-file", f"{scratch}/crawl.log", "--no-progress", "--log-level", "WARNING",
                   "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
        crawl = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, text=True)
        print(f"{args.pages} pages from {args.outlets} outlets, {args.relevant:.0%} about the CSTO; every pipeline; 2 CPU cores")
        print(f"{'pages':>8}{'seconds':>9}{'pages/s (last 10k)':>20}{'RSS MiB':>9}{'peak RSS MiB':>14}")
        started, mark, last_time, peak = time.monotonic(), 10_000, time.monotonic(), 0.0
        while crawl.poll() is None:
            time.sleep(0.5)
            try:
                rss = rss_mib(crawl.pid)
            except FileNotFoundError:
                break
            peak = max(peak, rss)
            if outlets.served >= mark:
                now = time.monotonic()
                print(f"{mark:>8}{now - started:>9.0f}{10_000 / (now - last_time):>20.1f}{rss:>9.0f}{peak:>14.0f}", flush=True)
                mark, last_time = mark + 10_000, now
        output = crawl.communicate()[0]
        elapsed = time.monotonic() - started
    outlets.close()
    print(output.strip())
    print(f"total: {outlets.served} article pages in {elapsed:.0f} s ({outlets.served / elapsed:.1f} pages/s), peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
