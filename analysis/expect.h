// expect.h - expected results that travel with the code (`hhfit check`).
//
// An expectation file (papers/bai2022/expected-NAME.tsv for params/NAME.ini)
// holds, per claim, the verdict(s) and the key statistic a run of those
// params must give; tab-separated, '#' comments, a header line "id\t...":
//     id  statistic  verdict  estimate  tolerance
// verdict is one verdict name or several joined by '|' (each acceptable);
// estimate and tolerance are numbers, or "-" for a PENDING claim (no
// statistic). A claim of the results matches when its statistic name is the
// same, its verdict is one of those listed and |estimate - expected| <=
// tolerance (a PENDING claim: no estimate).
//
// Tolerances (check_write): hhsim is bit-identical on one machine, but
// another CPU makes OpenBLAS pick other SGEMM kernels, whose different
// rounding changes the trained models chaotically; measured on
// params/smoke.ini with OPENBLAS_CORETYPE = Haswell (this machine's),
// SkylakeX, Sandybridge and Nehalem, each estimate moved by up to 0.61 of
// its 95% interval's half-width, and (world v1) one verdict moved (an
// interval touching its criterion). So the tolerance written is the larger of the
// interval's half-width and twice the largest difference among the runs
// given (1e-9 relative at least), and the verdicts written are every
// verdict those runs gave.
#ifndef HHFIT_EXPECT_H
#define HHFIT_EXPECT_H

#include <stdio.h>

#include "hherr.h"
#include "results.h"

// Compare r's claims with the expectation file; one line per claim to out
// ("ok ID ..." or "MISMATCH ID: ..."), then a summary. *mismatches
// receives the count (claims of either side missing from the other count).
int check_compare(const Results *r, const char *expected, FILE *out, int *mismatches, HHErr *err);

// Write the expectation file of runs[0] (its estimates), widened by
// runs[1..n-1] (the same params on other machines or BLAS kernels; same
// claim ids) as described above, to f. `cmd` is recorded in the header.
int check_write(FILE *f, const Results *runs, int n, const char *cmd, HHErr *err);

#endif
