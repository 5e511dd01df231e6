"""Teach the shipped English model's head who the negativity is about, on a CPU: the head (the
encoder and its adapters kept as they are) trained further on NewsMTSC's train mixed with the
written role sentences of lab/data/role_sentences.yml (aggressor and victim, setting, praise by
deed, reported speech; countries the role test never names), the role mentions repeated
ROLE_REPEATS times. The recipe (EPOCHS, LEARNING_RATE, ROLE_REPEATS) was chosen among four on a
validation of 10% of NewsMTSC's train and four role templates held out
(docs/stance-experiments.md); the head written trains on all of it.
"""

import copy
import itertools
from pathlib import Path
import random

import torch
import yaml

from lab.newsmtsc import read_newsmtsc
from lab.training import balanced_loss
from stance import LABELS, Mention

ROLE_SENTENCES = Path(__file__).resolve().parent / "data" / "role_sentences.yml"
EPOCHS = 2
LEARNING_RATE = 3e-4
ROLE_REPEATS = 3
BATCH = 64
SEED = 13


def role_mentions(path: str | Path = ROLE_SENTENCES) -> tuple[list[Mention], list[str], list[int]]:
    """Every taught mention of the role templates filled with each pair both ways: mentions,
    labels and each one's template index."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    pairs = [tuple(p) for p in data["pairs"]] + [tuple(reversed(p)) for p in data["pairs"]]
    mentions, labels, templates = [], [], []
    for (index, (template, stance_a, stance_b)), (first, second) in itertools.product(enumerate(data["templates"]), pairs):
        sentence = template.format(a=first, b=second)
        for name, stance in ((first, stance_a), (second, stance_b)):
            if stance:
                start = sentence.index(name)
                mentions.append(Mention(sentence, start, start + len(name)))
                labels.append(stance)
                templates.append(index)
    return mentions, labels, templates


def train_role_head(model, news_path: str | Path, progress=print):
    """A copy of `model.head` trained further as the module docstring says (`model` unchanged)."""
    torch.manual_seed(SEED)
    random.seed(SEED)
    news_mentions, news_labels = read_newsmtsc(news_path)
    roles, role_labels, _ = role_mentions()
    with torch.inference_mode():
        features = torch.cat([model.encoder.encode(news_mentions), model.encoder.encode(roles)])
    progress(f"encoded {len(news_mentions)} NewsMTSC and {len(roles)} role mentions")
    features = torch.cat([features] + [features[len(news_mentions):]] * (ROLE_REPEATS - 1))
    targets = torch.tensor([LABELS.index(label) for label in news_labels + role_labels * ROLE_REPEATS])
    head = copy.deepcopy(model.head)
    loss_fn = balanced_loss(targets)
    optimiser = torch.optim.AdamW(head.parameters(), lr=LEARNING_RATE, weight_decay=1e-2)
    for epoch in range(EPOCHS):
        head.train()
        for batch in torch.randperm(len(targets)).split(BATCH):
            optimiser.zero_grad()
            loss_fn(head(features[batch]), targets[batch]).backward()
            optimiser.step()
        progress(f"epoch {epoch + 1} of {EPOCHS}")
    return head.eval()
