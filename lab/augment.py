"""More mentions for a teacher model to judge than the labelled ones (lab/distil.py).

Two kinds, both from the labelled sentences themselves:

- other names in the sentence (capitalised words in a row), so that a student sees most
  sentences judged for two or more targets, as sentences about several actors are;
- variants of the sentence with some words outside the targets swapped for a near word of the
  teacher's own vocabulary (nearest by its input embeddings: "praised" -> "lauded", "hailed",
  but also "criticized"); the teacher judges each variant anew, so a swap that turns the stance
  is a lesson, not noise.
"""

import random
import re

import torch

Span = tuple[int, int]

NAME = re.compile(r"[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*")
NOT_NAMES = set(
    "The A An He She It They We I You This That These Those His Her Its Their Our My Your But And Or If When "
    "While As After Before In On At For From By With Without To Of Mr Mrs Ms Dr So Yet Still Then There Here "
    "What Who Why How Where Which Also Even Just Now Some Many Most All One Two No Not Monday Tuesday Wednesday "
    "Thursday Friday Saturday Sunday January February March April May June July August September October "
    "November December".split()
)
WORD = re.compile(r"(\W+)")
KEPT_WORDS = set(  # grammar, not stance: never swapped
    "the and was were for his her has have had are but not with from that this who whom which its their they she "
    "him been will would could should can did does than then also into over about after before when while what "
    "there these those our your all any some such only more most very".split()
)
SUFFIXES = ("ing", "ed", "ly", "s")  # a swap keeps the word's ending, so the sentence stays grammatical


def other_names(sentence: str, taken: list[Span], limit: int = 2) -> list[Span]:
    """Spans of up to `limit` names in `sentence` that overlap none of the `taken` spans."""
    found = []
    for match in NAME.finditer(sentence):
        words = match.group().rstrip(".").split()
        start = match.start()
        while words and words[0] in NOT_NAMES:
            start += len(words[0]) + 1
            words = words[1:]
        if not words:
            continue
        end = start + len(" ".join(words))
        if start == 0 and len(words) == 1:  # "Critics said ...": a capital that only starts the sentence
            continue
        if end - start >= 2 and not any(start < b and a < end for a, b in taken):
            found.append((start, end))
    return found[:limit]


class NearWords:
    """The nearest whole lower-case words of a vocabulary to a word, by the cosine of their input
    embeddings; computed once per word."""

    def __init__(self, vocabulary: dict[str, int], embeddings: torch.Tensor, count: int = 8):
        self.words = [w for w in vocabulary if w.isalpha() and w.islower() and len(w) >= 2]
        self.index = {w: i for i, w in enumerate(self.words)}
        rows = embeddings[torch.tensor([vocabulary[w] for w in self.words])].float()
        self.unit = torch.nn.functional.normalize(rows, dim=-1)
        self.count = count
        self._near: dict[str, list[str]] = {}

    @classmethod
    def of_encoder(cls, tokenizer, model) -> "NearWords":
        return cls(tokenizer.get_vocab(), model.get_input_embeddings().weight.detach())

    def __call__(self, word: str) -> list[str]:
        if word not in self._near:
            self._near[word] = self._nearest(word)
        return self._near[word]

    def _nearest(self, word: str) -> list[str]:
        if word not in self.index:
            return []
        similarity = self.unit @ self.unit[self.index[word]]
        near = [self.words[i] for i in similarity.topk(min(40, len(self.words))).indices.tolist()]
        near = [w for w in near if w != word and len(w) >= 3]
        suffix = next((s for s in SUFFIXES if word.endswith(s)), None)
        if suffix:
            near = [w for w in near if w.endswith(suffix)]
        return near[: self.count]


def swap_words(sentence: str, spans: list[Span], near: NearWords, rng: random.Random,
               probability: float = 0.4) -> tuple[str, list[Span]]:
    """The sentence with each lower-case content word of three letters or more outside `spans` swapped, at
    `probability`, for one of its near words; and the spans moved to where their text now is."""
    text, moves, position = [], [], 0  # moves: (old offset, new offset) where each piece starts
    new_length = 0
    for piece in WORD.split(sentence):
        start, position = position, position + len(piece)
        swapped = piece
        if (piece.isalpha() and piece.islower() and len(piece) >= 3 and piece not in KEPT_WORDS
                and rng.random() < probability
                and not any(start < b and a < position for a, b in spans)):
            swapped = rng.choice(near(piece) or [piece])
        moves.append((start, new_length))
        text.append(swapped)
        new_length += len(swapped)

    def moved(offset: int) -> int:
        old, new = max((m for m in moves if m[0] <= offset), default=(0, 0))
        return offset - old + new

    return "".join(text), [(moved(a), moved(a) + b - a) for a, b in spans]
