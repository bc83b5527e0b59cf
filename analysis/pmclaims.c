// pmclaims.c - see pmclaims.h
#include "pmclaims.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#define G REPORT_MAX_G


// ---------------------------------------------------------------------------
// Every interval covers retraining: a hierarchical bootstrap over seeds, then
// held-out pairs within seed (report_hci), or the Student-t interval of a fit
// with one point per PM and seed. A statistic whose PMs have fewer than 2
// seeds is unavailable (PENDING), never given a pairs-only interval.

static int need_seeds(int U, ClaimStat *o) {
    if (U >= 2) return 1;
    o->available = 0;
    snprintf(o->method, sizeof o->method, "needs at least 2 seeds per PM ([pm] seeds, mix_seeds): "
             "an interval over test pairs alone would not cover retraining");
    return 0;
}

static int lin_claim(Report *R, const ClaimRow *row, PMLin *L, ClaimStat *o, HHErr *err) {
    int U = pmlin_seeds(L);
    if (!L->nt || !need_seeds(U, o)) return 0;
    char comp[96];
    snprintf(comp, sizeof comp, "claim/%s", row->id);
    StatsCI ci;
    HHErr e2;
    int rc = report_hci(R, comp, pmlin_stat, L, U, &ci, &e2);
    if (rc == HH_EFAIL && strstr(e2.msg, "statistic is nan")) {
        snprintf(o->method, sizeof o->method, "too few selected pairs: a seeds x pairs resample "
                 "selected none (more test comparisons needed)");
        return 0;
    }
    if (rc) return *err = e2, rc;
    claim_stat_set(o, ci.est, ci.lo, ci.hi, (size_t)U);
    return 0;
}

// The claim of sum_i w[i] * (accuracy of group g on selection sel[i]), i < ns.
static int sel_claim(Report *R, const ClaimRow *row, const PMRec **g, int ng, const PairSel *sel,
                     const double *w, int ns, ClaimStat *o, HHErr *err) {
    PMLin *L = calloc(1, sizeof *L);
    if (!L) return hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 0; i < ns; i++) pmlin_add(L, g, ng, &sel[i], w[i]);
    int rc = lin_claim(R, row, L, o, err);
    free(L);
    return rc;
}

// Largest scale with a non-empty group; kind 0 main HH, 1 mix at f, 2 equal-data HH.
static int largest(const Report *R, int kind, double f, const PMRec **g, const char **scale) {
    for (int i = R->sw.nscale - 1; i >= 0; i--) {
        const char *sc = R->sw.scale[i];
        int ng = kind == 1 ? report_mix_group(R, sc, f, g)
                 : kind == 2 ? report_hh_equal_group(R, sc, g) : report_hh_group(R, sc, g);
        if (ng) return *scale = sc, ng;
    }
    return 0;
}

static int st_fit(Report *R, int m, int j, ClaimStat *o) {
    if (!R->have_fit[m]) return 0;
    const LogLinFit *f = &R->fit[m];
    claim_stat_set(o, f->coef[j], f->lo[j], f->hi[j], f->n);
    snprintf(o->method, sizeof o->method, "%s of the least-squares fit acc = a + b ln P + c ln N over "
             "%zu size-sweep PM x seed points (measure %s; P parameters, N comparisons; the seed is the "
             "replicate), 95%% CI by Student t with %zu dof; R^2 = %.3f; c/b = %.3g [%.3g, %.3g] (paper "
             "2.1). Table /fit_loglinear.", j == 1 ? "b (ln P coefficient)" : "c (ln N coefficient)",
             f->n, REPORT_MEASURE[m], f->dof, f->r2, f->ratio, f->ratio_lo, f->ratio_hi);
    return 0;
}

static int st_ece(Report *R, const ClaimRow *row, int help_only, int set, int sign, ClaimStat *o,
                  HHErr *err) {
    const PMRec *g[G];
    const char *sc;
    int ng = largest(R, help_only ? 1 : 2, 1.0, g, &sc);
    if (!ng || !need_seeds(ng, o)) return 0;
    PMCalH c = {g, ng, pairsel_all(), sign ? -1 : -2};
    c.s.setmask = 1 << set;
    char comp[96];
    snprintf(comp, sizeof comp, "claim/%s", row->id);
    StatsCI ci;
    if (report_hci(R, comp, report_cal_stat, &c, ng, &ci, err)) return err->code;
    claim_stat_set(o, ci.est, ci.lo, ci.hi, (size_t)ng);
    snprintf(o->method, sizeof o->method, "%s (the 10 equal bins of p = sigmoid(abs(score difference)) of "
             "Fig. 9; ties skipped) of the %s PM at scale %s (%d seeds, %d comparisons, help_frac %.2f) on "
             "the %s test set against crowd labels; %s95%% hierarchical bootstrap over seeds, then "
             "held-out pairs. Table /calibration_ece.", sign ? "signed ECE, sum of count-weighted "
             "(predicted - observed)" : "ECE", help_only ? "helpful-only" : "equal-data HH", sc, ng,
             g[0]->n_train, g[0]->help_frac, set ? "harmless" : "helpful",
             sign ? "> 0 over-confident, < 0 under-confident; " : "");
    return 0;
}

static int st_cross(Report *R, const ClaimRow *row, double f, ClaimStat *o, HHErr *err) {
    const PMRec *g[G];
    const char *sc;
    int ng = largest(R, 1, f, g, &sc);
    if (!ng) return 0;
    PairSel s = pairsel_all();
    s.setmask = f > 0.5 ? 2 : 1, s.vs_gold = 1;
    int rc = sel_claim(R, row, g, ng, &s, (const double[]){1.0}, 1, o, err);
    if (o->available)
        snprintf(o->method, sizeof o->method, "held-out accuracy against gold (pairs with a gold "
                 "preference) of the %s-only PM at scale %s (%d seeds, %d comparisons) on the %s test "
                 "set; 95%% hierarchical bootstrap over seeds and pairs. Table /fig19_accuracy_vs_mix.",
                 f > 0.5 ? "helpful" : "harmless", sc, ng, g[0]->n_train, f > 0.5 ? "harmless" : "helpful");
    return rc;
}

typedef struct {
    const PMRec *g[2][32][G];  // [smallest, largest scale][mix]
    int ng[2][32], nmix;
} MixCtx;

static double sensitivity(const MixCtx *c, int w, const size_t *sd, const size_t *it, size_t U, size_t np) {
    PairSel s = pairsel_all();
    s.vs_gold = 1;
    double a[32], max = 0, sum = 0;
    int m = 0;
    for (int k = 0; k < c->nmix; k++) {
        if (!c->ng[w][k]) continue;
        a[m] = pm_acc_h(c->g[w][k], c->ng[w][k], sd, it, U, np, &s);
        if (a[m] > max) max = a[m];
        m++;
    }
    for (int k = 0; k < m; k++) sum += 1 - a[k] / max;
    return m ? sum / m : NAN;
}

static double mix_stat(const size_t *sd, const size_t *it, size_t U, size_t np, void *ctx) {
    return sensitivity(ctx, 0, sd, it, U, np) - sensitivity(ctx, 1, sd, it, U, np);
}

static int st_mix(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    if (R->sw.nscale < 2 || R->sw.nmix < 2) return 0;
    MixCtx *c = calloc(1, sizeof *c);
    if (!c) return hh_fail(err, HH_EFAIL, "out of memory");
    c->nmix = R->sw.nmix < 32 ? R->sw.nmix : 32;
    int U = 0;
    for (int w = 0; w < 2; w++)
        for (int m = 0; m < c->nmix; m++) {
            c->ng[w][m] = report_mix_group(R, R->sw.scale[w ? R->sw.nscale - 1 : 0], R->sw.mix[m], c->g[w][m]);
            U = c->ng[w][m] > U ? c->ng[w][m] : U;
        }
    int rc = 0;
    if (need_seeds(U, o)) {
        char comp[96];
        snprintf(comp, sizeof comp, "claim/%s", row->id);
        StatsCI ci;
        rc = report_hci(R, comp, mix_stat, c, U, &ci, err);
        if (!rc) claim_stat_set(o, ci.est, ci.lo, ci.hi, (size_t)U);
        snprintf(o->method, sizeof o->method, "S(%s) - S(%s), S = mean over the %d mixes of 1 - acc/max "
                 "(pooled HH held-out accuracy against gold of the mix-sweep PMs at %d comparisons, "
                 "normalised by the scale's best mix); 95%% hierarchical bootstrap over %d seeds and "
                 "pairs. Table /fig19_accuracy_vs_mix (acc_norm).", R->sw.scale[0],
                 R->sw.scale[R->sw.nscale - 1], R->sw.nmix, R->sw.mix_n, U);
    }
    free(c);
    return rc;
}

static int st_pmp(Report *R, const ClaimRow *row, int vs_large, ClaimStat *o, HHErr *err) {
    const Sweeps *sw = &R->sw;
    if (!sw->has_pmp || !sw->has_nopmp || sw->nsize < 1 + vs_large) return 0;
    PMLin *L = calloc(1, sizeof *L);
    if (!L) return hh_fail(err, HH_EFAIL, "out of memory");
    int k = report_pmp_gain(R, -1, 0, 1.0, L);
    if (vs_large) report_pmp_gain(R, -1, sw->nsize - 1, -1.0, L);
    int rc = k ? lin_claim(R, row, L, o, err) : 0, U = pmlin_seeds(L);
    free(L);
    if (o->available)
        snprintf(o->method, sizeof o->method, "PMP gain = accuracy with PMP minus without (pooled HH "
                 "held-out pairs against gold, ties excluded), mean over the %d scales, at N = %d%s; "
                 "95%% hierarchical bootstrap over %d seeds (paired by seed index) and pairs. Table "
                 "/pmp_vs_nopmp (scale = mean).", k, sw->size[0], vs_large ? " minus the same gain at the "
                 "largest N" : "", U);
    return rc;
}

static int st_turn(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    const PMRec *g[G];
    const char *sc;
    int ng = largest(R, 0, 0, g, &sc);
    if (!ng) return 0;
    PairSel a = pairsel_all(), b = pairsel_all();
    a.vs_gold = b.vs_gold = 1;
    a.turn_min = a.turn_max = 1;
    b.turn_min = 2;
    if (!pm_count(g, ng, NULL, 0, &b).n) return 0;
    PairSel ab[2] = {a, b};
    int rc = sel_claim(R, row, g, ng, ab, (const double[]){1.0, -1.0}, 2, o, err);
    if (o->available)
        snprintf(o->method, sizeof o->method, "held-out HH accuracy against gold (ties excluded) of the "
                 "main HH PM at scale %s (%d seeds) on turn-1 pairs minus on pairs of turns >= 2; 95%% "
                 "hierarchical bootstrap over seeds and pairs. Table /fig08_accuracy_by_turn.", sc, ng);
    return rc;
}

// Per test set: accuracy on the pairs whose higher score is in that set's top
// quartile minus on the rest; the statistic is the mean over the two sets.
static int st_top(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    const PMRec *g[G];
    const char *sc;
    int ng = largest(R, 0, 0, g, &sc);
    if (!ng) return 0;
    PMLin *L = calloc(1, sizeof *L);
    size_t n = 0, cap = (size_t)g[0]->n * (size_t)ng + 1;
    double *a = malloc(sizeof(double) * cap), thr[2] = {NAN, NAN};
    if (!L || !a) return free(L), free(a), hh_fail(err, HH_EFAIL, "out of memory");
    for (int set = 0; set < 2; set++) {
        n = 0;
        for (int j = 0; j < ng; j++)
            for (int i = 0; i < g[j]->n; i++)
                if (g[j]->set[i] == set && g[j]->gold[i] != 0) a[n++] = g[j]->smax[i];
        if (n < 8) continue;
        gsl_sort(a, 1, n);
        thr[set] = gsl_stats_quantile_from_sorted_data(a, 1, n, 0.75);
        PairSel top = pairsel_all(), rest = pairsel_all();
        top.setmask = rest.setmask = 1 << set;
        top.vs_gold = rest.vs_gold = 1;
        top.zmin = rest.zmax = thr[set];
        pmlin_add(L, g, ng, &top, 0.5);
        pmlin_add(L, g, ng, &rest, -0.5);
    }
    free(a);
    int rc = L->nt == 4 ? lin_claim(R, row, L, o, err) : 0;
    free(L);
    if (o->available)
        snprintf(o->method, sizeof o->method, "main HH PM at scale %s (%d seeds), per test set: accuracy "
                 "against gold on the pairs whose higher PM score is in that set's top quartile (helpful "
                 ">= %.3f, harmless >= %.3f sd of policy-sample scores) minus on the other pairs of the set; "
                 "mean over the two sets (so the sets' different score ranges do not decide it); 95%% "
                 "hierarchical bootstrap over seeds and pairs. Table /fig25_accuracy_above_threshold.",
                 sc, ng, thr[0], thr[1]);
    return rc;
}

static int st_gold(Report *R, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    const PMRec *g[G];
    const char *sc;
    int ng = largest(R, 0, 0, g, &sc);
    if (!ng) return 0;
    PairSel ab[2] = {pairsel_all(), pairsel_all()};
    ab[0].vs_gold = 1;
    int rc = sel_claim(R, row, g, ng, ab, (const double[]){1.0, -1.0}, 2, o, err);
    if (o->available)
        snprintf(o->method, sizeof o->method, "held-out HH accuracy of the main HH PM at scale %s (%d "
                 "seeds) against the gold preference (pairs with gold != 0) minus against crowd labels "
                 "(all pairs); 95%% hierarchical bootstrap over seeds and pairs. Table "
                 "/beyond_gold_vs_crowd.", sc, ng);
    return rc;
}

static const char *const KNOWN[] = {"fit_b_matched", "fit_c_matched", "fit_b_helpful", "fit_b_harmless",
                              "fit_b_hh_crowd", "ece_helpful_only", "ece_hh_helpful", "ece_hh_harmless",
                              "sece_hh_helpful", "sece_hh_harmless",
                              "acc_harmless_helpful_only", "acc_helpful_harmless_only",
                              "mix_sensitivity_gap", "pmp_gain_small", "pmp_gain_small_vs_large",
                              "turn1_minus_later", "top_quartile_minus_rest_per_set", "gold_minus_crowd",
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
        snprintf(o->method, sizeof o->method, "needs stages hhsim does not run yet (evaluations, Elo, online rounds)");
        return 0;
    }
    int rc = !strcmp(s, "fit_b_matched")               ? st_fit(R, REPORT_M_MATCHED, 1, o)
             : !strcmp(s, "fit_c_matched")             ? st_fit(R, REPORT_M_MATCHED, 2, o)
             : !strcmp(s, "fit_b_helpful")             ? st_fit(R, REPORT_M_HELPFUL, 1, o)
             : !strcmp(s, "fit_b_harmless")            ? st_fit(R, REPORT_M_HARMLESS, 1, o)
             : !strcmp(s, "fit_b_hh_crowd")            ? st_fit(R, REPORT_M_HH, 1, o)
             : !strcmp(s, "ece_helpful_only")          ? st_ece(R, row, 1, 0, 0, o, err)
             : !strcmp(s, "ece_hh_helpful")            ? st_ece(R, row, 0, 0, 0, o, err)
             : !strcmp(s, "ece_hh_harmless")           ? st_ece(R, row, 0, 1, 0, o, err)
             : !strcmp(s, "sece_hh_helpful")           ? st_ece(R, row, 0, 0, 1, o, err)
             : !strcmp(s, "sece_hh_harmless")          ? st_ece(R, row, 0, 1, 1, o, err)
             : !strcmp(s, "acc_harmless_helpful_only") ? st_cross(R, row, 1.0, o, err)
             : !strcmp(s, "acc_helpful_harmless_only") ? st_cross(R, row, 0.0, o, err)
             : !strcmp(s, "mix_sensitivity_gap")       ? st_mix(R, row, o, err)
             : !strcmp(s, "pmp_gain_small")            ? st_pmp(R, row, 0, o, err)
             : !strcmp(s, "pmp_gain_small_vs_large")   ? st_pmp(R, row, 1, o, err)
             : !strcmp(s, "turn1_minus_later")         ? st_turn(R, row, o, err)
             : !strcmp(s, "top_quartile_minus_rest_per_set") ? st_top(R, row, o, err)
             : !strcmp(s, "gold_minus_crowd")          ? st_gold(R, row, o, err)
             : hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s",
                       row->line, s, pmclaims_list());
    if (!rc && !o->available && !o->method[0])
        snprintf(o->method, sizeof o->method, "this run has no PMs for it (see the sweeps in [pm])");
    return rc;
}
