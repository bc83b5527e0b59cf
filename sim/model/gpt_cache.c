// gpt_cache.c - the KV cache, gpt_step, gpt_prefill and gpt_sample; see gpt.h
#include "gpt.h"
#include "gpt_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

GPTCache *gpt_cache_alloc(const GPTConfig *cfg, int B, HHErr *err) {
    if (gk_check_config(cfg, err)) return NULL;
    if (B < 1) {
        hh_fail(err, HH_EINPUT, "gpt_cache_alloc: B=%d must be >= 1", B);
        return NULL;
    }
    GPTCache *c = calloc(1, sizeof *c);
    int ctxp = (cfg->ctx + 7) & ~7;
    size_t C = cfg->d_model, rows = (size_t)cfg->n_layer * B * C;
    size_t n = rows * ((size_t)ctxp + cfg->ctx) + (size_t)B * (C * 10 + cfg->vocab + 2) +
               (size_t)(cfg->n_head + 1) * ctxp;
    float *mem = c ? gk_alloc_floats(n) : NULL;
    int *pos = c ? calloc((size_t)B * 2, sizeof(int)) : NULL;
    if (!c || !mem || !pos) {
        free(c);
        gk_free_floats(mem);
        free(pos);
        hh_fail(err, HH_EFAIL, "gpt_cache_alloc: out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    c->B = B;
    c->ctxp = ctxp;
    c->pos = pos;
    float *cur = mem;
    carve(&c->k, &cur, rows * ctxp);
    carve(&c->v, &cur, rows * cfg->ctx);
    carve(&c->x, &cur, B * C);
    carve(&c->ln, &cur, B * C);
    carve(&c->qkv, &cur, B * 3 * C);
    carve(&c->y, &cur, B * C);
    carve(&c->fch, &cur, B * 4 * C);
    carve(&c->mean, &cur, B);
    carve(&c->rstd, &cur, B);
    carve(&c->att, &cur, (size_t)(cfg->n_head + 1) * ctxp);
    // (B, V) compact logits scratch follows att
    return c;
}

void gpt_cache_free(GPTCache *c) {
    if (!c) return;
    gk_free_floats(c->k);  // the single float allocation starts at k
    free(c->pos);
    free(c);
}

void gpt_cache_reset(GPTCache *c) { memset(c->pos, 0, sizeof(int) * c->B); }

// Values are cached in blocks of VB channels: block k (width w_k = min(VB,
// C - k VB)) holds the rows (ctx, w_k) of channels k VB .. k VB + w_k - 1,
// so the value sum of a block reads one contiguous stream.
#define VB 64

// v_at: the value row of block k (width w) at position t.
static inline const float *v_at(const float *vs, int k, int w, int t, int T) {
    return vs + (size_t)k * VB * T + (size_t)t * w;
}

// kv_put: store a key k (C) and value v (C) at position P of one row and
// layer: kt (ctxp / 8, C, 8) keys in tiles of 8 positions, vs (ctx, C) in
// blocks of VB channels.
static void kv_put(float *kt, float *vs, const float *k, const float *v, int P, int C, int T) {
    float *tile = kt + (size_t)(P >> 3) * C * 8 + (P & 7);
    for (int i = 0; i < C; i++) tile[(size_t)i * 8] = k[i];
    for (int c0 = 0; c0 < C; c0 += VB) {
        int w = C - c0 < VB ? C - c0 : VB;
        memcpy(vs + (size_t)c0 * T + (size_t)P * w, v + c0, sizeof(float) * w);
    }
}

// Attention of one new token over a row's cache, per head h:
//   s[t] = (q_h . k_t) / sqrt(hs) for t <= P; e = exp(s - max s);
//   y_h = sum_t (e[t] / sum e) v_t
// in the exact float order of dot_f and of a sequential sum over t, so the
// 8-lane (AVX2) and 4-lane paths give the same bits. A tile of keys holds 8
// positions per channel, so one head's 8 scores are vector sums down its
// hs channels: lane t keeps dot_f's four partial sums over j = 0, 4, .. /
// 1, 5, .. / 2, 6, .. / 3, 7, .., folded as (0 + 1) + (2 + 3), then the
// tail j >= hs & ~3 (lanes past P compute unused values). Keys and values
// are read front to back, one contiguous block each.
static v4f tile_scores4(const float *q, const float *k, int hs, float scale) {
    int hs4 = hs & ~3;
    v4f a0 = v4_set1(0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int j = 0; j < hs4; j += 4) {
        a0 += q[j] * v4_load(k + (size_t)j * 8);
        a1 += q[j + 1] * v4_load(k + (size_t)(j + 1) * 8);
        a2 += q[j + 2] * v4_load(k + (size_t)(j + 2) * 8);
        a3 += q[j + 3] * v4_load(k + (size_t)(j + 3) * 8);
    }
    v4f r = (a0 + a1) + (a2 + a3);
    for (int j = hs4; j < hs; j++) r += q[j] * v4_load(k + (size_t)j * 8);
    return r * scale;
}

// att_scores4: s (NH, ctxp) for the n first positions (rounded up to 8).
static void att_scores4(float *s, const float *q, const float *kt, int n, int C, int NH,
                        int ctxp, float scale) {
    int hs = C / NH;
    for (int t = 0; t < n; t += 8) {
        const float *tile = kt + (size_t)t * C;
        for (int h = 0; h < NH; h++) {
            const float *k = tile + (size_t)h * hs * 8;
            v4_store(s + (size_t)h * ctxp + t, tile_scores4(q + h * hs, k, hs, scale));
            v4_store(s + (size_t)h * ctxp + t + 4, tile_scores4(q + h * hs, k + 4, hs, scale));
        }
    }
}

// y_add: y (n) += a x (n), lane-wise.
static void y_add4(float *y, float a, const float *x, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) v4_store(y + i, v4_load(y + i) + a * v4_load(x + i));
    for (; i < n; i++) y[i] += a * x[i];
}

#ifdef HH_AVX2
AVX2 static inline void att_scores8(float *s, const float *q, const float *kt, int n, int C,
                                    int NH, int ctxp, float scale) {
    int hs = C / NH, hs4 = hs & ~3;
    for (int t = 0; t < n; t += 8) {
        const float *tile = kt + (size_t)t * C;
        for (int h = 0; h < NH; h++) {
            const float *k = tile + (size_t)h * hs * 8, *qh = q + h * hs;
            v8f a0 = {0}, a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < hs4; j += 4) {
                a0 += qh[j] * v8_load(k + (size_t)j * 8);
                a1 += qh[j + 1] * v8_load(k + (size_t)(j + 1) * 8);
                a2 += qh[j + 2] * v8_load(k + (size_t)(j + 2) * 8);
                a3 += qh[j + 3] * v8_load(k + (size_t)(j + 3) * 8);
            }
            v8f r = (a0 + a1) + (a2 + a3);
            for (int j = hs4; j < hs; j++) r += qh[j] * v8_load(k + (size_t)j * 8);
            v8_store(s + (size_t)h * ctxp + t, r * scale);
        }
    }
}

AVX2 static void y_add8(float *y, float a, const float *x, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) v8_store(y + i, v8_load(y + i) + a * v8_load(x + i));
    if (i < n) y_add4(y + i, a, x + i, n - i);
}

// values8: y (C) = sum_t p[h(i), t] v_t[i] for the n positions, each
// channel summed from 0 in order of t as y_add8 does (the same bits), with
// the sums held in registers, one block of VB = 64 channels (8 vectors) at
// a time, reading it front to back; the weight of each vector that of its
// head (hs % 8 == 0, so no vector straddles two heads); p (NH, ctxp) the
// normalised weights.
AVX2 static inline void values8(float *y, const float *p, const float *vs, int n, int C,
                                int hs, int ctxp, int T) {
    int c0 = 0;
    for (; c0 + VB <= C; c0 += VB) {
        const float *w[8], *v = v_at(vs, c0 / VB, VB, 0, T);
        for (int u = 0; u < 8; u++) w[u] = p + (size_t)((c0 + 8 * u) / hs) * ctxp;
        v8f a0 = {0}, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int t = 0; t < n; t++, v += VB) {
            a0 += w[0][t] * v8_load(v);
            a1 += w[1][t] * v8_load(v + 8);
            a2 += w[2][t] * v8_load(v + 16);
            a3 += w[3][t] * v8_load(v + 24);
            a4 += w[4][t] * v8_load(v + 32);
            a5 += w[5][t] * v8_load(v + 40);
            a6 += w[6][t] * v8_load(v + 48);
            a7 += w[7][t] * v8_load(v + 56);
        }
        v8_store(y + c0, a0);
        v8_store(y + c0 + 8, a1);
        v8_store(y + c0 + 16, a2);
        v8_store(y + c0 + 24, a3);
        v8_store(y + c0 + 32, a4);
        v8_store(y + c0 + 40, a5);
        v8_store(y + c0 + 48, a6);
        v8_store(y + c0 + 56, a7);
    }
    int wl = C - c0;  // the last, narrower block (a multiple of 8 wide)
    for (int j = 0; j < wl; j += 8) {
        const float *w = p + (size_t)((c0 + j) / hs) * ctxp, *v = v_at(vs, c0 / VB, wl, 0, T) + j;
        v8f a = {0};
        for (int t = 0; t < n; t++, v += wl) a += w[t] * v8_load(v);
        v8_store(y + c0 + j, a);
    }
}
#endif

// step_attention: y (C) for one row at position P with query q (C), keys
// kt (ctxp / 8, C, 8) and values vs (ctx, C) filled up to P; att (NH,
// ctxp) scratch, inv (NH) scratch.
static void step_attention(float *y, float *att, float *inv, const float *q, const float *kt,
                           const float *vs, int P, int C, int NH, int ctxp, int T) {
    int hs = C / NH, n = P + 1, avx2 = gk_have_avx2();
    float scale = 1.0f / sqrtf((float)hs);
#ifdef HH_AVX2
    if (avx2) att_scores8(att, q, kt, n, C, NH, ctxp, scale);
    else
#endif
        att_scores4(att, q, kt, n, C, NH, ctxp, scale);
    for (int h = 0; h < NH; h++) {
        float *e = att + (size_t)h * ctxp;
        inv[h] = 1.0f / gk_exp_shift_sum(e, e, n, max_f(e, n));
    }
#ifdef HH_AVX2
    if (avx2 && hs % 8 == 0) {
        for (int h = 0; h < NH; h++) scale_f(att + (size_t)h * ctxp, inv[h], n);
        values8(y, att, vs, n, C, hs, ctxp, T);
        return;
    }
#endif
    memset(y, 0, sizeof(float) * C);
    for (int t = 0; t < n; t++)
        for (int h = 0; h < NH; h++) {
            float a = att[(size_t)h * ctxp + t] * inv[h];
            for (int i = h * hs, end = i + hs; i < end;) {  // the head's part of each block
                int k = i / VB, w = C - k * VB < VB ? C - k * VB : VB;
                int e = end < (k + 1) * VB ? end : (k + 1) * VB;
                const float *v = v_at(vs, k, w, t, T) + (i - k * VB);
#ifdef HH_AVX2
                if (avx2) y_add8(y + i, a, v, e - i);
                else
#endif
                    y_add4(y + i, a, v, e - i);
                i = e;
            }
        }
}

int gpt_step(const GPT *m, GPTCache *c, const int *tok, float *logits,
             HHErr *err) {
    const GPTConfig *g = &m->cfg;
    int L = g->n_layer, C = g->d_model, NH = g->n_head, V = g->vocab;
    int T = g->ctx, n = 0, *rows = c->pos + c->B;
    if (memcmp(&c->cfg, g, sizeof *g) != 0)
        return hh_fail(err, HH_EINPUT, "gpt_step: cache built for another config");
    for (int b = 0; b < c->B; b++) {
        if (tok[b] < 0) continue;
        if (tok[b] >= V)
            return hh_fail(err, HH_EINPUT, "gpt_step: token %d of row %d "
                           "outside 0..%d", tok[b], b, V - 1);
        else if (c->pos[b] >= T)
            return hh_fail(err, HH_EINPUT, "gpt_step: row %d is full "
                           "(ctx=%d)", b, T);
        rows[n++] = b;
    }
    if (n == 0) return 0;
    const GPTParams *p = &m->p;
    for (int r = 0; r < n; r++) {
        int b = rows[r];
        const float *e = p->wte + (size_t)tok[b] * C;
        const float *ps = p->wpe + (size_t)c->pos[b] * C;
        for (int i = 0; i < C; i++) c->x[r * C + i] = e[i] + ps[i];
    }
    for (int l = 0; l < L; l++) {
        size_t wC = (size_t)l * C * C;
        gk_layernorm_forward(c->ln, c->mean, c->rstd, c->x, p->ln1w + l * C,
                             p->ln1b + l * C, n, C);
        gk_matmul_forward(c->qkv, NULL, c->ln, p->qkvw + 3 * wC,
                          p->qkvb + l * 3 * C, n, C, 3 * C);
        for (int r = 0; r < n; r++) {
            int b = rows[r], P = c->pos[b];
            size_t row = ((size_t)l * c->B + b) * C;
            float *kt = c->k + row * c->ctxp, *vs = c->v + row * T;
            const float *q = c->qkv + (size_t)r * 3 * C;
            kv_put(kt, vs, q + C, q + 2 * C, P, C, T);
            step_attention(c->y + (size_t)r * C, c->att, c->att + (size_t)NH * c->ctxp, q,
                           kt, vs, P, C, NH, c->ctxp, T);
        }
        gk_matmul_forward(c->x, c->x, c->y, p->attprojw + wC,
                          p->attprojb + l * C, n, C, C);
        gk_layernorm_forward(c->ln, c->mean, c->rstd, c->x, p->ln2w + l * C,
                             p->ln2b + l * C, n, C);
        gk_matmul_forward(c->fch, NULL, c->ln, p->fcw + 4 * wC,
                          p->fcb + l * 4 * C, n, C, 4 * C);
        gk_gelu_forward(c->fch, NULL, c->fch, (size_t)n * 4 * C);
        gk_matmul_forward(c->x, c->x, c->fch, p->fcprojw + 4 * wC,
                          p->fcprojb + l * C, n, 4 * C, C);
    }
    gk_layernorm_forward(c->ln, c->mean, c->rstd, c->x, p->lnfw, p->lnfb, n, C);
    float *lg = c->att + (size_t)(NH + 1) * c->ctxp;  // (n, V) scratch
    gk_matmul_forward(lg, NULL, c->ln, p->wte, NULL, n, C, V);
    for (int r = 0; r < n; r++) {
        memcpy(logits + (size_t)rows[r] * V, lg + (size_t)r * V,
               sizeof(float) * V);
        c->pos[rows[r]]++;
    }
    return 0;
}

int gpt_prefill(GPT *m, GPTCache *c, const int *prompts, const int *len,
                int T, float *logits, HHErr *err) {
    const GPTConfig *g = &m->cfg;
    int B = c->B, C = g->d_model, V = g->vocab;
    if (memcmp(&c->cfg, g, sizeof *g) != 0)
        return hh_fail(err, HH_EINPUT, "gpt_prefill: cache built for another config");
    for (int b = 0; b < B; b++)
        if (len[b] < 1 || len[b] > T)
            return hh_fail(err, HH_EINPUT, "gpt_prefill: len[%d]=%d outside "
                           "1..%d", b, len[b], T);
    if (gpt_forward(m, prompts, B, T, 1, err)) return err ? err->code : HH_EINPUT;
    size_t S = (size_t)m->max_B * g->ctx;
    for (int l = 0; l < g->n_layer; l++)
        for (int b = 0; b < B; b++) {
            size_t row = ((size_t)l * B + b) * C;
            for (int t = 0; t < len[b]; t++) {
                const float *q = m->a.qkv + (l * S + (size_t)b * T + t) * 3 * C;
                kv_put(c->k + row * c->ctxp, c->v + row * g->ctx, q + C, q + 2 * C, t, C, g->ctx);
            }
        }
    for (int b = 0; b < B; b++) {
        c->pos[b] = len[b];
        memcpy(logits + (size_t)b * V,
               m->logits + ((size_t)b * T + len[b] - 1) * V, sizeof(float) * V);
    }
    return 0;
}

#define SAMPLE_KEEP 256

int gpt_sample(const float *logits, int V, float temperature, int top_k,
               gsl_rng *r) {
    float mx = logits[0];
    int arg = 0;
    for (int j = 1; j < V; j++)
        if (logits[j] > mx) mx = logits[j], arg = j;
    if (temperature <= 0.0f) return arg;
    // keep j iff fewer than top_k entries rank above it (ties: lower index)
    float thr = -INFINITY;
    if (top_k > 0 && top_k < V)
        for (int j = 0; j < V; j++) {
            int above = 0;
            for (int i = 0; i < V && above < top_k; i++)
                above += logits[i] > logits[j] || (logits[i] == logits[j] && i < j);
            if (above == top_k - 1 && logits[j] > thr) thr = logits[j];
            if (above == top_k - 1) break;
        }
    // the exps of the first pass are kept for the second (V <= SAMPLE_KEEP)
    double e[SAMPLE_KEEP], s = 0.0;
    int keep = V <= SAMPLE_KEEP;
    for (int j = 0; j < V; j++)
        if (logits[j] >= thr) {
            double x = exp(((double)logits[j] - mx) / temperature);
            if (keep) e[j] = x;
            s += x;
        }
    double u = gsl_rng_uniform(r) * s, acc = 0.0;
    int last = arg;
    for (int j = 0; j < V; j++) {
        if (logits[j] < thr) continue;
        acc += keep ? e[j] : exp(((double)logits[j] - mx) / temperature);
        last = j;
        if (u < acc) return j;
    }
    return last;
}
