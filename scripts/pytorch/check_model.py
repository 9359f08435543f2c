#!/usr/bin/env python3
"""Loads an lmtool model directory into the PyTorch example's model and checks that both
score a text alike.

For each MODEL_DIR: reads `model.safetensors` with the `safetensors` package into
RNNModel (strict: every PyTorch parameter name and shape must be there, nothing else),
takes the ids lmtool sees for TEXT (`lmtool tokenize --model DIR --ids`), evaluates them
with the example's evaluate() in one stream and in 10 streams, and compares each with
`lmtool eval --batch 1|10 --json`. Fails (exit 1) when a perplexity differs by more than
--tolerance relative.

    python3 scripts/pytorch/check_model.py TEXT MODEL_DIR [MODEL_DIR ...] [--lmtool PATH]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from word_language_model import batchify, evaluate, lmtool_ids, model_for_directory, perplexity  # noqa: E402


def lmtool_perplexity(lmtool, model_dir, text, batch):
    out = subprocess.run([lmtool, "eval", text, "--model", model_dir, "--batch", str(batch), "--json", "--threads", "1"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["perplexity"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("text")
    parser.add_argument("models", nargs="+")
    parser.add_argument("--lmtool", default=".build/release/lmtool")
    parser.add_argument("--tolerance", type=float, default=1e-3)
    args = parser.parse_args()
    torch.set_num_threads(1)

    worst = 0.0
    for model_dir in args.models:
        model = model_for_directory(model_dir)
        ids = lmtool_ids(args.lmtool, model_dir, args.text)
        for batch in (1, 10):
            theirs = perplexity(evaluate(model, batchify(ids, batch), batch))
            ours = lmtool_perplexity(args.lmtool, model_dir, args.text, batch)
            relative = abs(ours - theirs) / theirs
            worst = max(worst, relative)
            print(f"{model_dir}: batch {batch:2}: lmtool {ours:.6f}  pytorch {theirs:.6f}  relative difference {relative:.2e}")
    if worst > args.tolerance:
        print(f"check_model: FAILED, largest relative difference {worst:.2e} > {args.tolerance:g}", file=sys.stderr)
        sys.exit(1)
    print(f"check_model: {len(args.models)} model(s) load into PyTorch's example model and score alike "
          f"(largest relative difference {worst:.2e}, tolerance {args.tolerance:g})")


if __name__ == "__main__":
    main()
