"""Train the stance head on NewsMTSC and measure a model on labelled data."""

import logging
import random

import torch
from sklearn.metrics import accuracy_score, f1_score
from torch import nn

from stance.features import MentionEncoder
from stance.head import StanceHead
from stance.labels import LABELS, Mention
from stance.model import PACKAGED_ENCODER, StanceModel, encoder_location

logger = logging.getLogger(__name__)


def scores(gold: list[str], predicted: list[str]) -> dict:
    """Macro-F1, accuracy, per-label F1 and the number of mentions judged."""
    per_label = f1_score(gold, predicted, labels=list(LABELS), average=None, zero_division=0)
    return {
        "macro_f1": round(float(per_label.mean()), 4),
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "f1": {label: round(float(value), 4) for label, value in zip(LABELS, per_label)},
        "n": len(gold),
    }


def critical_recall(gold: list[str], predicted: list[str]) -> float | None:
    """Of the judgements a reader called critical, the share the model called critical (None: none was)."""
    critical = [p for g, p in zip(gold, predicted) if g == "critical"]
    return critical.count("critical") / len(critical) if critical else None


def evaluate(model: StanceModel, mentions: list[Mention], gold: list[str]) -> dict:
    predicted = [p.label for p in model.predict(mentions)]
    return scores(gold, predicted)


def validation_split(count: int, fraction: float) -> tuple[list[int], list[int]]:
    """Shuffled indexes 0..count-1 split into (held out, training)."""
    order = list(range(count))
    random.shuffle(order)
    held_out = max(1, int(count * fraction)) if count > 1 and fraction > 0 else 0  # a tiny set still has one
    return order[:held_out], order[held_out:]


def epoch_macro_f1(epoch: int, gold: list[str], predict) -> float | None:
    """Macro-F1 of one training epoch on the held-out mentions (`predict()` gives their label
    indexes), logged; None when nothing is held out, and `improves` then keeps every epoch, so
    the last one wins."""
    if not gold:
        return None
    f1 = scores(gold, [LABELS[i] for i in predict()])["macro_f1"]
    logger.info("epoch %d: validation macro-F1 %.4f", epoch, f1)
    return f1


def improves(f1: float | None, best_f1: float | None) -> bool:
    return f1 is None or best_f1 is None or f1 > best_f1


def balanced_soft_loss(targets: torch.Tensor):
    """Cross-entropy towards probability targets (rows of `targets`), each label weighted by the
    inverse of its share of all the targets' probability; for one-hot rows, `balanced_loss`."""
    weight = targets.sum() / (len(LABELS) * targets.sum(0))

    def loss(logits: torch.Tensor, wanted: torch.Tensor) -> torch.Tensor:
        weighted = wanted * weight
        return -(weighted * logits.log_softmax(-1)).sum() / weighted.sum()

    return loss


def balanced_loss(targets: torch.Tensor) -> nn.CrossEntropyLoss:
    """Cross-entropy weighting each label by the inverse of its frequency among `targets`."""
    counts = torch.bincount(targets, minlength=len(LABELS)).float()
    return nn.CrossEntropyLoss(weight=counts.sum() / (len(LABELS) * counts))


def train_head(
    mentions: list[Mention],
    labels: list[str],
    *,
    encoder: str = PACKAGED_ENCODER,
    epochs: int = 30,
    hidden_dim: int = 256,
    learning_rate: float = 1e-3,
    validation_fraction: float = 0.1,
    seed: int = 13,
    device: str = "cpu",
    name: str = "minilm-newsmtsc",
) -> StanceModel:
    """Encode every mention once with the frozen encoder, then fit the head on the features.

    A held-out slice of the training data picks the epoch with the best macro-F1 (with
    `validation_fraction` 0, every mention trains and the last epoch is kept).
    """
    torch.manual_seed(seed)
    random.seed(seed)
    mention_encoder = MentionEncoder(encoder_location(encoder), device=device)
    logger.info("encoding %d mentions with %s", len(mentions), mention_encoder.path)
    features = mention_encoder.encode(mentions)
    targets = torch.tensor([LABELS.index(label) for label in labels])

    held_out, kept = validation_split(len(mentions), validation_fraction)
    validation, training = torch.tensor(held_out, dtype=torch.long), torch.tensor(kept, dtype=torch.long)
    n_validation = len(held_out)
    validation_gold = [labels[i] for i in held_out]

    head = StanceHead(features.shape[1], hidden_dim, len(LABELS))
    loss_fn = balanced_loss(targets[training])
    optimiser = torch.optim.AdamW(head.parameters(), lr=learning_rate, weight_decay=1e-2)

    best_f1, best_state, best_epoch = None, None, 0
    for epoch in range(1, epochs + 1):
        head.train()
        for batch in torch.randperm(len(training)).split(64):
            index = training[batch]
            optimiser.zero_grad()
            loss = loss_fn(head(features[index]), targets[index])
            loss.backward()
            optimiser.step()
        head.eval()
        with torch.no_grad():
            f1 = epoch_macro_f1(epoch, validation_gold, lambda: head(features[validation]).argmax(-1).tolist())
        if improves(f1, best_f1):
            best_f1, best_epoch = f1, epoch
            best_state = {k: v.clone() for k, v in head.state_dict().items()}
    head.load_state_dict(best_state)
    config = {
        "name": name,
        "encoder": encoder,
        "labels": list(LABELS),
        "languages": ["en"],
        "input_dim": features.shape[1],
        "hidden_dim": hidden_dim,
        "max_length": mention_encoder.max_length,
        "training": {
            "mentions": len(training),
            "validation_mentions": n_validation,
            "best_epoch": best_epoch,
            "validation_macro_f1": best_f1,
            "seed": seed,
        },
    }
    return StanceModel(mention_encoder, head, config)
