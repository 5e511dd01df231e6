"""A teacher's lessons: mentions made from the labelled sentences, judged by a model, and a
student fine-tuned towards those judgements (lab/augment.py, lab/distil.py)."""

import json
import random

import pytest
import torch

from lab.augment import NearWords, other_names, swap_words
from lab.distil import Lesson, lessons, read_taught, soft_targets, split_by_sentence, teach, Taught
from stance.features import CONTEXT_TOKENS, pooling_masks
from stance.labels import LABELS, Mention
from stance.model import load_model
from lab.newsmtsc import read_newsmtsc
from lab.training import balanced_loss, balanced_soft_loss
from tests.conftest import csto_monitor
from tests.conftest import newsmtsc_slice


def near_words() -> NearWords:
    """A vocabulary whose embeddings put 'praised' beside 'lauded' and 'criticized', 'praising'
    beside 'lauding', and 'table' far from all."""
    vocabulary = {"praised": 0, "lauded": 1, "criticized": 2, "table": 3, "praising": 4, "lauding": 5, "##ed": 6}
    embeddings = torch.tensor([[1.0, 0.1, 0], [1.0, 0.2, 0], [0.9, 0.0, 0], [0, 0, 1.0], [1.0, 0.1, 0.05],
                               [1.0, 0.15, 0.05], [1.0, 0.1, 0]])
    return NearWords(vocabulary, embeddings)


def test_near_words_are_whole_words_with_the_same_ending():
    near = near_words()
    assert set(near("praised")) == {"lauded", "criticized"}  # not "praising", "##ed" or "table"
    assert near("praising") == ["lauding"]
    assert near("unknown") == []


def test_swapped_words_stay_outside_the_targets_and_the_spans_follow_the_text():
    sentence = "Putin praised Tokayev, and the crowd praised Pashinyan."  # "crowd" has no near words here
    spans = [(0, 5), (14, 21), (45, 54)]
    rng = random.Random(3)
    seen = set()
    for _ in range(80):
        text, moved = swap_words(sentence, spans, near_words(), rng, probability=0.5)
        assert [text[a:b] for a, b in moved] == ["Putin", "Tokayev", "Pashinyan"]
        assert " the " in text and " and " in text  # grammar words are never swapped
        seen.add(text)
    verbs = ("praised", "lauded", "criticized")
    assert seen == {f"Putin {a} Tokayev, and the crowd {b} Pashinyan." for a in verbs for b in verbs}


def test_other_names_leave_out_the_targets_and_a_capital_that_only_starts_the_sentence():
    sentence = "Critics said Putin met Kassym-Jomart Tokayev and the European Union in May."
    assert other_names(sentence, [(13, 18)]) == [(23, 44), (53, 67)]
    assert other_names("The Kremlin denied it.", []) == [(4, 11)]
    assert other_names(sentence, [(13, 18)], limit=1) == [(23, 44)]


def test_lessons_keep_the_gold_labels_and_number_each_sentence():
    first, second = "Putin praised Tokayev.", "Lukashenko mocked the treaty."
    mentions = [Mention(first, 0, 5), Mention(first, 14, 21), Mention(second, 0, 10)]
    labels = ["supportive", "neutral", "critical"]
    made = lessons(mentions, labels, near_words(), variants=3)
    assert [(l.mention, l.gold) for l in made if l.gold] == list(zip(mentions, labels))
    assert {l.group for l in made if "Tokayev" in l.mention.sentence} == {0}
    assert {l.group for l in made if "treaty" in l.mention.sentence} == {1}
    assert all(l.mention.surface in {"Putin", "Tokayev", "Lukashenko"} for l in made)
    assert any(l.mention.sentence == "Putin lauded Tokayev." for l in made)  # a variant, judged by the teacher alone


def test_teach_writes_the_teachers_probabilities_and_goes_on_after_a_stop(tmp_path):
    sentence = "Putin praised Tokayev, who thanked him."
    todo = [Lesson(Mention(sentence, 0, 5), 0, "supportive"), Lesson(Mention(sentence, 14, 21), 0),
            Lesson(Mention("Lukashenko lied.", 0, 10), 1, "critical")]
    out = tmp_path / "taught.jsonl"
    model = load_model()
    first = {"sentence": sentence, "from": 0, "to": 5, "group": 0, "gold": "supportive", "teacher": [0.1, 0.2, 0.7]}
    (tmp_path / "taught.jsonl.part").write_text(json.dumps(first) + '\n{"sentence": "Putin pr')  # stopped mid-line
    assert teach(model, todo, out) == 3
    assert not (tmp_path / "taught.jsonl.part").exists()
    taught = read_taught(out)
    assert taught[0].teacher == (0.1, 0.2, 0.7)  # kept, not judged again
    assert [t.mention for t in taught] == [l.mention for l in todo] and [t.gold for t in taught] == ["supportive", None, "critical"]
    expected = model.predict([l.mention for l in todo[1:]])
    for item, judged in zip(taught[1:], expected):
        assert sum(item.teacher) == pytest.approx(1, abs=1e-4)
        assert item.teacher == pytest.approx([judged.probabilities[label] for label in LABELS], abs=1e-4)


def test_a_file_that_is_not_a_teachers_is_refused_with_its_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"sentence": "A", "from": 0, "to": 1, "group": 0, "gold": null, "teacher": [0.5, 0.5]}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:1: not a line of `csto-monitor stance teach`"):
        read_taught(bad)


def test_held_out_sentences_keep_all_their_variants_out_of_training():
    taught = [Taught(Mention(f"Sentence {g} v{v}", 0, 8), g, "neutral" if v == 0 else None, (0.2, 0.6, 0.2))
              for g in range(20) for v in range(4)]
    validation, training = split_by_sentence(taught, 0.25)
    held = {t.group for t in validation}
    assert len(held) == 5 and all(t.gold for t in validation)
    assert not held & {t.group for t in training} and len(training) == 15 * 4


def test_soft_targets_mix_the_gold_label_in_and_the_soft_loss_matches_the_plain_one_on_gold_alone():
    taught = [Taught(Mention("A", 0, 1), 0, "critical", (0.2, 0.6, 0.2)), Taught(Mention("B", 0, 1), 1, None, (0.1, 0.1, 0.8))]
    assert torch.allclose(soft_targets(taught, 0.5), torch.tensor([[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]))
    gold = torch.tensor([0, 0, 1, 2, 2, 2])
    logits = torch.randn(6, 3)
    one_hot = torch.nn.functional.one_hot(gold, 3).float()
    assert balanced_soft_loss(one_hot)(logits, one_hot).item() == pytest.approx(balanced_loss(gold)(logits, gold).item(), rel=1e-5)


def test_pooling_masks_mark_the_window_the_mention_and_its_context():
    tokens = 30  # [CLS] 27 words [SEP] and one padding token; word i covers characters 2i..2i+1
    attention = torch.ones(2, tokens, dtype=torch.bool)
    attention[:, -1] = False
    offsets = torch.zeros(2, tokens, 2, dtype=torch.long)
    for i in range(27):
        offsets[:, i + 1] = torch.tensor([2 * i, 2 * i + 1])
    windows = [Mention("x" * 60, 20, 23), Mention("x" * 60, 500, 505)]  # words 10-11; a mention cut off
    masks = pooling_masks(attention, offsets, windows)
    whole, target, left, right = masks[0]
    assert whole.sum() == 27 and whole[0] == 0 and whole[28] == 0
    assert target.nonzero().flatten().tolist() == [11, 12]
    assert left.nonzero().flatten().tolist() == list(range(11 - CONTEXT_TOKENS, 11))
    assert right.nonzero().flatten().tolist() == list(range(13, 13 + CONTEXT_TOKENS))
    assert masks[1][1].nonzero().flatten().tolist() == [27] and masks[1][3].sum() == 0  # the last word, nothing right


def test_stance_teach_then_train_learns_from_the_teacher(tmp_path):
    data = newsmtsc_slice(tmp_path, "train.jsonl", 12)
    taught = tmp_path / "taught.jsonl"
    result = csto_monitor("stance", "teach", "--data", str(data), "--model", "minilm-newsmtsc", "--variants", "1",
                          "--precision", "fp32", "--out", str(taught))
    assert result.returncode == 0, result.stderr[-2000:]
    mentions, _ = read_newsmtsc(data)
    lines = read_taught(taught)
    assert sum(1 for t in lines if t.gold) == len(mentions) < len(lines)
    out = tmp_path / "student"
    result = csto_monitor("stance", "train", "--data", str(data), "--fine-tune", "--teacher-labels", str(taught),
                          "--rank", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    training = json.loads((out / "config.json").read_text())["training"]
    assert training["teacher"] == {"gold_weight": 0.5, "file": "taught.jsonl"} and training["mentions"] > len(mentions)
    assert (training["epochs"], training["batch_size"], training["learning_rate"]) == (2, 256, 2e-3)  # the taught recipe
    assert training["validation_mentions"] >= 1
    student, plain = load_model(out), load_model()
    assert not torch.equal(student.encoder.model.encoder.layer[0].attention.self.query.weight,
                           plain.encoder.model.encoder.layer[0].attention.self.query.weight)  # adapters kept and merged


def test_teacher_labels_from_other_data_or_without_fine_tuning_are_refused(tmp_path):
    data = newsmtsc_slice(tmp_path, "train.jsonl", 12)
    other = newsmtsc_slice(tmp_path, "devtest_mt.jsonl", 3)
    taught = tmp_path / "taught.jsonl"
    sentence = "Putin praised Tokayev."
    taught.write_text(json.dumps({"sentence": sentence, "from": 0, "to": 5, "group": 0, "gold": "supportive",
                                  "teacher": [0.1, 0.2, 0.7]}) + "\n")
    result = csto_monitor("stance", "train", "--data", str(other), "--fine-tune", "--teacher-labels", str(taught),
                          "--out", str(tmp_path / "m"))
    assert result.returncode == 1 and "make it from this data with `csto-monitor stance teach" in result.stderr
    result = csto_monitor("stance", "train", "--data", str(data), "--teacher-labels", str(taught), "--out", str(tmp_path / "m"))
    assert result.returncode == 4 and "add --fine-tune" in result.stderr
