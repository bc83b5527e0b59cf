// test_hhfit.c - hhfit's analysis functions on synthetic inputs with known
// answers: a planted log-linear accuracy surface, a perfectly calibrated PM,
// accuracy above a threshold, counting rules, sweep recognition, the claims
// verdict rule, claims.tsv parsing and the table writer. Every failed check
// prints the measured and the expected value.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "claims.h"
#include "pmdata.h"
#include "pmstats.h"
#include "rng.h"
#include "gpscript.h"
#include "stats.h"
#include "table.h"

// ---------------------------------------------------------------------------
// log-linear fit

static void test_loglinear_planted(void **state) {
    (void)state;
    const double a = 0.31, b = 0.017, c = 0.026;
    double P[16], N[16], A[16];
    const double Ps[4] = {5e3, 3e4, 1e5, 8e5}, Ns[4] = {250, 500, 1000, 4000};
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++, n++)
            P[n] = Ps[i], N[n] = Ns[j], A[n] = a + b * log(P[n]) + c * log(N[n]);
    LogLinFit f;
    HHErr err;
    assert_int_equal(pm_fit_loglinear(P, N, A, n, &f, &err), 0);
    CHECK_NEAR(f.coef[0], a, 1e-10, "planted a");
    CHECK_NEAR(f.coef[1], b, 1e-12, "planted b");
    CHECK_NEAR(f.coef[2], c, 1e-12, "planted c");
    CHECK_NEAR(f.ratio, c / b, 1e-9, "c/b");
    CHECK_NEAR(f.r2, 1.0, 1e-12, "R^2 of an exact surface");
    CHECK_INT(f.dof, 13, "dof = 16 - 3");
    // with noise, the 95% intervals cover the planted values
    gsl_rng *r = rng_stream_alloc(1, "test", "loglinear");
    for (size_t i = 0; i < n; i++) A[i] += 0.002 * (gsl_rng_uniform(r) - 0.5);
    gsl_rng_free(r);
    assert_int_equal(pm_fit_loglinear(P, N, A, n, &f, &err), 0);
    for (int k = 0; k < 3; k++) {
        double want = k == 0 ? a : k == 1 ? b : c;
        if (!(f.lo[k] <= want && want <= f.hi[k])) {
            print_message("FAIL coefficient %d: CI [%g, %g] misses %g\n", k, f.lo[k], f.hi[k], want);
            fail();
        }
    }
    assert_int_not_equal(pm_fit_loglinear(P, N, A, 3, &f, &err), 0);  // too few points
}

// ---------------------------------------------------------------------------
// counting, thresholds

// 10 pairs: margins +1,-1,+1,0(tie),+1,-1,+1,+1,-1,+1; smax 0..9; first 6 helpful.
static void ten_pairs(PMRec *r) {
    const double m[10] = {1, -1, 1, 0, 1, -1, 1, 1, -1, 1};
    double s[10];
    int8_t turn[10] = {1, 1, 2, 2, 3, 1, 1, 2, 3, 1}, gold[10] = {1, 1, -1, 1, 0, -1, 1, 1, 1, 0};
    for (int i = 0; i < 10; i++) s[i] = i;
    HHErr err;
    assert_int_equal(pmrec_init(r, "xs", 1e4, 100, 0.5, 1, 0, "size", 10, 6, m, s, turn, gold, &err), 0);
}

static void test_counts(void **state) {
    (void)state;
    PMRec r;
    ten_pairs(&r);
    const PMRec *g[1] = {&r};
    PairSel s = pairsel_all();
    AccCount c = pm_count(g, 1, NULL, 0, &s);
    CHECK_NEAR(c.k, 6.5, 0, "correct with a tie as 1/2");
    CHECK_INT(c.n, 10, "pairs");
    s.setmask = 2;  // harmless: pairs 6..9 -> +1,+1,-1,+1
    c = pm_count(g, 1, NULL, 0, &s);
    CHECK_NEAR(c.k / c.n, 0.75, 1e-15, "harmless accuracy");
    s = pairsel_all();
    s.turn_min = s.turn_max = 1;  // pairs 0,1,5,6,9 -> 1,0,0,1,1
    c = pm_count(g, 1, NULL, 0, &s);
    CHECK_NEAR(c.k / c.n, 0.6, 1e-15, "turn-1 accuracy");
    s = pairsel_all();
    s.vs_gold = 1;  // gold != 0: 0,1,2,3,5,6,7,8 -> m*gold = 1,-1,-1,0,1,1,1,-1
    c = pm_count(g, 1, NULL, 0, &s);
    CHECK_INT(c.n, 8, "pairs with a gold preference");
    CHECK_NEAR(c.k, 4.5, 0, "agreements with gold");
    s = pairsel_all();
    s.zmin = 5;  // pairs 5..9 -> 0,1,1,0,1
    c = pm_count(g, 1, NULL, 0, &s);
    CHECK_NEAR(c.k / c.n, 0.6, 1e-15, "accuracy above threshold 5");
    // more selections in turn than pm_count keeps per record (evictions):
    // each count is still its own selection's (normalised score of pair i is i)
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < 10; k++) {
            s = pairsel_all();
            s.zmin = k;
            size_t idx[3] = {9, 0, 9};  // with replacement, and one pair below every threshold but 0
            c = pm_count(g, 1, NULL, 0, &s);
            CHECK_INT(c.n, 10 - k, "pairs above a threshold, selections in turn");
            c = pm_count(g, 1, idx, 3, &s);
            CHECK_INT(c.n, k == 0 ? 3 : 2, "resampled pairs above a threshold");
        }
    s.zmin = 9.5;
    CHECK_INT(pm_count(g, 1, NULL, 0, &s).n, 0, "no pair above the top");
    size_t idx[4] = {0, 0, 1, 9};  // a resample with repeats
    s = pairsel_all();
    c = pm_count(g, 1, idx, 4, &s);
    CHECK_NEAR(c.k / c.n, 0.75, 1e-15, "accuracy of a resample");
    StatsCI ci = acc_ci((AccCount){8, 10});
    double lo, hi;
    HHErr err;
    assert_int_equal(stats_wilson(8, 10, 0.95, &lo, &hi, &err), 0);
    CHECK_NEAR(ci.lo, lo, 1e-12, "Wilson lower bound = stats_wilson");
    CHECK_NEAR(ci.hi, hi, 1e-12, "Wilson upper bound = stats_wilson");
    pmrec_free(&r);
}

// ---------------------------------------------------------------------------
// calibration

// n pairs whose chosen side is drawn from the PM's own probability.
static void calibrated_pm(PMRec *r, int n, double scale, const char *stream) {
    double *m = malloc(sizeof(double) * (size_t)n);
    gsl_rng *g = rng_stream_alloc(7, "test", stream);
    for (int i = 0; i < n; i++) {
        double d = 4 * gsl_rng_uniform(g);  // true log-odds
        int chosen_higher = gsl_rng_uniform(g) < stats_sigmoid(d);
        m[i] = (chosen_higher ? d : -d) * scale;  // scale != 1: miscalibrated scores
    }
    gsl_rng_free(g);
    HHErr err;
    assert_int_equal(pmrec_init(r, "s", 3e4, 100, 0.5, 1, 0, "size", n, n / 2, m, NULL, NULL, NULL, &err), 0);
    free(m);
}

static void test_calibration(void **state) {
    (void)state;
    PMRec r;
    calibrated_pm(&r, 200000, 1.0, "cal");
    const PMRec *g[1] = {&r};
    PairSel s = pairsel_all();
    StatsCalBin bins[10];
    double ece, null;
    HHErr err;
    assert_int_equal(pm_calibration(g, 1, NULL, 0, &s, 10, bins, &ece, &err), 0);
    CHECK_NEAR(ece, 0, 0.005, "ECE of a perfectly calibrated PM (n = 200000)");
    CHECK_INT(bins[2].count, 0, "no predictions below 0.5");
    gsl_rng *rr = rng_stream_alloc(7, "test", "null");
    assert_int_equal(pm_ece_null(g, 1, &s, 10, 20, rr, &null, &err), 0);
    gsl_rng_free(rr);
    CHECK_NEAR(null, ece, 0.005, "null ECE is the finite-sample floor");
    StatsAccBin mb[8];
    assert_int_equal(pm_margin_bins(g, 1, &s, 4.0, 8, mb, &err), 0);
    for (int b = 0; b < 8; b++) CHECK_NEAR(mb[b].acc, mb[b].ideal_mean, 0.02, "bin accuracy = ideal");
    pmrec_free(&r);
    calibrated_pm(&r, 200000, 3.0, "cal");  // over-confident scores
    assert_int_equal(pm_calibration(g, 1, NULL, 0, &s, 10, NULL, &ece, &err), 0);
    if (!(ece > 0.08)) {
        print_message("FAIL ECE of an over-confident PM: measured %g, expected > 0.08\n", ece);
        fail();
    }
    pmrec_free(&r);
}

// ---------------------------------------------------------------------------
// bootstrap

static double mean_acc(const size_t *idx, size_t n, void *ctx) {
    const PMRec *g[1] = {ctx};
    PairSel s = pairsel_all();
    AccCount c = pm_count(g, 1, idx, n, &s);
    return c.k / (double)c.n;
}

static void test_bootstrap(void **state) {
    (void)state;
    PMRec r;
    calibrated_pm(&r, 2000, 1.0, "boot");
    StatsCI a, b;
    HHErr err;
    gsl_rng *g = rng_stream_alloc(7, "hhfit", "claim/x");
    assert_int_equal(pm_boot(mean_acc, &r, 2000, 500, g, &a, &err), 0);
    gsl_rng_free(g);
    g = rng_stream_alloc(7, "hhfit", "claim/x");
    assert_int_equal(pm_boot(mean_acc, &r, 2000, 500, g, &b, &err), 0);
    gsl_rng_free(g);
    CHECK_NEAR(a.lo, b.lo, 0, "same stream, same interval (lo)");
    CHECK_NEAR(a.hi, b.hi, 0, "same stream, same interval (hi)");
    const PMRec *gg[1] = {&r};
    PairSel s = pairsel_all();
    StatsCI w = acc_ci(pm_count(gg, 1, NULL, 0, &s));
    CHECK_NEAR(a.hi - a.lo, w.hi - w.lo, 0.01, "bootstrap width ~ Wilson width");
    pmrec_free(&r);
}

// ---------------------------------------------------------------------------
// sweeps

static void test_sweeps(void **state) {
    (void)state;
    RunData rd;
    memset(&rd, 0, sizeof rd);
    rd.pm = calloc(6, sizeof *rd.pm);
    const double m[4] = {1, 1, -1, 1};
    HHErr err;
    // size sweep 100, 400 with and without PMP; mix sweep at 400: 0 and 1 ("mix"), 0.5 shared with size
    struct { const char *sw; int n, pmp; double f; } J[6] = {{"size", 100, 0, 0.5}, {"size", 100, 1, 0.5},
        {"size", 400, 1, 0.5}, {"size", 400, 0, 0.5}, {"mix", 400, 1, 0.0}, {"mix", 400, 1, 1.0}};
    for (int k = 0; k < 6; k++)
        assert_int_equal(pmrec_init(&rd.pm[rd.npm++], "xs", 1e4, J[k].n, J[k].f, J[k].pmp, 0, J[k].sw, 4, 2,
                                    m, NULL, NULL, NULL, &err), 0);
    Sweeps sw;
    sweeps_find(&rd, &sw);
    CHECK_INT(sw.nscale, 1, "scales");
    CHECK_INT(sw.nsize, 2, "sizes");
    CHECK_INT(sw.pmp_default, 1, "PMP by default");
    CHECK_INT(sw.has_nopmp, 1, "no-PMP variant present");
    CHECK_INT(sw.mix_n, 400, "mix total");
    CHECK_INT(sw.nmix, 3, "mixes incl. the shared HH point");
    CHECK_NEAR(sw.mix[1], 0.5, 0, "middle mix");
    const PMRec *g[8];
    CHECK_INT(pm_group(&rd, &sw, 1, "xs", 0, 0.5, 0, g, 8), 1, "mix group at 0.5");
    CHECK_INT(g[0]->pmp, 1, "the shared point uses the mix sweep's PMP");
    CHECK_INT(pm_group(&rd, &sw, 0, "xs", 100, 0, 0, g, 8), 1, "size group without PMP");
    run_free(&rd);
}

// ---------------------------------------------------------------------------
// claims

static void test_verdicts(void **state) {
    (void)state;
    Criterion gt, lt, none;
    HHErr err;
    assert_int_equal(criterion_parse("> 0", &gt, &err), 0);
    assert_int_equal(criterion_parse("<0.1", &lt, &err), 0);
    assert_int_equal(criterion_parse("-", &none, &err), 0);
    CHECK_NEAR(lt.thr, 0.1, 0, "parsed threshold");
    assert_int_equal(criterion_parse("= 3", &gt, &err), HH_EINPUT);
    assert_int_equal(criterion_parse(">", &gt, &err), HH_EINPUT);
    assert_int_equal(criterion_parse("> 0 x", &gt, &err), HH_EINPUT);
    assert_int_equal(criterion_parse("> 0", &gt, &err), 0);
    CHECK_INT(claim_verdict(&gt, 0.1, 0.05, 0.2), VERDICT_REPRODUCED, "> 0, CI above");
    CHECK_INT(claim_verdict(&gt, -0.1, -0.2, -0.05), VERDICT_NOT_REPRODUCED, "> 0, CI below");
    CHECK_INT(claim_verdict(&gt, 0.05, -0.01, 0.1), VERDICT_INCONCLUSIVE, "> 0, CI straddles");
    CHECK_INT(claim_verdict(&gt, 0.05, 0.0, 0.1), VERDICT_INCONCLUSIVE, "> 0, CI touches 0");
    CHECK_INT(claim_verdict(&lt, 0.05, 0.02, 0.08), VERDICT_REPRODUCED, "< 0.1, CI below");
    CHECK_INT(claim_verdict(&lt, 0.2, 0.15, 0.3), VERDICT_NOT_REPRODUCED, "< 0.1, CI above");
    CHECK_INT(claim_verdict(&lt, 0.09, 0.05, 0.12), VERDICT_INCONCLUSIVE, "< 0.1, CI straddles");
    CHECK_INT(claim_verdict(&gt, NAN, NAN, NAN), VERDICT_PENDING, "no estimate");
    CHECK_INT(claim_verdict(&none, 1, 0, 2), VERDICT_PENDING, "no criterion");
    ClaimRow rows[2] = {{.criterion = "> 0"}, {.criterion = "> 0"}};
    ClaimStat st[2] = {{.available = 1, .est = 1, .lo = 0.5, .hi = 1.5}, {.available = 0, .est = 1, .lo = 0.5, .hi = 1.5}};
    ClaimResult res[2];
    claims_decide(rows, 2, st, res);
    CHECK_INT(res[0].verdict, VERDICT_REPRODUCED, "decided");
    CHECK_INT(res[1].verdict, VERDICT_PENDING, "unavailable statistic is pending");
}

static int write_tmp(char *path, const char *text) {
    snprintf(path, 64, "/tmp/test_hhfit_%ld.tsv", (long)getpid());
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

// The statistic-name helpers of the claims modules.
static void test_claim_names(void **state) {
    (void)state;
    const char *const names[] = {"fit_b", "gao_b_min", "pending", NULL};
    char buf[64], small[10];
    assert_true(claims_name_in(names, "gao_b_min"));
    assert_false(claims_name_in(names, "gao_b"));
    assert_string_equal(claims_names_join(names, buf, sizeof buf), "fit_b, gao_b_min, pending");
    assert_string_equal(claims_names_join(names, small, sizeof small), "fit_b, ga");
    ClaimStat o = {0};
    claim_stat_set(&o, 0.5, 0.25, 0.75, 12);
    assert_int_equal(o.available, 1);
    assert_true(o.est == 0.5 && o.lo == 0.25 && o.hi == 0.75 && o.n == 12);
}

static void test_claims_tsv(void **state) {
    (void)state;
    char path[64];
    ClaimRow *rows;
    int n;
    HHErr err;
    assert_int_equal(write_tmp(path, "# comment\nid\tfigure\tstatement\tstatistic\tcriterion\trationale\n"
                                     "a\t7\tsize helps\tfit_b\t> 0\tsign\nb\t1\tElo\tpending\t-\tlater\n"), 0);
    assert_int_equal(claims_read(path, &rows, &n, &err), 0);
    CHECK_INT(n, 2, "rows read");
    assert_string_equal(rows[0].statistic, "fit_b");
    CHECK_INT(rows[1].line, 4, "line numbers count comments");
    free(rows);
    assert_int_equal(write_tmp(path, "a\t7\tx\tfit_b\t> 0\ty\na\t7\tx\tfit_c\t> 0\ty\n"), 0);
    assert_int_equal(claims_read(path, &rows, &n, &err), HH_EINPUT);
    assert_non_null(strstr(err.msg, ":2: duplicate id 'a'"));
    assert_int_equal(write_tmp(path, "a\t7\tx\tfit_b\n"), 0);
    assert_int_equal(claims_read(path, &rows, &n, &err), HH_EINPUT);
    assert_non_null(strstr(err.msg, ":1: 4 tab-separated fields"));
    assert_int_equal(write_tmp(path, "a\t7\tx\tpending\t> 0\ty\n"), 0);
    assert_int_equal(claims_read(path, &rows, &n, &err), HH_EINPUT);
    unlink(path);
}

// ---------------------------------------------------------------------------
// tables

static void test_table(void **state) {
    (void)state;
    HHErr err;
    assert_null(tab_alloc("t", "d", "a:x:units", &err));  // bad type
    assert_null(tab_alloc("t", "d", "a:f", &err));        // no units
    Tab *t = tab_alloc("t", "d", "scale:s:-;n:i:count;acc:f:fraction", &err);
    assert_non_null(t);
    size_t r = tab_add_row(t);
    tab_sets(t, r, "scale", "xs"), tab_seti(t, r, "n", 7), tab_setf(t, r, "acc", 0.625);
    CHECK_NEAR(tab_getf(t, r, "acc"), 0.625, 0, "cell read back");
    CHECK_NEAR(tab_getf(t, r, "n"), 7, 0, "int cell");
    assert_string_equal(tab_gets(t, r, "scale"), "xs");
    assert_string_equal(t->bad, "");
    tab_setf(t, r, "accuracy", 1);  // typo: the table becomes invalid
    assert_non_null(strstr(t->bad, "unknown column 'accuracy'"));
    tab_free(t);
}

// The text f holds (rewound), in buf.
static const char *slurp(FILE *f, char *buf, size_t n) {
    rewind(f);
    size_t k = fread(buf, 1, n - 1, f);
    buf[k] = '\0';
    return buf;
}

static int positive_acc(const Tab *t, size_t r, const void *ctx) {
    (void)ctx;
    return tab_getf(t, r, "acc") > 0;
}

// Datablocks written from a table: column selection, formats, row filters,
// blocks split where a column changes, and the NaN row of an empty block.
static void test_table_datablock(void **state) {
    (void)state;
    HHErr err;
    Tab *t = tab_alloc("t", "d", "scale:s:-;n:i:count;acc:f:fraction;params:f:parameters", &err);
    assert_non_null(t);
    const char *SC[4] = {"xs", "xs", "s", "s"};
    const double ACC[4] = {0.5, 0.625, 0.0, 0.71234567}, P[4] = {5394, 5394, 29634, 29634};
    for (int k = 0; k < 4; k++) {
        size_t r = tab_add_row(t);
        tab_sets(t, r, "scale", SC[k]), tab_seti(t, r, "n", 100 * (k + 1));
        tab_setf(t, r, "acc", ACC[k]), tab_setf(t, r, "params", P[k]);
    }
    char buf[1024];
    FILE *f = tmpfile();
    assert_non_null(f);
    TabWhere w = tab_where("scale", "s");
    assert_int_equal(gp_tab_rows(f, t, "n acc params:%.9g scale", &w), 2);
    assert_string_equal(slurp(f, buf, sizeof buf), "300 0.000000 29634 s\n400 0.712346 29634 s\n");
    f = freopen(NULL, "w+", f);
    w = tab_where("n", "200");  // a numeric column compares numbers
    tab_where_and(&w, "scale", "xs");
    assert_int_equal(gp_tab_rows(f, t, "acc:%.3g n:%d", &w), 1);
    assert_string_equal(slurp(f, buf, sizeof buf), "0.625 200\n");
    f = freopen(NULL, "w+", f);
    w = tab_where(NULL, NULL);
    w.keep = positive_acc;
    assert_int_equal(gp_tab_block(f, "$b", "n acc", t, "n acc", &w, "scale"), 2);
    assert_string_equal(slurp(f, buf, sizeof buf),
                        "$b << EOD\n# n acc\n100 0.500000\n200 0.625000\n\n\n400 0.712346\nEOD\n");
    f = freopen(NULL, "w+", f);
    w = tab_where("scale", "m");  // no rows: one NaN per column
    assert_int_equal(gp_tab_block(f, "$e", NULL, t, "n acc scale", &w, NULL), 0);
    assert_string_equal(slurp(f, buf, sizeof buf), "$e << EOD\nNaN NaN NaN\nEOD\n");
    double v[4];
    w = tab_where("scale", "xs");
    assert_int_equal(tab_values(t, "n", &w, v, 4), 2);
    CHECK_NEAR(v[1], 200, 0, "tab_values");
    assert_string_equal(t->bad, "");
    f = freopen(NULL, "w+", f);
    assert_int_equal(gp_tab_rows(f, t, "acc:%s", NULL), 0);  // a string format on a number: invalid
    assert_non_null(strstr(t->bad, "bad format for column 'acc'"));
    t->bad[0] = '\0';
    w = tab_where("sclae", "xs");  // a typo in a selection is never silent
    assert_int_equal(gp_tab_rows(f, t, "acc", &w), 0);
    assert_non_null(strstr(t->bad, "unknown column selecting rows 'sclae'"));
    assert_int_not_equal(tab_write(t, H5I_INVALID_HID, &err), 0);
    assert_non_null(strstr(err.msg, "sclae"));
    fclose(f);
    tab_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loglinear_planted), cmocka_unit_test(test_counts),
        cmocka_unit_test(test_calibration),       cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_sweeps),            cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_claims_tsv),        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_datablock),
        cmocka_unit_test(test_claim_names),
    };
    return cmocka_run_group_tests_name("hhfit analysis", tests, NULL, NULL);
}
