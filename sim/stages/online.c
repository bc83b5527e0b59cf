// online.c - see online.h
#include "online.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "crowd.h"
#include "h5io.h"
#include "lm.h"
#include "pm.h"
#include "progress.h"
#include "rl.h"
#include "rng.h"
#include "rollout.h"
#include "worldgen.h"

int online_rounds(const Params *p) { return (int)p->ext[ON_SLOT]; }
int online_prompts(const Params *p) { return (int)p->ext[ON_SLOT + 1]; }
int online_bon_n(const Params *p) { return (int)p->ext[ON_SLOT + 2]; }

// One job: the static RL run it continues, the train PM's job, the round.
typedef struct {
    RLJob rl;      // the static HH run (SCALE vs SCALE PM, hh, seed s); for a policy job, modified
    PMJob base;    // the static train PM (pm/..._half0)
    JobKey pm_key; // this round's data + PM job
    int round;
} OnlineJob;

static void data_key(const char *scale, int seed, int round, JobKey *k) {
    jobkey_init(k);
    snprintf(k->scale, sizeof k->scale, "%s", scale);
    snprintf(k->variant, sizeof k->variant, "pm");
    k->seed = seed;
    k->round = round;
}

static void policy_key(const char *scale, int seed, int round, JobKey *k) {
    jobkey_init(k);
    snprintf(k->scale, sizeof k->scale, "%s", scale);
    snprintf(k->pm_scale, sizeof k->pm_scale, "%s", scale);
    snprintf(k->variant, sizeof k->variant, "hh");
    k->seed = seed;
    k->round = round;
}

static const char *online_off(const Params *p) {
    if (online_rounds(p) == 0) return "[online] rounds = 0";
    if (p->online_scales.n == 0) return "[online] scales is empty";
    return STAGE_RL.off ? STAGE_RL.off(p) : NULL;
}

// ---------------------------------------------------------------------------
// the data + PM job

typedef struct {
    int P, ctx;
    uint8_t *pr, *ch, *rj;  // (P, ctx), (P, RESP_MAX) x 2
    int32_t *pl, *cl, *rl, *worker;
    int8_t *kind, *set, *gold;
    double *hc, *hr, *xc, *xr, *s0c, *s0r, *spc, *spr;
} Round;

static void round_free(Round *r) {
    free(r->pr); free(r->ch); free(r->rj); free(r->pl); free(r->cl); free(r->rl); free(r->worker);
    free(r->kind); free(r->set); free(r->gold);
    free(r->hc); free(r->hr); free(r->xc); free(r->xr); free(r->s0c); free(r->s0r); free(r->spc);
    free(r->spr);
    memset(r, 0, sizeof *r);
}

static int round_alloc(Round *r, int P, int ctx) {
    memset(r, 0, sizeof *r);
    r->P = P, r->ctx = ctx;
    size_t n = (size_t)P + 1;
    r->pr = calloc(n, (size_t)ctx), r->ch = calloc(n, RESP_MAX), r->rj = calloc(n, RESP_MAX);
    r->pl = calloc(n, 4), r->cl = calloc(n, 4), r->rl = calloc(n, 4), r->worker = calloc(n, 4);
    r->kind = calloc(n, 1), r->set = calloc(n, 1), r->gold = calloc(n, 1);
    double **d[8] = {&r->hc, &r->hr, &r->xc, &r->xr, &r->s0c, &r->s0r, &r->spc, &r->spr};
    int ok = r->pr && r->ch && r->rj && r->pl && r->cl && r->rl && r->worker && r->kind && r->set &&
             r->gold;
    for (int k = 0; k < 8; k++) ok &= (*d[k] = calloc(n, sizeof(double))) != NULL;
    return ok ? 0 : -1;
}

// Read the comparisons of an earlier round's file (prompts and responses, checked).
static int round_read(const char *path, int ctx, Round *r, HHErr *err) {
    hid_t f;
    if (h5in_open(path, "online", &f, err)) return HH_EINPUT;
    hsize_t dp[2] = {0, (hsize_t)ctx};
    void *pr = NULL, *ch = NULL, *rj = NULL, *pl = NULL, *cl = NULL, *rl = NULL;
    int rc = h5_read(f, path, "online/prompt", H5T_NATIVE_UINT8, 2, dp, &pr, err);
    hsize_t P = dp[0], d1[1] = {P}, dr[2] = {P, RESP_MAX};
    if (!rc) rc = h5_read(f, path, "online/prompt_len", H5T_NATIVE_INT32, 1, d1, &pl, err) ||
                  h5_read(f, path, "online/chosen", H5T_NATIVE_UINT8, 2, dr, &ch, err) ||
                  h5_read(f, path, "online/rejected", H5T_NATIVE_UINT8, 2, dr, &rj, err) ||
                  h5_read(f, path, "online/chosen_len", H5T_NATIVE_INT32, 1, d1, &cl, err) ||
                  h5_read(f, path, "online/rejected_len", H5T_NATIVE_INT32, 1, d1, &rl, err);
    if (!rc) rc = h5_check_int(path, "online/prompt_len", pl, H5_I32, P, 1, ctx, err) ||
                  h5_check_int(path, "online/chosen_len", cl, H5_I32, P, 0, RESP_MAX, err) ||
                  h5_check_int(path, "online/rejected_len", rl, H5_I32, P, 0, RESP_MAX, err);
    H5Fclose(f);
    memset(r, 0, sizeof *r);
    if (!rc) {
        r->P = (int)P, r->ctx = ctx;
        r->pr = pr, r->ch = ch, r->rj = rj, r->pl = pl, r->cl = cl, r->rl = rl;
        return 0;
    }
    free(pr); free(ch); free(rj); free(pl); free(cl); free(rl);
    return rc ? HH_EINPUT : 0;
}

// 1 when tok (len) equals a prompt of ps.
static int in_set(const SeqSet *ps, const uint8_t *tok, int len) {
    for (int i = 0; i < ps->n; i++)
        if (ps->len[i] == len && !memcmp(ps->tok + (size_t)i * ps->ctx, tok, (size_t)len)) return 1;
    return 0;
}

static double quantile75(const double *v, size_t n) {
    double *s = malloc(sizeof(double) * (n + 1));
    if (!s || n == 0) { free(s); return NAN; }
    memcpy(s, v, sizeof(double) * n);
    gsl_sort(s, 1, n);
    double q = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.75);
    free(s);
    return q;
}

static int write_d(hid_t f, const char *name, const double *v, size_t n, const char *units,
                   const char *desc, HHErr *err) {
    hsize_t d[1] = {n};
    return h5_write(f, name, H5T_NATIVE_DOUBLE, 1, d, v, units, desc, err);
}

typedef struct {
    int n_base, n_train, best_epoch, n_tail;
    double q75_0, q75_p, share0, base_share0, tail_crowd, tail_gold, acc_crowd, acc_gold;
} RoundStats;

static int write_round(hid_t f, const Round *r, const double *base0, int nb, const RoundStats *s,
                       int round, HHErr *err) {
    hsize_t P = (hsize_t)r->P, dp[2] = {P, (hsize_t)r->ctx}, dr[2] = {P, RESP_MAX}, d1[1] = {P};
    int rc = h5_write(f, "online/prompt", H5T_NATIVE_UINT8, 2, dp, r->pr, "tokens",
                      "fresh prompts of the round (PAD after prompt_len)", err) ||
             h5_write(f, "online/prompt_len", H5T_NATIVE_INT32, 1, d1, r->pl, "tokens", "prompt lengths", err) ||
             h5_write(f, "online/kind", H5T_NATIVE_INT8, 1, d1, r->kind, "enum",
                      "prompt kind: 0 benign, 1 borderline, 2 red-team, 3 disguised", err) ||
             h5_write(f, "online/set", H5T_NATIVE_INT8, 1, d1, r->set, "enum",
                      "0 helpful (helpfulness worker), 1 harmless (red-team worker)", err) ||
             h5_write(f, "online/worker", H5T_NATIVE_INT32, 1, d1, r->worker, "worker id",
                      "crowdworker who labelled the pair", err) ||
             h5_write(f, "online/chosen", H5T_NATIVE_UINT8, 2, dr, r->ch, "tokens",
                      "the crowdworker's pick (PAD after chosen_len)", err) ||
             h5_write(f, "online/rejected", H5T_NATIVE_UINT8, 2, dr, r->rj, "tokens",
                      "the other response", err) ||
             h5_write(f, "online/chosen_len", H5T_NATIVE_INT32, 1, d1, r->cl, "tokens", "chosen lengths", err) ||
             h5_write(f, "online/rejected_len", H5T_NATIVE_INT32, 1, d1, r->rl, "tokens", "rejected lengths", err) ||
             h5_write(f, "online/gold", H5T_NATIVE_INT8, 1, d1, r->gold, "sign",
                      "+1 chosen is gold-better under the worker's criterion, -1 rejected is, 0 tie", err) ||
             write_d(f, "online/help_chosen", r->hc, P, "gold help [0,1]", "gold help of the chosen response", err) ||
             write_d(f, "online/help_rejected", r->hr, P, "gold help [0,1]", "gold help of the rejected response", err) ||
             write_d(f, "online/harm_chosen", r->xc, P, "gold harm [0,1]", "gold harm of the chosen response", err) ||
             write_d(f, "online/harm_rejected", r->xr, P, "gold harm [0,1]", "gold harm of the rejected response", err) ||
             write_d(f, "online/score0_chosen", r->s0c, P, "PM score", "static train PM's score of the chosen response", err) ||
             write_d(f, "online/score0_rejected", r->s0r, P, "PM score", "static train PM's score of the rejected response", err) ||
             write_d(f, "online/scorep_chosen", r->spc, P, "PM score",
                     "previous PM's score (the PM that picked the best of bon_n) of the chosen response", err) ||
             write_d(f, "online/scorep_rejected", r->spr, P, "PM score",
                     "previous PM's score of the rejected response", err) ||
             write_d(f, "online/base_score0", base0, 2 * (size_t)nb, "PM score",
                     "static train PM's scores of the chosen then the rejected responses of its own "
                     "training data (the base data)", err);
    struct { const char *n; double v; } A[] = {
        {"round", round}, {"n_base", s->n_base}, {"n_train", s->n_train}, {"best_epoch", s->best_epoch},
        {"n_tail", s->n_tail}, {"q75_base0", s->q75_0}, {"q75_basep", s->q75_p},
        {"share_above0", s->share0}, {"base_share_above0", s->base_share0},
        {"tail_acc_crowd", s->tail_crowd}, {"tail_acc_gold", s->tail_gold},
        {"acc_crowd", s->acc_crowd}, {"acc_gold", s->acc_gold}};
    for (size_t i = 0; !rc && i < sizeof A / sizeof A[0]; i++)
        rc = h5_attr_double(f, "online", A[i].n, A[i].v, err);
    if (!rc) rc = h5_attr_str(f, "online", "description",
                              "round statistics (online.h): q75 = 75th percentile of the base data's "
                              "response scores; tail = pairs with both responses above the previous "
                              "PM's q75_basep; accuracies of the previous PM (ties 1/2; gold ties skipped)",
                              err);
    return rc;
}

// The previous PM's accuracy on pairs (all, or the upper tail above q).
static void accuracies(const Round *r, double q, RoundStats *s) {
    double a[2][2] = {{0, 0}, {0, 0}}, n[2][2] = {{0, 0}, {0, 0}};  // [all, tail][crowd, gold]
    for (int i = 0; i < r->P; i++) {
        double d = r->spc[i] - r->spr[i], c = d > 0 ? 1 : d == 0 ? 0.5 : 0;
        int tail = r->spc[i] > q && r->spr[i] > q;
        for (int t = 0; t <= tail; t++) {
            a[t][0] += c, n[t][0]++;
            if (r->gold[i]) a[t][1] += r->gold[i] > 0 ? c : 1 - c, n[t][1]++;
        }
    }
    s->acc_crowd = n[0][0] ? a[0][0] / n[0][0] : NAN;
    s->acc_gold = n[0][1] ? a[0][1] / n[0][1] : NAN;
    s->tail_crowd = n[1][0] ? a[1][0] / n[1][0] : NAN;
    s->tail_gold = n[1][1] ? a[1][1] / n[1][1] : NAN;
    s->n_tail = (int)n[1][0];
}

static int load_prev(const Params *p, const Job *jb, const OnlineJob *oj, GPT **pol, GPT **pm0,
                     GPT **pmp, HHErr *err) {
    const char *sc = oj->rl.policy;
    JobKey pk, mk;
    const char *ppath, *mpath, *bpath = job_input_key(jb, "pm", &oj->rl.pm_key[0]);
    if (oj->round == 1) {
        JobKey rk;
        policy_key(sc, oj->rl.seed, -1, &rk);
        ppath = job_input_key(jb, "rl", &rk);
        mpath = bpath;
    } else {
        policy_key(sc, oj->rl.seed, oj->round - 1, &pk);
        data_key(sc, oj->rl.seed, oj->round - 1, &mk);
        ppath = job_input_key(jb, "online", &pk);
        mpath = job_input_key(jb, "online", &mk);
    }
    if (!ppath || !mpath || !bpath)
        return hh_fail(err, HH_EFAIL, "%s: an input (policy or PM of the previous round) is missing", jb->name);
    return lm_load(ppath, "rl", p, sc, 64, pol, err) || lm_load(bpath, "pm", p, sc, 64, pm0, err) ||
           lm_load(mpath, oj->round == 1 ? "pm" : "online", p, sc, 64, pmp, err) ? HH_EINPUT : 0;
}

static int run_data(const Params *p, const WorldData *d, const Job *jb, const StageOpts *so, HHErr *err) {
    const OnlineJob *oj = jb->spec;
    const char *job = jb->name, *sc = oj->rl.policy;
    int P = online_prompts(p), K = online_bon_n(p), ctx = p->ctx;
    size_t N = (size_t)P * 2 * K;
    GPT *pol = NULL, *pm0 = NULL, *pmp = NULL, *m = NULL;
    Round r = {0}, *prev = NULL;
    PMComp *base = NULL, *all = NULL;
    double *base0 = NULL, *basep = NULL, *ss = NULL;
    uint8_t *spr = NULL, *sresp = NULL;
    int32_t *spl = NULL, *srl = NULL;
    GPTCache *cache = NULL;
    int nb = 0, nval = 0, nprev = oj->round - 1, rc = 0;
    RoundStats st = {0};
    Progress pg;
    char label[192];
    snprintf(label, sizeof label, "online %s:", job);
    progress_start(&pg, label, 4, so->quiet);
    rc = load_prev(p, jb, oj, &pol, &pm0, &pmp, err);
    if (!rc && round_alloc(&r, P, ctx)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    // 1. fresh prompts
    gsl_rng *g = rc ? NULL : rng_stream_alloc(p->seed, job, "prompts");
    uint8_t tok[1024];
    for (int i = 0; !rc && i < P; i++) {
        int len = 0;
        PromptKind kind = KIND_BENIGN;
        for (int t = 0; t < 64; t++) {
            kind = world_draw_kind(p, g);
            len = world_sample_prompt(&d->world, p, g, kind, 0, tok);
            if (!in_set(&d->prompts[SPLIT_TRAIN], tok, len) && !in_set(&d->prompts[SPLIT_TEST], tok, len))
                break;
        }
        if (len > ctx) { rc = hh_fail(err, HH_EFAIL, "%s: a prompt of %d tokens exceeds ctx %d", job, len, ctx); break; }
        memset(r.pr + (size_t)i * ctx, TOK_PAD, (size_t)ctx);
        memcpy(r.pr + (size_t)i * ctx, tok, (size_t)len);
        r.pl[i] = len;
        PromptInfo info;
        world_prompt_info(&d->world, tok, len, &info);
        r.kind[i] = (int8_t)info.kind;
    }
    gsl_rng_free(g);
    // 2. samples, best of each half under the previous PM
    spr = malloc(N * ctx), sresp = malloc(N * RESP_MAX);
    spl = malloc(sizeof(int32_t) * N), srl = malloc(sizeof(int32_t) * N);
    ss = malloc(sizeof(double) * N);
    if (!rc && (!spr || !sresp || !spl || !srl || !ss)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (size_t i = 0; !rc && i < N; i++) {
        memcpy(spr + i * ctx, r.pr + (i / (2 * K)) * ctx, (size_t)ctx);
        spl[i] = r.pl[i / (2 * K)];
    }
    if (!rc) cache = gpt_cache_alloc(&pol->cfg, 64, err), rc = cache ? 0 : HH_EFAIL;
    g = rc ? NULL : rng_stream_alloc(p->seed, job, "sample");
    RolloutOpts ro = {1.0f, 0, RESP_MAX, 0};
    if (!rc) rc = rollout_generate(pol, cache, spr, spl, (int)N, ctx, &ro, g, sresp, srl, err);
    gsl_rng_free(g);
    if (!rc) rc = pm_score(pmp, spr, spl, ctx, sresp, srl, (int)N, ss, err);
    progress_update(&pg, 1, "sampled %zu responses", N);
    // 3. labels
    g = rc ? NULL : rng_stream_alloc(p->seed, job, "label");
    for (int i = 0; !rc && i < P; i++) {
        size_t best[2];
        for (int h = 0; h < 2; h++) {
            size_t b = (size_t)i * 2 * K + (size_t)h * K;
            for (int k = 1; k < K; k++)
                if (ss[(size_t)i * 2 * K + (size_t)h * K + k] > ss[b]) b = (size_t)i * 2 * K + (size_t)h * K + k;
            best[h] = b;
        }
        PromptInfo info;
        world_prompt_info(&d->world, r.pr + (size_t)i * ctx, r.pl[i], &info);
        WorkerRole role = info.kind >= KIND_REDTEAM ? ROLE_HARM : ROLE_HELP;
        int wi = crowd_pick(&d->crowd, role, g);
        const Worker *wk = &d->crowd.w[wi];
        const uint8_t *ra = sresp + best[0] * RESP_MAX, *rb = sresp + best[1] * RESP_MAX;
        int la = srl[best[0]], lb = srl[best[1]];
        Seen sa = {world_help(&d->world, &info, ra, la), world_harm(&info, ra, la), la};
        Seen sb = {world_help(&d->world, &info, rb, lb), world_harm(&info, rb, lb), lb};
        int a = crowd_label(wk, &sa, &sb, g);
        size_t c = a ? best[0] : best[1], x = a ? best[1] : best[0];
        const Seen *sc_ = a ? &sa : &sb, *sr_ = a ? &sb : &sa;
        memset(r.ch + (size_t)i * RESP_MAX, TOK_PAD, RESP_MAX);
        memset(r.rj + (size_t)i * RESP_MAX, TOK_PAD, RESP_MAX);
        memcpy(r.ch + (size_t)i * RESP_MAX, sresp + c * RESP_MAX, (size_t)srl[c]);
        memcpy(r.rj + (size_t)i * RESP_MAX, sresp + x * RESP_MAX, (size_t)srl[x]);
        r.cl[i] = srl[c], r.rl[i] = srl[x];
        r.set[i] = role == ROLE_HARM ? SET_HARMLESS : SET_HELPFUL;
        r.worker[i] = wi;
        r.gold[i] = (int8_t)crowd_gold_pref(wk, sc_, sr_);
        r.hc[i] = sc_->help, r.hr[i] = sr_->help, r.xc[i] = sc_->harm, r.xr[i] = sr_->harm;
        r.spc[i] = ss[c], r.spr[i] = ss[x];
    }
    gsl_rng_free(g);
    // scores under the static train PM (the round's responses and the base data)
    if (!rc) rc = pm_score(pm0, r.pr, r.pl, ctx, r.ch, r.cl, P, r.s0c, err) ||
                  pm_score(pm0, r.pr, r.pl, ctx, r.rj, r.rl, P, r.s0r, err);
    if (!rc) rc = pm_gather(p, d, &oj->base, job, &base, &nb, &nval, err);
    base0 = malloc(sizeof(double) * (2 * (size_t)nb + 1));
    basep = malloc(sizeof(double) * (2 * (size_t)nb + 1));
    uint8_t *bp = malloc(2 * (size_t)nb * ctx + 1), *br = malloc(2 * (size_t)nb * RESP_MAX + 1);
    int32_t *bpl = malloc(sizeof(int32_t) * (2 * (size_t)nb + 1)), *brl = malloc(sizeof(int32_t) * (2 * (size_t)nb + 1));
    if (!rc && (!base0 || !basep || !bp || !br || !bpl || !brl)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 0; !rc && i < 2 * nb; i++) {
        const PMPair *q = i < nb ? &base[i].c : &base[i - nb].r;
        int pl = q->pl < ctx ? q->pl : ctx, rl = q->rl < RESP_MAX ? q->rl : RESP_MAX;
        memset(bp + (size_t)i * ctx, TOK_PAD, (size_t)ctx);
        memset(br + (size_t)i * RESP_MAX, TOK_PAD, RESP_MAX);
        memcpy(bp + (size_t)i * ctx, q->p, (size_t)pl);
        memcpy(br + (size_t)i * RESP_MAX, q->r, (size_t)rl);
        bpl[i] = pl, brl[i] = rl;
    }
    if (!rc) rc = pm_score(pm0, bp, bpl, ctx, br, brl, 2 * nb, base0, err);
    if (!rc && oj->round > 1) rc = pm_score(pmp, bp, bpl, ctx, br, brl, 2 * nb, basep, err);
    else if (!rc) memcpy(basep, base0, sizeof(double) * 2 * (size_t)nb);
    free(bp); free(br); free(bpl); free(brl);
    if (!rc) {
        st.n_base = nb;
        st.q75_0 = quantile75(base0, 2 * (size_t)nb);
        st.q75_p = quantile75(basep, 2 * (size_t)nb);
        double a = 0, b = 0;
        for (int i = 0; i < P; i++) a += (r.s0c[i] > st.q75_0) + (r.s0r[i] > st.q75_0);
        for (int i = 0; i < 2 * nb; i++) b += base0[i] > st.q75_0;
        st.share0 = a / (2.0 * P);
        st.base_share0 = nb ? b / (2.0 * nb) : NAN;
        accuracies(&r, st.q75_p, &st);
    }
    progress_update(&pg, 2, "labelled %d pairs", P);
    // 4. the round's PM: base data + every online comparison of rounds 1 .. k
    prev = calloc((size_t)nprev + 1, sizeof *prev);
    if (!rc && !prev) rc = hh_fail(err, HH_EFAIL, "out of memory");
    int ntot = nb + P;
    for (int k = 1; !rc && k < oj->round; k++) {
        JobKey dk;
        data_key(sc, oj->rl.seed, k, &dk);
        const char *path = job_input_key(jb, "online", &dk);
        rc = !path ? hh_fail(err, HH_EFAIL, "%s: round %d's data is missing from the job", job, k)
                   : round_read(path, ctx, &prev[k - 1], err);
        if (!rc) ntot += prev[k - 1].P;
    }
    all = malloc(sizeof(PMComp) * ((size_t)ntot + 1));
    if (!rc && !all) rc = hh_fail(err, HH_EFAIL, "out of memory");
    int na = 0;
    if (!rc) {
        memcpy(all, base, sizeof(PMComp) * (size_t)nb);
        na = nb;
        for (int k = 0; k <= nprev; k++) {
            const Round *q = k < nprev ? &prev[k] : &r;
            for (int i = 0; i < q->P; i++)
                all[na++] = (PMComp){{q->pr + (size_t)i * ctx, q->ch + (size_t)i * RESP_MAX, q->pl[i], q->cl[i]},
                                     {q->pr + (size_t)i * ctx, q->rj + (size_t)i * RESP_MAX, q->pl[i], q->rl[i]}};
        }
    }
    const char *in = job_input(jb, oj->base.pmp ? "pmp" : "pretrain");
    if (!rc) rc = !in ? hh_fail(err, HH_EFAIL, "%s: the PM's start model is missing", job)
                      : lm_load(in, oj->base.pmp ? "pmp" : "lm", p, sc, 2 * p->pm_batch, &m, err);
    if (!rc) rc = pm_retrain(p, &oj->base, job, m, all, na, nval, &st.best_epoch, err);
    st.n_train = na;
    progress_update(&pg, 3, "PM trained on %d comparisons", na);
    H5Out o;
    if (!rc) rc = job_mkdir(jb, err);
    if (!rc && !(rc = h5out_create(&o, jb->out, "online", p, err))) {
        hid_t gr = h5_group(o.file, "job", err);
        if (gr >= 0) H5Gclose(gr);
        rc = gr < 0 || jobkey_write(o.file, &jb->key, err) || lm_write_model(o.file, m, sc, err) ||
             h5_attr_str(o.file, "job", "base_pm", oj->base.name, err) ||
             write_round(o.file, &r, base0, nb, &st, oj->round, err);
        if (rc) { h5out_abort(&o); rc = HH_EFAIL; }
        else rc = h5out_commit(&o, err);
    }
    if (!rc)
        progress_done(&pg, "%d pairs, share above base q75 %.3f (base %.3f); upper tail n=%d: "
                      "previous PM acc crowd %.3f gold %.3f; PM on %d comparisons -> %s", P,
                      st.share0, st.base_share0, st.n_tail, st.tail_crowd, st.tail_gold, na, jb->out);
    for (int k = 0; prev && k < nprev; k++) round_free(&prev[k]);
    free(prev);
    round_free(&r);
    free(all); free(base); free(base0); free(basep); free(ss);
    free(spr); free(sresp); free(spl); free(srl);
    gpt_cache_free(cache);
    gpt_free(pol); gpt_free(pm0); gpt_free(pmp); gpt_free(m);
    return rc;
}

static int run_online(const Params *p, const WorldData *d, const Job *j, const StageOpts *so, HHErr *err) {
    if (!strcmp(j->key.variant, "pm")) return run_data(p, d, j, so, err);
    const OnlineJob *oj = j->spec;
    Job copy = *j;
    copy.spec = &oj->rl;  // rl_train reads an RLJob
    return rl_train(p, d, &copy, so, err);
}

// ---------------------------------------------------------------------------
// jobs

static int list_online(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    RLJob *rj = NULL;
    PMJob *pj = NULL;
    int n = 0, npj = 0, rc = rl_jobs(p, d, &rj, &n, err);
    if (!rc) rc = pm_jobs(p, d, &pj, &npj, err);
    int R = online_rounds(p);
    for (int si = 0; !rc && si < p->online_scales.n; si++) {
        const char *sc = p->online_scales.v[si];
        for (int s = 0; !rc && s < p->rl_seeds; s++) {
            const RLJob *base = NULL;
            for (int i = 0; i < n && !base; i++)
                if (!strcmp(rj[i].policy, sc) && !strcmp(rj[i].pm_scale, sc) &&
                    !strcmp(rj[i].variant, "hh") && rj[i].seed == s)
                    base = &rj[i];
            const PMJob *bpm = NULL;
            for (int i = 0; base && i < npj && !bpm; i++)
                if (!strcmp(pj[i].name, base->train_pm)) bpm = &pj[i];
            if (!base || !bpm) {
                rc = hh_fail(err, HH_EINPUT, "[online] scales: '%s' needs the static HH run of that "
                             "policy against its own-scale PM ([rl] policy_scales and [pm] scales "
                             "containing it, [rl] variants containing hh)", sc);
                break;
            }
            double cpm = lm_scale_cost(p, sc) * ((double)p->pm_epochs * (bpm->n_help + bpm->n_harm) +
                                                 2.0 * online_prompts(p) * online_bon_n(p));
            double cpol = lm_scale_cost(p, sc) * p->rl_iters * p->rl_batch;
            for (int k1 = 1; !rc && k1 <= R; k1++) {
                // data + PM
                OnlineJob *dj = calloc(1, sizeof *dj);
                if (!dj) { rc = hh_fail(err, HH_EFAIL, "out of memory"); break; }
                dj->rl = *base, dj->base = *bpm, dj->round = k1;
                data_key(sc, s, k1, &dj->pm_key);
                Job *j = joblist_add(l, &STAGE_ONLINE, &dj->pm_key, cpm, dj, 1, err);
                JobKey lm, pol, prev;
                jobkey_init(&lm);
                snprintf(lm.scale, sizeof lm.scale, "%s", sc);
                if (bpm->pmp) lm.seed = bpm->seed;
                rc = !j || job_add_input(l, j, bpm->pmp ? &STAGE_PMP : &STAGE_PRETRAIN, &lm, err) ||
                     job_add_input(l, j, &STAGE_PM, &base->pm_key[0], err);
                if (!rc && k1 == 1) {
                    policy_key(sc, s, -1, &pol);
                    rc = job_add_input(l, j, &STAGE_RL, &pol, err);
                } else if (!rc) {
                    policy_key(sc, s, k1 - 1, &pol);
                    rc = job_add_input(l, j, &STAGE_ONLINE, &pol, err);
                    for (int q = 1; !rc && q < k1; q++)
                        data_key(sc, s, q, &prev), rc = job_add_input(l, j, &STAGE_ONLINE, &prev, err);
                }
                // policy
                OnlineJob *pjb = calloc(1, sizeof *pjb);
                if (!rc && !pjb) rc = hh_fail(err, HH_EFAIL, "out of memory");
                if (rc) { free(pjb); break; }
                *pjb = *dj;
                RLJob *q = &pjb->rl;
                q->pm_key[0] = dj->pm_key;
                jobkey_stem(&dj->pm_key, q->train_pm, sizeof q->train_pm, err);
                snprintf(q->pm_stage, sizeof q->pm_stage, "online");
                JobKey key;
                policy_key(sc, s, k1, &key);
                char stem[128];
                jobkey_stem(&key, stem, sizeof stem, err);
                snprintf(q->name, sizeof q->name, "%s", stem);
                snprintf(q->stream, sizeof q->stream, "online/%s", stem);
                Job *pjj = joblist_add(l, &STAGE_ONLINE, &key, cpol, pjb, 1, err);
                JobKey dl;
                jobkey_init(&dl);
                snprintf(dl.scale, sizeof dl.scale, "%s", sc);
                rc = !pjj || job_add_input(l, pjj, &STAGE_DISTILL, &dl, err);
                if (!rc && strcmp(q->norm_policy, q->policy)) {
                    snprintf(dl.scale, sizeof dl.scale, "%s", q->norm_policy);
                    rc = job_add_input(l, pjj, &STAGE_DISTILL, &dl, err);
                }
                if (!rc) rc = job_add_input(l, pjj, &STAGE_ONLINE, &q->pm_key[0], err) ||
                              job_add_input(l, pjj, &STAGE_PM, &q->pm_key[1], err) ||
                              job_add_input(l, pjj, &STAGE_PM, &q->pm_key[2], err);
            }
        }
    }
    free(rj);
    free(pj);
    return rc ? err->code : 0;
}

static const ParamDesc ONLINE_KEYS[] = {
    {"online", "rounds", PT_INT, PARAMS_EXT(ON_SLOT), "2", 0, 20, 0, 0,
     "online rounds per policy scale and RL seed (0 switches the stage off)"},
    {"online", "prompts", PT_INT, PARAMS_EXT(ON_SLOT + 1), "300", 1, 1000000, 0, 0,
     "fresh prompts per round: one crowd comparison each"},
    {"online", "bon_n", PT_INT, PARAMS_EXT(ON_SLOT + 2), "4", 1, 1024, 0, 0,
     "rejection sampling: each compared response is the best of bon_n policy samples under "
     "the current PM"},
};

static const char *const ONLINE_SECTIONS[] = {"run", "world", "corpus", "crowd", "model", "pretrain",
                                              "distill", "pm", "rl", "online", NULL};

const StageDef STAGE_ONLINE = {
    .name = "online", .subdir = "online", .kind = "online",
    .summary = "iterated online training: rejection-sampled comparisons, PM and policy retrained",
    .reads = "world.h5, lm or pmp, distill/SCALE.h5, pm/*.h5, rl/SCALE_SCALE_hh_sS.h5",
    .help = "For each [online] scales policy and RL seed, [online] rounds rounds: the current\n"
            "policy (round 1: the static HH run rl/SCALE_SCALE_hh_sS) answers [online] prompts\n"
            "fresh prompts, each compared response the best of [online] bon_n samples under the\n"
            "current PM; crowdworkers label the pairs; a PM is retrained (the train PM's recipe)\n"
            "on the base data plus every online comparison so far (DIR/online/SCALE_pm_sS_rK.h5,\n"
            "with the round's data and statistics), and the policy is retrained from the\n"
            "distilled LM against it with [rl] settings (DIR/online/SCALE_SCALE_hh_sS_rK.h5, in\n"
            "the rl stage's schema, kind rl). Off when [online] rounds = 0 or scales is empty.\n",
    .sections = ONLINE_SECTIONS, .off = online_off, .list = list_online, .run = run_online,
    .has_model = 1, .keys = ONLINE_KEYS, .n_keys = 3};
