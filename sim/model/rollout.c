// rollout.c - see rollout.h
#include "rollout.h"

#include <stdlib.h>
#include <string.h>

#include "world.h"

// Copy prompt i into row b of the int batch, inserting HHH after BOS if asked.
static int load_prompt(int *dst, const uint8_t *src, int len, int hhh) {
    int k = 0;
    for (int t = 0; t < len; t++) {
        dst[k++] = src[t];
        if (t == 0 && hhh) dst[k++] = TOK_HHH;
    }
    return k;
}

static int generate_chunk(GPT *m, GPTCache *c, const uint8_t *prompts, const int32_t *plen,
                          int i0, int nb, int ctx, const RolloutOpts *o, gsl_rng *r,
                          uint8_t *resp, int32_t *rlen, int *work, HHErr *err) {
    int B = c->B, V = m->cfg.vocab;
    int *batch = work, *len = work + (size_t)B * ctx, *tok = len + B, *done = tok + B;
    float *logits = (float *)(done + B);
    int T = 1;
    for (size_t k = 0; k < (size_t)B * ctx; k++) batch[k] = TOK_PAD;
    for (int b = 0; b < B; b++) {
        int i = i0 + (b < nb ? b : 0);  // pad the last chunk with a copy of its first prompt
        len[b] = load_prompt(batch + (size_t)b * ctx, prompts + (size_t)i * ctx, plen[i],
                             o->hhh_prefix);
        if (len[b] >= ctx) return hh_fail(err, HH_EINPUT, "rollout: prompt %d fills the context", i);
        if (len[b] > T) T = len[b];
    }
    // compact rows to stride T for prefill
    for (int b = 1; b < B; b++) memmove(batch + (size_t)b * T, batch + (size_t)b * ctx,
                                        sizeof(int) * (size_t)T);
    if (gpt_prefill(m, c, batch, len, T, logits, err)) return HH_EFAIL;
    for (int b = 0; b < nb; b++) {
        rlen[i0 + b] = 0;
        memset(resp + (size_t)(i0 + b) * RESP_MAX, TOK_PAD, RESP_MAX);
    }
    memset(done, 0, sizeof(int) * (size_t)B);
    for (int b = nb; b < B; b++) done[b] = 1;
    for (int s = 0; s < o->max_resp; s++) {
        int active = 0;
        for (int b = 0; b < B; b++) {
            tok[b] = -1;
            if (done[b]) continue;
            int t = gpt_sample(logits + (size_t)b * V, V, o->temperature, o->top_k, r);
            uint8_t *row = resp + (size_t)(i0 + b) * RESP_MAX;
            row[rlen[i0 + b]++] = (uint8_t)t;
            int turn = o->stop_turn && (t == TOK_BOS || t == TOK_H || t == TOK_A || t == TOK_HHH);
            if (t == TOK_EOS || turn || rlen[i0 + b] >= o->max_resp || c->pos[b] >= ctx) done[b] = 1;
            else { tok[b] = t; active++; }
        }
        if (!active) break;
        if (gpt_step(m, c, tok, logits, err)) return HH_EFAIL;
    }
    return 0;
}

int rollout_generate(GPT *m, GPTCache *cache, const uint8_t *prompts, const int32_t *plen, int n,
                     int ctx, const RolloutOpts *o, gsl_rng *r, uint8_t *resp, int32_t *rlen,
                     HHErr *err) {
    int B = cache->B, V = m->cfg.vocab;
    if (B > m->max_B || ctx != m->cfg.ctx || o->max_resp < 1 || o->max_resp > RESP_MAX)
        return hh_fail(err, HH_EINPUT, "rollout: cache rows %d > model rows %d, ctx %d != %d, or "
                       "max_resp %d outside 1..%d", B, m->max_B, ctx, m->cfg.ctx, o->max_resp,
                       RESP_MAX);
    size_t words = (size_t)B * ctx + 3 * (size_t)B + (size_t)B * V;
    int *work = malloc(sizeof(int) * words);
    if (!work) return hh_fail(err, HH_EFAIL, "rollout: out of memory");
    int rc = 0;
    for (int i0 = 0; !rc && i0 < n; i0 += B) {
        int nb = n - i0 < B ? n - i0 : B;
        rc = generate_chunk(m, cache, prompts, plen, i0, nb, ctx, o, r, resp, rlen, work, err);
    }
    free(work);
    return rc;
}
