"""One writing crawl per database: an exclusive lock on `DB.lock`, beside the database.

The lock is an advisory `flock`, so the operating system releases it whenever the process ends,
even by kill -9 or a power cut: a stale lock can never block the next night's run. The file
itself stays (removing it would let two runs lock two different files); it names the process
that holds it, for the message the second run prints.
"""

from contextlib import contextmanager
from datetime import datetime, timezone
import fcntl
import os
from pathlib import Path

from crawler.storage.articles import StorageError, writable_folder_problem

_held: dict[Path, int] = {}  # lock files this process holds, with their descriptors


class CrawlLocked(RuntimeError):
    """Another process is writing the database."""


def lock_path(db_path: str | Path) -> Path:
    return Path(f"{Path(db_path).resolve()}.lock")


def acquire(db_path: str | Path) -> bool:
    """Take the database's lock; False when this process already holds it. Raises CrawlLocked
    (with one line saying who holds it) when another process does."""
    path = lock_path(db_path)
    if path in _held:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # a read-only folder: the lock file cannot be made there
        raise StorageError(writable_folder_problem(path.parent)) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(descriptor, 200, 0).decode(errors="replace").strip() or "another process"
        os.close(descriptor)
        raise CrawlLocked(f"another crawl is writing {db_path} ({holder}); this run stopped without "
                          "touching it. Wait for that crawl to finish.") from None
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"pid {os.getpid()}, started {stamp}\n".encode(), 0)
    _held[path] = descriptor
    return True


def release(db_path: str | Path) -> None:
    descriptor = _held.pop(lock_path(db_path), None)
    if descriptor is not None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


@contextmanager
def database_lock(db_path: str | Path):
    """Hold the database's lock for the block (a no-op when this process holds it already)."""
    taken = acquire(db_path)
    try:
        yield
    finally:
        if taken:
            release(db_path)
