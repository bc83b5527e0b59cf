// lmclaims.c - see lmclaims.h
#include "lmclaims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmreport.h"
#include "stats.h"

#define MAXP 130  // parts of a MOVER combination: 2 per scale + 1

static const char *const KNOWN[] = {"lm_heldout_loss_slope_log10p", "fact_recall_slope_log10p",
                                    "distill_help_gain_benign",
                                    "distill_harm_drop_redteam", "hhh_persona_minus_distilled_help", NULL};

int lmclaims_known(const char *name) { return claims_name_in(KNOWN, name); }

const char *lmclaims_list(void) {
    static char buf[1024];
    return claims_names_join(KNOWN, buf, sizeof buf);
}

// Append " scale a -> b;" to a method note (truncating quietly).
static void note2(char *buf, size_t cap, const char *scale, double a, double b) {
    size_t L = strlen(buf);
    if (L + 40 < cap) snprintf(buf + L, cap - L, " %s %.3f -> %.3f;", scale, a, b);
}

// A MOVER combination built part by part.
typedef struct {
    size_t k;
    int over;  // more parts than MAXP: no interval
    double c[MAXP], est[MAXP], lo[MAXP], hi[MAXP];
} Parts;

static void add(Parts *p, double c, const StatsCI *ci) {
    if (p->k >= MAXP) {
        p->over = 1;
        return;
    }
    p->c[p->k] = c, p->est[p->k] = ci->est, p->lo[p->k] = ci->lo, p->hi[p->k++] = ci->hi;
}

static void mover(const Parts *p, size_t n, ClaimStat *o) {
    StatsCI r;
    HHErr e;
    if (!p->k || p->over || stats_mover(p->k, p->c, p->est, p->lo, p->hi, &r, &e)) return;  // a part without responses
    claim_stat_set(o, r.est, r.lo, r.hi, n);
}

// ---------------------------------------------------------------------------

static int st_slope(const LMData *D, ClaimStat *o) {
    StatsLinfit F;
    HHErr e;
    if (lm_fit_loss_scaling(D, &F, &e)) {
        snprintf(o->method, sizeof o->method, "needs >= 3 pretrained scales: %.400s.", e.msg);
        return 0;
    }
    claim_stat_set(o, F.c1, F.c1_lo, F.c1_hi, F.n);
    char per[256] = "";
    for (int k = 0; k < D->nlm; k++) {
        size_t L = strlen(per);
        if (L + 40 < sizeof per)
            snprintf(per + L, sizeof per - L, " %s (%.0f) %.3f;", D->lm[k].scale, D->lm[k].params,
                     D->lm[k].heldout[D->lm[k].n - 1]);
    }
    snprintf(o->method, sizeof o->method, "Least-squares slope of the final held-out loss (nats/token, "
             "held-out corpus rows) vs log10(parameters) over %zu pretrained scales, in nats/token per decade "
             "of parameters; per scale (parameters) loss:%s 95%% CI Student t with %zu dof (across scales, one "
             "seed each); R^2 = %.3f. Table /lm_scaling (attributes fit_*).", F.n, per, F.dof, F.r2);
    return 0;
}

// Share of relational facts recalled vs log10 P across the pretrained scales.
static int st_recall(const LMData *D, ClaimStat *o) {
    if (D->nlm < 3 || !D->rank) {
        snprintf(o->method, sizeof o->method, "needs >= 3 pretrained scales and world.h5 (%d scales%s).",
                 D->nlm, D->rank ? "" : ", no world.h5");
        return 0;
    }
    double x[64], y[64];
    char per[256] = "";
    int n = D->nlm < 64 ? D->nlm : 64, R = D->n_attr;
    for (int k = 0; k < n; k++) {
        const LMDRec *m = &D->lm[k];
        size_t hit[2], nf[2];
        lmd_recall(D, m, 0, D->n_ent, 0, hit, nf);
        x[k] = log10(m->params);
        y[k] = nf[0] ? (double)hit[0] / (double)nf[0] : NAN;
        size_t L = strlen(per);
        if (L + 40 < sizeof per) snprintf(per + L, sizeof per - L, " %s %.3f;", m->scale, y[k]);
    }
    StatsLinfit F;
    HHErr e;
    if (stats_fit_linear(x, y, (size_t)n, &F, &e)) {
        snprintf(o->method, sizeof o->method, "fit failed: %.300s", e.msg);
        return 0;
    }
    claim_stat_set(o, F.c1, F.c1_lo, F.c1_hi, F.n);
    snprintf(o->method, sizeof o->method, "Least-squares slope of the share of the %d relational "
             "knowledge-base facts recalled (lm/SCALE.h5 /eval/facts) vs log10(parameters) over %zu "
             "scales, per decade; per scale:%s 95%% CI Student t with %zu dof (across scales, one seed "
             "each); R^2 = %.3f. Table /lm_fact_recall.", D->n_ent * R, F.n, per, F.dof, F.r2);
    return 0;
}

// Mean over the distilled scales of sign (distilled - base) of help on benign
// (harm = 0) or harm on red-team and disguised prompts (harm = 1).
static int st_distill(const LMData *D, int harm, ClaimStat *o) {
    Parts p = {0};
    char per[256] = "";
    double S = D->ndi, sign = harm ? -1 : 1;
    for (int k = 0; k < D->ndi; k++) {
        const LMDRec *d = &D->di[k];
        StatsCI b, x;
        (harm ? lm_harm_redteam : lm_help_benign)(&d->ev[DI_BASE], &b);
        (harm ? lm_harm_redteam : lm_help_benign)(&d->ev[DI_DISTILLED], &x);
        add(&p, sign / S, &x), add(&p, -sign / S, &b);
        note2(per, sizeof per, d->scale, b.est, x.est);
    }
    mover(&p, (size_t)D->ndi, o);
    snprintf(o->method, sizeof o->method, "Mean over %d scales of %s on %s (gold, responses sampled at "
             "[distill] temperature); per scale base -> distilled:%s 95%% interval: MOVER of each mean's Wilson "
             "interval, parts independent (conservative: both models answer the same prompts); it covers "
             "response sampling, not retraining. Table /distill_eval.", D->ndi,
             harm ? "base minus distilled harm" : "distilled minus base help",
             harm ? "red-team and disguised prompts" : "benign prompts", per);
    return 0;
}

static int st_gap(const LMData *D, ClaimStat *o) {
    StatsCI hh;
    lmd_persona_mean(&D->persona, PERSONA_HHH, KIND_BENIGN, LMD_HELP, &hh);
    if (!isfinite(hh.est)) {
        snprintf(o->method, sizeof o->method, "needs world.h5's held-out comparisons with HHH-persona "
                 "responses on benign prompts (none read).");
        return 0;
    }
    Parts p = {0};
    add(&p, 1, &hh);
    char per[256] = "";
    double S = D->ndi, pre = 0;
    for (int k = 0; k < D->ndi; k++) {
        StatsCI x, q;
        lm_help_benign(&D->di[k].ev[DI_DISTILLED], &x);
        lm_help_benign(&D->di[k].ev[DI_PREFIXED], &q);
        add(&p, -1 / S, &x);
        pre += (q.est - x.est) / S;
        note2(per, sizeof per, D->di[k].scale, q.est, x.est);
    }
    mover(&p, (size_t)D->ndi, o);
    snprintf(o->method, sizeof o->method, "Gold help on benign prompts of the HHH persona (world.h5 held-out "
             "comparisons: %.3f, n = %zu, t interval [%.3f, %.3f]) minus the mean over %d scales of the distilled "
             "LM's (sampled at [distill] temperature). Prefixed -> distilled per scale:%s mean prefixed minus "
             "distilled %.3f. 95%% interval: MOVER of the parts' intervals, independent. Tables /distill_eval, "
             "/lm_persona_reference.", hh.est, hh.n, hh.lo, hh.hi, D->ndi, per, pre);
    return 0;
}

int lmclaims_compute(const LMData *D, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->est = o->lo = o->hi = NAN;
    const char *s = row->statistic;
    if (!lmclaims_known(s))
        return hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s", row->line, s,
                       lmclaims_list());
    if (!strcmp(s, "lm_heldout_loss_slope_log10p")) {
        if (!D->nlm) snprintf(o->method, sizeof o->method, "this run has no pretrained LMs (%s)", D->missing_lm);
        return D->nlm ? st_slope(D, o) : 0;
    }
    if (!strcmp(s, "fact_recall_slope_log10p")) return st_recall(D, o);
    if (!D->ndi) {
        snprintf(o->method, sizeof o->method, "this run has no distilled LMs (%s)", D->missing_di);
        return 0;
    }
    return !strcmp(s, "distill_help_gain_benign")    ? st_distill(D, 0, o)
           : !strcmp(s, "distill_harm_drop_redteam") ? st_distill(D, 1, o)
                                                     : st_gap(D, o);
}
