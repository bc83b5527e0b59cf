// test_stats.c - analysis/stats against certified and hand-computed values.
//
// Reference data (NIST Statistical Reference Datasets, public domain,
// https://www.itl.nist.gov/div898/strd/):
//   Norris   (lls/data/Norris.shtml)   36 points, certified to 15 digits;
//   Longley  (lls/data/Longley.shtml)  16 x 6, certified to 15 digits;
//   Misra1a  (nls/data/Misra1a.shtml)  14 points, certified to 11 digits.
// The data were transcribed from GSL's own NIST tests (fit/test.c,
// multifit/test_longley.c) and cross-checked against the copies in SciPy's
// test_stats.py (Norris), Apache Commons Math and Octave regress.m (Longley)
// and LabPlot's FitTest.cpp (Misra1a); the certified values are NIST's.
// Other expected values (Wilson intervals, t quantiles, Elo) were computed
// independently with mpmath at 30 digits; the derivation is beside each.
// Failed checks print measured and expected values; HH_TEST_VERBOSE=1 prints
// every check.
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
#include <gsl/gsl_statistics_double.h>

#include "stats.h"

// ---------------------------------------------------------------- checks

typedef struct {
    int checks, fails;
} Chk;

static void chk_report(Chk *c, int ok, double got, double want, double err,
                       double tol, const char *what, va_list ap)
{
    c->checks++;
    c->fails += !ok;
    if (ok && !getenv("HH_TEST_VERBOSE"))
        return;
    char name[160];
    vsnprintf(name, sizeof name, what, ap);
    print_message("%s %s: measured %.17g, expected %.17g (error %.3g %s tol %.3g)\n",
                  ok ? "PASS" : "FAIL", name, got, want, err, ok ? "<=" : ">", tol);
}

// |got - want| <= tol * |want| (absolute when want == 0).
__attribute__((format(printf, 5, 6)))
static void chk_rel(Chk *c, double got, double want, double tol, const char *what, ...)
{
    double e = want == 0 ? fabs(got) : fabs((got - want) / want);
    va_list ap;
    va_start(ap, what);
    chk_report(c, e <= tol, got, want, e, tol, what, ap);
    va_end(ap);
}

// |got - want| <= tol.
__attribute__((format(printf, 5, 6)))
static void chk_abs(Chk *c, double got, double want, double tol, const char *what, ...)
{
    double e = fabs(got - want);
    va_list ap;
    va_start(ap, what);
    chk_report(c, e <= tol, got, want, e, tol, what, ap);
    va_end(ap);
}

static void chk_done(const Chk *c)
{
    if (c->fails)
        fail_msg("%d of %d checks failed", c->fails, c->checks);
}

// A call that must be refused with HH_EINPUT and a message naming fn.
static void chk_refused(Chk *c, int rc, const HHErr *err, const char *fn)
{
    int ok = rc == HH_EINPUT && err->code == HH_EINPUT && strstr(err->msg, fn);
    c->checks++;
    if (!ok) {
        c->fails++;
        print_message("FAIL %s refuses bad input: rc %d, message \"%s\"\n", fn, rc, err->msg);
    }
}

// A call that must succeed; on failure print its status and message.
#define ASSERT_OK(call)                                                          \
    do {                                                                         \
        int rc_ = (call);                                                        \
        if (rc_ != 0)                                                            \
            fail_msg("%s returned %d: %s", #call, rc_, err.msg);                 \
    } while (0)

// ------------------------------------------------------------ NIST data

static const double norris_x[36] = {
    0.2, 337.4, 118.2, 884.6, 10.1, 226.5, 666.3, 996.3, 448.6, 777.0, 558.2, 0.4,
    0.6, 775.5, 666.9, 338.0, 447.5, 11.6, 556.0, 228.1, 995.8, 887.6, 120.2, 0.3,
    0.3, 556.8, 339.1, 887.2, 999.0, 779.0, 11.1, 118.3, 229.2, 669.1, 448.9, 0.5};
static const double norris_y[36] = {
    0.1, 338.8, 118.1, 888.0, 9.2, 228.1, 668.5, 998.5, 449.1, 778.9, 559.2, 0.3,
    0.1, 778.1, 668.8, 339.3, 448.9, 10.8, 557.7, 228.3, 998.0, 888.8, 119.6, 0.3,
    0.6, 557.6, 339.3, 888.0, 998.5, 778.9, 10.2, 117.6, 228.9, 668.4, 449.2, 0.2};
// Certified: B0, B1, SD(B0), SD(B1), residual SD, R^2 (and residual SS).
#define NORRIS_B0 -0.262323073774029
#define NORRIS_B1 1.00211681802045
#define NORRIS_SE0 0.232818234301152
#define NORRIS_SE1 0.429796848199937E-03
#define NORRIS_RSD 0.884796396144373
#define NORRIS_R2 0.999993745883712
#define NORRIS_RSS 26.6173985294224
#define T975_34 2.03224450931771896  // t quantile, 34 dof (mpmath)

// Rows {1, GNP deflator, GNP, unemployed, armed forces, population, year}.
static const double longley_X[16 * 7] = {
    1, 83.0, 234289, 2356, 1590, 107608, 1947, 1, 88.5, 259426, 2325, 1456, 108632, 1948,
    1, 88.2, 258054, 3682, 1616, 109773, 1949, 1, 89.5, 284599, 3351, 1650, 110929, 1950,
    1, 96.2, 328975, 2099, 3099, 112075, 1951, 1, 98.1, 346999, 1932, 3594, 113270, 1952,
    1, 99.0, 365385, 1870, 3547, 115094, 1953, 1, 100.0, 363112, 3578, 3350, 116219, 1954,
    1, 101.2, 397469, 2904, 3048, 117388, 1955, 1, 104.6, 419180, 2822, 2857, 118734, 1956,
    1, 108.4, 442769, 2936, 2798, 120445, 1957, 1, 110.8, 444546, 4681, 2637, 121950, 1958,
    1, 112.6, 482704, 3813, 2552, 123366, 1959, 1, 114.2, 502601, 3931, 2514, 125368, 1960,
    1, 115.7, 518173, 4806, 2572, 127852, 1961, 1, 116.9, 554894, 4007, 2827, 130081, 1962};
static const double longley_y[16] = {60323, 61122, 60171, 61187, 63221, 63639, 64989, 63761,
                                     66019, 67857, 68169, 66513, 68655, 69564, 69331, 70551};
static const double longley_b[7] = {-3482258.63459582, 15.0618722713733,
                                    -0.358191792925910E-01, -2.02022980381683,
                                    -1.03322686717359, -0.511041056535807E-01,
                                    1829.15146461355};
static const double longley_se[7] = {890420.383607373, 84.9149257747669,
                                     0.334910077722432E-01, 0.488399681651699,
                                     0.214274163161675, 0.226073200069370, 455.478499142212};
#define LONGLEY_RSD 304.854073561965
#define LONGLEY_R2 0.995479004577296

// Misra1a: y = b1 (1 - exp(-b2 x)).
static const double misra_y[14] = {10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02,
                                   44.82, 50.76, 55.05, 61.01, 66.40, 75.47, 81.78};
static const double misra_x[14] = {77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8,
                                   378.4, 434.8, 477.3, 536.8, 593.1, 689.1, 760.0};
static const double misra_b[2] = {2.3894212918E+02, 5.5015643181E-04};
static const double misra_se[2] = {2.7070075241E+00, 7.2668688436E-06};
static const double misra_start[2][2] = {{500, 1e-4}, {250, 5e-4}};
#define MISRA_RSS 1.2455138894E-01
#define MISRA_RSD 1.0187876330E-01

// ------------------------------------------------------------ line fits

static void test_linear_norris(void **state)
{
    (void)state;
    Chk c = {0};
    HHErr err = {0};
    StatsLinfit f;
    ASSERT_OK(stats_fit_linear(norris_x, norris_y, 36, &f, &err));
    chk_rel(&c, f.c0, NORRIS_B0, 1e-10, "norris c0");
    chk_rel(&c, f.c1, NORRIS_B1, 1e-12, "norris c1");
    chk_rel(&c, f.se_c0, NORRIS_SE0, 1e-10, "norris se(c0)");
    chk_rel(&c, f.se_c1, NORRIS_SE1, 1e-10, "norris se(c1)");
    chk_rel(&c, f.sd_resid, NORRIS_RSD, 1e-10, "norris residual sd");
    chk_rel(&c, f.r2, NORRIS_R2, 1e-12, "norris R^2");
    chk_rel(&c, f.chisq, NORRIS_RSS, 1e-10, "norris residual SS");
    chk_rel(&c, (double)f.n, 36, 0, "norris n");
    chk_rel(&c, (double)f.dof, 34, 0, "norris dof");
    chk_rel(&c, f.c1_lo, NORRIS_B1 - T975_34 * NORRIS_SE1, 1e-12, "norris c1 CI lo");
    chk_rel(&c, f.c1_hi, NORRIS_B1 + T975_34 * NORRIS_SE1, 1e-12, "norris c1 CI hi");
    chk_rel(&c, f.c0_lo, NORRIS_B0 - T975_34 * NORRIS_SE0, 1e-10, "norris c0 CI lo");
    chk_rel(&c, f.c0_hi, NORRIS_B0 + T975_34 * NORRIS_SE0, 1e-10, "norris c0 CI hi");
    chk_done(&c);
}

// Integer weights equal replicating points: the weighted fit of (x, y, w)
// has the parameters and chi^2 of the unweighted fit of the replicated data,
// and ABSOLUTE covariance * chi^2/(N - 2) (N = sum w) is that fit's covariance.
static void test_wlinear_replicated(void **state)
{
    (void)state;
    static const double x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {1.2, 1.9, 3.2, 3.8, 5.1, 5.7};
    static const double w[6] = {1, 2, 3, 1, 2, 0};  // the last point is ignored
    double xr[9], yr[9];
    size_t N = 0;
    for (size_t i = 0; i < 6; i++)
        for (int r = 0; r < (int)w[i]; r++, N++)
            xr[N] = x[i], yr[N] = y[i];
    Chk c = {0};
    HHErr err = {0};
    StatsLinfit u, a, rel;
    ASSERT_OK(stats_fit_linear(xr, yr, N, &u, &err));
    ASSERT_OK(stats_fit_wlinear(x, w, y, 6, STATS_WEIGHTS_ABSOLUTE, &a, &err));
    ASSERT_OK(stats_fit_wlinear(x, w, y, 6, STATS_WEIGHTS_RELATIVE, &rel, &err));
    double s2 = a.chisq / (double)(N - 2);
    chk_rel(&c, a.c0, u.c0, 1e-12, "wlinear c0 = replicated c0");
    chk_rel(&c, a.c1, u.c1, 1e-12, "wlinear c1 = replicated c1");
    chk_rel(&c, a.chisq, u.chisq, 1e-12, "wlinear chi^2 = replicated RSS");
    chk_rel(&c, a.r2, u.r2, 1e-12, "wlinear R^2 = replicated R^2");
    chk_rel(&c, a.cov00 * s2, u.cov00, 1e-12, "wlinear cov00 * s^2 = replicated cov00");
    chk_rel(&c, a.cov01 * s2, u.cov01, 1e-12, "wlinear cov01 * s^2 = replicated cov01");
    chk_rel(&c, a.cov11 * s2, u.cov11, 1e-12, "wlinear cov11 * s^2 = replicated cov11");
    chk_rel(&c, (double)a.n, 5, 0, "wlinear n counts w > 0");
    chk_rel(&c, rel.cov11, a.cov11 * a.chisq / 3.0, 1e-12, "RELATIVE cov11 = ABSOLUTE * chi^2/dof");
    chk_rel(&c, rel.se_c1, sqrt(rel.cov11), 1e-15, "RELATIVE se(c1)");
    chk_rel(&c, rel.c1_hi - rel.c1, 3.18244630528371 * rel.se_c1, 1e-12,
            "RELATIVE c1 CI half-width = t(0.975, 3) se");  // t quantile by mpmath
    chk_done(&c);
}

static void test_linear_refuses(void **state)
{
    (void)state;
    static const double x[3] = {1, 1, 1}, y[3] = {1, 2, 3}, w[3] = {1, -1, 1};
    static const double xn[3] = {1, NAN, 3};
    Chk c = {0};
    HHErr err = {0};
    StatsLinfit f;
    chk_refused(&c, stats_fit_linear(x, y, 2, &f, &err), &err, "stats_fit_linear");
    chk_refused(&c, stats_fit_linear(x, y, 3, &f, &err), &err, "stats_fit_linear");
    chk_refused(&c, stats_fit_linear(xn, y, 3, &f, &err), &err, "stats_fit_linear");
    chk_refused(&c, stats_fit_linear(NULL, y, 3, &f, &err), &err, "stats_fit_linear");
    chk_refused(&c, stats_fit_wlinear(y, w, y, 3, STATS_WEIGHTS_ABSOLUTE, &f, &err), &err,
                "stats_fit_wlinear");
    chk_refused(&c, stats_fit_wlinear(y, NULL, y, 3, STATS_WEIGHTS_ABSOLUTE, &f, &err), &err,
                "stats_fit_wlinear");
    chk_done(&c);
}

// ------------------------------------------------------------ multifit

static void test_multifit_longley(void **state)
{
    (void)state;
    Chk c = {0};
    HHErr err = {0};
    StatsMultifit *m = stats_multifit_alloc(16, 7, &err);
    assert_non_null(m);
    ASSERT_OK(stats_multifit_linear(m, longley_X, longley_y, &err));
    for (size_t j = 0; j < 7; j++) {
        chk_rel(&c, m->c[j], longley_b[j], 1e-8, "longley b[%zu]", j);
        chk_rel(&c, m->se[j], longley_se[j], 1e-8, "longley se[%zu]", j);
    }
    chk_rel(&c, m->sd_resid, LONGLEY_RSD, 1e-9, "longley residual sd");
    chk_rel(&c, m->r2, LONGLEY_R2, 1e-12, "longley R^2");
    chk_rel(&c, (double)m->dof, 9, 0, "longley dof");
    chk_rel(&c, m->hi[6] - m->c[6], 2.26215716279820554 * longley_se[6], 1e-8,
            "longley b[6] CI half-width = t(0.975, 9) se");  // t quantile by mpmath
    stats_multifit_free(m);
    chk_done(&c);
}

// The straight line through Norris as a 2-column design reproduces NIST.
static void test_multifit_norris(void **state)
{
    (void)state;
    double X[72];
    for (size_t i = 0; i < 36; i++)
        X[2 * i] = 1, X[2 * i + 1] = norris_x[i];
    Chk c = {0};
    HHErr err = {0};
    StatsMultifit *m = stats_multifit_alloc(36, 2, &err);
    assert_non_null(m);
    ASSERT_OK(stats_multifit_linear(m, X, norris_y, &err));
    chk_rel(&c, m->c[0], NORRIS_B0, 1e-10, "multifit norris c0");
    chk_rel(&c, m->c[1], NORRIS_B1, 1e-12, "multifit norris c1");
    chk_rel(&c, m->se[0], NORRIS_SE0, 1e-10, "multifit norris se0");
    chk_rel(&c, m->se[1], NORRIS_SE1, 1e-10, "multifit norris se1");
    chk_rel(&c, m->r2, NORRIS_R2, 1e-12, "multifit norris R^2");
    chk_rel(&c, m->lo[1], NORRIS_B1 - T975_34 * NORRIS_SE1, 1e-12, "multifit norris c1 CI lo");
    // Constant weights 2: RELATIVE gives NIST's errors; ABSOLUTE gives
    // (X'WX)^-1 = (X'X)^-1 / 2, i.e. se / (residual sd * sqrt 2).
    double w2[36];
    for (size_t i = 0; i < 36; i++)
        w2[i] = 2.0;
    ASSERT_OK(stats_multifit_wlinear(m, X, w2, norris_y, STATS_WEIGHTS_RELATIVE, &err));
    chk_rel(&c, m->se[1], NORRIS_SE1, 1e-10, "multifit norris w = 2 RELATIVE se1");
    chk_rel(&c, m->chisq, 2 * NORRIS_RSS, 1e-10, "multifit norris w = 2 chi^2");
    ASSERT_OK(stats_multifit_wlinear(m, X, w2, norris_y, STATS_WEIGHTS_ABSOLUTE, &err));
    chk_rel(&c, m->se[0], NORRIS_SE0 / (NORRIS_RSD * sqrt(2.0)), 1e-10,
            "multifit norris w = 2 ABSOLUTE se0");
    stats_multifit_free(m);
    chk_done(&c);
}

// acc = a + b ln P + c ln N, noiseless: exact recovery; replicated weights.
static void test_multifit_synthetic(void **state)
{
    (void)state;
    const double a = 0.52, b = 0.031, cc = 0.017;
    double X[12 * 3], y[12], w[12];
    for (size_t i = 0; i < 12; i++) {
        double lp = log(1e7 * pow(4.0, (double)(i % 4))), ln = log(1e3 * pow(10.0, (double)(i / 4)));
        X[3 * i] = 1, X[3 * i + 1] = lp, X[3 * i + 2] = ln;
        y[i] = a + b * lp + cc * ln;
        w[i] = 1.0 + (double)(i % 3);
    }
    Chk c = {0};
    HHErr err = {0};
    StatsMultifit *m = stats_multifit_alloc(12, 3, &err);
    assert_non_null(m);
    ASSERT_OK(stats_multifit_linear(m, X, y, &err));
    chk_rel(&c, m->c[0], a, 1e-10, "acc fit a");
    chk_rel(&c, m->c[1], b, 1e-10, "acc fit b (ln P)");
    chk_rel(&c, m->c[2], cc, 1e-10, "acc fit c (ln N)");
    chk_abs(&c, m->chisq, 0, 1e-20, "acc fit chi^2");
    chk_rel(&c, m->r2, 1, 1e-12, "acc fit R^2");
    ASSERT_OK(stats_multifit_wlinear(m, X, w, y, STATS_WEIGHTS_RELATIVE, &err));
    chk_rel(&c, m->c[1], b, 1e-10, "weighted acc fit b");
    for (size_t j = 0; j < 12; j++)  // collinear: column 2 = 2 * column 1
        X[3 * j + 2] = 2 * X[3 * j + 1];
    int rc = stats_multifit_linear(m, X, y, &err);
    chk_rel(&c, rc, HH_EFAIL, 0, "rank-deficient X is HH_EFAIL");
    stats_multifit_free(m);
    stats_multifit_free(NULL);
    chk_refused(&c, stats_multifit_alloc(3, 3, &err) ? 0 : err.code, &err, "stats_multifit_alloc");
    chk_done(&c);
}

// ------------------------------------------------------------ nonlinear

static double misra_f(double x, const double *b, void *data)
{
    (void)data;
    return b[0] * (1 - exp(-b[1] * x));
}

static void misra_df(double x, const double *b, void *data, double *g)
{
    (void)data;
    g[0] = 1 - exp(-b[1] * x);
    g[1] = b[0] * x * exp(-b[1] * x);
}

static void test_nlfit_misra1a(void **state)
{
    (void)state;
    Chk c = {0};
    HHErr err = {0};
    StatsNlfit *nl = stats_nlfit_alloc(14, 2, &err);
    assert_non_null(nl);
    for (int s = 0; s < 2; s++) {
        for (int fd = 0; fd < 2; fd++) {
            const char *how = fd ? "finite-difference J" : "analytic J";
            int rc = stats_nlfit(nl, misra_f, fd ? NULL : misra_df, NULL, misra_x, misra_y,
                                 NULL, misra_start[s], NULL, &err);
            chk_rel(&c, rc, 0, 0, "misra1a start %d %s: status (%s)", s + 1, how, err.msg);
            chk_rel(&c, nl->converged, 1, 0, "misra1a start %d %s: converged", s + 1, how);
            for (int k = 0; k < 2; k++) {
                chk_rel(&c, nl->b[k], misra_b[k], 1e-6, "misra1a start %d %s: b%d", s + 1, how, k + 1);
                chk_rel(&c, nl->se[k], misra_se[k], 1e-5, "misra1a start %d %s: se(b%d)", s + 1,
                        how, k + 1);
            }
            chk_rel(&c, nl->chisq, MISRA_RSS, 1e-8, "misra1a start %d %s: residual SS", s + 1, how);
            chk_rel(&c, nl->sd_resid, MISRA_RSD, 1e-8, "misra1a start %d %s: residual sd", s + 1, how);
        }
    }
    chk_rel(&c, (double)nl->dof, 12, 0, "misra1a dof");
    stats_nlfit_free(nl);
    chk_done(&c);
}

// Weights 1 or 2 equal replicating points: same b and chi^2 as the
// unweighted fit of the replicated data; ABSOLUTE cov * chi^2/(N - p) = its cov.
static void test_nlfit_weighted(void **state)
{
    (void)state;
    double w[14], xr[21], yr[21];
    size_t N = 0;
    for (size_t i = 0; i < 14; i++) {
        w[i] = 1.0 + (double)(i % 2);
        for (int r = 0; r < (int)w[i]; r++, N++)
            xr[N] = misra_x[i], yr[N] = misra_y[i];
    }
    Chk c = {0};
    HHErr err = {0};
    StatsNlfit *u = stats_nlfit_alloc(N, 2, &err), *a = stats_nlfit_alloc(14, 2, &err);
    assert_true(u && a);
    StatsNlfitOpts o = stats_nlfit_opts_default();
    o.scale = STATS_WEIGHTS_ABSOLUTE;
    ASSERT_OK(stats_nlfit(u, misra_f, misra_df, NULL, xr, yr, NULL, misra_b, NULL, &err));
    ASSERT_OK(stats_nlfit(a, misra_f, misra_df, NULL, misra_x, misra_y, w, misra_b, &o,
                                 &err));
    double s2 = a->chisq / (double)(N - 2);
    chk_rel(&c, a->b[0], u->b[0], 1e-9, "weighted misra b1 = replicated");
    chk_rel(&c, a->b[1], u->b[1], 1e-9, "weighted misra b2 = replicated");
    chk_rel(&c, a->chisq, u->chisq, 1e-9, "weighted misra chi^2 = replicated");
    chk_rel(&c, a->cov[0] * s2, u->cov[0], 1e-7, "weighted misra cov00 * s^2 = replicated");
    chk_rel(&c, a->cov[3] * s2, u->cov[3], 1e-7, "weighted misra cov11 * s^2 = replicated");
    stats_nlfit_free(u);
    stats_nlfit_free(a);
    chk_done(&c);
}

// Gao et al. overoptimisation form R(d) = d (a - b ln d), noiseless.
static double gao_log(double d, const double *b, void *data)
{
    (void)data;
    return d * (b[0] - b[1] * log(d));
}

static void test_nlfit_gao(void **state)
{
    (void)state;
    double d[20], r[20], w[20];
    for (size_t i = 0; i < 20; i++) {
        d[i] = 0.25 * (double)(i + 1);
        r[i] = gao_log(d[i], (const double[]){1.5, 0.3}, NULL);
        w[i] = 1.0 / (0.1 + 0.01 * (double)i);
    }
    Chk c = {0};
    HHErr err = {0};
    StatsNlfit *nl = stats_nlfit_alloc(20, 2, &err);
    assert_non_null(nl);
    StatsNlfitOpts o = stats_nlfit_opts_default();
    ASSERT_OK(stats_nlfit(nl, gao_log, NULL, NULL, d, r, w, (const double[]){1, 0}, &o,
                                 &err));
    chk_rel(&c, nl->converged, 1, 0, "gao d(a - b ln d): converged");
    chk_rel(&c, nl->b[0], 1.5, 1e-9, "gao d(a - b ln d): a");
    chk_rel(&c, nl->b[1], 0.3, 1e-9, "gao d(a - b ln d): b");
    o.maxiter = 1;
    ASSERT_OK(stats_nlfit(nl, gao_log, NULL, NULL, d, r, NULL, (const double[]){9, -5},
                                 &o, &err));
    chk_rel(&c, nl->converged, 0, 0, "gao with maxiter 1: not converged");
    double bad[20];
    memcpy(bad, r, sizeof bad);
    bad[3] = NAN;
    chk_refused(&c, stats_nlfit(nl, gao_log, NULL, NULL, d, bad, NULL, (const double[]){1, 0},
                                NULL, &err), &err, "stats_nlfit");
    stats_nlfit_free(nl);
    chk_done(&c);
}

// ------------------------------------------------------------ intervals

static void test_wilson(void **state)
{
    (void)state;
    // (k, n, lo, hi): mpmath, z = 1.959963984540054235 (95%)
    static const double cases[][4] = {
        {8, 10, 0.490162471536641703, 0.943317848545624745},
        {1, 3, 0.0614919447203962312, 0.792340399197952277},
        {45, 50, 0.786397685625203432, 0.956524235068109584},
        {0, 20, 0.0, 0.161125158052819387},   // hi = z^2 / (n + z^2)
        {20, 20, 0.838874841947180613, 1.0},  // lo = n / (n + z^2)
    };
    Chk c = {0};
    HHErr err = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double lo, hi;
        size_t k = (size_t)cases[i][0], n = (size_t)cases[i][1];
        ASSERT_OK(stats_wilson(k, n, 0.95, &lo, &hi, &err));
        chk_abs(&c, lo, cases[i][2], 1e-14, "wilson %zu/%zu lo", k, n);
        chk_abs(&c, hi, cases[i][3], 1e-14, "wilson %zu/%zu hi", k, n);
    }
    StatsCI a;
    ASSERT_OK(stats_accuracy_ci(8, 10, &a, &err));
    chk_rel(&c, a.est, 0.8, 1e-15, "accuracy 8/10");
    chk_abs(&c, a.lo, 0.490162471536641703, 1e-14, "accuracy 8/10 Wilson lo");
    chk_rel(&c, a.se, 0.4 / sqrt(10), 1e-14, "accuracy 8/10 se");
    double lo, hi;
    chk_refused(&c, stats_wilson(3, 2, 0.95, &lo, &hi, &err), &err, "stats_wilson");
    chk_refused(&c, stats_wilson(1, 2, 1.0, &lo, &hi, &err), &err, "stats_wilson");
    chk_done(&c);
}

static void test_mean_tci(void **state)
{
    (void)state;
    static const double x[5] = {1, 2, 3, 4, 5};  // sd = sqrt(2.5)
    const double t = 2.77644510519779436;        // t(0.975, 4), mpmath
    Chk c = {0};
    HHErr err = {0};
    StatsCI m;
    ASSERT_OK(stats_mean_tci(x, 5, 0.95, &m, &err));
    chk_rel(&c, m.est, 3, 1e-15, "mean of 1..5");
    chk_rel(&c, m.se, sqrt(2.5 / 5), 1e-14, "se of 1..5");
    chk_rel(&c, m.lo, 3 - t * sqrt(0.5), 1e-13, "t CI lo of 1..5");
    chk_rel(&c, m.hi, 3 + t * sqrt(0.5), 1e-13, "t CI hi of 1..5");
    chk_refused(&c, stats_mean_tci(x, 1, 0.95, &m, &err), &err, "stats_mean_tci");
    chk_done(&c);
}

// ------------------------------------------------------------ bootstrap

static void test_boot_determinism(void **state)
{
    (void)state;
    double x[50];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (size_t i = 0; i < 50; i++)
        x[i] = gsl_ran_exponential(r, 2.0);
    Chk c = {0};
    HHErr err = {0};
    StatsBoot *bt = stats_boot_alloc(50, 1000, &err);
    assert_non_null(bt);
    StatsCI a, b, d;
    gsl_rng_set(r, 42);
    ASSERT_OK(stats_boot_mean_ci(bt, x, 0.95, r, &a, &err));
    ASSERT_OK(stats_boot_mean_ci(bt, x, 0.95, r, &d, &err));  // state moved on
    gsl_rng_set(r, 42);
    ASSERT_OK(stats_boot_mean_ci(bt, x, 0.95, r, &b, &err));
    chk_abs(&c, b.lo, a.lo, 0, "same seed, same lo");
    chk_abs(&c, b.hi, a.hi, 0, "same seed, same hi");
    chk_abs(&c, b.se, a.se, 0, "same seed, same se");
    chk_rel(&c, d.lo != a.lo, 1, 0, "next draws, different lo");
    chk_rel(&c, a.est, gsl_stats_mean(x, 1, 50), 1e-14, "bootstrap estimate = sample mean");
    double sd = gsl_stats_sd(x, 1, 50) * sqrt(49.0 / 50.0) / sqrt(50.0);
    chk_rel(&c, a.se, sd, 0.1, "bootstrap se ~ plug-in sd/sqrt(n)");
    chk_rel(&c, a.lo < a.est && a.est < a.hi, 1, 0, "lo < est < hi");
    stats_boot_free(bt);
    stats_boot_free(NULL);
    gsl_rng_free(r);
    chk_done(&c);
}

// 95% percentile intervals for the mean of N(2, 1), n = 40, cover 2 in
// about 93-95% of 300 experiments (binomial sd 1.3%): accept 0.88..0.98.
static void test_boot_coverage(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2022);
    HHErr err = {0};
    StatsBoot *bt = stats_boot_alloc(40, 400, &err);
    assert_non_null(bt);
    double x[40];
    int cover = 0;
    for (int e = 0; e < 300; e++) {
        for (size_t i = 0; i < 40; i++)
            x[i] = 2.0 + gsl_ran_gaussian_ziggurat(r, 1.0);
        StatsCI ci;
        ASSERT_OK(stats_boot_mean_ci(bt, x, 0.95, r, &ci, &err));
        cover += ci.lo <= 2.0 && 2.0 <= ci.hi;
    }
    Chk c = {0};
    chk_abs(&c, cover / 300.0, 0.93, 0.05, "bootstrap 95%% coverage");
    stats_boot_free(bt);
    gsl_rng_free(r);
    chk_done(&c);
}

// Hierarchical bootstrap: 6 "seeds" x 300 pairs of 0/1 outcomes. With planted
// between-seed variance (seed means 0.55 .. 0.80) the interval of the grand
// mean must be much wider than a bootstrap over the pooled pairs alone (which
// ignores retraining); with none (every seed at 0.675) about as wide. A
// hierarchical bootstrap that skipped the seed stage would fail the first.
static double hboot_width(gsl_rng *r, const double *x, size_t U, size_t n, int pairs_only)
{
    HHErr err = {0};
    StatsCI ci;
    if (pairs_only) {
        StatsBoot *bt = stats_boot_alloc(U * n, 1000, &err);
        assert_non_null(bt);
        ASSERT_OK(stats_boot_mean_ci(bt, x, 0.95, r, &ci, &err));
        stats_boot_free(bt);
    } else {
        StatsHBoot *hb = stats_hboot_alloc(U, n, 1000, &err);
        assert_non_null(hb);
        ASSERT_OK(stats_hboot_mean_ci(hb, x, 0.95, r, &ci, &err));
        assert_true(ci.lo < ci.est && ci.est < ci.hi);
        stats_hboot_free(hb);
    }
    return ci.hi - ci.lo;
}

static void test_hboot_seed_variance(void **state)
{
    (void)state;
    enum { U = 6, N = 300 };
    static const double MEAN[U] = {0.55, 0.80, 0.60, 0.75, 0.65, 0.70};
    double *x = malloc(sizeof(double) * U * N);
    assert_non_null(x);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    Chk c = {0};
    for (int planted = 1; planted >= 0; planted--) {
        double ratio = 0;
        for (int rep = 0; rep < 8; rep++) {  // mean width ratio over 8 data sets
            for (size_t u = 0; u < U; u++)
                for (size_t i = 0; i < N; i++)
                    x[u * N + i] = gsl_rng_uniform(r) < (planted ? MEAN[u] : 0.675);
            ratio += hboot_width(r, x, U, N, 0) / hboot_width(r, x, U, N, 1) / 8;
        }
        if (planted)  // sd of seed means 0.094/sqrt(6) = 0.038 vs pairs 0.011: about 3.5x wider
            chk_rel(&c, ratio > 2.5, 1, 0, "planted seed variance: hierarchical interval %.2fx pairs-only (> 2.5x)", ratio);
        else  // observed unit means still scatter by sampling noise: ~sqrt(1 + 5/6) = 1.35x
            chk_abs(&c, ratio, 1.35, 0.3, "no seed variance: widths alike");
    }
    // crossed: every seed answers the same items, identically (no seed variance);
    // the test-set sampling is shared, so the interval must be as wide as the
    // one-seed bootstrap of those items, not 1/sqrt(U) of it (which drawing the
    // items independently per seed gives: 0.41x)
    double xr = 0;
    for (int rep = 0; rep < 8; rep++) {
        for (size_t i = 0; i < N; i++) x[i] = gsl_rng_uniform(r) < 0.675;
        for (size_t u = 1; u < U; u++) memcpy(x + u * N, x, N * sizeof *x);
        xr += hboot_width(r, x, U, N, 0) / hboot_width(r, x, 1, N, 0) / 8;
    }
    chk_abs(&c, xr, 1.0, 0.15, "crossed items: interval as wide as one seed's (shared test set)");
    // determinism and the estimate
    HHErr err = {0};
    StatsHBoot *hb = stats_hboot_alloc(U, N, 200, &err);
    StatsCI a, b;
    gsl_rng_set(r, 5);
    ASSERT_OK(stats_hboot_mean_ci(hb, x, 0.95, r, &a, &err));
    gsl_rng_set(r, 5);
    ASSERT_OK(stats_hboot_mean_ci(hb, x, 0.95, r, &b, &err));
    chk_abs(&c, a.lo, b.lo, 0, "same seed, same lo");
    chk_abs(&c, a.est, gsl_stats_mean(x, 1, U * N), 1e-12, "estimate = grand mean");
    chk_rel(&c, a.n, U, 0, "n = units");
    stats_hboot_free(hb);
    stats_hboot_free(NULL);
    chk_rel(&c, stats_hboot_alloc(0, 5, 10, &err) == NULL && err.code == HH_EINPUT, 1, 0, "U = 0 refused");
    gsl_rng_free(r);
    free(x);
    chk_done(&c);
}

// ---------------------------------------------------------- calibration

// Perfectly calibrated: y ~ Bernoulli(p), p ~ U(0, 1); ECE -> 0 like n^-1/2.
static double ece_of_calibrated(gsl_rng *r, size_t n, double *p, int *y, StatsCalBin *bins)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = gsl_rng_uniform(r);
        y[i] = gsl_rng_uniform(r) < p[i];
    }
    double ece = -1;
    HHErr err = {0};
    ASSERT_OK(stats_calibration(p, y, n, 10, bins, &ece, &err));
    return ece;
}

static void test_calibration(void **state)
{
    (void)state;
    enum { N = 200000 };
    static double p[N];
    static int y[N];
    StatsCalBin bins[10];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 9);
    Chk c = {0};
    double e_small = ece_of_calibrated(r, 2000, p, y, bins);
    double e_big = ece_of_calibrated(r, N, p, y, bins);
    // E|obs - pred| <= sqrt(p(1-p)/n_b) <= 0.5/sqrt(20000) = 0.0035 per bin
    chk_abs(&c, e_big, 0, 0.01, "ECE of calibrated data, n = 2e5");
    chk_rel(&c, e_big < e_small, 1, 0, "ECE falls with n (%g at 2e3, %g at 2e5)", e_small, e_big);
    chk_rel(&c, bins[3].lo, 0.3, 1e-15, "bin 3 lo");
    chk_abs(&c, bins[3].mean_pred, 0.35, 0.01, "bin 3 mean predicted");
    chk_rel(&c, bins[3].ci_lo < bins[3].obs_freq && bins[3].obs_freq < bins[3].ci_hi, 1, 0,
            "bin 3 Wilson interval brackets obs");
    // Miscalibrated by construction: 100 at p = 0.25 with 50 positives, 100
    // at p = 0.75 with 50 positives: |0.5 - 0.25| = |0.5 - 0.75| -> ECE 0.25.
    for (size_t i = 0; i < 200; i++)
        p[i] = i < 100 ? 0.25 : 0.75, y[i] = i % 2;
    HHErr err = {0};
    double ece;
    StatsCalBin b4[4];
    ASSERT_OK(stats_calibration(p, y, 200, 4, b4, &ece, &err));
    chk_rel(&c, ece, 0.25, 1e-15, "ECE of constructed miscalibrated case");
    chk_rel(&c, (double)b4[1].count, 100, 0, "bin [0.25, 0.5) holds p = 0.25");
    chk_rel(&c, b4[1].obs_freq, 0.5, 0, "bin [0.25, 0.5) observed");
    chk_rel(&c, isnan(b4[0].obs_freq), 1, 0, "empty bin is NaN");
    p[0] = 1.0;  // p = 1 goes in the last bin
    ASSERT_OK(stats_calibration(p, y, 200, 4, b4, &ece, &err));
    chk_rel(&c, (double)b4[3].count, 101, 0, "p = 1 lands in the last bin");
    p[0] = 1.5;
    chk_refused(&c, stats_calibration(p, y, 200, 4, b4, &ece, &err), &err, "stats_calibration");
    gsl_rng_free(r);
    chk_done(&c);
}

static void test_accuracy_by_margin(void **state)
{
    (void)state;
    static const double d[6] = {0.5, -0.5, 1.5, -2.5, 0.0, 3.0};
    static const int y[6] = {1, 0, 0, 0, 1, 1};  // correct: yes yes no yes tie yes
    StatsAccBin b[2];
    size_t ties = 9;
    Chk c = {0};
    HHErr err = {0};
    ASSERT_OK(stats_accuracy_by_margin(d, y, 6, 2.0, 2, b, &ties, &err));
    chk_rel(&c, (double)ties, 1, 0, "ties");
    chk_rel(&c, (double)b[0].count, 2, 0, "bin [0,1) count");
    chk_rel(&c, (double)b[0].correct, 2, 0, "bin [0,1) correct (a loss at d < 0 is correct)");
    chk_rel(&c, (double)b[1].count, 3, 0, "bin [1,2+) count (|d| >= dmax clamped)");
    chk_rel(&c, b[1].acc, 2.0 / 3.0, 1e-15, "bin [1,2+) accuracy");
    chk_rel(&c, b[0].ideal, 1 / (1 + exp(-0.5)), 1e-15, "bin [0,1) ideal at centre 0.5");
    chk_rel(&c, b[1].ideal_mean,
            (1 / (1 + exp(-1.5)) + 1 / (1 + exp(-2.5)) + 1 / (1 + exp(-3.0))) / 3, 1e-15,
            "bin [1,2+) mean ideal");
    double lo, hi;
    ASSERT_OK(stats_wilson(2, 3, 0.95, &lo, &hi, &err));
    chk_rel(&c, b[1].ci_lo, lo, 1e-15, "bin [1,2+) Wilson lo");
    chk_refused(&c, stats_accuracy_by_margin(d, y, 6, 0.0, 2, b, &ties, &err), &err,
                "stats_accuracy_by_margin");
    chk_done(&c);
}

// ------------------------------------------------------------------ Elo

static void test_elo_two_players(void **state)
{
    (void)state;
    // 3 wins to 1: p = 3/4, E0 - E1 = 400 log10 3; var(theta) = 1/(n p (1-p)).
    static const double wins[4] = {0, 3, 1, 0};
    Chk c = {0};
    HHErr err = {0};
    StatsElo *e = stats_elo_alloc(2, &err);
    assert_non_null(e);
    ASSERT_OK(stats_elo_fit(e, wins, 0, &err));
    chk_rel(&c, e->elo[0], 0, 0, "pinned player");
    chk_rel(&c, e->elo[1], -190.848501887864975, 1e-12, "elo of 1:3 player");
    chk_rel(&c, e->se[1], 200.592028827529198, 1e-12, "se of 1:3 player");
    chk_rel(&c, e->loglik, 3 * log(0.75) + log(0.25), 1e-12, "log-likelihood");
    static const double lopsided[4] = {0, 1e6, 1, 0};  // E0 - E1 = 400 log10(1e6)
    ASSERT_OK(stats_elo_fit(e, lopsided, 0, &err));
    chk_rel(&c, e->elo[1], -2400, 1e-12, "elo of 1:1e6 player");
    stats_elo_free(e);
    stats_elo_free(NULL);
    chk_done(&c);
}

static void test_elo_recovers(void **state)
{
    (void)state;
    enum { K = 5 };
    static const double truth[K] = {0, 120, -80, 250, 40};
    double wins[K * K] = {0};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    for (size_t i = 0; i < K; i++)
        for (size_t j = i + 1; j < K; j++) {
            unsigned int g = 4000, wi = gsl_ran_binomial(r, stats_elo_prob(truth[i] - truth[j]), g);
            wins[i * K + j] = wi;
            wins[j * K + i] = g - wi;
        }
    Chk c = {0};
    HHErr err = {0};
    StatsElo *e = stats_elo_alloc(K, &err);
    assert_non_null(e);
    ASSERT_OK(stats_elo_fit(e, wins, 0, &err));
    for (size_t i = 1; i < K; i++) {
        chk_abs(&c, e->elo[i], truth[i], 4 * e->se[i], "elo[%zu] within 4 se (se %.2f)", i, e->se[i]);
        // Equal ratings give the largest information, var(theta_i) = 8/(n K) with
        // n = 4000 games a pair: a lower bound on se, 3.474 Elo; unequal adds ~20%.
        chk_abs(&c, e->se[i], 1.15 * 3.474, 0.15 * 3.474, "se[%zu] in [bound, 1.3 bound]", i);
    }
    chk_rel(&c, e->cov[1 * K + 1], e->se[1] * e->se[1], 1e-14, "cov diagonal = se^2");
    wins[2 * K + 0] = wins[2 * K + 1] = wins[2 * K + 3] = wins[2 * K + 4] = 0;  // 2 never wins
    chk_refused(&c, stats_elo_fit(e, wins, 0, &err), &err, "stats_elo_fit");
    chk_refused(&c, stats_elo_fit(e, wins, K, &err), &err, "stats_elo_fit");
    stats_elo_free(e);
    gsl_rng_free(r);
    chk_done(&c);
}

// ------------------------------------------------------------- helpers

static void test_sigmoid(void **state)
{
    (void)state;
    Chk c = {0};
    chk_rel(&c, stats_sigmoid(0), 0.5, 0, "sigmoid(0)");
    chk_rel(&c, stats_sigmoid(-700), exp(-700) / (1 + exp(-700)), 1e-14, "sigmoid(-700)");
    chk_rel(&c, stats_sigmoid(800), 1, 0, "sigmoid(800)");
    chk_rel(&c, stats_sigmoid(-800), 0, 0, "sigmoid(-800)");
    chk_rel(&c, stats_sigmoid(2) + stats_sigmoid(-2), 1, 2.3e-16, "sigmoid symmetry");
    chk_rel(&c, stats_log_sigmoid(-800), -800, 1e-15, "log sigmoid(-800)");
    chk_rel(&c, stats_log_sigmoid(40), -exp(-40), 1e-14, "log sigmoid(40)");
    chk_rel(&c, stats_elo_prob(400), 10.0 / 11.0, 1e-15, "P(win) at +400 Elo");
    chk_done(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_norris),
        cmocka_unit_test(test_wlinear_replicated),
        cmocka_unit_test(test_linear_refuses),
        cmocka_unit_test(test_multifit_longley),
        cmocka_unit_test(test_multifit_norris),
        cmocka_unit_test(test_multifit_synthetic),
        cmocka_unit_test(test_nlfit_misra1a),
        cmocka_unit_test(test_nlfit_weighted),
        cmocka_unit_test(test_nlfit_gao),
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_mean_tci),
        cmocka_unit_test(test_boot_determinism),
        cmocka_unit_test(test_boot_coverage),
        cmocka_unit_test(test_hboot_seed_variance),
        cmocka_unit_test(test_calibration),
        cmocka_unit_test(test_accuracy_by_margin),
        cmocka_unit_test(test_elo_two_players),
        cmocka_unit_test(test_elo_recovers),
        cmocka_unit_test(test_sigmoid),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
