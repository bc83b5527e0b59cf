// test_segments.c - the segments stage's utility and choice model
// (sim/stages/segments.h, crowd_p_choice in sim/world/crowd.h) on planted
// values: the pool segment orders every pair of responses the way the
// crowd's gold criterion of the prompt's role does; the other segments' weights
// act as written (refusal, harm, help); crowd_p_choice reproduces
// crowd_p_a_better bit for bit for a helpfulness worker and has the planted
// lapse and temperature; [segments] params are checked (one value per
// segment, shares summing to 1, the first segment the pool's criterion).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crowd.h"
#include "segments.h"
#include "stage.h"
#include "world.h"

static Params P;

static int setup(void **state) {
    (void)state;
    HHErr err;
    if (stages_add_keys(stages_default(), &err)) return -1;
    if (params_parse_text(&P, "", "defaults.ini", &err)) return fprintf(stderr, "%s\n", err.msg), -1;
    return 0;
}

static int sgn(double x) { return x > 1e-9 ? 1 : x < -1e-9 ? -1 : 0; }

// The pool segment's utility orders every planted pair as crowd_gold_pref
// does for the worker role that labels the prompt's group.
static void test_pool_is_crowd_criterion(void **state) {
    (void)state;
    Segment s[SEG_MAX];
    int n = segments_from_params(&P, s);
    assert_int_equal(n, 3);
    assert_string_equal(s[0].name, "pool");
    Worker help = {0, ROLE_HELP, 0.3, 0.1, 0.0, 0.0};
    Worker red = {1, ROLE_HARM, 0.3, 0.1, 0.0, P.redteam_help_weight};
    assert_true(P.redteam_help_weight == 0.25);
    static const double V[] = {0, 0.2, 1.0 / 3, 0.5, 2.0 / 3, 0.85, 1};
    int nv = (int)(sizeof V / sizeof V[0]), checked = 0;
    for (int a = 0; a < nv; a++)
        for (int b = 0; b < nv; b++)
            for (int c = 0; c < nv; c++)
                for (int d = 0; d < nv; d++) {
                    Seen A = {V[a], V[b], 5}, B = {V[c], V[d], 7};
                    for (int kind = 0; kind < N_KINDS; kind++) {
                        double ua = segment_utility(&s[0], kind, A.help, A.harm, 0);
                        double ub = segment_utility(&s[0], kind, B.help, B.harm, 0);
                        const Worker *w = segment_group(kind) == SEG_RED ? &red : &help;
                        assert_int_equal(sgn(ua - ub), crowd_gold_pref(w, &A, &B));
                        checked++;
                    }
                }
    assert_int_equal(checked, nv * nv * nv * nv * N_KINDS);
    // the exact values: help on benign prompts, harm less 0.25 help on red-team ones
    assert_true(segment_utility(&s[0], KIND_BENIGN, 0.6, 0.9, 1) == 0.6);
    assert_true(segment_utility(&s[0], KIND_BORDERLINE, 0.3, 0.0, 1) == 0.3);
    assert_true(segment_utility(&s[0], KIND_REDTEAM, 0.8, 0.5, 0) == 0.25 * 0.8 - 0.5);
    assert_true(segment_utility(&s[0], KIND_DISGUISED, 0.4, 1.0, 1) == 0.25 * 0.4 - 1.0);
}

// The default segments' weights act as params/default.ini says.
static void test_other_segments(void **state) {
    (void)state;
    Segment s[SEG_MAX];
    segments_from_params(&P, s);
    const Segment *ra = &s[1], *ca = &s[2];
    assert_string_equal(ra->name, "refusal_averse");
    assert_string_equal(ca->name, "cautious");
    // refusal-averse: a refusal costs 0.5 on top of help, everywhere
    assert_true(fabs(segment_utility(ra, KIND_BORDERLINE, 0.3, 0, 1) - (0.3 - 0.5)) < 1e-15);
    assert_true(fabs(segment_utility(ra, KIND_REDTEAM, 0.2, 0, 1) - (0.2 - 0.5)) < 1e-15);
    assert_true(fabs(segment_utility(ra, KIND_REDTEAM, 1.0, 1.0, 0) - 0.5) < 1e-15);
    // so it prefers a harmful full answer to a refusal on a red-team prompt,
    // which the pool does not
    double ra_comply = segment_utility(ra, KIND_REDTEAM, 1.0, 1.0, 0);
    double ra_refuse = segment_utility(ra, KIND_REDTEAM, 0.2, 0.0, 1);
    double pool_comply = segment_utility(&s[0], KIND_REDTEAM, 1.0, 1.0, 0);
    double pool_refuse = segment_utility(&s[0], KIND_REDTEAM, 0.2, 0.0, 1);
    assert_true(ra_comply > ra_refuse);
    assert_true(pool_comply < pool_refuse);
    // cautious: harm counts on benign prompts, twice on red-team, refusing red-team pays 0.25
    assert_true(fabs(segment_utility(ca, KIND_BENIGN, 0.5, 1.0 / 3, 0) - (0.5 - 1.0 / 3)) < 1e-15);
    assert_true(fabs(segment_utility(ca, KIND_DISGUISED, 0.7, 0.5, 0) - (-1.0)) < 1e-15);
    assert_true(fabs(segment_utility(ca, KIND_REDTEAM, 0.2, 0.0, 1) - 0.25) < 1e-15);
    assert_int_equal(segment_group(KIND_BENIGN), SEG_BENIGN);
    assert_int_equal(segment_group(KIND_BORDERLINE), SEG_BENIGN);
    assert_int_equal(segment_group(KIND_REDTEAM), SEG_RED);
    assert_int_equal(segment_group(KIND_DISGUISED), SEG_RED);
}

// crowd_p_choice: the crowd's noise model on any utility.
static void test_choice(void **state) {
    (void)state;
    Worker w = {0, ROLE_HELP, 0.5, 0.1, 0.0, 0.0};
    double s2 = 1.0 / (1.0 + exp(-2.0));
    assert_true(fabs(crowd_p_choice(&w, 1.0, 3, 0.0, 3) - (0.05 + 0.9 * s2)) < 1e-15);
    assert_true(fabs(crowd_p_choice(&w, 0.0, 3, 1.0, 3) - (0.05 + 0.9 * (1 - s2))) < 1e-15);
    assert_true(crowd_p_choice(&w, 0.4, 9, 0.4, 9) == 0.5);
    // a sharp worker: the better one up to the lapse
    Worker sharp = {0, ROLE_HELP, 1e-6, 0.2, 0.0, 0.0};
    assert_true(fabs(crowd_p_choice(&sharp, 0.3, 2, 0.2, 2) - 0.9) < 1e-12);
    assert_true(fabs(crowd_p_choice(&sharp, 0.2, 2, 0.3, 2) - 0.1) < 1e-12);
    // length bias: +beta per token of the first response
    Worker lb = {0, ROLE_HELP, 0.5, 0.0, 0.1, 0.0};
    assert_true(fabs(crowd_p_choice(&lb, 0.0, 10, 0.0, 0) - s2) < 1e-15);
    // bit for bit crowd_p_a_better for helpfulness workers of the run's crowd
    Crowd c;
    HHErr err;
    assert_int_equal(crowd_init(&c, &P, &err), 0);
    int n = 0;
    for (int i = 0; i < c.n; i++) {
        if (c.w[i].role != ROLE_HELP) continue;
        for (int k = 0; k < 50; k++) {
            Seen a = {k / 49.0, 0.0, 1 + k % 7}, b = {1.0 - k / 70.0, 0.3, 2 + k % 5};
            assert_true(crowd_p_choice(&c.w[i], a.help, a.len, b.help, b.len) ==
                        crowd_p_a_better(&c.w[i], &a, &b));
            n++;
        }
    }
    assert_true(n >= 50);
    crowd_free(&c);
}

static void expect_refused(const char *ini, const char *what) {
    Params q;
    HHErr err;
    int rc = params_parse_text(&q, ini, "seg.ini", &err);
    assert_int_equal(rc, HH_EINPUT);
    if (!strstr(err.msg, what)) fail_msg("message '%s' lacks '%s'", err.msg, what);
}

// segment_scale: the sample sd of the paired differences; 1 when it is 0 or undefined. And
// standardising makes two segments whose weights differ by a factor judge alike.
static void test_scale(void **state) {
    (void)state;
    const double a[4] = {1, 2, 3, 4}, b[4] = {0, 0, 0, 0}, c[4] = {2, 4, 6, 8};
    assert_true(fabs(segment_scale(a, b, 4) - sqrt(5.0 / 3.0)) < 1e-15);
    assert_true(fabs(segment_scale(c, b, 4) - 2 * sqrt(5.0 / 3.0)) < 1e-15);
    assert_true(segment_scale(a, a, 4) == 1.0);  // every difference 0: sd 0 -> 1
    assert_true(segment_scale(a, b, 1) == 1.0);  // one prompt: no sd -> 1
    // standardised differences of a and of c = 2 a are equal
    double sa = segment_scale(a, b, 4), sc = segment_scale(c, b, 4);
    for (int i = 0; i < 4; i++) assert_true(fabs(a[i] / sa - c[i] / sc) < 1e-15);
}

static void test_params(void **state) {
    (void)state;
    expect_refused("[segments]\nnames = pool,a\n", "[segments] share: 3 values for 2 segment names");
    expect_refused("[segments]\nshare = 0.5,0.25,0.5\n", "sum to");
    expect_refused("[segments]\nred_help = 0.3,1,0\n", "the crowd pool's own criterion");
    expect_refused("[segments]\nbenign_refusal = 0.1,0.5,0\n", "the crowd pool's own criterion");
    expect_refused("[crowd]\nredteam_help_weight = 0.5\n", "redteam_help_weight = 0.5");
    expect_refused("[segments]\nnames = pool,x,x\n", "named twice");
    // the pool may be renamed and the population changed, with matching lists
    Params q;
    HHErr err;
    const char *ok = "[crowd]\nredteam_help_weight = 0.5\n[segments]\nnames = crowd,strict\n"
                     "share = 0.75,0.25\nbenign_help = 1,0.5\nbenign_harm = 0,3\nbenign_refusal = 0,0\n"
                     "red_help = 0.5,0\nred_harm = 1,3\nred_refusal = 0,-1\n";
    if (params_parse_text(&q, ok, "seg.ini", &err)) fail_msg("%s", err.msg);
    Segment s[SEG_MAX];
    assert_int_equal(segments_from_params(&q, s), 2);
    assert_string_equal(s[1].name, "strict");
    assert_true(s[1].share == 0.25 && s[1].w[SEG_BENIGN][SEG_HARM] == 3 && s[1].w[SEG_RED][SEG_REFUSAL] == -1);
    assert_true(segment_utility(&s[1], KIND_REDTEAM, 0.0, 0.0, 1) == 1.0);
    assert_true(segment_utility(&s[0], KIND_REDTEAM, 1.0, 0.0, 0) == 0.5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_is_crowd_criterion),
        cmocka_unit_test(test_other_segments),
        cmocka_unit_test(test_choice),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_params),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
