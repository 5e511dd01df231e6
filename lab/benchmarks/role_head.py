"""Write the shipped English model with its head taught the written role sentences (lab/role_head.py)
to a new folder, and measure it on NewsMTSC's devtest_mt; copy head.safetensors into
stance/models/minilm-newsmtsc by hand to ship it (then refit its combination).

    .venv/bin/python lab/benchmarks/role_head.py --out /tmp/minilm-roles
"""

import argparse
import json
from pathlib import Path
import shutil
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lab.newsmtsc import read_newsmtsc  # noqa: E402
from lab.role_head import train_role_head  # noqa: E402
from lab.training import evaluate  # noqa: E402
from stance.model import DEFAULT_MODEL_DIR, HEAD_FILE, load_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR, help="the model whose head to teach")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/newsmtsc"))
    args = parser.parse_args()
    model = load_model(args.model)
    model.head = train_role_head(model, args.data / "train.jsonl")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("adapter.safetensors", "config.json"):
        shutil.copy(args.model / name, args.out / name)
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in model.head.state_dict().items()}, args.out / HEAD_FILE)
    mentions, labels = read_newsmtsc(args.data / "devtest_mt.jsonl")
    print(json.dumps(evaluate(model, mentions, labels)))


if __name__ == "__main__":
    main()
