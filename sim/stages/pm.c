// pm.c - see pm.h
#include "pm.h"

#include "eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "adamw.h"
#include "h5io.h"
#include "progress.h"
#include "rng.h"
#include "rollout.h"

// ---------------------------------------------------------------------------
// sequences and scores

typedef PMPair Pair;

// Build (B, T) inputs for pairs and the position of each last token; from
// (B, may be NULL) the position of each first response token: the positions
// from[b] .. pos[b] are the response tokens the context keeps (EOS included
// when present), or the last token alone when the context cut the whole
// response. [pm] readout = mean averages the scalar head over them.
static int build_span(const Pair *pr, int B, int ctx, int *x, int *from, int *pos) {
    int T = 1;
    for (int b = 0; b < B; b++) {
        int L = pr[b].pl + pr[b].rl;
        if (L > ctx) L = ctx;
        if (L > T) T = L;
    }
    for (int b = 0; b < B; b++) {
        int k = 0;
        for (int t = 0; t < pr[b].pl && k < T; t++) x[b * T + k++] = pr[b].p[t];
        for (int t = 0; t < pr[b].rl && k < T; t++) x[b * T + k++] = pr[b].r[t];
        pos[b] = k - 1;
        if (from) from[b] = pr[b].pl < k ? pr[b].pl : k - 1;
        while (k < T) x[b * T + k++] = 0;
    }
    return T;
}

// The scalar readout of m ([pm] readout, m->readout) after build_span into
// pos (B) and pos + B (the first response positions; pos holds 2 B ints).
static int build(const Pair *pr, int B, int ctx, int *x, int *pos) {
    return build_span(pr, B, ctx, x, pos + B, pos);
}

static int readout(const GPT *m, const int *pos, float *out, HHErr *err) {
    return gpt_scalar_span(m, m->readout ? pos + m->B : NULL, pos, out, err);
}

static int score_pairs(GPT *m, const Pair *pr, int n, int ctx, int *x, int *pos, float *tmp,
                       double *out, HHErr *err) {
    int chunk = gpt_infer_rows(m);
    for (int i = 0; i < n; i += chunk) {
        int B = n - i < chunk ? n - i : chunk;
        int T = build(pr + i, B, ctx, x, pos);
        if (gpt_forward(m, x, B, T, 0, err) || readout(m, pos, tmp, err)) return HH_EFAIL;
        for (int b = 0; b < B; b++) out[i + b] = tmp[b];
    }
    return 0;
}

int pm_score(GPT *m, const uint8_t *prompts, const int32_t *plen, int ctx, const uint8_t *resp,
             const int32_t *rlen, int n, double *out, HHErr *err) {
    Pair *pr = malloc(sizeof(Pair) * ((size_t)n + 1));
    int *x = malloc(sizeof(int) * (size_t)m->max_B * ctx), *pos = malloc(sizeof(int) * 2 * (size_t)m->max_B);
    float *tmp = malloc(sizeof(float) * m->max_B);
    int rc = (!pr || !x || !pos || !tmp) ? hh_fail(err, HH_EFAIL, "pm_score: out of memory") : 0;
    for (int i = 0; !rc && i < n; i++)
        pr[i] = (Pair){prompts + (size_t)i * ctx, resp + (size_t)i * RESP_MAX, plen[i], rlen[i]};
    if (!rc) rc = score_pairs(m, pr, n, ctx, x, pos, tmp, out, err);
    free(pr); free(x); free(pos); free(tmp);
    return rc;
}

// ---------------------------------------------------------------------------
// jobs

void pm_job_key(const PMJob *j, JobKey *k) {
    jobkey_init(k);
    snprintf(k->scale, sizeof k->scale, "%s", j->scale);
    k->n_train = j->n_help + j->n_harm;
    k->help_frac = j->help_frac;
    k->pmp = j->pmp;
    k->seed = j->seed;
    k->half = j->half;
    if (j->sweep == SWEEP_REF) snprintf(k->variant, sizeof k->variant, "ref");
}

static int add_job(PMJob *jobs, int *n, PMJob j, HHErr *err) {
    JobKey k;
    pm_job_key(&j, &k);
    if (jobkey_stem(&k, j.name, sizeof j.name, err)) return HH_EINPUT;
    for (int i = 0; i < *n; i++)
        if (!strcmp(jobs[i].name, j.name)) return 0;
    jobs[(*n)++] = j;
    return 0;
}

static int check_counts(const Params *p, const WorldData *d, int nh, int nx, HHErr *err) {
    int ah = d->comps[SET_HELPFUL][SPLIT_TRAIN].n, ax = d->comps[SET_HARMLESS][SPLIT_TRAIN].n;
    if (nh > ah || nx > ax)
        return hh_fail(err, HH_EINPUT, "[pm] asks for %d helpful and %d harmless training "
                       "comparisons but [crowd] n_help_train = %d and n_harm_train = %d; lower "
                       "[pm] sizes / mix_total or raise the [crowd] counts", nh, nx, ah, ax);
    (void)p;
    return 0;
}

// The largest PM scale (by training cost per comparison, as rl.c picks it).
const char *pm_largest_scale(const Params *p) {
    const char *big = p->pm_scales.v[0];
    for (int i = 1; i < p->pm_scales.n; i++)
        if (lm_scale_cost(p, p->pm_scales.v[i]) > lm_scale_cost(p, big)) big = p->pm_scales.v[i];
    return big;
}

// Seeds of the halves sweep: one train/test split and PM pair per RL seed.
static int halves_seeds(const Params *p) {
    return p->pm_halves ? (p->rl_seeds > 1 ? p->rl_seeds : 1) : 0;
}

// 1: the run trains helpful-only RL, which needs the helpful half PMs.
static int wants_helpful(const Params *p) {
    for (int i = 0; i < p->rl_variants.n; i++)
        if (!strcmp(p->rl_variants.v[i], "helpful")) return p->rl_policy_scales.n > 0;
    return 0;
}

int pm_jobs(const Params *p, const WorldData *d, PMJob **out, int *n, HHErr *err) {
    int ns = p->pm_seeds > p->pm_mix_seeds ? p->pm_seeds : p->pm_mix_seeds;
    if (halves_seeds(p) > ns) ns = halves_seeds(p);
    int cap = p->pm_scales.n * ns * (2 * p->pm_sizes.n + p->pm_mixes.n + 3) + 2;
    PMJob *jobs = calloc((size_t)cap, sizeof *jobs);
    if (!jobs) return hh_fail(err, HH_EFAIL, "out of memory");
    *n = 0;
    int pmp_main = p->pm_pmp >= 1;
    for (int s = 0; s < ns; s++)
        for (int k = 0; k < p->pm_scales.n; k++) {
            PMJob j = {.seed = s, .half = -1};
            snprintf(j.scale, sizeof j.scale, "%s", p->pm_scales.v[k]);
            for (int i = 0; s < p->pm_seeds && i < p->pm_sizes.n; i++)
                for (int v = 0; v < 2; v++) {
                    if ((v == 0 && p->pm_pmp == 1) || (v == 1 && p->pm_pmp == 0)) continue;
                    j.sweep = SWEEP_SIZE;
                    j.pmp = v;
                    j.help_frac = p->pm_hh_frac;
                    j.n_help = (int)lround(p->pm_hh_frac * p->pm_sizes.v[i]);
                    j.n_harm = p->pm_sizes.v[i] - j.n_help;
                    if (add_job(jobs, n, j, err)) { free(jobs); return HH_EINPUT; }
                }
            for (int i = 0; s < p->pm_mix_seeds && i < p->pm_mixes.n; i++) {
                j.sweep = SWEEP_MIX;
                j.pmp = pmp_main;
                j.help_frac = p->pm_mixes.v[i];
                j.n_help = (int)lround(j.help_frac * p->pm_mix_total);
                j.n_harm = p->pm_mix_total - j.n_help;
                if (add_job(jobs, n, j, err)) { free(jobs); return HH_EINPUT; }
            }
            // RL's PMs: a train (half 0) and test (half 1) PM per RL seed, each seed its
            // own split; at the largest scale also the helpful-only train PM: the
            // helpful comparisons of half 0 alone (the HH train PM's helpfulness data)
            int hf = wants_helpful(p) && !strcmp(j.scale, pm_largest_scale(p));
            for (int h = 0; s < halves_seeds(p) && h < 2 + hf; h++) {
                j.sweep = SWEEP_HALVES;
                j.pmp = pmp_main;
                j.half = h < 2 ? h : 0;
                j.n_help = (d->comps[SET_HELPFUL][SPLIT_TRAIN].n + 1 - j.half) / 2;
                j.n_harm = h < 2 ? (d->comps[SET_HARMLESS][SPLIT_TRAIN].n + 1 - j.half) / 2 : 0;
                j.help_frac = j.n_help + j.n_harm ? (double)j.n_help / (j.n_help + j.n_harm) : 0;
                if (j.n_help + j.n_harm > 0 && add_job(jobs, n, j, err)) { free(jobs); return HH_EINPUT; }
                j.half = -1;
            }
        }
    if (p->pm_ref) {  // the reference PM: largest scale, every training comparison, seed 0
        PMJob j = {.sweep = SWEEP_REF, .pmp = pmp_main, .seed = 0, .half = -1};
        snprintf(j.scale, sizeof j.scale, "%s", pm_largest_scale(p));
        j.n_help = d->comps[SET_HELPFUL][SPLIT_TRAIN].n;
        j.n_harm = d->comps[SET_HARMLESS][SPLIT_TRAIN].n;
        j.help_frac = j.n_help + j.n_harm ? (double)j.n_help / (j.n_help + j.n_harm) : 0;
        if (j.n_help + j.n_harm > 0 && add_job(jobs, n, j, err)) { free(jobs); return HH_EINPUT; }
    }
    for (int i = 0; i < *n; i++)
        if (check_counts(p, d, jobs[i].n_help, jobs[i].n_harm, err)) {
            free(jobs);
            return HH_EINPUT;
        }
    *out = jobs;
    return 0;
}

int pm_ref_key(const Params *p, const WorldData *d, JobKey *k, HHErr *err) {
    PMJob *pj = NULL;
    int n = 0, found = 0;
    if (!p->pm_ref) return hh_fail(err, HH_EINPUT, "[pm] ref = 0: no reference PM in this run");
    if (pm_jobs(p, d, &pj, &n, err)) return HH_EINPUT;
    for (int i = 0; i < n && !found; i++)
        if (pj[i].sweep == SWEEP_REF) pm_job_key(&pj[i], k), found = 1;
    free(pj);
    return found ? 0 : hh_fail(err, HH_EINPUT, "no reference PM: the world has no training comparisons");
}

// ---------------------------------------------------------------------------
// Bradley-Terry training

typedef PMComp Comp;

static Comp comp_at(const WorldData *d, const SeqSet *ps, const CompSet *cs, int i) {
    const uint8_t *p = ps->tok + (size_t)cs->prompt[i] * ps->ctx;
    int pl = ps->len[cs->prompt[i]];
    (void)d;
    return (Comp){{p, cs->chosen + (size_t)i * RESP_MAX, pl, cs->chosen_len[i]},
                  {p, cs->rejected + (size_t)i * RESP_MAX, pl, cs->rejected_len[i]}};
}

// A seeded permutation of 0..n-1 for (seed index, set).
static int *perm(const Params *p, int seed, const char *what, int n) {
    int *v = malloc(sizeof(int) * ((size_t)n + 1));
    if (!v) return NULL;
    for (int i = 0; i < n; i++) v[i] = i;
    char job[32];
    snprintf(job, sizeof job, "pm/seed%d", seed);
    gsl_rng *r = rng_stream_alloc(p->seed, job, what);
    for (int i = n - 1; i > 0; i--) {  // Fisher-Yates
        int k = (int)rng_below(r, (unsigned long)i + 1), t = v[i];
        v[i] = v[k];
        v[k] = t;
    }
    gsl_rng_free(r);
    return v;
}

// The job's training comparisons: per set, the first `want` of the seed's
// permutation (so smaller sets nest in larger ones for one seed); of those,
// lround(val_frac * want) drawn from the job's stream (seed, job, "val/SET")
// go to the validation split *val (the first *nval of *out), the rest train.
static int gather(const Params *p, const WorldData *d, const PMJob *j, const char *job,
                  Comp **out, int *n, int *nval, HHErr *err) {
    *n = j->n_help + j->n_harm;
    *nval = 0;
    Comp *c = malloc(sizeof(Comp) * ((size_t)*n + 1)), *tr = malloc(sizeof(Comp) * ((size_t)*n + 1));
    if (!c || !tr) { free(c); free(tr); return hh_fail(err, HH_EFAIL, "out of memory"); }
    int ntr = 0;
    for (int set = 0; set < 2; set++) {
        const CompSet *cs = &d->comps[set][SPLIT_TRAIN];
        const char *sn = set == SET_HELPFUL ? "helpful" : "harmless";
        char what[32];
        snprintf(what, sizeof what, "subset/%s", sn);
        int *pv = perm(p, j->seed, what, cs->n);
        int want = set == SET_HELPFUL ? j->n_help : j->n_harm;
        int nv = want < 2 ? 0 : (int)lround(p->pm_val_frac * want);
        unsigned char *isval = calloc((size_t)want + 1, 1);
        if (!pv || !isval) { free(pv); free(isval); free(c); free(tr); return hh_fail(err, HH_EFAIL, "out of memory"); }
        snprintf(what, sizeof what, "val/%s", sn);
        gsl_rng *r = rng_stream_alloc(p->seed, job, what);
        int picked = 0;  // selection sampling (Knuth's Algorithm S): nv of want, in order
        for (int k = 0; k < want; k++)
            if (rng_below(r, (unsigned long)(want - k)) < (unsigned long)(nv - picked))
                isval[k] = 1, picked++;
        gsl_rng_free(r);
        for (int i = 0; i < want; i++) {
            int idx = j->half >= 0 ? pv[2 * i + j->half] : pv[i];
            Comp x = comp_at(d, &d->prompts[SPLIT_TRAIN], cs, idx);
            if (isval[i]) c[(*nval)++] = x;
            else tr[ntr++] = x;
        }
        free(pv);
        free(isval);
    }
    memcpy(c + *nval, tr, sizeof(Comp) * (size_t)ntr);
    free(tr);
    *out = c;
    return 0;
}

typedef struct {
    int n;
    double *step, *loss, *acc;  // every 10 steps
    // per epoch (ne of them): steps done, training loss and accuracy over the
    // epoch, validation loss and accuracy after it (NaN without a validation split)
    int ne, best_epoch, stopped;  // best_epoch: 1-based epoch whose weights were kept
    double *e_step, *e_tl, *e_ta, *e_vl, *e_va;
} BTCurve;

typedef struct {
    long steps;       // total optimizer steps
    int B;            // comparisons per step
    double lr, wd;
    const char *job;  // stream job key
    int epochs;       // maximum passes over the training comparisons
    int pmp_lr;       // 1: lr is [pm] pmp_lr (for messages)
    const Comp *val;  // validation comparisons (early stopping), or NULL
    int nval;
    int patience;     // stop after this many epochs without a lower validation loss
} BTOpts;

static double sigmoid(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }

// One step on comparisons order[0 .. B): returns the mean loss, adds the
// correct count. The gradient is accumulated over micro-batches of
// m->micro_B / 2 comparisons (chosen and rejected rows of a comparison in
// the same micro-batch), as gpt_lm_grad does for the LM: the gradient of the
// mean over all B, with a small working set.
static int bt_step(GPT *m, AdamW *opt, const unsigned char *decay, const Comp *c,
                   const int *order, int B, double lr, double wd, int *x, int *pos, float *sc,
                   float *ds, Pair *pairs, double *loss, int *correct, double *gnorm,
                   HHErr *err) {
    int mb = m->micro_B / 2 > 1 ? m->micro_B / 2 : 1;
    *loss = 0;
    gpt_zero_grad(m);
    for (int b0 = 0; b0 < B; b0 += mb) {
        int nb = B - b0 < mb ? B - b0 : mb;
        for (int b = 0; b < nb; b++) {
            pairs[b] = c[order[b0 + b]].c;
            pairs[nb + b] = c[order[b0 + b]].r;
        }
        int T = build(pairs, 2 * nb, m->cfg.ctx, x, pos);
        if (gpt_forward(m, x, 2 * nb, T, 0, err) || readout(m, pos, sc, err)) return HH_EFAIL;
        for (int b = 0; b < nb; b++) {
            double dlt = (double)sc[b] - sc[nb + b], s = sigmoid(dlt);
            *loss += -log(fmax(s, 1e-300)) / B;
            *correct += dlt > 0;
            ds[b] = (float)(-(1 - s) / B);
            ds[nb + b] = (float)((1 - s) / B);
        }
        if (gpt_backward_span(m, NULL, m->readout ? pos + 2 * nb : NULL, pos, ds, NULL, err))
            return HH_EFAIL;
    }
    *gnorm = adamw_clip(m->grads, m->num_params, 1.0);
    AdamWConfig ac = {0.9f, 0.95f, 1e-8f, (float)wd};
    adamw_update(opt, m->params, m->grads, decay, (float)lr, &ac);
    return 0;
}

// Mean Bradley-Terry loss and accuracy (ties 1/2) of m on n comparisons.
static int bt_eval(GPT *m, const Comp *c, int n, double *loss, double *acc, HHErr *err) {
    Pair *pr = malloc(sizeof(Pair) * (2 * (size_t)n + 1));
    int *x = malloc(sizeof(int) * (size_t)m->max_B * m->cfg.ctx), *pos = malloc(sizeof(int) * 2 * (size_t)m->max_B);
    float *tmp = malloc(sizeof(float) * m->max_B);
    double *sc = malloc(sizeof(double) * (2 * (size_t)n + 1));
    int rc = !pr || !x || !pos || !tmp || !sc ? hh_fail(err, HH_EFAIL, "out of memory") : 0;
    for (int i = 0; !rc && i < n; i++) pr[i] = c[i].c, pr[n + i] = c[i].r;
    if (!rc) rc = score_pairs(m, pr, 2 * n, m->cfg.ctx, x, pos, tmp, sc, err);
    double l = 0, a = 0;
    for (int i = 0; !rc && i < n; i++) {
        double dlt = sc[i] - sc[n + i];
        l += -log(fmax(sigmoid(dlt), 1e-300));
        a += dlt > 0 ? 1 : dlt == 0 ? 0.5 : 0;
    }
    *loss = l / n, *acc = a / n;
    free(pr); free(x); free(pos); free(tmp); free(sc);
    return rc;
}

static int bt_train(const Params *p, GPT *m, const Comp *c, int n, const BTOpts *o, BTCurve *cv,
                    Progress *pr, HHErr *err) {
    int B = o->B, every = 10, rc = 0, correct = 0, seen = 0;
    AdamW *opt = adamw_alloc(m->num_params, err);
    unsigned char *decay = malloc(m->num_params);
    int *order = malloc(sizeof(int) * ((size_t)n + B)), *x = malloc(sizeof(int) * 2 * B * m->cfg.ctx);
    int *pos = malloc(sizeof(int) * 4 * (size_t)B);  // last and first (readout) positions
    float *sc = malloc(sizeof(float) * 2 * B), *ds = malloc(sizeof(float) * 2 * B);
    Pair *pairs = malloc(sizeof(Pair) * 2 * B);
    if (!opt || !decay || !order || !x || !pos || !sc || !ds || !pairs)
        rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc) gpt_decay_mask(m, decay);
    long s = 0, per_epoch = (n + B - 1) / B, warm = o->steps / 20;
    char lr_key[64];
    snprintf(lr_key, sizeof lr_key, "[pm] %s = %g", o->pmp_lr ? "pmp_lr" : "lr", o->lr);
    double acc = 0, best = INFINITY;
    int nl = 0, since = 0;
    float *keep = o->nval > 0 ? malloc(sizeof(float) * m->num_params) : NULL;
    if (!rc && o->nval > 0 && !keep) rc = hh_fail(err, HH_EFAIL, "out of memory");
    cv->ne = 0, cv->best_epoch = 0, cv->stopped = 0;
    for (int e = 0; !rc && e < o->epochs; e++) {
        double el = 0;
        int ec = 0, en = 0;
        char comp[32];
        snprintf(comp, sizeof comp, "epoch/%d", e);
        gsl_rng *r = rng_stream_alloc(p->seed, o->job, comp);
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int k = (int)rng_below(r, (unsigned long)i + 1), t = order[i];
            order[i] = order[k];
            order[k] = t;
        }
        gsl_rng_free(r);
        for (long b = 0; !rc && b < per_epoch; b++, s++) {
            int nb = (int)(n - b * B < B ? n - b * B : B);
            double lr = adamw_lr_cosine(s, warm, o->steps, o->lr, 0.1 * o->lr), loss = 0;
            double gn = NAN;
            int cs = 0;
            rc = bt_step(m, opt, decay, c, order + b * B, nb, lr, o->wd, x, pos, sc, ds, pairs,
                         &loss, &cs, &gn, err);
            correct += cs;
            if (!rc) rc = gpt_check_step(m, o->job, s + 1, loss, gn, lr_key, err);
            acc += loss;
            nl++;
            seen += nb;
            el += loss * nb;
            en += nb;
            ec += cs;
            if (!rc && ((s + 1) % every == 0 || s + 1 == o->steps)) {
                cv->step[cv->n] = (double)(s + 1);
                cv->loss[cv->n] = acc / nl;
                nl = 0;
                cv->acc[cv->n++] = (double)correct / seen;
                acc = 0;
                correct = seen = 0;
            }
            if (pr) progress_update(pr, s + 1, "loss %.3f", loss);
        }
        if (rc) break;
        double vl = NAN, va = NAN;
        if (o->nval > 0) rc = bt_eval(m, o->val, o->nval, &vl, &va, err);
        if (rc) break;
        int k = cv->ne++;
        cv->e_step[k] = (double)s, cv->e_tl[k] = en ? el / en : NAN;
        cv->e_ta[k] = en ? (double)ec / en : NAN, cv->e_vl[k] = vl, cv->e_va[k] = va;
        if (o->nval <= 0) {
            cv->best_epoch = e + 1;
        } else if (vl < best) {  // keep the best weights by validation loss
            best = vl, since = 0, cv->best_epoch = e + 1;
            memcpy(keep, m->params, sizeof(float) * m->num_params);
        } else if (++since >= o->patience && e + 1 < o->epochs) {
            cv->stopped = 1;
            break;
        }
    }
    if (!rc && keep && cv->best_epoch > 0) memcpy(m->params, keep, sizeof(float) * m->num_params);
    free(keep);
    adamw_free(opt);
    free(decay); free(order); free(x); free(pos); free(sc); free(ds); free(pairs);
    return rc;
}

// The scalar head of a PM started from an LM (zero there) drawn from
// N(0, 0.02^2) on the stream (seed, job, "head"): seeds differ in head
// initialisation as well as in data subset and order.
static void head_init(const Params *p, GPT *m, const char *job) {
    gsl_rng *r = rng_stream_alloc(p->seed, job, "head");
    for (int i = 0; i < m->cfg.d_model; i++) m->p.wr[i] = (float)gsl_ran_gaussian_ziggurat(r, 0.02);
    gsl_rng_free(r);
}

static int curve_alloc(BTCurve *cv, long steps, int epochs);
static void curve_free(BTCurve *cv);

int pm_fit(const Params *p, GPT *m, const PMComp *c, int n, int epochs, double lr,
           const char *job, double *final_acc, HHErr *err) {
    int B = m->max_B / 2;
    if (B < 1 || n < 1 || epochs < 1)
        return hh_fail(err, HH_EINPUT, "pm_fit: needs max_B >= 2, n >= 1 and epochs >= 1");
    BTOpts o = {(long)epochs * ((n + B - 1) / B), B, lr, 0.0, job, epochs, 0, NULL, 0, 1};
    BTCurve cv = {0};
    if (curve_alloc(&cv, o.steps, epochs)) {
        curve_free(&cv);
        return hh_fail(err, HH_EFAIL, "out of memory");
    }
    int rc = bt_train(p, m, c, n, &o, &cv, NULL, err);
    if (!rc && final_acc) *final_acc = cv.acc[cv.n - 1];
    curve_free(&cv);
    return rc;
}

static int curve_alloc(BTCurve *cv, long steps, int epochs) {
    size_t k = (size_t)(steps / 10 + 2), e = (size_t)epochs + 1;
    memset(cv, 0, sizeof *cv);
    cv->step = calloc(k, sizeof(double));
    cv->loss = calloc(k, sizeof(double));
    cv->acc = calloc(k, sizeof(double));
    cv->e_step = calloc(e, sizeof(double));
    cv->e_tl = calloc(e, sizeof(double));
    cv->e_ta = calloc(e, sizeof(double));
    cv->e_vl = calloc(e, sizeof(double));
    cv->e_va = calloc(e, sizeof(double));
    return cv->step && cv->loss && cv->acc && cv->e_step && cv->e_tl && cv->e_ta && cv->e_vl &&
           cv->e_va ? 0 : -1;
}

static void curve_free(BTCurve *cv) {
    free(cv->step); free(cv->loss); free(cv->acc);
    free(cv->e_step); free(cv->e_tl); free(cv->e_ta); free(cv->e_vl); free(cv->e_va);
}

static int write_curve(hid_t f, const BTCurve *cv, int nval, HHErr *err) {
    hsize_t d[1] = {(hsize_t)cv->n}, de[1] = {(hsize_t)cv->ne};
    double *ep = malloc(sizeof(double) * ((size_t)cv->ne + 1));
    if (!ep) return hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < cv->ne; k++) ep[k] = k + 1;
    int rc = h5_write(f, "curve/step", H5T_NATIVE_DOUBLE, 1, d, cv->step, "steps",
                      "optimizer steps done", err) ||
             h5_write(f, "curve/loss", H5T_NATIVE_DOUBLE, 1, d, cv->loss, "nats",
                      "mean Bradley-Terry loss over the last 10 steps", err) ||
             h5_write(f, "curve/acc", H5T_NATIVE_DOUBLE, 1, d, cv->acc, "fraction",
                      "training accuracy (chosen scored higher) over the last 10 steps", err) ||
             h5_write(f, "curve/epoch/epoch", H5T_NATIVE_DOUBLE, 1, de, ep, "epochs",
                      "passes over the training split done (1-based)", err) ||
             h5_write(f, "curve/epoch/step", H5T_NATIVE_DOUBLE, 1, de, cv->e_step, "steps",
                      "optimizer steps done at the end of the epoch", err) ||
             h5_write(f, "curve/epoch/train_loss", H5T_NATIVE_DOUBLE, 1, de, cv->e_tl, "nats",
                      "mean Bradley-Terry loss of the epoch's training steps (weights moving)", err) ||
             h5_write(f, "curve/epoch/train_acc", H5T_NATIVE_DOUBLE, 1, de, cv->e_ta, "fraction",
                      "training accuracy over the epoch (chosen scored higher, during the steps)", err) ||
             h5_write(f, "curve/epoch/val_loss", H5T_NATIVE_DOUBLE, 1, de, cv->e_vl, "nats",
                      "mean Bradley-Terry loss on the validation split after the epoch (NaN: no "
                      "validation split)", err) ||
             h5_write(f, "curve/epoch/val_acc", H5T_NATIVE_DOUBLE, 1, de, cv->e_va, "fraction",
                      "validation accuracy after the epoch (ties count 1/2; NaN: no validation split)",
                      err) ||
             h5_attr_int(f, "curve/epoch", "best_epoch", cv->best_epoch, err) ||
             h5_attr_int(f, "curve/epoch", "early_stopped", cv->stopped, err) ||
             h5_attr_int(f, "curve/epoch", "n_val", nval, err) ||
             h5_attr_str(f, "curve/epoch", "description", "per-epoch training and validation "
                         "curves; the weights kept are those after epoch best_epoch (lowest "
                         "validation loss); early_stopped = 1 when training stopped before the "
                         "maximum [pm] epochs after [pm] patience epochs without improvement; "
                         "n_val = validation comparisons (held out of training)", err);
    free(ep);
    return rc;
}


// ---------------------------------------------------------------------------
// PMP

int pm_pretrain_pmp(const Params *p, const WorldData *d, const Job *jb, const StageOpts *so,
                    HHErr *err) {
    const char *scale = jb->key.scale, *in = job_input(jb, "pretrain"), *path = jb->out;
    int seed = jb->key.seed;
    char job[64];
    snprintf(job, sizeof job, "pmp/%s_s%d", scale, seed);
    GPT *m = NULL;
    if (lm_load(in, "lm", p, scale, 2 * p->pm_batch, &m, err)) return HH_EINPUT;
    SeqSet ps;
    CompSet cs;
    int rc = worldgen_pmp(d, p, &ps, &cs, err);
    Comp *c = rc ? NULL : malloc(sizeof(Comp) * ((size_t)cs.n + 1));
    if (!rc && !c) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 0; !rc && i < cs.n; i++) c[i] = comp_at(d, &ps, &cs, i);
    BTOpts o = {(cs.n + p->pm_batch - 1) / p->pm_batch, p->pm_batch, p->pm_pmp_lr, 0.0, job, 1, 1,
                NULL, 0, 1};
    BTCurve cv = {0};
    if (!rc && curve_alloc(&cv, o.steps, 1)) rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc) head_init(p, m, job);
    Progress pr;
    char label[64];
    snprintf(label, sizeof label, "pmp %s_s%d:", scale, seed);
    progress_start(&pr, label, o.steps, so->quiet);
    if (!rc) rc = job_mkdir(jb, err);
    if (!rc) rc = bt_train(p, m, c, cs.n, &o, &cv, &pr, err);
    H5Out out;
    if (!rc && !(rc = h5out_create(&out, path, "pmp", p, err))) {
        hsize_t d1[1] = {1};
        double best = worldgen_best_loss(&cs);
        rc = lm_write_model(out.file, m, scale, err) || write_curve(out.file, &cv, 0, err) ||
             jobkey_write(out.file, &jb->key, err) ||
             h5_write(out.file, "pmp/best_loss", H5T_NATIVE_DOUBLE, 1, d1, &best, "nats",
                      "best loss any model can reach on these labels: mean binary entropy of "
                      "each label's probability (chance: ln 2 = 0.693)", err);
        if (rc) h5out_abort(&out);
        else rc = h5out_commit(&out, err);
    }
    if (!rc)
        progress_done(&pr, "%d noisy comparisons, final train loss %.3f, accuracy %.3f (best "
                      "achievable loss %.3f, chance 0.693) -> %s", cs.n, cv.loss[cv.n - 1],
                      cv.acc[cv.n - 1], worldgen_best_loss(&cs), path);
    curve_free(&cv);
    free(c);
    worldgen_free_sets(&ps, &cs);
    gpt_free(m);
    return rc;
}

// ---------------------------------------------------------------------------
// evaluation

typedef struct {
    double *sc, *sr, *pc;
    int n;
} SetEval;

static int eval_set(GPT *m, const WorldData *d, int set, SetEval *ev, HHErr *err) {
    const CompSet *cs = &d->comps[set][SPLIT_TEST];
    int n = cs->n, ctx = m->cfg.ctx;
    Pair *pc = malloc(sizeof(Pair) * (2 * (size_t)n + 1));
    int *x = malloc(sizeof(int) * (size_t)m->max_B * ctx), *pos = malloc(sizeof(int) * 2 * (size_t)m->max_B);
    float *tmp = malloc(sizeof(float) * m->max_B);
    double *s = malloc(sizeof(double) * (2 * (size_t)n + 1));
    ev->n = n;
    ev->sc = malloc(sizeof(double) * ((size_t)n + 1));
    ev->sr = malloc(sizeof(double) * ((size_t)n + 1));
    ev->pc = malloc(sizeof(double) * ((size_t)n + 1));
    int rc = (!pc || !x || !pos || !tmp || !s || !ev->sc || !ev->sr || !ev->pc)
                 ? hh_fail(err, HH_EFAIL, "out of memory") : 0;
    for (int i = 0; !rc && i < n; i++) {
        Comp c = comp_at(d, &d->prompts[SPLIT_TEST], cs, i);
        pc[i] = c.c;
        pc[n + i] = c.r;
    }
    if (!rc) rc = score_pairs(m, pc, 2 * n, ctx, x, pos, tmp, s, err);
    for (int i = 0; !rc && i < n; i++) {
        ev->sc[i] = s[i];
        ev->sr[i] = s[n + i];
        ev->pc[i] = sigmoid(s[i] - s[n + i]);
    }
    free(pc); free(x); free(pos); free(tmp); free(s);
    return rc;
}

static void set_eval_free(SetEval *e) { free(e->sc); free(e->sr); free(e->pc); }

static double accuracy(const SetEval *e) {
    double a = 0;
    for (int i = 0; i < e->n; i++) a += e->sc[i] > e->sr[i] ? 1.0 : e->sc[i] == e->sr[i] ? 0.5 : 0;
    return e->n ? a / e->n : NAN;
}

// eval/SET/differs: what differs between the two responses (world.h5's tag,
// worldgen.h), copied beside the per-pair arrays so analyses can split by it.
static int write_differs(hid_t f, const char *g, const CompSet *cs, const hsize_t *dn, HHErr *err) {
    char nm[64];
    snprintf(nm, sizeof nm, "%s/differs", g);
    return h5_write(f, nm, H5T_NATIVE_INT8, 1, dn, cs->differs, "enum",
                    "what differs between the two responses: 0 content only (surface-matched: same "
                    "length and non-answer tokens), 1 surface (filler, length, hedging or ALT), 2 "
                    "refusal (exactly one refuses), 3 harm (gold harm differs); priority harm > "
                    "refusal > surface > content", err);
}

static int write_set(hid_t f, const WorldData *d, int set, const SetEval *e, HHErr *err) {
    const CompSet *cs = &d->comps[set][SPLIT_TEST];
    const char *g = set == SET_HELPFUL ? "eval/helpful" : "eval/harmless";
    hsize_t dn[1] = {(hsize_t)e->n};
    char nm[8][64];
    static const char *N[8] = {"score_chosen", "score_rejected", "p_chosen", "gold", "turn",
                               "kind", "help_chosen", "help_rejected"};
    for (int k = 0; k < 8; k++) snprintf(nm[k], 64, "%s/%s", g, N[k]);
    char h1[64], h2[64];
    snprintf(h1, 64, "%s/harm_chosen", g);
    snprintf(h2, 64, "%s/harm_rejected", g);
    return h5_write(f, nm[0], H5T_NATIVE_DOUBLE, 1, dn, e->sc, "PM score",
                    "PM score of the crowdworker-chosen response", err) ||
           h5_write(f, nm[1], H5T_NATIVE_DOUBLE, 1, dn, e->sr, "PM score",
                    "PM score of the rejected response", err) ||
           h5_write(f, nm[2], H5T_NATIVE_DOUBLE, 1, dn, e->pc, "probability",
                    "PM's probability that the chosen response is better, "
                    "sigmoid(score_chosen - score_rejected)", err) ||
           h5_write(f, nm[3], H5T_NATIVE_INT8, 1, dn, cs->gold, "sign",
                    "+1 chosen is gold-better, -1 rejected is, 0 gold tie", err) ||
           h5_write(f, nm[4], H5T_NATIVE_INT8, 1, dn, cs->turn, "turn",
                    "conversational turn of the compared responses", err) ||
           h5_write(f, nm[5], H5T_NATIVE_INT8, 1, dn, cs->kind, "enum",
                    "prompt kind: 0 benign, 1 borderline, 2 red-team, 3 disguised", err) ||
           h5_write(f, nm[6], H5T_NATIVE_DOUBLE, 1, dn, cs->help_c, "gold help [0,1]",
                    "gold help of the chosen response", err) ||
           h5_write(f, nm[7], H5T_NATIVE_DOUBLE, 1, dn, cs->help_r, "gold help [0,1]",
                    "gold help of the rejected response", err) ||
           h5_write(f, h1, H5T_NATIVE_DOUBLE, 1, dn, cs->harm_c, "gold harm [0,1]",
                    "gold harm of the chosen response", err) ||
           h5_write(f, h2, H5T_NATIVE_DOUBLE, 1, dn, cs->harm_r, "gold harm [0,1]",
                    "gold harm of the rejected response", err) ||
           write_differs(f, g, cs, dn, err);
}

// ---------------------------------------------------------------------------
// reward normalisation under the distilled policy

static int norm_scores(const Params *p, const WorldData *d, const PMJob *j, const char *path,
                       GPT *pm, double *scores, int n, char *source, size_t ns, HHErr *err) {
    snprintf(source, ns, "distill/%s.h5 (in the run directory)", j->scale);
    GPT *pol = NULL;
    if (lm_load(path, "distill", p, j->scale, 64, &pol, err)) return HH_EINPUT;
    char job[128];
    snprintf(job, sizeof job, "pm/%s", j->name);
    int rc = eval_norm_scores(p, d, pol, job, &pm, 1, n, scores, err);
    gpt_free(pol);
    return rc;
}

// ---------------------------------------------------------------------------
// one preference model

static int write_job(hid_t f, const PMJob *j, size_t nparams, HHErr *err) {
    hid_t g = h5_group(f, "job", err);
    if (g < 0) return HH_EFAIL;
    H5Gclose(g);
    static const char *SW[4] = {"size", "mix", "halves", "ref"};
    return h5_attr_str(f, "job", "scale", j->scale, err) ||
           h5_attr_str(f, "job", "sweep", SW[j->sweep], err) ||
           h5_attr_int(f, "job", "n_train", j->n_help + j->n_harm, err) ||
           h5_attr_int(f, "job", "n_help", j->n_help, err) ||
           h5_attr_int(f, "job", "n_harm", j->n_harm, err) ||
           h5_attr_double(f, "job", "help_frac", j->help_frac, err) ||
           h5_attr_int(f, "job", "pmp", j->pmp, err) ||
           h5_attr_int(f, "job", "seed", j->seed, err) ||
           h5_attr_int(f, "job", "half", j->half, err) ||
           h5_attr_double(f, "job", "params", (double)nparams, err);
}

static int write_pm(const Params *p, const WorldData *d, const Job *jb, const char *path,
                    const GPT *m, const BTCurve *cv, int nval, const SetEval ev[2],
                    const double *ns, int nn, const char *nsrc, HHErr *err) {
    const PMJob *j = jb->spec;
    H5Out o;
    if (h5out_create(&o, path, "pm", p, err)) return HH_EFAIL;
    hid_t f = o.file;
    double acc[3], cnt[3], mean = 0, sd = 0;
    acc[0] = accuracy(&ev[0]);
    acc[1] = accuracy(&ev[1]);
    cnt[0] = ev[0].n;
    cnt[1] = ev[1].n;
    cnt[2] = cnt[0] + cnt[1];
    acc[2] = cnt[2] > 0 ? (acc[0] * cnt[0] + acc[1] * cnt[1]) / cnt[2] : NAN;
    eval_norm_stats(ns, nn, &mean, &sd);
    hsize_t d3[1] = {3}, dn[1] = {(hsize_t)nn}, d1[1] = {1};
    int rc = write_job(f, j, m->num_params, err) || jobkey_write(f, &jb->key, err) ||
             lm_write_model(f, m, j->scale, err) ||
             write_curve(f, cv, nval, err) || write_set(f, d, SET_HELPFUL, &ev[0], err) ||
             write_set(f, d, SET_HARMLESS, &ev[1], err) ||
             h5_write(f, "eval/accuracy", H5T_NATIVE_DOUBLE, 1, d3, acc, "fraction",
                      "held-out accuracy against crowd labels [helpful, harmless, pooled]; "
                      "ties count 1/2", err) ||
             h5_write(f, "eval/n", H5T_NATIVE_DOUBLE, 1, d3, cnt, "count",
                      "held-out comparisons [helpful, harmless, pooled]", err) ||
             h5_write(f, "norm/scores", H5T_NATIVE_DOUBLE, 1, dn, ns, "PM score",
                      "PM scores of responses sampled at temperature 1 from the initial policy",
                      err) ||
             h5_write(f, "norm/mean", H5T_NATIVE_DOUBLE, 1, d1, &mean, "PM score",
                      "mean of norm/scores (reward = (score - mean) / sd)", err) ||
             h5_write(f, "norm/sd", H5T_NATIVE_DOUBLE, 1, d1, &sd, "PM score",
                      "standard deviation of norm/scores", err) ||
             h5_attr_str(f, "norm", "policy", nsrc, err);
    if (rc) { h5out_abort(&o); return HH_EFAIL; }
    return h5out_commit(&o, err);
}

int pm_train(const Params *p, const WorldData *d, const Job *jb, const StageOpts *so, HHErr *err) {
    const PMJob *j = jb->spec;
    const char *in = job_input(jb, j->pmp ? "pmp" : "pretrain"), *path = jb->out;
    char job[128];
    snprintf(job, sizeof job, "pm/%s", j->name);
    GPT *m = NULL;
    int B = p->pm_batch;
    if (lm_load(in, j->pmp ? "pmp" : "lm", p, j->scale, 2 * B, &m, err)) return HH_EINPUT;
    Comp *c = NULL;
    int n = 0, nn = p->pm_norm_samples;
    int nval = 0;
    int rc = gather(p, d, j, job, &c, &n, &nval, err);
    int ntr = n - nval;  // c[0 .. nval) validation, c[nval .. n) training
    BTOpts o = {(long)p->pm_epochs * ((ntr + B - 1) / B), B, p->pm_lr, p->pm_weight_decay, job,
                p->pm_epochs, 0, c, nval, p->pm_patience};
    BTCurve cv = {0};
    SetEval ev[2] = {{0}, {0}};
    double *ns = malloc(sizeof(double) * nn);
    char nsrc[1024] = "";
    if (!rc && (curve_alloc(&cv, o.steps, p->pm_epochs) || !ns))
        rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc && !j->pmp) head_init(p, m, job);  // a PMP start keeps its PMP head
    if (!rc) rc = job_mkdir(jb, err);
    Progress pr;
    char label[128];
    snprintf(label, sizeof label, "pm %s:", j->name);
    progress_start(&pr, label, o.steps, so->quiet);
    if (!rc) rc = bt_train(p, m, c + nval, ntr, &o, &cv, &pr, err);
    for (int set = 0; !rc && set < 2; set++) rc = eval_set(m, d, set, &ev[set], err);
    if (!rc) rc = norm_scores(p, d, j, job_input(jb, "distill"), m, ns, nn, nsrc, sizeof nsrc, err);
    if (!rc) rc = write_pm(p, d, jb, path, m, &cv, nval, ev, ns, nn, nsrc, err);
    if (!rc)
        progress_done(&pr, "epochs %d (best %d%s), held-out accuracy helpful %.3f harmless %.3f -> %s",
                      cv.ne, cv.best_epoch, cv.stopped ? ", stopped early" : "",
                      accuracy(&ev[0]), accuracy(&ev[1]), path);
    set_eval_free(&ev[0]);
    set_eval_free(&ev[1]);
    curve_free(&cv);
    free(ns);
    free(c);
    gpt_free(m);
    return rc;
}

// ---------------------------------------------------------------------------
// retraining with extra comparisons (the online stage)

int pm_gather(const Params *p, const WorldData *d, const PMJob *j, const char *job, PMComp **out,
              int *n, int *nval, HHErr *err) {
    return gather(p, d, j, job, out, n, nval, err);
}

int pm_retrain(const Params *p, const PMJob *j, const char *job, GPT *m, const PMComp *c, int n,
               int nval, int *best_epoch, HHErr *err) {
    int B = p->pm_batch, ntr = n - nval;
    if (ntr < 1) return hh_fail(err, HH_EINPUT, "%s: no training comparisons", job);
    BTOpts o = {(long)p->pm_epochs * ((ntr + B - 1) / B), B, p->pm_lr, p->pm_weight_decay, job,
                p->pm_epochs, 0, c, nval, p->pm_patience};
    BTCurve cv = {0};
    if (curve_alloc(&cv, o.steps, p->pm_epochs)) {
        curve_free(&cv);
        return hh_fail(err, HH_EFAIL, "out of memory");
    }
    if (!j->pmp) head_init(p, m, job);  // a PMP start keeps its PMP head
    int rc = bt_train(p, m, c + nval, ntr, &o, &cv, NULL, err);
    if (best_epoch) *best_epoch = cv.best_epoch;
    curve_free(&cv);
    return rc;
}

// ---------------------------------------------------------------------------
// the stages

static const char *pmp_off(const Params *p) {
    return p->pm_pmp == 0 ? "[pm] pmp = 0" : NULL;
}

static int list_pmp(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    (void)d;
    int ns = p->pm_seeds > p->pm_mix_seeds ? p->pm_seeds : p->pm_mix_seeds;
    for (int s = 0; s < ns; s++)
        for (int k = 0; k < p->pm_scales.n; k++) {
            JobKey key, lm;
            jobkey_init(&key);
            snprintf(key.scale, sizeof key.scale, "%s", p->pm_scales.v[k]);
            key.seed = s;
            jobkey_init(&lm);
            snprintf(lm.scale, sizeof lm.scale, "%s", key.scale);
            Job *j = joblist_add(l, &STAGE_PMP, &key, lm_scale_cost(p, key.scale) * p->pm_pmp_n, NULL,
                                 0, err);
            if (!j || job_add_input(l, j, &STAGE_PRETRAIN, &lm, err)) return err->code;
        }
    return 0;
}

static int list_pm(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    PMJob *pj = NULL;
    int n = 0;
    if (pm_jobs(p, d, &pj, &n, err)) return err->code;
    int rc = 0;
    for (int i = 0; !rc && i < n; i++) {
        PMJob *spec = malloc(sizeof *spec);
        if (!spec) { rc = hh_fail(err, HH_EFAIL, "out of memory"); break; }
        *spec = pj[i];
        JobKey key, lm, pmp;
        pm_job_key(spec, &key);
        jobkey_init(&lm);
        snprintf(lm.scale, sizeof lm.scale, "%s", spec->scale);
        pmp = lm;
        pmp.seed = spec->seed;
        double cost = lm_scale_cost(p, spec->scale) * p->pm_epochs * (spec->n_help + spec->n_harm);
        Job *j = joblist_add(l, &STAGE_PM, &key, cost, spec, 1, err);
        rc = !j || job_add_input(l, j, &STAGE_PRETRAIN, &lm, err) ||
             job_add_input(l, j, &STAGE_DISTILL, &lm, err) ||
             (spec->pmp && job_add_input(l, j, &STAGE_PMP, &pmp, err));
    }
    free(pj);
    return rc ? err->code : 0;
}

static const char *const PMP_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                           "pretrain", "pm", NULL};
static const char *const PM_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                          "pretrain", "distill", "pm", NULL};

const StageDef STAGE_PMP = {
    .name = "pmp", .subdir = "pmp", .kind = "pmp",
    .summary = "preference-model pretraining on cheap, noisy comparisons",
    .reads = "world.h5, lm/SCALE.h5",
    .help = "Trains preference-model pretraining (PMP) models on cheap, noisy comparisons,\n"
            "one per [pm] scale and seed (DIR/pmp/SCALE_sS.h5). Off when [pm] pmp = 0.\n",
    .sections = PMP_SECTIONS, .off = pmp_off, .list = list_pmp, .run = pm_pretrain_pmp,
    .has_model = 1};

const StageDef STAGE_PM = {
    .name = "pm", .subdir = "pm", .kind = "pm",
    .summary = "train and evaluate the preference models of every [pm] sweep",
    .reads = "world.h5, lm/SCALE.h5, distill/SCALE.h5, pmp/SCALE_sS.h5",
    .help = "Trains every PM of the [pm] sweeps: scale x training-set size, scale x\n"
            "helpful/harmless mix, and train/test halves, each x seed (DIR/pm/JOB.h5). Each\n"
            "PM file holds held-out scores, probabilities, labels, gold preferences and turns\n"
            "of every test comparison, accuracies, and the PM's score distribution on samples\n"
            "of the distilled policy (reward normalisation).\n",
    .sections = PM_SECTIONS, .list = list_pm, .run = pm_train, .has_model = 1};
