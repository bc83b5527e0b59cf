// report.h - the preference-model figures and tables of hhfit: each
// report_X computes one figure's numbers from the run (pmstats.h), writes
// its table(s) into tables.h5 (table.h) and its self-contained gnuplot
// script (gpscript.h), whose datablocks are printed from those tables
// (report_scale_blocks, gp_tab_block). The schema of every table is in analysis/README.md.
//
//   report_pm_runs   /pm_runs                      every PM read, with accuracies
//   report_crowd     /crowd_agreement              world.h5's crowd-vs-crowd and crowd-vs-gold
//   report_fig07     /fig07_accuracy, /fit_loglinear          fig07_pm_accuracy_scaling.gp
//   report_pmp       /pmp_vs_nopmp                 pmp_accuracy.gp
//   report_fig08     /fig08_accuracy_by_turn       fig08_accuracy_by_turn.gp
//   report_fig09     /fig09_accuracy_by_margin (the ECE's bins),
//                    /calibration_ece              fig09_calibration.gp
//   report_fig19     /fig19_accuracy_vs_mix        fig19_accuracy_vs_mix.gp
//   report_fig25     /fig25_accuracy_above_threshold   fig25_accuracy_above_threshold.gp
//   report_gold      /beyond_gold_vs_crowd         beyond_gold_vs_crowd.gp
// A figure whose sweep the run lacks (e.g. no mix sweep) writes an empty
// table with attribute `missing` saying why, and no script.
#ifndef HHFIT_REPORT_H
#define HHFIT_REPORT_H

#include <stdint.h>

#include <hdf5.h>

#include "gpscript.h"
#include "hherr.h"
#include "pmdata.h"
#include "pmstats.h"
#include "table.h"

#define REPORT_MAX_G 64  // records in one configuration group (seeds)

// Fig. 7's measures: pooled HH against crowd labels (the paper's), and
// against gold (gold != 0) on the helpful set, the harmless set and the
// surface-matched helpful pairs (differs == 0; the primary scaling statistic).
enum { REPORT_M_HH = 0, REPORT_M_HELPFUL = 1, REPORT_M_HARMLESS = 2, REPORT_M_MATCHED = 3 };
extern const char *const REPORT_MEASURE[4];
PairSel report_measure_sel(int m);

// A linear combination sum_t c[t] acc(g[t], s[t]) of accuracies of groups
// (configurations, their records one per seed), for hierarchical intervals.
#define REPORT_MAX_T 24
typedef struct {
    int nt;
    const PMRec *g[REPORT_MAX_T][REPORT_MAX_G];
    int ng[REPORT_MAX_T];
    PairSel s[REPORT_MAX_T];
    double c[REPORT_MAX_T];
} PMLin;

// Add the term c * acc(g, s) to L (ignored when full).
void pmlin_add(PMLin *L, const PMRec *const *g, int ng, const PairSel *s, double c);
// The statistic of L on a resample (PMHStatFn).
double pmlin_stat(const size_t *seeds, const size_t *items, size_t U, size_t npairs, void *ctx);
// Seeds of L: the largest group (the resample's U). 0 when L is empty.
int pmlin_seeds(const PMLin *L);

typedef struct {
    const RunData *rd;
    Sweeps sw;
    hid_t h5;            // tables.h5, open for writing
    OutSet *os;          // the text outputs
    const char *outdir;  // RESULTS_DIR
    GPInfo gi;
    uint64_t seed;       // root of the bootstrap streams (the run's seed)
    size_t B;            // bootstrap resamples (1000)
    int have_fit[4];
    LogLinFit fit[4];    // report_fig07's fits by measure (REPORT_M_*; for the claims)
} Report;

int report_pm_runs(Report *R, HHErr *err);
int report_crowd(Report *R, HHErr *err);
int report_fig07(Report *R, HHErr *err);
int report_pmp(Report *R, HHErr *err);
int report_fig08(Report *R, HHErr *err);
int report_fig09(Report *R, HHErr *err);
int report_fig19(Report *R, HHErr *err);
int report_fig25(Report *R, HHErr *err);
int report_gold(Report *R, HHErr *err);

// Shared helpers (report.c) ------------------------------------------------

// The main HH PMs of a scale: size sweep at its largest n_train with the
// default PMP setting (all seeds). Returns the count (0: none).
int report_hh_group(const Report *R, const char *scale, const PMRec **g);

// The mix-sweep PMs of a scale at helpful fraction f (all seeds).
int report_mix_group(const Report *R, const char *scale, double f, const PMRec **g);

// Write t into tables.h5 and free it (also on failure).
int report_put(Report *R, Tab *t, HHErr *err);

// report_put for each of t[0..nt-1] (all freed, also on failure).
int report_put_all(Report *R, Tab **t, int nt, HHErr *err);

// Write the table empty, with attribute `missing` = why.
int report_missing(Report *R, Tab *t, const char *why, HHErr *err);

// report_missing for each of t[0..nt-1] (all freed, also on failure).
int report_missing_all(Report *R, Tab **t, int nt, const char *why, HHErr *err);

// A datablock of t with one block per scale of the run (R->sw order; a scale
// without rows keeps its empty block, so `index i` is scale i): the rows
// selected by w (NULL: every row) whose column `scale` is that scale.
void report_scale_blocks(const Report *R, FILE *f, const char *name, const char *comment, Tab *t,
                         const char *cols, const TabWhere *w);

// Line type of a scale: 1 + its index among the run's PM scales.
int report_lt(const Report *R, const char *scale);

// A seeded stream (run seed, "hhfit", component) for bootstraps.
gsl_rng *report_rng(const Report *R, const char *component, HHErr *err);

// Estimate and 95% interval of fn over seeds and pairs (pm_hboot, stream
// (run seed, "hhfit", comp), R->B resamples). U < 2: NaN interval (retraining
// not covered; callers report the statistic as unavailable or say so).
int report_hci(Report *R, const char *comp, PMHStatFn fn, void *ctx, int U, StatsCI *out,
               HHErr *err);

// Accuracy of one group with selection s and its seeds x pairs interval
// (report_hci); one seed: Wilson over pairs, and *pairs_only = 1.
int report_acc_ci(Report *R, const char *comp, const PMRec *const *g, int ng, const PairSel *s,
                  StatsCI *out, int *pairs_only, HHErr *err);

// Add the PMP gain at size index sz to L, times sign: the mean over scales
// (sc < 0) or one scale's acc(PMP) - acc(no PMP), pooled HH vs gold. Returns
// the number of scales with both variants (0: nothing added).
int report_pmp_gain(const Report *R, int sc, int sz, double sign, PMLin *L);

// Crowd-label accuracy of a gold-perfect PM over every held-out pair (gold
// ties count 1/2), from the pairs' gold signs.
double report_gold_ceiling(const RunData *rd);

// A calibration statistic of a group on a seeds x pairs resample (report_cal.c):
// what = -2 ECE, -1 signed ECE, b >= 0 the observed frequency of bin b of the
// 10 equal bins of p = sigmoid(|score difference|) (NaN when empty).
typedef struct {
    const PMRec *const *g;
    int ng;
    PairSel s;
    int what;
} PMCalH;
double report_cal_stat(const size_t *seeds, const size_t *items, size_t U, size_t np, void *ctx);

// The equal-data HH PMs of a scale: the mix-sweep configuration at the size
// sweep's helpful fraction (same n_train as the helpful-only PM).
int report_hh_equal_group(const Report *R, const char *scale, const PMRec **g);

#endif
