"""Post a reader's reviews (benchmarks/demo_reviews.yml) to a running dashboard as a reviewer
would: sign in at /-/login, then send each article page's review form (with its CSRF token).

    .venv/bin/csto-monitor demo --db data/monitor.db            # in one terminal (serves on :8001)
    echo "$PASSWORD" | .venv/bin/csto-monitor reviewers add reader --db data/monitor.db --password-stdin
    echo "$PASSWORD" | .venv/bin/python benchmarks/demo_reviews.py --db data/monitor.db --name reader
    .venv/bin/csto-monitor stance eval --reviews --db data/monitor.db

The articles are found by outlet and text hash: the generated year changes with the day the demo
is written for, so on another day fewer of them are found (the count is printed).
"""

import argparse
from pathlib import Path
import re
import sqlite3
import sys

import httpx
import yaml

REVIEWS = Path(__file__).with_name("demo_reviews.yml")


def token(client: httpx.Client) -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', client.get("/-/login").text).group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--base", default="http://127.0.0.1:8001")
    parser.add_argument("--name", required=True, help="the reviewer; the password is read from standard input")
    parser.add_argument("--file", type=Path, default=REVIEWS)
    args = parser.parse_args()
    password = sys.stdin.readline().rstrip("\n")
    client = httpx.Client(base_url=args.base, timeout=60)
    signed = client.post("/-/login", data={"username": args.name, "password": password, "csrftoken": token(client)})
    if signed.status_code != 302:
        sys.exit(f"sign-in refused ({signed.status_code}): check the name and password")
    db = sqlite3.connect(args.db)
    posted = missing = 0
    for entry in yaml.safe_load(args.file.read_text(encoding="utf-8")):
        row = db.execute("select a.id from articles a join outlets o on o.id = a.outlet_id where o.name = ? and a.text_hash = ?",
                         [entry["outlet"], entry["text_hash"]]).fetchone()
        if row is None:
            missing += len(entry["actors"])
            continue
        for actor, label in entry["actors"].items():
            answer = client.post("/-/review", data={"article_id": row[0], "actor": actor, "label": label,
                                                    "csrftoken": token(client)})
            if answer.status_code != 302:
                sys.exit(f"review of {actor} in article {row[0]} refused ({answer.status_code}): {answer.text[:200]}")
            posted += 1
    print(f"{posted} reviews posted; {missing} not posted (their article is not in {args.db})")


if __name__ == "__main__":
    main()
