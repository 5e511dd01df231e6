"""Any Hugging Face model as a stance backend, and the per-language rule, proven on tiny randomly
initialised models saved to disk with the MiniLM package's own tokenizer (nothing downloaded)."""

import asyncio

import pytest
import torch
from scrapy.utils.test import get_crawler
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from crawler.config import ConfigError, load_stance_models
from crawler.items import ArticleItem
from pipelines.stance import StancePipeline
from stance import LABELS, Mention
from stance.backends import SequenceClassifierStance, ZeroShotStance
from stance.features import default_encoder_path
from stance.registry import StanceModels

SENTENCE = "Tokayev praised the summit, while critics said Putin had lost the trust of his allies."
MENTIONS = [
    Mention(SENTENCE, 0, 7, "Tokayev"),
    Mention(SENTENCE, 47, 52, "Putin"),
    Mention("Putin spoke.", 0, 5, "Putin"),
    Mention("A much longer sentence about the alliance, in which " * 3 + "Pashinyan appears at the end.", 156, 165, "Pashinyan"),
]


def tiny_model(folder, labels: dict[int, str], seed: int):
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(default_encoder_path())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=512, num_labels=len(labels), initializer_range=0.5,
                        id2label=labels, label2id={v: k for k, v in labels.items()})
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("classifier"), {0: "against", 1: "none", 2: "favor"}, seed=1)


@pytest.fixture(scope="module")
def nli_dir(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("nli"), {0: "contradiction", 1: "neutral", 2: "entailment"}, seed=2)


def probabilities(judgements):
    return [j.probabilities[label] for j in judgements for label in LABELS]


def close(judgements, tolerance=1e-5):
    """Probabilities to compare with: padding in a batch moves float sums by up to 3e-7 (enough
    to flip a rounded fourth digit), so equal means within 1e-5; `!= close(j, 1e-4)` means apart."""
    return pytest.approx(probabilities(judgements), abs=tolerance)


def test_a_classifier_maps_its_labels_and_batches_without_mixing_up_mentions(classifier_dir):
    model = SequenceClassifierStance(classifier_dir, {"against": "critical", "none": "neutral", "favor": "supportive"})
    batched = model.predict(MENTIONS, batch_size=3)
    one_by_one = [model.predict([m], batch_size=1)[0] for m in MENTIONS]
    assert probabilities(batched) == close(one_by_one)
    assert [j.mention for j in batched] == MENTIONS
    for judgement in batched:
        assert abs(sum(judgement.probabilities.values()) - 1) < 1e-5
        assert judgement.label == max(judgement.probabilities, key=judgement.probabilities.get)
    # the same sentence judged for two targets: the pair input makes them differ
    assert probabilities(batched[:1]) != close(batched[1:2], 1e-4)
    swapped = SequenceClassifierStance(classifier_dir, {"against": "supportive", "none": "neutral", "favor": "critical"})
    for ours, theirs in zip(batched, swapped.predict(MENTIONS)):
        assert ours.probabilities["critical"] == pytest.approx(theirs.probabilities["supportive"], abs=1e-6)


def test_a_label_mapping_that_does_not_fit_the_model_is_refused_in_one_line(classifier_dir):
    with pytest.raises(ValueError, match="has no label 'LABEL_0'.*against, none, favor"):
        SequenceClassifierStance(classifier_dir, {"LABEL_0": "critical", "LABEL_1": "neutral", "LABEL_2": "supportive"})
    with pytest.raises(ValueError, match="must map onto critical, neutral, supportive"):
        SequenceClassifierStance(classifier_dir, {"against": "critical", "none": "neutral"})


def test_a_zero_shot_model_scores_one_hypothesis_per_label_naming_the_actor(nli_dir):
    model = ZeroShotStance(nli_dir)
    batched = model.predict(MENTIONS, batch_size=5)
    assert probabilities(batched) == close([model.predict([m])[0] for m in MENTIONS])
    assert all(abs(sum(j.probabilities.values()) - 1) < 1e-5 for j in batched)
    russian = ZeroShotStance(nli_dir, templates={"critical": "Текст критикует {actor}.", "neutral": "Текст о {actor}.",
                                                 "supportive": "Текст поддерживает {actor}."})
    assert probabilities(russian.predict(MENTIONS[:1])) != close(batched[:1], 1e-4)
    with pytest.raises(ValueError, match="entailment"):
        ZeroShotStance(nli_dir, entailment_label="ENTAILS")


def write_stance_file(path, classifier_dir, nli_dir):
    path.write_text(f"""
models:
  - name: tiny-classifier
    backend: classifier
    model: {classifier_dir}
    languages: [ru]
    labels: {{against: critical, none: neutral, favor: supportive}}
  - name: tiny-nli
    backend: zero-shot
    model: {nli_dir}
    languages: [uk, ru]
""")
    return path


def test_each_language_goes_to_the_first_model_configured_for_it(tmp_path, classifier_dir, nli_dir):
    models = StanceModels.from_specs(load_stance_models(write_stance_file(tmp_path / "stance.yml", classifier_dir, nli_dir)))
    assert models.loaded == {} and models.covers("uk") and not models.covers("en")  # nothing loaded to tell
    assert models.for_language("ru").name == "tiny-classifier"
    assert list(models.loaded) == [0]  # a model loads when its first article comes, not before
    assert models.for_language("uk").name == "tiny-nli"
    assert models.for_language("en") is None and models.for_language("hy") is None


def article(language: str) -> ArticleItem:
    item = ArticleItem(url=f"http://x/{language}", outlet="X", language=language)
    item.mentions = {"Putin": [MENTIONS[1], MENTIONS[2]], "Tokayev": [MENTIONS[0]]}
    return item


def test_the_pipeline_judges_only_languages_a_model_covers(tmp_path, classifier_dir, nli_dir):
    crawler = get_crawler(settings_dict={"STANCE_FILE": str(write_stance_file(tmp_path / "stance.yml", classifier_dir, nli_dir))})
    pipeline = StancePipeline.from_crawler(crawler)
    pipeline.open_spider()
    russian = asyncio.run(pipeline.process_item(article("ru")))
    assert {s["model"] for s in russian.stances} == {"tiny-classifier"}
    assert {s["actor"]: s["mentions"] for s in russian.stances} == {"Putin": 2, "Tokayev": 1}
    assert all(s["label"] in LABELS and -1 <= s["score"] <= 1 for s in russian.stances)
    english = asyncio.run(pipeline.process_item(article("en")))
    assert {s["model"] for s in english.stances} == {"none:en"}
    assert all(s["label"] is None and s["score"] is None for s in english.stances)
    assert crawler.stats.get_value("stance/skipped_language") == 1


@pytest.mark.parametrize("text, message", [
    ("models:\n  - backend: magic\n    languages: [en]\n", "unknown backend 'magic'"),
    ("models:\n  - backend: zero-shot\n    languages: [ru]\n", "missing 'model'"),
    ("models:\n  - backend: classifier\n    model: x\n    languages: [en]\n", "missing 'labels'"),
    ("models:\n  - backend: default\n", "missing 'languages'"),
    ("models:\n  - backend: default\n    languages: [en]\n    colour: red\n", "unknown key 'colour'"),
])
def test_a_bad_stance_file_is_named_in_one_line(tmp_path, text, message):
    path = tmp_path / "stance.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as error:
        load_stance_models(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_stance_eval_measures_any_configured_model(tmp_path, classifier_dir, nli_dir):
    import json

    from tests.conftest import csto_monitor

    data = tmp_path / "sentences.jsonl"
    records = [
        {"sentence_normalized": "Putin praised the treaty.", "targets": [{"from": 0, "to": 5, "polarity": 6}]},
        {"sentence_normalized": "Critics said Tokayev failed.", "targets": [{"from": 13, "to": 20, "polarity": 2}]},
        {"sentence_normalized": "Pashinyan spoke on Monday.", "targets": [{"from": 0, "to": 9, "polarity": 4}]},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    stance_file = write_stance_file(tmp_path / "stance.yml", classifier_dir, nli_dir)
    result = csto_monitor("stance", "eval", str(data), "--stance-file", str(stance_file), "--language", "uk")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "tiny-nli" in result.stdout
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    assert scores["n"] == 3 and set(scores["f1"]) == set(LABELS) and 0 <= scores["macro_f1"] <= 1
    missing = csto_monitor("stance", "eval", str(data), "--stance-file", str(stance_file), "--language", "hy")
    assert missing.returncode == 4 and "no model is configured for language 'hy'" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
