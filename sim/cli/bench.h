// bench.h - training and generation speed of the transformer, per scale.
//
// Scales (ctx 64, batch 32, vocab 64): xs (1 layer, d 16, 2 heads),
// s (2, 32, 4), m (2, 64, 4), l (4, 128, 4), xl (6, 192, 6). For each:
//   train tok/s  one full step (forward, LM loss, backward, AdamW) on a fixed
//                random batch of 32 rows, run as pretraining runs it
//                (gpt_lm_grad: the batch's gradient accumulated over
//                micro-batches of micro_B rows, then one AdamW update);
//                3 warm-up steps, then the median of at least
//                `steps` individually timed steps (CLOCK_MONOTONIC) and
//                at least 1 s of them
//   GFLOP/s      the model FLOP rate 6 x params x train tok/s
//   %SGEMM       that rate over the machine's single-core SGEMM rate
//   gen tok/s    KV-cache sampling of 32 rows over the full context
//                (gpt_step, then gpt_sample at temperature 1, no top-k,
//                per row), 1 warm-up run, then the median of at least 5
//                timed runs and at least 1 s of them
//   GFLOP/s, %SGEMM  its model FLOP rate 2 x params x gen tok/s and that
//                over the SGEMM rate
// and the SGEMM rate itself: square n = 512 and 1024, median of 5.
// bench_run sets the OpenBLAS thread count to `threads` (the only place in
// hhsim that does) and prints one table to out; the scale rows start with
// the scale name so scripts can parse them (tests/bench/run_bench.sh).
#ifndef HHSIM_BENCH_H
#define HHSIM_BENCH_H

#include <stdio.h>

#include "hherr.h"

typedef struct {
    const char *name;  // "xs"
    int n_layer, d_model, n_head;
    long params;
    double train_tok_s, gflops, gen_tok_s, gen_gflops;
} BenchResult;

// bench_sgemm: median single-call SGEMM rate in GFLOP/s for square n.
double bench_sgemm(int n, int reps);

// bench_scale: measure one configuration (ctx 64, batch 32, vocab 64).
int bench_scale(BenchResult *res, int steps, HHErr *err);

// bench_run: the table; threads >= 1, steps >= 1 (e.g. 1, 20); scales a
// comma-separated subset of "xs,s,m,l,xl" (NULL: all; an unknown name is
// refused with HH_EINPUT). ppo != 0 prints instead the time of one PPO
// iteration (ppo_iterate: a fresh policy against a fresh PM of the same
// scale, ppo.h's defaults, 64 prompts of 8..32 random tokens) split into
// rollout (sampling), score+kl (policy and reference forwards, log-probs,
// exact KL), pm (the PM scoring the responses) and update, with each
// phase's share, and beside it the update as it was before micro-batching
// (PPO.micro = minibatch: one forward/backward per minibatch) and the
// speedup (ratio of the medians); two PPOs, one per update path, take turns
// iteration by iteration; medians of at least 3 iterations and 1 s after a
// warm-up, per scale.
int bench_run(FILE *out, int threads, int steps, const char *scales, int ppo,
              HHErr *err);

#endif
