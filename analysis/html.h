// html.h - the report page of a results directory (`hhfit report`):
// RESULTS_DIR/index.html, one self-contained HTML file (inline CSS, no
// script, no network; the figures embedded as base64 PNG data URIs, so the
// page still shows everything when the results folder is copied or opened
// on its own).
//
// The page opens with the verdict counts and the run's provenance (hhsim
// version, git commit and dirty flag, seed, host, creation time, GSL, HDF5
// and OpenBLAS as recorded on tables.h5, and the run's params), then has
// one section per figure: what it shows (one line), the image, the claims
// it carries (statistic, estimate, 95% interval, n, criterion, verdict; from
// claims.csv) and the tables it was drawn from (name, description, columns
// with units, and the rows as an HTML table). Claims that belong to no
// figure of the run follow in their own section. Every string that comes
// from the data is HTML-escaped.
//
// Figures are found as FIGDIR/STEM.png; a PNG that is missing, not a PNG,
// larger than 32 MiB or older than tables.h5 (drawn from earlier results)
// is not embedded and the section says why.
//
// Page elements the browser test (tests/cli/report.sh) relies on: each
// figure is an <img class="fig"> in <section class="figure" id="fig-STEM">;
// each claim row of a figure or of the "other claims" section is
// <tr class="claim" data-id="ID" data-verdict="VERDICT">.
#ifndef HHFIT_HTML_H
#define HHFIT_HTML_H

#include <stdio.h>

#include "hherr.h"
#include "results.h"

// A figure of the report: its script stem and the tables it was drawn from
// ("/a, /b"), as hhfit's analysis registry lists them.
typedef struct {
    char stem[64];
    char tables[512];
} HtmlFigure;

// Parse the `writes` texts of hhfit's analyses ("/t1, /t2; stem.gp") into
// figures (entries without a script are skipped); returns the count (at most max).
int html_figures(const char *const *writes, int nwrites, HtmlFigure *out, int max);

// Write the page of r (read with RES_CLAIMS | RES_TABLES) to f. figdir holds
// the PNGs; tables_mtime is tables.h5's modification time (seconds) for the
// staleness rule; name is the run's name shown in the title.
int html_write(FILE *f, const Results *r, const HtmlFigure *figs, int nfig, const char *figdir,
               long long tables_mtime, HHErr *err);

// s with &, <, >, " and ' escaped and control characters other than tab and
// newline dropped.
void html_puts(FILE *f, const char *s);

#endif
