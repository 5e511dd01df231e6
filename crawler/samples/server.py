"""Serve the bundled sample outlets on 127.0.0.1, each on its own port, like real sites.

Each outlet is one YAML file beside this module (its articles, written for the project) and
one template of its CMS in templates/. The server renders article pages, RSS 2.0 / Atom feeds,
sitemaps, paginated section pages and robots.txt, answers the special routes an outlet lists
(a 404, a 500, a redirect), and logs every request path so tests can assert on what a crawl
fetched.

    with SampleOutlets() as outlets:
        outlets.write_sources("sources.yml")
        ...crawl...
        outlets.requested("Steppe Observer")  # ['/robots.txt', '/blog-feed.xml', ...]
"""

from dataclasses import dataclass, field
from datetime import date
from email.utils import format_datetime
from datetime import datetime, time, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import threading
from xml.sax.saxutils import escape
import hashlib
import sys

import jinja2
import yaml

HERE = Path(__file__).resolve().parent
SECTION_PAGE_SIZE = 4
FEED_SIZE = 4
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)


@dataclass
class Response:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    headers: dict = field(default_factory=dict)


class SampleOutlet:
    """One fictional outlet: its articles, its template and the way it is discovered."""

    def __init__(self, spec: Path | dict):
        """`spec`: an outlet's YAML file, or the same as a dict (crawler/samples/desk_year.py)."""
        if not isinstance(spec, dict):
            spec = yaml.safe_load(spec.read_text(encoding="utf-8"))
        self.name = spec["name"]
        self.country = spec["country"]
        self.language = spec["language"]
        self.group = spec.get("group", "")
        self.template = TEMPLATES.get_template(spec["template"])
        self.discovery = spec["discovery"]
        self.robots_disallow = spec.get("robots_disallow", [])
        self.special_routes = spec.get("special_routes", {})
        self.sitemap_extra = spec.get("sitemap_extra", [])
        self.articles = [self._prepare(a) for a in spec["articles"]]
        self.base = ""
        self.requests: list[str] = []
        self.statuses: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    @staticmethod
    def _prepare(article: dict) -> dict:
        published = article["published"]
        if isinstance(published, str):
            published = date.fromisoformat(published)
        return {
            "lang": "en",
            "encoding": "utf-8",
            "caption": "",
            "credit": "",
            **article,
            "published": published.isoformat(),
            "published_date": published,
            "published_human": published.strftime("%b %d, %Y").replace(" 0", " "),
        }

    # --- what the outlet lists ---------------------------------------------------------------
    def listed(self) -> list[dict]:
        """Articles the outlet announces (feeds, sitemaps, sections), newest first."""
        return sorted(self.articles, key=lambda a: a["published"], reverse=True)

    def others(self, article: dict, count: int) -> list[dict]:
        same_language = [
            a for a in self.listed()
            if a is not article and a["lang"] == article["lang"] and not self._disallowed(a["slug"])
        ]
        return same_language[:count]

    def section_articles(self) -> list[dict]:
        return [a for a in self.listed() if "CSTO" in " ".join(a["paragraphs"])]

    def _disallowed(self, slug: str) -> bool:
        return any(("/" + slug).startswith(prefix) for prefix in self.robots_disallow)

    # --- rendering ---------------------------------------------------------------------------
    def handle(self, path: str, headers) -> Response:
        """Answer one GET and log it."""
        path = path.split("?", 1)[0]
        response = self.route(path)
        if response.status == 200 and path.endswith((".xml", "/feed/atom/")):
            etag = '"' + hashlib.sha1(response.body).hexdigest()[:16] + '"'
            response.headers["ETag"] = etag
            if headers.get("If-None-Match") == etag:
                response = Response(304, body=b"", headers={"ETag": etag})
        with self._lock:
            self.requests.append(path)
            self.statuses.append((path, response.status))
        return response

    def route(self, path: str) -> Response:
        special = self.special_routes.get(path)
        if special and "redirect" in special:
            return Response(301, headers={"Location": self.base + special["redirect"].lstrip("/")})
        if special:
            return Response(special["status"], body=f"<h1>Error {special['status']}</h1>".encode())
        if path == "/robots.txt":
            lines = ["User-agent: *"] + [f"Disallow: {p}" for p in self.robots_disallow]
            return Response(content_type="text/plain", body=("\n".join(lines) + "\n").encode())
        pages = {
            "/blog-feed.xml": self.rss if self.discovery == "rss" else None,
            "/feed/atom/": self.atom if self.discovery == "atom" else None,
            "/sitemap.xml": self.sitemap_index if self.discovery == "sitemap" else None,
        }
        pages.update({f"/sitemap-{language}.xml": (lambda language=language: self.sitemap(language))
                      for language in self.sitemap_languages()})
        if pages.get(path):
            return pages[path]()
        if self.discovery == "atom" and path.startswith("/category/csto/"):
            return self.section_page(path)
        for article in self.articles:
            if path == "/" + article["slug"]:
                return self.article_page(article)
        return Response(404, body=b"<h1>Not found</h1>")

    def article_page(self, article: dict) -> Response:
        charset = article["encoding"]
        html = self.template.render(site=self, article=article, base=self.base, charset=charset)
        if charset == "utf-8":
            return Response(body=html.encode("utf-8"))
        # declared only in the page's meta tag, as many older Russian sites do
        return Response(content_type="text/html", body=html.encode(charset))

    def rss(self) -> Response:
        items = "".join(
            f"<item><title>{escape(a['title'])}</title><link>{self.base}{a['slug']}</link>"
            f"<guid>{self.base}{a['slug']}</guid><pubDate>{rfc822(a['published_date'])}</pubDate></item>"
            for a in self.listed()
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{escape(self.name)}</title><link>{self.base}</link><description>Blog feed</description>"
            f"{items}</channel></rss>"
        )
        return Response(content_type="application/rss+xml; charset=utf-8", body=body.encode())

    def atom(self) -> Response:
        entries = "".join(
            f"<entry><title>{escape(a['title'])}</title><link rel=\"alternate\" href=\"{self.base}{a['slug']}\"/>"
            f"<id>{self.base}{a['slug']}</id><updated>{a['published']}T10:30:00Z</updated></entry>"
            for a in self.listed()[:FEED_SIZE]
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(self.name)}</title><id>{self.base}</id><updated>2026-07-01T00:00:00Z</updated>"
            f"{entries}</feed>"
        )
        return Response(content_type="application/atom+xml; charset=utf-8", body=body.encode())

    def sitemap_languages(self) -> list[str]:
        """One sitemap per language the outlet publishes in (English always: its extra URLs live there)."""
        if self.discovery != "sitemap":
            return []
        return sorted({"en"} | {a["lang"] for a in self.articles})

    def sitemap_index(self) -> Response:
        sitemaps = "".join(f"<sitemap><loc>{self.base}sitemap-{language}.xml</loc></sitemap>"
                           for language in self.sitemap_languages())
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{sitemaps}</sitemapindex>"
        )
        return Response(content_type="application/xml", body=body.encode())

    def sitemap(self, language: str) -> Response:
        entries = [(a["slug"], a["published"]) for a in self.listed() if a["lang"] == language]
        if language == "en":
            linked_by_redirect = {r["redirect"].lstrip("/") for r in self.special_routes.values() if "redirect" in r}
            entries = [e for e in entries if e[0] not in linked_by_redirect]
            entries += [(path.lstrip("/"), "2026-06-01") for path in self.sitemap_extra]
        urls = "".join(f"<url><loc>{self.base}{slug}</loc><lastmod>{day}</lastmod></url>" for slug, day in entries)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>"
        )
        return Response(content_type="application/xml", body=body.encode())

    def section_page(self, path: str) -> Response:
        rest = path[len("/category/csto/") :].strip("/")
        number = int(rest.split("/")[-1]) if rest.startswith("page/") and rest.split("/")[-1].isdigit() else 1
        articles = self.section_articles()
        chunk = articles[(number - 1) * SECTION_PAGE_SIZE : number * SECTION_PAGE_SIZE]
        if not chunk:
            return Response(404, body=b"<h1>Not found</h1>")
        links = "".join(
            f'<article><h2><a href="{self.base}{a["slug"]}">{escape(a["title"])}</a></h2></article>' for a in chunk
        )
        more = len(articles) > number * SECTION_PAGE_SIZE
        nav = f'<a rel="next" href="{self.base}category/csto/page/{number + 1}/">Older posts</a>' if more else ""
        body = f"<html><head><title>CSTO – {escape(self.name)}</title></head><body><h1>CSTO</h1>{links}{nav}</body></html>"
        return Response(body=body.encode())

    def sources_entry(self) -> dict:
        entry = {"name": self.name, "url": self.base, "country": self.country, "language": self.language}
        if self.group:
            entry["group"] = self.group
        if self.discovery == "rss":
            entry["feeds"] = [self.base + "blog-feed.xml"]
        elif self.discovery == "atom":
            entry["feeds"] = [self.base + "feed/atom/"]
            entry["start_urls"] = [self.base + "category/csto/"]
            entry["follow"] = [r"/20\d\d/\d\d/[^/]+/?$"]
        else:
            entry["sitemaps"] = [self.base + "sitemap.xml"]
        return entry


def rfc822(day: date) -> str:
    return format_datetime(datetime.combine(day, time(8, 0), tzinfo=timezone.utc))


def handler_for(outlet: SampleOutlet):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            response = outlet.handle(self.path, self.headers)
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)

        def log_message(self, format, *args):  # keep test and demo output quiet
            pass

    return Handler


class LocalServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 for crawls to read, each request in a daemon thread. A crawler
    that hangs up before the answer is sent (it gave up waiting, or was stopped) is no error of the
    server's: socketserver would print its traceback to stderr, into whatever output is read then."""

    daemon_threads = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SampleOutlets:
    """Start every bundled outlet on its own free port of 127.0.0.1 (a context manager)."""

    def __init__(self, directory: Path = HERE, extra: list[dict] = ()):
        """The outlets of `directory`'s YAML files, and `extra` outlet specs (the demo's year)."""
        self.outlets = [SampleOutlet(path) for path in sorted(directory.glob("*.yml"))] + [SampleOutlet(spec) for spec in extra]
        self._servers: list[LocalServer] = []

    def __enter__(self) -> "SampleOutlets":
        for outlet in self.outlets:
            server = LocalServer(handler_for(outlet))
            outlet.base = f"http://127.0.0.1:{server.server_address[1]}/"
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
        return self

    def __exit__(self, *exc) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def outlet(self, name: str) -> SampleOutlet:
        return next(o for o in self.outlets if o.name == name)

    def requested(self, name: str) -> list[str]:
        return list(self.outlet(name).requests)

    def write_sources(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = "# Sources for the bundled sample outlets, written by csto-monitor (ports change every run).\n"
        path.write_text(header + yaml.safe_dump({"outlets": [o.sources_entry() for o in self.outlets]}, allow_unicode=True, sort_keys=False))
        return path
