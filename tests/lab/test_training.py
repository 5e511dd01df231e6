"""Training and measuring stance models from the command line (the lab, lab/): fine-tuning writes
adapters that loading merges, the held-out slice picks the epoch, eval prints its figure last."""

import json

import pytest
import torch

from click.testing import CliRunner

from crawler.cli import main
from lab.newsmtsc import read_newsmtsc
from lab.training import evaluate
from stance import load_model
from tests.conftest import csto_monitor, newsmtsc_slice


def test_stance_eval_command_prints_json_as_its_last_line(tmp_path):
    sample = newsmtsc_slice(tmp_path, "devtest_mt.jsonl", 20)
    result = csto_monitor("stance", "eval", str(sample))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no library warning or progress bar a user cannot act on
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(scores) == {"macro_f1", "accuracy", "f1", "n"}
    assert set(scores["f1"]) == {"critical", "neutral", "supportive"}
    mentions, labels = read_newsmtsc(sample)
    assert scores == evaluate(load_model(), mentions, labels)  # the library's figure, as the command prints it
    assert scores["n"] == len(mentions) >= 20


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
    result = CliRunner().invoke(main, ["stance", "train", "--data", str(data), "--out", str(out), "--epochs", "2",
                                       *training_options, *option])  # in this process: no start-up to pay six times
    assert result.exit_code == 0, result.output[-2000:]
    training = json.loads((out / "config.json").read_text())["training"]
    assert training["validation_mentions"] == held_out
    assert training["mentions"] == len(mentions) - held_out
    if held_out:
        assert training["best_epoch"] in (1, 2) and 0 <= training["validation_macro_f1"] <= 1
    else:
        assert training["best_epoch"] == 2 and training["validation_macro_f1"] is None


@pytest.mark.parametrize("line, message", [("not json", "data.jsonl:2: not JSON"),
                                           ('{"sentence_normalized": "x"}', "data.jsonl:2: not a NewsMTSC record")])
def test_a_bad_newsmtsc_line_is_named_by_its_number(tmp_path, line, message):
    path = tmp_path / "data.jsonl"
    path.write_text('{"sentence_normalized": "Putin spoke.", "targets": []}\n' + line + "\n")
    with pytest.raises(ValueError, match=message):
        read_newsmtsc(path)
