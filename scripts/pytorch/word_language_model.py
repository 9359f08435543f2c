"""The PyTorch word-language-model example's model, batching and evaluation, written out
so that lmtool's figures can be set beside it (pytorch/examples, word_language_model:
model.py and main.py). Token ids come from lmtool itself (`lmtool tokenize --model DIR
--ids`), so both sides read exactly the same tokens.

Layout of the ids: one `<eos>` id (1 in lmtool's vocabulary) ends every line, as in the
example's Corpus.
"""
import json
import math
import os
import subprocess

import torch
import torch.nn as nn
import torch.nn.functional as F

CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn-tanh": "RNN_TANH", "rnn-relu": "RNN_RELU"}


class RNNModel(nn.Module):
    """Embedding -> dropout -> nn.LSTM/GRU/RNN -> dropout -> Linear, log-softmax output."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("tied weights need nhid == ninp")
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


def model_for_directory(model_dir):
    """An RNNModel shaped as lmtool's config.json says, with lmtool's model.safetensors
    loaded into it by parameter name (strict: every name and shape must match)."""
    from safetensors.torch import load_file

    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)["model"]
    if config.get("peephole"):
        raise ValueError("peephole LSTMs are an lmtool extension with no PyTorch counterpart")
    model = RNNModel(CELLS[config["cell"]], config["vocabularySize"], config["embeddingSize"],
                     config["hiddenSize"], config["layers"], config["dropout"], config["tieWeights"])
    state = load_file(os.path.join(model_dir, "model.safetensors"))
    model.load_state_dict(state, strict=True)
    return model


def lmtool_ids(lmtool, model_dir, text):
    """The token ids `model_dir`'s tokenizer and vocabulary give `text`, as lmtool scores them."""
    out = subprocess.run([lmtool, "tokenize", text, "--model", model_dir, "--ids"],
                         check=True, capture_output=True, text=True).stdout
    return torch.tensor([int(token) for token in out.split()], dtype=torch.long)


def batchify(data, bsz):
    """[N] -> [N // bsz, bsz]: bsz contiguous streams side by side, the remainder dropped."""
    nbatch = data.size(0) // bsz
    return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


def repackage_hidden(h):
    return h.detach() if isinstance(h, torch.Tensor) else tuple(repackage_hidden(v) for v in h)


def evaluate(model, data_source, bsz, bptt=35):
    """Mean cross-entropy in nats over `data_source` ([N // bsz, bsz]), state carried."""
    model.eval()
    total_loss = 0.0
    hidden = model.init_hidden(bsz)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i, bptt)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * F.nll_loss(output, targets, reduction="mean").item()
    return total_loss / (len(data_source) - 1)


def train_epoch(model, train_data, bsz, bptt, lr, clip):
    """One epoch of the example's train(): TBPTT windows, global-norm clipping, plain SGD."""
    model.train()
    hidden = model.init_hidden(bsz)
    for i in range(0, train_data.size(0) - 1, bptt):
        data, targets = get_batch(train_data, i, bptt)
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = F.nll_loss(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)


def perplexity(cross_entropy):
    return math.exp(cross_entropy)
