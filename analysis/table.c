// table.c - see table.h
#include "table.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5_hl.h>

static void mark_bad(Tab *t, const char *what, const char *col) {
    if (!t->bad[0]) snprintf(t->bad, sizeof t->bad, "%s '%s'", what, col);
}

// Parse one "name:type:units" column spec into c.
static int parse_col(const char *s, size_t len, TabCol *c) {
    char buf[128];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *t1 = strchr(buf, ':');
    char *t2 = t1 ? strchr(t1 + 1, ':') : NULL;
    if (!t1 || !t2 || t2 != t1 + 2) return -1;
    *t1 = *t2 = '\0';
    if (!buf[0] || strlen(buf) >= sizeof c->name || strlen(t2 + 1) >= sizeof c->units) return -1;
    c->type = t1[1];
    if (c->type != 'f' && c->type != 'i' && c->type != 's') return -1;
    snprintf(c->name, sizeof c->name, "%s", buf);
    snprintf(c->units, sizeof c->units, "%s", t2 + 1);
    return 0;
}

Tab *tab_alloc(const char *name, const char *desc, const char *spec, HHErr *err) {
    Tab *t = calloc(1, sizeof *t);
    if (!t) {
        hh_fail(err, HH_EFAIL, "out of memory");
        return NULL;
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->desc, sizeof t->desc, "%s", desc);
    for (const char *s = spec; *s;) {
        const char *e = strchr(s, ';');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (t->ncol == TAB_MAX_COLS || parse_col(s, len, &t->col[t->ncol])) {
            hh_fail(err, HH_EFAIL, "table %s: bad column spec near '%.40s'", name, s);
            free(t);
            return NULL;
        }
        t->ncol++;
        s = e ? e + 1 : s + len;
    }
    return t;
}

void tab_free(Tab *t) {
    if (!t) return;
    free(t->num);
    free(t->str);
    free(t);
}

int tab_col(const Tab *t, const char *col) {
    for (int j = 0; j < t->ncol; j++)
        if (!strcmp(t->col[j].name, col)) return j;
    return -1;
}

size_t tab_add_row(Tab *t) {
    if (t->nrow == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        double *num = realloc(t->num, sizeof *num * cap * (size_t)t->ncol);
        if (num) t->num = num;
        char(*str)[TAB_STR_LEN] = realloc(t->str, sizeof *str * cap * (size_t)t->ncol);
        if (str) t->str = str;
        if (!num || !str) {
            mark_bad(t, "out of memory adding a row to", t->name);
            return (size_t)-1;
        }
        t->cap = cap;
    }
    size_t r = t->nrow++;
    for (int j = 0; j < t->ncol; j++) {
        t->num[r * (size_t)t->ncol + (size_t)j] = t->col[j].type == 'i' ? -1 : NAN;
        memset(t->str[r * (size_t)t->ncol + (size_t)j], 0, TAB_STR_LEN);  // byte-reproducible files
    }
    return r;
}

// Column index for a set of the given type, or -1 (table marked invalid).
static int cell(Tab *t, size_t r, const char *col, char type) {
    int j = tab_col(t, col);
    if (j < 0) mark_bad(t, "unknown column", col);
    else if ((type == 's') != (t->col[j].type == 's')) mark_bad(t, "wrong type for column", col);
    else if (r >= t->nrow) mark_bad(t, "row out of range in column", col);
    else return j;
    return -1;
}

void tab_setf(Tab *t, size_t r, const char *col, double v) {
    int j = cell(t, r, col, 'f');
    if (j >= 0) t->num[r * (size_t)t->ncol + (size_t)j] = t->col[j].type == 'i' ? (double)lround(v) : v;
}

void tab_seti(Tab *t, size_t r, const char *col, long v) {
    int j = cell(t, r, col, 'i');
    if (j >= 0) t->num[r * (size_t)t->ncol + (size_t)j] = (double)v;
}

void tab_sets(Tab *t, size_t r, const char *col, const char *s) {
    int j = cell(t, r, col, 's');
    if (j < 0) return;
    if (strlen(s) >= TAB_STR_LEN) mark_bad(t, "string too long for column", col);
    char *c = t->str[r * (size_t)t->ncol + (size_t)j];
    memset(c, 0, TAB_STR_LEN);
    snprintf(c, TAB_STR_LEN, "%s", s);
}

double tab_getf(const Tab *t, size_t r, const char *col) {
    int j = tab_col(t, col);
    if (j < 0 || r >= t->nrow || t->col[j].type == 's') return NAN;
    return t->num[r * (size_t)t->ncol + (size_t)j];
}

const char *tab_gets(const Tab *t, size_t r, const char *col) {
    int j = tab_col(t, col);
    if (j < 0 || r >= t->nrow || t->col[j].type != 's') return "";
    return t->str[r * (size_t)t->ncol + (size_t)j];
}

static void add_attr(Tab *t, const char *name, char kind, const char *s, double v) {
    if (t->nattr == TAB_MAX_ATTRS) {
        mark_bad(t, "too many attributes at", name);
        return;
    }
    int k = t->nattr++;
    snprintf(t->attr_name[k], sizeof t->attr_name[k], "%s", name);
    snprintf(t->attr_val[k], sizeof t->attr_val[k], "%s", s ? s : "");
    t->attr_num[k] = v;
    t->attr_kind[k] = kind;
}

void tab_attr_str(Tab *t, const char *name, const char *value) { add_attr(t, name, 's', value, 0); }
void tab_attr_double(Tab *t, const char *name, double value) { add_attr(t, name, 'f', NULL, value); }

// ---------------------------------------------------------------------------
// writing

static size_t col_size(char type) {
    return type == 'f' ? sizeof(double) : type == 'i' ? sizeof(int32_t) : TAB_STR_LEN;
}

// Pack rows into an H5TB record buffer; offsets/types filled per column.
static unsigned char *pack(const Tab *t, size_t *rowsz, size_t *off, hid_t *types, hid_t strt) {
    size_t sz = 0;
    for (int j = 0; j < t->ncol; j++) {
        off[j] = sz;
        sz += col_size(t->col[j].type);
        types[j] = t->col[j].type == 'f' ? H5T_NATIVE_DOUBLE
                   : t->col[j].type == 'i' ? H5T_NATIVE_INT32 : strt;
    }
    *rowsz = sz;
    unsigned char *buf = calloc(t->nrow ? t->nrow : 1, sz);
    if (!buf) return NULL;
    for (size_t r = 0; r < t->nrow; r++)
        for (int j = 0; j < t->ncol; j++) {
            unsigned char *p = buf + r * sz + off[j];
            size_t c = r * (size_t)t->ncol + (size_t)j;
            if (t->col[j].type == 'f') memcpy(p, &t->num[c], sizeof(double));
            else if (t->col[j].type == 'i') {
                int32_t v = (int32_t)t->num[c];
                memcpy(p, &v, sizeof v);
            } else memcpy(p, t->str[c], TAB_STR_LEN);
        }
    return buf;
}

static int write_attrs(const Tab *t, hid_t loc) {
    char an[48];
    int bad = 0;
    for (int j = 0; j < t->ncol && !bad; j++) {
        snprintf(an, sizeof an, "FIELD_%d_UNITS", j);
        bad = H5LTset_attribute_string(loc, t->name, an, t->col[j].units) < 0;
    }
    bad = bad || H5LTset_attribute_string(loc, t->name, "description", t->desc) < 0 ||
          H5LTset_attribute_string(loc, t->name, "units", "see FIELD_k_UNITS") < 0;
    for (int k = 0; k < t->nattr && !bad; k++)
        bad = t->attr_kind[k] == 's'
                  ? H5LTset_attribute_string(loc, t->name, t->attr_name[k], t->attr_val[k]) < 0
                  : H5LTset_attribute_double(loc, t->name, t->attr_name[k], &t->attr_num[k], 1) < 0;
    return bad;
}

int tab_write(const Tab *t, hid_t loc, HHErr *err) {
    if (t->bad[0]) return hh_fail(err, HH_EFAIL, "table %s: %s (a bug in hhfit)", t->name, t->bad);
    size_t off[TAB_MAX_COLS], rowsz;
    hid_t types[TAB_MAX_COLS];
    const char *names[TAB_MAX_COLS];
    hid_t strt = H5Tcopy(H5T_C_S1);
    H5Tset_size(strt, TAB_STR_LEN);
    unsigned char *buf = pack(t, &rowsz, off, types, strt);
    for (int j = 0; j < t->ncol; j++) names[j] = t->col[j].name;
    herr_t st = buf ? H5TBmake_table(t->desc, loc, t->name, (hsize_t)t->ncol, (hsize_t)t->nrow,
                                     rowsz, names, off, types, 64, NULL, 0, buf)
                    : -1;
    free(buf);
    H5Tclose(strt);
    if (st < 0) return hh_fail(err, HH_EFAIL, "HDF5: cannot write table %s", t->name);
    if (write_attrs(t, loc)) return hh_fail(err, HH_EFAIL, "HDF5: cannot write attributes of %s", t->name);
    return 0;
}

// ---------------------------------------------------------------------------
// selecting and printing rows

TabWhere tab_where(const char *col, const char *val) {
    TabWhere w = {0};
    if (col) tab_where_and(&w, col, val);
    return w;
}

void tab_where_and(TabWhere *w, const char *col, const char *val) {
    if (w->n == TAB_MAX_WHERE) {
        w->n = TAB_MAX_WHERE + 1;  // tab_check_where reports it
        return;
    }
    if (w->n < TAB_MAX_WHERE) w->col[w->n] = col, w->val[w->n++] = val;
}

int tab_match(const Tab *t, size_t r, const TabWhere *w) {
    if (!w) return 1;
    if (r >= t->nrow || w->n > TAB_MAX_WHERE) return 0;
    for (int k = 0; k < w->n; k++) {
        int j = tab_col(t, w->col[k]);
        if (j < 0) return 0;
        size_t c = r * (size_t)t->ncol + (size_t)j;
        if (t->col[j].type == 's' ? strcmp(t->str[c], w->val[k]) != 0 : t->num[c] != strtod(w->val[k], NULL))
            return 0;
    }
    return !w->keep || w->keep(t, r, w->ctx);
}

int tab_check_where(Tab *t, const TabWhere *w) {
    if (!w) return 0;
    if (w->n > TAB_MAX_WHERE) {
        mark_bad(t, "too many conditions selecting rows of", t->name);
        return -1;
    }
    for (int k = 0; k < w->n; k++)
        if (tab_col(t, w->col[k]) < 0) {
            mark_bad(t, "unknown column selecting rows", w->col[k]);
            return -1;
        }
    return 0;
}

// Check one "name[:fmt]" item of a column list; its column index, or -1 (t marked invalid).
static int print_item(Tab *t, const char *item, size_t len, char *name, char *fmt) {
    const char *colon = memchr(item, ':', len);
    size_t nl = colon ? (size_t)(colon - item) : len, fl = colon ? len - nl - 1 : 0;
    if (nl == 0 || nl >= 32 || fl >= 16) {
        mark_bad(t, "bad column list item", item);
        return -1;
    }
    memcpy(name, item, nl), name[nl] = '\0';
    int j = tab_col(t, name);
    if (j < 0) {
        mark_bad(t, "unknown column", name);
        return -1;
    }
    char type = t->col[j].type;
    if (!colon) snprintf(fmt, 16, "%s", type == 's' ? "%s" : type == 'i' ? "%d" : "%.6f");
    else memcpy(fmt, colon + 1, fl), fmt[fl] = '\0';
    size_t k = fmt[0] == '%' ? 1 + strspn(fmt + 1, "-+ #0123456789.") : 0;
    char conv = k && k + 1 == strlen(fmt) ? fmt[k] : '\0';
    int ok = type == 's' ? conv == 's' : conv && strchr("fged", conv) != NULL;
    if (!ok) mark_bad(t, "bad format for column", name);
    return ok ? j : -1;
}

int tab_print_row(FILE *f, Tab *t, size_t r, const char *cols) {
    char name[32], fmt[24], line[1024];
    size_t n = 0;
    for (const char *s = cols; *s && r < t->nrow;) {
        s += strspn(s, " ");
        size_t len = strcspn(s, " ");
        if (!len) break;
        int j = print_item(t, s, len, name, fmt);
        if (j < 0) return -1;
        size_t c = r * (size_t)t->ncol + (size_t)j, L = strlen(fmt), left = sizeof line - n;
        if (n) line[n++] = ' ', left--;
        int w;
        if (t->col[j].type == 's') w = snprintf(line + n, left, fmt, t->str[c]);
        else if (fmt[L - 1] == 'd') {
            fmt[L - 1] = 'l', fmt[L] = 'd', fmt[L + 1] = '\0';  // %ld of the rounded value
            w = snprintf(line + n, left, fmt, lround(t->num[c]));
        } else w = snprintf(line + n, left, fmt, t->num[c]);
        if (w < 0 || (size_t)w >= left) {
            mark_bad(t, "row too long to print in column", name);
            return -1;
        }
        n += (size_t)w, s += len;
    }
    if (r >= t->nrow) {
        mark_bad(t, "row out of range printing", t->name);
        return -1;
    }
    line[n] = '\0';
    fprintf(f, "%s\n", line);
    return 0;
}

size_t tab_count(const Tab *t, const TabWhere *w) {
    size_t n = 0;
    for (size_t r = 0; r < t->nrow; r++) n += tab_match(t, r, w) != 0;
    return n;
}

size_t tab_find(const Tab *t, const TabWhere *w) {
    for (size_t r = 0; r < t->nrow; r++)
        if (tab_match(t, r, w)) return r;
    return (size_t)-1;
}

size_t tab_values(const Tab *t, const char *col, const TabWhere *w, double *out, size_t max) {
    int j = tab_col(t, col);
    size_t n = 0;
    for (size_t r = 0; j >= 0 && t->col[j].type != 's' && r < t->nrow && n < max; r++)
        if (tab_match(t, r, w)) out[n++] = t->num[r * (size_t)t->ncol + (size_t)j];
    return n;
}
