// rdiff.h - what changed between two results directories (`hhfit diff A B`).
//
// Compared, in this order and printed so:
//   params   the runs' effective params (tables.h5 attribute params), key by
//            key: "[section] key: A -> B", keys only in one run
//   claims   claims.csv by id: verdict moves first ("verdict ID: A -> B"),
//            then changed estimates, intervals or n, then ids only in one
//   tables   tables.h5 by table: tables only in one, columns added or
//            removed, row counts, and per changed column the largest
//            absolute difference (numbers; NaN against a number counts as
//            a change) or the count of differing cells (strings)
// Provenance that differs between identical runs (commit, host, creation
// time, library versions) is printed for information, not compared.
#ifndef HHFIT_RDIFF_H
#define HHFIT_RDIFF_H

#include <stdio.h>

#include "hherr.h"
#include "results.h"

// Print the differences of a and b (each read with RES_CLAIMS | RES_TABLES)
// to out; *ndiff receives the number of differences (0: identical).
int rdiff(const Results *a, const Results *b, FILE *out, int *ndiff, HHErr *err);

// s with bytes outside printable ASCII replaced by '?' (at most n - 1 bytes)
// into buf; returns buf. For data printed on a terminal.
const char *rdiff_clean(const char *s, char *buf, size_t n);

#endif
