"""peer_model.py - hhsim's transformer written the way a researcher would in
PyTorch, for the speed comparisons of tests/bench/run_bench.sh (the peers
peer_train.py and peer_sample.py import it).

The architecture is sim/gpt.h's: token embedding plus learned position
embedding; n_layer pre-LayerNorm blocks, each
    x = x + attn_proj(causal multi-head attention(ln_1(x)))   (one qkv Linear)
    x = x + mlp_proj(gelu_tanh(mlp_fc(ln_2(x))))              (hidden 4 C)
then a final LayerNorm and logits = h @ wte^T (LM head tied to the token
embedding). Linear layers carry biases; no dropout.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, d_model, n_head):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def heads(self, t):
        # (B, T, C) -> (B, n_head, T, C / n_head)
        B, T, C = t.shape
        return t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)

    def forward(self, x, past=None):
        """x (B, T, C). past: None (training: causal mask over T) or a list
        [keys, values] of the earlier positions, (B, n_head, t, hs) or None
        before the first step; it is replaced by the keys and values with
        x's positions appended (incremental decoding, T = 1)."""
        B, T, C = x.shape
        q, k, v = (self.heads(t) for t in self.qkv(x).split(C, dim=2))
        if past is not None:
            if past[0] is not None:
                k = torch.cat((past[0], k), dim=2)
                v = torch.cat((past[1], v), dim=2)
            past[0], past[1] = k, v
        scores = q @ k.transpose(-2, -1) / math.sqrt(C // self.n_head)
        if past is None:
            causal = torch.ones(T, T, dtype=torch.bool).tril()
            scores = scores.masked_fill(~causal, float("-inf"))
        y = scores.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self, d_model, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = Attention(d_model, n_head)
        self.ln_2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.fc_proj = nn.Linear(4 * d_model, d_model)

    def forward(self, x, past=None):
        x = x + self.attn(self.ln_1(x), past)
        return x + self.fc_proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, n_layer, d_model, n_head, ctx, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, d_model)
        self.wpe = nn.Embedding(ctx, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d_model)

    def forward(self, idx, start=0, pasts=None):
        """idx (B, T) tokens at positions start .. start + T - 1; pasts: one
        [keys, values] list per block for incremental decoding, or None.
        Returns logits (B, T, vocab)."""
        pos = torch.arange(start, start + idx.shape[1])
        x = self.wte(idx) + self.wpe(pos)
        for i, block in enumerate(self.blocks):
            x = block(x, None if pasts is None else pasts[i])
        return self.ln_f(x) @ self.wte.weight.t()


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
