#!/usr/bin/env python3
"""lmtool against PyTorch on the same models, side by side in one invocation.

For each configuration (the rows of issue 6's table by default) this runs
`lmtool bench --json` and the same measurement in PyTorch, each in its own process so
that peak resident memory is per model, and prints tokens/s for training (forward,
backward, clipping, SGD on batch x bptt windows of synthetic ids), evaluation
(--eval-batch streams) and generation (batch 1, one token at a time, sampled), peak RSS,
and the ratios lmtool / PyTorch; also lmtool's mixed-precision training (`lmtool train
--bf16`) and its evaluation and generation in bfloat16 (`lmtool eval --bf16`, `lmtool
generate --bf16`), with their ratios to PyTorch's Float32 figures. Medians of --repeats
timed runs after a warm-up, as
`lmtool bench` does. On a noisy machine, --rounds N measures every configuration N times,
alternating lmtool and PyTorch, and reports the median of each figure over the rounds,
so that a slow spell of the machine does not fall on one side only.

    python3 scripts/pytorch/bench.py [--lmtool .build/release/lmtool] [--threads 2] [--only NAME ...] [--json OUT]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CONFIGS = {
    "lstm-2x200-10k": dict(cell="lstm", hidden=200, embed=200, vocab=10000, batch=20, bptt=35, eval_batch=10),
    "lstm-2x650-10k": dict(cell="lstm", hidden=650, embed=650, vocab=10000, batch=20, bptt=35, eval_batch=10),
    "gru-2x650-10k": dict(cell="gru", hidden=650, embed=650, vocab=10000, batch=20, bptt=35, eval_batch=10),
    "rnn-tanh-2x650-10k": dict(cell="rnn-tanh", hidden=650, embed=650, vocab=10000, batch=20, bptt=35, eval_batch=10),
    "lstm-2x650-33k": dict(cell="lstm", hidden=650, embed=650, vocab=33278, batch=20, bptt=35, eval_batch=10),
    "char-lstm-2x512": dict(cell="lstm", hidden=512, embed=512, vocab=65, batch=50, bptt=50, eval_batch=50),
}


def torch_measure(config, threads, repeats, windows, generate_tokens):
    """Runs in a child process: tokens/s of train, eval, generate and peak RSS in MB."""
    import torch
    import torch.nn as nn

    from word_language_model import CELLS, RNNModel, repackage_hidden

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    vocab = config["vocab"]
    model = RNNModel(CELLS[config["cell"]], vocab, config["embed"], config["hidden"], 2, dropout=0.2)
    loss_function = nn.NLLLoss()
    batch, bptt, eval_batch = config["batch"], config["bptt"], config["eval_batch"]

    def train_run():
        model.train()
        state = model.init_hidden(batch)
        for _ in range(windows):
            ids = torch.randint(0, vocab, (bptt, batch))
            targets = torch.randint(0, vocab, (bptt * batch,))
            state = repackage_hidden(state)
            model.zero_grad()
            log_probs, state = model(ids, state)
            loss_function(log_probs, targets).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(p.grad, alpha=-1.0)

    def eval_run():
        model.eval()
        state = model.init_hidden(eval_batch)
        with torch.no_grad():
            for _ in range(windows):
                ids = torch.randint(0, vocab, (bptt, eval_batch))
                targets = torch.randint(0, vocab, (bptt * eval_batch,))
                log_probs, state = model(ids, state)
                loss_function(log_probs, targets)

    def generate_run():
        model.eval()
        state = model.init_hidden(1)
        token = torch.zeros(1, 1, dtype=torch.long)
        with torch.no_grad():
            for _ in range(generate_tokens):
                log_probs, state = model(token, state)
                token = torch.multinomial(log_probs.exp(), 1).view(1, 1)

    def rate(run, tokens):
        run()
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            rates.append(tokens / (time.perf_counter() - start))
        return statistics.median(rates)

    return {
        "train_tokens_per_s": rate(train_run, windows * bptt * batch),
        "eval_tokens_per_s": rate(eval_run, windows * bptt * eval_batch),
        "generate_tokens_per_s": rate(generate_run, generate_tokens),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__,
    }


def lmtool_measure(lmtool, config, threads, repeats, windows, generate_tokens):
    command = [
        lmtool, "bench", "--json", "--cell", config["cell"], "--layers", "2", "--embed", str(config["embed"]),
        "--hidden", str(config["hidden"]), "--vocab", str(config["vocab"]), "--batch", str(config["batch"]),
        "--bptt", str(config["bptt"]), "--eval-batch", str(config["eval_batch"]), "--threads", str(threads),
        "--repeats", str(repeats), "--windows", str(windows), "--generate-tokens", str(generate_tokens),
    ]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lmtool", default=".build/release/lmtool")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--windows", type=int, default=10)
    parser.add_argument("--generate-tokens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", nargs="*", choices=sorted(CONFIGS), help="configurations to run (default: all)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--markdown", help="also write the table, as BENCHMARKS.md shows it, to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = torch_measure(CONFIGS[args.child], args.threads, args.repeats, args.windows, args.generate_tokens)
        print(json.dumps(result))
        return

    rows = []
    keys = ["train_tokens_per_s", "eval_tokens_per_s", "generate_tokens_per_s", "peak_rss_mb"]
    # lmtool in bfloat16 (--bf16) against PyTorch's default (Float32).
    bf16 = {"train_bf16_tokens_per_s": "train_tokens_per_s", "eval_bf16_tokens_per_s": "eval_tokens_per_s",
            "generate_bf16_tokens_per_s": "generate_tokens_per_s"}
    print(f"{'model':22} {'':8} {'train':>9} {'eval':>9} {'generate':>9} {'RSS MB':>9} "
          f"{'train bf16':>10} {'eval bf16':>9} {'gen bf16':>9}")
    for name in args.only or CONFIGS:
        config = CONFIGS[name]
        child = [sys.executable, os.path.abspath(__file__), "--child", name, "--threads", str(args.threads),
                 "--repeats", str(args.repeats), "--windows", str(args.windows),
                 "--generate-tokens", str(args.generate_tokens)]
        our_rounds, their_rounds = [], []
        for _ in range(args.rounds):
            our_rounds.append(lmtool_measure(args.lmtool, config, args.threads, args.repeats, args.windows,
                                             args.generate_tokens))
            their_rounds.append(json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout))
        ours, theirs = median_over_rounds(our_rounds, keys + list(bf16)), median_over_rounds(their_rounds, keys)
        ratios = {key: ours[key] / theirs[key] for key in keys}
        ratios.update({key: ours[key] / theirs[float_key] for key, float_key in bf16.items()})
        for label, figures in (("lmtool", ours), ("pytorch", theirs), ("ratio", ratios)):
            digits = ".2f" if label == "ratio" else ".0f"
            extra = "".join(f" {figures[key]:>{10 if key.startswith('train') else 9}{digits}}"
                            for key in bf16 if key in figures)
            print(f"{name if label == 'lmtool' else '':22} {label:8} " + " ".join(f"{figures[k]:>9{digits}}" for k in keys) + extra)
        rows.append({"name": name, "config": config, "lmtool": ours, "pytorch": theirs, "ratio": ratios})
    print(f"lmtool BLAS kernel: {rows[0]['lmtool']['blas_core']} ({rows[0]['lmtool']['blas_reason']}), "
          f"{args.threads} threads, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "rounds": args.rounds, "rows": rows}, f, indent=2)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown_table(rows))


def median_over_rounds(rounds, keys):
    """The first round's record with each of `keys` replaced by its median over all rounds."""
    merged = dict(rounds[0])
    for key in keys:
        merged[key] = statistics.median(figures[key] for figures in rounds)
    return merged


def markdown_table(rows):
    """lmtool, PyTorch and their ratio per model, tokens/s and peak RSS, as a Markdown table."""
    lines = [
        "| model | train lmtool | train PyTorch | ratio | eval lmtool | eval PyTorch | ratio "
        "| generate lmtool | generate PyTorch | ratio | RSS MB lmtool | RSS MB PyTorch | ratio "
        "| train lmtool --bf16 | ratio to PyTorch | eval lmtool --bf16 | ratio to PyTorch "
        "| generate lmtool --bf16 | ratio to PyTorch |",
        "|---|" + "---:|" * 18,
    ]
    for row in rows:
        cells = []
        for key in ["train_tokens_per_s", "eval_tokens_per_s", "generate_tokens_per_s", "peak_rss_mb"]:
            cells += [f"{row['lmtool'][key]:,.0f}", f"{row['pytorch'][key]:,.0f}", f"**{row['ratio'][key]:.2f}**"]
        for key in ["train_bf16_tokens_per_s", "eval_bf16_tokens_per_s", "generate_bf16_tokens_per_s"]:
            cells += [f"{row['lmtool'][key]:,.0f}", f"**{row['ratio'][key]:.2f}**"]
        lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
