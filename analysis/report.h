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
//   report_fig09     /fig09_accuracy_by_margin, /calibration_reliability,
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

typedef struct {
    const RunData *rd;
    Sweeps sw;
    hid_t h5;            // tables.h5, open for writing
    OutSet *os;          // the text outputs
    const char *outdir;  // RESULTS_DIR
    GPInfo gi;
    uint64_t seed;       // root of the bootstrap streams (the run's seed)
    size_t B;            // bootstrap resamples (1000)
    int have_fit;
    LogLinFit fit;       // report_fig07's fit (for the claims)
    double ece_null_hh;  // report_fig09: null ECE of the largest HH PM (pooled test set)
    double ece_null_help;// and of the largest helpful-only PM (helpful test set)
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

#endif
