// test_rng.c - seeded streams depend only on (root, job, component).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rng.h"

static void test_fnv_reference(void **state) {
    (void)state;
    // FNV-1a 64 reference values (the offset basis for "", and "a").
    assert_true(rng_hash_str("") == 0xcbf29ce484222325ULL);
    assert_true(rng_hash_str("a") == 0xaf63dc4c8601ec8cULL);
}

static void test_splitmix_reference(void **state) {
    (void)state;
    // splitmix64 with state 0: first output 0xe220a8397b1dcdaf (Vigna's reference).
    assert_true(rng_splitmix64(0) == 0xe220a8397b1dcdafULL);
}

static void draw(uint64_t root, const char *job, const char *comp, double *out, int n) {
    gsl_rng *r = rng_stream_alloc(root, job, comp);
    assert_non_null(r);
    for (int i = 0; i < n; i++) out[i] = gsl_rng_uniform(r);
    gsl_rng_free(r);
}

static void test_order_independent(void **state) {
    (void)state;
    double a1[50], b1[50], a2[50], b2[50];
    draw(42, "pretrain/xs", "init", a1, 50);  // order 1: a then b
    draw(42, "pretrain/xs", "batches", b1, 50);
    gsl_rng *rb = rng_stream_alloc(42, "pretrain/xs", "batches");  // order 2: b interleaved
    gsl_rng *ra = rng_stream_alloc(42, "pretrain/xs", "init");
    for (int i = 0; i < 50; i++) {
        b2[i] = gsl_rng_uniform(rb);
        a2[i] = gsl_rng_uniform(ra);
    }
    gsl_rng_free(ra);
    gsl_rng_free(rb);
    for (int i = 0; i < 50; i++) {
        if (a1[i] != a2[i] || b1[i] != b2[i])
            fail_msg("draw %d differs with order: %.17g vs %.17g / %.17g vs %.17g", i, a1[i],
                     a2[i], b1[i], b2[i]);
    }
}

static void test_streams_differ(void **state) {
    (void)state;
    double a[8], b[8], c[8], d[8];
    draw(42, "job", "x", a, 8);
    draw(42, "job", "y", b, 8);
    draw(43, "job", "x", c, 8);
    draw(42, "job2", "x", d, 8);
    int same_b = 0, same_c = 0, same_d = 0;
    for (int i = 0; i < 8; i++) {
        same_b += a[i] == b[i];
        same_c += a[i] == c[i];
        same_d += a[i] == d[i];
    }
    assert_int_equal(same_b, 0);
    assert_int_equal(same_c, 0);
    assert_int_equal(same_d, 0);
    // job and component are not interchangeable
    assert_true(rng_derive_seed(1, "a", "b") != rng_derive_seed(1, "b", "a"));
}

static void test_pick_distribution(void **state) {
    (void)state;
    gsl_rng *r = rng_stream_alloc(1, "test", "pick");
    double w[3] = {1, 0, 3};
    int cnt[3] = {0};
    for (int i = 0; i < 40000; i++) cnt[rng_pick(r, w, 3)]++;
    gsl_rng_free(r);
    assert_int_equal(cnt[1], 0);
    double f = cnt[0] / 40000.0;  // expected 0.25, sd 0.0022
    if (f < 0.24 || f > 0.26) fail_msg("share of index 0 = %.4f, expected 0.25 +- 0.01", f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv_reference),
        cmocka_unit_test(test_splitmix_reference),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_streams_differ),
        cmocka_unit_test(test_pick_distribution),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
