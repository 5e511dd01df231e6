"""Sample outlets with a history: articles published day after day, written for the tests from a
word list (each text its own, so none is taken for a copy of another)."""

from datetime import date, timedelta
import random

import yaml

WORDS = ("delegation summit border treaty alliance security ministers talks troops exercise agreement "
         "capital region observers parliament budget defence council reform trade pipeline railway "
         "customs election inspectors envoy mission garrison airfield corridor sanctions grain energy "
         "convoy patrol negotiators statement protocol partners neighbours veterans students farmers").split()


def sentence(rng: random.Random, words: int = 14) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def article(slug: str, day: date, rng: random.Random, author: str = "Staff") -> dict:
    lead = f"The CSTO {sentence(rng)[0].lower()}{sentence(rng)[1:]} {sentence(rng)} {sentence(rng)}"
    return {
        "slug": slug,
        "title": f"CSTO {' '.join(rng.choice(WORDS) for _ in range(5))}",
        "author": author,
        "published": day.isoformat(),
        "paragraphs": [lead, *(" ".join(sentence(rng) for _ in range(4)) for _ in range(3))],
    }


def articles(prefix: str, day: date, count: int, rng: random.Random) -> list[dict]:
    return [article(f"news/{prefix}-{day.isoformat()}-{n}", day, rng) for n in range(count)]


def history(prefix: str, per_day: int, first: date, last: date, seed: int) -> list[dict]:
    """`per_day` articles on each day from `first` to `last`."""
    rng = random.Random(seed)
    found, day = [], first
    while day <= last:
        found += articles(prefix, day, per_day, rng)
        day += timedelta(days=1)
    return found


def write_outlet(folder, name: str, items: list[dict], template: str = "wordpress.html") -> None:
    spec = {"name": name, "country": "KZ", "language": "en", "template": template, "discovery": "rss", "articles": items}
    (folder / f"{name.lower().replace(' ', '-')}.yml").write_text(yaml.safe_dump(spec, allow_unicode=True))
