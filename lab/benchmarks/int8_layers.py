"""Which matrix products of a stance model's encoder to keep in float32 when the rest runs in
int8 (ONNX Runtime), searched layer by layer on a validation slice of NewsMTSC's train and then
measured once on devtest_mt:

    .venv/bin/python lab/benchmarks/int8_layers.py --model mpnet-newsmtsc --layers 12

1. every product in int8; then each layer's products in float32 alone: how much macro-F1 each
   layer's quantization costs on the validation slice;
2. the most sensitive layers kept in float32, one more at a time, until the validation macro-F1
   is within --tolerance of float32;
3. that choice measured on devtest_mt beside float32, and printed as the model config's
   `int8_keep_float`.
"""

import argparse
import json
from pathlib import Path
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lab.newsmtsc import read_newsmtsc  # noqa: E402
from lab.training import evaluate  # noqa: E402
from stance.model import load_model  # noqa: E402
from stance.quantized import OnnxInt8Encoder, export_onnx, quantize_onnx  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mpnet-newsmtsc")
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/newsmtsc"))
    parser.add_argument("--validation", type=int, default=1200, help="mentions from the end of train.jsonl")
    parser.add_argument("--tolerance", type=float, default=0.005)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    train_mentions, train_labels = read_newsmtsc(args.data / "train.jsonl")
    val_mentions, val_labels = train_mentions[-args.validation:], train_labels[-args.validation:]
    dev_mentions, dev_labels = read_newsmtsc(args.data / "devtest_mt.jsonl")
    model = load_model(args.model)
    torch_encoder = model.encoder.model
    float_val = evaluate(model, val_mentions, val_labels)["macro_f1"]
    print(json.dumps({"float32 validation": float_val}), flush=True)

    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "encoder.onnx"
        export_onnx(torch_encoder, model.encoder.tokenizer, plain)

        def measured(keep: tuple[str, ...], mentions, labels) -> float:
            target = Path(scratch) / "int8.onnx"
            quantize_onnx(plain, target, keep)
            model.encoder.model = OnnxInt8Encoder(target, torch_encoder.config, args.threads)
            try:
                return evaluate(model, mentions, labels)["macro_f1"]
            finally:
                model.encoder.model = torch_encoder

        started = time.time()
        all_int8 = measured((), val_mentions, val_labels)
        print(json.dumps({"all int8 validation": all_int8}), flush=True)
        gains = {}
        for layer in range(args.layers):
            gains[layer] = measured((f"/layer.{layer}/",), val_mentions, val_labels) - all_int8
            print(json.dumps({"layer in float32": layer, "validation gain": round(gains[layer], 4),
                              "seconds": round(time.time() - started)}), flush=True)
        keep: tuple[str, ...] = ()
        score = all_int8
        for layer in sorted(gains, key=gains.get, reverse=True):
            if score >= float_val - args.tolerance:
                break
            keep = (*keep, f"/layer.{layer}/")
            score = measured(keep, val_mentions, val_labels)
            print(json.dumps({"keep": keep, "validation": score}), flush=True)
        result = {"int8_keep_float": list(keep), "validation": {"float32": float_val, "int8": score},
                  "devtest_mt": {"float32": evaluate(model, dev_mentions, dev_labels)["macro_f1"],
                                 "int8": measured(keep, dev_mentions, dev_labels),
                                 "int8, every product": measured((), dev_mentions, dev_labels)}}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
