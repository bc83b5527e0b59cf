// table.h - column tables for tables.h5: built row by row in memory, written
// as one HDF5 H5TB table each, with every column's units as attributes.
//
// A table is declared once by a spec string of `name:type:units` columns
// separated by ';' (type f = float64, i = int32, s = string of up to
// TAB_STR_LEN - 1 characters), e.g.
//     "scale:s:-;n_train:i:comparisons;acc:f:fraction"
// Cells are set by column name; an unknown name or a type mismatch makes the
// table invalid (tab_write then fails naming the column), so a typo is never
// silent. Unset numeric cells are NaN (f) or -1 (i); unset strings are "".
//
// On disk (tab_write): dataset /NAME made by H5TBmake_table (attributes
// CLASS=TABLE, TITLE, FIELD_k_NAME as H5TB writes them) plus
//   FIELD_k_UNITS  the units of column k (string; "-" for labels, "1" for
//                  dimensionless numbers)
//   description    what a row is
//   units          "see FIELD_k_UNITS" (every hhsim dataset has `units`)
// and any extra attributes added with tab_attr_*.
//
// Figures read their numbers back from the tables (gpscript.h writes
// datablocks with tab_print_row), so each number is computed once: rows are
// selected with a TabWhere and printed with a column list "name[:fmt] ...".
#ifndef HHFIT_TABLE_H
#define HHFIT_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include <hdf5.h>

#include "hherr.h"

#define TAB_MAX_COLS 32
#define TAB_STR_LEN 48
#define TAB_MAX_ATTRS 16

typedef struct {
    char name[32];
    char units[48];
    char type;  // 'f', 'i' or 's'
} TabCol;

typedef struct {
    char name[64];
    char desc[512];
    int ncol;
    TabCol col[TAB_MAX_COLS];
    size_t nrow, cap;
    double *num;            // (cap, ncol) numeric cells (ints stored exactly)
    char (*str)[TAB_STR_LEN];  // (cap, ncol) string cells
    char bad[160];          // first misuse, "" when valid
    int nattr;
    char attr_name[TAB_MAX_ATTRS][32];
    char attr_val[TAB_MAX_ATTRS][256];
    double attr_num[TAB_MAX_ATTRS];
    char attr_kind[TAB_MAX_ATTRS];  // 's' or 'f'
} Tab;

// A new empty table; NULL with err set on a malformed spec or no memory.
Tab *tab_alloc(const char *name, const char *desc, const char *spec, HHErr *err);
void tab_free(Tab *t);

// Append an empty row; returns its index (or (size_t)-1 on no memory, which
// also marks the table invalid).
size_t tab_add_row(Tab *t);

// Set a cell of row r by column name.
void tab_setf(Tab *t, size_t r, const char *col, double v);
void tab_seti(Tab *t, size_t r, const char *col, long v);
void tab_sets(Tab *t, size_t r, const char *col, const char *s);

// Read a cell back (NaN / "" when the column is unknown).
double tab_getf(const Tab *t, size_t r, const char *col);
const char *tab_gets(const Tab *t, size_t r, const char *col);

// Extra table attributes (e.g. a fit's R^2 or the method used).
void tab_attr_str(Tab *t, const char *name, const char *value);
void tab_attr_double(Tab *t, const char *name, double value);

// Write the table as dataset `name` under loc.
int tab_write(const Tab *t, hid_t loc, HHErr *err);

// Index of a column, or -1.
int tab_col(const Tab *t, const char *col);

// ---------------------------------------------------------------------------
// selecting and printing rows

#define TAB_MAX_WHERE 3

// A row selection: the rows whose column col[k] equals val[k] for every k < n
// (a string column compares the text, a numeric column the number val[k]
// parses to) and, when keep is set, for which keep(t, r, ctx) is non-zero.
// The strings are not copied: they must outlive the selection.
typedef struct {
    int n;
    const char *col[TAB_MAX_WHERE];
    const char *val[TAB_MAX_WHERE];
    int (*keep)(const Tab *t, size_t r, const void *ctx);
    const void *ctx;
} TabWhere;

// The selection col = val (col NULL: every row); tab_where_and adds a condition.
TabWhere tab_where(const char *col, const char *val);
void tab_where_and(TabWhere *w, const char *col, const char *val);

// 1 if row r is selected by w (w NULL: every row).
int tab_match(const Tab *t, size_t r, const TabWhere *w);

// Check that w names columns of t; otherwise mark t invalid (tab_write fails
// naming the column) and return -1.
int tab_check_where(Tab *t, const TabWhere *w);

// Print row r's columns `cols`, separated by one space, then '\n'. cols is a
// space-separated list of "name" or "name:fmt", fmt one printf conversion:
// %[flags][width][.prec] followed by f, g or e (numeric columns), d (numeric
// columns, rounded to an integer) or s (string columns). Default: %.6f for f
// columns, %d for i, %s for s. An unknown column or a bad format marks t
// invalid (tab_write then fails naming it) and prints nothing; returns -1.
int tab_print_row(FILE *f, Tab *t, size_t r, const char *cols);

// The number of rows selected by w.
size_t tab_count(const Tab *t, const TabWhere *w);

// The first row selected by w, or (size_t)-1 (tab_getf of it is NaN).
size_t tab_find(const Tab *t, const TabWhere *w);

// The values of numeric column col in the rows selected by w, at most max;
// returns the count.
size_t tab_values(const Tab *t, const char *col, const TabWhere *w, double *out, size_t max);

#endif
