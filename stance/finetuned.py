"""Encoder layers fine-tuned in full, stored small: each weight as its difference from the
packaged encoder's, in int8 with one scale per row (a fine-tuned difference is small, so the
rounding error is a fraction of it, far below what moves a judgement), biases and norms in
float16. The packaged encoder is never copied into the model folder: at load the differences
are added back to it.
"""

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

LAYERS_FILE = "layers.safetensors"


def save_layer_deltas(layers: dict[str, torch.Tensor], base: dict[str, torch.Tensor], path: str | Path) -> None:
    """Write `layers` (name -> fine-tuned tensor, names as in the encoder) as differences from `base`."""
    stored = {}
    for name, value in layers.items():
        delta = value.float() - base[name].float()
        if delta.dim() == 2:
            scale = (delta.abs().amax(1, keepdim=True) / 127).clamp(min=1e-12)
            stored[name + ".int8"] = torch.round(delta / scale).to(torch.int8).contiguous()
            stored[name + ".scale"] = scale.contiguous()
        else:
            stored[name + ".delta"] = delta.to(torch.float16).contiguous()
    save_file(stored, str(path))


def apply_layer_deltas(model: torch.nn.Module, path: str | Path) -> None:
    """Add the stored differences to the encoder's weights (in place)."""
    stored = load_file(str(path))
    state = model.state_dict()
    updated = {}
    for key, value in stored.items():
        name, kind = key.rsplit(".", 1)
        if name not in state:
            raise ValueError(f"{path}: {name} is not a weight of the encoder {type(model).__name__}")
        if kind == "int8":
            updated[name] = state[name] + value.float() * stored[name + ".scale"]
        elif kind == "delta":
            updated[name] = state[name] + value.float()
    model.load_state_dict(updated, strict=False)
