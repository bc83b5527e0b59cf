// claimscsv.h - claims.csv: every claim of a results directory with its
// statistic, 95% interval, criterion and verdict, machine-readable.
//
// hhfit writes RESULTS_DIR/claims.csv beside claims.md (the same rows);
// `hhfit report`, `hhfit check` and `hhfit diff` read it back.
//
// Format (RFC 4180): UTF-8, records ended by CRLF, fields separated by ',';
// a field holding ',', '"', CR or LF is enclosed in double quotes, a '"'
// inside it doubled. The first record is the header
//     id,figure,statement,statistic,estimate,ci_lo,ci_hi,n,criterion,verdict,method,rationale
// estimate, ci_lo, ci_hi are printed with 17 significant digits (they read
// back as the same doubles); n is a whole number. A claim without a
// statistic in this run (verdict PENDING for want of data) has these four
// fields empty. verdict is one of verdict_name()'s four names.
//
// Reading treats the file as untrusted: columns are found by header name
// (extra columns are ignored, order is free), every field is length-checked
// and every number parsed whole; any fault is HH_EINPUT naming path:line.
#ifndef HHFIT_CLAIMSCSV_H
#define HHFIT_CLAIMSCSV_H

#include <stdio.h>

#include "claims.h"
#include "hherr.h"

// Write the header and one record per claim.
int claims_write_csv(FILE *f, const ClaimRow *rows, const ClaimResult *res, int n);

// Read path into malloc'd rows and results (*n claims, at least one; ids
// unique). ClaimRow.line is the record's first line in the file.
int claims_read_csv(const char *path, ClaimRow **rows, ClaimResult **res, int *n, HHErr *err);

// The verdict named s (verdict_name's spelling); -1 if none.
int verdict_parse(const char *s);

// Read a whole regular text file (at most max bytes, no NUL byte) into a
// malloc'd NUL-terminated buffer; `what` says what was expected (messages).
int read_text_file(const char *path, size_t max, const char *what, char **out, size_t *len,
                   HHErr *err);

// Parse a whole finite double ("nan", "inf" and trailing text refused).
int parse_double(const char *s, double *v);

#endif
