// evalsclaims.h - the capability-evaluation statistics that
// papers/bai2022/claims.tsv names (paper Fig. 3), from the evals stage
// (evalsdata.h, definitions in evalsreport.h). RLHF is the HH policy
// trained against the largest PM; its initial model the distilled LM of its
// scale; "smallest" and "largest" are by parameters among the policy scales.
//
//   evals_tax_zero_shot_smallest  zero-shot delta (RLHF - distilled, paired per
//                                 item, mean over RL seeds) at the smallest
//                                 policy scale; fraction of items
//   evals_tax_zero_shot_largest   the same at the largest policy scale
//   evals_tax_slope_ln_params     slope of the zero-shot delta vs ln(parameters)
//                                 over the policy scales (>= 2)
// Intervals: 95% hierarchical bootstrap over RL seeds, then items (items
// only with one seed; the note says so). No evals files or no HH policies:
// unavailable (PENDING).
#ifndef HHFIT_EVALSCLAIMS_H
#define HHFIT_EVALSCLAIMS_H

#include "claims.h"
#include "report.h"

// 1 if `name` is one of the statistics above.
int evalsclaims_known(const char *name);
// Comma-separated list of them (for messages).
const char *evalsclaims_list(void);
// Compute row->statistic into out (out->available = 0 when the run lacks the data).
int evalsclaims_compute(Report *R, const ClaimRow *row, ClaimStat *out, HHErr *err);

#endif
