// test_rlfit.c - hhfit's RL statistics (analysis/rlreport.h, rlclaims.h) on
// synthetic data with known answers: a planted straight line of reward vs
// sqrt(KL) recovered with its R^2 interval; the Gao et al. forms d (a - b d)
// and d (a - b ln d) recovered exactly without noise and within their
// intervals with noise; and the RL claims' verdicts on constructed run sets
// (reproduced, not reproduced, and pending without runs).
// Expected Fisher-z values were computed independently in Python (math.atanh,
// math.tanh) from the formula in rlreport.h.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "claims.h"
#include "rlclaims.h"
#include "rldata.h"
#include "rlreport.h"

static gsl_rng *rng(unsigned long seed) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

// ---------------------------------------------------------------------------
// straight line of reward vs sqrt(KL)

static void test_line_planted(void **state) {
    (void)state;
    gsl_rng *g = rng(11);
    double x[60], y[60];
    for (int i = 0; i < 60; i++) {
        x[i] = 0.1 * i;
        y[i] = 0.2 + 0.5 * x[i] + gsl_ran_gaussian(g, 0.05);
    }
    x[7] = NAN;  // non-finite points are skipped
    StatsLinfit f;
    HHErr err;
    assert_int_equal(rl_fit_line(x, y, 60, &f, &err), 0);
    assert_int_equal((int)f.n, 59);
    assert_true(fabs(f.c1 - 0.5) < 4 * f.se_c1);
    assert_true(f.c1_lo < 0.5 && 0.5 < f.c1_hi);
    assert_true(fabs(f.c0 - 0.2) < 4 * f.se_c0);
    assert_true(f.r2 > 0.95);
    double lo, hi;
    rl_r2_interval(f.r2, f.n, &lo, &hi);
    assert_true(lo < f.r2 && f.r2 < hi && hi < 1);
    gsl_rng_free(g);
}

static void test_r2_interval(void **state) {
    (void)state;
    double lo, hi;
    rl_r2_interval(0.81, 12, &lo, &hi);  // r = 0.9, z -+ 1.96/3
    assert_true(fabs(lo - 0.4549094021605301) < 1e-12);
    assert_true(fabs(hi - 0.9445949082744491) < 1e-12);
    rl_r2_interval(0.1, 8, &lo, &hi);    // tanh(z - h) = -0.4998 < 0: lower end 0
    assert_true(lo == 0 && hi > 0.1);
    rl_r2_interval(1.0, 5, &lo, &hi);    // exact line
    assert_true(lo == 1 && hi == 1);
    rl_r2_interval(0.9, 3, &lo, &hi);    // too few points
    assert_true(isnan(lo) && isnan(hi));
}

// ---------------------------------------------------------------------------
// Gao et al. forms

static void test_gao_exact(void **state) {
    (void)state;
    double d[8], y[8];
    for (int q = 0; q < 8; q++) {  // best-of-n, n = 1..128
        double n = 1 << q;
        d[q] = sqrt(log(n) - (n - 1) / n);
        y[q] = d[q] * (0.3 - 0.1 * d[q]);
    }
    RLGaoFit F;
    HHErr err;
    assert_int_equal(rl_fit_gao(RL_GAO_BON, d, y, 8, &F, &err), 0);
    assert_int_equal((int)F.n, 7);  // d = 0 (n = 1) carries no information
    assert_true(F.converged);
    assert_true(fabs(F.a - 0.3) < 1e-8 && fabs(F.b - 0.1) < 1e-8);
    assert_true(fabs(F.d_peak - 1.5) < 1e-6 && fabs(F.gain_peak - 0.225) < 1e-6);
    for (int i = 0; i < 8; i++) {  // RL
        d[i] = 0.4 + 0.7 * i;
        y[i] = d[i] * (0.4 - 0.2 * log(d[i]));
    }
    assert_int_equal(rl_fit_gao(RL_GAO_RL, d, y, 8, &F, &err), 0);
    assert_true(F.converged);
    assert_true(fabs(F.a - 0.4) < 1e-8 && fabs(F.b - 0.2) < 1e-8);
    assert_true(fabs(F.d_peak - exp(1.0)) < 1e-6);  // a/b - 1 = 1
    assert_true(fabs(rl_gao_eval(RL_GAO_RL, 0.4, 0.2, 0.0)) == 0);
}

static void test_gao_noisy(void **state) {
    (void)state;
    gsl_rng *g = rng(5);
    int cover_a = 0, cover_b = 0, reps = 200;
    for (int rep = 0; rep < reps; rep++) {
        double d[12], y[12];
        for (int i = 0; i < 12; i++) {
            d[i] = 0.3 + 0.5 * i;
            y[i] = d[i] * (0.5 - 0.15 * log(d[i])) + gsl_ran_gaussian(g, 0.02);
        }
        RLGaoFit F;
        HHErr err;
        assert_int_equal(rl_fit_gao(RL_GAO_RL, d, y, 12, &F, &err), 0);
        assert_true(F.converged);
        cover_a += F.a_lo < 0.5 && 0.5 < F.a_hi;
        cover_b += F.b_lo < 0.15 && 0.15 < F.b_hi;
    }
    // 95% intervals: coverage 0.95, binomial sd 0.015 over 200 fits
    assert_true(cover_a >= 0.89 * reps && cover_b >= 0.89 * reps);
    gsl_rng_free(g);
}

static void test_gao_errors(void **state) {
    (void)state;
    double d[4] = {0, 0, 0.5, 1.0}, y[4] = {0, 0, 0.1, 0.2};
    RLGaoFit F;
    HHErr err;
    assert_int_equal(rl_fit_gao(RL_GAO_BON, d, y, 4, &F, &err), HH_EINPUT);  // 2 points with d > 0
    assert_int_equal(rl_fit_gao((RLGaoForm)7, d, y, 4, &F, &err), HH_EINPUT);
}

// ---------------------------------------------------------------------------
// claims on constructed run sets

enum { NPT = 11 };

typedef struct {
    double slope;      // train-PM reward per sqrt(nat)
    double test_frac;  // test-PM score = test_frac * train-PM score
    double red_rise, benign_rise;
    double harm_end;   // gold harm on red-team prompts at the end (0.2 at the start)
    double gold_b;     // RL gold gain d (0.4 - gold_b ln d) on top of the harm change
    double big_frac;   // yardstick score = big_frac * train-PM score
    double help_add;   // added to gold help on benign prompts by the end (linear in time)
    double curve;      // 0: train-PM reward linear in d; > 0: slope * curve * (1 - e^(-d / curve))
} Spec;

static void mk_rl(RLRec *r, const char *pol, double pp, const char *pm, double pmp, const char *var,
                  int seed, const Spec *s, gsl_rng *g) {
    double c[RL_NCOL][NPT];
    const double *cols[RL_NCOL];
    for (int k = 0; k < RL_NCOL; k++) {
        cols[k] = c[k];
        for (int i = 0; i < NPT; i++) c[k][i] = NAN;
    }
    for (int i = 0; i < NPT; i++) {
        double d = 0.3 * i, f = i / (NPT - 1.0);
        c[RL_ITER][i] = 10 * i, c[RL_KL][i] = d * d, c[RL_SQRT_KL][i] = d;
        double mean = s->curve > 0 ? s->slope * s->curve * (1 - exp(-d / s->curve)) : s->slope * d;
        c[RL_TRAIN][i] = mean + gsl_ran_gaussian(g, 0.02);
        c[RL_TEST][i] = s->test_frac * c[RL_TRAIN][i];
        c[RL_BIG][i] = s->big_frac * c[RL_TRAIN][i];
        c[RL_TRAIN_BENIGN][i] = s->benign_rise * f, c[RL_TRAIN_RED][i] = s->red_rise * f;
        c[RL_HELP_BENIGN][i] = 0.2 + 2 * rl_gao_eval(RL_GAO_RL, 0.4, s->gold_b, d) + s->help_add * f;
        c[RL_HELP_BORDER][i] = 0.2, c[RL_REFUSE_BORDER][i] = 0.3;
        c[RL_HARM_RED][i] = 0.2 + (s->harm_end - 0.2) * f;
    }
    HHErr err;
    assert_int_equal(rlrec_init(r, 0, pol, pm, var, seed, pp, pmp, NPT, cols, &err), 0);
}

static void mk_bon(RLRec *r, const char *pol, double pp, const char *pm, double pmp, int seed, double b) {
    double c[BON_NCOL][7];
    const double *cols[BON_NCOL];
    for (int k = 0; k < BON_NCOL; k++) cols[k] = c[k];
    for (int q = 0; q < 7; q++) {
        double n = 1 << q, kl = log(n) - (n - 1) / n, d = sqrt(kl);
        c[BON_N][q] = n, c[BON_KL_ANALYTIC][q] = c[BON_KL_EXACT][q] = kl;
        c[BON_TRAIN][q] = c[BON_TEST][q] = c[BON_BIG][q] = d;
        c[BON_HELP_BENIGN][q] = 0.3 + rl_gao_eval(RL_GAO_BON, 0.3, b, d);
        c[BON_HARM_RED][q] = 0.1, c[BON_HELP_RED][q] = 0.1;
    }
    HHErr err;
    assert_int_equal(rlrec_init(r, 1, pol, pm, "hh", seed, pp, pmp, 7, cols, &err), 0);
}

enum { NSEED = 3 };

// The hhsim run set for policies xs, s, m and PM scales xs, s, m, l, NSEED
// seeds; sign = +1 plants every effect, -1 reverses the robustness gap and the
// harm gap; curve > 0 makes every reward trajectory saturate (Spec.curve).
static void mk_data_c(RLData *D, int sign, double curve) {
    static const char *SC[4] = {"xs", "s", "m", "l"};
    static const double P[4] = {1e3, 1e4, 1e5, 1e6};
    memset(D, 0, sizeof *D);
    D->rl = calloc(16 * 2 * NSEED, sizeof *D->rl);
    D->bon = calloc(16 * NSEED, sizeof *D->bon);
    gsl_rng *g = rng(3);
    int pairs[16][2], np = 0;
    for (int i = 0; i < 3; i++) {
        pairs[np][0] = i, pairs[np++][1] = 3;  // vs the largest PM
        pairs[np][0] = i, pairs[np++][1] = i;  // vs its own scale
    }
    for (int k = 0; k < 2; k++) pairs[np][0] = 2, pairs[np++][1] = k;  // m vs xs, s (m, l above)
    for (int sd = 0; sd < NSEED; sd++)
        for (int q = 0; q < np; q++) {
            int i = pairs[q][0], k = pairs[q][1];
            for (int v = 0; v < 2; v++) {
                Spec s = {0.5, sign > 0 ? 0.4 + 0.15 * k : 1.3, 1.0 + 0.1 * k + 0.05 * i, 0.3, 0.05,
                          0.2 + 0.01 * sd, 0.5 + 0.1 * k, 0.05 * k, curve};
                if (v) s.harm_end = sign > 0 ? 0.5 + 0.05 * i + 0.02 * k : 0.01, s.help_add += 0.1;
                mk_rl(&D->rl[D->nrl++], SC[i], P[i], SC[k], P[k], v ? "helpful" : "hh", sd, &s, g);
            }
            mk_bon(&D->bon[D->nbon++], SC[i], P[i], SC[k], P[k], sd, 0.1 + 0.01 * sd);
        }
    gsl_rng_free(g);
    rl_finish(D);
}

static void mk_data(RLData *D, int sign) {
    mk_data_c(D, sign, 0);
}

static Verdict verdict_of(const RLData *D, const char *stat, const char *crit, ClaimStat *st) {
    ClaimRow row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "t_%s", stat);
    snprintf(row.statistic, sizeof row.statistic, "%s", stat);
    snprintf(row.criterion, sizeof row.criterion, "%s", crit);
    HHErr err;
    assert_int_equal(rlclaims_compute(D, &row, st, &err), 0);
    ClaimResult res;
    claims_decide(&row, 1, st, &res);
    return res.verdict;
}

static void test_claims_reproduced(void **state) {
    (void)state;
    RLData D;
    mk_data(&D, +1);
    assert_string_equal(D.big_policy, "m");
    assert_string_equal(D.big_pm_scale, "l");
    ClaimStat st;
    assert_int_equal(verdict_of(&D, "rl_sqrt_kl_end_slope_ratio", "> 0.5", &st), VERDICT_REPRODUCED);
    assert_true(fabs(st.est - 1) < 0.1 && st.n == NSEED);  // linear trajectories: end slope = start slope
    assert_int_equal(verdict_of(&D, "rl_slope_sqrt_kl_no_origin", "> 0", &st), VERDICT_REPRODUCED);
    assert_true(fabs(st.est - 0.5) < 0.05);
    assert_int_equal(verdict_of(&D, "rl_end_gap_train_test", "> 0", &st), VERDICT_REPRODUCED);
    assert_int_equal((int)st.n, NSEED);  // seeds are the replicate
    // gap = (1 - test_frac) * train_end, train_end ~ 0.5 * 3 = 1.5; mean over k of 0.6 - 0.15 k = 0.375
    assert_true(fabs(st.est - 1.5 * 0.375) < 0.05);
    assert_int_equal(verdict_of(&D, "rl_yardstick_slope_ln_params", "> 0", &st), VERDICT_REPRODUCED);
    // yardstick end = (0.5 + 0.1 k) * 1.5 with ln P = ln 1e3 + k ln 10: slope 0.15 / ln 10
    assert_true(fabs(st.est - 0.15 / log(10)) < 0.01);
    assert_int_equal(verdict_of(&D, "rl_gold_slope_ln_params", "> 0", &st), VERDICT_REPRODUCED);
    assert_true(fabs(st.est - 0.5 * 0.05 / log(10)) < 0.005);  // U = help/2 - harm, help + 0.05 k at the end
    assert_int_equal(verdict_of(&D, "rl_redteam_minus_benign_rise", "> 0", &st), VERDICT_REPRODUCED);
    assert_int_equal((int)st.n, NSEED);
    assert_int_equal(verdict_of(&D, "rl_harm_helpful_minus_hh", "> 0", &st), VERDICT_REPRODUCED);
    assert_int_equal((int)st.n, NSEED);
    assert_int_equal(verdict_of(&D, "rl_help_helpful_minus_hh", "> 0", &st), VERDICT_REPRODUCED);
    assert_true(fabs(st.est - 0.1) < 1e-6);
    assert_int_equal(verdict_of(&D, "gao_b_min", "> 0", &st), VERDICT_REPRODUCED);
    assert_true(fabs(st.est - 0.11) < 1e-6 || fabs(st.est - 0.21) < 1e-6);  // bon or RL b, mean over seeds
    RLGaoFit F;
    HHErr err;
    assert_int_equal(rl_gao_run(rl_find(&D, "m", "l", "hh"), 0, &F, &err), 0);
    assert_true(fabs(F.b - 0.2) < 1e-6);  // seed 0; the harm change is linear in d: absorbed by a
    assert_int_equal(rl_gao_run(bon_find(&D, "m", "l", "hh"), 1, &F, &err), 0);
    assert_true(fabs(F.b - 0.1) < 1e-8 && fabs(F.a - 0.3) < 1e-8);
    rl_free(&D);
}

static void test_claims_reversed(void **state) {
    (void)state;
    RLData D;
    mk_data(&D, -1);
    ClaimStat st;
    assert_int_equal(verdict_of(&D, "rl_end_gap_train_test", "> 0", &st), VERDICT_NOT_REPRODUCED);
    assert_true(st.hi < 0);
    assert_int_equal(verdict_of(&D, "rl_harm_helpful_minus_hh", "> 0", &st), VERDICT_NOT_REPRODUCED);
    // gold gain rising without a peak (b < 0): not reproduced
    for (int k = 0; k < D.nbon; k++) rlrec_free(&D.bon[k]);
    D.nbon = 0;
    for (int sd = 0; sd < NSEED; sd++) mk_bon(&D.bon[D.nbon++], "m", 1e5, "l", 1e6, sd, -0.1 - 0.01 * sd);
    assert_int_equal(verdict_of(&D, "gao_b_min", "> 0", &st), VERDICT_NOT_REPRODUCED);
    assert_true(fabs(st.est + 0.11) < 1e-8);
    rl_free(&D);
    // planted saturation: reward = 0.5 c (1 - e^(-d / c)) with c = 0.8 over d up to 3: the quadratic's
    // end/start slope ratio falls well below 0.5 and the linearity claim is NOT REPRODUCED
    mk_data_c(&D, +1, 0.8);
    assert_int_equal(verdict_of(&D, "rl_sqrt_kl_end_slope_ratio", "> 0.5", &st), VERDICT_NOT_REPRODUCED);
    assert_true(st.est < 0.3);
    rl_free(&D);
}

static void test_claims_pending(void **state) {
    (void)state;
    RLData D;
    HHErr err;
    assert_int_equal(rl_load("/nonexistent_hhsim_run", NULL, &D, &err), 0);  // no rl/: not an error
    assert_int_equal(D.nrl, 0);
    assert_non_null(strstr(D.missing_rl, "no such directory"));
    static const char *S[9] = {"rl_sqrt_kl_end_slope_ratio", "rl_slope_sqrt_kl_no_origin", "rl_end_gap_train_test",
                               "rl_yardstick_slope_ln_params", "rl_gold_slope_ln_params",
                               "rl_redteam_minus_benign_rise", "rl_harm_helpful_minus_hh",
                               "rl_help_helpful_minus_hh", "gao_b_min"};
    for (int k = 0; k < 9; k++) {
        ClaimStat st;
        assert_true(rlclaims_known(S[k]));
        assert_int_equal(verdict_of(&D, S[k], "> 0", &st), VERDICT_PENDING);
        assert_false(st.available);
    }
    assert_false(rlclaims_known("fit_b"));
    // two PM scales only: no slope across PM sizes
    mk_data(&D, +1);
    int keep = 0;
    for (int k = 0; k < D.nrl; k++)
        if (strcmp(D.rl[k].pm_scale, "xs") && strcmp(D.rl[k].pm_scale, "s")) D.rl[keep++] = D.rl[k];
        else rlrec_free(&D.rl[k]);
    D.nrl = keep;
    rl_finish(&D);
    ClaimStat st;
    assert_int_equal(verdict_of(&D, "rl_yardstick_slope_ln_params", "> 0", &st), VERDICT_PENDING);
    rl_free(&D);
    // one seed: no interval across seeds, PENDING
    mk_data(&D, +1);
    keep = 0;
    for (int k = 0; k < D.nrl; k++)
        if (D.rl[k].seed == 0) D.rl[keep++] = D.rl[k];
        else rlrec_free(&D.rl[k]);
    D.nrl = keep;
    assert_int_equal(verdict_of(&D, "rl_end_gap_train_test", "> 0", &st), VERDICT_PENDING);
    rl_free(&D);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_planted),      cmocka_unit_test(test_r2_interval),
        cmocka_unit_test(test_gao_exact),         cmocka_unit_test(test_gao_noisy),
        cmocka_unit_test(test_gao_errors),        cmocka_unit_test(test_claims_reproduced),
        cmocka_unit_test(test_claims_reversed),   cmocka_unit_test(test_claims_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
