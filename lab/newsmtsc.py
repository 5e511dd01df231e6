"""Read NewsMTSC's JSON-lines format into labelled mentions."""

from pathlib import Path

from lab.jsonlines import numbered_records
from stance.labels import Mention

POLARITY_LABELS = {2: "critical", 4: "neutral", 6: "supportive"}


def read_newsmtsc(path: str | Path) -> tuple[list[Mention], list[str]]:
    """One (mention, label) per target: `sentence_normalized` with the target's from/to span."""
    mentions, labels = [], []
    for number, record in numbered_records(path):
        try:
            sentence = record["sentence_normalized"]
            for target in record["targets"]:
                mentions.append(Mention(sentence, int(target["from"]), int(target["to"])))
                labels.append(POLARITY_LABELS[int(target["polarity"])])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"{path}:{number}: not a NewsMTSC record ({error!r}); expected "
                "sentence_normalized and targets[] with from, to, polarity 2/4/6"
            ) from None
    return mentions, labels
