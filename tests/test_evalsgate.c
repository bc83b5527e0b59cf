// test_evalsgate.c - the RL validity gate of the alignment claims
// (analysis/evalsgate.h) on crafted rl files: a curve whose benign help at
// the kept iteration fell by more than 0.10 from iteration 0 is invalid, one
// that fell by less (or rose) is valid, the boundary is inclusive; a bad
// kept_iter (not one of /curve/iter, of another type, missing), a bad
// kept_kl and a curve without iteration 0 are refused with HH_EINPUT naming
// the file and the attribute; claims_decide makes a gated statistic
// INCONCLUSIVE whatever its interval.
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
#include <hdf5.h>

#include "claims.h"
#include "evalsgate.h"
#include "h5io.h"
#include "rldata.h"
#include "schema.h"

enum { NPT = 5 };
static const double ITER[NPT] = {0, 1, 2, 4, 8};
static char DIR_[256];

typedef struct {
    int kept_iter;          // written as int32 unless kept_iter_double
    int kept_iter_double;   // 1: kept_iter written as a float64
    int no_kept_iter;       // 1: not written
    double kept_kl;
    int first_iter;         // added to every /curve/iter (0 normally)
} Craft;

// rl file PATH with benign help help[i] at ITER[i]; everything else plausible.
static void write_rl(const char *path, const double *help, const Craft *c) {
    Params p;
    params_defaults(&p);
    H5Out o;
    HHErr err;
    assert_int_equal(h5out_create(&o, path, "rl", &p, &err), 0);
    static const char *A[7][2] = {{"policy", "xs"}, {"pm_scale", "s"}, {"variant", "hh"},
                                  {"train_pm", "s_half0"}, {"test_pm", "s_half1"}, {"big_pm", "s_half0"},
                                  {"big_pm_scale", "s"}};
    hid_t jg = h5_group(o.file, "job", &err);
    assert_true(jg >= 0);
    H5Gclose(jg);
    for (int k = 0; k < 7; k++) assert_int_equal(h5_attr_str(o.file, "job", A[k][0], A[k][1], &err), 0);
    assert_int_equal(h5_attr_int(o.file, "job", "seed", 2, &err), 0);
    hid_t g = h5_group(o.file, "model", &err);
    assert_true(g >= 0);
    H5Gclose(g);
    if (!c->no_kept_iter) {
        if (c->kept_iter_double)
            assert_int_equal(h5_attr_double(o.file, "model", "kept_iter", c->kept_iter, &err), 0);
        else
            assert_int_equal(h5_attr_int(o.file, "model", "kept_iter", c->kept_iter, &err), 0);
    }
    assert_int_equal(h5_attr_double(o.file, "model", "kept_kl", c->kept_kl, &err), 0);
    hsize_t d = NPT;
    for (int col = 0; col < RL_NCOL; col++) {
        double v[NPT];
        for (int i = 0; i < NPT; i++) {
            v[i] = col == RL_ITER ? ITER[i] + c->first_iter
                 : col == RL_KL ? 0.5 * ITER[i] : col == RL_SQRT_KL ? sqrt(0.5 * ITER[i])
                 : col == RL_HELP_BENIGN ? help[i] : 0.25;
        }
        char nm[64];
        snprintf(nm, sizeof nm, "curve/%s", RL_COLNAME(col));
        assert_int_equal(h5_write(o.file, nm, H5T_NATIVE_DOUBLE, 1, &d, v, "u", "d", &err), 0);
    }
    assert_int_equal(h5out_commit(&o, &err), 0);
}

static const Craft OK = {.kept_iter = 4, .kept_kl = 2.0};

static int setup(void **state) {
    (void)state;
    snprintf(DIR_, sizeof DIR_, "/tmp/test_evalsgate_%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", DIR_);
    return system(cmd);
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", DIR_);
    return system(cmd);
}

static void path_of(char *buf, size_t n, const char *stem) { snprintf(buf, n, "%s/%s.h5", DIR_, stem); }

// help 0.60 at iteration 0, 0.45 at the kept iteration 4: a loss of 0.15 > 0.10 -> invalid,
// although the final iteration recovered (the gate reads the kept row, not the last).
static void test_collapsed_policy_invalid(void **state) {
    (void)state;
    char path[300];
    path_of(path, sizeof path, "xs_s_hh_s2");
    const double help[NPT] = {0.60, 0.58, 0.52, 0.45, 0.70};
    write_rl(path, help, &OK);
    EVGate g;
    HHErr err;
    assert_int_equal(evg_read(path, NULL, &g, &err), 0);
    assert_string_equal(g.name, "xs_s_hh_s2");
    assert_string_equal(g.scale, "xs");
    assert_string_equal(g.variant, "hh");
    assert_int_equal(g.seed, 2);
    assert_int_equal(g.kept_iter, 4);
    assert_true(g.help0 == 0.60 && g.help_kept == 0.45);
    assert_true(g.kept_kl == 2.0);
    assert_int_equal(g.valid, 0);
}

// help 0.60 -> 0.52 at the kept iteration 2 (loss 0.08 <= 0.10) -> valid, though the last
// evaluation (0.05) collapsed: the kept policy is what the evals tested.
static void test_kept_policy_valid(void **state) {
    (void)state;
    char path[300];
    path_of(path, sizeof path, "xs_s_hh_s3");
    const double help[NPT] = {0.60, 0.58, 0.52, 0.20, 0.05};
    Craft c = OK;
    c.kept_iter = 2;
    write_rl(path, help, &c);
    EVGate g;
    HHErr err;
    assert_int_equal(evg_read(path, NULL, &g, &err), 0);
    assert_int_equal(g.valid, 1);
    assert_true(g.help_kept == 0.52);
    // the same curve handing on iteration 4 or 8 fails
    c.kept_iter = 8;
    write_rl(path, help, &c);
    assert_int_equal(evg_read(path, NULL, &g, &err), 0);
    assert_int_equal(g.valid, 0);
    assert_true(g.help_kept == 0.05);
    // a rise is valid ...
    const double up[NPT] = {0.30, 0.35, 0.40, 0.50, 0.55};
    write_rl(path, up, &OK);
    assert_int_equal(evg_read(path, NULL, &g, &err), 0);
    assert_int_equal(g.valid, 1);
    // ... and help_kept == help0 - 0.10 computed in doubles is valid (>=)
    double h0 = 0.625, edge[NPT];
    for (int i = 0; i < NPT; i++) edge[i] = h0 - EVG_DELTA;
    edge[0] = h0;
    write_rl(path, edge, &OK);
    assert_int_equal(evg_read(path, NULL, &g, &err), 0);
    assert_int_equal(g.valid, 1);
}

static void expect_refused(const char *stem, const Craft *c, const char *what) {
    char path[300];
    path_of(path, sizeof path, stem);
    const double help[NPT] = {0.6, 0.6, 0.6, 0.6, 0.6};
    write_rl(path, help, c);
    EVGate g;
    HHErr err;
    memset(&err, 0, sizeof err);
    int rc = evg_read(path, NULL, &g, &err);
    if (rc != HH_EINPUT) fail_msg("%s: rc %d, message '%s'", stem, rc, err.msg);
    assert_non_null(strstr(err.msg, path));
    if (!strstr(err.msg, what)) fail_msg("message '%s' lacks '%s'", err.msg, what);
    assert_null(strchr(err.msg, '\n'));
}

static void test_bad_kept_iter_refused(void **state) {
    (void)state;
    Craft c = OK;
    c.kept_iter = 3;  // not an evaluation iteration
    expect_refused("bad_iter", &c, "attribute kept_iter on /model is 3; allowed: one of /curve/iter");
    c = OK;
    c.kept_iter_double = 1;  // a float, not an integer
    expect_refused("float_iter", &c, "attribute kept_iter on /model is of another type");
    c = OK;
    c.no_kept_iter = 1;
    expect_refused("no_iter", &c, "attribute kept_iter on /model is missing");
    c = OK;
    c.kept_iter = -1;
    expect_refused("neg_iter", &c, "attribute kept_iter on /model is out of range");
    c = OK;
    c.kept_kl = -0.5;
    expect_refused("neg_kl", &c, "attribute kept_kl on /model is -0.5");
    c = OK;
    c.kept_kl = NAN;
    expect_refused("nan_kl", &c, "kept_kl");
    c = OK;
    c.first_iter = -5;  // the rl reader's own check: iterations whole and >= 0
    c.kept_iter = 3;
    expect_refused("neg_first", &c, "curve/iter");
}

static void test_no_iteration_zero_refused(void **state) {
    (void)state;
    Craft c = OK;
    c.first_iter = 1;  // iterations 1, 2, 3, 5, 9
    c.kept_iter = 5;
    expect_refused("no_zero", &c, "/curve/iter has no iteration 0");
}

// claims_decide: an inconclusive-flagged statistic gets INCONCLUSIVE even when its interval
// is wholly on the claim's side; unflagged, the same numbers are REPRODUCED.
static void test_gate_forces_inconclusive(void **state) {
    (void)state;
    ClaimRow row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "alignment_tax_small_models");
    snprintf(row.criterion, sizeof row.criterion, "< 0");
    ClaimStat st;
    memset(&st, 0, sizeof st);
    claim_stat_set(&st, -0.2, -0.3, -0.1, 3);
    ClaimResult res;
    claims_decide(&row, 1, &st, &res);
    assert_int_equal(res.verdict, VERDICT_REPRODUCED);
    st.inconclusive = 1;
    claims_decide(&row, 1, &st, &res);
    assert_int_equal(res.verdict, VERDICT_INCONCLUSIVE);
}

int main(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collapsed_policy_invalid),
        cmocka_unit_test(test_kept_policy_valid),
        cmocka_unit_test(test_bad_kept_iter_refused),
        cmocka_unit_test(test_no_iteration_zero_refused),
        cmocka_unit_test(test_gate_forces_inconclusive),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
