#!/usr/bin/python3
"""peer_train.py - PyTorch training speed of hhsim's transformer (see
peer_model.py), to set beside `hhsim bench` in tests/bench/run_bench.sh.

usage: peer_train.py LAYERS DMODEL HEADS CTX BATCH VOCAB STEPS [THREADS]

One step is what a researcher would write: forward on a fixed random batch
(BATCH rows of CTX tokens), cross-entropy against the next tokens, zero_grad,
backward, torch.optim.AdamW (lr 1e-3, torch's defaults otherwise). After 3
warm-up steps, STEPS steps are timed one by one (time.perf_counter). Prints
one line:  params N tok_s MEDIAN tok_s_mean MEAN
(tokens per second over the median step and over all timed steps).
THREADS (default 1) sets torch's intra-op threads; the BLAS library's own
threads are set by the caller (OPENBLAS_NUM_THREADS).
"""
import sys
import time

import torch
import torch.nn.functional as F

from peer_model import GPT, median, n_params


def main():
    if len(sys.argv) not in (8, 9):
        sys.exit(__doc__)
    L, d, h, T, B, V, steps = map(int, sys.argv[1:8])
    torch.set_num_threads(int(sys.argv[8]) if len(sys.argv) == 9 else 1)
    torch.manual_seed(0)
    model = GPT(L, d, h, T, V)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    data = torch.randint(0, V, (B, T + 1), generator=torch.Generator().manual_seed(1))
    inp, tgt = data[:, :-1], data[:, 1:]

    def step():
        loss = F.cross_entropy(model(inp).reshape(-1, V), tgt.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(f"params {n_params(model)} tok_s {B * T / median(times):.0f} "
          f"tok_s_mean {B * T * len(times) / sum(times):.0f}")


main()
