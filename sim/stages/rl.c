// rl.c - see rl.h
#include "rl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5_hl.h>

#include "eval.h"
#include "h5io.h"
#include "pm.h"
#include "ppo.h"
#include "progress.h"
#include "rng.h"
#include "rollout.h"
#include "schema.h"

// ---------------------------------------------------------------------------
// jobs

// The halves-sweep PM matching (scale, half, seed; helpful: the helpful-only
// PM on half 0's helpful comparisons, else the HH PM of the half), or NULL.
static const PMJob *find_pm(const PMJob *pj, int n, const char *scale, int half, int helpful,
                            int seed) {
    for (int i = 0; i < n; i++) {
        const PMJob *j = &pj[i];
        if (strcmp(j->scale, scale) || j->sweep != SWEEP_HALVES || j->seed != seed) continue;
        if (j->half == half && (j->n_harm == 0) == helpful) return j;
    }
    return NULL;
}

// The fixed yardstick ("largest PM", /curve/big_pm) that scores every run:
// one PM for every run and seed: the reference PM (pm.h: the largest scale
// trained on every training comparison, seed 0); with [pm] ref = 0, half 1 of
// the largest PM scale, seed 0.
static const PMJob *yardstick_pm(const PMJob *pj, int n, const char *big) {
    for (int i = 0; i < n; i++)
        if (pj[i].sweep == SWEEP_REF) return &pj[i];
    return find_pm(pj, n, big, 1, 0, 0);
}

static int add(const PMJob *pj, int npj, RLJob *jobs, int *n, const char *pol, const char *pms,
               const char *big, const char *bigpol, const char *variant, int seed, HHErr *err) {
    RLJob j = {.seed = seed};
    snprintf(j.policy, sizeof j.policy, "%s", pol);
    snprintf(j.pm_scale, sizeof j.pm_scale, "%s", pms);
    snprintf(j.variant, sizeof j.variant, "%s", variant);
    snprintf(j.norm_policy, sizeof j.norm_policy, "%s", bigpol);
    snprintf(j.name, sizeof j.name, "%s_%s_%s_s%d", pol, pms, variant, seed);
    for (int i = 0; i < *n; i++)  // the same run asked twice (by its fields, not its name)
        if (!strcmp(jobs[i].policy, pol) && !strcmp(jobs[i].pm_scale, pms) &&
            !strcmp(jobs[i].variant, variant) && jobs[i].seed == seed)
            return 0;
    int helpful = !strcmp(variant, "helpful");
    // seed s: its own train/test split and PMs (pm.c trains the halves per RL seed)
    const PMJob *pm[3] = {find_pm(pj, npj, pms, 0, helpful, seed), find_pm(pj, npj, pms, 1, 0, seed),
                          yardstick_pm(pj, npj, big)};
    if (!pm[0] || !pm[1] || !pm[2])
        return hh_fail(err, HH_EINPUT, "[rl] needs, for PM scale '%s' and seed %d, the train/test "
                       "halves ([pm] halves = 1)%s", pms, seed, helpful ? " and the helpful-only "
                       "half PM (trained at the largest PM scale)" : "");
    char *stem[3] = {j.train_pm, j.test_pm, j.big_pm};
    for (int k = 0; k < 3; k++) {
        pm_job_key(pm[k], &j.pm_key[k]);
        snprintf(stem[k], sizeof j.train_pm, "%s", pm[k]->name);
    }
    jobs[(*n)++] = j;
    return 0;
}

int rl_jobs(const Params *p, const WorldData *d, RLJob **out, int *n, HHErr *err) {
    PMJob *pj = NULL;
    int npj = 0;
    *n = 0;
    if (pm_jobs(p, d, &pj, &npj, err)) return HH_EINPUT;
    const char *big = pm_largest_scale(p), *bigpol = p->rl_policy_scales.v[0];
    for (int i = 1; i < p->rl_policy_scales.n; i++)
        if (lm_scale_cost(p, p->rl_policy_scales.v[i]) > lm_scale_cost(p, bigpol)) bigpol = p->rl_policy_scales.v[i];
    int cap = p->rl_seeds * p->rl_variants.n * (2 * p->rl_policy_scales.n + p->pm_scales.n) + 1;
    RLJob *jobs = calloc((size_t)cap, sizeof *jobs);
    int rc = jobs ? 0 : hh_fail(err, HH_EFAIL, "out of memory");
    // hh: every policy vs the largest PM and vs its own-scale PM, the largest
    // policy vs every PM scale; helpful: every policy vs the largest PM only
    for (int s = 0; !rc && s < p->rl_seeds; s++)
        for (int v = 0; !rc && v < p->rl_variants.n; v++) {
            const char *var = p->rl_variants.v[v];
            int hh = !strcmp(var, "hh");
            for (int i = 0; !rc && i < p->rl_policy_scales.n; i++) {
                const char *pol = p->rl_policy_scales.v[i];
                rc = add(pj, npj, jobs, n, pol, big, big, bigpol, var, s, err);
                int own = 0;
                for (int k = 0; k < p->pm_scales.n; k++) own |= !strcmp(p->pm_scales.v[k], pol);
                if (!rc && own && hh) rc = add(pj, npj, jobs, n, pol, pol, big, bigpol, var, s, err);
            }
            for (int k = 0; !rc && hh && k < p->pm_scales.n; k++)
                rc = add(pj, npj, jobs, n, bigpol, p->pm_scales.v[k], big, bigpol, var, s, err);
        }
    free(pj);
    if (rc) { free(jobs); return rc; }
    *out = jobs;
    return 0;
}

int rl_eval_iters(const Params *p, long *out, int cap) {
    long T = p->rl_iters, last = 0;
    int n = 0, logs = p->rl_eval_schedule.n && !strcmp(p->rl_eval_schedule.v[0], "log");
#define PUT(x) do { if (out && n < cap) out[n] = (x); n++; last = (x); } while (0)
    PUT(0);
    for (int k = 0;; k++) {  // log: round(2^(k/q)); linear: k * eval_every
        long it = logs ? lround(exp2((double)k / p->rl_eval_per_octave)) : (long)(k + 1) * p->rl_eval_every;
        if (it >= T) break;
        if (it > last) PUT(it);
    }
    PUT(T);
#undef PUT
    return n;
}

// ---------------------------------------------------------------------------
// preference models as rewards

typedef struct {
    GPT *m;
    double mean, sd;  // normalisation under the initial policy
    int ctx;
} Reward;

static int reward_fn(void *ctx, const uint8_t *prompts, const int32_t *plen, const uint8_t *resp,
                     const int32_t *rlen, int n, double *out, HHErr *err) {
    Reward *rw = ctx;
    if (pm_score(rw->m, prompts, plen, rw->ctx, resp, rlen, n, out, err)) return HH_EFAIL;
    for (int i = 0; i < n; i++) out[i] = (out[i] - rw->mean) / rw->sd;
    return 0;
}

static int load_pm(const Params *p, const Job *jb, const JobKey *k, const char *stage, Reward *rw,
                   HHErr *err) {
    const char *path = job_input_key(jb, stage, k);
    rw->ctx = p->ctx;
    if (!path) return hh_fail(err, HH_EFAIL, "%s: a PM input is missing from the job", jb->name);
    return lm_load(path, stage, p, k->scale, 64, &rw->m, err);
}

// Set each PM's normalisation from its scores of [pm] norm_samples responses
// of pol (eval_norm_scores, stream (seed, job, "norm")).
static int normalise(const Params *p, const WorldData *d, GPT *pol, const char *job, Reward *rw,
                     int nrw, HHErr *err) {
    int n = p->pm_norm_samples;
    double *s = malloc(sizeof(double) * (size_t)n * (size_t)nrw);
    GPT *pms[3];
    for (int k = 0; k < nrw && k < 3; k++) pms[k] = rw[k].m;
    int rc = !s || nrw > 3 ? hh_fail(err, HH_EFAIL, "out of memory")
                           : eval_norm_scores(p, d, pol, job, pms, nrw, n, s, err);
    for (int k = 0; !rc && k < nrw; k++) {
        eval_norm_stats(s + (size_t)k * n, n, &rw[k].mean, &rw[k].sd);
        if (!(rw[k].sd > 1e-6)) rw[k].sd = 1.0;
    }
    free(s);
    return rc;
}

// The yardstick's one normalisation for every run (rl.h): on samples of the
// largest policy's distilled LM (init when the run's policy is that one).
static int normalise_yardstick(const Params *p, const WorldData *d, const Job *jb, GPT *init,
                               Reward *rw, HHErr *err) {
    const RLJob *j = jb->spec;
    GPT *pol = init;
    int rc = 0;
    if (strcmp(j->norm_policy, j->policy)) {
        JobKey k;
        jobkey_init(&k);
        snprintf(k.scale, sizeof k.scale, "%s", j->norm_policy);
        const char *path = job_input_key(jb, "distill", &k);
        rc = !path ? hh_fail(err, HH_EFAIL, "%s: the yardstick policy's distilled LM is missing from "
                             "the job", jb->name)
                   : lm_load(path, "distill", p, j->norm_policy, 64, &pol, err);
    }
    if (!rc) rc = normalise(p, d, pol, "rl/yardstick", rw, 1, err);
    if (pol != init) gpt_free(pol);
    return rc;
}

// ---------------------------------------------------------------------------
// held-out evaluation

typedef struct {
    int n;
    uint8_t *pr, *resp;
    int32_t *pl, *rl, *kind;
    double *kl, *s;
    GPTCache *cache;
} EvalSet;

static void evalset_free(EvalSet *e) {
    free(e->pr); free(e->resp); free(e->pl); free(e->rl); free(e->kind); free(e->kl); free(e->s);
    gpt_cache_free(e->cache);
}

// Up to per_kind held-out prompts of each kind.
static int evalset_init(const WorldData *d, int per_kind, const GPT *pol, int rows, EvalSet *e,
                        HHErr *err) {
    const SeqSet *ps = &d->prompts[SPLIT_TEST];
    memset(e, 0, sizeof *e);
    size_t n = (size_t)ps->n + 1;
    e->pr = malloc(n * ps->ctx);
    e->resp = malloc(n * RESP_MAX);
    e->pl = malloc(sizeof(int32_t) * n);
    e->rl = malloc(sizeof(int32_t) * n);
    e->kind = malloc(sizeof(int32_t) * n);
    e->kl = malloc(sizeof(double) * n);
    e->s = malloc(sizeof(double) * n);
    e->cache = gpt_cache_alloc(&pol->cfg, rows, err);
    if (!e->pr || !e->resp || !e->pl || !e->rl || !e->kind || !e->kl || !e->s || !e->cache)
        return hh_fail(err, HH_EFAIL, "out of memory");
    int *idx = malloc(sizeof(int) * n);
    if (!idx) return hh_fail(err, HH_EFAIL, "out of memory");
    e->n = eval_pick(ps, per_kind, idx);
    for (int j = 0; j < e->n; j++) {
        memcpy(e->pr + (size_t)j * ps->ctx, ps->tok + (size_t)idx[j] * ps->ctx, (size_t)ps->ctx);
        e->pl[j] = ps->len[idx[j]];
        e->kind[j] = ps->kind[idx[j]];
    }
    free(idx);
    return 0;
}

typedef struct {
    const Params *p;
    const WorldData *d;
    const RLJob *j;
    char job[160];
    Reward rw[3];  // train, test, largest
    EvalSet ev;
    long *sched;   // evaluation iterations (rl_eval_iters)
    int nsched;
    // [rl] kl_budget: the policy handed on (kept) is the one at the last evaluation
    // before the first whose exact KL exceeds the budget
    float *kept;     // (num_params) its weights; NULL without a budget
    long kept_iter;  // its iteration
    int exceeded;    // 1: an evaluation has exceeded the budget (kept is final)
} RLState;

// After the evaluation of row (iteration iter): keep the policy while within budget.
static void keep_update(RLState *st, const PPO *ppo, const double *row) {
    if (!st->kept || st->exceeded) return;
    if (row[RLC_KL] <= st->p->rl_kl_budget) {
        memcpy(st->kept, ppo->policy->params, sizeof(float) * ppo->policy->num_params);
        st->kept_iter = (long)row[RLC_ITER];
    } else {
        st->exceeded = 1;
    }
}

static int evaluate(RLState *st, PPO *ppo, long iter, const PPOStats *ps, double *row, HHErr *err) {
    EvalSet *e = &st->ev;
    const World *w = &st->d->world;
    int ctx = st->p->ctx;
    char comp[48];
    snprintf(comp, sizeof comp, "eval/%ld", iter);
    gsl_rng *r = rng_stream_alloc(st->p->seed, st->job, comp);
    RolloutOpts ro = {1.0f, 0, RESP_MAX, 0, st->p->rl_stop_turn};
    int rc = rollout_generate(ppo->policy, e->cache, e->pr, e->pl, e->n, ctx, &ro, r, e->resp,
                              e->rl, err);
    gsl_rng_free(r);
    if (!rc) rc = ppo_exact_kl(ppo->policy, ppo->ref, e->pr, e->pl, e->resp, e->rl, e->n, 1.0f,
                               e->kl, err);
    memset(row, 0, sizeof(double) * RLC_N);
    double cnt[4] = {0};  // benign, borderline, red, all
    for (int i = 0; !rc && i < e->n; i++) row[RLC_KL] += e->kl[i] / e->n;
    for (int k = 0; !rc && k < 3; k++) {
        rc = reward_fn(&st->rw[k], e->pr, e->pl, e->resp, e->rl, e->n, e->s, err);
        for (int i = 0; !rc && i < e->n; i++) {
            row[RLC_TRAIN_PM + k] += e->s[i] / e->n;
            if (k == 0) row[e->kind[i] >= KIND_REDTEAM ? RLC_TRAIN_PM_REDTEAM : RLC_TRAIN_PM_BENIGN] += e->s[i];
        }
    }
    for (int i = 0; !rc && i < e->n; i++) {
        GoldScore gs;
        eval_gold_one(w, e->pr + (size_t)i * ctx, e->pl[i], e->resp + (size_t)i * RESP_MAX,
                      e->rl[i], &gs);
        double h = gs.help, x = gs.harm;
        int refuse = gs.refuse;
        int g = gs.kind == KIND_BENIGN ? 0 : gs.kind == KIND_BORDERLINE ? 1 : 2;
        cnt[g]++;
        if (g == 0) { row[RLC_HELP_BENIGN] += h; row[RLC_HARM_BENIGN] += x; }
        if (g == 1) { row[RLC_HELP_BORDER] += h; row[RLC_REFUSE_BORDER] += refuse; }
        if (g == 2) { row[RLC_HELP_RED] += h; row[RLC_HARM_RED] += x; }
    }
    double nb = cnt[0] + cnt[1];
    row[RLC_TRAIN_PM_BENIGN] = nb ? row[RLC_TRAIN_PM_BENIGN] / nb : NAN;
    row[RLC_TRAIN_PM_REDTEAM] = cnt[2] ? row[RLC_TRAIN_PM_REDTEAM] / cnt[2] : NAN;
    for (int c = RLC_HELP_BENIGN; c <= RLC_HARM_RED; c++) {
        int g = c <= RLC_HARM_BENIGN ? 0 : c <= RLC_REFUSE_BORDER ? 1 : 2;
        row[c] = cnt[g] ? row[c] / cnt[g] : NAN;
    }
    row[RLC_ITER] = (double)iter;
    row[RLC_SQRT_KL] = sqrt(row[RLC_KL]);
    if (ps) {
        row[RLC_BATCH_REWARD] = ps->reward;
        row[RLC_BATCH_KL] = ps->kl;
        row[RLC_ENTROPY] = ps->entropy;
        row[RLC_CLIPFRAC] = ps->clipfrac;
        row[RLC_APPROX_KL] = ps->approx_kl;
        row[RLC_VF_LOSS] = ps->vf_loss;
        row[RLC_RESP_LEN] = ps->resp_len;
        row[RLC_KL_COEF] = ps->kl_coef;
    } else {
        for (int c = RLC_BATCH_REWARD; c < RLC_N; c++) row[c] = NAN;
        row[RLC_KL_COEF] = ppo->kl_coef;
    }
    return rc;
}

// ---------------------------------------------------------------------------
// checkpoints

typedef struct {
    int n, cap;
    double *rows;  // (cap, RLC_N)
} Curve;

static int write_curve(hid_t f, const Curve *cv, HHErr *err) {
    double *col = malloc(sizeof(double) * ((size_t)cv->n + 1));
    if (!col) return hh_fail(err, HH_EFAIL, "out of memory");
    int rc = 0;
    for (int c = 0; !rc && c < RLC_N; c++) {
        for (int i = 0; i < cv->n; i++) col[i] = cv->rows[(size_t)i * RLC_N + c];
        char nm[64];
        snprintf(nm, sizeof nm, "curve/%s", SCHEMA_RL_CURVE[c].name);
        hsize_t d[1] = {(hsize_t)cv->n};
        rc = h5_write(f, nm, H5T_NATIVE_DOUBLE, 1, d, col, SCHEMA_RL_CURVE[c].units, SCHEMA_RL_CURVE[c].desc, err);
    }
    free(col);
    return rc;
}

static int save_ckpt(const Params *p, const char *path, PPO *ppo, const Curve *cv,
                     const RLState *st, HHErr *err) {
    size_t n = ppo->policy->num_params;
    float *buf = malloc(sizeof(float) * 3 * n);
    if (!buf) return hh_fail(err, HH_EFAIL, "out of memory");
    PPOScalars s;
    ppo_get_state(ppo, buf, buf + n, buf + 2 * n, &s);
    H5Out o;
    int rc = h5out_create(&o, path, "rl-checkpoint", p, err);
    hsize_t d[1] = {n};
    if (!rc) {
        rc = h5_write(o.file, "state/params", H5T_NATIVE_FLOAT, 1, d, buf, "weights",
                      "policy parameters (gpt.h layout)", err) ||
             h5_write(o.file, "state/adam_m", H5T_NATIVE_FLOAT, 1, d, buf + n, "gradient units",
                      "AdamW first moment", err) ||
             h5_write(o.file, "state/adam_v", H5T_NATIVE_FLOAT, 1, d, buf + 2 * n,
                      "gradient units^2", "AdamW second moment", err) ||
             h5_attr_double(o.file, "state", "iter", (double)s.iter, err) ||
             h5_attr_double(o.file, "state", "adam_step", (double)s.adam_step, err) ||
             h5_attr_double(o.file, "state", "kl_coef", s.kl_coef, err) ||
             write_curve(o.file, cv, err);
        if (!rc && st->kept)
            rc = h5_write(o.file, "state/kept", H5T_NATIVE_FLOAT, 1, d, st->kept, "weights",
                          "the policy kept within [rl] kl_budget so far", err) ||
                 h5_attr_double(o.file, "state", "kept_iter", (double)st->kept_iter, err) ||
                 h5_attr_double(o.file, "state", "exceeded", (double)st->exceeded, err);
        if (rc) h5out_abort(&o);
        else rc = h5out_commit(&o, err);
    }
    free(buf);
    return rc;
}

// Resume from a checkpoint written with the same params; 0 when there is none.
static int load_ckpt(const Params *p, const char *path, const long *sched, PPO *ppo, Curve *cv,
                     RLState *stt, HHErr *err) {
    if (access(path, F_OK) != 0) return 0;
    hid_t f;
    if (h5in_open(path, "rl-checkpoint", &f, err)) return HH_EINPUT;
    int rc = 0;
    if (h5_same_params(f, p)) {
        hsize_t dn[1] = {ppo->policy->num_params};
        void *pa = NULL, *m = NULL, *v = NULL;
        double it = 0, st = 0, kc = 0;
        rc = h5_read(f, path, "state/params", H5T_NATIVE_FLOAT, 1, dn, &pa, err) ||
             h5_read(f, path, "state/adam_m", H5T_NATIVE_FLOAT, 1, dn, &m, err) ||
             h5_read(f, path, "state/adam_v", H5T_NATIVE_FLOAT, 1, dn, &v, err) ||
             h5_read_attr_double(f, "state", "iter", &it, err) ||
             h5_read_attr_double(f, "state", "adam_step", &st, err) ||
             h5_read_attr_double(f, "state", "kl_coef", &kc, err);
        // checkpoints are written at evaluations before the last and at --stop-after
        // stops; the curve holds the evaluations up to iter (the schedule's first npt)
        if (!rc && (!(it >= 1 && it < p->rl_iters) || it != floor(it) || st != floor(st) || st > 1e15))
            rc = hh_fail(err, HH_EINPUT, "%s: attributes iter = %g, adam_step = %g on /state; "
                         "allowed: iter a whole number from 1 to below iters = %d, adam_step a "
                         "whole number", path, it, st, p->rl_iters);
        size_t nf = ppo->policy->num_params;
        for (size_t i = 0; !rc && i < nf; i++) {
            const float *fp = pa, *fm = m, *fv = v;
            if (!isfinite(fp[i]) || !isfinite(fm[i]) || !isfinite(fv[i]) || fv[i] < 0)
                rc = hh_fail(err, HH_EINPUT, "%s: state/params, adam_m or adam_v [%zu] is not "
                             "finite (or adam_v < 0); allowed: finite values", path, i);
        }
        PPOScalars s = {(long)it, (long)st, kc};
        if (!rc) rc = ppo_set_state(ppo, pa, m, v, &s, err);
        if (!rc && stt->kept) {  // the kept policy; its iteration one of the evaluations so far
            void *kp = NULL;
            double ki = -1, ex = -1;
            rc = h5_read(f, path, "state/kept", H5T_NATIVE_FLOAT, 1, dn, &kp, err) ||
                 h5_read_attr_double(f, "state", "kept_iter", &ki, err) ||
                 h5_read_attr_double(f, "state", "exceeded", &ex, err);
            int known = 0;
            for (int i = 0; !rc && i < cv->cap && sched[i] <= it; i++) known |= ki == (double)sched[i];
            if (!rc && (!known || !(ex == 0 || ex == 1)))
                rc = hh_fail(err, HH_EINPUT, "%s: attributes kept_iter = %g, exceeded = %g on "
                             "/state; allowed: kept_iter an evaluation iteration up to iter = %g, "
                             "exceeded 0 or 1", path, ki, ex, it);
            for (size_t i = 0; !rc && i < ppo->policy->num_params; i++)
                if (!isfinite(((float *)kp)[i]))
                    rc = hh_fail(err, HH_EINPUT, "%s: state/kept[%zu] is not finite; allowed: "
                                 "finite values", path, i);
            if (!rc) {
                memcpy(stt->kept, kp, sizeof(float) * ppo->policy->num_params);
                stt->kept_iter = (long)ki;
                stt->exceeded = (int)ex;
            }
            free(kp);
        }
        hsize_t npt = 0;
        while (!rc && (int)npt < cv->cap && sched[npt] <= it) npt++;
        for (int c = 0; !rc && c < RLC_N; c++) {
            char nm[64];
            snprintf(nm, sizeof nm, "curve/%s", SCHEMA_RL_CURVE[c].name);
            hsize_t d[1] = {npt};
            void *col = NULL;
            rc = h5_read(f, path, nm, H5T_NATIVE_DOUBLE, 1, d, &col, err);
            for (int i = 0; !rc && i < (int)d[0]; i++) {
                double x = ((double *)col)[i];
                if ((c == RLC_ITER && x != (double)sched[i]) || (c == RLC_KL && !(x >= 0 && x < 1e300)))
                    rc = hh_fail(err, HH_EINPUT, "%s: %s[%d] = %g; allowed: %s", path, nm, i, x,
                                 c == RLC_ITER ? "the [rl] eval_schedule's iterations" : "a finite KL >= 0");
                cv->rows[(size_t)i * RLC_N + c] = x;
            }
            if (!rc) cv->n = (int)d[0];
            free(col);
        }
        free(pa); free(m); free(v);
    }
    H5Fclose(f);
    return rc ? HH_EINPUT : 0;
}

// ---------------------------------------------------------------------------
// a run

static void config(const Params *p, PPOConfig *c) {
    ppo_config_default(c);
    c->batch = p->rl_batch;
    c->minibatch = p->rl_minibatch;
    c->epochs = p->rl_epochs;
    c->lr = p->rl_lr;
    c->kl_coef = p->rl_kl_coef;
    c->kl_adaptive = p->rl_kl_adaptive;
    c->kl_target = p->rl_kl_target;
    c->trunc_penalty = p->rl_trunc_penalty;
    c->stop_turn = p->rl_stop_turn;
}

static int setup(RLState *st, const Params *p, const WorldData *d, const Job *jb, GPT **init,
                 HHErr *err) {
    const RLJob *j = jb->spec;
    memset(st, 0, sizeof *st);
    st->p = p;
    st->d = d;
    st->j = j;
    if (j->stream[0]) snprintf(st->job, sizeof st->job, "%s", j->stream);
    else snprintf(st->job, sizeof st->job, "rl/%s", j->name);
    JobKey pk;
    jobkey_init(&pk);
    snprintf(pk.scale, sizeof pk.scale, "%s", j->policy);
    const char *dpath = job_input_key(jb, "distill", &pk);
    int rc = !dpath ? hh_fail(err, HH_EFAIL, "%s: the policy's distilled LM is missing from the job",
                              jb->name)
                    : lm_load(dpath, "distill", p, j->policy, 64, init, err);
    for (int k = 0; !rc && k < 3; k++)
        rc = load_pm(p, jb, &j->pm_key[k], k == 0 && j->pm_stage[0] ? j->pm_stage : "pm", &st->rw[k], err);
    if (!rc) rc = normalise(p, d, *init, st->job, st->rw, 2, err);
    if (!rc) rc = normalise_yardstick(p, d, jb, *init, &st->rw[2], err);
    // the PPO policy runs max(minibatch, min(batch, 64)) rows (ppo.h); sample with as many
    int rows = p->rl_batch < 64 ? p->rl_batch : 64;
    if (rows < p->rl_minibatch) rows = p->rl_minibatch;
    if (rows > 64) rows = 64;
    if (!rc) rc = evalset_init(d, p->rl_eval_prompts, *init, rows, &st->ev, err);
    return rc;
}

static void state_free(RLState *st) {
    free(st->sched);
    free(st->kept);
    for (int k = 0; k < 3; k++) gpt_free(st->rw[k].m);
    evalset_free(&st->ev);
}

static int write_job(hid_t f, const Job *jb, HHErr *err) {
    const RLJob *j = jb->spec;
    hid_t g = h5_group(f, "job", err);
    if (g < 0) return HH_EFAIL;
    H5Gclose(g);
    return jobkey_write(f, &jb->key, err) ||
           h5_attr_str(f, "job", "big_pm_scale", j->pm_key[2].scale, err) ||
           h5_attr_str(f, "job", "policy", j->policy, err) ||
           h5_attr_str(f, "job", "train_pm", j->train_pm, err) ||
           h5_attr_str(f, "job", "test_pm", j->test_pm, err) ||
           h5_attr_str(f, "job", "big_pm", j->big_pm, err) ||
           h5_attr_str(f, "job", "big_pm_norm_policy", j->norm_policy, err);
}

static int train_loop(RLState *st, PPO *ppo, Curve *cv, const char *ckpt, long stop,
                      double rate[2], Progress *pr, HHErr *err) {
    const Params *p = st->p;
    const SeqSet *ps = &st->d->prompts[SPLIT_TRAIN];
    int B = p->rl_batch, rc = 0;
    uint8_t *pb = malloc((size_t)B * ps->ctx);
    int32_t *pl = malloc(sizeof(int32_t) * B);
    if (!pb || !pl) rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc && cv->n == 0) {
        rc = evaluate(st, ppo, 0, NULL, cv->rows, err);
        if (!rc) keep_update(st, ppo, cv->rows), cv->n++;
    }
    long nrate = 0, saved = ppo->iter;
    for (long it = ppo->iter; !rc && it < p->rl_iters && it < stop; it++) {
        char comp[48];
        snprintf(comp, sizeof comp, "iter/%ld", it);
        gsl_rng *r = rng_stream_alloc(p->seed, st->job, comp);
        for (int b = 0; b < B; b++) {
            int k = (int)rng_below(r, (unsigned long)ps->n);
            memcpy(pb + (size_t)b * ps->ctx, ps->tok + (size_t)k * ps->ctx, (size_t)ps->ctx);
            pl[b] = ps->len[k];
        }
        PPOStats s;
        rc = ppo_iterate(ppo, pb, pl, B, reward_fn, &st->rw[0], r, &s, err);
        gsl_rng_free(r);
        if (rc) break;
        rate[0] += s.rollout_tok_s;
        rate[1] += s.update_tok_s;
        nrate++;
        if (cv->n < st->nsched && it + 1 == st->sched[cv->n]) {
            rc = evaluate(st, ppo, it + 1, &s, cv->rows + (size_t)cv->n * RLC_N, err);
            if (!rc) keep_update(st, ppo, cv->rows + (size_t)cv->n * RLC_N), cv->n++;
            if (!rc && it + 1 < p->rl_iters) rc = save_ckpt(p, ckpt, ppo, cv, st, err), saved = it + 1;
        }
        progress_update(pr, it + 1, "reward %.3f KL %.2f", s.reward, s.kl);
    }
    // stopped by --stop-after between evaluations: keep the work in a checkpoint
    if (!rc && ppo->iter < p->rl_iters && ppo->iter > saved) rc = save_ckpt(p, ckpt, ppo, cv, st, err);
    if (nrate) { rate[0] /= nrate; rate[1] /= nrate; }
    free(pb);
    free(pl);
    return rc;
}

int rl_train(const Params *p, const WorldData *d, const Job *jb, const StageOpts *so, HHErr *err) {
    const RLJob *j = jb->spec;
    RLState st;
    GPT *init = NULL;
    const char *path = jb->out;
    char ckpt[1024];
    job_ckpt_path(jb, ckpt, sizeof ckpt);
    int rc = setup(&st, p, d, jb, &init, err);
    PPOConfig cfg;
    config(p, &cfg);
    PPO *ppo = rc ? NULL : ppo_alloc(init, &cfg, err);
    if (!rc && !ppo) rc = HH_EFAIL;
    st.nsched = rl_eval_iters(p, NULL, 0);
    st.sched = malloc(sizeof(long) * (size_t)st.nsched);
    Curve cv = {0, st.nsched, NULL};
    cv.rows = calloc((size_t)cv.cap * RLC_N, sizeof(double));
    if (!rc && (!cv.rows || !st.sched)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc) rl_eval_iters(p, st.sched, st.nsched);
    if (!rc) rc = job_mkdir(jb, err);
    if (!rc && p->rl_kl_budget > 0) {
        st.kept = malloc(sizeof(float) * ppo->policy->num_params);
        if (!st.kept) rc = hh_fail(err, HH_EFAIL, "out of memory");
    }
    if (!rc) rc = load_ckpt(p, ckpt, st.sched, ppo, &cv, &st, err);
    long resumed = rc ? 0 : ppo->iter;
    Progress pr;
    char label[160];
    snprintf(label, sizeof label, "rl %s:", j->name);
    progress_start(&pr, label, p->rl_iters, so->quiet);
    double rate[2] = {0, 0};
    long stop = so->stop_after > 0 ? resumed + so->stop_after : p->rl_iters;
    if (!rc) rc = train_loop(&st, ppo, &cv, ckpt, stop, rate, &pr, err);
    if (!rc && ppo->iter < p->rl_iters) {
        progress_done(&pr, "stopped at iteration %ld of %d as asked; rerun to resume from %s",
                      ppo->iter, p->rl_iters, ckpt);
    } else if (!rc) {
        // the policy handed on: the kept one within [rl] kl_budget, else the final one
        long kept_iter = p->rl_iters;
        if (st.kept && st.kept_iter != p->rl_iters) {
            memcpy(ppo->policy->params, st.kept, sizeof(float) * ppo->policy->num_params);
            kept_iter = st.kept_iter;
        }
        double kept_kl = NAN;
        for (int i = 0; i < cv.n; i++)
            if (cv.rows[(size_t)i * RLC_N + RLC_ITER] == (double)kept_iter) kept_kl = cv.rows[(size_t)i * RLC_N + RLC_KL];
        H5Out o;
        if (!(rc = h5out_create(&o, path, "rl", p, err))) {
            rc = write_job(o.file, jb, err) || write_curve(o.file, &cv, err) ||
                 lm_write_model(o.file, ppo->policy, j->policy, err) ||
                 h5_attr_int(o.file, "model", "kept_iter", (int)kept_iter, err) ||
                 h5_attr_double(o.file, "model", "kept_kl", kept_kl, err) ||
                 h5_attr_double(o.file, "/", "rollout_tok_s", rate[0], err) ||
                 h5_attr_double(o.file, "/", "update_tok_s", rate[1], err);
            if (rc) h5out_abort(&o);
            else rc = h5out_commit(&o, err);
        }
        if (!rc) unlink(ckpt);
        const double *f = cv.rows, *l = cv.rows + (size_t)(cv.n - 1) * RLC_N;
        if (!rc)
            progress_done(&pr, "%skept iteration %ld (KL %.2f); KL %.2f, train PM %.2f -> %.2f, test PM %.2f -> %.2f, help "
                          "benign %.3f -> %.3f, harm red-team %.3f -> %.3f; %.0f rollout tok/s, "
                          "%.0f update tok/s", resumed ? "(resumed) " : "", kept_iter, kept_kl, l[RLC_KL],
                          f[RLC_TRAIN_PM], l[RLC_TRAIN_PM], f[RLC_TEST_PM], l[RLC_TEST_PM],
                          f[RLC_HELP_BENIGN], l[RLC_HELP_BENIGN], f[RLC_HARM_RED], l[RLC_HARM_RED],
                          rate[0], rate[1]);
    }
    free(cv.rows);
    ppo_free(ppo);
    gpt_free(init);
    state_free(&st);
    return rc;
}

// ---------------------------------------------------------------------------
// best-of-n, exact under the empirical distribution of K samples per prompt

typedef struct {
    double s;  // train-PM score (the selection criterion)
    int i;     // sample index
} Ranked;

static int by_score(const void *a, const void *b) {
    const Ranked *x = a, *y = b;
    return x->s < y->s ? -1 : x->s > y->s ? 1 : x->i - y->i;
}

enum { B_TRAIN, B_TEST, B_BIG, B_HELP_BENIGN, B_HARM_RED, B_HELP_RED, N_BMET };

// For one prompt's K samples (metrics met[K][N_BMET], train scores s): the
// KL of best-of-n from the empirical distribution and the expected metrics.
static double bon_prompt(const double *s, const double (*met)[N_BMET], int K, int n, Ranked *rk,
                         double *out) {
    for (int i = 0; i < K; i++) rk[i] = (Ranked){s[i], i};
    qsort(rk, (size_t)K, sizeof *rk, by_score);
    double kl = 0, below = 0;
    for (int m = 0; m < N_BMET; m++) out[m] = 0;
    for (int g0 = 0; g0 < K;) {
        int g1 = g0;
        while (g1 < K && rk[g1].s == rk[g0].s) g1++;  // tie group [g0, g1)
        int c = g1 - g0;
        double pg = pow((double)g1 / K, n) - pow(below / K, n);
        if (pg > 0) kl += pg * log(pg * K / c);
        for (int q = g0; q < g1; q++)
            for (int m = 0; m < N_BMET; m++) out[m] += pg / c * met[rk[q].i][m];
        below = g1;
        g0 = g1;
    }
    return kl;
}

int rl_best_of_n(const Params *p, const WorldData *d, const Job *jb, const StageOpts *so,
                 HHErr *err) {
    const RLJob *j = jb->spec;
    RLState st;
    GPT *init = NULL;
    const char *path = jb->out;
    int rc = setup(&st, p, d, jb, &init, err);
    const SeqSet *ps = &d->prompts[SPLIT_TEST];
    int K = p->rl_bon_samples, P = p->rl_bon_prompts < ps->n ? p->rl_bon_prompts : ps->n;
    size_t N = (size_t)K * P;
    uint8_t *pr = malloc(N * ps->ctx), *resp = malloc(N * RESP_MAX);
    int32_t *pl = malloc(sizeof(int32_t) * N), *rl = malloc(sizeof(int32_t) * N);
    double *sc = malloc(sizeof(double) * N * 3), (*met)[N_BMET] = malloc(sizeof *met * N);
    Ranked *rk = malloc(sizeof(Ranked) * K);
    GPTCache *c = rc ? NULL : gpt_cache_alloc(&init->cfg, 64, err);
    if (!rc && (!pr || !resp || !pl || !rl || !sc || !met || !rk || !c))
        rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (size_t i = 0; !rc && i < N; i++) {
        memcpy(pr + i * ps->ctx, ps->tok + (i / K) * ps->ctx, (size_t)ps->ctx);
        pl[i] = ps->len[i / K];
    }
    Progress pg;
    char label[160];
    snprintf(label, sizeof label, "bon %s_%s_%s:", j->policy, j->pm_scale, j->variant);
    progress_start(&pg, label, 1, so->quiet);
    gsl_rng *r = rng_stream_alloc(p->seed, st.job, "bon");
    RolloutOpts ro = {1.0f, 0, RESP_MAX, 0, p->rl_stop_turn};
    if (!rc) rc = rollout_generate(init, c, pr, pl, (int)N, ps->ctx, &ro, r, resp, rl, err);
    gsl_rng_free(r);
    for (int k = 0; !rc && k < 3; k++) rc = reward_fn(&st.rw[k], pr, pl, resp, rl, (int)N, sc + k * N, err);
    for (size_t i = 0; !rc && i < N; i++) {
        GoldScore gs;
        eval_gold_one(&d->world, pr + i * ps->ctx, pl[i], resp + i * RESP_MAX, rl[i], &gs);
        for (int k = 0; k < 3; k++) met[i][k] = sc[k * N + i];
        met[i][B_HELP_BENIGN] = met[i][B_HELP_RED] = gs.help;
        met[i][B_HARM_RED] = gs.harm;
    }
    int nn = 0;
    while ((1 << nn) <= p->rl_bon_max) nn++;
    double (*tab)[N_BMET + 3] = calloc((size_t)nn, sizeof *tab);  // n, kl_an, kl_ex, metrics
    if (!rc && !tab) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int q = 0; !rc && q < nn; q++) {
        int n = 1 << q;
        double out[N_BMET], cnt[3] = {0};
        tab[q][0] = n;
        tab[q][1] = log((double)n) - (n - 1.0) / n;
        for (int i = 0; i < P; i++) {
            int red = ps->kind[i] >= KIND_REDTEAM;
            tab[q][2] += bon_prompt(sc + (size_t)i * K, met + (size_t)i * K, K, n, rk, out) / P;
            for (int m = 0; m < 3; m++) tab[q][3 + m] += out[m] / P;
            if (!red) { tab[q][3 + B_HELP_BENIGN] += out[B_HELP_BENIGN]; cnt[0]++; }
            else {
                tab[q][3 + B_HARM_RED] += out[B_HARM_RED];
                tab[q][3 + B_HELP_RED] += out[B_HELP_RED];
                cnt[1]++;
            }
        }
        tab[q][3 + B_HELP_BENIGN] /= cnt[0] ? cnt[0] : NAN;
        tab[q][3 + B_HARM_RED] /= cnt[1] ? cnt[1] : NAN;
        tab[q][3 + B_HELP_RED] /= cnt[1] ? cnt[1] : NAN;
    }
    H5Out o;
    if (!rc) rc = job_mkdir(jb, err);
    if (!rc && !(rc = h5out_create(&o, path, "bon", p, err))) {
        double *col = malloc(sizeof(double) * nn);
        rc = !col ? hh_fail(err, HH_EFAIL, "out of memory") : write_job(o.file, jb, err);
        for (int k = 0; !rc && k < BONC_NCOL; k++) {
            for (int q = 0; q < nn; q++) col[q] = tab[q][k];
            char nm[64];
            snprintf(nm, sizeof nm, "bon/%s", SCHEMA_BON[k].name);
            hsize_t dd[1] = {(hsize_t)nn};
            rc = h5_write(o.file, nm, H5T_NATIVE_DOUBLE, 1, dd, col, SCHEMA_BON[k].units, SCHEMA_BON[k].desc, err);
        }
        free(col);
        if (rc) { h5out_abort(&o); rc = HH_EFAIL; }
        else rc = h5out_commit(&o, err);
    }
    if (!rc)
        progress_done(&pg, "n=%d: KL %.2f (analytic %.2f), train PM %.2f, test PM %.2f, help "
                      "benign %.3f, harm red-team %.3f -> %s", 1 << (nn - 1), tab[nn - 1][2],
                      tab[nn - 1][1], tab[nn - 1][3], tab[nn - 1][4], tab[nn - 1][3 + B_HELP_BENIGN],
                      tab[nn - 1][3 + B_HARM_RED], path);
    free(tab);
    free(pr); free(resp); free(pl); free(rl); free(sc); free(met); free(rk);
    gpt_cache_free(c);
    gpt_free(init);
    state_free(&st);
    return rc;
}

// ---------------------------------------------------------------------------
// the stages

static const char *rl_off(const Params *p) {
    return p->rl_policy_scales.n == 0 ? "[rl] policy_scales is empty"
           : !p->pm_halves            ? "[pm] halves = 0 (RL needs the train/test halves)"
                                      : NULL;
}

static int list_runs(const Params *p, const WorldData *d, JobList *l, const StageDef *st,
                     HHErr *err) {
    RLJob *rj = NULL;
    int n = 0, rc = rl_jobs(p, d, &rj, &n, err);
    for (int i = 0; !rc && i < n; i++) {
        // best-of-n: the largest policy against every PM scale, hh (the Gao et al. figure)
        if (st == &STAGE_BON && (strcmp(rj[i].policy, rj[i].norm_policy) || strcmp(rj[i].variant, "hh")))
            continue;
        RLJob *spec = malloc(sizeof *spec);
        if (!spec) { rc = hh_fail(err, HH_EFAIL, "out of memory"); break; }
        *spec = rj[i];
        JobKey key, pol;
        jobkey_init(&key);
        snprintf(key.scale, sizeof key.scale, "%s", spec->policy);
        snprintf(key.pm_scale, sizeof key.pm_scale, "%s", spec->pm_scale);
        snprintf(key.variant, sizeof key.variant, "%s", spec->variant);
        key.seed = spec->seed;
        jobkey_init(&pol);
        snprintf(pol.scale, sizeof pol.scale, "%s", spec->policy);
        double c = lm_scale_cost(p, spec->policy) * (st == &STAGE_RL ? p->rl_iters * p->rl_batch
                                                             : p->rl_bon_prompts * p->rl_bon_samples);
        Job *j = joblist_add(l, st, &key, c, spec, 1, err);
        rc = !j || job_add_input(l, j, &STAGE_DISTILL, &pol, err);
        if (!rc && strcmp(spec->norm_policy, spec->policy)) {  // the yardstick's normalisation
            snprintf(pol.scale, sizeof pol.scale, "%s", spec->norm_policy);
            rc = job_add_input(l, j, &STAGE_DISTILL, &pol, err);
        }
        for (int k = 0; !rc && k < 3; k++) rc = job_add_input(l, j, &STAGE_PM, &spec->pm_key[k], err);
    }
    free(rj);
    return rc ? err->code : 0;
}

static int list_rl(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    return list_runs(p, d, l, &STAGE_RL, err);
}

static int list_bon(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    return list_runs(p, d, l, &STAGE_BON, err);
}

static const char *const RL_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                          "pretrain", "distill", "pm", "rl", NULL};

const StageDef STAGE_RL = {
    .name = "rl", .subdir = "rl", .kind = "rl",
    .summary = "PPO against preference models",
    .reads = "world.h5, distill/SCALE.h5, pm/*.h5",
    .help = "Runs PPO ([rl]) for every policy scale against the largest PM, against its\n"
            "own-scale PM, and the largest policy against every PM scale, for each variant\n"
            "(helpful: against the largest PM only) and seed, with exact KL(pi || pi_0) and\n"
            "held-out train-PM, test-PM, yardstick-PM and gold scores logged on the\n"
            "[rl] eval_schedule (log: iterations 0, 1, 2, 4, ... and the last)\n"
            "(DIR/rl/RUN.h5, with the final policy as /model). Runs checkpoint and resume.\n"
            "Off when [rl] policy_scales is empty or [pm] halves = 0.\n",
    .sections = RL_SECTIONS, .off = rl_off, .list = list_rl, .run = rl_train, .has_model = 1};

const StageDef STAGE_BON = {
    .name = "bon", .subdir = "bon", .kind = "bon",
    .summary = "best-of-n (rejection sampling) from the initial policy against the same PMs",
    .reads = "world.h5, distill/SCALE.h5, pm/*.h5",
    .help = "Best-of-n for n = 1, 2, 4, ... bon_max from the initial policy of the largest\n"
            "policy against every PM scale (hh), for each seed, exact under the empirical\n"
            "distribution of bon_samples samples per prompt (DIR/bon/POLICY_PM_hh_sS.h5).\n",
    .sections = RL_SECTIONS, .off = rl_off, .list = list_bon, .run = rl_best_of_n};
