"""The cache folder for what the stance models derive on first use (converted encoders, int8
copies), and a way to build a folder there once, atomically."""

import os
from pathlib import Path
import shutil
import tempfile
from typing import Callable


def cache_dir() -> Path:
    """$CSTO_MONITOR_CACHE, else $XDG_CACHE_HOME/csto-monitor, else ~/.cache/csto-monitor."""
    if os.environ.get("CSTO_MONITOR_CACHE"):
        return Path(os.environ["CSTO_MONITOR_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "csto-monitor"


def build_once(target: Path, build: Callable[[Path], None], done_file: str = "model.safetensors") -> Path:
    """`target`, built by `build(scratch)` into a scratch folder beside it and renamed into place
    unless it already holds `done_file`: an interrupted build leaves nothing half-written, and two
    processes building at once both end with the same complete folder."""
    if not (target / done_file).exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".building-"))
        try:
            build(scratch)
            scratch.rename(target)
        except OSError:
            if not (target / done_file).exists():  # not another process building it meanwhile
                raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target
