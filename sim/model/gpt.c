// gpt.c - see gpt.h. The model: tensor table, allocation and init, forward,
// backward, heads, losses and micro-batch gradients, softmax and log-probs.
// Kernels in gpt_kernels.c, KV cache and sampling in gpt_cache.c, HDF5 in
// gpt_h5.c.
#include "gpt.h"
#include "gpt_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ----------------------------------------------------------------------------
// model

static void set_tensor(GPTTensor *t, const char *name, int per_layer, int d0,
                       int d1, int decay, size_t *off, int L) {
    snprintf(t->name, sizeof t->name, "%s", name);
    t->per_layer = per_layer;
    t->rank = d1 > 0 ? 2 : 1;
    t->dims[0] = d0;
    t->dims[1] = d1 > 0 ? d1 : 0;
    t->numel = (size_t)d0 * (d1 > 0 ? (size_t)d1 : 1);
    t->offset = *off;
    t->decay = decay;
    *off += t->numel * (per_layer ? (size_t)L : 1);
}

static size_t build_tensor_table(GPTTensor *t, const GPTConfig *c) {
    int L = c->n_layer, C = c->d_model;
    size_t off = 0;
    set_tensor(&t[GPT_WTE], "wte", 0, c->vocab, C, 1, &off, L);
    set_tensor(&t[GPT_WPE], "wpe", 0, c->ctx, C, 1, &off, L);
    set_tensor(&t[GPT_LN1W], "h.%d.ln_1.weight", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LN1B], "h.%d.ln_1.bias", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_QKVW], "h.%d.attn.c_attn.weight", 1, 3 * C, C, 1, &off, L);
    set_tensor(&t[GPT_QKVB], "h.%d.attn.c_attn.bias", 1, 3 * C, 0, 0, &off, L);
    set_tensor(&t[GPT_ATTPROJW], "h.%d.attn.c_proj.weight", 1, C, C, 1, &off, L);
    set_tensor(&t[GPT_ATTPROJB], "h.%d.attn.c_proj.bias", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LN2W], "h.%d.ln_2.weight", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LN2B], "h.%d.ln_2.bias", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_FCW], "h.%d.mlp.c_fc.weight", 1, 4 * C, C, 1, &off, L);
    set_tensor(&t[GPT_FCB], "h.%d.mlp.c_fc.bias", 1, 4 * C, 0, 0, &off, L);
    set_tensor(&t[GPT_FCPROJW], "h.%d.mlp.c_proj.weight", 1, C, 4 * C, 1, &off, L);
    set_tensor(&t[GPT_FCPROJB], "h.%d.mlp.c_proj.bias", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LNFW], "ln_f.weight", 0, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LNFB], "ln_f.bias", 0, C, 0, 0, &off, L);
    set_tensor(&t[GPT_WR], "head_r.weight", 0, C, 0, 0, &off, L);
    set_tensor(&t[GPT_BR], "head_r.bias", 0, 1, 0, 0, &off, L);
    set_tensor(&t[GPT_WV], "head_v.weight", 0, C, 0, 0, &off, L);
    set_tensor(&t[GPT_BV], "head_v.bias", 0, 1, 0, 0, &off, L);
    return off;
}

static void point_params(GPTParams *p, float *base, const GPTTensor *t) {
    float **ptr[GPT_NUM_TENSORS] = {
        &p->wte, &p->wpe, &p->ln1w, &p->ln1b, &p->qkvw, &p->qkvb,
        &p->attprojw, &p->attprojb, &p->ln2w, &p->ln2b, &p->fcw, &p->fcb,
        &p->fcprojw, &p->fcprojb, &p->lnfw, &p->lnfb, &p->wr, &p->br,
        &p->wv, &p->bv};
    for (int i = 0; i < GPT_NUM_TENSORS; i++) *ptr[i] = base + t[i].offset;
}

int gk_check_config(const GPTConfig *c, HHErr *err) {
    if (!c)
        return hh_fail(err, HH_EINPUT, "gpt: no config");
    else if (c->n_layer < 1 || c->d_model < 1 || c->n_head < 1 ||
             c->ctx < 1 || c->vocab < 1)
        return hh_fail(err, HH_EINPUT,
                       "gpt: config n_layer=%d d_model=%d n_head=%d ctx=%d "
                       "vocab=%d: all must be >= 1",
                       c->n_layer, c->d_model, c->n_head, c->ctx, c->vocab);
    else if (c->d_model % c->n_head != 0)
        return hh_fail(err, HH_EINPUT,
                       "gpt: d_model=%d is not divisible by n_head=%d",
                       c->d_model, c->n_head);
    else if ((double)c->n_layer * c->d_model * c->d_model > 1e10 ||
             (double)c->vocab * c->d_model > 1e10 || c->ctx > 65536)
        return hh_fail(err, HH_EINPUT, "gpt: config too large");
    return 0;
}

static size_t layout_acts(GPTActs *a, float *base, const GPTConfig *c,
                          int max_B) {
    size_t L = c->n_layer, C = c->d_model, NH = c->n_head, T = c->ctx;
    size_t N = (size_t)max_B * T;
    float *cur = base;
    carve(&a->encoded, &cur, N * C);
    carve(&a->ln1, &cur, L * N * C);
    carve(&a->ln1_mean, &cur, L * N);
    carve(&a->ln1_rstd, &cur, L * N);
    carve(&a->qkv, &cur, L * N * 3 * C);
    carve(&a->att, &cur, L * max_B * NH * T * T);
    carve(&a->att_inv, &cur, L * max_B * NH * T);
    carve(&a->atty, &cur, L * N * C);
    carve(&a->res2, &cur, L * N * C);
    carve(&a->ln2, &cur, L * N * C);
    carve(&a->ln2_mean, &cur, L * N);
    carve(&a->ln2_rstd, &cur, L * N);
    carve(&a->fch, &cur, L * N * 4 * C);
    carve(&a->fch_tanh, &cur, L * N * 4 * C);
    carve(&a->fch_gelu, &cur, L * N * 4 * C);
    carve(&a->res3, &cur, L * N * C);
    carve(&a->lnf, &cur, N * C);
    carve(&a->lnf_mean, &cur, N);
    carve(&a->lnf_rstd, &cur, N);
    carve(&a->dres, &cur, N * C);
    carve(&a->dln, &cur, N * C);
    carve(&a->datty, &cur, N * C);
    carve(&a->dqkv, &cur, N * 3 * C);
    carve(&a->dfch, &cur, N * 4 * C);
    carve(&a->datt, &cur, T * T + 2 * T * C);
    return ((uintptr_t)cur - (uintptr_t)base) / sizeof(float);
}

// extra buffers after the activations: logits, dlogits, values, ones
static size_t extra_floats(const GPTConfig *c, int max_B) {
    size_t N = (size_t)max_B * c->ctx;
    return 2 * N * c->vocab + 2 * N;
}

int gpt_infer_rows(const GPT *m) {
    return 2 * m->micro_B < m->max_B ? 2 * m->micro_B : m->max_B;
}

int gpt_micro_rows(const GPTConfig *cfg) {
    if (cfg->d_model >= 128) return 4;  // >= 256 tokens at ctx 64: big matmuls
    // activation bytes per row: per layer about 4 T (20 C + NH T)
    double row = 4.0 * cfg->n_layer * cfg->ctx *
                 (20.0 * cfg->d_model + (double)cfg->n_head * cfg->ctx);
    double rows = (double)(1 << 20) / row;
    return rows < 2 ? 2 : rows > 4 ? 4 : (int)rows;
}

GPT *gpt_alloc(const GPTConfig *cfg, int max_B, HHErr *err) {
    if (gk_check_config(cfg, err)) return NULL;
    if (max_B < 1) {
        hh_fail(err, HH_EINPUT, "gpt_alloc: max_B=%d must be >= 1", max_B);
        return NULL;
    }
    GPT *m = calloc(1, sizeof *m);
    if (!m) goto oom;
    m->cfg = *cfg;
    m->max_B = max_B;
    m->micro_B = gpt_micro_rows(cfg);
    m->num_params = build_tensor_table(m->tensors, cfg);
    m->params = gk_alloc_floats(m->num_params);
    m->grads = gk_alloc_floats(m->num_params);
    size_t na = layout_acts(&m->a, NULL, cfg, max_B);  // count only
    size_t N = (size_t)max_B * cfg->ctx;
    m->mem_acts = gk_alloc_floats(na + extra_floats(cfg, max_B));
    m->tokens = calloc(N, sizeof(int));
    m->out_lo = calloc(2 * (size_t)max_B, sizeof(int));
    if (!m->params || !m->grads || !m->mem_acts || !m->tokens || !m->out_lo) goto oom;
    m->out_hi = m->out_lo + max_B;
    layout_acts(&m->a, m->mem_acts, cfg, max_B);
    float *cur = m->mem_acts + na;
    carve(&m->logits, &cur, N * cfg->vocab);
    carve(&m->dlogits, &cur, N * cfg->vocab);
    carve(&m->values, &cur, N);
    float *ones;
    carve(&ones, &cur, N);
    for (size_t i = 0; i < N; i++) ones[i] = 1.0f;
    m->hidden = m->a.lnf;
    point_params(&m->p, m->params, m->tensors);
    point_params(&m->g, m->grads, m->tensors);
    return m;
oom:
    gpt_free(m);
    hh_fail(err, HH_EFAIL, "gpt_alloc: out of memory");
    return NULL;
}

void gpt_free(GPT *m) {
    if (!m) return;
    gk_free_floats(m->params);
    gk_free_floats(m->grads);
    gk_free_floats(m->mem_acts);
    free(m->tokens);
    free(m->out_lo);
    free(m);
}

const GPTTensor *gpt_tensor_info(const GPT *m, int i) {
    return (i >= 0 && i < GPT_NUM_TENSORS) ? &m->tensors[i] : NULL;
}

// gaussian: N(0, std) by Box-Muller from two uniforms of r. (Written when
// this file included OpenBLAS's cblas.h, which cannot sit beside
// gsl_randist.h: both declare the CBLAS enums. Kept so that initial weights,
// and everything trained from them, stay the same.)
static double gaussian(gsl_rng *r, double std) {
    double u1 = gsl_rng_uniform_pos(r), u2 = gsl_rng_uniform(r);
    return std * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void gpt_init(GPT *m, gsl_rng *r) {
    double std_res = 0.02 / sqrt(2.0 * m->cfg.n_layer);
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        size_t n = t->numel * (t->per_layer ? (size_t)m->cfg.n_layer : 1);
        float *p = m->params + t->offset;
        double std = (i == GPT_ATTPROJW || i == GPT_FCPROJW) ? std_res : 0.02;
        float fill = (i == GPT_LN1W || i == GPT_LN2W || i == GPT_LNFW) ? 1.0f
                                                                       : 0.0f;
        for (size_t j = 0; j < n; j++)
            p[j] = t->decay ? (float)gaussian(r, std) : fill;
    }
}

void gpt_decay_mask(const GPT *m, unsigned char *mask) {
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        size_t n = t->numel * (t->per_layer ? (size_t)m->cfg.n_layer : 1);
        memset(mask + t->offset, t->decay ? 1 : 0, n);
    }
}

int gpt_find_nonfinite(const GPT *m, const float *buf, char *name, size_t n, const char **kind) {
    if (gk_all_finite(buf, m->num_params)) return 0;  // the usual case, one vector scan
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        int nl = t->per_layer ? m->cfg.n_layer : 1;
        for (int l = 0; l < nl; l++) {
            const float *p = buf + t->offset + (size_t)l * t->numel;
            for (size_t j = 0; j < t->numel; j++)
                if (!isfinite(p[j])) {
                    snprintf(name, n, t->name, l);
                    *kind = isnan(p[j]) ? "nan" : "inf";
                    return 1;
                }
        }
    }
    return 0;
}

int gpt_check_step(const GPT *m, const char *job, long step, double loss, double grad_norm,
                   const char *lr_key, HHErr *err) {
    char name[80], what[120];
    const char *kind = "nan";
    int bad_p = gpt_find_nonfinite(m, m->params, name, sizeof name, &kind);
    if (!bad_p && isfinite(loss) && isfinite(grad_norm)) return 0;
    if (!isfinite(grad_norm) && gpt_find_nonfinite(m, m->grads, name, sizeof name, &kind))
        snprintf(what, sizeof what, "the gradient of %s", name);
    else if (bad_p || gpt_find_nonfinite(m, m->params, name, sizeof name, &kind))
        snprintf(what, sizeof what, "%s", name);
    else if (!isfinite(grad_norm))
        snprintf(what, sizeof what, "the gradient norm"), kind = isnan(grad_norm) ? "nan" : "inf";
    else
        snprintf(what, sizeof what, "the loss"), kind = isnan(loss) ? "nan" : "inf";
    return hh_fail(err, HH_EFAIL, "%s: step %ld: %s has a non-finite value (%s); lower the "
                   "learning rate (%s)", job, step, what, kind, lr_key);
}

void gpt_zero_grad(GPT *m) {
    memset(m->grads, 0, m->num_params * sizeof(float));
}

static const float *ones_vec(const GPT *m) { return m->values + (size_t)m->max_B * m->cfg.ctx; }

// compact_rows: rows (w floats) of the positions [lo[b], hi[b]) of each row b
// of a (B, T, w) buffer moved to its front, in order (in place: a row only
// moves forward).
static void compact_rows(float *x, const int *lo, const int *hi, int B, int T, int w) {
    size_t k = 0;
    for (int b = 0; b < B; b++)
        for (int t = lo[b]; t < hi[b]; t++, k++) {
            size_t i = (size_t)b * T + t;
            if (k != i) memmove(x + k * w, x + i * w, sizeof(float) * w);
        }
}

// expand_rows: the inverse of compact_rows, the other positions set to 0.
static void expand_rows(float *x, const int *lo, const int *hi, int B, int T, int w) {
    size_t k = 0;
    for (int b = 0; b < B; b++) k += (size_t)(hi[b] - lo[b]);
    for (int b = B - 1; b >= 0; b--)
        for (int t = T - 1; t >= 0; t--) {
            size_t i = (size_t)b * T + t;
            if (t >= lo[b] && t < hi[b]) {
                if (--k != i) memmove(x + i * w, x + k * w, sizeof(float) * w);
            } else
                memset(x + i * w, 0, sizeof(float) * w);
        }
}

// forward: gpt_forward (lo NULL) or gpt_forward_at.
static int forward(GPT *m, const int *tokens, int B, int T, const int *lo, const int *hi,
                   int want_logits, HHErr *err) {
    const GPTConfig *c = &m->cfg;
    int L = c->n_layer, C = c->d_model, NH = c->n_head, V = c->vocab;
    if (B < 1 || B > m->max_B || T < 1 || T > c->ctx)
        return hh_fail(err, HH_EINPUT,
                       "gpt_forward: B=%d T=%d outside 1..%d x 1..%d", B, T,
                       m->max_B, c->ctx);
    for (int i = 0; i < B * T; i++)
        if (tokens[i] < 0 || tokens[i] >= V)
            return hh_fail(err, HH_EINPUT,
                           "gpt_forward: token %d at row %d position %d is "
                           "outside 0..%d",
                           tokens[i], i / T, i % T, V - 1);
    size_t N = (size_t)B * T, S = (size_t)m->max_B * c->ctx, No = N;
    if (lo) {
        No = 0;
        for (int b = 0; b < B; b++) {
            if (lo[b] < 0 || hi[b] < lo[b] || hi[b] > T)
                return hh_fail(err, HH_EINPUT, "gpt_forward_at: row %d: positions %d..%d "
                               "outside 0..%d", b, lo[b], hi[b] - 1, T - 1);
            No += (size_t)(hi[b] - lo[b]);
        }
        if (No == 0) return hh_fail(err, HH_EINPUT, "gpt_forward_at: no output position");
        memcpy(m->out_lo, lo, sizeof(int) * B);
        memcpy(m->out_hi, hi, sizeof(int) * B);
    }
    memcpy(m->tokens, tokens, sizeof(int) * B * T);
    m->B = B;
    m->T = T;
    m->n_out = (int)No;
    m->at = lo != NULL;
    m->has_logits = want_logits != 0;
    GPTActs *a = &m->a;
    const GPTParams *p = &m->p;
    gk_encoder_forward(a->encoded, tokens, p->wte, p->wpe, B, T, C);
    const float *res = a->encoded;
    for (int l = 0; l < L; l++) {
        float *ln1 = a->ln1 + l * S * C, *qkv = a->qkv + l * S * 3 * C;
        float *atty = a->atty + l * S * C, *res2 = a->res2 + l * S * C;
        float *ln2 = a->ln2 + l * S * C, *fch = a->fch + l * S * 4 * C;
        float *fcg = a->fch_gelu + l * S * 4 * C;
        float *res3 = a->res3 + l * S * C;
        gk_layernorm_forward(ln1, a->ln1_mean + l * S, a->ln1_rstd + l * S, res,
                             p->ln1w + l * C, p->ln1b + l * C, N, C);
        gk_matmul_forward(qkv, NULL, ln1, p->qkvw + (size_t)l * 3 * C * C,
                          p->qkvb + l * 3 * C, N, C, 3 * C);
        gk_attention_forward(atty, a->att + l * (size_t)m->max_B * NH * c->ctx * c->ctx,
                             a->att_inv + l * (size_t)m->max_B * NH * c->ctx, a->datt, qkv,
                             B, T, C, NH);
        size_t n = N;  // rows from here on: the output positions only in the last block
        if (lo && l == L - 1) {
            compact_rows(atty, lo, hi, B, T, C);
            size_t k = 0;
            for (int b = 0; b < B; b++)
                for (int t = lo[b]; t < hi[b]; t++, k++)
                    memcpy(res2 + k * C, res + ((size_t)b * T + t) * C, sizeof(float) * C);
            res = res2;
            n = No;
        }
        gk_matmul_forward(res2, res, atty, p->attprojw + (size_t)l * C * C,
                          p->attprojb + l * C, n, C, C);
        gk_layernorm_forward(ln2, a->ln2_mean + l * S, a->ln2_rstd + l * S,
                             res2, p->ln2w + l * C, p->ln2b + l * C, n, C);
        gk_matmul_forward(fch, NULL, ln2, p->fcw + (size_t)l * 4 * C * C,
                          p->fcb + l * 4 * C, n, C, 4 * C);
        gk_gelu_forward(fcg, a->fch_tanh + l * S * 4 * C, fch, n * 4 * C);
        gk_matmul_forward(res3, res2, fcg, p->fcprojw + (size_t)l * 4 * C * C,
                          p->fcprojb + l * C, n, 4 * C, C);
        res = res3;
    }
    gk_layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, res, p->lnfw,
                         p->lnfb, No, C);
    for (size_t i = 0; i < No; i++)
        m->values[i] = dot_f(a->lnf + i * C, p->wv, C) + p->bv[0];
    if (want_logits)
        gk_matmul_forward(m->logits, NULL, a->lnf, p->wte, NULL, No, C, V);
    return 0;
}

int gpt_forward(GPT *m, const int *tokens, int B, int T, int want_logits,
                HHErr *err) {
    return forward(m, tokens, B, T, NULL, NULL, want_logits, err);
}

int gpt_forward_at(GPT *m, const int *tokens, int B, int T, const int *lo, const int *hi,
                   int want_logits, HHErr *err) {
    return forward(m, tokens, B, T, lo, hi, want_logits, err);
}

static int check_span(const GPT *m, const int *from, const int *pos, const char *fn, HHErr *err) {
    for (int b = 0; b < m->B; b++) {
        if (pos[b] < 0 || pos[b] >= m->T)
            return hh_fail(err, HH_EINPUT,
                           "%s: pos[%d]=%d outside 0..%d", fn, b, pos[b],
                           m->T - 1);
        if (from && (from[b] < 0 || from[b] > pos[b]))
            return hh_fail(err, HH_EINPUT, "%s: from[%d]=%d outside 0..pos[%d]=%d", fn, b,
                           from[b], b, pos[b]);
    }
    return 0;
}

// The scalar head on the mean of rows from..pos of row b: the mean of the
// per-position head values (the head is linear), summed in double.
static float span_scalar(const GPT *m, int b, int from, int pos) {
    int C = m->cfg.d_model;
    double s = 0;
    for (int t = from; t <= pos; t++)
        s += dot_f(m->a.lnf + ((size_t)b * m->T + t) * C, m->p.wr, C);
    return (float)(s / (pos - from + 1)) + m->p.br[0];
}

int gpt_scalar_span(const GPT *m, const int *from, const int *pos, float *out, HHErr *err) {
    int C = m->cfg.d_model;
    if (m->B < 1) return hh_fail(err, HH_EINPUT, "gpt_scalar: no forward yet");
    else if (m->at) return hh_fail(err, HH_EINPUT, "gpt_scalar: after gpt_forward_at");
    if (check_span(m, from, pos, "gpt_scalar", err)) return HH_EINPUT;
    for (int b = 0; b < m->B; b++) {
        if (from) {
            out[b] = span_scalar(m, b, from[b], pos[b]);
            continue;
        }
        const float *h = m->a.lnf + ((size_t)b * m->T + pos[b]) * C;
        out[b] = dot_f(h, m->p.wr, C) + m->p.br[0];
    }
    return 0;
}

int gpt_scalar(const GPT *m, const int *pos, float *out, HHErr *err) {
    return gpt_scalar_span(m, NULL, pos, out, err);
}

// backward_heads: dln (N, C) = gradient of the final hidden state from the
// three heads; accumulates the head and wte gradients.
static void backward_heads(GPT *m, const float *dlogits, const int *from, const int *pos,
                           const float *dscalar, const float *dvalue) {
    int C = m->cfg.d_model, V = m->cfg.vocab, T = m->T;
    size_t N = (size_t)m->n_out;
    float *dln = m->a.dln;
    const float *h = m->a.lnf;
    if (dlogits)
        gk_matmul_backward(dln, m->g.wte, NULL, dlogits, h, m->p.wte,
                           ones_vec(m), N, C, V);
    else
        memset(dln, 0, sizeof(float) * N * C);
    if (dscalar && from)
        for (int b = 0; b < m->B; b++) {
            int n = pos[b] - from[b] + 1;
            float d = (float)((double)dscalar[b] / n);
            for (int t = from[b]; t <= pos[b]; t++) {
                size_t i = (size_t)b * T + t;
                for (int j = 0; j < C; j++) {
                    dln[i * C + j] += d * m->p.wr[j];
                    m->g.wr[j] += d * h[i * C + j];
                }
            }
            m->g.br[0] += dscalar[b];
        }
    else if (dscalar)
        for (int b = 0; b < m->B; b++) {
            size_t i = (size_t)b * T + pos[b];
            float d = dscalar[b];
            for (int j = 0; j < C; j++) {
                dln[i * C + j] += d * m->p.wr[j];
                m->g.wr[j] += d * h[i * C + j];
            }
            m->g.br[0] += d;
        }
    if (dvalue)
        for (size_t i = 0; i < N; i++) {
            float d = dvalue[i];
            for (int j = 0; j < C; j++) {
                dln[i * C + j] += d * m->p.wv[j];
                m->g.wv[j] += d * h[i * C + j];
            }
            m->g.bv[0] += d;
        }
}

int gpt_backward(GPT *m, const float *dlogits, const int *pos,
                 const float *dscalar, const float *dvalue, HHErr *err) {
    return gpt_backward_span(m, dlogits, NULL, pos, dscalar, dvalue, err);
}

int gpt_backward_span(GPT *m, const float *dlogits, const int *from, const int *pos,
                      const float *dscalar, const float *dvalue, HHErr *err) {
    const GPTConfig *c = &m->cfg;
    int L = c->n_layer, C = c->d_model, NH = c->n_head, B = m->B, T = m->T;
    if (B < 1) return hh_fail(err, HH_EINPUT, "gpt_backward: no forward yet");
    else if (dlogits && !m->has_logits)
        return hh_fail(err, HH_EINPUT,
                       "gpt_backward: dlogits given but the forward ran "
                       "without want_logits");
    else if (dscalar && !pos)
        return hh_fail(err, HH_EINPUT, "gpt_backward: dscalar without pos");
    else if (dscalar && m->at)
        return hh_fail(err, HH_EINPUT, "gpt_backward: dscalar after gpt_forward_at");
    if (dscalar && check_span(m, from, pos, "gpt_backward", err)) return HH_EINPUT;
    size_t N = (size_t)B * T, S = (size_t)m->max_B * c->ctx, No = (size_t)m->n_out;
    GPTActs *a = &m->a;
    const GPTParams *p = &m->p;
    GPTParams *g = &m->g;
    const float *ones = ones_vec(m);
    backward_heads(m, dlogits, from, pos, dscalar, dvalue);
    const float *last = L > 0 ? a->res3 + (L - 1) * S * C : a->encoded;
    memset(a->dres, 0, sizeof(float) * No * C);
    gk_layernorm_backward(a->dres, g->lnfw, g->lnfb, a->dln, last, p->lnfw,
                          a->lnf_mean, a->lnf_rstd, No, C);
    for (int l = L - 1; l >= 0; l--) {
        const float *res = l == 0 ? a->encoded : a->res3 + (l - 1) * S * C;
        size_t o1 = l * S * C, o3 = o1 * 3, o4 = o1 * 4;
        size_t wC = (size_t)l * C * C;
        size_t n = l == L - 1 ? No : N;  // gpt_forward_at: the last block's output rows
        // MLP: res3 = res2 + fcproj(gelu(fc(ln2(res2))))
        gk_matmul_backward(a->dfch, g->fcprojw + 4 * wC, g->fcprojb + l * C,
                           a->dres, a->fch_gelu + o4, p->fcprojw + 4 * wC, ones,
                           n, 4 * C, C);
        gk_gelu_backward(a->dfch, a->fch + o4, a->fch_tanh + o4, n * 4 * C);
        gk_matmul_backward(a->dln, g->fcw + 4 * wC, g->fcb + l * 4 * C, a->dfch,
                           a->ln2 + o1, p->fcw + 4 * wC, ones, n, C, 4 * C);
        gk_layernorm_backward(a->dres, g->ln2w + l * C, g->ln2b + l * C, a->dln,
                              a->res2 + o1, p->ln2w + l * C,
                              a->ln2_mean + l * S, a->ln2_rstd + l * S, n, C);
        // attention: res2 = res + attproj(attention(qkv(ln1(res))))
        gk_matmul_backward(a->datty, g->attprojw + wC, g->attprojb + l * C,
                           a->dres, a->atty + o1, p->attprojw + wC, ones, n, C,
                           C);
        if (n != N) {  // back to all positions: 0 where no output was taken
            expand_rows(a->datty, m->out_lo, m->out_hi, B, T, C);
            expand_rows(a->dres, m->out_lo, m->out_hi, B, T, C);
        }
        gk_attention_backward(a->dqkv, a->datt, a->datty, a->qkv + o3,
                              a->att + l * (size_t)m->max_B * NH * c->ctx *
                                           c->ctx,
                              a->att_inv + l * (size_t)m->max_B * NH * c->ctx,
                              B, T, C, NH);
        gk_matmul_backward(a->dln, g->qkvw + 3 * wC, g->qkvb + l * 3 * C,
                           a->dqkv, a->ln1 + o1, p->qkvw + 3 * wC, ones, N, C,
                           3 * C);
        gk_layernorm_backward(a->dres, g->ln1w + l * C, g->ln1b + l * C, a->dln,
                              res, p->ln1w + l * C, a->ln1_mean + l * S,
                              a->ln1_rstd + l * S, N, C);
    }
    gk_encoder_backward(g->wte, g->wpe, a->dres, m->tokens, B, T, C);
    return 0;
}

// ----------------------------------------------------------------------------
// losses

// row_softmax: e (V) = exp(x - max x) when e is not NULL; returns the
// log-sum-exp of x and *sum = sum of e.
static float row_softmax(float *e, const float *x, int V, float *sum) {
    float mx = max_f(x, V);
    *sum = gk_exp_shift_sum(e, x, V, mx);
    return mx + logf(*sum);
}

// lm_wsum: the total weight of the valid targets of N positions.
static double lm_wsum(const int *targets, const float *w, size_t N, int V) {
    double wsum = 0.0;
    for (size_t i = 0; i < N; i++)
        if (targets[i] >= 0 && targets[i] < V) wsum += w ? w[i] : 1.0;
    return wsum;
}

// lm_loss_rows: gpt_lm_loss over the last forward's rows with the weight
// normaliser wsum given (that of the whole batch when the forward ran on a
// micro-batch).
static double lm_loss_rows(const GPT *m, const int *targets, const float *w,
                           double wsum, float *dlogits) {
    int V = m->cfg.vocab;
    size_t N = (size_t)m->B * m->T;
    double loss = 0.0;
    for (size_t i = 0; i < N; i++) {
        const float *x = m->logits + i * V;
        float *d = dlogits ? dlogits + i * V : NULL, sum;
        int tg = targets[i];
        double wi = (tg >= 0 && tg < V) ? (w ? w[i] : 1.0) : 0.0;
        if (wi == 0.0 || wsum <= 0.0) {
            if (d) memset(d, 0, sizeof(float) * V);
            continue;
        }
        double coef = wi / wsum;
        loss += coef * ((double)row_softmax(d, x, V, &sum) - x[tg]);
        if (d) {
            scale_f(d, (float)(coef / sum), V);
            d[tg] -= (float)coef;
        }
    }
    return loss;
}

double gpt_lm_loss(const GPT *m, const int *targets, const float *w,
                   float *dlogits) {
    size_t N = (size_t)m->B * m->T;
    return lm_loss_rows(m, targets, w, lm_wsum(targets, w, N, m->cfg.vocab),
                        dlogits);
}

static double distill_loss_rows(const GPT *m, const float *teacher,
                                const float *w, double wsum, float *dlogits) {
    int V = m->cfg.vocab;
    size_t N = (size_t)m->B * m->T;
    double loss = 0.0;
    for (size_t i = 0; i < N; i++) {
        const float *x = m->logits + i * V, *pt = teacher + i * V;
        float *d = dlogits ? dlogits + i * V : NULL, sum;
        double wi = w ? w[i] : 1.0;
        if (wi == 0.0 || wsum <= 0.0) {
            if (d) memset(d, 0, sizeof(float) * V);
            continue;
        }
        double coef = wi / wsum, kl = 0.0, lse = row_softmax(d, x, V, &sum);
        for (int j = 0; j < V; j++)
            if (pt[j] > 0.0f) kl += pt[j] * (log((double)pt[j]) - (x[j] - lse));
        loss += coef * kl;
        if (d) {
            float c = (float)(coef / sum), cf = (float)coef;
            for (int j = 0; j < V; j++) d[j] = d[j] * c - cf * pt[j];
        }
    }
    return loss;
}

static double distill_wsum(const float *w, size_t N) {
    double wsum = 0.0;
    for (size_t i = 0; i < N; i++) wsum += w ? w[i] : 1.0;
    return wsum;
}

double gpt_distill_loss(const GPT *m, const float *teacher, const float *w,
                        float *dlogits) {
    size_t N = (size_t)m->B * m->T;
    return distill_loss_rows(m, teacher, w, distill_wsum(w, N), dlogits);
}

// grad_micro: gpt_lm_grad (teacher NULL) or gpt_distill_grad.
static int grad_micro(GPT *m, const int *inp, const int *tgt,
                      const float *teacher, const float *w, int B, int T,
                      double *loss, HHErr *err) {
    int V = m->cfg.vocab, rc;
    if (B < 1 || T < 1 || T > m->cfg.ctx)
        return hh_fail(err, HH_EINPUT, "gpt_%s_grad: B=%d T=%d; allowed B >= 1, "
                       "1 <= T <= %d", teacher ? "distill" : "lm", B, T, m->cfg.ctx);
    size_t N = (size_t)B * T;
    double wsum = teacher ? distill_wsum(w, N) : lm_wsum(tgt, w, N, V);
    double sum = 0.0;
    int mb = m->micro_B < m->max_B ? m->micro_B : m->max_B;
    if (mb < 1) mb = 1;
    for (int r0 = 0; r0 < B; r0 += mb) {
        int nb = B - r0 < mb ? B - r0 : mb;
        size_t o = (size_t)r0 * T;
        if ((rc = gpt_forward(m, inp + o, nb, T, 1, err))) return rc;
        const float *wo = w ? w + o : NULL;
        sum += teacher ? distill_loss_rows(m, teacher + o * V, wo, wsum, m->dlogits)
                       : lm_loss_rows(m, tgt + o, wo, wsum, m->dlogits);
        if ((rc = gpt_backward(m, m->dlogits, NULL, NULL, NULL, err))) return rc;
    }
    if (loss) *loss = sum;
    return 0;
}

int gpt_lm_grad(GPT *m, const int *inp, const int *tgt, const float *w, int B,
                int T, double *loss, HHErr *err) {
    return grad_micro(m, inp, tgt, NULL, w, B, T, loss, err);
}

int gpt_distill_grad(GPT *m, const int *inp, const float *teacher,
                     const float *w, int B, int T, double *loss, HHErr *err) {
    return grad_micro(m, inp, NULL, teacher, w, B, T, loss, err);
}

// row_lse: log-sum-exp of x (V) in double (the sampling-side helpers).
static double row_lse(const float *x, int V) {
    float mx = max_f(x, V);
    double s = 0.0;
    for (int j = 0; j < V; j++) s += exp((double)x[j] - mx);
    return mx + log(s);
}

void gpt_softmax(float *probs, const float *logits, int N, int V,
                 float temperature) {
    for (int i = 0; i < N; i++) {
        const float *x = logits + (size_t)i * V;
        float mx = x[0];
        for (int j = 1; j < V; j++) mx = x[j] > mx ? x[j] : mx;
        double s = 0.0;
        for (int j = 0; j < V; j++) s += exp(((double)x[j] - mx) / temperature);
        for (int j = 0; j < V; j++)
            probs[(size_t)i * V + j] =
                (float)(exp(((double)x[j] - mx) / temperature) / s);
    }
}

void gpt_logprobs(double *out, const float *logits, const int *tok, int N,
                  int V) {
    for (int i = 0; i < N; i++) {
        const float *x = logits + (size_t)i * V;
        out[i] = (tok[i] < 0 || tok[i] >= V) ? 0.0 : x[tok[i]] - row_lse(x, V);
    }
}
