#!/usr/bin/env python3
"""Same recipe, same result: lmtool and the PyTorch word-language-model example trained
with the example's defaults on the same tokens, test perplexities side by side.

The recipe: 2-layer LSTM, 200 units, embedding 200, dropout 0.2, SGD at lr 20 divided by
4 whenever validation loss does not improve, global-norm clip 0.25, batch 20, bptt 35,
seed 1111, --epochs (6) epochs, best-validation weights scored on the test split in 10
streams (the example's eval_batch_size). Two runs of the recipe differ by their random
initialisation and dropout masks alone, so PyTorch trains once per --pytorch-seeds seed
(default 1111 only) and lmtool is compared with their mean; the spread between seeds is
printed beside it, as the yardstick for the difference. lmtool trains first with `--tokenizer
whitespace`; the token ids it sees (`lmtool tokenize --model DIR --ids`) are then fed to
PyTorch, so both read identical tokens. (The example builds its vocabulary from all three
splits; lmtool from the training split only, unseen words becoming <unk>: that is why
the ids come from lmtool.) Exit 1 when lmtool's test perplexity differs from PyTorch's
mean by more than --tolerance (3%) relative. --lmtool-model DIR reuses a model this
script trained before (its path is printed) instead of training lmtool again.

    python3 scripts/pytorch/compare_recipe.py [--corpus corpora/tinyshakespeare] [--epochs 6] [--threads 2]
        [--pytorch-seeds 1111 1 2] [--lmtool-model DIR]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from word_language_model import (RNNModel, batchify, evaluate, lmtool_ids, model_for_directory,  # noqa: E402
                                 perplexity, train_epoch)

EVAL_BATCH = 10


def score_lmtool(args, model_dir):
    out = subprocess.run([args.lmtool, "eval", os.path.join(args.corpus, "test.txt"), "--model", model_dir,
                          "--batch", str(EVAL_BATCH), "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["perplexity"]


def train_lmtool(args, model_dir):
    command = [args.lmtool, "train", os.path.join(args.corpus, "train.txt"),
               "--valid", os.path.join(args.corpus, "valid.txt"), "--tokenizer", "whitespace",
               "--epochs", str(args.epochs), "--seed", "1111", "--threads", str(args.threads),
               "--out", model_dir, "--overwrite", "--log-every", "1000000"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def train_pytorch(args, ids, vocabulary_size, seed):
    torch.manual_seed(seed)
    torch.set_num_threads(args.threads)
    train_data = batchify(ids["train"], 20)
    valid_data = batchify(ids["valid"], EVAL_BATCH)
    test_data = batchify(ids["test"], EVAL_BATCH)
    model = RNNModel("LSTM", vocabulary_size, 200, 200, 2, dropout=0.2)
    lr, best_valid, best_state = 20.0, None, None
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train_epoch(model, train_data, 20, 35, lr, 0.25)
        valid_loss = evaluate(model, valid_data, EVAL_BATCH)
        print(f"  pytorch seed {seed} epoch {epoch}: valid perplexity {perplexity(valid_loss):.2f}, lr {lr:g}", flush=True)
        if best_valid is None or valid_loss < best_valid:
            best_valid = valid_loss
            best_state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
        else:
            lr /= 4.0
    seconds = time.perf_counter() - start
    model.load_state_dict(best_state)
    return perplexity(evaluate(model, test_data, EVAL_BATCH)), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="corpora/tinyshakespeare")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lmtool", default=".build/release/lmtool")
    parser.add_argument("--tolerance", type=float, default=0.03)
    parser.add_argument("--pytorch-seeds", type=int, nargs="+", default=[1111])
    parser.add_argument("--lmtool-model", help="a model directory this script trained before")
    args = parser.parse_args()

    if args.lmtool_model:
        model_dir, our_seconds = args.lmtool_model, None
    else:
        model_dir = os.path.join(tempfile.mkdtemp(), "recipe")
        print(f"lmtool: training {args.epochs} epochs into {model_dir}", flush=True)
        our_seconds = train_lmtool(args, model_dir)
    ours = score_lmtool(args, model_dir)
    ids = {split: lmtool_ids(args.lmtool, model_dir, os.path.join(args.corpus, f"{split}.txt"))
           for split in ("train", "valid", "test")}
    with open(os.path.join(model_dir, "config.json")) as f:
        vocabulary_size = json.load(f)["vocabularySize"]
    print(f"pytorch {torch.__version__}: the same recipe on lmtool's {len(ids['train'])} training ids, "
          f"vocabulary {vocabulary_size}", flush=True)
    runs = [train_pytorch(args, ids, vocabulary_size, seed) for seed in args.pytorch_seeds]
    theirs = statistics.mean(figure for figure, _ in runs)
    # The cross-check: lmtool's trained weights scored by PyTorch's evaluate().
    ours_in_pytorch = perplexity(evaluate(model_for_directory(model_dir), batchify(ids["test"], EVAL_BATCH), EVAL_BATCH))

    for seed, (figure, seconds) in zip(args.pytorch_seeds, runs):
        print(f"pytorch seed {seed}: test perplexity {figure:.2f} ({seconds:.0f} s)")
    spread = (max(p for p, _ in runs) - min(p for p, _ in runs)) / theirs
    relative = (ours - theirs) / theirs
    timing = f" ({our_seconds:.0f} s)" if our_seconds is not None else ""
    seeds = f"mean of {len(runs)} seeds {theirs:.2f} (spread {spread:.2%})" if len(runs) > 1 else f"{theirs:.2f}"
    print(f"test perplexity, {args.epochs} epochs: lmtool {ours:.2f}{timing}, pytorch {seeds}, "
          f"lmtool/pytorch - 1 = {relative:+.2%}; "
          f"lmtool's weights scored by pytorch: {ours_in_pytorch:.2f}")
    if abs(relative) > args.tolerance:
        print(f"compare_recipe: FAILED, {abs(relative):.2%} > {args.tolerance:.0%}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
