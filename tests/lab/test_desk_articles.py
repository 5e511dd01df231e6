"""The article judgement on the desk's own kind of coverage (lab/data/desk_articles.yml, written in
the style of CSTO coverage and read by a careful reader; only measured, never tuned on): a floor on
critical recall and macro-F1, and label, score and confidence that are one judgement."""

import json
from pathlib import Path

import pytest

from crawler.config import DEFAULT_ACTORS_FILE, DEFAULT_STANCE_FILE, load_actors, load_stance_models
from lab.desk_articles import DESK_ARTICLES, DESK_TUNING, desk_scores, judge_desk_articles, read_desk_articles
from pipelines.actors import ActorFinder
from stance.registry import StanceModels

FLOORS = json.loads((Path(__file__).parents[1] / "eval_floors.json").read_text())


@pytest.fixture(scope="module")
def judged():
    models = StanceModels.from_specs(load_stance_models(DEFAULT_STANCE_FILE))
    finder = ActorFinder(load_actors(DEFAULT_ACTORS_FILE).actors)
    return judge_desk_articles(read_desk_articles(DESK_ARTICLES), finder, models.for_language)


def test_the_sets_are_big_enough_and_apart():
    measured, tuning = read_desk_articles(DESK_ARTICLES), read_desk_articles(DESK_TUNING)
    assert len(measured) >= 40 and {a.language for a in measured} == {"en", "ru"}
    assert all(2 <= len(a.actors) <= 4 for a in measured)
    labels = [label for a in measured for label in a.actors.values()]
    assert min(labels.count(label) for label in ("critical", "neutral", "supportive")) >= 10
    assert not {a.text for a in measured} & {a.text for a in tuning}  # nothing measured was tuned on


def test_a_clearly_critical_article_is_critical_on_the_desks_coverage(judged):
    """Shipped: critical recall 0.83 (EN 0.79, RU 0.89), macro-F1 0.73 (the judgement before the
    combination learned the desk's articles: critical recall 0.61, EN 0.43; macro-F1 0.63; before
    the English encoder was taught the role sentences: 0.91, EN 0.93, macro-F1 0.72). The aim: 0.8."""
    result = desk_scores(judged)
    assert result["found"] == result["n"] == 118
    assert result["critical_recall"] >= FLOORS["desk_critical_recall"], result
    assert result["macro_f1"] >= FLOORS["desk_macro_f1"], result
    for language in ("en", "ru"):
        assert desk_scores([j for j in judged if j.language == language])["critical_recall"] >= 0.75, language


def test_label_score_and_confidence_are_one_judgement(judged):
    for j in (j for j in judged if j.judged is not None):
        stance = j.judged
        assert stance.label == max(stance.probabilities, key=stance.probabilities.get)
        assert stance.confidence == stance.probabilities[stance.label]
        assert stance.score == pytest.approx(stance.probabilities["supportive"] - stance.probabilities["critical"], abs=2e-4)
        if stance.label == "critical":
            assert stance.score < 0
        if stance.label == "supportive":
            assert stance.score > 0
    neutral_facts = [abs(j.judged.score) for j in judged if j.gold == j.label == "neutral"]
    assert sum(neutral_facts) / len(neutral_facts) < 0.2  # near 0: neutral facts do not drift the means
