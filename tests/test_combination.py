"""The article-level judgement: the mentions' mean or a learned combination where a model ships
one, one coherent label / score / confidence, and whether the headline names the actor."""

import json

import pytest

from stance import Mention, MentionStance, combine_mentions, judge_article
from stance.aggregate import FEATURES, LearnedCombination, article_features

HEADLINE = "Tokayev keeps troops home"


def judged(sentence: str, critical: float, neutral: float, supportive: float) -> MentionStance:
    probabilities = {"critical": critical, "neutral": neutral, "supportive": supportive}
    return MentionStance(Mention(sentence, 0, 7), max(probabilities, key=probabilities.get), probabilities)


# a combination written by hand: supportive when the mean score is high, critical when low
BY_MEAN = LearnedCombination(("critical", "neutral", "supportive"),
                             ((-10.0, *[0.0] * 7), (0.0,) * 8, (10.0, *[0.0] * 7)), (0.0, 1.0, 0.0))


def test_features_read_the_headline_the_first_mention_and_the_shares():
    judgements = [judged(HEADLINE, 0.1, 0.2, 0.7), judged("Tokayev spoke.", 0.6, 0.3, 0.1)]
    features = dict(zip(FEATURES, article_features(judgements, HEADLINE)))
    assert features["headline_score"] == pytest.approx(0.6) and features["first_score"] == pytest.approx(0.6)
    assert features["share_critical"] == 0.5 and features["share_supportive"] == 0.5
    assert features["min_score"] == pytest.approx(-0.5) and features["mentions_up_to_20"] == 0.1
    assert dict(zip(FEATURES, article_features(judgements)))["headline_score"] == 0.0


def test_a_learned_combination_gives_label_confidence_score_and_evidence():
    judgements = [judged(HEADLINE, 0.05, 0.15, 0.8), judged("Tokayev acted wisely.", 0.05, 0.05, 0.9)]
    result = combine_mentions(judgements, HEADLINE, BY_MEAN)
    probabilities = BY_MEAN.probabilities(article_features(judgements, HEADLINE))
    assert result.label == "supportive" and result.confidence == pytest.approx(probabilities["supportive"], abs=1e-4)
    assert result.score == pytest.approx(probabilities["supportive"] - probabilities["critical"], abs=1e-4)
    assert result.evidence[0] == "Tokayev acted wisely." and result.headline
    critical = combine_mentions([judged("Tokayev lied.", 0.9, 0.05, 0.05)], HEADLINE, BY_MEAN)
    assert critical.label == "critical" and critical.score < 0 and not critical.headline


def test_a_combination_file_round_trips_and_a_wrong_one_is_one_line(tmp_path):
    path = tmp_path / "combination.json"
    path.write_text(json.dumps(BY_MEAN.to_dict()))
    assert LearnedCombination.from_file(path) == BY_MEAN
    path.write_text(json.dumps({**BY_MEAN.to_dict(), "features": ["mean_score"]}))
    with pytest.raises(ValueError, match="combination.json: not a stance combination"):
        LearnedCombination.from_file(path)


class FixedModel:
    """A stand-in for a model, whose judgements are given: what judge_article does with them."""

    def __init__(self, combination=None):
        self.combination = combination

    def predict(self, mentions, batch_size=64):
        return [judged(m.sentence, 0.1, 0.1, 0.8) if "praised" in m.sentence else judged(m.sentence, 0.8, 0.1, 0.1)
                for m in mentions]


def test_judge_article_uses_the_models_combination_where_it_has_one():
    mentions = {"Tokayev": [Mention(HEADLINE, 0, 7), Mention("Tokayev was praised.", 0, 7)],
                "Putin": [Mention("Putin blamed.", 0, 5)]}
    by_rule = judge_article(FixedModel(), mentions, headline=HEADLINE)
    assert by_rule["Tokayev"].headline and not by_rule["Putin"].headline
    assert by_rule["Putin"].label == "critical"
    learned = judge_article(FixedModel(BY_MEAN), mentions, headline=HEADLINE)
    assert learned["Putin"].confidence == pytest.approx(BY_MEAN.probabilities(
        article_features(FixedModel().predict(mentions["Putin"])))["critical"], abs=1e-4)


def test_a_model_folder_with_a_combination_file_judges_by_it(tmp_path):
    import shutil

    from stance import load_model
    from stance.model import DEFAULT_MODEL_DIR

    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, folder)
    shipped = load_model(folder).combination  # PerSenT's validation and frequent-entity articles, and the desk's
    assert shipped.fitted["files"] == ["dev.csv", "fixed_test.csv", "desk_tuning.yml"]
    assert shipped.fitted["cross_validated"]["folds"] == 5 and shipped.fitted["articles"] > 1300
    (folder / "combination.json").unlink()
    assert load_model(folder).combination is None  # no file: the mentions' mean
    (folder / "combination.json").write_text(json.dumps(BY_MEAN.to_dict()))
    assert load_model(folder).combination == BY_MEAN


def test_label_score_and_confidence_come_from_one_judgement_without_a_combination_too():
    result = combine_mentions([judged("Critics said Tokayev erred.", 0.5, 0.4, 0.1), judged("Tokayev spoke.", 0.2, 0.7, 0.1)])
    assert result.confidence == max(result.probabilities.values()) == result.probabilities[result.label]
    assert result.score == pytest.approx(result.probabilities["supportive"] - result.probabilities["critical"], abs=1e-4)
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
