// test_online.c - hhfit's online-training statistics (analysis/onlinedata.h,
// onlinereport.h) on planted data with known answers: the base data's 75th
// percentile, the share above it, the upper-tail gain (round share minus base
// share) with and without ties, the Student-t band across seeds (t(2, 0.975)
// = 4.302653 from tables), and the last round every seed has.
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q75_and_share), cmocka_unit_test(test_tail_gain_planted),
        cmocka_unit_test(test_tband), cmocka_unit_test(test_last_round),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
