// rlclaims.c - see rlclaims.h
#include "rlclaims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlreport.h"
#include "stats.h"

#define MAXR 256

static const char *const KNOWN[] = {"rl_r2_sqrt_kl_median", "rl_end_gap_train_test",
                                    "rl_test_pm_slope_ln_params", "rl_redteam_minus_benign_rise",
                                    "rl_harm_helpful_minus_hh", "gao_b_min", NULL};

int rlclaims_known(const char *name) { return claims_name_in(KNOWN, name); }

const char *rlclaims_list(void) {
    static char buf[1024];
    return claims_names_join(KNOWN, buf, sizeof buf);
}

// Mean of x[0..n-1] with its Student-t interval (n >= 2), else unavailable.
static int mean_t(const double *x, int n, ClaimStat *o, HHErr *err) {
    if (n < 2) return 0;
    StatsCI ci;
    if (stats_mean_tci(x, (size_t)n, 0.95, &ci, err)) return err->code;
    claim_stat_set(o, ci.est, ci.lo, ci.hi, (size_t)n);
    return 0;
}

// Append " name=value" items to a method note (truncating quietly).
static void note(char *buf, size_t cap, const char *name, double v) {
    size_t L = strlen(buf);
    if (L + 24 < cap) snprintf(buf + L, cap - L, " %s %.3g;", name, v);
}

// ---------------------------------------------------------------------------

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int st_r2(const RLData *D, ClaimStat *o, HHErr *err) {
    (void)err;
    char pol[32][HH_NAME_LEN], per[256] = "";
    int np = rl_scales(D, 0, pol, 32), m = 0;
    double r2[32], key[32][2];
    size_t npt[32];
    for (int i = 0; i < np; i++) {
        const RLRec *r = rl_find(D, pol[i], D->big_pm_scale, "hh");
        StatsLinfit L;
        HHErr e;
        if (!r || rl_fit_line(r->col[RL_SQRT_KL], r->col[RL_TRAIN], r->n, &L, &e)) continue;
        r2[m] = L.r2, npt[m] = L.n, key[m][0] = L.r2, key[m][1] = m;
        note(per, sizeof per, r->policy, L.r2);
        m++;
    }
    if (!m) return 0;
    qsort(key, (size_t)m, sizeof key[0], cmp_dbl);
    int med = (int)key[(m - 1) / 2][1];
    double lo, hi;
    rl_r2_interval(r2[med], npt[med], &lo, &hi);
    if (!isfinite(lo)) {
        snprintf(o->method, sizeof o->method, "R^2 per policy scale:%s too few evaluation points (< 4) "
                 "for an interval", per);
        return 0;
    }
    claim_stat_set(o, r2[med], lo, hi, npt[med]);
    snprintf(o->method, sizeof o->method, "Lower median over %d policy scales (each vs the largest PM %s, "
             "variant hh, one seed) of the R^2 of the least-squares line train-PM reward vs sqrt(KL); R^2 "
             "per scale:%s interval: Fisher z of that run's correlation over its n evaluation points (treated as "
             "independent). Table /fit_reward_sqrt_kl.", m, D->big_pm_scale, per);
    return 0;
}

static int st_gap(const RLData *D, ClaimStat *o, HHErr *err) {
    char pms[32][HH_NAME_LEN], per[256] = "";
    int np = rl_scales(D, 1, pms, 32), m = 0;
    double g[32];
    for (int i = 0; i < np; i++) {
        const RLRec *r = rl_find(D, D->big_policy, pms[i], "hh");
        if (!r) continue;
        int e = r->n - 1;
        g[m++] = r->col[RL_TRAIN][e] - r->col[RL_TEST][e];
        note(per, sizeof per, r->pm_scale, g[m - 1]);
    }
    if (mean_t(g, m, o, err)) return err->code;
    snprintf(o->method, sizeof o->method, "Mean over %d PM scales of the end-of-RL (last evaluation) train-PM "
             "minus test-PM score (normalised) of policy %s, variant hh, one seed per run; gap per PM scale:%s "
             "95%% interval: Student t across PM scales (per-run spread)%s. Table /fig04_train_vs_test_pm.",
             m, D->big_policy, per, m < 2 ? "; needs runs against >= 2 PM scales" : "");
    return 0;
}

static int st_slope(const RLData *D, ClaimStat *o, HHErr *err) {
    (void)err;
    char pms[32][HH_NAME_LEN];
    int np = rl_scales(D, 1, pms, 32), m = 0;
    double x[32], y[32];
    for (int i = 0; i < np; i++) {
        const RLRec *r = rl_find(D, D->big_policy, pms[i], "hh");
        if (!r || !(r->pm_params > 0)) continue;
        x[m] = log(r->pm_params), y[m++] = r->col[RL_TEST][r->n - 1];
    }
    StatsLinfit L;
    HHErr e;
    if (m < 3 || rl_fit_line(x, y, m, &L, &e)) {
        snprintf(o->method, sizeof o->method, "needs the largest policy's hh runs against >= 3 PM scales of "
                 "known size (this run has %d).", m);
        return 0;
    }
    claim_stat_set(o, L.c1, L.c1_lo, L.c1_hi, L.n);
    snprintf(o->method, sizeof o->method, "Least-squares slope of the end-of-RL test-PM score (normalised; "
             "the train PM's other data half) of policy %s (hh, one seed per run) vs ln(PM parameters) over %d "
             "PM scales, in normalised score per ln(parameters); 95%% CI Student t with %zu dof (across PM "
             "scales); R^2 = %.2f. Table /fig33_test_pm_end.", D->big_policy, m, L.dof, L.r2);
    return 0;
}

static int st_rise(const RLData *D, ClaimStat *o, HHErr *err) {
    double v[MAXR] = {0}, rb = 0, rr = 0;
    int m = 0;
    for (int k = 0; k < D->nrl && m < MAXR; k++) {
        const RLRec *r = &D->rl[k];
        if (strcmp(r->variant, "hh")) continue;
        int e = r->n - 1;
        double b = r->col[RL_TRAIN_BENIGN][e] - r->col[RL_TRAIN_BENIGN][0];
        double x = r->col[RL_TRAIN_RED][e] - r->col[RL_TRAIN_RED][0];
        if (!isfinite(b) || !isfinite(x)) continue;
        v[m++] = x - b, rb += b, rr += x;
    }
    if (mean_t(v, m, o, err)) return err->code;
    snprintf(o->method, sizeof o->method, "Mean over %d hh runs (every policy / PM pair, one seed each) of the "
             "rise (end - start) of the train-PM reward on red-team and disguised prompts minus its rise on "
             "benign and borderline prompts; mean rise red-team %.3g, benign %.3g (normalised score). 95%% "
             "interval: Student t across runs. Table /fig14_benign_vs_redteam (runs vs the largest PM).",
             m, m ? rr / m : NAN, m ? rb / m : NAN);
    return 0;
}

static int st_harm(const RLData *D, ClaimStat *o, HHErr *err) {
    double v[MAXR] = {0}, sh = 0, sx = 0;
    int m = 0;
    for (int k = 0; k < D->nrl && m < MAXR; k++) {
        const RLRec *h = &D->rl[k];
        if (strcmp(h->variant, "hh")) continue;
        const RLRec *p = NULL;
        for (int q = 0; q < D->nrl && !p; q++)
            if (!strcmp(D->rl[q].variant, "helpful") && !strcmp(D->rl[q].policy, h->policy) &&
                !strcmp(D->rl[q].pm_scale, h->pm_scale) && D->rl[q].seed == h->seed)
                p = &D->rl[q];
        if (!p) continue;
        double a = p->col[RL_HARM_RED][p->n - 1], b = h->col[RL_HARM_RED][h->n - 1];
        if (!isfinite(a) || !isfinite(b)) continue;
        v[m++] = a - b, sh += a, sx += b;
    }
    if (mean_t(v, m, o, err)) return err->code;
    snprintf(o->method, sizeof o->method, "Mean over %d (policy, PM scale, seed) pairs with both variants of "
             "the end-of-RL gold harm on red-team and disguised prompts of the helpful-only run minus the HH "
             "run (gold harm in [0, 1]); mean harm helpful-only %.3f, HH %.3f. 95%% interval: Student t across "
             "pairs (one seed each). Table /rl_help_harm (largest policy and PM).", m, m ? sh / m : NAN,
             m ? sx / m : NAN);
    return 0;
}

static int st_gao(const RLData *D, ClaimStat *o, HHErr *err) {
    (void)err;
    const RLRec *r = rl_find(D, D->big_policy, D->big_pm_scale, "hh");
    const RLRec *b = bon_find(D, D->big_policy, D->big_pm_scale, "hh");
    RLGaoFit F[2];
    HHErr e;
    int ok0 = b && rl_gao_run(b, 1, &F[0], &e) == 0, ok1 = r && rl_gao_run(r, 0, &F[1], &e) == 0;
    if (!ok0 || !ok1) {
        snprintf(o->method, sizeof o->method, "needs the best-of-n table and the RL run of policy %s vs PM %s "
                 "(hh) with >= 3 points at d > 0 each (%s%s)", D->big_policy, D->big_pm_scale,
                 ok0 ? "" : "best-of-n missing or too short; ", ok1 ? "" : "RL missing or too short");
        return 0;
    }
    double t0 = F[0].b / F[0].se_b, t1 = F[1].b / F[1].se_b;
    int w = !(t0 <= t1);  // weaker evidence for b > 0 (NaN t picks RL only if bon's is a number)
    if (!isfinite(t0)) w = 0;
    claim_stat_set(o, F[w].b, F[w].b_lo, F[w].b_hi, F[w].n);
    snprintf(o->method, sizeof o->method, "Gold utility gain vs d = sqrt(KL), policy %s vs PM %s (hh, one seed): "
             "best-of-n d(a - b d): a %.3g, b %.3g [%.3g, %.3g], n %zu, %s; RL d(a - b ln d): a %.3g, b %.3g "
             "[%.3g, %.3g], n %zu, %s. Statistic: the b with the smaller b/se (%s), 95%% CI Student t across "
             "evaluation points. Table /fit_overoptimization.", D->big_policy, D->big_pm_scale, F[0].a, F[0].b,
             F[0].b_lo, F[0].b_hi, F[0].n, F[0].converged ? "converged" : "NOT converged", F[1].a, F[1].b,
             F[1].b_lo, F[1].b_hi, F[1].n, F[1].converged ? "converged" : "NOT converged", w ? "RL" : "best-of-n");
    return 0;
}

int rlclaims_compute(const RLData *D, const ClaimRow *row, ClaimStat *o, HHErr *err) {
    memset(o, 0, sizeof *o);
    o->est = o->lo = o->hi = NAN;
    const char *s = row->statistic;
    if (!D->nrl) {
        snprintf(o->method, sizeof o->method, "this run has no RL runs (%s)", D->missing_rl);
        return rlclaims_known(s) ? 0 : hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'",
                                               row->line, s);
    }
    int rc = !strcmp(s, "rl_r2_sqrt_kl_median")           ? st_r2(D, o, err)
             : !strcmp(s, "rl_end_gap_train_test")        ? st_gap(D, o, err)
             : !strcmp(s, "rl_test_pm_slope_ln_params")   ? st_slope(D, o, err)
             : !strcmp(s, "rl_redteam_minus_benign_rise") ? st_rise(D, o, err)
             : !strcmp(s, "rl_harm_helpful_minus_hh")     ? st_harm(D, o, err)
             : !strcmp(s, "gao_b_min")                    ? st_gao(D, o, err)
             : hh_fail(err, HH_EINPUT, "claims.tsv line %d: unknown statistic '%s'; known: %s", row->line, s,
                       rlclaims_list());
    if (!rc && !o->available && !o->method[0])
        snprintf(o->method, sizeof o->method, "this run has no RL runs for it (see [rl] in the params)");
    return rc;
}
