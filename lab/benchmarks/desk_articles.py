"""The product's actor judgements on the desk's own kind of coverage (lab/data/desk_articles.yml:
short articles written in the style of CSTO coverage, read by a careful reader) as a crawl makes
them: actors.yml's finder, stance.yml's model per language, the article judgement.

    .venv/bin/python lab/benchmarks/desk_articles.py [--file lab/data/desk_tuning.yml] [--show]
"""

import argparse
import json
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from crawler.config import DEFAULT_ACTORS_FILE, DEFAULT_STANCE_FILE, load_actors, load_stance_models  # noqa: E402
from lab.desk_articles import DESK_ARTICLES, desk_scores, judge_desk_articles, read_desk_articles  # noqa: E402
from pipelines.actors import ActorFinder  # noqa: E402
from stance.quiet import quiet_loading  # noqa: E402
from stance.registry import StanceModels  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DESK_ARTICLES)
    parser.add_argument("--stance-file", type=Path, default=DEFAULT_STANCE_FILE)
    parser.add_argument("--show", action="store_true", help="print every judgement the reader disagrees with")
    args = parser.parse_args()
    with quiet_loading():
        models = StanceModels.from_specs(load_stance_models(args.stance_file))
    finder = ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors)
    judged = judge_desk_articles(read_desk_articles(args.file), finder, models.for_language)
    if args.show:
        for j in judged:
            if j.label != j.gold:
                score = f"{j.judged.score:+.2f} ({j.judged.confidence:.2f})" if j.judged else "not found"
                print(f"{j.article:>2} {j.language} {j.actor:<11} reader {j.gold:<10} product {j.label:<10} {score}")
    for language in sorted({j.language for j in judged}):
        print(language, json.dumps(desk_scores([j for j in judged if j.language == language])))
    print("all", json.dumps(desk_scores(judged)))


if __name__ == "__main__":
    main()
