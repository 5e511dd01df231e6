"""Reading JSON-lines files of labelled data: one record per non-blank line, with its number."""

import json
from pathlib import Path
from typing import Iterator


def numbered_records(path: str | Path) -> Iterator[tuple[int, object]]:
    """(line number, record) for each non-blank line; a line that is not JSON raises ValueError
    (json's own) for the caller to name with its line."""
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except ValueError as error:
                    raise ValueError(f"{path}:{number}: not JSON ({error})") from None
