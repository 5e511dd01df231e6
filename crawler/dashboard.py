"""The dashboard's Datasette metadata (datasette/metadata.yml) for a database of any name.

Datasette keys metadata by database name, the file name without `.db`: the canned queries,
dashboards, descriptions and links written for `monitor` would vanish for `other.db`. The
metadata is written for `monitor` and renamed here for the database served.
"""

from pathlib import Path

import yaml

from crawler.config import PROJECT_ROOT

DATASETTE_DIR = PROJECT_ROOT / "datasette"
METADATA_FILE = DATASETTE_DIR / "metadata.yml"
PLUGINS_DIR = DATASETTE_DIR / "plugins"
TEMPLATES_DIR = DATASETTE_DIR / "templates"
WRITTEN_FOR = "monitor"


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives a database file."""
    return Path(db_path).stem


def metadata_for(name: str) -> dict:
    """metadata.yml with its database, the dashboards' `db` and the links to its pages renamed."""
    metadata = yaml.safe_load(METADATA_FILE.read_text())
    return rename_database(metadata, name) if name != WRITTEN_FOR else metadata


def rename_database(value, name: str):
    if isinstance(value, dict):
        return {(name if key == WRITTEN_FOR and isinstance(sub, dict) and "tables" in sub else key):
                (name if key == "db" and sub == WRITTEN_FOR else rename_database(sub, name))
                for key, sub in value.items()}
    if isinstance(value, list):
        return [rename_database(item, name) for item in value]
    if isinstance(value, str):
        return value.replace(f"/{WRITTEN_FOR}/", f"/{name}/")
    return value


def metadata_file_for(db_path: str | Path, folder: Path) -> Path:
    """A metadata file for the database at `db_path`: metadata.yml itself for `monitor.db`, else
    a renamed copy written to `folder`."""
    name = database_name(db_path)
    if name == WRITTEN_FOR:
        return METADATA_FILE
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"metadata-{name}.yml"
    path.write_text(yaml.safe_dump(metadata_for(name), allow_unicode=True, sort_keys=False))
    return path
