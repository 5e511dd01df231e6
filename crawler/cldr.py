"""Country names in the desk's other languages from CLDR, the Unicode locale data Babel ships:
an actor of kind country named in actors.yml by its English name (or an alias that is one)
also gets its name in each of actors.yml's `alias_languages` that its aliases lack.

In languages that add case endings to a name (Armenian, Kazakh, Kyrgyz, Tajik: Қазақстанда,
Ղազախստանի) the name is added as a stem (`Name*`); Ukrainian and Belarusian names are
inflected by the actor finder's morphology (pipelines/morphology.py).
"""

from functools import lru_cache

from babel import Locale, UnknownLocaleError

SUFFIXING = {"hy", "kk", "ky", "tg", "tk", "uz", "az", "tr"}


@lru_cache(maxsize=1)
def english_territories() -> dict[str, str]:
    """English country name (lower case) -> CLDR territory code (only two-letter codes: countries)."""
    return {name.lower(): code for code, name in Locale("en").territories.items() if len(code) == 2 and code.isalpha()}


def territory_code(names: tuple[str, ...]) -> str | None:
    territories = english_territories()
    return next((territories[n.lower()] for n in names if n.lower() in territories), None)


def territory_name(code: str, language: str) -> str | None:
    try:
        return Locale.parse(language).territories.get(code)
    except (UnknownLocaleError, ValueError) as error:
        raise ValueError(f"'{language}' is not a language CLDR knows ({error})") from None


def country_aliases(names: tuple[str, ...], languages: tuple[str, ...]) -> tuple[str, ...]:
    """The CLDR names of the country `names` name, in `languages`, that `names` lacks."""
    code = territory_code(names)
    if code is None:
        return ()
    have = {n.rstrip("*").lower() for n in names}
    stems = {n[:-1].lower() for n in names if n.endswith("*")}
    added = []
    for language in languages:
        name = territory_name(code, language)
        if not name:
            continue
        key = name.lower()
        stem = language in SUFFIXING and " " not in name and not any(
            known.startswith(key) for known in have if known != key)  # Белорус* would match Белоруссия: a word
        if stem and key not in stems:  # a name written as a word elsewhere (Кыргызстан) gains its endings here
            stems.add(key)
            have.add(key)
            added.append(f"{name}*")
        elif not stem and key not in have:
            have.add(key)
            added.append(name)
    return tuple(added)
