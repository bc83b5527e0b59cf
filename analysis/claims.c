// claims.c - see claims.h
#include "claims.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *verdict_name(Verdict v) {
    switch (v) {
    case VERDICT_REPRODUCED: return "REPRODUCED";
    case VERDICT_NOT_REPRODUCED: return "NOT REPRODUCED";
    case VERDICT_INCONCLUSIVE: return "INCONCLUSIVE";
    default: return "PENDING";
    }
}

int criterion_parse(const char *s, Criterion *c, HHErr *err) {
    while (isspace((unsigned char)*s)) s++;
    c->op = 0, c->thr = NAN;
    if (!strcmp(s, "-")) return 0;
    if (*s != '>' && *s != '<')
        return hh_fail(err, HH_EINPUT, "criterion '%s': expected '> X', '< X' or '-'", s);
    char *end;
    double x = strtod(s + 1, &end);
    while (isspace((unsigned char)*end)) end++;
    if (end == s + 1 || *end || !isfinite(x))
        return hh_fail(err, HH_EINPUT, "criterion '%s': expected a number after '%c'", s, *s);
    c->op = *s, c->thr = x;
    return 0;
}

Verdict claim_verdict(const Criterion *c, double est, double lo, double hi) {
    if (!c->op || !isfinite(est) || !isfinite(lo) || !isfinite(hi)) return VERDICT_PENDING;
    double side_lo = c->op == '>' ? lo : -hi, side_hi = c->op == '>' ? hi : -lo;
    double x = c->op == '>' ? c->thr : -c->thr;
    if (side_lo > x) return VERDICT_REPRODUCED;
    if (side_hi < x) return VERDICT_NOT_REPRODUCED;
    return VERDICT_INCONCLUSIVE;
}

// ---------------------------------------------------------------------------
// claims.tsv

// Split line into at most max tab-separated fields (in place).
static int split_tabs(char *line, char **f, int max) {
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n <= max; p++)
        if (*p == '\t') {
            *p = '\0';
            if (n == max) return max + 1;
            f[n++] = p + 1;
        }
    return n;
}

static int copy_field(char *dst, size_t cap, const char *src, const char *path, int line,
                      const char *what, HHErr *err) {
    if (!*src) return hh_fail(err, HH_EINPUT, "%s:%d: empty %s", path, line, what);
    if (strlen(src) >= cap)
        return hh_fail(err, HH_EINPUT, "%s:%d: %s longer than %zu characters", path, line, what, cap - 1);
    snprintf(dst, cap, "%s", src);
    return 0;
}

static int parse_row(char *buf, const char *path, int line, ClaimRow *r, HHErr *err) {
    char *f[6];
    int nf = split_tabs(buf, f, 6);
    if (nf != 6)
        return hh_fail(err, HH_EINPUT, "%s:%d: %d tab-separated fields; expected 6 (id, figure, "
                       "statement, statistic, criterion, rationale)", path, line, nf);
    memset(r, 0, sizeof *r);
    r->line = line;
    Criterion c;
    if (copy_field(r->id, sizeof r->id, f[0], path, line, "id", err) ||
        copy_field(r->figure, sizeof r->figure, f[1], path, line, "figure", err) ||
        copy_field(r->statement, sizeof r->statement, f[2], path, line, "statement", err) ||
        copy_field(r->statistic, sizeof r->statistic, f[3], path, line, "statistic", err) ||
        copy_field(r->criterion, sizeof r->criterion, f[4], path, line, "criterion", err) ||
        copy_field(r->rationale, sizeof r->rationale, f[5], path, line, "rationale", err))
        return HH_EINPUT;
    if (criterion_parse(r->criterion, &c, err))
        return hh_fail(err, HH_EINPUT, "%s:%d: %s", path, line, err->msg);
    if (!c.op != !strcmp(r->statistic, "pending"))
        return hh_fail(err, HH_EINPUT, "%s:%d: criterion '%s' with statistic '%s'; pending rows "
                       "take '-', others '> X' or '< X'", path, line, r->criterion, r->statistic);
    return 0;
}

int claims_read(const char *path, ClaimRow **rows, int *n, HHErr *err) {
    *rows = NULL, *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) return hh_fail(err, HH_EINPUT, "%s: cannot open (expected the claims table, "
                           "e.g. papers/bai2022/claims.tsv; see --claims)", path);
    char buf[4096];
    int line = 0, cap = 0, rc = 0;
    while (!rc && fgets(buf, sizeof buf, f)) {
        line++;
        size_t L = strlen(buf);
        if (L == sizeof buf - 1 && buf[L - 1] != '\n') {
            rc = hh_fail(err, HH_EINPUT, "%s:%d: line longer than %zu characters", path, line, sizeof buf - 2);
            break;
        }
        while (L && (buf[L - 1] == '\n' || buf[L - 1] == '\r')) buf[--L] = '\0';
        if (!L || buf[0] == '#' || !strncmp(buf, "id\t", 3)) continue;
        if (*n == cap) {
            ClaimRow *nr = realloc(*rows, sizeof **rows * (size_t)(cap = cap ? 2 * cap : 32));
            if (!nr) { rc = hh_fail(err, HH_EFAIL, "out of memory"); break; }
            *rows = nr;
        }
        rc = parse_row(buf, path, line, &(*rows)[*n], err);
        for (int k = 0; !rc && k < *n; k++)
            if (!strcmp((*rows)[k].id, (*rows)[*n].id))
                rc = hh_fail(err, HH_EINPUT, "%s:%d: duplicate id '%s' (first on line %d)", path,
                             line, (*rows)[k].id, (*rows)[k].line);
        if (!rc) (*n)++;
    }
    fclose(f);
    if (!rc && *n == 0) rc = hh_fail(err, HH_EINPUT, "%s: no claims", path);
    if (rc) free(*rows), *rows = NULL, *n = 0;
    return rc;
}

void claims_decide(const ClaimRow *rows, int n, const ClaimStat *st, ClaimResult *res) {
    for (int k = 0; k < n; k++) {
        Criterion c;
        res[k].stat = st[k];
        if (criterion_parse(rows[k].criterion, &c, NULL) || !st[k].available)
            res[k].verdict = VERDICT_PENDING;
        else if (st[k].inconclusive)
            res[k].verdict = VERDICT_INCONCLUSIVE;
        else
            res[k].verdict = claim_verdict(&c, st[k].est, st[k].lo, st[k].hi);
    }
}

// ---------------------------------------------------------------------------
// claims.md

// Markdown table cells must not contain '|' or newlines.
static void cell(FILE *f, const char *s) {
    for (; *s; s++) fputc(*s == '|' ? '/' : *s == '\n' ? ' ' : *s, f);
}

int claims_write_md(FILE *f, const char *header, const ClaimRow *rows, const ClaimResult *res,
                    int n) {
    fputs(header, f);
    fputs("\n| id | paper fig. | paper statement | statistic | measured (95% CI) | criterion | verdict |\n"
          "|---|---|---|---|---|---|---|\n", f);
    for (int k = 0; k < n; k++) {
        const ClaimStat *s = &res[k].stat;
        fprintf(f, "| %s | %s | ", rows[k].id, rows[k].figure);
        cell(f, rows[k].statement);
        fprintf(f, " | `%s` | ", rows[k].statistic);
        if (s->available && isfinite(s->est))
            fprintf(f, "%.4f [%.4f, %.4f]", s->est, s->lo, s->hi);
        else
            fputs("no data in this run", f);
        fprintf(f, " | %s | **%s** |\n", rows[k].criterion, verdict_name(res[k].verdict));
    }
    fputs("\n## How each statistic was computed\n\n", f);
    for (int k = 0; k < n; k++) {
        fprintf(f, "- **%s** (%s): ", rows[k].id, verdict_name(res[k].verdict));
        cell(f, res[k].stat.method[0] ? res[k].stat.method : "not measured by this run");
        if (res[k].stat.available && res[k].stat.n) fprintf(f, " n = %zu.", res[k].stat.n);
        fputs(" Criterion: ", f);
        cell(f, rows[k].rationale);
        fputc('\n', f);
    }
    return ferror(f) ? HH_EFAIL : 0;
}

void claim_stat_set(ClaimStat *o, double est, double lo, double hi, size_t n) {
    o->available = 1, o->est = est, o->lo = lo, o->hi = hi, o->n = n;
}

int claims_name_in(const char *const *names, const char *name) {
    for (int k = 0; names[k]; k++)
        if (!strcmp(names[k], name)) return 1;
    return 0;
}

const char *claims_names_join(const char *const *names, char *buf, size_t n) {
    size_t used = 0;
    if (n) buf[0] = 0;
    for (int k = 0; names[k] && used + 1 < n; k++) {
        int w = snprintf(buf + used, n - used, "%s%s", k ? ", " : "", names[k]);
        if (w < 0) break;
        used += (size_t)w < n - used ? (size_t)w : n - used - 1;
    }
    return buf;
}
