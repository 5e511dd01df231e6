"""The product's actor judgements on the five seed articles (real CSTO coverage, ../shared/seeds)
against a careful reader's (seed_stances.yml beside this file), as a crawl makes them: cleaning's
residue removal, every actor of actors.yml, the model, the combination.

    .venv/bin/python lab/benchmarks/seed_articles.py [--model minilm-newsmtsc] [--combination FILE] [--show]
"""

import argparse
from pathlib import Path
import sys

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from crawler.config import DEFAULT_ACTORS_FILE, load_actors  # noqa: E402
from lab.training import scores  # noqa: E402
from pipelines.actors import ActorFinder  # noqa: E402
from pipelines.clean import remove_residue  # noqa: E402
from stance import judge_article, load_model  # noqa: E402
from stance.aggregate import LearnedCombination  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="minilm-newsmtsc")
    parser.add_argument("--combination", type=Path, help="judge with this combination file instead of the model's own")
    parser.add_argument("--rule", action="store_true", help="judge with the fixed rule even where the model has a combination")
    parser.add_argument("--follow-persons", action="store_true")
    parser.add_argument("--seeds", type=Path, default=Path("../shared/seeds"))
    parser.add_argument("--show", action="store_true", help="print every judgement beside the reader's")
    args = parser.parse_args()
    readers = yaml.safe_load((Path(__file__).with_name("seed_stances.yml")).read_text())
    model = load_model(args.model)
    if args.combination:
        model.combination = LearnedCombination.from_file(args.combination)
    if args.rule:
        model.combination = None
    finder = ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors, follow_persons=args.follow_persons)
    gold, predicted = [], []
    for name, labels in readers.items():
        lines = (args.seeds / name).read_text(encoding="utf-8").splitlines()
        title, text = lines[0], remove_residue("\n".join(lines[1:]))
        stances = judge_article(model, finder.find(title, text), headline=title)
        for actor, label in labels.items():
            judged = stances[actor].label if actor in stances else "neutral"
            gold.append(label)
            predicted.append(judged)
            if args.show and judged != label:
                print(f"{name[:3]} {actor:<11} reader {label:<10} product {judged}")
    print(scores(gold, predicted) | {"agreement": f"{sum(g == p for g, p in zip(gold, predicted))} of {len(gold)}"})


if __name__ == "__main__":
    main()
