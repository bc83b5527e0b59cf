// adamw.h - AdamW over a flat parameter buffer (llm.c style).
//
// The moments m, v have the layout of the parameters, so one loop updates
// everything. Weight decay is decoupled (Loshchilov & Hutter) and applied only
// where a decay mask is 1 (gpt_decay_mask: the 2-D weight matrices):
//
//     t  = step + 1
//     m  = b1 m + (1 - b1) g
//     v  = b2 v + (1 - b2) g^2
//     p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + lr wd p [mask]
//
// The whole optimizer state is (m, v, step): save those three and restore
// them (adamw_load_state) and a resumed run is bit-identical to an
// uninterrupted one, provided the learning rate is a function of the step.
// Every loop is sequential: deterministic. The update runs 8 elements at a
// time on AVX2 CPUs, each element by the same float operations in the same
// order as the scalar loop (the same bits).
#ifndef HHSIM_ADAMW_H
#define HHSIM_ADAMW_H

#include <stddef.h>

#include "hherr.h"

typedef struct {
    float beta1;         // 0.9
    float beta2;         // 0.95
    float eps;           // 1e-8
    float weight_decay;  // 0.1
} AdamWConfig;

typedef struct {
    size_t n;    // number of parameters
    float *m;    // (n) first moment
    float *v;    // (n) second moment
    long step;   // updates done so far
} AdamW;

// adamw_alloc: zeroed state for n parameters. NULL with err on failure.
AdamW *adamw_alloc(size_t n, HHErr *err);
void adamw_free(AdamW *opt);  // NULL ok
void adamw_reset(AdamW *opt);  // m = v = 0, step = 0

// adamw_load_state: copy m (n), v (n) and step into opt (a resume).
void adamw_load_state(AdamW *opt, const float *m, const float *v, long step);

// adamw_update: one step on params (n) with grads (n); decay (n) or NULL
// (NULL: decay everything).
void adamw_update(AdamW *opt, float *params, const float *grads,
                  const unsigned char *decay, float lr, const AdamWConfig *cfg);

// adamw_scalar_only: on != 0 makes adamw_update take its one-element-at-a-
// time loop instead of the 8-lane (AVX2) one, which gives the same bits (the
// tests compare them); returns the previous setting.
int adamw_scalar_only(int on);

// adamw_grad_norm: the global L2 norm of grads (n), summed in double in order.
double adamw_grad_norm(const float *grads, size_t n);

// adamw_clip: scale grads so their global norm is at most max_norm (> 0);
// returns the norm before clipping.
double adamw_clip(float *grads, size_t n, double max_norm);

// adamw_lr_cosine: linear warmup from lr_max/warmup to lr_max over `warmup`
// steps, then cosine decay to lr_min at `total` steps (constant after).
// step counts from 0.
double adamw_lr_cosine(long step, long warmup, long total, double lr_max,
                       double lr_min);

#endif
