"""Teach the shipped English model who the negativity is about, in its encoder: every transformer
layer of the shipped model (embeddings frozen) and its head trained further on NewsMTSC's train
mixed with the written role sentences of lab/data/role_sentences.yml (aggressor and victim,
setting, praise by deed, reported speech; countries and templates the role test never uses).

So that the news sentences are not forgotten, each NewsMTSC mention trains towards half its gold
label and half the shipped model's own probabilities for it (what the model learned from its
teacher stays the target); role mentions train towards their label. The result is stored as the
e5-ru model is: int8 differences from the packaged encoder (stance/finetuned.py) and a head.
"""

import itertools
from pathlib import Path
import random

import torch
import yaml

from lab.finetune import length_batches
from lab.training import balanced_soft_loss
from stance import LABELS, Mention

ROLE_SENTENCES = Path(__file__).resolve().parent / "data" / "role_sentences.yml"


def role_mentions(path: str | Path = ROLE_SENTENCES, templates: set[int] | None = None,
                  leave_out: set[int] = frozenset()) -> tuple[list[Mention], list[str]]:
    """Every taught mention of the role templates (those numbered in `templates`, or all, less
    those in `leave_out`), each filled with each pair both ways: mentions and labels."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    pairs = [tuple(p) for p in data["pairs"]] + [tuple(reversed(p)) for p in data["pairs"]]
    mentions, labels = [], []
    for (index, (template, stance_a, stance_b)), (first, second) in itertools.product(enumerate(data["templates"]), pairs):
        if (templates is not None and index not in templates) or index in leave_out:
            continue
        sentence = template.format(a=first, b=second)
        for name, stance in ((first, stance_a), (second, stance_b)):
            if stance:
                start = sentence.index(name)
                mentions.append(Mention(sentence, start, start + len(name)))
                labels.append(stance)
    return mentions, labels


def one_hot(labels: list[str]) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor([LABELS.index(label) for label in labels]), len(LABELS)).float()


def teach_roles(model, news: tuple[list[Mention], list[str]], roles: tuple[list[Mention], list[str]], *,
                epochs: int = 1, learning_rate: float = 2e-5, head_learning_rate: float = 1e-4, role_repeats: int = 3,
                gold_weight: float = 0.5, batch_size: int = 32, seed: int = 13, progress=print, after_epoch=None):
    """Train `model` (a loaded StanceModel: encoder and head) in place as the module says;
    `after_epoch(epoch)` is called after each epoch (for validation)."""
    torch.manual_seed(seed)
    random.seed(seed)
    news_mentions, news_labels = news
    with torch.inference_mode():
        own = torch.softmax(model.head(model.encoder.encode(news_mentions)) + model.offsets, dim=-1)
    progress(f"the shipped model's own probabilities for {len(news_mentions)} NewsMTSC mentions")
    role_list, role_labels = roles
    mentions = news_mentions + role_list * role_repeats
    targets = torch.cat([gold_weight * one_hot(news_labels) + (1 - gold_weight) * own, one_hot(role_labels * role_repeats)])
    loss_fn = balanced_soft_loss(targets)
    encoder = model.encoder.model
    for name, parameter in encoder.named_parameters():
        parameter.requires_grad = not name.startswith("embeddings.")
    head = model.head
    optimiser = torch.optim.AdamW([{"params": [p for p in encoder.parameters() if p.requires_grad], "lr": learning_rate},
                                   {"params": head.parameters(), "lr": head_learning_rate}], weight_decay=1e-2)
    for epoch in range(1, epochs + 1):
        encoder.train()
        head.train()
        done = 0
        for step, index in enumerate(length_batches(mentions, range(len(mentions)), batch_size), 1):
            optimiser.zero_grad()
            loss = loss_fn(head(model.encoder.encode_batch([mentions[i] for i in index])), targets[index])
            loss.backward()
            optimiser.step()
            done += len(index)
            if step % 50 == 0:
                progress(f"epoch {epoch}: {done} / {len(mentions)} mentions, loss {loss.item():.4f}")
        encoder.eval()
        head.eval()
        if after_epoch:
            after_epoch(epoch)
    for parameter in encoder.parameters():
        parameter.requires_grad = False
    return model
