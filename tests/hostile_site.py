"""A local site that serves everything a real outlet can throw at a crawler: broken feeds,
huge sitemaps, wrong charsets, PDFs at article URLs, redirect loops, pages that hang or never
end, 429 with Retry-After. Written for the project's tests; every text is invented."""

from http.server import BaseHTTPRequestHandler
import threading
import time

from crawler.samples.server import LocalServer

PARAGRAPHS = [
    "The CSTO defence ministers met in Bishkek to discuss the alliance's joint air defence system.",
    "Officials said the talks were long and difficult, and several delegations asked for more time.",
    "The ministers agreed to meet again in the autumn and to prepare a common list of threats.",
]
RUSSIAN = [
    "Министры обороны стран ОДКБ встретились в Бишкеке, чтобы обсудить совместную систему ПВО.",
    "По словам участников, переговоры были долгими и трудными, и несколько делегаций попросили больше времени.",
    "Министры договорились снова встретиться осенью и подготовить общий список угроз.",
]
OLD_DAY = "2019-05-01"
RECENT_DAY = "2026-06-01"
BIG_SITEMAP_SIZE = 50_000
SECTION_PAGES = 8
RECENT_IN_BIG_SITEMAP = ("a/big-recent-1", "a/big-recent-2")
JAVASCRIPT_LINK = "javascript:openStory(7)"  # a feed entry no crawler can fetch, listed before good ones
SLOW_SECONDS = 60  # longer than the tests' DOWNLOAD_TIMEOUT (the server thread is a daemon: it never holds the test up)


def article_html(title: str, paragraphs: list[str], head: str = "", canonical: str = "") -> str:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head>{head}<title>{title}</title>{link}</head><body><article><h1>{title}</h1>{body}</article></body></html>"


class HostileSite:
    """Two outlets on one port: /  (Hostile Herald) and /gone/ (Gone Gazette, whose feed 404s)."""

    def __init__(self):
        self.log: list[tuple[float, str, int]] = []
        self.user_agents: set[str] = set()
        self._lock = threading.Lock()
        self._server = None
        self.base = ""

    # --- content -----------------------------------------------------------------------------
    def feed(self) -> bytes:
        links = ["a/koi8", JAVASCRIPT_LINK, "a/undeclared-1251", "a/wrong-charset", "a/malformed", "a/pdf", "a/image", "a/missing",
                 "a/crash", "a/loop1", "a/slow", "a/endless", "a/retry-after", "a/tracked?utm_source=feed&fbclid=abc",
                 "a/canonical-story"]
        items = "".join(f"<item><title>{link}</title><link>{'' if ':' in link else self.base}{link.replace('&', '&amp;')}</link></item>"
                        for link in links)
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Herald</title>{items}</channel></rss>'.encode()

    def rss1(self) -> bytes:
        return (
            '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
            f'<channel rdf:about="{self.base}"><title>Herald RDF</title><link>{self.base}</link><description>d</description></channel>'
            f'<item rdf:about="{self.base}a/from-rss1"><title>From RSS 1.0</title><link>{self.base}a/from-rss1</link></item>'
            "</rdf:RDF>"
        ).encode()

    def atom(self) -> bytes:
        return (
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Herald Atom</title><id>x</id>'
            f'<updated>{RECENT_DAY}T00:00:00Z</updated><entry><title>From Atom</title><id>a1</id>'
            f'<link href="{self.base}a/from-atom"/><updated>{RECENT_DAY}T00:00:00Z</updated></entry>'
            f'<entry><title>Old</title><id>a2</id><link href="{self.base}a/atom-too-old"/><updated>{OLD_DAY}T00:00:00Z</updated></entry></feed>'
        ).encode()

    def news_sitemap(self) -> bytes:
        def entry(slug, day):
            return (f"<url><loc>{self.base}{slug}</loc><news:news><news:publication><news:name>Herald</news:name>"
                    f"<news:language>en</news:language></news:publication><news:publication_date>{day}T09:00:00+00:00"
                    "</news:publication_date><news:title>t</news:title></news:news></url>")
        return (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f'{entry("a/news-recent", RECENT_DAY)}{entry("a/news-too-old", OLD_DAY)}</urlset>'
        ).encode()

    def big_sitemap(self) -> bytes:
        old = "".join(f"<url><loc>{self.base}a/archive-{i}</loc><lastmod>{OLD_DAY}</lastmod></url>" for i in range(BIG_SITEMAP_SIZE - 2))
        recent = "".join(f"<url><loc>{self.base}{slug}</loc><lastmod>{RECENT_DAY}</lastmod></url>" for slug in RECENT_IN_BIG_SITEMAP)
        return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{old}{recent}</urlset>'.encode()

    def sitemap_index(self) -> bytes:
        return (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{self.base}sitemap-news.xml</loc></sitemap><sitemap><loc>{self.base}sitemap-big.xml</loc></sitemap>"
            "</sitemapindex>"
        ).encode()

    def sources(self) -> str:
        return (
            "outlets:\n"
            f"  - name: Hostile Herald\n    url: {self.base}\n"
            f"    feeds: [{self.base}feed.xml, {self.base}rss1.rdf, {self.base}atom.xml, {self.base}empty-feed.xml, {self.base}not-a-feed.xml]\n"
            f"    sitemaps: [{self.base}sitemap.xml]\n"
            f"    start_urls: [{self.base}section/1]\n"
            "    follow: ['/a/section-story-\\d+$']\n"
            f"  - name: Gone Gazette\n    url: {self.base}gone/\n    feeds: [{self.base}gone/feed.xml]\n"
        )

    # --- serving -----------------------------------------------------------------------------
    def respond(self, handler: BaseHTTPRequestHandler) -> int:
        path = handler.path
        xml = {
            "/feed.xml": self.feed, "/rss1.rdf": self.rss1, "/atom.xml": self.atom,
            "/sitemap.xml": self.sitemap_index, "/sitemap-news.xml": self.news_sitemap, "/sitemap-big.xml": self.big_sitemap,
            "/empty-feed.xml": lambda: b'<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title></channel></rss>',
        }
        if path == "/robots.txt":
            return send(handler, 200, "text/plain", b"User-agent: *\nDisallow:\n")
        if path in xml:
            body = xml[path]()
            etag = f'"{len(body)}-{hash(body) & 0xFFFFFFFF:x}"'
            if handler.headers.get("If-None-Match") == etag:
                return send(handler, 304, "application/xml", b"", {"ETag": etag})
            return send(handler, 200, "application/xml", body, {"ETag": etag})
        if path.startswith("/section/"):
            number = int(path.rsplit("/", 1)[1])
            links = (f'<a href="{self.base}a/section-story-{number}">Story {number}</a>'
                     f'<a href="{self.base}about/team-{number}">Team</a>')
            more = f'<a rel="next" href="{self.base}section/{number + 1}">Next</a>' if number < SECTION_PAGES else ""
            return send(handler, 200, "text/html; charset=utf-8", f"<html><body>{links}{more}</body></html>".encode())
        if path == "/not-a-feed.xml":
            return send(handler, 200, "application/rss+xml", b"<html><body><p>Oops, this is a web page.</p>")
        if path == "/a/koi8":
            html = article_html("Министры ОДКБ встретились в Бишкеке", RUSSIAN, '<meta charset="koi8-r">')
            return send(handler, 200, "text/html", html.encode("koi8-r"))
        if path == "/a/undeclared-1251":
            html = article_html("Министры ОДКБ договорились о новой встрече", RUSSIAN[::-1])
            return send(handler, 200, "text/html", html.encode("windows-1251"))
        if path == "/a/wrong-charset":
            html = article_html("Министры ОДКБ подвели итоги года", RUSSIAN[1:] + RUSSIAN[:1])
            return send(handler, 200, "text/html; charset=utf-8", html.encode("windows-1251"))
        if path == "/a/malformed":
            body = "<html><head><title>Malformed CSTO page</title><body><div><article><h1>Malformed CSTO page</h1>" + "".join(
                f"<p>{p}<span><b>" for p in PARAGRAPHS) + "</div></div></td>"
            return send(handler, 200, "text/html; charset=utf-8", body.encode())
        if path == "/a/pdf":
            return send(handler, 200, "application/pdf", b"%PDF-1.4\n% CSTO report\n" + b"0" * 2000)
        if path == "/a/image":
            return send(handler, 200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000)
        if path == "/a/crash":
            return send(handler, 500, "text/html", b"<h1>Internal Server Error</h1>")
        if path in ("/a/loop1", "/a/loop2"):
            return redirect(handler, self.base + ("a/loop2" if path == "/a/loop1" else "a/loop1"))
        if path == "/a/slow":
            time.sleep(SLOW_SECONDS)
            return send(handler, 200, "text/html", article_html("Slow", PARAGRAPHS).encode())
        if path == "/a/endless":
            return endless(handler)
        if path == "/a/retry-after":
            if sum(1 for _, p, _ in self.log if p == path) == 0:
                return send(handler, 429, "text/plain", b"slow down", {"Retry-After": "1"})
            return send(handler, 200, "text/html", article_html("Retried CSTO story", PARAGRAPHS).encode())
        if path.startswith("/a/tracked") or path == "/a/canonical-story":
            html = article_html("Canonical CSTO story", PARAGRAPHS, canonical=self.base + "a/canonical-story")
            return send(handler, 200, "text/html; charset=utf-8", html.encode())
        if path.startswith("/a/") and path != "/a/missing":
            return send(handler, 200, "text/html; charset=utf-8", article_html(f"CSTO story {path[3:]}", PARAGRAPHS + [path]).encode())
        return send(handler, 404, "text/html", b"<h1>Not found</h1>")

    def __enter__(self) -> "HostileSite":
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.user_agents.add(self.headers.get("User-Agent", ""))
                if self.path == "/a/slow":  # logged when asked for: it answers long after the crawl gave up
                    with site._lock:
                        site.log.append((time.monotonic(), self.path, 0))
                    site.respond(self)
                    return
                status = 0
                try:
                    status = site.respond(self)
                except (BrokenPipeError, ConnectionResetError):
                    status = -1
                finally:
                    with site._lock:
                        site.log.append((time.monotonic(), self.path, status))

            def log_message(self, format, *args):
                pass

        self._server = LocalServer(Handler)  # /a/slow answers long after the crawl hung up: no traceback then
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def requested(self, path: str) -> list[tuple[float, int]]:
        return [(when, status) for when, p, status in self.log if p == path]


def send(handler, status: int, content_type: str, body: bytes, headers: dict | None = None) -> int:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)
    return status


def redirect(handler, location: str) -> int:
    handler.send_response(302)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()
    return 302


def endless(handler) -> int:
    """A page that never ends (bounded at 200 MB so the test server stops by itself)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    chunk = b"<p>" + b"CSTO " * 2000 + b"</p>\n"
    for _ in range(200 * 1024 * 1024 // len(chunk)):
        handler.wfile.write(chunk)
    return 200
