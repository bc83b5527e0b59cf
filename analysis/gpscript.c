// gpscript.c - see gpscript.h
#include "gpscript.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

FILE *outset_open(OutSet *o, const char *dir, const char *name, HHErr *err) {
    if (o->n == OUTSET_MAX) {
        hh_fail(err, HH_EFAIL, "too many output files (a bug in hhfit)");
        return NULL;
    }
    int k = o->n;
    char fin[1200];
    snprintf(fin, sizeof fin, "%s/%s", dir, name);
    memcpy(o->fin[k], fin, sizeof fin);
    snprintf(o->tmp[k], sizeof o->tmp[k], "%.1150s.tmp.%ld", fin, (long)getpid());
    o->f[k] = fopen(o->tmp[k], "w");
    if (!o->f[k]) {
        hh_fail(err, HH_EFAIL, "%s: cannot create: %s", o->tmp[k], strerror(errno));
        return NULL;
    }
    o->n++;
    return o->f[k];
}

int outset_commit(OutSet *o, HHErr *err) {
    int rc = 0;
    for (int k = 0; k < o->n; k++) {
        int bad = ferror(o->f[k]);
        bad |= fclose(o->f[k]) != 0;
        o->f[k] = NULL;
        if (bad && !rc) rc = hh_fail(err, HH_EFAIL, "%s: write failed (disk full?)", o->tmp[k]);
    }
    for (int k = 0; k < o->n && !rc; k++)
        if (rename(o->tmp[k], o->fin[k]) != 0)
            rc = hh_fail(err, HH_EFAIL, "%s: cannot rename into place: %s", o->fin[k], strerror(errno));
    if (rc)
        for (int k = 0; k < o->n; k++) unlink(o->tmp[k]);
    o->n = 0;
    return rc;
}

void outset_abort(OutSet *o) {
    for (int k = 0; k < o->n; k++) {
        if (o->f[k]) fclose(o->f[k]);
        unlink(o->tmp[k]);
    }
    o->n = 0;
}

void gp_puts_quoted(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
}

FILE *gp_begin(OutSet *o, const char *dir, const char *stem, const char *what, const GPInfo *gi,
               int width, int height, HHErr *err) {
    char name[256];
    snprintf(name, sizeof name, "%s.gp", stem);
    FILE *f = outset_open(o, dir, name, err);
    if (!f) return NULL;
    fprintf(f, "# %s.gp - %s\n"
               "# Written by %s from the run in %s. The data are inside (datablocks), so\n"
               "# this script runs alone:\n"
               "#   gnuplot %s.gp                        -> %s.png and %s.pdf beside it\n"
               "#   gnuplot -e \"outdir='DIR'\" %s.gp      -> DIR/%s.png and DIR/%s.pdf\n"
               "# The same numbers are in tables.h5 (see analysis/README.md).\n\n"
               "# ---- style: embedded copy of figures/style.gp ----\n",
            stem, what, gi->version, gi->run_dir, stem, stem, stem, stem, stem, stem);
    fputs(gi->style, f);
    if (gi->style[0] && gi->style[strlen(gi->style) - 1] != '\n') fputc('\n', f);
    fprintf(f, "# ---- end of style ----\n\n"
               "if (!exists(\"outdir\")) { outdir = \".\"; do for [hh_i = strlen(ARG0):1:-1] "
               "{ if (ARG0[hh_i:hh_i] eq \"/\") { outdir = ARG0[1:hh_i-1]; break } } }\n"
               "hh_w = %d; hh_h = %d\n\n", width, height);
    return f;
}

void gp_loop_begin(FILE *f, const char *stem) {
    fprintf(f, "\ndo for [hh_ext in \"png pdf\"] {\n"
               "eval hh_term(hh_ext)\n"
               "set output outdir.\"/%s.\".hh_ext\n", stem);
}

void gp_loop_end(FILE *f) {
    fputs("unset output\n}\n", f);
}

void gp_log_xrange(FILE *f, const double *x, int n) {
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i]) && x[i] > 0) lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
    if (!isfinite(lo)) lo = 1, hi = 10;
    fprintf(f, "set logscale x\nset xrange [%.6g:%.6g]\n", lo / 1.6, hi * 1.6);
}

// ---------------------------------------------------------------------------
// datablocks from tables

void gp_block_begin(FILE *f, const char *name, const char *comment) {
    fprintf(f, "%s << EOD\n", name);
    if (comment) fprintf(f, "# %s\n", comment);
}

void gp_block_next(FILE *f) {
    fputs("\n\n", f);
}

void gp_block_end(FILE *f) {
    fputs("EOD\n", f);
}

size_t gp_tab_rows(FILE *f, Tab *t, const char *cols, const TabWhere *w) {
    size_t n = 0;
    if (tab_check_where(t, w)) return 0;
    for (size_t r = 0; r < t->nrow; r++)
        if (tab_match(t, r, w)) {
            if (tab_print_row(f, t, r, cols)) return n;
            n++;
        }
    return n;
}

// 1 if column j of rows a and b differ.
static int cell_differs(const Tab *t, int j, size_t a, size_t b) {
    size_t ca = a * (size_t)t->ncol + (size_t)j, cb = b * (size_t)t->ncol + (size_t)j;
    return t->col[j].type == 's' ? strcmp(t->str[ca], t->str[cb]) != 0 : t->num[ca] != t->num[cb];
}

// One NaN per column of the list.
static void nan_row(FILE *f, const char *cols) {
    int k = 0;
    for (const char *s = cols; *(s += strspn(s, " ")); s += strcspn(s, " ")) fputs(k++ ? " NaN" : "NaN", f);
    fputc('\n', f);
}

int gp_tab_block(FILE *f, const char *name, const char *comment, Tab *t, const char *cols,
                 const TabWhere *w, const char *by) {
    TabWhere wb = tab_where(by, "");
    int j = by ? tab_col(t, by) : -1, blocks = 0, bad = tab_check_where(t, &wb) || tab_check_where(t, w);
    size_t prev = 0;
    gp_block_begin(f, name, comment);
    for (size_t r = 0; r < t->nrow && !bad; r++) {
        if (!tab_match(t, r, w)) continue;
        if (blocks && j >= 0 && cell_differs(t, j, prev, r)) gp_block_next(f), blocks++;
        blocks += !blocks;
        bad = tab_print_row(f, t, r, cols) != 0;
        prev = r;
    }
    if (!blocks) nan_row(f, cols);
    gp_block_end(f);
    return blocks;
}
