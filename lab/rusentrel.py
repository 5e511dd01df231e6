"""RuSentRel 1.1's author attitudes as labelled articles for `stance eval --articles`.

RuSentRel (73 inosmi.ru analytical articles on international politics, Russian translations of
foreign press) labels attitudes between named entities per document; `artN.author.txt` holds
the author's own (`author, Россия, neg, current`): the author's stance toward an entity over the
whole article, which is what the product judges per article and actor. The entity's names are
its group in `synonyms.txt` (lower case lemmas; the actor finder ignores case and finds Russian
inflected forms). Attitudes are positive or negative only: RuSentRel marks no neutral ones.
"""

import json
from pathlib import Path
import re

LABELS = {"pos": "supportive", "neg": "critical"}
SPEAKER_TAG = re.compile(r"^\{[^}]*\}\s*")  # "{Author, Unknown} " before some lines


def synonym_groups(path: Path) -> list[list[str]]:
    return [[name.strip() for name in line.split(",") if name.strip()]
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def aliases_of(entity: str, groups: list[list[str]]) -> list[str]:
    for group in groups:
        if entity.lower() in group:
            return [entity, *(name for name in group if name != entity.lower() and "(" not in name)]
    return [entity]


def author_articles(root: Path) -> list[dict]:
    """One labelled article per author attitude of every part (train and test)."""
    groups = synonym_groups(root / "synonyms.txt")
    records = []
    for attitudes in sorted(root.glob("*/art*.author.txt"), key=lambda p: (p.parent.name, int(re.sub(r"\D", "", p.name)))):
        lines = [SPEAKER_TAG.sub("", line).strip()
                 for line in attitudes.with_name(attitudes.name.replace(".author.txt", ".txt")).read_text(encoding="utf-8").splitlines()]
        lines = [line for line in lines if line]
        title, text = lines[0], "\n".join(lines[1:])
        for line in attitudes.read_text(encoding="utf-8").splitlines():
            parts = [part.strip() for part in line.split(",")]
            if len(parts) >= 3 and parts[0] == "author" and parts[2] in LABELS:
                records.append({"title": title, "text": text, "target": parts[1], "aliases": aliases_of(parts[1], groups),
                                "label": LABELS[parts[2]], "language": "ru", "source": f"{attitudes.parent.name}/{attitudes.name}"})
    return records


def write_jsonl(records: list[dict], path: Path) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
