"""A fully fine-tuned encoder stored as int8 differences from the packaged one (stance/finetuned.py)."""

import pytest
import torch
from torch import nn

from stance.finetuned import apply_layer_deltas, save_layer_deltas


def encoder() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 32), nn.LayerNorm(32), nn.Linear(32, 8))


def test_stored_differences_restore_the_fine_tuned_weights(tmp_path):
    base, tuned = encoder(), encoder()
    with torch.no_grad():
        for parameter in tuned.parameters():
            parameter.add_(0.01 * torch.randn_like(parameter))
    path = tmp_path / "layers.safetensors"
    save_layer_deltas(tuned.state_dict(), base.state_dict(), path)
    restored = encoder()
    apply_layer_deltas(restored, path)
    for name, value in tuned.state_dict().items():
        change = (value - base.state_dict()[name]).abs().max()
        error = (restored.state_dict()[name] - value).abs().max()
        assert error <= change / 100, name  # rounding is a small part of what training changed
    assert not torch.equal(restored.state_dict()["0.weight"], base.state_dict()["0.weight"])


def test_differences_for_another_encoder_are_refused(tmp_path):
    path = tmp_path / "layers.safetensors"
    save_layer_deltas({"9.weight": torch.ones(2, 2)}, {"9.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(ValueError, match="9.weight is not a weight of the encoder"):
        apply_layer_deltas(encoder(), path)
