// gpscript.h - hhfit's output files: text files written under temporary
// names and renamed together at the end (so a failing run leaves earlier
// results untouched), and self-contained gnuplot scripts.
//
// A figure script NAME.gp carries the figures/style.gp text and its data as
// `$name << EOD` datablocks, and writes NAME.png and NAME.pdf:
//     gnuplot NAME.gp                           beside the script
//     gnuplot -e "outdir='DIR'" NAME.gp         into DIR (which must exist)
// The style defines hh_term(ext) (the terminal command for "png" or "pdf"
// at size hh_w x hh_h pixels) and line types 1-8 (one per model scale,
// smallest first), 9 (ideal/fit reference) and 10 (chance/ceiling).
//
// A datablock's numbers come from the figure's table (table.h), the one
// written to tables.h5, so each is computed once: gp_tab_block writes the
// selected rows and columns of a Tab; blocks (gnuplot's `index k`) are
// separated by two blank lines.
#ifndef HHFIT_GPSCRIPT_H
#define HHFIT_GPSCRIPT_H

#include <stdio.h>

#include "hherr.h"
#include "table.h"

#define OUTSET_MAX 64

typedef struct {
    int n;
    FILE *f[OUTSET_MAX];
    char tmp[OUTSET_MAX][1200];
    char fin[OUTSET_MAX][1200];
} OutSet;

// Open dir/name for writing as dir/name.tmp.PID; NULL with err on failure.
FILE *outset_open(OutSet *o, const char *dir, const char *name, HHErr *err);
// Close every file and rename each into place; on any failure delete the rest.
int outset_commit(OutSet *o, HHErr *err);
// Close and delete every temporary file.
void outset_abort(OutSet *o);

typedef struct {
    const char *style;    // figures/style.gp text, embedded as is
    const char *run_dir;  // for the header comment
    const char *version;  // hhfit version line for the header comment
} GPInfo;

// Begin dir/stem.gp: header comment, embedded style, outdir logic, and the
// size hh_w x hh_h. Returns the stream (owned by o).
FILE *gp_begin(OutSet *o, const char *dir, const char *stem, const char *what, const GPInfo *gi,
               int width, int height, HHErr *err);

// Start / end the loop that draws the plot once per terminal (png, pdf); the
// commands written between them make one figure (multiplot allowed).
void gp_loop_begin(FILE *f, const char *stem);
void gp_loop_end(FILE *f);

// "set logscale x" and an x range from the positive finite x[0..n-1] widened
// by a factor 1.6 each side (1 to 10 when there are none).
void gp_log_xrange(FILE *f, const double *x, int n);

// Datablocks: "$name << EOD" and "# comment" (omitted when NULL); two blank
// lines between blocks; "EOD".
void gp_block_begin(FILE *f, const char *name, const char *comment);
void gp_block_next(FILE *f);
void gp_block_end(FILE *f);

// The rows of t selected by w (NULL: every row), columns `cols` in the
// format of tab_print_row. Returns the rows written; a bad column marks t
// invalid (report_put / tab_write then fails naming it).
size_t gp_tab_rows(FILE *f, Tab *t, const char *cols, const TabWhere *w);

// A whole datablock from t: begin, the rows selected by w, a new block
// wherever column `by` (NULL: one block) changes value between consecutive
// selected rows, end. A datablock without rows gets one row of NaN, one per
// column (gnuplot cannot plot an empty datablock). Returns the blocks written.
int gp_tab_block(FILE *f, const char *name, const char *comment, Tab *t, const char *cols,
                 const TabWhere *w, const char *by);

// Quote s as a gnuplot double-quoted string body (escapes " and \).
void gp_puts_quoted(FILE *f, const char *s);

#endif
