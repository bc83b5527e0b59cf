// test_report.c - the readers and writers behind hhfit report, check and
// diff on synthetic results: claims.csv round trip with hostile strings and
// its refusals, HTML escaping, the expectation file's tolerance rule and
// comparison, and the order of hhfit diff's output.
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
#include "claimscsv.h"
#include "expect.h"
#include "html.h"
#include "rdiff.h"
#include "results.h"

static void tmpname(char *buf, size_t n, const char *what) {
    snprintf(buf, n, "/tmp/test_report_%ld_%s", (long)getpid(), what);
}

// Two claims: one measured (hostile strings), one pending.
static void two_claims(ClaimRow *rows, ClaimResult *res) {
    memset(rows, 0, 2 * sizeof *rows), memset(res, 0, 2 * sizeof *res);
    snprintf(rows[0].id, sizeof rows[0].id, "c_one");
    snprintf(rows[0].figure, sizeof rows[0].figure, "7 (PMP)");
    snprintf(rows[0].statement, sizeof rows[0].statement, "a, \"quoted\"\nsecond line <b>&");
    snprintf(rows[0].statistic, sizeof rows[0].statistic, "fit_b");
    snprintf(rows[0].criterion, sizeof rows[0].criterion, "> 0");
    snprintf(rows[0].rationale, sizeof rows[0].rationale, "plain");
    claim_stat_set(&res[0].stat, 0.1 + 1e-17, 0.05, 0.15, 12);
    snprintf(res[0].stat.method, sizeof res[0].stat.method, "x,y\r\nz");
    res[0].verdict = VERDICT_REPRODUCED;
    rows[1] = rows[0];
    snprintf(rows[1].id, sizeof rows[1].id, "c_two");
    snprintf(rows[1].statistic, sizeof rows[1].statistic, "pending");
    snprintf(rows[1].criterion, sizeof rows[1].criterion, "-");
    res[1].verdict = VERDICT_PENDING;
    res[1].stat.est = res[1].stat.lo = res[1].stat.hi = NAN;
}

static void test_csv_round_trip(void **state) {
    (void)state;
    ClaimRow rows[2];
    ClaimResult res[2];
    two_claims(rows, res);
    char path[256];
    tmpname(path, sizeof path, "claims.csv");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(claims_write_csv(f, rows, res, 2), 0);
    fclose(f);
    ClaimRow *r2;
    ClaimResult *s2;
    int n;
    HHErr err;
    int rc = claims_read_csv(path, &r2, &s2, &n, &err);
    if (rc) print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    CHECK_INT(n, 2, "claims read back");
    assert_string_equal(r2[0].statement, rows[0].statement);
    assert_string_equal(s2[0].stat.method, res[0].stat.method);
    assert_string_equal(r2[0].figure, "7 (PMP)");
    assert_true(s2[0].stat.est == res[0].stat.est);  // 17 digits: the same double
    CHECK_INT(s2[0].stat.n, 12, "n read back");
    CHECK_INT(s2[0].verdict, VERDICT_REPRODUCED, "verdict read back");
    assert_true(isnan(s2[1].stat.est));
    CHECK_INT(s2[1].verdict, VERDICT_PENDING, "pending verdict");
    free(r2), free(s2);
    unlink(path);
}

// A claims.csv with `body` after a valid header is refused naming `want`.
static void refused(const char *body, const char *want) {
    char path[256];
    tmpname(path, sizeof path, "bad.csv");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("id,figure,statement,statistic,estimate,ci_lo,ci_hi,n,criterion,verdict,method,rationale\r\n", f);
    fputs(body, f);
    fclose(f);
    ClaimRow *r;
    ClaimResult *s;
    int n;
    HHErr err;
    hh_err_clear(&err);
    assert_int_equal(claims_read_csv(path, &r, &s, &n, &err), HH_EINPUT);
    if (!strstr(err.msg, want)) {
        print_message("FAIL message '%s' lacks '%s'\n", err.msg, want);
        fail();
    }
    assert_null(r);
    unlink(path);
}

static void test_csv_refusals(void **state) {
    (void)state;
    refused("a,7,s,fit_b,0.1,0,0.2,3,> 0,REPRODUCED,m,r\r\nb,7,\"open,fit_b", ":3: quoted field not closed");
    refused("a,7,s,fit_b,0.1,0,0.2,3,> 0,SURE,m,r\r\n", ":2: verdict 'SURE'");
    refused("a,7,s,fit_b,nan,0,0.2,3,> 0,REPRODUCED,m,r\r\n", ":2: estimate 'nan'");
    refused("a,7,s,fit_b,0.1,0.3,0.2,3,> 0,REPRODUCED,m,r\r\n", ":2: ci_lo 0.3 above ci_hi 0.2");
    refused("a,7,s,fit_b,0.1,0,0.2,3,> 0,REPRODUCED,m\r\n", ":2: 11 fields");
    refused("a,7,s\"x,fit_b,0.1,0,0.2,3,> 0,REPRODUCED,m,r\r\n", "'\"' inside an unquoted field");
    refused("a<b,7,s,fit_b,0.1,0,0.2,3,> 0,REPRODUCED,m,r\r\n", "id 'a<b'");
    refused("a,7,s,fit_b,,,,,> 0,REPRODUCED,m,r\r\n", "verdict REPRODUCED without an estimate");
    refused("", "no claims after the header");
}

static void test_html_escape(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    html_puts(f, "<script>\"a\" & 'b'\x01</script>");
    fclose(f);
    assert_string_equal(buf, "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    free(buf);
}

static void test_html_figures(void **state) {
    (void)state;
    const char *w[3] = {"/pm_runs", "/a, /b; fig_x.gp", "/c; y.gp"};
    HtmlFigure h[4];
    CHECK_INT(html_figures(w, 3, h, 4), 2, "figures with a script");
    assert_string_equal(h[0].stem, "fig_x");
    assert_string_equal(h[0].tables, "/a, /b");
    assert_string_equal(h[1].stem, "y");
}

// A Results holding the two claims (its own copy), with params text p.
static void fake_results(Results *r, const char *dir, const char *params) {
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    r->nclaim = 2;
    r->rows = calloc(2, sizeof *r->rows);
    r->res = calloc(2, sizeof *r->res);
    assert_non_null(r->rows), assert_non_null(r->res);
    two_claims(r->rows, r->res);
    r->prov.params = strdup(params);
}

static void test_expect_tolerance(void **state) {
    (void)state;
    Results runs[2];
    fake_results(&runs[0], "A", "");
    fake_results(&runs[1], "B", "");
    runs[1].res[0].stat.est = 0.13;  // 0.03 away: tolerance max(0.05, 0.06)
    runs[1].res[0].verdict = VERDICT_INCONCLUSIVE;
    char path[256];
    tmpname(path, sizeof path, "exp.tsv");
    FILE *f = fopen(path, "w");
    HHErr err;
    assert_int_equal(check_write(f, runs, 2, "test", &err), 0);
    fclose(f);
    char line[512];
    int found = 0;
    f = fopen(path, "r");
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "c_one\t", 6)) {
            found = 1;
            assert_non_null(strstr(line, "\tREPRODUCED|INCONCLUSIVE\t"));
            CHECK_NEAR(atof(strrchr(line, '\t') + 1), 0.06, 1e-9, "tolerance = 2 x spread");
        } else if (!strncmp(line, "c_two\t", 6)) {
            assert_string_equal(line, "c_two\tpending\tPENDING\t-\t-\n");
        }
    fclose(f);
    assert_true(found);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    int bad = -1;
    runs[1].res[0].stat.est = 0.1 + 0.0599;  // inside
    assert_int_equal(check_compare(&runs[1], path, m, &bad, &err), 0);
    CHECK_INT(bad, 0, "mismatches inside the tolerance");
    runs[1].res[0].stat.est = 0.1 + 0.0601;  // outside
    assert_int_equal(check_compare(&runs[1], path, m, &bad, &err), 0);
    CHECK_INT(bad, 1, "mismatches outside the tolerance");
    runs[1].res[0].stat.est = 0.1;
    runs[1].res[0].verdict = VERDICT_NOT_REPRODUCED;
    assert_int_equal(check_compare(&runs[1], path, m, &bad, &err), 0);
    CHECK_INT(bad, 1, "a verdict not listed");
    fclose(m);
    assert_non_null(strstr(out, "MISMATCH c_one: verdict NOT REPRODUCED, expected REPRODUCED|INCONCLUSIVE"));
    free(out);
    unlink(path);
    results_free(&runs[0]), results_free(&runs[1]);
}

static void test_diff_order(void **state) {
    (void)state;
    Results a, b;
    fake_results(&a, "A", "[rl]\nlr = 1e-3  ; learning rate\niters = 20\n");
    fake_results(&b, "B", "[rl]\nlr = 2e-3  ; learning rate\niters = 20\n[new]\nk = 1\n");
    b.res[0].verdict = VERDICT_INCONCLUSIVE;
    b.res[1].stat.method[0] = 0;
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    int nd = 0;
    HHErr err;
    assert_int_equal(rdiff(&a, &b, m, &nd, &err), 0);
    fclose(m);
    CHECK_INT(nd, 3, "differences (two params keys, one verdict)");
    assert_non_null(strstr(out, "params: 2 keys differ\n  [rl] lr: 1e-3 -> 2e-3\n  [new] k: only in B (1)\n"));
    assert_non_null(strstr(out, "claims: 1 claims differ (1 verdicts moved)\n  verdict c_one: REPRODUCED -> INCONCLUSIVE"));
    assert_non_null(strstr(out, "tables: identical\ndifferent:"));
    free(out);
    results_free(&a), results_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_round_trip),   cmocka_unit_test(test_csv_refusals),
        cmocka_unit_test(test_html_escape),      cmocka_unit_test(test_html_figures),
        cmocka_unit_test(test_expect_tolerance), cmocka_unit_test(test_diff_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
