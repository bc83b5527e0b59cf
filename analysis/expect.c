// expect.c - see expect.h
#include "expect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "claimscsv.h"

typedef struct {
    char id[48], statistic[64];
    int allowed[4];     // verdicts accepted
    int have;           // estimate given (0: "-")
    double est, tol;
    int line;
} Expect;

static int parse_verdicts(char *s, int *allowed) {
    memset(allowed, 0, 4 * sizeof *allowed);
    for (char *tok = strtok(s, "|"); tok; tok = strtok(NULL, "|")) {
        int v = verdict_parse(tok);
        if (v < 0) return -1;
        allowed[v] = 1;
    }
    return allowed[0] + allowed[1] + allowed[2] + allowed[3] ? 0 : -1;
}

static int parse_line(char *buf, const char *path, int line, Expect *e, HHErr *err) {
    char *f[6];
    int nf = 0;
    f[nf++] = buf;
    for (char *p = buf; *p; p++)
        if (*p == '\t') {
            *p = '\0';
            if (nf == 6) break;
            f[nf++] = p + 1;
        }
    if (nf != 5)
        return hh_fail(err, HH_EINPUT, "%s:%d: %d tab-separated fields; expected 5 (id, statistic, verdict, "
                       "estimate, tolerance)", path, line, nf);
    memset(e, 0, sizeof *e);
    e->line = line;
    if (!*f[0] || strlen(f[0]) >= sizeof e->id || !*f[1] || strlen(f[1]) >= sizeof e->statistic)
        return hh_fail(err, HH_EINPUT, "%s:%d: id or statistic empty or too long", path, line);
    snprintf(e->id, sizeof e->id, "%s", f[0]);
    snprintf(e->statistic, sizeof e->statistic, "%s", f[1]);
    char vb[128];
    snprintf(vb, sizeof vb, "%s", f[2]);
    if (strlen(f[2]) >= sizeof vb || parse_verdicts(vb, e->allowed))
        return hh_fail(err, HH_EINPUT, "%s:%d: verdict '%.60s': expected REPRODUCED, NOT REPRODUCED, "
                       "INCONCLUSIVE or PENDING, several joined by '|'", path, line, f[2]);
    int dash = !strcmp(f[3], "-"), tdash = !strcmp(f[4], "-");
    if (dash != tdash)
        return hh_fail(err, HH_EINPUT, "%s:%d: estimate '%.40s' with tolerance '%.40s'; both numbers, or "
                       "both '-' (a PENDING claim)", path, line, f[3], f[4]);
    if (dash) return 0;
    if (parse_double(f[3], &e->est))
        return hh_fail(err, HH_EINPUT, "%s:%d: estimate '%.40s': expected a finite number or '-'", path, line, f[3]);
    if (parse_double(f[4], &e->tol) || e->tol < 0)
        return hh_fail(err, HH_EINPUT, "%s:%d: tolerance '%.40s': expected a number >= 0 or '-'", path, line, f[4]);
    e->have = 1;
    return 0;
}

static int read_expected(const char *path, Expect **out, int *n, HHErr *err) {
    char *text = NULL;
    *out = NULL, *n = 0;
    if (read_text_file(path, (size_t)4 << 20, "an expectation file (papers/bai2022/expected-NAME.tsv)", &text,
                       NULL, err))
        return err->code;
    int rc = 0, line = 0, cap = 0;
    for (char *s = text, *nl; s && *s && !rc; s = nl) {
        nl = strchr(s, '\n');
        if (nl) *nl++ = '\0';
        line++;
        size_t L = strlen(s);
        if (L && s[L - 1] == '\r') s[--L] = '\0';
        if (!L || s[0] == '#' || !strncmp(s, "id\t", 3)) continue;
        if (L > 4000) { rc = hh_fail(err, HH_EINPUT, "%s:%d: line longer than 4000 bytes", path, line); break; }
        if (*n == cap) {
            Expect *ne = cap < 100000 ? realloc(*out, sizeof **out * (size_t)(cap = cap ? 2 * cap : 32)) : NULL;
            if (!ne) { rc = hh_fail(err, HH_EINPUT, "%s: too many lines or out of memory", path); break; }
            *out = ne;
        }
        rc = parse_line(s, path, line, &(*out)[*n], err);
        for (int k = 0; !rc && k < *n; k++)
            if (!strcmp((*out)[k].id, (*out)[*n].id))
                rc = hh_fail(err, HH_EINPUT, "%s:%d: duplicate id '%s' (first on line %d)", path, line,
                             (*out)[k].id, (*out)[k].line);
        if (!rc) (*n)++;
    }
    free(text);
    if (!rc && !*n) rc = hh_fail(err, HH_EINPUT, "%s: no expectations (write one with 'hhfit check --write')", path);
    if (rc) free(*out), *out = NULL, *n = 0;
    return rc;
}

static void allowed_str(const int *a, char *buf, size_t n) {
    buf[0] = '\0';
    for (int v = 0; v < 4; v++)
        if (a[v]) snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "|" : "", verdict_name((Verdict)v));
}

int check_compare(const Results *r, const char *expected, FILE *out, int *mismatches, HHErr *err) {
    Expect *e;
    int ne;
    *mismatches = 0;
    if (read_expected(expected, &e, &ne, err)) return err->code;
    int ok = 0, bad = 0;
    for (int k = 0; k < ne; k++) {
        const Expect *x = &e[k];
        int j = 0;
        while (j < r->nclaim && strcmp(r->rows[j].id, x->id)) j++;
        char al[96];
        allowed_str(x->allowed, al, sizeof al);
        if (j == r->nclaim) {
            fprintf(out, "MISMATCH %s: expected (line %d) but not among the results' claims\n", x->id, x->line);
            bad++;
            continue;
        }
        const ClaimResult *c = &r->res[j];
        int have = isfinite(c->stat.est);
        double d = have && x->have ? fabs(c->stat.est - x->est) : NAN;
        char why[256] = "";
        if (strcmp(r->rows[j].statistic, x->statistic))
            snprintf(why, sizeof why, "statistic %s, expected %s", r->rows[j].statistic, x->statistic);
        else if (!x->allowed[c->verdict])
            snprintf(why, sizeof why, "verdict %s, expected %s", verdict_name(c->verdict), al);
        else if (have != x->have)
            snprintf(why, sizeof why, have ? "an estimate, expected none" : "no estimate, expected %.6g", x->est);
        else if (have && !(d <= x->tol))
            snprintf(why, sizeof why, "estimate %.6g, expected %.6g +- %.3g (off by %.3g)", c->stat.est, x->est,
                     x->tol, d);
        if (why[0]) {
            fprintf(out, "MISMATCH %s: %s\n", x->id, why);
            bad++;
        } else {
            if (have)
                fprintf(out, "ok %s: %s, estimate %.6g (expected %.6g +- %.3g)\n", x->id, verdict_name(c->verdict),
                        c->stat.est, x->est, x->tol);
            else
                fprintf(out, "ok %s: %s\n", x->id, verdict_name(c->verdict));
            ok++;
        }
    }
    for (int j = 0; j < r->nclaim; j++) {
        int k = 0;
        while (k < ne && strcmp(e[k].id, r->rows[j].id)) k++;
        if (k == ne) {
            fprintf(out, "MISMATCH %s: a claim of the results that %s does not list (regenerate it with "
                    "'hhfit check --write')\n", r->rows[j].id, expected);
            bad++;
        }
    }
    fprintf(out, "%d of %d claims match %s%s\n", ok, ok + bad, expected, bad ? "" : ": results reproduced");
    free(e);
    *mismatches = bad;
    return ferror(out) ? hh_fail(err, HH_EFAIL, "write failed") : 0;
}

int check_write(FILE *f, const Results *runs, int n, const char *cmd, HHErr *err) {
    const Results *r0 = &runs[0];
    for (int m = 1; m < n; m++) {
        int same = runs[m].nclaim == r0->nclaim;
        for (int k = 0; same && k < r0->nclaim; k++)
            same = !strcmp(runs[m].rows[k].id, r0->rows[k].id) && !strcmp(runs[m].rows[k].statistic, r0->rows[k].statistic);
        if (!same)
            return hh_fail(err, HH_EINPUT, "%s/claims.csv: other claims than %s/claims.csv (ids or statistics "
                           "differ); the runs must share the claims table", runs[m].dir, r0->dir);
    }
    fprintf(f, "# Expected results of hhfit for these params: one line per claim, its verdict(s) and key\n"
               "# statistic with a tolerance. Checked by 'hhfit check RESULTS_DIR THIS_FILE' (make check-results).\n"
               "# Written by: %s\n"
               "# from %d run(s):", cmd, n);
    for (int m = 0; m < n; m++) fprintf(f, " %s", runs[m].dir);
    fputs("\n# Tolerance = max(half-width of the 95% interval of the first run, 2 x the largest difference\n"
          "# between the runs' estimates); verdicts = every verdict the runs gave (see analysis/expect.h:\n"
          "# other CPUs pick other OpenBLAS kernels, which changes the trained models by rounding;\n"
          "# results/NAME-blas-K: the same params run with OPENBLAS_CORETYPE=K, as 'make expected-results' does).\n"
          "id\tstatistic\tverdict\testimate\ttolerance\n", f);
    for (int k = 0; k < r0->nclaim; k++) {
        int allowed[4] = {0, 0, 0, 0}, have = isfinite(r0->res[k].stat.est);
        double spread = 0;
        for (int m = 0; m < n; m++) {
            allowed[runs[m].res[k].verdict] = 1;
            double d = fabs(runs[m].res[k].stat.est - r0->res[k].stat.est);
            if (have && isfinite(d) && d > spread) spread = d;
        }
        char al[96];
        allowed_str(allowed, al, sizeof al);
        fprintf(f, "%s\t%s\t%s\t", r0->rows[k].id, r0->rows[k].statistic, al);
        if (!have) fputs("-\t-\n", f);
        else {
            const ClaimStat *s = &r0->res[k].stat;
            double tol = fmax((s->hi - s->lo) / 2, 2 * spread);
            tol = fmax(tol, 1e-9 * fmax(1.0, fabs(s->est)));
            double q = pow(10, floor(log10(tol)) - 2);  // round up to 3 significant digits
            tol = ceil(tol / q) * q;
            fprintf(f, "%.17g\t%.3g\n", s->est, tol);
        }
    }
    return ferror(f) ? hh_fail(err, HH_EFAIL, "write failed") : 0;
}
