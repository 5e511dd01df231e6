"""Datasette plugin: the desk's reviewers sign in and correct stance judgements.

- `/-/login` (fields `username`, `password`, with Datasette's CSRF token): a reviewer of the desk
  file beside the served database (`csto-monitor reviewers add`) is signed in with Datasette's
  signed `ds_actor` cookie; failed attempts are limited per address and per name
  (`sign_in_attempts` per `sign_in_window_seconds`, datasette/metadata.yml). `/-/logout` is Datasette's.
- `/-/review` (POST from an article page's form: `article_id`, `actor`, `label`, `note`): the
  review is written to the desk file and applied to the database (crawler/storage/reviews.py) in
  Datasette's write thread, the summaries and shifts refreshed. A visitor who is not a signed-in
  reviewer is refused (403) and nothing is stored; a post without the CSRF token is refused by
  Datasette (asgi-csrf) before it gets here.
- anonymous visitors keep the read-only dashboard: Datasette reads the database with `mode=ro`
  connections, so no SQL a visitor writes can change it.

Only `csto-monitor serve` loads it: `publish` leaves it out (a published database is read-only).
"""

from collections import defaultdict, deque
import time
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import Response

from crawler.storage.database import Database, with_busy_timeout
from crawler.storage.reviews import LABELS, Review, ReviewError, check_password, is_reviewer, open_desk, record_review

PLUGIN = "csto-monitor-reviews"
DEFAULTS = {"sign_in_attempts": 5, "sign_in_window_seconds": 300}


def plugin_setting(datasette, name: str) -> int:
    return int((datasette.plugin_config(PLUGIN) or {}).get(name, DEFAULTS[name]))


def monitor_database(datasette):
    """The served monitor database (the one file database Datasette may write)."""
    return next((db for db in datasette.databases.values() if db.is_mutable and db.path), None)


class SignInLimit:
    """At most `attempts` failed sign-ins per `window` seconds from one address or for one name."""

    def __init__(self):
        self.failures: dict[str, deque] = defaultdict(deque)

    def blocked(self, keys: list[str], attempts: int, window: float) -> float:
        """Seconds until a sign-in may be tried again (0: now)."""
        now = time.monotonic()
        wait = 0.0
        for key in keys:
            failures = self.failures[key]
            while failures and failures[0] <= now - window:
                failures.popleft()
            if len(failures) >= attempts:
                wait = max(wait, failures[0] + window - now)
        return wait

    def failed(self, keys: list[str]) -> None:
        for key in keys:
            self.failures[key].append(time.monotonic())


LIMIT = SignInLimit()


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only."""
    return value if value and value.startswith("/") and not value.startswith("//") else "/-/dashboards/desk"


async def login(request, datasette):
    next_path = safe_next(request.args.get("next"))
    if request.method != "POST":
        return await login_page(datasette, request, next_path)
    form = await request.post_vars()
    name, password = (form.get("username") or "").strip(), form.get("password") or ""
    next_path = safe_next(form.get("next"))
    keys = [f"address:{request.scope.get('client', ('?',))[0]}", f"name:{name.lower()}"]
    wait = LIMIT.blocked(keys, plugin_setting(datasette, "sign_in_attempts"),
                         plugin_setting(datasette, "sign_in_window_seconds"))
    if wait:
        return await login_page(datasette, request, next_path, status=429,
                                error=f"Too many failed sign-ins: try again in {int(wait // 60) + 1} minutes.")
    database = monitor_database(datasette)
    if database is None:
        return await login_page(datasette, request, next_path, status=403, error="This dashboard is read-only: there is no sign-in.")

    def verify(conn) -> bool:
        desk = open_desk(database.path)
        try:
            return check_password(desk, name, password)
        finally:
            desk.close()

    if not name or not await database.execute_write_fn(verify, block=True):
        LIMIT.failed(keys)
        return await login_page(datasette, request, next_path, status=403, error="Wrong name or password.")
    response = Response.redirect(next_path)
    response.set_cookie("ds_actor", datasette.sign({"a": {"id": name, "reviewer": True}}, "actor"),
                        httponly=True, samesite="lax")
    datasette.add_message(request, f"Signed in as {name}: each article page now offers a review of its judgements.")
    return response


async def login_page(datasette, request, next_path: str, status: int = 200, error: str | None = None):
    html = await datasette.render_template("csto_login.html", {"error": error, "next": next_path}, request=request)
    return Response.html(html, status=status)


async def review(request, datasette):
    actor = request.actor or {}
    if request.method != "POST":
        return Response.text("Reviews are posted from an article page's form.", status=405)
    if not actor.get("reviewer"):
        return Response.text("Only a signed-in reviewer may review a judgement: sign in at /-/login.", status=403)
    database = monitor_database(datasette)
    if database is None:
        return Response.text("This dashboard is read-only: reviews cannot be stored.", status=403)
    form = await request.post_vars()
    try:
        article_id = int(form.get("article_id") or "")
    except ValueError:
        return Response.text("article_id must be an article's id.", status=400)
    submitted = Review(article_id=article_id, actor=(form.get("actor") or "").strip(), label=(form.get("label") or "").strip(),
                       note=(form.get("note") or "").strip(), reviewer=actor["id"])

    def write(conn):
        desk = open_desk(database.path)
        try:
            if not is_reviewer(desk, submitted.reviewer):
                return "removed"
            db = with_busy_timeout(Database(conn))  # the crawl may be writing: wait for it, IMMEDIATE
            record_review(db, desk, submitted)
            refresh_shifts(db)
            return None
        except ReviewError as error:
            return str(error)
        finally:
            desk.close()

    problem = await database.execute_write_fn(write, block=True)
    if problem == "removed":
        return Response.text(f"{submitted.reviewer} is no longer a reviewer of this desk.", status=403)
    if problem:
        return Response.text(f"Review not stored: {problem}.", status=400)
    datasette.add_message(request, f"Review saved: {submitted.actor} is {submitted.label} in this article.")
    path = datasette.urls.row(database.name, "articles", str(article_id))
    return Response.redirect(f"{path}#review-{quote(submitted.actor)}")


def refresh_shifts(db) -> None:
    from crawler.rules import default_rules
    from crawler.storage.shifts import ShiftRules, refresh_shifts as rebuild

    rebuild(db, default_rules(ShiftRules, "SHIFT_"))


@hookimpl
def register_routes():
    return [(r"^/-/login$", login), (r"^/-/review$", review)]


@hookimpl
def extra_template_vars(request):
    actor = (request.actor if request is not None else None) or {}
    return {"reviewer": actor.get("id") if actor.get("reviewer") else None, "review_labels": LABELS}


@hookimpl
def menu_links(datasette, actor):
    if not actor and monitor_database(datasette) is not None:
        return [{"href": datasette.urls.path("/-/login"), "label": "Reviewers: sign in"}]
    return []
