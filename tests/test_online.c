// test_online.c - hhfit's online-training statistics (analysis/onlinedata.h,
// onlinereport.h) on planted data with known answers: the base data's 75th
// percentile, the share above it, the upper-tail gain (round share minus base
// share) with and without ties, the Student-t band across seeds (t(2, 0.975)
// = 4.302653 from tables), the last round every seed has, the statistic
// against the null (it can be negative, and 0 at a shared ceiling), and the
// online stage's kind quotas (largest remainders); the gold of a policy at
// its kept row (the one an RL run hands on) and at the end of PPO; held-out
// prompts that duplicate a training prompt (overlap.h).
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "onlinedata.h"
#include "onlinereport.h"
#include "online.h"
#include "overlap.h"
#include "rldata.h"

static void test_q75_and_share(void **state) {
    (void)state;
    double base[100];
    for (int i = 0; i < 100; i++) base[i] = 99 - i;  // unsorted on purpose
    // GSL: (n - 1) * 0.75 = 74.25 between 74 and 75
    assert_true(fabs(ond_q75(base, 100) - 74.25) < 1e-12);
    assert_true(fabs(ond_share_above(base, 100, 74.25) - 0.25) < 1e-12);
    assert_true(isnan(ond_q75(base, 0)));
    assert_true(isnan(ond_share_above(base, 0, 1)));
}

static void test_tail_gain_planted(void **state) {
    (void)state;
    double base[100], x[40];
    for (int i = 0; i < 100; i++) base[i] = i;
    for (int i = 0; i < 16; i++) x[i] = 10;        // below the base q75
    for (int i = 16; i < 40; i++) x[i] = 64 + i;   // 80 .. 103: above it
    assert_true(fabs(ond_tail_gain(x, 40, base, 100) - (24.0 / 40 - 0.25)) < 1e-12);  // 0.35
    // the base data against itself: no gain
    assert_true(fabs(ond_tail_gain(base, 100, base, 100)) < 1e-12);
    // a round wholly below: - 0.25
    for (int i = 0; i < 40; i++) x[i] = -5;
    assert_true(fabs(ond_tail_gain(x, 40, base, 100) + 0.25) < 1e-12);
    // ties: a constant base has nothing strictly above its q75; a round above it gains 1
    double flat[8] = {1, 1, 1, 1, 1, 1, 1, 1}, hi[3] = {2, 2, 2};
    assert_true(fabs(ond_tail_gain(hi, 3, flat, 8) - 1.0) < 1e-12);
    assert_true(fabs(ond_tail_gain(flat, 8, flat, 8)) < 1e-12);
}

static void test_tband(void **state) {
    (void)state;
    double v[4] = {1, 2, 3, NAN}, m, lo, hi;
    assert_int_equal(online_tband(v, 4, &m, &lo, &hi), 3);  // NaN skipped
    double h = 4.302653 / sqrt(3.0);
    assert_true(fabs(m - 2) < 1e-12);
    assert_true(fabs(lo - (2 - h)) < 1e-5 && fabs(hi - (2 + h)) < 1e-5);
    assert_int_equal(online_tband(v, 1, &m, &lo, &hi), 1);
    assert_true(m == 1 && isnan(lo) && isnan(hi));
}

static void test_last_round(void **state) {
    (void)state;
    ONRound r[5];
    memset(r, 0, sizeof r);
    int seed[5] = {0, 0, 1, 1, 0}, round[5] = {1, 2, 1, 2, 3};
    for (int i = 0; i < 5; i++) snprintf(r[i].scale, sizeof r[i].scale, "m"), r[i].seed = seed[i], r[i].round = round[i];
    ONData D = {5, r, ""};
    assert_int_equal(online_last_round(&D, "m"), 2);  // seed 1 stops at 2
    D.n = 4;
    r[3].round = 3;  // seed 1: rounds 1 and 3, no 2: its last consecutive round is 1
    assert_int_equal(online_last_round(&D, "m"), 1);
    assert_int_equal(online_last_round(&D, "xs"), 0);
    assert_string_equal(online_main_scale(&D), "m");
}

static void test_tail_vs_null(void **state) {
    (void)state;
    double base[100], x[10], null[20];
    for (int i = 0; i < 100; i++) base[i] = i;  // q75 = 74.25
    for (int i = 0; i < 10; i++) x[i] = i < 7 ? 80 : 10;     // 0.7 above
    for (int i = 0; i < 20; i++) null[i] = i < 5 ? 90 : 0;   // 0.25 above
    assert_true(fabs(ond_tail_vs_null(x, 10, null, 20, base, 100) - 0.45) < 1e-12);
    // the null above the round: negative (the statistic can fail)
    assert_true(fabs(ond_tail_vs_null(null, 20, x, 10, base, 100) + 0.45) < 1e-12);
    // equal at the ceiling: 0, not > 0
    for (int i = 0; i < 10; i++) x[i] = 99;
    for (int i = 0; i < 20; i++) null[i] = 99;
    assert_true(fabs(ond_tail_vs_null(x, 10, null, 20, base, 100)) < 1e-12);
    // a value equal to q75 is not above it
    x[0] = 74.25;
    assert_true(fabs(ond_tail_vs_null(x, 10, null, 20, base, 100) + 0.1) < 1e-12);
}

static void test_kind_quota(void **state) {
    (void)state;
    int q[4];
    int a[4] = {312, 44, 320, 124};  // smoke's base data (800 comparisons), 32 prompts
    online_kind_quota(a, 32, q);
    // 12.48, 1.76, 12.8, 4.96: floors 12, 1, 12, 4 (29); the three largest remainders (.96, .8, .76)
    // get one each, benign's .48 none
    assert_int_equal(q[0], 12), assert_int_equal(q[1], 2), assert_int_equal(q[2], 13), assert_int_equal(q[3], 5);
    int b[4] = {1, 1, 1, 0};
    online_kind_quota(b, 4, q);  // 1.33 each: the tie goes to the lower kind
    assert_int_equal(q[0], 2), assert_int_equal(q[1], 1), assert_int_equal(q[2], 1), assert_int_equal(q[3], 0);
    int c[4] = {0, 0, 0, 0};
    online_kind_quota(c, 7, q);
    assert_int_equal(q[0], 7), assert_int_equal(q[1] + q[2] + q[3], 0);
    int d[4] = {3, 0, 1, 0};
    online_kind_quota(d, 300, q);
    assert_int_equal(q[0], 225), assert_int_equal(q[1], 0), assert_int_equal(q[2], 75), assert_int_equal(q[3], 0);
}

static void test_kept_gold(void **state) {
    (void)state;
    // three evaluations; gold U = (help_benign + help_borderline)/2 - harm_redteam
    double it[3] = {0, 4, 8}, kl[3] = {0, 3, 40}, hb[3] = {0.2, 0.6, 0.1}, hd[3] = {0.4, 0.8, 0.3},
           hx[3] = {0.1, 0.2, 0.7};
    const double *cols[RL_NCOL] = {0};
    cols[RL_ITER] = it, cols[RL_KL] = kl, cols[RL_HELP_BENIGN] = hb, cols[RL_HELP_BORDER] = hd, cols[RL_HARM_RED] = hx;
    RLRec r;
    HHErr err;
    assert_int_equal(rlrec_init(&r, 0, "m", "m", "hh", 0, NAN, NAN, 3, cols, &err), 0);
    assert_int_equal(r.kept, 2);  // synthetic records hand on their last row
    assert_true(fabs(rl_kept_gold(&r) - (0.2 - 0.7)) < 1e-12);
    r.kept = 1;  // a run whose kl_budget kept iteration 4
    assert_true(fabs(rl_kept_gold(&r) - (0.7 - 0.2)) < 1e-12);
    assert_true(fabs(rl_kept_col(&r, RL_KL) - 3) < 1e-12 && fabs(rl_kept_col(&r, RL_ITER) - 4) < 1e-12);
    assert_true(fabs(rl_end_gold(&r) - (0.2 - 0.7)) < 1e-12);  // the end of PPO is unchanged
    assert_true(fabs(rl_end_col(&r, RL_KL) - 40) < 1e-12);
    r.kept = -1;  // no kept row: NaN, never the last row in its place
    assert_true(isnan(rl_kept_gold(&r)) && isnan(rl_kept_col(&r, RL_HARM_RED)));
    assert_true(isnan(rl_kept_gold(NULL)) && isnan(rl_end_gold(NULL)));
    rlrec_free(&r);
}

static void test_overlap_flags(void **state) {
    (void)state;
    enum { C = 4 };
    // train: "ab", "abc", "x"; test: "ab" (dup), "abd" (no: differs in a token), "a" (no: a prefix
    // only), "abc" (dup), "ab" padded differently after its length (dup: only the first len count)
    uint8_t tr[3 * C] = {'a', 'b', 0, 0, 'a', 'b', 'c', 0, 'x', 0, 0, 0};
    int32_t ltr[3] = {2, 3, 1};
    uint8_t te[5 * C] = {'a', 'b', 0, 0, 'a', 'b', 'd', 0, 'a', 0, 0, 0, 'a', 'b', 'c', 0, 'a', 'b', 'z', 'z'};
    int32_t lte[5] = {2, 3, 1, 3, 2};
    int8_t dup[5];
    assert_int_equal(overlap_flags(tr, ltr, 3, te, lte, 5, C, dup), 0);
    int want[5] = {1, 0, 0, 1, 1};
    for (int i = 0; i < 5; i++) assert_int_equal(dup[i], want[i]);
    // no training prompts: nothing duplicates
    assert_int_equal(overlap_flags(tr, ltr, 0, te, lte, 5, C, dup), 0);
    for (int i = 0; i < 5; i++) assert_int_equal(dup[i], 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q75_and_share), cmocka_unit_test(test_tail_gain_planted),
        cmocka_unit_test(test_tband), cmocka_unit_test(test_last_round), cmocka_unit_test(test_tail_vs_null),
        cmocka_unit_test(test_kind_quota), cmocka_unit_test(test_kept_gold), cmocka_unit_test(test_overlap_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
