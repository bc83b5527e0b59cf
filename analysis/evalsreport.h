// evalsreport.h - the capability evaluations of hhfit (paper Fig. 3, the
// alignment tax), from the evals stage's per-item results (evalsdata.h).
//
//   evalsreport_fig03  /evals_accuracy, /evals_by_set, /alignment_tax,
//                      /fit_alignment_tax                 fig03_alignment_tax.gp
//
// Definitions (analysis/README.md):
//   accuracy       share of the suite's items answered right (every set has
//                  the same number of items, so this is the mean over sets),
//                  zero-shot or few-shot; for RL policies the mean over seeds
//   delta          (alignment tax when < 0, bonus when > 0) at a policy scale:
//                  RLHF minus a baseline model of the same scale, paired per
//                  item: mean over seeds u and items i of correct_u[i] -
//                  baseline[i]; baseline `distill` (the RL policy's initial
//                  model, the tax as defined) or `lm` (the base LM, the
//                  paper's plain LM)
//   intervals      95% percentile bootstrap, hierarchical over RL seeds then
//                  items (stats_hboot_ci; the same items for every seed and
//                  model, so resampling keeps the pairing); with one seed only
//                  items are resampled; base models alone: Wilson over items
//   slope          least-squares slope (gsl_fit_linear) of the per-scale delta
//                  vs ln(parameters); interval: the hierarchical bootstrap
//                  above, resampled jointly across scales, refitting each
//                  time; also the fit's Student-t interval (n - 2 dof, n >= 3)
#ifndef HHFIT_EVALSREPORT_H
#define HHFIT_EVALSREPORT_H

#include "evalsdata.h"
#include "hherr.h"
#include "report.h"
#include "stats.h"

// The baselines of a delta.
enum { EVR_VS_DISTILL, EVR_VS_LM, EVR_NVS };
extern const char *const EVR_VS_NAME[EVR_NVS];  // "distill", "lm"

// delta of RL kind (EVD_HH, EVD_HELPFUL) at policy scale, shot EV_ZERO or
// EV_FEW, against baseline vs, with its interval (stream (run seed, "hhfit",
// "evals/delta/...")). *nseeds: the RL seeds used. 0 with out->n = 0 when the
// files are missing.
// Per RL seed of (kind, scale): mean over every item of the seed's policy minus the
// distilled LM at one shot (the paired differences evals_delta_ci resamples);
// returns the seeds written to out (<= max), 0 without a distilled file.
int evals_seed_deltas(const EVData *D, int kind, const char *scale, int shot, double *out, int max);

int evals_delta_ci(Report *R, const EVData *D, int kind, const char *scale, int shot, int vs,
                   StatsCI *out, int *nseeds, HHErr *err);

// Slope of delta (against the distilled model) vs ln(parameters) over the
// policy scales of RL kind: estimate and bootstrap interval in *boot, the
// GSL fit in *fit (its t interval NaN with fewer than 3 scales). 0 with
// boot->n = 0 when fewer than 2 scales have every file.
int evals_slope_ci(Report *R, const EVData *D, int kind, int shot, StatsCI *boot, StatsLinfit *fit,
                   int *nscales, int *nseeds, HHErr *err);

int evalsreport_fig03(Report *R, HHErr *err);

#endif
