"""The shipped English model's encoder taught the written role sentences (lab/role_encoder.py),
measured on what it never saw:

    .venv/bin/python lab/benchmarks/role_encoder.py --out /tmp/role-model [--epochs 2]

Held out for choosing the epoch: HELD_OUT_TEMPLATES of lab/data/role_sentences.yml and a tenth of
NewsMTSC's train sentences. Reported once per epoch kept: devtest_mt macro-F1, the role test and
the 64 two-actor contrasts of tests/test_stance.py (their templates and countries are not taught).
Writes the model of the best epoch (by the held-out figures) to --out as a model folder.
"""

import argparse
import json
from pathlib import Path
import random
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from lab.newsmtsc import read_newsmtsc  # noqa: E402
from lab.role_encoder import role_mentions, teach_roles  # noqa: E402
from lab.training import evaluate  # noqa: E402
from stance.features import MentionEncoder  # noqa: E402
from stance.finetuned import LAYERS_FILE, save_layer_deltas  # noqa: E402
from stance.model import load_model  # noqa: E402
from tests.test_stance import contrasts_judged_right, roles_judged_right  # noqa: E402

HELD_OUT_TEMPLATES = {1, 9, 14, 19}  # an invasion, a setting, praise by deed, reported criticism


def save(model, out: Path, note: dict) -> None:
    base = MentionEncoder(None).model.state_dict()  # the packaged encoder the differences are from
    layers = {name: value for name, value in model.encoder.model.state_dict().items() if not name.startswith("embeddings.")}
    out.mkdir(parents=True, exist_ok=True)
    save_layer_deltas(layers, base, out / LAYERS_FILE)
    config = {k: v for k, v in model.config.items() if k != "adapter"}
    config["layers"] = {"file": LAYERS_FILE, "stored": "int8 differences from the encoder, one scale per row"}
    config["training"] = {**config.get("training", {}), "roles": note}
    model.config, model.adapter = config, None
    model.save(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/newsmtsc"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=2e-5)
    parser.add_argument("--role-repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    mentions, labels = read_newsmtsc(args.data / "train.jsonl")
    sentences = sorted({m.sentence for m in mentions})
    random.Random(13).shuffle(sentences)
    held = set(sentences[: len(sentences) // 10])
    news_train = ([m for m in mentions if m.sentence not in held], [l for m, l in zip(mentions, labels) if m.sentence not in held])
    news_valid = ([m for m in mentions if m.sentence in held], [l for m, l in zip(mentions, labels) if m.sentence in held])
    roles_train = role_mentions(leave_out=HELD_OUT_TEMPLATES)
    roles_valid = role_mentions(templates=HELD_OUT_TEMPLATES)
    devtest = read_newsmtsc(args.data / "devtest_mt.jsonl")

    model = load_model()
    figures = []

    def measure(epoch: int) -> None:
        with torch.inference_mode():
            row = {"epoch": epoch,
                   "valid_news_macro_f1": round(evaluate(model, *news_valid)["macro_f1"], 4),
                   "valid_roles_right": sum(j.label == g for j, g in zip(model.predict(roles_valid[0]), roles_valid[1])),
                   "valid_roles": len(roles_valid[1])}
            row.update({"devtest_mt_macro_f1": round(evaluate(model, *devtest)["macro_f1"], 4),
                        "role_test": roles_judged_right(model)[0], "contrasts": contrasts_judged_right(model)[0]})
        figures.append(row)
        print(json.dumps(row), flush=True)
        if epoch and row["valid_news_macro_f1"] + row["valid_roles_right"] / row["valid_roles"] >= max(
                f["valid_news_macro_f1"] + f["valid_roles_right"] / f["valid_roles"] for f in figures[1:]):
            save(model, args.out, {"epoch": epoch, "learning_rate": args.learning_rate, "role_repeats": args.role_repeats,
                                   "held_out_templates": sorted(HELD_OUT_TEMPLATES)})

    measure(0)
    started = time.perf_counter()
    teach_roles(model, news_train, roles_train, epochs=args.epochs, learning_rate=args.learning_rate,
                role_repeats=args.role_repeats, after_epoch=measure)
    print(json.dumps({"train_minutes": round((time.perf_counter() - started) / 60, 1), "figures": figures}))


if __name__ == "__main__":
    main()
