"""Read and validate the YAML files a desk edits: sources.yml (outlets) and actors.yml.

Every problem is reported as one ConfigError line naming the file, the entry and the fix.
"""

from dataclasses import dataclass, field
from pathlib import Path
import re

import yaml

from crawler.cldr import country_aliases

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STANCE_FILE = PROJECT_ROOT / "stance.yml"
DEFAULT_ACTORS_FILE = PROJECT_ROOT / "actors.yml"
DEFAULT_SOURCES_FILE = PROJECT_ROOT / "sources.yml"

OUTLET_KEYS = {"name", "url", "country", "language", "group", "feeds", "sitemaps", "start_urls", "follow", "delay", "concurrency"}
ACTOR_KINDS = {"person", "country", "organisation"}
# languages whose country names come from CLDR (crawler/cldr.py) when actors.yml lacks them
DEFAULT_ALIAS_LANGUAGES = ("hy", "kk", "ky", "tg", "be", "uk")


class ConfigError(ValueError):
    """A mistake in a configuration file, phrased for the person who edits it."""


@dataclass(frozen=True)
class Outlet:
    name: str
    url: str
    country: str = ""
    language: str = ""
    group: str = ""  # the desk's grouping of outlets ("Russian state", "Armenian independent", ...)
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()
    delay: float | None = None  # seconds between requests to this outlet's host
    concurrency: int | None = None  # parallel requests to this outlet's host

    def owns(self, url: str) -> bool:
        return url.startswith(self.url)


@dataclass(frozen=True)
class Actor:
    name: str
    kind: str
    aliases: tuple[str, ...]
    metonyms: tuple[str, ...] = ()  # words that stand for the actor without naming it (Kremlin -> Russia)


@dataclass(frozen=True)
class ActorsConfig:
    actors: tuple[Actor, ...]
    topic_keywords: tuple[str, ...] = field(default=())


def read_yaml(path: str | Path) -> dict:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; pass the path of an existing YAML file") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} malformed YAML ({getattr(error, 'problem', error)}); fix the syntax there") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level; see the README for the format")
    return data


def _string_list(path, entry: str, key: str, value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{path}: {entry}: '{key}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def read_entries(path: str | Path, key: str, what: str) -> list:
    """The list under the only top-level `key` of a YAML file."""
    data = read_yaml(path)
    unknown = set(data) - {key}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key '{sorted(unknown)[0]}'; the only key is '{key}'")
    entries = data.get(key)
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: '{key}' must be a non-empty list of {what}; see the README for the format")
    return entries


def load_sources(path: str | Path) -> list[Outlet]:
    """The outlets of a sources file, validated."""
    entries = read_entries(path, "outlets", "outlets")
    outlets, names = [], set()
    for index, entry in enumerate(entries):
        label = f"outlets[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: {label}: expected a mapping with name, url, feeds/sitemaps/start_urls")
        if entry.get("name"):
            label += f" ({entry['name']})"
        unknown = set(entry) - OUTLET_KEYS
        if unknown:
            raise ConfigError(
                f"{path}: {label}: unknown key '{sorted(unknown)[0]}'; allowed keys: {', '.join(sorted(OUTLET_KEYS))}"
            )
        for key in ("name", "url"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ConfigError(f"{path}: {label}: missing '{key}'; every outlet needs a name and a home page url")
        if not re.match(r"^https?://", entry["url"]):
            raise ConfigError(f"{path}: {label}: url '{entry['url']}' must start with http:// or https://")
        if entry["name"] in names:
            raise ConfigError(f"{path}: {label}: duplicate outlet name; give each outlet its own name")
        names.add(entry["name"])
        lists = {key: _string_list(path, label, key, entry.get(key)) for key in ("feeds", "sitemaps", "start_urls", "follow")}
        if not (lists["feeds"] or lists["sitemaps"] or lists["start_urls"]):
            raise ConfigError(f"{path}: {label}: nothing to crawl; add at least one of feeds, sitemaps or start_urls")
        for pattern in lists["follow"]:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ConfigError(f"{path}: {label}: follow pattern '{pattern}' is not a valid regex ({error})") from None
        if entry.get("group") is not None and not isinstance(entry["group"], str):
            raise ConfigError(f"{path}: {label}: group must be a name such as \"Russian state\", not {entry['group']!r}")
        delay, concurrency = entry.get("delay"), entry.get("concurrency")
        if delay is not None and (not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0):
            raise ConfigError(f"{path}: {label}: delay must be a number of seconds >= 0, not {delay!r}")
        if concurrency is not None and (not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1):
            raise ConfigError(f"{path}: {label}: concurrency must be a whole number >= 1, not {concurrency!r}")
        outlets.append(
            Outlet(
                name=entry["name"].strip(),
                url=entry["url"].strip(),
                country=str(entry.get("country") or ""),
                language=str(entry.get("language") or ""),
                group=str(entry.get("group") or "").strip(),
                delay=float(delay) if delay is not None else None,
                concurrency=concurrency,
                **lists,
            )
        )
    return outlets


def load_actors(path: str | Path) -> ActorsConfig:
    """Actors with their aliases, and the topic keywords that make an article relevant."""
    data = read_yaml(path)
    unknown = set(data) - {"actors", "topic_keywords", "alias_languages"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key '{sorted(unknown)[0]}'; allowed: actors, topic_keywords, "
                          "alias_languages")
    alias_languages = _string_list(path, "alias_languages", "alias_languages", data.get("alias_languages", list(DEFAULT_ALIAS_LANGUAGES)))
    entries = data.get("actors")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: 'actors' must be a non-empty list; see the README for the format")
    actors, names = [], set()
    for index, entry in enumerate(entries):
        label = f"actors[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: {label}: expected a mapping with name, kind, aliases (and metonyms)")
        if entry.get("name"):
            label += f" ({entry['name']})"
        unknown = set(entry) - {"name", "kind", "aliases", "metonyms"}
        if unknown:
            raise ConfigError(f"{path}: {label}: unknown key '{sorted(unknown)[0]}'; allowed: name, kind, aliases, metonyms")
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise ConfigError(f"{path}: {label}: missing 'name'")
        if entry.get("kind") not in ACTOR_KINDS:
            raise ConfigError(f"{path}: {label}: kind must be one of {', '.join(sorted(ACTOR_KINDS))}")
        if entry["name"] in names:
            raise ConfigError(f"{path}: {label}: duplicate actor name; merge the two entries")
        names.add(entry["name"])
        aliases = _string_list(path, label, "aliases", entry.get("aliases"))
        metonyms = _string_list(path, label, "metonyms", entry.get("metonyms"))
        known_as = tuple(dict.fromkeys((entry["name"],) + aliases))
        if entry["kind"] == "country":
            try:
                known_as += country_aliases(known_as, alias_languages)
            except ValueError as error:
                raise ConfigError(f"{path}: alias_languages: {error}; use ISO 639 codes such as hy, kk, uk") from None
        actors.append(Actor(entry["name"], entry["kind"], known_as, metonyms))
    keywords = _string_list(path, "topic_keywords", "topic_keywords", data.get("topic_keywords"))
    if not keywords:
        raise ConfigError(f"{path}: 'topic_keywords' is empty; list the terms that make an article relevant (CSTO, ОДКБ, ...)")
    return ActorsConfig(tuple(actors), keywords)


def outlet_for(url: str, outlets: list[Outlet]) -> Outlet | None:
    """The outlet whose home URL is the longest prefix of `url`."""
    owners = [o for o in outlets if o.owns(url)]
    return max(owners, key=lambda o: len(o.url)) if owners else None


STANCE_BACKENDS = {
    "default": {"name", "backend", "model", "languages", "runtime"},
    "classifier": {"name", "backend", "model", "languages", "labels", "input", "max_length"},
    "zero-shot": {"name", "backend", "model", "languages", "templates", "entailment_label", "max_length"},
}


def load_stance_models(path: str | Path) -> list[dict]:
    """The stance models of a stance.yml file, in order of preference, validated (one-line
    errors naming the entry and the fix). Each is a mapping for `stance.registry.build_backend`."""
    entries = read_entries(path, "models", "stance models")
    models = []
    for index, entry in enumerate(entries):
        label = f"models[{index}]" + (f" ({entry.get('name')})" if isinstance(entry, dict) and entry.get("name") else "")
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: {label}: expected a mapping with backend, languages and model")
        backend = entry.get("backend", "default")
        if backend not in STANCE_BACKENDS:
            raise ConfigError(f"{path}: {label}: unknown backend '{backend}'; use one of {', '.join(STANCE_BACKENDS)}")
        unknown = set(entry) - STANCE_BACKENDS[backend]
        if unknown:
            raise ConfigError(f"{path}: {label}: unknown key '{sorted(unknown)[0]}' for backend {backend}; "
                              f"allowed: {', '.join(sorted(STANCE_BACKENDS[backend]))}")
        languages = _string_list(path, label, "languages", entry.get("languages"))
        if not languages:
            raise ConfigError(f"{path}: {label}: missing 'languages'; list the ISO 639-1 codes the model judges, e.g. [en]")
        if backend != "default" and not (isinstance(entry.get("model"), str) and entry["model"].strip()):
            raise ConfigError(f"{path}: {label}: missing 'model'; give a Hugging Face model name or a local folder")
        for key in ("labels", "templates"):
            if key in entry and not (isinstance(entry[key], dict) and all(isinstance(v, str) for v in entry[key].values())):
                raise ConfigError(f"{path}: {label}: '{key}' must map names to strings; see the README")
        if entry.get("runtime", "torch") not in ("torch", "onnx-int8"):
            raise ConfigError(f"{path}: {label}: unknown runtime '{entry['runtime']}'; use torch or onnx-int8")
        if backend == "classifier" and "labels" not in entry:
            raise ConfigError(f"{path}: {label}: missing 'labels'; map the model's labels to critical, neutral, supportive")
        models.append({**entry, "backend": backend, "languages": list(languages)})
    return models
