"""The stance encoder run by ONNX Runtime with its weights quantized to int8 (`runtime: onnx-int8`
in stance.yml): about 1.5 times the articles per second of the PyTorch encoder on CPU, at the
same macro-F1 (see docs/stance-experiments.md, Stance speed).

The quantized copy is derived from the loaded encoder (the packaged MiniLM with the model's
adapters merged in) the first time it is needed and kept in a cache folder under a name that is
a hash of what the encoder is made of (the packaged weights and the model folder's adapters or
layers), so a retrained model never reuses a stale copy, and a crawl that finds the copy loads
neither the PyTorch encoder nor its adapters. It is written to a temporary file and renamed into
place: an interrupted export leaves nothing half-written.
"""

import hashlib
import json
import logging
import os
from pathlib import Path
import tempfile
import warnings

import torch
from transformers.modeling_outputs import BaseModelOutput

from stance.cache import cache_dir

logger = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORT_RECIPE = "opset17-int8-per-channel"  # part of the cached copy's name: change it with the recipe
# Matrix products kept in float32, as parts of the exported graph's node names; a model's config
# may name its own (`int8_keep_float`), found by measuring layer by layer (docs/stance-experiments.md)
KEEP_FLOAT = ("/layer.0/output/",)


def weights_digest(model: torch.nn.Module, keep_float: tuple[str, ...] = KEEP_FLOAT) -> str:
    import onnxruntime

    digest = hashlib.sha256(f"{EXPORT_RECIPE} {sorted(keep_float)} onnxruntime {onnxruntime.__version__}".encode())
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


class _HiddenStates(torch.nn.Module):
    """The encoder with positional inputs (`names`: those its tokenizer gives; MPNet has no
    token_type_ids) and its last hidden state as the only output."""

    def __init__(self, model: torch.nn.Module, names: list[str]):
        super().__init__()
        self.model = model
        self.names = names

    def forward(self, *inputs):
        return self.model(**dict(zip(self.names, inputs))).last_hidden_state


def sensitive_matmuls(path: Path, keep_float: tuple[str, ...] = KEEP_FLOAT) -> list[str]:
    """The matrix products of an exported graph that stay float32: those whose node name holds
    one of `keep_float`. For MiniLM, the default, the first layer's feed-forward output. Quantizing that one cost the model trained on the labels alone macro-F1 (devtest_mt
    0.749 with it in int8, 0.759 without; fp32 0.758; the held-out slice of train agrees); keeping
    the whole last layer in float32 instead changed nothing (the layers between were not measured
    one by one). The taught model that replaced it: 0.764 in int8, 0.769 fp32."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [node.name for node in graph.node if node.op_type == "MatMul" and any(part in node.name for part in keep_float)]


def export_onnx(model: torch.nn.Module, tokenizer, path: Path) -> None:
    """The encoder as a float32 ONNX graph (last hidden state out) at `path`."""
    example = tokenizer(["The alliance met.", "A longer sentence, so that the example batch is padded."],
                        padding=True, return_tensors="pt")
    names = [name for name in INPUTS if name in example]
    axes = {name: {0: "batch", 1: "tokens"} for name in (*names, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(_HiddenStates(model, names).eval(), tuple(example[name] for name in names), str(path),
                          input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)


def quantize_onnx(plain: Path, target: Path, keep_float: tuple[str, ...] = KEEP_FLOAT) -> None:
    """Quantize an exported graph's weights to int8 (per channel) into `target`, all but the
    `sensitive_matmuls`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # ONNX Runtime's optional pre-processing made it slower here (16.4 against 18.8 articles/s);
    # its reminder to run it is a root-logger warning, kept out of the crawl's log
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(str(plain), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_exclude=sensitive_matmuls(plain, keep_float))
    finally:
        logging.disable(logging.NOTSET)


def export_int8(model: torch.nn.Module, tokenizer, target: Path, keep_float: tuple[str, ...] = KEEP_FLOAT) -> None:
    """Export `model` to ONNX and quantize it into `target`, written whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        plain, quantized = Path(scratch) / "encoder.onnx", Path(scratch) / "encoder-int8.onnx"
        export_onnx(model, tokenizer, plain)
        quantize_onnx(plain, quantized, keep_float)
        os.replace(quantized, target)


class OnnxInt8Encoder:
    """Stands in for the transformers encoder inside `MentionEncoder`: same call, same output."""

    def __init__(self, path: Path, config, threads: int = 1):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [node.name for node in self.session.get_inputs()]
        self.config = config
        self.path = path

    def __call__(self, **batch) -> BaseModelOutput:
        feed = {name: (batch[name] if name in batch else torch.zeros_like(batch["input_ids"])).cpu().numpy()
                for name in self.inputs}
        return BaseModelOutput(last_hidden_state=torch.from_numpy(self.session.run(None, feed)[0]))


def folder_digest(directory: Path, config: dict, encoder_path: Path, keep_float: tuple[str, ...]) -> str:
    """What a model folder's encoder is made of, hashed without loading it: the export recipe,
    the packaged encoder's weight files and the folder's adapters or layers (a retrained model or
    a reinstalled encoder never reuses a stale copy; a new head or combination keeps it)."""
    import onnxruntime

    digest = hashlib.sha256(f"{EXPORT_RECIPE} {sorted(keep_float)} onnxruntime {onnxruntime.__version__}".encode())
    parts = {key: config.get(key) for key in ("encoder", "adapter", "layers")}
    digest.update(json.dumps(parts, sort_keys=True).encode())
    files = sorted(p for p in encoder_path.iterdir() if p.suffix in (".safetensors", ".bin"))
    files += [directory / config[key]["file"] for key in ("adapter", "layers") if key in config]
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def load_int8_model(directory: str | Path | None, threads: int = 1):
    """A model folder's StanceModel with its encoder run by ONNX Runtime in int8. The int8 copy
    is found in the cache by `folder_digest`, so once it exists neither the transformers encoder
    nor the adapters are loaded; the first time, the PyTorch model is loaded and exported."""
    from stance.features import default_encoder_path
    from stance.folders import CONFIG_FILE, model_directory
    from stance.model import encoder_location, load_model
    from transformers import AutoConfig

    directory = model_directory(directory)
    config = json.loads((directory / CONFIG_FILE).read_text())
    keep_float = tuple(config.get("int8_keep_float", KEEP_FLOAT))
    encoder_path = Path(encoder_location(config["encoder"]) or default_encoder_path())
    target = None  # a Hugging Face name: its files are known only once it is loaded
    if encoder_path.is_dir():
        target = cache_dir() / "onnx-int8" / f"model-{folder_digest(directory, config, encoder_path, keep_float)}.onnx"
        if target.exists():
            return load_model(directory, encoder_model=OnnxInt8Encoder(target, AutoConfig.from_pretrained(encoder_path), threads))
    model = load_model(directory)
    quantize_encoder(model.encoder, threads, keep_float, target)
    return model


def quantize_encoder(encoder, threads: int = 1, keep_float: tuple[str, ...] = KEEP_FLOAT, target: Path | None = None) -> None:
    """Replace `encoder.model` (a MentionEncoder's transformer) by its cached int8 ONNX copy: at
    `target`, or named by a hash of the loaded weights when None."""
    keep_float = tuple(keep_float)
    target = target or cache_dir() / "onnx-int8" / f"encoder-{weights_digest(encoder.model, keep_float)}.onnx"
    if not target.exists():
        logger.info("quantizing the stance encoder to int8 for ONNX Runtime (once): %s", target)
        export_int8(encoder.model, encoder.tokenizer, target, keep_float)
    encoder.model = OnnxInt8Encoder(target, encoder.model.config, threads)
