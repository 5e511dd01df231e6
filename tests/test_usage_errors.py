"""What a new user gets wrong gets one line and the right exit code, and never damages a shipped
model or leaves litter beside a file that is not a database."""

import hashlib
import json
import subprocess

import pytest

from crawler.cli.serve import serve_script
from stance.model import DEFAULT_MODEL_DIR
from tests.conftest import PROJECT, csto_monitor

TINY = [{"sentence_normalized": "Putin praised the treaty.", "targets": [{"from": 0, "to": 5, "polarity": 6}]},
        {"sentence_normalized": "Critics blamed Tokayev.", "targets": [{"from": 15, "to": 22, "polarity": 2}]}]


def write_jsonl(path, records) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def folder_digest(folder) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.iterdir()))).hexdigest()


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    return lines[0]


def test_stance_train_needs_out_and_never_writes_into_a_shipped_model(tmp_path):
    data = write_jsonl(tmp_path / "tiny.jsonl", TINY)
    before = folder_digest(DEFAULT_MODEL_DIR)
    missing = csto_monitor("stance", "train", "--data", data, "--epochs", "1")
    assert missing.returncode == 2 and "--out" in missing.stderr
    shipped = csto_monitor("stance", "train", "--data", data, "--epochs", "1", "--out", str(DEFAULT_MODEL_DIR), "--force")
    assert shipped.returncode == 4 and "stance/models" in one_line(shipped)
    relative = csto_monitor("stance", "train", "--data", data, "--epochs", "1", "--out", "stance/models/minilm-newsmtsc")
    assert relative.returncode == 4, relative.stderr[-2000:]  # run from the project root, as the user did
    assert folder_digest(DEFAULT_MODEL_DIR) == before


def test_stance_train_refuses_an_existing_model_folder_unless_forced(tmp_path):
    data = write_jsonl(tmp_path / "tiny.jsonl", TINY)
    out = tmp_path / "model"
    out.mkdir()
    (out / "config.json").write_text("{}")
    refused = csto_monitor("stance", "train", "--data", data, "--epochs", "1", "--out", str(out))
    assert refused.returncode == 4 and "--force" in one_line(refused)
    assert (out / "config.json").read_text() == "{}"
    forced = csto_monitor("stance", "train", "--data", data, "--epochs", "1", "--validation-fraction", "0",
                          "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert json.loads((out / "config.json").read_text())["name"] == "model"


@pytest.mark.parametrize("records", [[], [{"sentence_normalized": "Putin spoke.", "targets": []}]], ids=["empty", "no-targets"])
def test_stance_eval_without_labelled_mentions_is_one_line(tmp_path, records):
    result = csto_monitor("stance", "eval", write_jsonl(tmp_path / "data.jsonl", records))
    assert result.returncode != 0
    assert "no labelled mention" in one_line(result) and "Traceback" not in result.stderr


@pytest.mark.parametrize("override", ["DOWNLOAD_TIMEOUT=abc", "AUTOTHROTTLE_ENABLED=maybe", "ITEM_PIPELINES=[1]"])
def test_a_bad_set_value_is_one_line_and_exit_4(tmp_path, override):
    result = csto_monitor("crawl", "--db", str(tmp_path / "monitor.db"), "--set", override)
    assert result.returncode == 4, result.stderr[-2000:]
    assert one_line(result).startswith(f"error: --set {override}: ")
    assert not (tmp_path / "monitor.db").exists() and not (tmp_path / "monitor.db.lock").exists()


def test_a_file_that_is_not_a_database_is_refused_and_gets_no_lock_file_beside_it(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# my notes\n")
    result = csto_monitor("crawl", "--db", str(notes))
    assert result.returncode == 2
    assert "not a SQLite database" in one_line(result)
    assert notes.read_text() == "# my notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.md"]


def test_serve_sh_finds_datasette_from_a_fresh_shell_or_says_how(tmp_path):
    script = tmp_path / "serve.sh"
    script.write_text(serve_script(tmp_path / "no-such-venv" / "datasette"))
    script.chmod(0o755)
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no virtual environment on PATH
    result = subprocess.run(["sh", str(script)], env=bare, capture_output=True, text=True, timeout=30)
    assert result.returncode == 127
    assert "pip install -r requirements.txt" in one_line(result)
    found = subprocess.run(["sh", str(script), "--help"], env={**bare, "DATASETTE": str(PROJECT / ".venv" / "bin" / "datasette")},
                           capture_output=True, text=True, timeout=60)
    assert found.returncode == 0 and "Usage: datasette serve" in found.stdout


def test_make_demo_takes_the_port():
    result = subprocess.run(["make", "-n", "demo", "PORT=8010"], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "csto-monitor demo --db data/monitor.db --port 8010" in result.stdout


def test_serve_on_a_file_that_is_not_a_database_is_one_line_and_exit_1(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n")
    result = csto_monitor("serve", "--db", str(notes))
    assert result.returncode == 1
    assert "not a SQLite database" in one_line(result) and "Traceback" not in result.stderr


def test_an_unknown_set_name_is_refused_naming_the_settings_that_exist(tmp_path):
    result = csto_monitor("crawl", "--db", str(tmp_path / "monitor.db"), "--set", "DOWNLOAD_DELEY=1")
    assert result.returncode == 4
    line = one_line(result)
    assert line.startswith("error: --set DOWNLOAD_DELEY=1: no setting is named DOWNLOAD_DELEY")
    assert "DOWNLOAD_DELAY" in line and "crawler/settings.py" in line
    assert not (tmp_path / "monitor.db").exists()


def test_a_db_in_a_folder_that_does_not_exist_is_refused_naming_it(tmp_path):
    missing = tmp_path / "no" / "such" / "dir"
    result = csto_monitor("crawl", "--db", str(missing / "x.db"))
    assert result.returncode == 2
    assert f"the folder {missing} " in one_line(result) and "mkdir -p" in one_line(result)
    assert not (tmp_path / "no").exists()  # nothing made


def test_stance_eval_of_a_binary_file_names_the_file(tmp_path):
    binary = tmp_path / "weights.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    result = csto_monitor("stance", "eval", str(binary))
    assert result.returncode == 1
    line = one_line(result)
    assert str(binary) in line and "not a text file" in line


def test_a_stance_model_folder_that_does_not_exist_is_one_line_and_exit_4(tmp_path):
    """Found before anything runs, though the models themselves load when their first article comes."""
    stance_file = tmp_path / "stance.yml"
    stance_file.write_text("models:\n  - name: mine\n    backend: default\n    model: /no/such/model\n    languages: [en]\n")
    result = csto_monitor("crawl", "--db", str(tmp_path / "monitor.db"), "--set", f"STANCE_FILE={stance_file}")
    assert result.returncode == 4, result.stderr[-2000:]
    line = one_line(result)
    assert line.startswith(f"error: {stance_file}: models[0]: no stance model in /no/such/model")
    assert not (tmp_path / "monitor.db").exists()
