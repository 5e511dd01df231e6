"""Shared fixtures: the sample outlets served on 127.0.0.1 and real crawls of them.

A crawl runs in a subprocess: Twisted's reactor cannot be restarted inside one pytest process.
"""

from contextlib import contextmanager
import json
import os
import sqlite3
from pathlib import Path
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from crawler.samples.server import SampleOutlets
from crawler.stages import item_pipelines

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"


def run_command(args: list[str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=PROJECT, capture_output=True, text=True, timeout=timeout)


def csto_monitor(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return run_command([sys.executable, "-m", "crawler.cli", *args], timeout=timeout)


def scrapy(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return run_command([sys.executable, "-m", "scrapy", *args], timeout=timeout)


@pytest.fixture(scope="session", autouse=True)
def stance_cache(tmp_path_factory, worker_id):
    """What the stance models derive on first use (the int8 copy of the encoder, the converted
    e5 and MPNet encoders: stance/cache.py) is made once per test run in a folder of its own, for
    the tests and every crawl they start, never in the user's cache. The xdist workers share it
    (their base folders' parent): stance/cache.py builds a folder atomically, so two workers
    building one at once both end with the same complete folder."""
    if worker_id == "master":
        folder = tmp_path_factory.mktemp("csto-monitor-cache")
    else:
        folder = tmp_path_factory.getbasetemp().parent / "csto-monitor-cache"
        folder.mkdir(exist_ok=True)
    previous = os.environ.get("CSTO_MONITOR_CACHE")
    os.environ["CSTO_MONITOR_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("CSTO_MONITOR_CACHE", None)
    else:
        os.environ["CSTO_MONITOR_CACHE"] = previous


@pytest.fixture(scope="session")
def sample_outlets():
    with SampleOutlets() as outlets:
        yield outlets


@pytest.fixture(scope="session")
def crawled(sample_outlets, tmp_path_factory):
    """Two crawls of the sample outlets into one database: first with `csto-monitor crawl`,
    then again with `scrapy crawl outlets`, both without download delays (the sample outlets are
    our own server; politeness is tested in test_spider.py and by the slow crawls of
    test_operations.py). Returns what each saw."""
    folder = tmp_path_factory.mktemp("crawl")
    sources = sample_outlets.write_sources(folder / "sources.yml")
    db = folder / "monitor.db"
    def asked(run):
        """(requests, statuses) per outlet during `run()` only: an earlier test file's crawls in
        this worker asked the same outlets before."""
        before = {o.name: (len(o.requests), len(o.statuses)) for o in sample_outlets.outlets}
        result = run()
        assert result.returncode == 0, result.stderr[-3000:]
        return (result, {o.name: list(o.requests)[before[o.name][0]:] for o in sample_outlets.outlets},
                {o.name: list(o.statuses)[before[o.name][1]:] for o in sample_outlets.outlets})

    first, requests_first, statuses_first = asked(
        lambda: csto_monitor("crawl", "--sources", str(sources), "--db", str(db), *FAST))
    second, requests_second, statuses_second = asked(
        lambda: scrapy("crawl", "outlets", "-a", f"sources={sources}", "-s", f"DB_PATH={db}", *FAST))
    return {
        "db": db,
        "statuses_first": statuses_first,
        "statuses_second": statuses_second,
        "sources": sources,
        "first": first,
        "second": second,
        "requests_first": requests_first,
        "requests_second": requests_second,
    }


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data lives beside the project only on developer machines and CI")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(db: Path):
    """`csto-monitor serve` on `db` at a free port; yields its base URL."""
    port = free_port()
    log = Path(db).with_name(f"serve-{port}.log").open("w")  # a pipe nobody reads would fill and stall the server
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)],
        cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                json.load(urllib.request.urlopen(f"{base}/-/versions.json", timeout=5))
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("csto-monitor serve did not answer")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def served(crawled):
    """`csto-monitor serve` on the crawled database; yields its base URL."""
    with serving(crawled["db"]) as base:
        yield base


FAST = ("--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False")
# paced (the sample outlets share one download slot, 127.0.0.1): slow enough to stop a crawl after
# its first articles and before its last
SLOW = ("--set", "DOWNLOAD_DELAY=0.35", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RANDOMIZE_DOWNLOAD_DELAY=False")


def start_crawl(sources: Path, db: Path, *extra: str) -> subprocess.Popen:
    log = db.with_name(f"{db.stem}-crawl.out").open("w")
    return subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--sources", str(sources), "--db", str(db), *extra],
                            cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)


def stored_urls(db: Path) -> list[str]:
    connection = sqlite3.connect(db)
    try:
        return [row[0] for row in connection.execute("select url from articles order by url")]
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        connection.close()


# operations tests crawl many times; they need every stage but the stance model (tested elsewhere)
NO_STANCE = ("--set", "ITEM_PIPELINES=" + json.dumps(item_pipelines(without=("stance",))))


@pytest.fixture(scope="session")
def reference(crawled):
    """The sample outlets' sources, and the articles an uninterrupted crawl of them stores: what
    every interrupted, refused or shared run must end with."""
    return {"sources": crawled["sources"], "urls": stored_urls(crawled["db"])}


def model_on_devtest(model_dir: str | None = None, mentions: int | None = None, scores: dict | None = None) -> dict:
    """A shipped model (PyTorch; the default when None) and its scores on NewsMTSC devtest_mt, or
    on its first `mentions` mentions (measured unless `scores` says them)."""
    from stance import load_model
    from lab.newsmtsc import read_newsmtsc
    from lab.training import evaluate

    all_mentions, all_labels = read_newsmtsc(shared_file("data", "newsmtsc", "devtest_mt.jsonl"))
    mentions, labels = all_mentions[:mentions], all_labels[:mentions]
    model = load_model(model_dir)
    return {"model": model, "mentions": mentions, "labels": labels, "scores": scores or evaluate(model, mentions, labels)}


@pytest.fixture(scope="session")
def default_model_on_devtest(tmp_path_factory, worker_id):
    """The offline default model and its scores, measured once per test run for every test that
    needs them: the first xdist worker to ask measures, the others read its scores from a file."""
    if worker_id == "master":
        return model_on_devtest()
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent
    scores_file = shared / "default-model-on-devtest.json"
    with FileLock(str(shared / "default-model-on-devtest.lock")):
        if scores_file.exists():
            return model_on_devtest(scores=json.loads(scores_file.read_text()))
        measured = model_on_devtest()
        scores_file.write_text(json.dumps(measured["scores"]))
        return measured


@pytest.fixture
def larger_model_on_devtest():
    """The larger English model (all-mpnet-base-v2) and its scores on devtest_mt's first 200
    mentions: a slice that separates it from MiniLM (0.856 against 0.774 there) at an eighth of
    the cost of the whole set (benchmarks measure that: README, figures)."""
    return model_on_devtest("mpnet-newsmtsc", mentions=200)


def newsmtsc_slice(tmp_path, name: str, lines: int):
    """The first `lines` lines of a NewsMTSC file from ../shared/data, written to tmp_path."""
    text = shared_file("data", "newsmtsc", name).read_text(encoding="utf-8")
    sample = tmp_path / f"slice-{name}"
    sample.write_text("".join(text.splitlines(keepends=True)[:lines]), encoding="utf-8")
    return sample


# The test files that take longest on two cores (pytest --durations, December 2026), first: xdist
# hands whole files to the workers in collection order (`make test` passes --no-loadscope-reorder,
# which would otherwise put files with many tests first), so no long file starts last while the
# other worker idles. Files not named here follow, in collection order; only speed hangs on this.
LONGEST_FIRST = ("test_operations.py", "test_backfill.py", "test_reviews.py", "test_browser.py", "test_end_to_end.py",
                 "test_stance.py", "test_hostile_sites.py", "test_demo.py", "test_scale_out.py", "test_usage_errors.py",
                 "test_distillation.py", "test_dashboard.py", "test_russian_stance.py", "test_training.py")


def pytest_collection_modifyitems(items):
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file's own order kept
