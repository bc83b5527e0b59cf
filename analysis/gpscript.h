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
#ifndef HHFIT_GPSCRIPT_H
#define HHFIT_GPSCRIPT_H

#include <stdio.h>

#include "hherr.h"

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

// Quote s as a gnuplot double-quoted string body (escapes " and \).
void gp_puts_quoted(FILE *f, const char *s);

#endif
