// claimscsv.c - see claimscsv.h
#include "claimscsv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "params.h"

static const char *const COLS[] = {"id", "figure", "statement", "statistic", "estimate", "ci_lo",
                                   "ci_hi", "n", "criterion", "verdict", "method", "rationale"};
enum { C_ID, C_FIG, C_STMT, C_STAT, C_EST, C_LO, C_HI, C_N, C_CRIT, C_VERDICT, C_METHOD, C_RAT, NCOLS };

// ---------------------------------------------------------------------------
// writing

static void field(FILE *f, const char *s, int last) {
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"') fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputs(last ? "\r\n" : ",", f);
}

int claims_write_csv(FILE *f, const ClaimRow *rows, const ClaimResult *res, int n) {
    for (int c = 0; c < NCOLS; c++) field(f, COLS[c], c == NCOLS - 1);
    for (int k = 0; k < n; k++) {
        const ClaimStat *s = &res[k].stat;
        int have = s->available && isfinite(s->est);
        char num[4][40] = {"", "", "", ""};
        if (have) {
            snprintf(num[0], sizeof num[0], "%.17g", s->est);
            snprintf(num[1], sizeof num[1], "%.17g", s->lo);
            snprintf(num[2], sizeof num[2], "%.17g", s->hi);
            snprintf(num[3], sizeof num[3], "%zu", s->n);
        }
        const char *v[NCOLS] = {rows[k].id, rows[k].figure, rows[k].statement, rows[k].statistic,
                                num[0], num[1], num[2], num[3], rows[k].criterion,
                                verdict_name(res[k].verdict), s->method, rows[k].rationale};
        for (int c = 0; c < NCOLS; c++) field(f, v[c], c == NCOLS - 1);
    }
    return ferror(f) ? HH_EFAIL : 0;
}

// ---------------------------------------------------------------------------
// reading

int read_text_file(const char *path, size_t max, const char *what, char **out, size_t *len,
                   HHErr *err) {
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return hh_fail(err, HH_EINPUT, "%s: no such file (expected %s)", path, what);
    if (!S_ISREG(st.st_mode))
        return hh_fail(err, HH_EINPUT, "%s: not a regular file; expected %s", path, what);
    if ((size_t)st.st_size > max)
        return hh_fail(err, HH_EINPUT, "%s: %lld bytes; expected %s of at most %zu bytes", path,
                       (long long)st.st_size, what, max);
    FILE *f = fopen(path, "rb");
    if (!f) return hh_fail(err, HH_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    char *s = malloc(max + 1);
    size_t n = s ? fread(s, 1, max + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!s) return hh_fail(err, HH_EFAIL, "out of memory");
    if (bad || n > max) {
        free(s);
        return hh_fail(err, HH_EINPUT, "%s: unreadable or longer than %zu bytes", path, max);
    }
    s[n] = '\0';
    if (strlen(s) != n) {
        free(s);
        return hh_fail(err, HH_EINPUT, "%s: holds a NUL byte; expected %s (text)", path, what);
    }
    *out = s;
    if (len) *len = n;
    return 0;
}

int parse_double(const char *s, double *v) {
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || !isfinite(x)) return -1;
    *v = x;
    return 0;
}

int verdict_parse(const char *s) {
    for (int v = 0; v < 4; v++)
        if (!strcmp(s, verdict_name((Verdict)v))) return v;
    return -1;
}

#define CSV_MAX_FIELDS 32
#define CSV_FIELD_MAX 4096

typedef struct {
    const char *p, *end, *path;
    int line;
    char *buf[CSV_MAX_FIELDS];  // the record's fields (each CSV_FIELD_MAX bytes)
    int nf;
} CsvIn;

// Parse one record at c->p into c->buf; 1 when one was read, 0 at the end.
static int csv_record(CsvIn *c, int *first_line, HHErr *err) {
    if (c->p >= c->end) return 0;
    *first_line = c->line;
    c->nf = 0;
    for (;;) {  // one field per iteration
        if (c->nf == CSV_MAX_FIELDS)
            return -hh_fail(err, HH_EINPUT, "%s:%d: more than %d fields in a record", c->path,
                            *first_line, CSV_MAX_FIELDS);
        char *o = c->buf[c->nf++];
        size_t n = 0;
        int quoted = c->p < c->end && *c->p == '"';
        if (quoted) c->p++;
        for (;;) {
            if (c->p >= c->end) {
                if (quoted)
                    return -hh_fail(err, HH_EINPUT, "%s:%d: quoted field not closed before the end "
                                    "of the file", c->path, *first_line);
                break;
            }
            char ch = *c->p;
            if (quoted && ch == '"') {
                if (c->p + 1 < c->end && c->p[1] == '"') c->p++;
                else {
                    c->p++;
                    if (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n')
                        return -hh_fail(err, HH_EINPUT, "%s:%d: text after a closing quote (a '\"' "
                                        "inside a quoted field is written '\"\"')", c->path, c->line);
                    break;
                }
            } else if (!quoted && ch == '"') {
                return -hh_fail(err, HH_EINPUT, "%s:%d: '\"' inside an unquoted field (RFC 4180: "
                                "quote the field and double the '\"')", c->path, c->line);
            } else if (!quoted && (ch == ',' || ch == '\r' || ch == '\n')) {
                break;
            }
            if (ch == '\n') c->line++;
            if (n + 1 >= CSV_FIELD_MAX)
                return -hh_fail(err, HH_EINPUT, "%s:%d: field %d longer than %d bytes", c->path,
                                *first_line, c->nf, CSV_FIELD_MAX - 1);
            o[n++] = ch;
            c->p++;
        }
        o[n] = '\0';
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '\r') c->p++;
        if (c->p < c->end) {
            if (*c->p != '\n')
                return -hh_fail(err, HH_EINPUT, "%s:%d: carriage return not followed by a line feed",
                                c->path, c->line);
            c->p++;
            c->line++;
        }
        return 1;
    }
}

static int put(char *dst, size_t cap, const char *src, const char *path, int line, const char *col,
               int need, HHErr *err) {
    if (need && !*src) return hh_fail(err, HH_EINPUT, "%s:%d: empty %s", path, line, col);
    if (strlen(src) >= cap)
        return hh_fail(err, HH_EINPUT, "%s:%d: %s longer than %zu bytes", path, line, col, cap - 1);
    for (const char *s = src; *s; s++)
        if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
            return hh_fail(err, HH_EINPUT, "%s:%d: %s holds a control character (byte 0x%02x)", path,
                           line, col, (unsigned char)*s);
    snprintf(dst, cap, "%s", src);
    return 0;
}

static int parse_claim(CsvIn *c, const int *at, int line, ClaimRow *r, ClaimResult *res, HHErr *err) {
    const char *path = c->path;
    char *const *f = c->buf;
    memset(r, 0, sizeof *r), memset(res, 0, sizeof *res);
    r->line = line;
    if (put(r->id, sizeof r->id, f[at[C_ID]], path, line, "id", 1, err) ||
        put(r->figure, sizeof r->figure, f[at[C_FIG]], path, line, "figure", 0, err) ||
        put(r->statement, sizeof r->statement, f[at[C_STMT]], path, line, "statement", 0, err) ||
        put(r->statistic, sizeof r->statistic, f[at[C_STAT]], path, line, "statistic", 1, err) ||
        put(r->criterion, sizeof r->criterion, f[at[C_CRIT]], path, line, "criterion", 1, err) ||
        put(res->stat.method, sizeof res->stat.method, f[at[C_METHOD]], path, line, "method", 0, err) ||
        put(r->rationale, sizeof r->rationale, f[at[C_RAT]], path, line, "rationale", 0, err))
        return HH_EINPUT;
    for (const char *s = r->id; *s; s++)
        if (!(*s == '_' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
              (*s >= 'A' && *s <= 'Z')))
            return hh_fail(err, HH_EINPUT, "%s:%d: id '%.60s': expected letters, digits, '_', '-' or '.'",
                           path, line, r->id);
    int v = verdict_parse(f[at[C_VERDICT]]);
    if (v < 0)
        return hh_fail(err, HH_EINPUT, "%s:%d: verdict '%.40s'; expected REPRODUCED, NOT REPRODUCED, "
                       "INCONCLUSIVE or PENDING", path, line, f[at[C_VERDICT]]);
    res->verdict = (Verdict)v;
    Criterion cr;
    if (criterion_parse(r->criterion, &cr, err))
        return hh_fail(err, HH_EINPUT, "%s:%d: %s", path, line, err->msg);
    const char *num[3] = {f[at[C_EST]], f[at[C_LO]], f[at[C_HI]]};
    int empty = !*num[0] && !*num[1] && !*num[2] && !*f[at[C_N]];
    if (empty) {
        if (v != VERDICT_PENDING)
            return hh_fail(err, HH_EINPUT, "%s:%d: verdict %s without an estimate", path, line,
                           verdict_name(res->verdict));
        res->stat.est = res->stat.lo = res->stat.hi = NAN;
        return 0;
    }
    double x[3];
    static const char *NM[3] = {"estimate", "ci_lo", "ci_hi"};
    for (int k = 0; k < 3; k++)
        if (parse_double(num[k], &x[k]))
            return hh_fail(err, HH_EINPUT, "%s:%d: %s '%.40s': expected a finite number (or all of "
                           "estimate, ci_lo, ci_hi, n empty)", path, line, NM[k], num[k]);
    if (!(x[1] <= x[2]))
        return hh_fail(err, HH_EINPUT, "%s:%d: ci_lo %g above ci_hi %g", path, line, x[1], x[2]);
    long n;
    if (params_parse_long(f[at[C_N]], 0, 2000000000L, &n))
        return hh_fail(err, HH_EINPUT, "%s:%d: n '%.40s': expected a whole number from 0 to 2000000000",
                       path, line, f[at[C_N]]);
    claim_stat_set(&res->stat, x[0], x[1], x[2], (size_t)n);
    return 0;
}

static int header(CsvIn *c, int *at, HHErr *err) {
    for (int k = 0; k < NCOLS; k++) at[k] = -1;
    for (int j = 0; j < c->nf; j++)
        for (int k = 0; k < NCOLS; k++)
            if (!strcmp(c->buf[j], COLS[k])) {
                if (at[k] >= 0)
                    return hh_fail(err, HH_EINPUT, "%s:1: column '%s' twice in the header", c->path, COLS[k]);
                at[k] = j;
            }
    for (int k = 0; k < NCOLS; k++)
        if (at[k] < 0)
            return hh_fail(err, HH_EINPUT, "%s:1: no column '%s' in the header (expected a claims.csv "
                           "written by hhfit: id,figure,statement,statistic,estimate,ci_lo,ci_hi,n,"
                           "criterion,verdict,method,rationale)", c->path, COLS[k]);
    return 0;
}

int claims_read_csv(const char *path, ClaimRow **rows, ClaimResult **res, int *n, HHErr *err) {
    *rows = NULL, *res = NULL, *n = 0;
    char *text = NULL;
    size_t len = 0;
    if (read_text_file(path, (size_t)16 << 20, "a claims.csv written by hhfit", &text, &len, err))
        return err->code;
    CsvIn c = {.p = text, .end = text + len, .path = path, .line = 1};
    char *store = malloc((size_t)CSV_MAX_FIELDS * CSV_FIELD_MAX);
    int rc = store ? 0 : hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < CSV_MAX_FIELDS && store; k++) c.buf[k] = store + (size_t)k * CSV_FIELD_MAX;
    int at[NCOLS], cap = 0, line = 1, got = 0;
    if (!rc) {
        got = csv_record(&c, &line, err);
        rc = got < 0 ? HH_EINPUT : !got ? hh_fail(err, HH_EINPUT, "%s: empty; expected a claims.csv "
                                                  "written by hhfit", path) : header(&c, at, err);
    }
    while (!rc && (got = csv_record(&c, &line, err)) > 0) {
        if (c.nf == 1 && !c.buf[0][0]) continue;  // a blank line
        int need = 0;
        for (int k = 0; k < NCOLS; k++) need = at[k] > need ? at[k] : need;
        if (c.nf <= need) {
            rc = hh_fail(err, HH_EINPUT, "%s:%d: %d fields; the header has %d", path, line, c.nf, need + 1);
            break;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            ClaimRow *nr = realloc(*rows, sizeof **rows * (size_t)cap);
            if (nr) *rows = nr;
            ClaimResult *ns = nr ? realloc(*res, sizeof **res * (size_t)cap) : NULL;
            if (ns) *res = ns;
            if (!nr || !ns || cap > 100000) {
                rc = cap > 100000 ? hh_fail(err, HH_EINPUT, "%s: more than 100000 claims", path)
                                  : hh_fail(err, HH_EFAIL, "out of memory");
                break;
            }
        }
        rc = parse_claim(&c, at, line, &(*rows)[*n], &(*res)[*n], err);
        for (int k = 0; !rc && k < *n; k++)
            if (!strcmp((*rows)[k].id, (*rows)[*n].id))
                rc = hh_fail(err, HH_EINPUT, "%s:%d: duplicate id '%s' (first on line %d)", path, line,
                             (*rows)[k].id, (*rows)[k].line);
        if (!rc) (*n)++;
    }
    if (!rc && got < 0) rc = HH_EINPUT;
    if (!rc && !*n) rc = hh_fail(err, HH_EINPUT, "%s: no claims after the header", path);
    free(store), free(text);
    if (rc) free(*rows), free(*res), *rows = NULL, *res = NULL, *n = 0;
    return rc;
}
