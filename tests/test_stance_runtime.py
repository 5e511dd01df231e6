"""The int8 ONNX Runtime encoder (`runtime: onnx-int8`) and parallel stance workers."""

from concurrent.futures import ThreadPoolExecutor
import json
import os

import pytest

from crawler.config import ConfigError, load_stance_models
from stance import Mention, load_model
from stance.registry import build_backend
from lab.training import evaluate
from tests.conftest import PROJECT
from tests.test_stance import mention_of


@pytest.fixture(scope="module")
def models():
    spec = {"name": "minilm-newsmtsc", "backend": "default", "languages": ["en"]}
    return load_model(), build_backend({**spec, "runtime": "onnx-int8"})


def test_int8_runtime_keeps_macro_f1_within_a_hundredth(models, default_model_on_devtest):
    _, quantized = models
    assert type(quantized.encoder.model).__name__ == "OnnxInt8Encoder"
    measured = evaluate(quantized, default_model_on_devtest["mentions"], default_model_on_devtest["labels"])
    assert abs(measured["macro_f1"] - default_model_on_devtest["scores"]["macro_f1"]) <= 0.01, measured


def test_int8_copy_is_made_once_and_reused(tmp_path, monkeypatch):
    """In a cache of its own: the test session's is shared by the xdist workers, one of which may
    be writing its copy there right now."""
    monkeypatch.setenv("CSTO_MONITOR_CACHE", str(tmp_path))
    spec = {"backend": "default", "languages": ["en"], "runtime": "onnx-int8"}
    build_backend(spec)
    copies = list((tmp_path / "onnx-int8").iterdir())
    assert len(copies) == 1 and copies[0].suffix == ".onnx"  # no temporary file left beside it
    made = copies[0].stat().st_mtime_ns
    build_backend(spec)
    assert [p.stat().st_mtime_ns for p in (tmp_path / "onnx-int8").iterdir()] == [made]


def test_a_found_int8_copy_loads_no_pytorch_encoder_and_a_retrained_one_gets_its_own(models, tmp_path):
    """Once the copy exists (the `models` fixture made it in this session's cache), a crawl's
    model loads neither transformers' BERT nor peft (seconds of every crawl's start). The copy's
    name hashes the encoder's files and the folder's layers (or adapters): new layers, a new copy; a
    new head, the same one."""
    import shutil
    import subprocess
    import sys

    from safetensors.torch import load_file, save_file

    from stance.features import default_encoder_path
    from stance.model import DEFAULT_MODEL_DIR
    from stance.quantized import KEEP_FLOAT, folder_digest

    load = ("import sys; from stance.registry import build_backend; "
            "m = build_backend({'backend': 'default', 'languages': ['en'], 'runtime': 'onnx-int8'}); "
            "print(type(m.encoder.model).__name__, 'peft' in sys.modules, 'transformers.models.bert.modeling_bert' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", load], capture_output=True, text=True, cwd=PROJECT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["OnnxInt8Encoder", "False", "False"]

    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, folder)
    config = json.loads((folder / "config.json").read_text())
    def digest() -> str:
        return folder_digest(folder, config, default_encoder_path(), KEEP_FLOAT)
    shipped = digest()
    head = load_file(folder / "head.safetensors")
    save_file({name: value * 0.5 for name, value in head.items()}, folder / "head.safetensors")
    assert digest() == shipped
    taught = folder / config["layers"]["file"]  # the shipped model's taught layers (a LoRA model: its adapters)
    layers = load_file(taught)
    save_file({name: value * 0.5 if value.is_floating_point() else value for name, value in layers.items()}, taught)
    assert digest() != shipped


def test_int8_copy_keeps_only_the_first_feed_forward_output_in_float(models):
    import onnx

    _, quantized = models
    graph = onnx.load(str(quantized.encoder.model.path)).graph
    float_products = [node.name for node in graph.node if node.op_type == "MatMul" and "/dense/" in node.name]
    assert float_products == ["/model/encoder/layer.0/output/dense/MatMul"]
    assert sum(node.op_type == "MatMulInteger" for node in graph.node) == 6 * 6 - 1  # the other dense layers


def test_parallel_workers_give_the_same_judgements_as_one(models):
    _, quantized = models
    articles = [[mention_of(f"Critics said Pashinyan had betrayed the voters of district {n}.", "Pashinyan"),
                 mention_of(f"Tokayev was praised by {n} delegations for his calm leadership.", "Tokayev")]
                for n in range(8)]
    alone = [[j.label for j in quantized.predict(a)] for a in articles]
    with ThreadPoolExecutor(2) as pool:  # the tokenizer is shared: calls must not collide
        together = [[j.label for j in judged] for judged in pool.map(quantized.predict, articles * 3)]
    assert together == alone * 3


def test_unknown_runtime_is_one_line_naming_the_entry(tmp_path):
    path = tmp_path / "stance.yml"
    path.write_text("models:\n  - name: mine\n    languages: [en]\n    runtime: tensorrt\n")
    with pytest.raises(ConfigError, match=r"models\[0\] \(mine\): unknown runtime 'tensorrt'; use torch or onnx-int8"):
        load_stance_models(path)


def test_an_encoder_without_token_type_ids_runs_in_int8_too(tmp_path):
    """MPNet's tokenizer gives no token_type_ids: its ONNX copy takes only the inputs it gives and
    encodes mentions as the PyTorch encoder does (a tiny random MPNet with the real tokenizer)."""
    import torch
    from transformers import AutoTokenizer, MPNetConfig, MPNetModel

    from stance.features import MentionEncoder
    from stance.mpnet_base import encoder_dir
    from stance.quantized import quantize_encoder

    tokenizer = AutoTokenizer.from_pretrained(encoder_dir())
    torch.manual_seed(3)
    MPNetModel(MPNetConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64)).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    plain, quantized = MentionEncoder(tmp_path, target_marker="@"), MentionEncoder(tmp_path, target_marker="@")
    quantize_encoder(quantized)
    assert [node.name for node in quantized.model.session.get_inputs()] == ["input_ids", "attention_mask"]
    sentence = "Tokayev thanked the peacekeepers, while Putin was blamed for the delay."
    mentions = [Mention(sentence, 0, 7), Mention(sentence, sentence.index("Putin"), sentence.index(" was"))]
    expected, measured = plain.encode(mentions), quantized.encode(mentions)
    assert expected.shape == measured.shape
    assert torch.nn.functional.cosine_similarity(expected, measured).min() > 0.99


def test_an_int8_model_whose_encoder_is_a_hugging_face_name_loads_from_the_local_cache(tmp_path):
    """A model folder may name its encoder as a Hugging Face model (in the local cache, offline):
    it has no folder to hash, so its int8 copy is named by the loaded weights, as before."""
    import subprocess
    import sys

    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, BertConfig, BertModel

    from stance.features import default_encoder_path
    from stance.head import StanceHead

    snapshot = tmp_path / "hf" / "hub" / "models--desk--tiny-bert" / "snapshots" / "0123456789abcdef"
    (snapshot.parents[1] / "refs").mkdir(parents=True)
    (snapshot.parents[1] / "refs" / "main").write_text("0123456789abcdef")
    tokenizer = AutoTokenizer.from_pretrained(default_encoder_path())
    torch.manual_seed(5)
    BertModel(BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64)).save_pretrained(snapshot)
    tokenizer.save_pretrained(snapshot)
    model = tmp_path / "model"
    model.mkdir()
    save_file(StanceHead(4 * 32, 16).state_dict(), model / "head.safetensors")
    (model / "config.json").write_text(json.dumps({"name": "tiny", "encoder": "desk/tiny-bert", "labels": ["critical", "neutral", "supportive"],
                                                   "languages": ["en"], "input_dim": 128, "hidden_dim": 16}))
    load = ("from stance.registry import build_backend; from stance import Mention; "
            f"m = build_backend({{'backend': 'default', 'languages': ['en'], 'runtime': 'onnx-int8', 'model': {str(model)!r}}}); "
            "print(type(m.encoder.model).__name__, m.predict([Mention('Putin spoke.', 0, 5)])[0].label in m.labels)")
    environment = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "CSTO_MONITOR_CACHE": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-c", load], capture_output=True, text=True, env=environment, cwd=PROJECT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["OnnxInt8Encoder", "True"]
    assert [p.name.split("-")[0] for p in (tmp_path / "cache" / "onnx-int8").iterdir()] == ["encoder"]
