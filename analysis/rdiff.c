// rdiff.c - see rdiff.h
#include "rdiff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *rdiff_clean(const char *s, char *buf, size_t n) {
    size_t k = 0;
    for (; *s && k + 1 < n; s++) buf[k++] = (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?';
    buf[k] = '\0';
    return buf;
}
#define CL(s, b) rdiff_clean((s), (b), sizeof(b))

// ---------------------------------------------------------------------------
// params: "[section]" lines and "key = value  ; doc" lines

typedef struct {
    char key[160];    // "[section] key"
    char value[512];
} PKey;

static int params_keys(const char *text, PKey **out) {
    int n = 0, cap = 0;
    char sec[64] = "";
    *out = NULL;
    for (const char *s = text; *s;) {
        const char *e = strchr(s, '\n');
        size_t L = e ? (size_t)(e - s) : strlen(s);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(L < sizeof line ? L : sizeof line - 1), s);
        s += L + (e ? 1 : 0);
        char *c = strchr(line, ';');
        if (c) *c = '\0';
        char *a = line, *z = line + strlen(line);
        while (*a == ' ' || *a == '\t') a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r')) *--z = '\0';
        if (*a == '[') {
            char *r = strchr(a, ']');
            if (r) *r = '\0';
            snprintf(sec, sizeof sec, "%.63s", a + 1);
            continue;
        }
        char *eq = strchr(a, '=');
        if (!eq) continue;
        char *v = eq + 1;
        while (eq > a && (eq[-1] == ' ' || eq[-1] == '\t')) eq--;
        *eq = '\0';
        while (*v == ' ' || *v == '\t') v++;
        if (n == cap) {
            PKey *nk = cap < 20000 ? realloc(*out, sizeof **out * (size_t)(cap = cap ? 2 * cap : 64)) : NULL;
            if (!nk) return -1;
            *out = nk;
        }
        snprintf((*out)[n].key, sizeof (*out)[n].key, "[%s] %.140s", sec, a);
        snprintf((*out)[n].value, sizeof (*out)[n].value, "%s", v);
        n++;
    }
    return n;
}

static const PKey *pfind(const PKey *k, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (!strcmp(k[i].key, key)) return &k[i];
    return NULL;
}

static int diff_params(const Results *a, const Results *b, FILE *out, HHErr *err) {
    PKey *ka, *kb;
    int na = params_keys(a->prov.params, &ka), nb = na < 0 ? -1 : params_keys(b->prov.params, &kb);
    if (na < 0 || nb < 0) {
        if (na >= 0) free(ka);
        return -hh_fail(err, HH_EFAIL, "out of memory (or more than 20000 params keys)");
    }
    int nd = 0;
    char b1[200], b2[600], b3[600];
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < na; i++) {
            const PKey *o = pfind(kb, nb, ka[i].key);
            if (pass == 0 && o && strcmp(o->value, ka[i].value))
                fprintf(out, "  %s: %s -> %s\n", CL(ka[i].key, b1), CL(ka[i].value, b2), CL(o->value, b3)), nd++;
            if (pass == 1 && !o) fprintf(out, "  %s: only in A (%s)\n", CL(ka[i].key, b1), CL(ka[i].value, b2)), nd++;
        }
    for (int i = 0; i < nb; i++)
        if (!pfind(ka, na, kb[i].key))
            fprintf(out, "  %s: only in B (%s)\n", CL(kb[i].key, b1), CL(kb[i].value, b2)), nd++;
    free(ka), free(kb);
    return nd;
}

// ---------------------------------------------------------------------------
// claims

static int claim_index(const Results *r, const char *id) {
    for (int k = 0; k < r->nclaim; k++)
        if (!strcmp(r->rows[k].id, id)) return k;
    return -1;
}

static int same_num(double x, double y) { return x == y || (isnan(x) && isnan(y)); }

static int diff_claims(const Results *a, const Results *b, FILE *out, int *moved) {
    int nd = 0;
    *moved = 0;
    char b1[80];
    for (int k = 0; k < a->nclaim; k++) {  // verdict moves
        int j = claim_index(b, a->rows[k].id);
        if (j < 0 || a->res[k].verdict == b->res[j].verdict) continue;
        fprintf(out, "  verdict %s: %s -> %s (estimate %.4g -> %.4g)\n", CL(a->rows[k].id, b1),
                verdict_name(a->res[k].verdict), verdict_name(b->res[j].verdict), a->res[k].stat.est,
                b->res[j].stat.est);
        nd++, (*moved)++;
    }
    for (int k = 0; k < a->nclaim; k++) {  // same verdict, other numbers or definition
        int j = claim_index(b, a->rows[k].id);
        if (j < 0 || a->res[k].verdict != b->res[j].verdict) continue;
        const ClaimStat *x = &a->res[k].stat, *y = &b->res[j].stat;
        const ClaimRow *p = &a->rows[k], *q = &b->rows[j];
        if (!same_num(x->est, y->est) || !same_num(x->lo, y->lo) || !same_num(x->hi, y->hi) || x->n != y->n) {
            fprintf(out, "  estimate %s: %.6g [%.6g, %.6g] -> %.6g [%.6g, %.6g] (|d| = %.3g), n %zu -> %zu\n",
                    CL(p->id, b1), x->est, x->lo, x->hi, y->est, y->lo, y->hi, fabs(x->est - y->est), x->n, y->n);
            nd++;
        }
        if (strcmp(p->statistic, q->statistic) || strcmp(p->criterion, q->criterion) || strcmp(p->figure, q->figure) ||
            strcmp(p->statement, q->statement)) {
            fprintf(out, "  definition %s: statistic, criterion, figure or statement changed\n", CL(p->id, b1));
            nd++;
        }
    }
    for (int k = 0; k < a->nclaim; k++)
        if (claim_index(b, a->rows[k].id) < 0)
            fprintf(out, "  %s: only in A (%s)\n", CL(a->rows[k].id, b1), verdict_name(a->res[k].verdict)), nd++;
    for (int j = 0; j < b->nclaim; j++)
        if (claim_index(a, b->rows[j].id) < 0)
            fprintf(out, "  %s: only in B (%s)\n", CL(b->rows[j].id, b1), verdict_name(b->res[j].verdict)), nd++;
    return nd;
}

// ---------------------------------------------------------------------------
// tables

static int diff_table(const ResTable *x, const ResTable *y, FILE *out) {
    char line[2048] = "", b1[80];
    size_t L = 0;
    int changed = 0;
#define ADD(...) (L += (size_t)snprintf(line + L, L < sizeof line ? sizeof line - L : 0, __VA_ARGS__))
    if (x->nrow != y->nrow) ADD("; rows %zu -> %zu", x->nrow, y->nrow), changed = 1;
    if ((x->missing == NULL) != (y->missing == NULL)) ADD("; %s", x->missing ? "now filled" : "now empty"), changed = 1;
    size_t nr = x->nrow < y->nrow ? x->nrow : y->nrow;
    for (int j = 0; j < x->ncol; j++) {
        const ResCol *c = &x->col[j], *d = results_col(y, c->name);
        if (!d) { ADD("; column %s only in A", CL(c->name, b1)); changed = 1; continue; }
        if (c->kind != d->kind) { ADD("; column %s changed type", CL(c->name, b1)); changed = 1; continue; }
        double maxd = 0;
        size_t ncell = 0, nnan = 0;
        for (size_t i = 0; i < nr; i++) {
            if (c->kind == 's') { ncell += strcmp(c->str[i], d->str[i]) != 0; continue; }
            double u = c->num[i], v = d->num[i];
            if (same_num(u, v)) continue;
            ncell++;
            if (isnan(u) || isnan(v)) nnan++;
            else if (fabs(u - v) > maxd) maxd = fabs(u - v);
        }
        if (!ncell) continue;
        changed = 1;
        if (c->kind == 's') ADD("; %s: %zu cells differ", CL(c->name, b1), ncell);
        else if (nnan) ADD("; %s: max |d| %.3g, %zu cells NaN in one", CL(c->name, b1), maxd, nnan);
        else ADD("; %s: max |d| %.3g", CL(c->name, b1), maxd);
    }
    for (int j = 0; j < y->ncol; j++)
        if (!results_col(x, y->col[j].name)) ADD("; column %s only in B", CL(y->col[j].name, b1)), changed = 1;
#undef ADD
    if (changed) fprintf(out, "  /%s: %s\n", CL(x->name, b1), line + 2);
    return changed;
}

static int diff_tables(const Results *a, const Results *b, FILE *out) {
    int nd = 0;
    char b1[80];
    for (int k = 0; k < a->ntab; k++) {
        const ResTable *y = results_table(b, a->tab[k].name);
        if (!y) fprintf(out, "  /%s: only in A\n", CL(a->tab[k].name, b1)), nd++;
        else nd += diff_table(&a->tab[k], y, out);
    }
    for (int k = 0; k < b->ntab; k++)
        if (!results_table(a, b->tab[k].name)) fprintf(out, "  /%s: only in B\n", CL(b->tab[k].name, b1)), nd++;
    return nd;
}

// ---------------------------------------------------------------------------

static void prov_line(FILE *out, const char *tag, const Results *r) {
    const ResProv *p = &r->prov;
    char b[6][300];
    fprintf(out, "%s: %s (hhsim %s, git %.12s%s%s, seed %s, created %s on %s)\n", tag, CL(r->dir, b[0]),
            CL(p->version, b[1]), CL(p->commit, b[2]), p->dirty[0] ? " " : "", p->dirty, CL(p->seed, b[3]),
            CL(p->created, b[4]), CL(p->host, b[5]));
}

int rdiff(const Results *a, const Results *b, FILE *out, int *ndiff, HHErr *err) {
    *ndiff = 0;
    prov_line(out, "A", a);
    prov_line(out, "B", b);
    char hdr[3][64];
    int moved = 0;
    // each section: a header with its count, then its lines (written to a buffer first)
    char *buf = NULL;
    size_t len = 0;
    for (int s = 0; s < 3; s++) {
        FILE *m = open_memstream(&buf, &len);
        if (!m) return hh_fail(err, HH_EFAIL, "out of memory");
        int n = s == 0 ? diff_params(a, b, m, err) : s == 1 ? diff_claims(a, b, m, &moved) : diff_tables(a, b, m);
        fclose(m);
        if (n < 0) { free(buf); return err->code; }
        static const char *NM[3] = {"params", "claims", "tables"};
        static const char *UNIT[3] = {"keys differ", "claims differ", "tables differ"};
        if (n) snprintf(hdr[s], sizeof hdr[s], "%s: %d %s", NM[s], n, UNIT[s]);
        else snprintf(hdr[s], sizeof hdr[s], "%s: identical", NM[s]);
        if (s == 1 && n)
            snprintf(hdr[s] + strlen(hdr[s]), sizeof hdr[s] - strlen(hdr[s]), " (%d verdicts moved)", moved);
        fprintf(out, "%s\n%s", hdr[s], buf);
        free(buf), buf = NULL;
        *ndiff += n;
    }
    fprintf(out, "%s: %s\n", *ndiff ? "different" : "identical",
            *ndiff ? "see above (params, claims, tables)" : "same params, claims and tables");
    return ferror(out) ? hh_fail(err, HH_EFAIL, "write failed") : 0;
}
