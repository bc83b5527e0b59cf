// eval.c - see eval.h
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pm.h"
#include "rng.h"

void eval_gold_one(const World *w, const uint8_t *prompt, int plen, const uint8_t *resp, int rlen,
                   GoldScore *g) {
    PromptInfo info;
    world_prompt_info(w, prompt, plen, &info);
    g->help = world_help(w, &info, resp, rlen);
    g->harm = world_harm(&info, resp, rlen);
    g->refuse = 0;
    for (int i = 0; i < rlen; i++) g->refuse |= resp[i] == TOK_SORRY;
    g->kind = info.kind;
    g->task = info.task;
}

int eval_pick(const SeqSet *ps, int per_kind, int *idx) {
    int cnt[N_KINDS] = {0}, n = 0;
    for (int i = 0; i < ps->n; i++) {
        int k = ps->kind[i];
        if (k < 0 || k >= N_KINDS || cnt[k]++ >= per_kind) continue;
        idx[n++] = i;
    }
    return n;
}

// Copy rows idx[0..n-1] of ps into pr (n, ctx) and their lengths into pl.
static void gather(const SeqSet *ps, const int *idx, int n, uint8_t *pr, int32_t *pl) {
    for (int j = 0; j < n; j++) {
        memcpy(pr + (size_t)j * ps->ctx, ps->tok + (size_t)idx[j] * ps->ctx, (size_t)ps->ctx);
        pl[j] = ps->len[idx[j]];
    }
}

int eval_gold(GPT *m, const WorldData *d, int max_per_kind, const RolloutOpts *o, gsl_rng *r,
              GoldEval *ev, HHErr *err) {
    memset(ev, 0, sizeof *ev);
    const SeqSet *ps = &d->prompts[SPLIT_TEST];
    int *idx = malloc(sizeof(int) * ((size_t)ps->n + 1));
    uint8_t *pr = malloc((size_t)ps->n * ps->ctx + 1), *resp = malloc((size_t)ps->n * RESP_MAX + 1);
    int32_t *plen = malloc(sizeof(int32_t) * ((size_t)ps->n + 1));
    int32_t *rlen = malloc(sizeof(int32_t) * ((size_t)ps->n + 1));
    GPTCache *c = gpt_cache_alloc(&m->cfg, m->max_B < 64 ? m->max_B : 64, err);
    int rc = !c ? HH_EFAIL : (!idx || !pr || !resp || !plen || !rlen)
                                 ? hh_fail(err, HH_EFAIL, "gold evaluation: out of memory") : 0;
    int n = rc ? 0 : eval_pick(ps, max_per_kind, idx);
    if (!rc) gather(ps, idx, n, pr, plen);
    if (!rc) rc = rollout_generate(m, c, pr, plen, n, ps->ctx, o, r, resp, rlen, err);
    for (int j = 0; !rc && j < n; j++) {
        GoldScore g;
        eval_gold_one(&d->world, pr + (size_t)j * ps->ctx, plen[j], resp + (size_t)j * RESP_MAX,
                      rlen[j], &g);
        int k = g.kind;
        ev->n[k]++;
        ev->help[k] += g.help;
        ev->harm[k] += g.harm;
        ev->refuse[k] += g.refuse;
        if (k == KIND_BENIGN) { ev->task_n[g.task]++; ev->task_help[g.task] += g.help; }
    }
    for (int k = 0; k < N_KINDS; k++)
        if (ev->n[k] > 0) { ev->help[k] /= ev->n[k]; ev->harm[k] /= ev->n[k]; ev->refuse[k] /= ev->n[k]; }
    for (int t = 0; t < N_TASKS; t++) if (ev->task_n[t] > 0) ev->task_help[t] /= ev->task_n[t];
    gpt_cache_free(c);
    free(idx); free(pr); free(resp); free(plen); free(rlen);
    return rc;
}

int eval_norm_scores(const Params *p, const WorldData *d, GPT *pol, const char *job,
                     GPT *const *pms, int npm, int n, double *scores, HHErr *err) {
    const SeqSet *ps = &d->prompts[SPLIT_TRAIN];
    uint8_t *pr = malloc((size_t)n * ps->ctx), *resp = malloc((size_t)n * RESP_MAX);
    int32_t *pl = malloc(sizeof(int32_t) * n), *rl = malloc(sizeof(int32_t) * n);
    GPTCache *c = gpt_cache_alloc(&pol->cfg, pol->max_B < 64 ? pol->max_B : 64, err);
    int rc = !c ? HH_EFAIL : (!pr || !resp || !pl || !rl)
                                 ? hh_fail(err, HH_EFAIL, "reward normalisation: out of memory") : 0;
    for (int i = 0; !rc && i < n; i++) {
        memcpy(pr + (size_t)i * ps->ctx, ps->tok + (size_t)(i % ps->n) * ps->ctx, (size_t)ps->ctx);
        pl[i] = ps->len[i % ps->n];
    }
    gsl_rng *r = rng_stream_alloc(p->seed, job, "norm");
    RolloutOpts ro = {1.0f, 0, RESP_MAX, 0};
    if (!rc) rc = rollout_generate(pol, c, pr, pl, n, ps->ctx, &ro, r, resp, rl, err);
    gsl_rng_free(r);
    for (int k = 0; !rc && k < npm; k++)
        rc = pm_score(pms[k], pr, pl, ps->ctx, resp, rl, n, scores + (size_t)k * n, err);
    gpt_cache_free(c);
    free(pr); free(resp); free(pl); free(rl);
    return rc;
}

void eval_norm_stats(const double *s, int n, double *mean, double *sd) {
    double m = 0, v = 0;
    for (int i = 0; i < n; i++) m += s[i] / n;
    for (int i = 0; i < n; i++) v += (s[i] - m) * (s[i] - m) / (n > 1 ? n - 1 : 1);
    *mean = m;
    *sd = sqrt(v);
}
