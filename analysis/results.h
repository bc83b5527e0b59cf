// results.h - a results directory read back (what `hhfit report`, `hhfit
// check` and `hhfit diff` compare and show): RESULTS_DIR/claims.csv
// (claimscsv.h), and RESULTS_DIR/tables.h5: its provenance (the root
// attributes h5io.h writes) and every table at its root, whatever its
// columns, as numbers or strings.
//
// Every input is untrusted: tables.h5 must be an hhsim 'results' file
// (h5in_open); only hard links at the root are followed; a table must be a
// one-dimensional compound dataset of at most RES_MAX_ROWS rows and
// RES_MAX_COLS members, each an integer, a float or a fixed-length string
// (read as at most RES_STR - 1 bytes); anything else is HH_EINPUT naming the
// file, table and column.
#ifndef HHFIT_RESULTS_H
#define HHFIT_RESULTS_H

#include <stddef.h>

#include "claims.h"
#include "hherr.h"

#define RES_MAX_TABLES 256
#define RES_MAX_COLS 64
#define RES_MAX_ROWS 1000000
#define RES_STR 64

typedef struct {
    char name[RES_STR];
    char units[RES_STR];  // FIELD_k_UNITS ("" when absent)
    char kind;            // 'f' number (integers included) or 's' string
    double *num;          // nrow values ('f')
    char (*str)[RES_STR]; // nrow strings ('s')
} ResCol;

typedef struct {
    char name[RES_STR];
    char *desc;     // attribute description ("" when absent)
    char *missing;  // attribute missing (why the table is empty), or NULL
    size_t nrow;
    int ncol;
    ResCol col[RES_MAX_COLS];
} ResTable;

// Root attributes of tables.h5, as text ("" when absent).
typedef struct {
    char version[64], commit[64], dirty[8], seed[64], source_hash[64], gsl[64], hdf5[64],
        openblas[256], host[256], created[64], content_hash[64], wall[32];
    char *params;   // the run's effective params text ("" when absent)
} ResProv;

typedef struct {
    char dir[1024];
    ResProv prov;
    int ntab;
    ResTable *tab;        // sorted by name
    int nclaim;
    ClaimRow *rows;       // claims.csv
    ClaimResult *res;
} Results;

enum { RES_CLAIMS = 1, RES_TABLES = 2 };

// Read what `what` asks for (RES_CLAIMS, RES_TABLES or both) from dir.
int results_read(const char *dir, int what, Results *r, HHErr *err);
void results_free(Results *r);

// The table named name (without '/'), or NULL.
const ResTable *results_table(const Results *r, const char *name);

// The column named name of t, or NULL.
const ResCol *results_col(const ResTable *t, const char *name);

#endif
