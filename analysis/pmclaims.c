// pmclaims.c - see pmclaims.h
#include "pmclaims.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#define G REPORT_MAX_G

// ---------------------------------------------------------------------------
// statistics of a resample (idx) of the pooled held-out pairs

static double acc_of(const PMRec *const *g, int ng, const size_t *idx, size_t n, const PairSel *s) {
    AccCount c = pm_count(g, ng, idx, n, s);
    return c.n ? c.k / (double)c.n : NAN;
}

typedef struct {
    const PMRec *g[2][G];
    int ng[2];
    PairSel s[2];
} DiffCtx;  // acc(g[0], s[0]) - acc(g[1], s[1])

static double diff_stat(const size_t *idx, size_t n, void *ctx) {
    const DiffCtx *c = ctx;
    return acc_of(c->g[0], c->ng[0], idx, n, &c->s[0]) - acc_of(c->g[1], c->ng[1], idx, n, &c->s[1]);
}

typedef struct {
    const PMRec **g;
    int ng;
    double thr;
} TopCtx;  // acc(top: smax >= thr) - acc(rest)

static double top_stat(const size_t *idx, size_t n, void *ctx) {
    const TopCtx *c = ctx;
    PairSel all = pairsel_all(), top = pairsel_all();
    top.zmin = c->thr;
    AccCount a = pm_count(c->g, c->ng, idx, n, &all), t = pm_count(c->g, c->ng, idx, n, &top);
    return t.k / (double)t.n - (a.k - t.k) / (double)(a.n - t.n);
}

typedef struct {
    const PMRec *g[2][32][G];  // [smallest, largest scale][mix]
    int ng[2][32], nmix;
} MixCtx;

static double sensitivity(const MixCtx *c, int w, const size_t *idx, size_t n) {
    PairSel s = pairsel_all();
    double a[32], max = 0, sum = 0;
    int m = 0;
    for (int k = 0; k < c->nmix; k++) {
        if (!c->ng[w][k]) continue;
        a[m] = acc_of(c->g[w][k], c->ng[w][k], idx, n, &s);
        if (a[m] > max) max = a[m];
        m++;
    }
    for (int k = 0; k < m; k++) sum += 1 - a[k] / max;
    return m ? sum / m : NAN;
}

static double mix_stat(const size_t *idx, size_t n, void *ctx) {
    return sensitivity(ctx, 0, idx, n) - sensitivity(ctx, 1, idx, n);
}

typedef struct {
    const PMRec *g1[16][G], *g0[16][G];  // [scale]: with / without PMP
    int n1[16], n0[16], nsc;
    const PMRec *h1[16][G], *h0[16][G];  // at the largest n_train (vs_large only)
    int m1[16], m0[16];
    int vs_large;
} PmpCtx;

static double mean_gain(const PMRec *(*g1)[G], const int *n1, const PMRec *(*g0)[G], const int *n0,
                        int nsc, const size_t *idx, size_t n) {
    PairSel s = pairsel_all();
    double sum = 0;
    int k = 0;
    for (int i = 0; i < nsc; i++) {
        if (!n1[i] || !n0[i]) continue;
        sum += acc_of(g1[i], n1[i], idx, n, &s) - acc_of(g0[i], n0[i], idx, n, &s);
        k++;
    }
    return k ? sum / k : NAN;
}

static double pmp_stat(const size_t *idx, size_t n, void *ctx) {
    PmpCtx *c = ctx;
    double small = mean_gain(c->g1, c->n1, c->g0, c->n0, c->nsc, idx, n);
    return c->vs_large ? small - mean_gain(c->h1, c->m1, c->h0, c->m0, c->nsc, idx, n) : small;
}


// ---------------------------------------------------------------------------
// the statistics

static int boot(Report *R, const char *id, PMStatFn fn, void *ctx, ClaimStat *o, HHErr *err) {
    char comp[96];
    snprintf(comp, sizeof comp, "claim/%s", id);
    gsl_rng *r = report_rng(R, comp, err);
    StatsCI ci;
    int rc = r ? pm_boot(fn, ctx, (size_t)R->rd->pm[0].n, R->B, r, &ci, err) : err->code;
    gsl_rng_free(r);
    if (rc) return rc;
    claim_stat_set(o, ci.est, ci.lo, ci.hi, ci.n);
    return 0;
}

// Largest scale with a non-empty group; kind 0 HH, 1 mix at f. Returns ng.
static int largest(const Report *R, int kind, double f, const PMRec **g, const char **scale) {
    for (int i = R->sw.nscale - 1; i >= 0; i--) {
        int ng = kind ? report_mix_group(R, R->sw.scale[i], f, g) : report_hh_group(R, R->sw.scale[i], g);
        if (ng) return *scale = R->sw.scale[i], ng;
    }
    return 0;
}

static int st_fit(Report *R, int j, ClaimStat *o) {
    if (!R->have_fit) return 0;
    const LogLinFit *f = &R->fit;
    claim_stat_set(o, f->coef[j], f->lo[j], f->hi[j], f->n);
    snprintf(o->method, sizeof o->method, "%s of the least-squares fit acc = a + b ln P + c ln N over "
             "%zu size-sweep PMs (pooled HH held-out accuracy; P parameters, N comparisons), 95%% CI "
             "by Student t with %zu dof; fit R^2 = %.3f; c/b = %.3g [%.3g, %.3g] (paper 2.1). Table /fit_loglinear.",
             j == 1 ? "b (ln P coefficient)" : "c (ln N coefficient)", f->n, f->dof, f->r2, f->ratio,
             f->ratio_lo, f->ratio_hi);
    return 0;
}

static int st_ece(Report *R, const ClaimRow *row, int help_only, ClaimStat *o, HHErr *err) {
    const PMRec *g[G];
    const char *sc;
    int ng = largest(R, help_only, 1.0, g, &sc);
    if (!ng) return 0;
    PMEceCtx c = {g, ng, pairsel_all(), 10};
    c.s.setmask = help_only ? 1 : 0;
    if (boot(R, row->id, pm_ece_stat, &c, o, err)) return err->code;
    o->n = pm_count(g, ng, NULL, 0, &c.s).n;
    snprintf(o->method, sizeof o->method, "ECE (10 equal bins of p = sigmoid(abs(score difference)), "
             "ties skipped) of %s (%s) on the %s test set; 95%% percentile bootstrap over held-out "
             "comparisons. A perfectly calibrated PM with the same predictions would show ECE %.3f "
             "on this many pairs (finite-sample floor). Table /calibration_ece.",
             help_only ? "the largest helpful-only PM" : "the largest HH PM", g[0]->name,
             help_only ? "helpful" : "pooled HH", help_only ? R->ece_null_help : R->ece_null_hh);
    return 0;
}

static int st_cross(Report *R, double f, ClaimStat *o) {
    const PMRec *g[G];
    const char *sc;
    int ng = largest(R, 1, f, g, &sc);
    if (!ng) return 0;
    PairSel s = pairsel_all();
    s.setmask = f > 0.5 ? 2 : 1;
    StatsCI a = acc_ci(pm_count(g, ng, NULL, 0, &s));
    claim_stat_set(o, a.est, a.lo, a.hi, a.n);
    snprintf(o->method, sizeof o->method, "held-out accuracy against crowd labels of %s (%s-only data) "
             "on the %s test set, 95%% Wilson interval. Table /fig19_accuracy_vs_mix.", g[0]->name,
             f > 0.5 ? "helpful" : "harmless", f > 0.5 ? "harmless" : "helpful");
    return 0;
}

static int st_mix(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    if (R->sw.nscale < 2 || R->sw.nmix < 2) return 0;
    MixCtx *c = calloc(1, sizeof *c);
    if (!c) return hh_fail(err, HH_EFAIL, "out of memory");
    c->nmix = R->sw.nmix;
    for (int w = 0; w < 2; w++)
        for (int m = 0; m < c->nmix; m++)
            c->ng[w][m] = report_mix_group(R, R->sw.scale[w ? R->sw.nscale - 1 : 0], R->sw.mix[m], c->g[w][m]);
    int rc = boot(R, row->id, mix_stat, c, o, err);
    free(c);
    snprintf(o->method, sizeof o->method, "S(%s) - S(%s), S = mean over the %d mixes of 1 - acc/max "
             "(pooled HH held-out accuracy of the mix-sweep PMs at %d comparisons, normalised by the "
             "scale's best mix); paired 95%% percentile bootstrap over held-out comparisons. Table "
             "/fig19_accuracy_vs_mix (acc_norm).", R->sw.scale[0], R->sw.scale[R->sw.nscale - 1],
             R->sw.nmix, R->sw.mix_n);
    return rc;
}

static int st_pmp(Report *R, const ClaimRow *row, int vs_large, ClaimStat *o, HHErr *err) {
    const Sweeps *sw = &R->sw;
    if (!sw->has_pmp || !sw->has_nopmp || sw->nsize < 1 + vs_large) return 0;
    PmpCtx *c = calloc(1, sizeof *c);
    if (!c) return hh_fail(err, HH_EFAIL, "out of memory");
    c->nsc = sw->nscale < 16 ? sw->nscale : 16, c->vs_large = vs_large;
    int lo = sw->size[0], hi = sw->size[sw->nsize - 1];
    for (int i = 0; i < c->nsc; i++) {
        c->n1[i] = pm_group(R->rd, sw, 0, sw->scale[i], lo, 0, 1, c->g1[i], G);
        c->n0[i] = pm_group(R->rd, sw, 0, sw->scale[i], lo, 0, 0, c->g0[i], G);
        c->m1[i] = pm_group(R->rd, sw, 0, sw->scale[i], hi, 0, 1, c->h1[i], G);
        c->m0[i] = pm_group(R->rd, sw, 0, sw->scale[i], hi, 0, 0, c->h0[i], G);
    }
    int rc = boot(R, row->id, pmp_stat, c, o, err), nsc = c->nsc;
    free(c);
    if (vs_large)
        snprintf(o->method, sizeof o->method, "PMP gain (acc with PMP - acc without, pooled HH "
                 "held-out accuracy, mean over the %d scales) at N = %d minus the same gain at N = %d; "
                 "paired 95%% percentile bootstrap. Table /pmp_vs_nopmp.", nsc, lo, hi);
    else
        snprintf(o->method, sizeof o->method, "PMP gain (acc with PMP - acc without, pooled HH "
                 "held-out accuracy) at the smallest training set, N = %d, mean over the %d scales; "
                 "paired 95%% percentile bootstrap. Table /pmp_vs_nopmp.", lo, nsc);
    return rc;
}

static int st_turn(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    DiffCtx c;
    const char *sc;
    c.ng[0] = c.ng[1] = largest(R, 0, 0, c.g[0], &sc);
    if (!c.ng[0]) return 0;
    memcpy(c.g[1], c.g[0], sizeof c.g[0]);
    c.s[0] = c.s[1] = pairsel_all();
    c.s[0].turn_min = c.s[0].turn_max = 1;
    c.s[1].turn_min = 2;
    if (!pm_count(c.g[1], c.ng[1], NULL, 0, &c.s[1]).n) return 0;
    if (boot(R, row->id, diff_stat, &c, o, err)) return err->code;
    snprintf(o->method, sizeof o->method, "pooled HH held-out accuracy of %s on turn-1 pairs minus on "
             "pairs of turns >= 2; 95%% percentile bootstrap. Table /fig08_accuracy_by_turn.", c.g[0][0]->name);
    return 0;
}

static int st_top(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    const PMRec *g[G];
    const char *sc;
    int ng = largest(R, 0, 0, g, &sc);
    if (!ng) return 0;
    size_t n = (size_t)g[0]->n;
    double *a = malloc(sizeof(double) * n);
    if (!a) return hh_fail(err, HH_EFAIL, "out of memory");
    memcpy(a, g[0]->smax, sizeof(double) * n);
    gsl_sort(a, 1, n);
    TopCtx c = {g, ng, gsl_stats_quantile_from_sorted_data(a, 1, n, 0.75)};
    free(a);
    if (boot(R, row->id, top_stat, &c, o, err)) return err->code;
    snprintf(o->method, sizeof o->method, "pooled HH held-out accuracy of %s on the pairs whose higher "
             "PM score is in the top quartile (>= %.3f sd of policy-sample scores) minus on the other "
             "pairs; 95%% percentile bootstrap. Table /fig25_accuracy_above_threshold.", g[0]->name, c.thr);
    return 0;
}

static int st_gold(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    DiffCtx c;
    const char *sc;
    c.ng[0] = c.ng[1] = largest(R, 0, 0, c.g[0], &sc);
    if (!c.ng[0]) return 0;
    memcpy(c.g[1], c.g[0], sizeof c.g[0]);
    c.s[0] = c.s[1] = pairsel_all();
    c.s[0].vs_gold = 1;
    if (boot(R, row->id, diff_stat, &c, o, err)) return err->code;
    snprintf(o->method, sizeof o->method, "held-out HH accuracy of %s against the gold preference "
             "(pairs with gold != 0) minus against crowd labels (all pairs); 95%% percentile bootstrap. "
             "Table /beyond_gold_vs_crowd.", c.g[0][0]->name);
    return 0;
}

static const char *const KNOWN[] = {"fit_b", "fit_c", "ece_hh", "ece_helpful_only",
                              "acc_harmless_helpful_only", "acc_helpful_harmless_only",
                              "mix_sensitivity_gap", "pmp_gain_small", "pmp_gain_small_vs_large",
                              "turn1_minus_later", "top_quartile_minus_rest", "gold_minus_crowd",
                              "pending", NULL};

int pmclaims_known(const char *name) { return claims_name_in(KNOWN, name); }

const char *pmclaims_list(void) {
    static char buf[1024];
    return claims_names_join(KNOWN, buf, sizeof buf);
}

int pmclaims_compute(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->est = o->lo = o->hi = NAN;
    const char *s = row->statistic;
    if (!strcmp(s, "pending")) {
        snprintf(o->method, sizeof o->method, "needs stages hhsim does not run yet (RL, evaluations, Elo)");
        return 0;
    }
    int rc = !strcmp(s, "fit_b")                       ? st_fit(R, 1, o)
             : !strcmp(s, "fit_c")                     ? st_fit(R, 2, o)
             : !strcmp(s, "ece_hh")                    ? st_ece(R, row, 0, o, err)
             : !strcmp(s, "ece_helpful_only")          ? st_ece(R, row, 1, o, err)
             : !strcmp(s, "acc_harmless_helpful_only") ? st_cross(R, 1.0, o)
             : !strcmp(s, "acc_helpful_harmless_only") ? st_cross(R, 0.0, o)
             : !strcmp(s, "mix_sensitivity_gap")       ? st_mix(R, row, o, err)
             : !strcmp(s, "pmp_gain_small")            ? st_pmp(R, row, 0, o, err)
             : !strcmp(s, "pmp_gain_small_vs_large")   ? st_pmp(R, row, 1, o, err)
             : !strcmp(s, "turn1_minus_later")         ? st_turn(R, row, o, err)
             : !strcmp(s, "top_quartile_minus_rest")   ? st_top(R, row, o, err)
             : !strcmp(s, "gold_minus_crowd")          ? st_gold(R, row, o, err)
             : hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s",
                       row->line, s, pmclaims_list());
    if (!rc && !o->available && !o->method[0])
        snprintf(o->method, sizeof o->method, "this run has no PMs for it (see the sweeps in [pm])");
    return rc;
}
