#!/usr/bin/env python3
"""Reference values for lmtool's adaptive-softmax parity test (Tests/ParityTests).

Builds the PyTorch word-language-model example's RNNModel (encoder -> 2-layer LSTM, dropout
0) with torch.nn.AdaptiveLogSoftmaxWithLoss as its decoder (div_value 4, head_bias False:
PyTorch's defaults), with fixed random weights, a random non-zero initial state and
random inputs and targets reaching the head and every tail cluster, and saves to
Tests/ParityTests/Fixtures/adaptive-softmax.safetensors:

  every parameter under its PyTorch name (decoder.head.weight, decoder.tail.<i>.0.weight,
  decoder.tail.<i>.1.weight, ...), input.ids / input.targets ([T, B], as F32), input.h0 /
  input.c0 [L, B, H], output.log_probs [T*B, V] (log_prob of every token),
  output.loss [1] (the module's mean loss), output.hidden [T*B, H] (the decoder's input),
  grad.hidden [T*B, H] (the loss's gradient with respect to it), grad.<name> for every
  parameter.

The model runs in float64 and the results are rounded to float32, so the reference is
exact to float32 precision. Run once; CI does not need torch:

  pip install torch safetensors && python3 scripts/pytorch/make_adaptive_softmax_fixture.py
"""
import pathlib

import torch
from safetensors.torch import save_file

VOCAB, EMBED, HIDDEN, LAYERS, STEPS, BATCH = 23, 6, 16, 2, 5, 3
CUTOFFS = [5, 12]  # head: ids 0-4 and 2 clusters; tails 5-11 (4 units), 12-22 (1 unit)


class AdaptiveModel(torch.nn.Module):
    """The example's model without dropout, the adaptive softmax as its decoder."""

    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Embedding(VOCAB, EMBED)
        self.rnn = torch.nn.LSTM(EMBED, HIDDEN, LAYERS)
        self.decoder = torch.nn.AdaptiveLogSoftmaxWithLoss(HIDDEN, VOCAB, CUTOFFS)

    def forward(self, ids, hidden):
        output, hidden = self.rnn(self.encoder(ids), hidden)
        return output.view(-1, HIDDEN), hidden


def main():
    out = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "ParityTests" / "Fixtures"
    torch.manual_seed(3000)
    model = AdaptiveModel().double()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.uniform_(-0.5, 0.5)
    ids = torch.randint(0, VOCAB, (STEPS, BATCH))
    targets = torch.randint(0, VOCAB, (STEPS, BATCH))
    targets.view(-1)[:3] = torch.tensor([1, 8, 20])  # the head and both clusters, whatever the draw
    h0 = torch.empty(LAYERS, BATCH, HIDDEN, dtype=torch.float64).uniform_(-0.5, 0.5)
    c0 = torch.empty(LAYERS, BATCH, HIDDEN, dtype=torch.float64).uniform_(-0.5, 0.5)
    hidden, _ = model(ids, (h0, c0))
    hidden.retain_grad()
    _, loss = model.decoder(hidden, targets.view(-1))
    loss.backward()
    log_probs = model.decoder.log_prob(hidden.detach())
    tensors = {n: p.detach() for n, p in model.named_parameters()}
    tensors.update({f"grad.{n}": p.grad for n, p in model.named_parameters()})
    tensors.update({"input.ids": ids.double(), "input.targets": targets.double(), "input.h0": h0, "input.c0": c0,
                    "output.log_probs": log_probs, "output.loss": loss.detach().reshape(1),
                    "output.hidden": hidden.detach(), "grad.hidden": hidden.grad})
    tensors = {k: v.float().contiguous() for k, v in tensors.items()}
    save_file(tensors, str(out / "adaptive-softmax.safetensors"),
              metadata={"torch": torch.__version__, "cutoffs": ",".join(map(str, CUTOFFS)), "div_value": "4",
                        "sizes": f"V={VOCAB} E={EMBED} H={HIDDEN} L={LAYERS} T={STEPS} B={BATCH}"})
    print(f"adaptive-softmax: loss {loss.item():.6f}, parameters {[n for n, _ in model.named_parameters()]}")


if __name__ == "__main__":
    main()
