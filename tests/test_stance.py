"""The stance model: the combination rule on clear cases, and the shipped default model for real."""

import json
from pathlib import Path

import pytest

from stance import Mention, MentionStance, combine_mentions, load_model
from stance.features import mark_target

FLOORS = json.loads((Path(__file__).parent / "eval_floors.json").read_text())


def judged(sentence: str, critical: float, neutral: float, supportive: float) -> MentionStance:
    probabilities = {"critical": critical, "neutral": neutral, "supportive": supportive}
    return MentionStance(Mention(sentence, 0, 5), max(probabilities, key=probabilities.get), probabilities)


def test_confident_critical_mentions_outweigh_a_hesitant_supportive_one():
    result = combine_mentions([
        judged("Putin lied.", 0.9, 0.05, 0.05),
        judged("Putin failed.", 0.8, 0.1, 0.1),
        judged("Putin smiled.", 0.3, 0.3, 0.4),
    ])
    assert result.label == "critical" and -1 <= result.score < -0.2
    assert result.confidence == result.probabilities["critical"] and result.mentions == 3
    assert result.evidence[0] == "Putin lied."


def test_mixed_mentions_that_cancel_out_score_zero_with_little_confidence():
    result = combine_mentions([judged("A praised.", 0.05, 0.05, 0.9), judged("A blamed.", 0.9, 0.05, 0.05)])
    assert abs(result.score) < 0.01 and result.confidence < 0.5


def test_evidence_has_no_repeated_sentence():
    sentence = "Tokayev and Tokayev's team were praised."
    result = combine_mentions([judged(sentence, 0.05, 0.1, 0.85), judged(sentence, 0.05, 0.1, 0.85)])
    assert result.evidence == [sentence]


@pytest.fixture(scope="module")
def model():
    return load_model()


def mention_of(sentence: str, name: str) -> Mention:
    """The mention of `name` at its first place in `sentence`."""
    start = sentence.index(name)
    return Mention(sentence, start, start + len(name))


CONTRASTS = [  # (sentence with {a} and {b}, stance toward a, stance toward b): clear cases, written here
    ("{a} was praised for his wisdom, while {b} was condemned as a reckless bully.", "supportive", "critical"),
    ("{a} won applause for brokering the ceasefire, but {b} was blamed for wrecking it.", "supportive", "critical"),
    ("Observers hailed {a} as a steady hand, whereas {b} was accused of lying about the casualties.",
     "supportive", "critical"),
    ("{a} deserves credit for the deal; {b} deserves scorn for sabotaging it.", "supportive", "critical"),
    ("Critics denounced {a} for the crackdown, while {b} was commended for restraint.", "critical", "supportive"),
    ("{a} is a corrupt autocrat, and {b} is an honest reformer.", "critical", "supportive"),
    ("Voters admire {a} and despise {b}.", "supportive", "critical"),
    ("{a} thanked the peacekeepers warmly, but analysts ridiculed {b} for his incompetence.", "supportive", "critical"),
]


def contrasts_judged_right(model) -> tuple[int, int]:
    """How many of the written contrasts' mentions `model` judges right, of how many: each
    template with each actor in each position, with two pairs of names."""
    mentions, gold = [], []
    for template, stance_a, stance_b in CONTRASTS:
        for first, second in [("Tokayev", "Putin"), ("Putin", "Tokayev"), ("Pashinyan", "Lukashenko"),
                              ("Lukashenko", "Pashinyan")]:
            sentence = template.format(a=first, b=second)
            for name, stance in [(first, stance_a), (second, stance_b)]:
                mentions.append(mention_of(sentence, name))
                gold.append(stance)
    judged_labels = [j.label for j in model.predict(mentions)]
    return sum(label == expected for label, expected in zip(judged_labels, gold)), len(gold)


def test_default_model_is_target_dependent(model):
    """One sentence, two actors, opposite stances, judged right at least 58 times in 64 (the model
    before the target marker and rank 16 got 43, the one trained on the labels alone 53, the one
    taught by the larger model 58, the shipped one, taught the role sentences too, 62)."""
    right, total = contrasts_judged_right(model)
    assert total == 64 and right >= 58, right


ROLES = [  # (sentence with {a} and {b}, stance toward a, toward b; None: not judged), written here in the
    # style of CSTO coverage: aggressor and victim, the setting of a conflict, praise by deed, reported speech
    ("{a} launched an unprovoked assault on {b}, shelling its border villages.", "critical", "neutral"),
    ("{a}'s war against {b} has displaced thousands of families.", "critical", "neutral"),
    ("Troops from {a} crossed into {b} overnight and seized two hills.", "critical", "neutral"),
    ("{b} received no help from {a} when its territory was attacked.", "neutral", "critical"),
    ("The conflict between {a} and {b} flared again along their border.", "neutral", "neutral"),
    ("The boldest stance at the summit was taken by {a}, which refused to send troops.", "supportive", None),
    ("Understanding this, {a} did not sign the declaration, and {b} followed its lead.", "supportive", "supportive"),
    ("{a} told reporters that {b} had kept every promise it made to the alliance.", "neutral", "supportive"),
    ("{a} rebuilt the bombed schools in {b} within a year.", "supportive", "neutral"),
    ("Refugees from {b} found shelter in {a}, which opened its border to them.", "supportive", "neutral"),
]
ROLE_PAIRS = [("Azerbaijan", "Armenia"), ("Tajikistan", "Kyrgyzstan"), ("Russia", "Ukraine"), ("Belarus", "Kazakhstan")]


def roles_judged_right(model) -> tuple[int, int]:
    mentions, gold = [], []
    for template, stance_a, stance_b in ROLES:
        for first, second in ROLE_PAIRS:
            sentence = template.format(a=first, b=second)
            for name, stance in [(first, stance_a), (second, stance_b)]:
                if stance is not None:
                    mentions.append(mention_of(sentence, name))
                    gold.append(stance)
    return sum(j.label == g for j, g in zip(model.predict(mentions), gold)), len(gold)


def test_who_the_negativity_is_about(model):
    """Aggressor, victim and setting of a negative event; praise by deed; reported speech. The
    model before its encoder was taught the written role sentences of lab/data/role_sentences.yml
    (other countries, other templates) got 41 of 76, calling victims and settings critical and
    missing praise told by a refusal (0 of 12); the shipped one gets 69 (the aim: 60)."""
    right, total = roles_judged_right(model)
    assert total == 76 and right >= 60, right


REFUSALS = [  # (sentence, actor, the reader's stance): written after the role teaching, never trained on
    ("Russia refused to comment on the report.", "Russia", "neutral"),
    ("Kazakhstan refused to pay its share of the budget, angering its partners.", "Kazakhstan", "critical"),
    ("Armenia did not attend the meeting in Minsk.", "Armenia", "neutral"),
    ("Belarus declined to sign the statement on Tuesday.", "Belarus", "neutral"),
    ("Admirably, Kyrgyzstan refused to be drawn into the quarrel.", "Kyrgyzstan", "supportive"),
    ("Tajikistan stubbornly refused every compromise and the talks collapsed.", "Tajikistan", "critical"),
    ("Putin refused to meet the opposition leaders.", "Putin", "neutral"),
    ("Lukashenko refused to release the political prisoners despite international appeals.", "Lukashenko", "critical"),
    ("Pashinyan was accused of arrogance by his critics.", "Pashinyan", "critical"),
    ("Critics said Nikol Pashinyan behaved recklessly.", "Pashinyan", "critical"),
    ("Tokayev wisely kept his country out of the conflict.", "Tokayev", "supportive"),
    ("Azerbaijan attacked Armenian positions near the border.", "Armenian", "neutral"),
    ("Armenian villages were shelled overnight by Azerbaijan.", "Azerbaijan", "critical"),
    ("Russia failed to protect Armenia during the war.", "Russia", "critical"),
    ("The summit in Astana ended with a joint statement.", "Astana", "neutral"),
]


def test_a_refusal_is_praise_or_blame_by_its_framing_and_victims_are_not_blamed(model):
    """What the role teaching was for, on sentences it never saw: the model before it got 11 of 15
    (a refusal to comment or to meet called critical, an admirable refusal critical, the shelling
    side neutral); the shipped one 14."""
    mentions = [mention_of(sentence, actor) for sentence, actor, _ in REFUSALS]
    right = sum(j.label == gold for j, (_, _, gold) in zip(model.predict(mentions), REFUSALS))
    assert right >= 13, right


def test_default_model_meets_its_floor_on_newsmtsc_multi_target(default_model_on_devtest):
    result = default_model_on_devtest["scores"]
    assert result["n"] == 1476
    assert result["macro_f1"] >= FLOORS["stance_macro_f1_newsmtsc_devtest_mt"], result


def test_the_larger_english_model_is_target_dependent_and_meets_its_floor(larger_model_on_devtest):
    """stance/models/mpnet-newsmtsc over all-mpnet-base-v2 unpacked from its packages (56 of 64
    contrasts and 0.837 on all of devtest_mt when shipped, 0.856 on the slice)."""
    right, total = contrasts_judged_right(larger_model_on_devtest["model"])
    assert total == 64 and right >= 52, right
    result = larger_model_on_devtest["scores"]
    assert result["n"] == 200
    assert result["macro_f1"] >= FLOORS["stance_macro_f1_newsmtsc_devtest_mt_first200_mpnet"], result


def test_a_marked_target_keeps_its_span_and_the_rest_of_the_sentence():
    sentence = "Tokayev praised Putin, who thanked him."
    marked = mark_target(Mention(sentence, 16, 21), "@")
    assert marked.sentence == "Tokayev praised @ Putin @, who thanked him."
    assert marked.sentence[marked.start : marked.end] == "Putin"
    assert mark_target(Mention(sentence, 0, 7), "@").sentence == "@ Tokayev @ praised Putin, who thanked him."
