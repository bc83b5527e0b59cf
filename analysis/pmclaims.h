// pmclaims.h - the statistics that papers/bai2022/claims.tsv names, computed
// from a run (after report_fig07 and report_fig09, whose results some use).
//
// Every statistic is an estimate with a 95% interval:
//   fit_b, fit_c             b and c of acc = a + b ln P + c ln N (fit CI, Student t)
//   ece_hh                   ECE of the largest-scale HH PM on the pooled test set
//   ece_helpful_only         ECE of the largest-scale helpful-only PM (mix sweep,
//                            help_frac = 1) on the helpful test set
//   acc_harmless_helpful_only   accuracy of that PM on the harmless test set (Wilson)
//   acc_helpful_harmless_only   accuracy of the largest harmless-only PM (help_frac = 0)
//                            on the helpful test set (Wilson)
//   mix_sensitivity_gap      S(smallest scale) - S(largest), S = mean over mixes of
//                            1 - acc_hh(mix) / max_mix acc_hh (pooled test set)
//   pmp_gain_small           mean over scales of acc(PMP) - acc(no PMP) at the smallest n_train
//   pmp_gain_small_vs_large  that gain at the smallest n_train minus the gain at the largest
//   turn1_minus_later        largest HH PM: accuracy on turn 1 minus accuracy on turns >= 2
//   top_quartile_minus_rest  largest HH PM: accuracy on the pairs whose higher score is in the
//                            top quartile minus accuracy on the other pairs
//   gold_minus_crowd         largest HH PM: accuracy against gold minus against crowd labels
// ECE and differences use a percentile bootstrap (R->B resamples of the pooled
// held-out comparisons, paired across PMs; stream (run seed, "hhfit",
// "claim/ID")). A statistic whose data the run lacks is unavailable.
#ifndef HHFIT_PMCLAIMS_H
#define HHFIT_PMCLAIMS_H

#include "claims.h"
#include "report.h"

// 1 if `name` is a statistic hhfit knows (or "pending").
int pmclaims_known(const char *name);

// Comma-separated list of the known statistics (for messages).
const char *pmclaims_list(void);

// Compute row->statistic into out (out->available = 0 when the run lacks the data).
int pmclaims_compute(Report *R, const ClaimRow *row, ClaimStat *out, HHErr *err);

#endif
