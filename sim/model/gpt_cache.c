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
    size_t C = cfg->d_model, kv = (size_t)cfg->n_layer * B * cfg->ctx * C;
    size_t n = 2 * kv + (size_t)B * (C * 10 + cfg->vocab + 2) + cfg->ctx;
    float *mem = c ? calloc(n, sizeof(float)) : NULL;
    int *pos = c ? calloc((size_t)B * 2, sizeof(int)) : NULL;
    if (!c || !mem || !pos) {
        free(c);
        free(mem);
        free(pos);
        hh_fail(err, HH_EFAIL, "gpt_cache_alloc: out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    c->B = B;
    c->pos = pos;
    float *cur = mem;
    carve(&c->k, &cur, kv);
    carve(&c->v, &cur, kv);
    carve(&c->x, &cur, B * C);
    carve(&c->ln, &cur, B * C);
    carve(&c->qkv, &cur, B * 3 * C);
    carve(&c->y, &cur, B * C);
    carve(&c->fch, &cur, B * 4 * C);
    carve(&c->mean, &cur, B);
    carve(&c->rstd, &cur, B);
    carve(&c->att, &cur, cfg->ctx);
    // (B, V) compact logits scratch follows att
    return c;
}

void gpt_cache_free(GPTCache *c) {
    if (!c) return;
    free(c->k);  // the single float allocation starts at k
    free(c->pos);
    free(c);
}

void gpt_cache_reset(GPTCache *c) { memset(c->pos, 0, sizeof(int) * c->B); }

// step_attention: y (C) for one row at position P, with q (C) and the row's
// cached k, v (ctx, C) filled up to P.
static void step_attention(float *y, float *att, const float *q,
                           const float *k, const float *v, int P, int C,
                           int NH) {
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    for (int h = 0; h < NH; h++) {
        const float *qh = q + h * hs;
        float mx = -INFINITY, s = 0.0f;
        for (int t = 0; t <= P; t++) {
            att[t] = dot_f(qh, k + (size_t)t * C + h * hs, hs) * scale;
            mx = att[t] > mx ? att[t] : mx;
        }
        s = gk_exp_shift_sum(att, att, P + 1, mx);
        float inv = 1.0f / s, *yh = y + h * hs;
        for (int i = 0; i < hs; i++) yh[i] = 0.0f;
        for (int t = 0; t <= P; t++) {
            const float *vt = v + (size_t)t * C + h * hs;
            float a = att[t] * inv;
            int i = 0;
            for (; i + 4 <= hs; i += 4)
                v4_store(yh + i, v4_load(yh + i) + a * v4_load(vt + i));
            for (; i < hs; i++) yh[i] += a * vt[i];
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
            size_t row = ((size_t)l * c->B + b) * T * C;
            const float *q = c->qkv + (size_t)r * 3 * C;
            memcpy(c->k + row + (size_t)P * C, q + C, sizeof(float) * C);
            memcpy(c->v + row + (size_t)P * C, q + 2 * C, sizeof(float) * C);
            step_attention(c->y + (size_t)r * C, c->att, q, c->k + row,
                           c->v + row, P, C, NH);
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
    float *lg = c->att + T;  // (n, V) scratch
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
            size_t row = ((size_t)l * B + b) * g->ctx * C;
            for (int t = 0; t < len[b]; t++) {
                const float *q = m->a.qkv + (l * S + (size_t)b * T + t) * 3 * C;
                memcpy(c->k + row + (size_t)t * C, q + C, sizeof(float) * C);
                memcpy(c->v + row + (size_t)t * C, q + 2 * C, sizeof(float) * C);
            }
        }
    for (int b = 0; b < B; b++) {
        c->pos[b] = len[b];
        memcpy(logits + (size_t)b * V,
               m->logits + ((size_t)b * T + len[b] - 1) * V, sizeof(float) * V);
    }
    return 0;
}

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
    double s = 0.0;
    for (int j = 0; j < V; j++)
        if (logits[j] >= thr) s += exp(((double)logits[j] - mx) / temperature);
    double u = gsl_rng_uniform(r) * s, acc = 0.0;
    int last = arg;
    for (int j = 0; j < V; j++) {
        if (logits[j] < thr) continue;
        acc += exp(((double)logits[j] - mx) / temperature);
        last = j;
        if (u < acc) return j;
    }
    return last;
}
