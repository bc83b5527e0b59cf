#!/usr/bin/python3
"""peer_sample.py - PyTorch KV-cache sampling speed of hhsim's transformer
(see peer_model.py), to set beside `hhsim bench` in tests/bench/run_bench.sh.

usage: peer_sample.py LAYERS DMODEL HEADS CTX BATCH VOCAB REPEATS [THREADS]

One generation, as a researcher would write it: under torch.no_grad(), BATCH
rows start from token 1 and are extended one token at a time to CTX tokens;
each step runs the newest token through the model with a per-layer cache of
keys and values (torch.cat along the sequence), takes softmax of the logits
(temperature 1) and draws the next token with torch.multinomial. After one
warm-up generation, REPEATS generations are timed one by one. Prints one
line:  params N tok_s MEDIAN tok_s_mean MEAN  (generated tokens per second).
THREADS (default 1) sets torch's intra-op threads; the BLAS library's own
threads are set by the caller (OPENBLAS_NUM_THREADS).
"""
import sys
import time

import torch

from peer_model import GPT, median, n_params


@torch.no_grad()
def generate(model, B, T, gen):
    pasts = [[None, None] for _ in model.blocks]
    tok = torch.ones(B, 1, dtype=torch.long)
    out = []
    for pos in range(T):
        logits = model(tok, pos, pasts)[:, -1]
        tok = torch.multinomial(logits.softmax(dim=-1), 1, generator=gen)
        out.append(tok)
    return torch.cat(out, dim=1)


def main():
    if len(sys.argv) not in (8, 9):
        sys.exit(__doc__)
    L, d, h, T, B, V, reps = map(int, sys.argv[1:8])
    torch.set_num_threads(int(sys.argv[8]) if len(sys.argv) == 9 else 1)
    torch.manual_seed(0)
    model = GPT(L, d, h, T, V).eval()
    gen = torch.Generator().manual_seed(1)
    generate(model, B, T, gen)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        generate(model, B, T, gen)
        times.append(time.perf_counter() - t0)
    print(f"params {n_params(model)} tok_s {B * T / median(times):.0f} "
          f"tok_s_mean {B * T * len(times) / sum(times):.0f}")


main()
