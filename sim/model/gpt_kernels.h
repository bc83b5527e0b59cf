// gpt_kernels.h - private to the gpt*.c files (not part of gpt.h): the
// forward/backward kernels of gpt_kernels.c, small row helpers, and two model
// helpers of gpt.c that the KV cache shares; see gpt.h
#ifndef HHSIM_GPT_KERNELS_H
#define HHSIM_GPT_KERNELS_H

#include <stdint.h>
#include "gpt.h"
#include "gpt_simd.h"

// dot_f: x . y over n, 4-lane partial sums then the tail, in a fixed order.
static inline float dot_f(const float *x, const float *y, int n) {
    v4f acc = v4_set1(0.0f);
    int j = 0;
    for (; j + 4 <= n; j += 4) acc += v4_load(x + j) * v4_load(y + j);
    float s = v4_hsum(acc);
    for (; j < n; j++) s += x[j] * y[j];
    return s;
}

static inline void scale_f(float *x, float c, int n) {
    int j = 0;
    for (; j + 4 <= n; j += 4) v4_store(x + j, v4_load(x + j) * c);
    for (; j < n; j++) x[j] *= c;
}

static inline float max_f(const float *x, int n) {
    v4f m = v4_set1(x[0]);
    int j = 0;
    for (; j + 4 <= n; j += 4) m = v4_max(m, v4_load(x + j));
    float r = v4_hmax(m);
    for (; j < n; j++) r = x[j] > r ? x[j] : r;
    return r;
}

// gk_all_finite: 1 when x[0..n) holds no NaN or Inf, else 0.
int gk_all_finite(const float *x, size_t n);

// gk_alloc_floats: n zeroed floats (NULL when out of memory), 64-byte
// aligned; from 2 MiB on, in fresh memory offered to the kernel as
// transparent huge pages (Linux, madvise mode), each page zeroed when first
// touched. The model's parameters, gradients and activations and the KV
// cache live there: with 4 KiB pages the TLB misses of streaming through the
// KV cache cost 6-20% of sampling at xl, and those of packing the weights
// for each small GEMM about 10% of sampling and of training at l and xl
// (measured A/B in one process). Freed with gk_free_floats only.
float *gk_alloc_floats(size_t n);
void gk_free_floats(float *p);  // NULL ok

// kernels (gpt_kernels.c): forward/backward pairs. N = B * T rows.
float gk_exp_shift_sum(float *e, const float *x, int n, float mx);
void gk_encoder_forward(float *out, const int *inp, const float *wte,
                        const float *wpe, int B, int T, int C);
void gk_encoder_backward(float *dwte, float *dwpe, const float *dout,
                         const int *inp, int B, int T, int C);
void gk_layernorm_forward(float *restrict out, float *restrict mean,
                          float *restrict rstd, const float *restrict inp,
                          const float *restrict w, const float *restrict b,
                          int N, int C);
void gk_layernorm_backward(float *restrict dinp, float *restrict dw,
                           float *restrict db, const float *restrict dout,
                           const float *restrict inp, const float *restrict w,
                           const float *restrict mean,
                           const float *restrict rstd, int N, int C);
void gk_matmul_forward(float *out, const float *res, const float *inp,
                       const float *weight, const float *bias, int N, int C,
                       int OC);
void gk_matmul_backward(float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp,
                        const float *weight, const float *ones, int N, int C,
                        int OC);
void gk_attention_forward(float *out, float *att, float *inv, float *kt,
                          const float *qkv, int B, int T, int C, int NH);
void gk_attention_backward(float *dqkv, float *scratch, const float *dout,
                           const float *qkv, const float *att,
                           const float *inv, int B, int T, int C, int NH);
void gk_gelu_forward(float *out, float *th, const float *inp, size_t n);
void gk_gelu_backward(float *d, const float *inp, const float *th, size_t n);

// model helpers (gpt.c) shared with gpt_cache.c
int gk_check_config(const GPTConfig *c, HHErr *err);

// carve: assign n floats from *cur to *p.
// The sizing pass starts from a NULL base: integer arithmetic, no pointer
// arithmetic on NULL (undefined behaviour, flagged by UBSan).
static inline void carve(float **p, float **cur, size_t n) {
    *p = *cur;
    *cur = (float *)((uintptr_t)*cur + n * sizeof(float));
}

#endif
