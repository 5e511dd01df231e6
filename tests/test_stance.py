"""The stance model: the combination rule on clear cases, and the shipped default model for real."""

import json
from pathlib import Path

import pytest
import torch

from stance import Mention, MentionStance, combine_mentions, load_model
from stance.features import mark_target
from stance.newsmtsc import read_newsmtsc
from tests.conftest import csto_monitor, shared_file

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
    assert result.mentions == 3
    assert result.evidence[0] == "Putin lied."


def test_mixed_mentions_that_cancel_out_are_neutral():
    result = combine_mentions([judged("A praised.", 0.05, 0.05, 0.9), judged("A blamed.", 0.9, 0.05, 0.05)])
    assert result.label == "neutral" and abs(result.score) < 0.2


def test_evidence_has_no_repeated_sentence():
    sentence = "Tokayev and Tokayev's team were praised."
    result = combine_mentions([judged(sentence, 0.05, 0.1, 0.85), judged(sentence, 0.05, 0.1, 0.85)])
    assert result.evidence == [sentence]


@pytest.fixture(scope="module")
def model():
    return load_model()


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
                start = sentence.index(name)
                mentions.append(Mention(sentence, start, start + len(name)))
                gold.append(stance)
    judged_labels = [j.label for j in model.predict(mentions)]
    return sum(label == expected for label, expected in zip(judged_labels, gold)), len(gold)


def test_default_model_is_target_dependent(model):
    """One sentence, two actors, opposite stances, judged right at least 54 times in 64 (the model
    before the target marker and rank 16 got 43, the one trained on the labels alone 53, the
    shipped one, taught by the larger model, 58)."""
    right, total = contrasts_judged_right(model)
    assert total == 64 and right >= 54, right


def test_default_model_meets_its_floor_on_newsmtsc_multi_target(default_model_on_devtest):
    result = default_model_on_devtest["scores"]
    assert result["n"] == 1476
    assert result["macro_f1"] >= FLOORS["stance_macro_f1_newsmtsc_devtest_mt"], result


def test_the_larger_english_model_is_target_dependent_and_meets_its_floor(larger_model_on_devtest):
    """stance/models/mpnet-newsmtsc over all-mpnet-base-v2 unpacked from its packages (56 of 64
    contrasts and 0.837 when shipped)."""
    right, total = contrasts_judged_right(larger_model_on_devtest["model"])
    assert total == 64 and right >= 52, right
    result = larger_model_on_devtest["scores"]
    assert result["n"] == 1476
    assert result["macro_f1"] >= FLOORS["stance_macro_f1_newsmtsc_devtest_mt_mpnet"], result


def newsmtsc_slice(tmp_path, name: str, lines: int):
    """The first `lines` lines of a NewsMTSC file from ../shared/data, written to tmp_path."""
    text = shared_file("data", "newsmtsc", name).read_text(encoding="utf-8")
    sample = tmp_path / f"slice-{name}"
    sample.write_text("".join(text.splitlines(keepends=True)[:lines]), encoding="utf-8")
    return sample


def test_stance_eval_command_prints_json_as_its_last_line(tmp_path):
    sample = newsmtsc_slice(tmp_path, "devtest_mt.jsonl", 20)
    result = csto_monitor("stance", "eval", str(sample))
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(scores) == {"macro_f1", "accuracy", "f1", "n"}
    assert set(scores["f1"]) == {"critical", "neutral", "supportive"}
    assert scores["n"] >= 20 and 0 <= scores["macro_f1"] <= 1


def test_fine_tuning_trains_adapters_on_cpu_and_reloads_them(tmp_path):
    """`stance train --fine-tune` on a slice of NewsMTSC: only small adapters are written beside
    the head, and loading merges them into the packaged encoder, which then judges differently."""
    data = newsmtsc_slice(tmp_path, "train.jsonl", 40)
    out = tmp_path / "model"
    result = csto_monitor("stance", "train", "--data", str(data), "--out", str(out), "--fine-tune", "--epochs", "1",
                          "--rank", "4", "--target-marker", "@")
    assert result.returncode == 0, result.stderr[-2000:]
    assert {p.name for p in out.iterdir()} == {"config.json", "head.safetensors", "adapter.safetensors"}
    assert (out / "adapter.safetensors").stat().st_size < 3_000_000
    mentions, _ = read_newsmtsc(data)
    plain, tuned = load_model(), load_model(out)
    plain_probabilities = [j.probabilities for j in plain.predict(mentions[:8])]
    tuned_probabilities = [j.probabilities for j in tuned.predict(mentions[:8])]
    assert plain_probabilities != tuned_probabilities
    tuned_query = tuned.encoder.model.encoder.layer[0].attention.self.query.weight
    plain_query = plain.encoder.model.encoder.layer[0].attention.self.query.weight
    assert not torch.equal(tuned_query, plain_query)  # the adapters were merged into the encoder
    assert tuned.config["adapter"]["rank"] == 4 and tuned.encoder.target_marker == "@"


@pytest.mark.parametrize("training_options", [["--fine-tune", "--rank", "2"], []], ids=["fine-tune", "head"])
@pytest.mark.parametrize("fraction, held_out", [(None, 1), ("0.25", 4), ("0", 0)])
def test_training_holds_out_mentions_only_when_asked(tmp_path, training_options, fraction, held_out):
    """A tenth of the mentions (at least one) is held out to pick the epoch by default, or the
    fraction asked for; with 0 every mention trains and the last epoch is kept."""
    data = newsmtsc_slice(tmp_path, "train.jsonl", 12)
    mentions, _ = read_newsmtsc(data)
    out = tmp_path / "model"
    option = ["--validation-fraction", fraction] if fraction else []
    result = csto_monitor("stance", "train", "--data", str(data), "--out", str(out), "--epochs", "2",
                          *training_options, *option)
    assert result.returncode == 0, result.stderr[-2000:]
    training = json.loads((out / "config.json").read_text())["training"]
    assert training["validation_mentions"] == held_out
    assert training["mentions"] == len(mentions) - held_out
    if held_out:
        assert training["best_epoch"] in (1, 2) and 0 <= training["validation_macro_f1"] <= 1
    else:
        assert training["best_epoch"] == 2 and training["validation_macro_f1"] is None


def test_a_marked_target_keeps_its_span_and_the_rest_of_the_sentence():
    sentence = "Tokayev praised Putin, who thanked him."
    marked = mark_target(Mention(sentence, 16, 21), "@")
    assert marked.sentence == "Tokayev praised @ Putin @, who thanked him."
    assert marked.sentence[marked.start : marked.end] == "Putin"
    assert mark_target(Mention(sentence, 0, 7), "@").sentence == "@ Tokayev @ praised Putin, who thanked him."
