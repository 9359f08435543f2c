#!/usr/bin/env python3
"""Reference values for lmtool's PyTorch parity tests (Tests/ParityTests).

For each cell type (LSTM, GRU, RNN-tanh, RNN-ReLU), 2 layers, this builds the PyTorch
word-language-model example's RNNModel (encoder -> rnn -> decoder, dropout 0), with fixed
random weights, a random non-zero initial state, random inputs and targets, and saves to
Tests/ParityTests/Fixtures/<cell>.safetensors:

  every parameter under its PyTorch name, input.ids / input.targets ([T, B], as F32),
  input.h0 (and input.c0) [L, B, H], output.logits [T*B, V], output.loss [1] (mean
  cross-entropy), output.hN (and output.cN), grad.<name> for every parameter.

It also writes bidirectional-<cell>.safetensors for LSTM and GRU: one
`bidirectional=True` layer alone (input size EMBED), with a random input x [T, B, EMBED],
a random initial state, and the loss sum(w * output) for a random w [T, B, 2H]: the
parameters (PyTorch names, `_reverse` for the second direction), input.x, input.w,
input.h0 (input.c0) [2, B, H], output.y [T, B, 2H], output.hN (output.cN), grad.<name>
and grad.x.

The model runs in float64 and the results are rounded to float32, so the reference is
exact to float32 precision. Run once; CI does not need torch:

  pip install torch safetensors && python3 scripts/pytorch/make_parity_fixtures.py
"""
import pathlib

import torch
from safetensors.torch import save_file

VOCAB, EMBED, HIDDEN, LAYERS, STEPS, BATCH = 11, 6, 7, 2, 5, 3
CELLS = {"lstm": ("LSTM", {}), "gru": ("GRU", {}), "rnn-tanh": ("RNN", {"nonlinearity": "tanh"}),
         "rnn-relu": ("RNN", {"nonlinearity": "relu"})}


class RNNModel(torch.nn.Module):
    """The example's model without dropout or tying."""

    def __init__(self, kind, extra):
        super().__init__()
        self.encoder = torch.nn.Embedding(VOCAB, EMBED)
        self.rnn = getattr(torch.nn, kind)(EMBED, HIDDEN, LAYERS, **extra)
        self.decoder = torch.nn.Linear(HIDDEN, VOCAB)

    def forward(self, ids, hidden):
        output, hidden = self.rnn(self.encoder(ids), hidden)
        return self.decoder(output).view(-1, VOCAB), hidden


def main():
    out = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "ParityTests" / "Fixtures"
    out.mkdir(parents=True, exist_ok=True)
    for seed, (name, (kind, extra)) in enumerate(CELLS.items()):
        torch.manual_seed(1000 + seed)
        model = RNNModel(kind, extra).double()
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.uniform_(-0.5, 0.5)
        ids = torch.randint(0, VOCAB, (STEPS, BATCH))
        targets = torch.randint(0, VOCAB, (STEPS, BATCH))
        h0 = torch.empty(LAYERS, BATCH, HIDDEN, dtype=torch.float64).uniform_(-0.5, 0.5)
        c0 = torch.empty(LAYERS, BATCH, HIDDEN, dtype=torch.float64).uniform_(-0.5, 0.5)
        state = (h0, c0) if kind == "LSTM" else h0
        logits, final = model(ids, state)
        loss = torch.nn.functional.cross_entropy(logits, targets.view(-1))
        loss.backward()
        tensors = {n: p.detach() for n, p in model.named_parameters()}
        tensors.update({f"grad.{n}": p.grad for n, p in model.named_parameters()})
        tensors.update({"input.ids": ids.double(), "input.targets": targets.double(), "input.h0": h0,
                        "output.logits": logits.detach(), "output.loss": loss.detach().reshape(1)})
        if kind == "LSTM":
            tensors.update({"input.c0": c0, "output.hN": final[0].detach(), "output.cN": final[1].detach()})
        else:
            tensors["output.hN"] = final.detach()
        tensors = {k: v.float().contiguous() for k, v in tensors.items()}
        save_file(tensors, str(out / f"{name}.safetensors"),
                  metadata={"cell": name, "torch": torch.__version__,
                            "sizes": f"V={VOCAB} E={EMBED} H={HIDDEN} L={LAYERS} T={STEPS} B={BATCH}"})
        print(f"{name}: loss {loss.item():.6f}")
    for seed, name in enumerate(["lstm", "gru"]):
        save_bidirectional(out, name, seed)


def save_bidirectional(out, name, seed):
    """One bidirectional layer: outputs, final states and gradients of sum(w * output)."""
    kind = CELLS[name][0]
    torch.manual_seed(2000 + seed)
    layer = getattr(torch.nn, kind)(EMBED, HIDDEN, 1, bidirectional=True).double()
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.uniform_(-0.5, 0.5)
    x = torch.empty(STEPS, BATCH, EMBED, dtype=torch.float64).uniform_(-1, 1).requires_grad_()
    w = torch.empty(STEPS, BATCH, 2 * HIDDEN, dtype=torch.float64).uniform_(-1, 1)
    h0 = torch.empty(2, BATCH, HIDDEN, dtype=torch.float64).uniform_(-0.5, 0.5)
    c0 = torch.empty(2, BATCH, HIDDEN, dtype=torch.float64).uniform_(-0.5, 0.5)
    y, final = layer(x, (h0, c0) if kind == "LSTM" else h0)
    (w * y).sum().backward()
    tensors = {f"rnn.{n}": p.detach() for n, p in layer.named_parameters()}
    tensors.update({f"grad.rnn.{n}": p.grad for n, p in layer.named_parameters()})
    tensors.update({"input.x": x.detach(), "input.w": w, "input.h0": h0, "output.y": y.detach(), "grad.x": x.grad})
    if kind == "LSTM":
        tensors.update({"input.c0": c0, "output.hN": final[0].detach(), "output.cN": final[1].detach()})
    else:
        tensors["output.hN"] = final.detach()
    tensors = {k: v.float().contiguous() for k, v in tensors.items()}
    save_file(tensors, str(out / f"bidirectional-{name}.safetensors"),
              metadata={"cell": name, "torch": torch.__version__, "sizes": f"In={EMBED} H={HIDDEN} T={STEPS} B={BATCH}"})
    print(f"bidirectional-{name}: output sum {y.sum().item():.6f}")


if __name__ == "__main__":
    main()
