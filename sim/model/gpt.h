// gpt.h - the one transformer of hhsim: a decoder-only pre-LayerNorm GPT.
//
// Architecture (identical to tests/bench/peer_model.py): token + learned
// position embeddings; n_layer blocks of
//     x = x + proj(causal_self_attention(ln_1(x)))      // qkv Linear with bias
//     x = x + mlp_proj(gelu_tanh(mlp_fc(ln_2(x))))      // 4C hidden, biases
// then a final LayerNorm ln_f giving the hidden state h (B, T, C), and three
// heads on h: the LM head tied to wte (logits = h wte^T), a scalar head
// r[b] = h[b, pos[b]] . w_r + b_r (preference model: pos = final token) and a
// per-token value head v[b, t] = h[b, t] . w_v + b_v (PPO). No dropout.
// LayerNorm eps is 1e-5 (torch's default); GELU is the tanh approximation.
//
// Memory (llm.c style): all float32 parameters live in ONE contiguous buffer
// carved by the pointer table GPTParams; the gradients use the same layout;
// activations for (max_B, ctx) are allocated once by gpt_alloc, so forward,
// backward and gpt_step never allocate. Every matmul goes through cblas_sgemm;
// the library sets nothing about BLAS threads. All reductions run in a fixed
// sequential order, so the same inputs give bit-identical outputs run to run
// (for a fixed BLAS library, kernel and thread count).
//
// Tensors, in buffer order, with their HDF5 dataset names (HuggingFace GPT-2
// names; L = n_layer, C = d_model, V = vocab, T = ctx; i = 0..L-1). Linear
// weights are stored (out, in) like torch.nn.Linear.weight, i.e. y = x W^T + b;
// NOTE this is the transpose of HuggingFace GPT-2's Conv1D (in, out) layout.
//
//   dataset                    shape      2-D (weight-decayed)  init std
//   wte                        (V, C)     yes                   0.02
//   wpe                        (T, C)     yes                   0.02
//   h.i.ln_1.weight            (C)        no                    = 1
//   h.i.ln_1.bias              (C)        no                    = 0
//   h.i.attn.c_attn.weight     (3C, C)    yes                   0.02  rows q|k|v
//   h.i.attn.c_attn.bias       (3C)       no                    = 0
//   h.i.attn.c_proj.weight     (C, C)     yes                   0.02/sqrt(2L)
//   h.i.attn.c_proj.bias       (C)        no                    = 0
//   h.i.ln_2.weight            (C)        no                    = 1
//   h.i.ln_2.bias              (C)        no                    = 0
//   h.i.mlp.c_fc.weight        (4C, C)    yes                   0.02
//   h.i.mlp.c_fc.bias          (4C)       no                    = 0
//   h.i.mlp.c_proj.weight      (C, 4C)    yes                   0.02/sqrt(2L)
//   h.i.mlp.c_proj.bias        (C)        no                    = 0
//   ln_f.weight                (C)        no                    = 1
//   ln_f.bias                  (C)        no                    = 0
//   head_r.weight              (C)        no                    = 0
//   head_r.bias                (1)        no                    = 0
//   head_v.weight              (C)        no                    = 0
//   head_v.bias                (1)        no                    = 0
//
// In memory each per-layer tensor is stacked over layers, e.g. qkvw is
// (L, 3C, C). The HDF5 group also carries the integer attributes n_layer,
// d_model, n_head, ctx, vocab. Within a head, q/k/v rows h*hs..(h+1)*hs-1 of
// their C-block belong to head h (hs = C / n_head), as in torch's .view.
#ifndef HHSIM_GPT_H
#define HHSIM_GPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>
#include <hdf5.h>

#include "hherr.h"

typedef struct {
    int n_layer;  // 6    number of blocks
    int d_model;  // 192  C, divisible by n_head
    int n_head;   // 6
    int ctx;      // 64   maximum sequence length T
    int vocab;    // 64   V
} GPTConfig;

enum {
    GPT_WTE, GPT_WPE, GPT_LN1W, GPT_LN1B, GPT_QKVW, GPT_QKVB, GPT_ATTPROJW,
    GPT_ATTPROJB, GPT_LN2W, GPT_LN2B, GPT_FCW, GPT_FCB, GPT_FCPROJW,
    GPT_FCPROJB, GPT_LNFW, GPT_LNFB, GPT_WR, GPT_BR, GPT_WV, GPT_BV,
    GPT_NUM_TENSORS
};

typedef struct {
    float *wte;      // (V, C)
    float *wpe;      // (T, C)
    float *ln1w;     // (L, C)
    float *ln1b;     // (L, C)
    float *qkvw;     // (L, 3C, C)
    float *qkvb;     // (L, 3C)
    float *attprojw; // (L, C, C)
    float *attprojb; // (L, C)
    float *ln2w;     // (L, C)
    float *ln2b;     // (L, C)
    float *fcw;      // (L, 4C, C)
    float *fcb;      // (L, 4C)
    float *fcprojw;  // (L, C, 4C)
    float *fcprojb;  // (L, C)
    float *lnfw;     // (C)
    float *lnfb;     // (C)
    float *wr;       // (C)  scalar (reward) head
    float *br;       // (1)
    float *wv;       // (C)  per-token value head
    float *bv;       // (1)
} GPTParams;

// One tensor of the buffer, as gpt_tensor_info describes it.
typedef struct {
    char name[64];    // HDF5 name; per-layer names are "h.%d.<...>"
    int per_layer;    // 1: stacked over n_layer in memory
    int rank;         // 1 or 2 (per layer)
    int dims[2];      // per-layer shape (dims[1] unused when rank == 1)
    size_t numel;     // per-layer element count
    size_t offset;    // offset of the tensor (layer 0) in params/grads
    int decay;        // 1 for 2-D weight matrices (AdamW weight decay)
} GPTTensor;

// Activations kept for the backward pass, all for (max_B, ctx) and used
// compactly as (B, T, ...) for the current B, T. Per-layer buffers are
// stacked over layers with stride max_B * ctx * (row width).
typedef struct {
    float *encoded;   // (B, T, C)
    float *ln1;       // (L, B, T, C)
    float *ln1_mean;  // (L, B, T)
    float *ln1_rstd;  // (L, B, T)
    float *qkv;       // (L, B, T, 3C)
    float *att;       // (L, B, NH, T, T) unnormalised softmax weights E =
                      // exp(S - rowmax) within each row's key block (see
                      // gk_attention_forward in gpt_kernels.c), 0 past the row
    float *att_inv;   // (L, B, NH, T) 1 / rowsum(E)
    float *atty;      // (L, B, T, C)
    float *res2;      // (L, B, T, C) residual after attention
    float *ln2;       // (L, B, T, C)
    float *ln2_mean;  // (L, B, T)
    float *ln2_rstd;  // (L, B, T)
    float *fch;       // (L, B, T, 4C) pre-GELU
    float *fch_tanh;  // (L, B, T, 4C) tanh of the GELU inner argument
    float *fch_gelu;  // (L, B, T, 4C)
    float *res3;      // (L, B, T, C) residual after the MLP
    float *lnf;       // (B, T, C) the final hidden state h
    float *lnf_mean;  // (B, T)
    float *lnf_rstd;  // (B, T)
    // backward scratch, one layer's worth
    float *dres;      // (B, T, C) gradient of the residual stream
    float *dln;       // (B, T, C)
    float *datty;     // (B, T, C)
    float *dqkv;      // (B, T, 3C)
    float *dfch;      // (B, T, 4C)
    float *datt;      // (T, T) + 2 (T, C) attention scratch
} GPTActs;

typedef struct {
    GPTConfig cfg;
    int max_B;          // largest batch forward accepts
    int micro_B;        // rows per micro-batch of gpt_lm_grad and
                        // gpt_distill_grad: gpt_micro_rows(&cfg)
    size_t num_params;  // floats in params (and grads)
    GPTTensor tensors[GPT_NUM_TENSORS];
    float *params;      // (num_params) all parameters
    float *grads;       // (num_params) same layout
    GPTParams p;        // pointer table into params
    GPTParams g;        // pointer table into grads
    GPTActs a;
    float *mem_acts;    // the single activation allocation
    float *logits;      // (B, T, V) from the last forward with want_logits
    float *dlogits;     // (max_B, ctx, V) scratch the loss helpers may fill
    float *values;      // (B, T) value head of the last forward
    float *hidden;      // (B, T, C) == a.lnf, final-LayerNorm hidden state
    int *tokens;        // (B, T) copy of the last forward's input
    int B, T;           // shape of the last forward (0, 0 before any)
    int has_logits;     // the last forward computed logits
    int at;             // the last forward was gpt_forward_at
    int n_out;          // rows of logits, values, hidden: B T, or gpt_forward_at's positions
    int *out_lo, *out_hi;  // (max_B) gpt_forward_at's position ranges
    int readout;        // how a PM reads its scalar head (pm.c): 0 at the last
                        // token (EOS), 1 mean over the response positions;
                        // lm_load sets it from [pm] readout (0 after gpt_alloc)
} GPT;

// gpt_alloc: a model for cfg that runs batches up to max_B rows of up to
// cfg->ctx tokens. Parameters are zero until gpt_init or gpt_read_h5.
// NULL with err filled on a bad config or allocation failure.
GPT *gpt_alloc(const GPTConfig *cfg, int max_B, HHErr *err);
void gpt_free(GPT *m);  // NULL ok

// gpt_tensor_info: name, shape, offset and decay flag of tensor i (0 ..
// GPT_NUM_TENSORS-1); same as m->tensors[i].
const GPTTensor *gpt_tensor_info(const GPT *m, int i);

// gpt_init: GPT-2 initialisation from r (see the table above).
void gpt_init(GPT *m, gsl_rng *r);

// gpt_decay_mask: mask[i] = 1 where params[i] belongs to a 2-D weight matrix
// (wte, wpe, c_attn/c_proj/c_fc/mlp c_proj weights), else 0. (num_params)
void gpt_decay_mask(const GPT *m, unsigned char *mask);

// gpt_forward: run tokens (B, T) (0 <= token < V, 1 <= B <= max_B,
// 1 <= T <= ctx). Fills m->hidden (B, T, C), m->values (B, T) and, when
// want_logits, m->logits (B, T, V). Keeps what backward needs.
int gpt_forward(GPT *m, const int *tokens, int B, int T, int want_logits,
                HHErr *err);

// gpt_forward_at: gpt_forward whose outputs are wanted only at the positions
// lo[b] .. hi[b]-1 of each row b (0 <= lo[b] <= hi[b] <= T, at least one in
// all): the last block's attention output, MLP, the final LayerNorm and the
// heads run on those n_out positions only (keys and values still cover every
// position), so m->hidden, m->values and m->logits hold n_out rows, row b's
// positions after row b-1's. gpt_backward then takes dlogits (n_out, V) and
// dvalue (n_out); gpt_scalar and dscalar are refused. The outputs equal
// gpt_forward's at those positions up to float rounding (the matmuls run on
// fewer rows), and the gradient equals gpt_forward's with zero head
// gradients elsewhere up to float summation order (tests/test_ppo.c).
// Saves the last block's projections, MLP and heads at the other positions
// (PPO: its prompts).
int gpt_forward_at(GPT *m, const int *tokens, int B, int T, const int *lo, const int *hi,
                   int want_logits, HHErr *err);

// gpt_scalar: out[b] = hidden[b, pos[b]] . w_r + b_r after gpt_forward
// (0 <= pos[b] < T). (B)
int gpt_scalar(const GPT *m, const int *pos, float *out, HHErr *err);
// gpt_scalar_span: with from NULL, gpt_scalar; else out[b] = (mean over
// t = from[b] .. pos[b] of hidden[b, t]) . w_r + b_r (0 <= from[b] <= pos[b]):
// the mean of the per-position head values, summed in double ([pm] readout =
// mean). (B)
int gpt_scalar_span(const GPT *m, const int *from, const int *pos, float *out, HHErr *err);

// gpt_zero_grad: m->grads = 0.
void gpt_zero_grad(GPT *m);

// gpt_find_nonfinite: the first NaN or Inf of buf (m->params or m->grads, or
// any buffer of their layout), in buffer order: 1 with its tensor's HDF5 name
// (per-layer tensors with their layer, e.g. "h.1.attn.c_attn.weight") in
// name and "nan" or "inf" in *kind; 0 when every value is finite.
int gpt_find_nonfinite(const GPT *m, const float *buf, char *name, size_t n, const char **kind);

// gpt_check_step: after optimizer step `step` (1-based) of `job`: 0 when
// loss, grad_norm and every parameter are finite (one pass over m->params:
// measured 0.04% of a batch-32 training step at xs, 0.05% at s, 0.16% at l);
// else HH_EFAIL with
// "JOB: step N: TENSOR has a non-finite value (nan|inf); lower the learning
// rate (LR_KEY)", naming the first non-finite gradient tensor ("the gradient
// of TENSOR") when grad_norm is not finite, else the first non-finite
// parameter tensor, else "the loss".
int gpt_check_step(const GPT *m, const char *job, long step, double loss, double grad_norm,
                   const char *lr_key, HHErr *err);

// gpt_backward: accumulate (+=) into m->grads the gradient of a loss whose
// derivatives w.r.t. the heads of the last forward are dlogits (B, T, V)
// (needs want_logits), dscalar (B) at positions pos (B), dvalue (B, T);
// any of them may be NULL (pos may be NULL when dscalar is).
int gpt_backward(GPT *m, const float *dlogits, const int *pos,
                 const float *dscalar, const float *dvalue, HHErr *err);
// gpt_backward_span: gpt_backward whose dscalar is the gradient of
// gpt_scalar_span's mean readout over from[b] .. pos[b] (from NULL:
// gpt_backward): each of those positions gets dscalar[b] / (pos - from + 1).
int gpt_backward_span(GPT *m, const float *dlogits, const int *from, const int *pos,
                      const float *dscalar, const float *dvalue, HHErr *err);

// --- losses on m->logits of the last forward (want_logits). Each returns the
// loss and, when dlogits is not NULL, overwrites dlogits (B, T, V) with its
// gradient (dlogits may be m->dlogits). Weights w (B, T) >= 0 or NULL (all 1);
// the loss is the w-weighted mean over positions, sum(w l) / sum(w); when
// sum(w) == 0 the loss and gradient are 0.

// gpt_lm_loss: cross-entropy -log p(targets[b,t]); targets (B, T), a target
// < 0 is ignored (weight 0).
double gpt_lm_loss(const GPT *m, const int *targets, const float *w,
                   float *dlogits);

// gpt_distill_loss: KL(teacher || student) = sum_v p log(p / q) per position,
// teacher p (B, T, V) rows summing to 1, student q = softmax(m->logits).
// Its gradient equals that of the cross-entropy to p: (q - p) w / sum(w).
double gpt_distill_loss(const GPT *m, const float *teacher, const float *w,
                        float *dlogits);

// Training steps in micro-batches. gpt_lm_grad and gpt_distill_grad
// accumulate (+=) into m->grads the gradient of gpt_lm_loss /
// gpt_distill_loss over the whole batch inp (B, T) (any B >= 1), running the
// forward and backward passes on m->micro_B rows at a time (gradient
// accumulation: the same gradient as one pass over all B rows up to float
// summation order). The loss over the whole batch goes to *loss (may be
// NULL). Afterwards m->logits etc. hold the last micro-batch only. teacher
// and w are laid out as (B, T, ...) like inp.
//
// gpt_micro_rows: the micro-batch rows for a config (so results depend on
// the config alone): 4 when d_model >= 128 (at ctx 64, matmuls of >= 256
// rows, which OpenBLAS's packed kernels need), else the rows whose
// activations fit in about 1 MiB (the L2 cache of one core here), within
// 2 .. 4. Measured at batch 32, ctx 64, alternating steps in one process
// (tests/bench): one pass of all 32 rows took 1.32x the time at s, 1.27x
// at m, 1.25x at xs, 1.09x at l; at s, 2 rows beat 4 by 5% and 8 by 11%; at
// xs 4 rows beat 16 by 8%; at l 4 rows beat 2 by 4% and 1 by 15%; at xl 4
// beat 2 by 6%.
int gpt_micro_rows(const GPTConfig *cfg);

// gpt_infer_rows: rows per gpt_forward when a caller scores many rows
// without a backward pass (PM scores, PPO log-probs, held-out loss): 2
// micro_B (no backward scratch, so about the same working set), at most
// max_B. Forward only over 64 rows at ctx 64, chunks of 8 rows were 1.24x
// faster at s than one call of 64, chunks of 4 1.24x at m, of 8 1.18x at l.
int gpt_infer_rows(const GPT *m);
int gpt_lm_grad(GPT *m, const int *inp, const int *tgt, const float *w, int B,
                int T, double *loss, HHErr *err);
int gpt_distill_grad(GPT *m, const int *inp, const float *teacher,
                     const float *w, int B, int T, double *loss, HHErr *err);

// gpt_softmax: probs (N, V) = softmax(logits (N, V) / temperature), rows
// computed in double; temperature > 0.
void gpt_softmax(float *probs, const float *logits, int N, int V,
                 float temperature);

// gpt_logprobs: out[i] = log softmax(logits[i, :])[tok[i]] for N rows of V;
// a tok < 0 gives 0.
void gpt_logprobs(double *out, const float *logits, const int *tok, int N,
                  int V);

// --- sampling with a KV cache

typedef struct {
    GPTConfig cfg;
    int B;          // rows
    int *pos;       // (B) tokens already in each row
    int ctxp;       // ctx rounded up to a multiple of 8
    float *k;       // (L, B, ctxp / 8, C, 8) cached keys in tiles of 8
                    // positions, so scores run across 8 keys in vectors
    float *v;       // (L, B, ctx, C) cached values, each (ctx, C) in blocks
                    // of 64 channels (ceil(C / 64), ctx, min(64, C - 64 k)),
                    // so each block's sum reads one stream
    float *x;       // (B, C) residual of the current token
    float *ln;      // (B, C)
    float *qkv;     // (B, 3C)
    float *y;       // (B, C)
    float *fch;     // (B, 4C)
    float *att;     // (NH + 1, ctxp) attention scratch, then (B, V) logits scratch
    float *mean, *rstd;  // (B) LayerNorm statistics (unused afterwards)
} GPTCache;

GPTCache *gpt_cache_alloc(const GPTConfig *cfg, int B, HHErr *err);
void gpt_cache_free(GPTCache *c);  // NULL ok
void gpt_cache_reset(GPTCache *c);  // every row back to position 0

// gpt_step: append tok[b] at row b's position and write the next-token
// logits (B, V) for it, at one token's cost. A row with tok[b] < 0 is
// skipped (its position and logits row are left unchanged). Rows may sit at
// different positions, so prompts of different lengths are fed token by
// token. Fails when a row is full (pos == ctx) or a token is out of range.
int gpt_step(const GPT *m, GPTCache *c, const int *tok, float *logits,
             HHErr *err);

// gpt_prefill: reset c and feed prompts (B, T) (row b uses its first len[b]
// tokens, 1 <= len[b] <= T; the rest is ignored padding) in one batched
// forward of m (B <= max_B, c->B == B); logits (B, V) are those after each
// row's last prompt token. Overwrites the model's last-forward state.
int gpt_prefill(GPT *m, GPTCache *c, const int *prompts, const int *len,
                int T, float *logits, HHErr *err);

// gpt_sample: a token from logits (V) at temperature (<= 0: argmax, lowest
// index on ties) restricted to the top_k largest (top_k <= 0 or >= V: all).
int gpt_sample(const float *logits, int V, float temperature, int top_k,
               gsl_rng *r);

// --- persistence and identity

// gpt_write_h5: one float dataset per tensor (names above) into group, the
// config as integer attributes on the group.
int gpt_write_h5(const GPT *m, hid_t group, HHErr *err);

// gpt_read_h5: allocate *out (for max_B rows) from a group gpt_write_h5
// wrote; every dataset's presence, type and shape is checked and a mismatch
// is refused with a message naming the dataset.
int gpt_read_h5(hid_t group, GPT **out, int max_B, HHErr *err);
// gpt_read_h5_want: the same, refusing a config other than *want (when not
// NULL) before anything is allocated; every parameter must be finite.
int gpt_read_h5_want(hid_t group, const GPTConfig *want, GPT **out, int max_B, HHErr *err);

// gpt_tanh_approx, gpt_exp_approx: the tanh (GELU) and exp (softmaxes) the
// kernels use, exposed for their accuracy tests.
float gpt_tanh_approx(float x);
float gpt_exp_approx(float x);

// gpt_simd_width: 8 when the elementwise kernels use their AVX2 variants
// (x86-64 CPUs with AVX2, detected at run time), else 4. Both variants give
// bit-identical results: only lane-wise operations are widened.
int gpt_simd_width(void);

// gpt_simd_portable: on != 0 makes every kernel take its portable 4-lane
// path even on AVX2 CPUs (for tests that the two paths agree bit for bit);
// returns the previous setting. Not thread-safe; off by default.
int gpt_simd_portable(int on);

// gpt_hash: FNV-1a 64 over the bytes of params (n floats).
uint64_t gpt_hash(const float *params, size_t n);

#endif
