"""The small classifier that maps mention features to critical / neutral / supportive."""

import torch
from torch import nn


class StanceHead(nn.Module):
    """Normalise, one hidden layer, three logits."""

    def __init__(self, input_dim: int, hidden_dim: int = 256, n_labels: int = 3, dropout: float = 0.2):
        super().__init__()
        self.input_dim = input_dim
        self.hidden_dim = hidden_dim
        self.layers = nn.Sequential(
            nn.LayerNorm(input_dim),
            nn.Dropout(dropout),
            nn.Linear(input_dim, hidden_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, n_labels),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features)
