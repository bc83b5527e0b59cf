// rlclaims.h - the RLHF statistics that papers/bai2022/claims.tsv names,
// computed from a run's RL and best-of-n files (rldata.h). hhsim runs one
// seed per RL configuration by default, so no statistic resamples a run:
// each interval is across evaluation points of one run or across runs
// (policy or PM scales), as each definition says.
//
//   rl_r2_sqrt_kl_median     lower median over policy scales (each vs the largest PM, variant hh)
//                            of the R^2 of the least-squares line train-PM reward vs sqrt(KL);
//                            95% interval: Fisher z of that run's |r| over its evaluation points
//   rl_end_gap_train_test    mean over PM scales of the end-of-RL train-PM minus test-PM score of
//                            the largest policy (variant hh); Student-t interval across PM scales
//   rl_test_pm_slope_ln_params  slope of the end-of-RL test-PM score of the largest policy (hh)
//                            vs ln(PM parameters); Student-t fit interval (>= 3 PM scales)
//   rl_redteam_minus_benign_rise  mean over every hh run of (rise of the train-PM reward on
//                            red-team prompts) - (rise on benign prompts), rise = end - start;
//                            Student-t interval across runs
//   rl_harm_helpful_minus_hh mean over every (policy, PM scale) with both variants of the end-of-RL
//                            gold harm on red-team prompts of the helpful-only run minus the HH run;
//                            Student-t interval across those pairs
//   gao_b_min                largest policy vs largest PM (hh): b of the Gao et al. fits, best-of-n
//                            d (a - b d) and RL d (a - b ln d) of the gold utility gain; the one of
//                            the two with the smaller t = b / se, with its 95% fit interval
//                            (so "> 0" holds only when both b are above 0)
// A statistic whose runs are absent is unavailable (verdict PENDING).
#ifndef HHFIT_RLCLAIMS_H
#define HHFIT_RLCLAIMS_H

#include "claims.h"
#include "rldata.h"

// 1 if `name` is one of the statistics above.
int rlclaims_known(const char *name);

// Comma-separated list of them (for messages).
const char *rlclaims_list(void);

// Compute row->statistic into out (out->available = 0 when the run lacks the data).
int rlclaims_compute(const RLData *D, const ClaimRow *row, ClaimStat *out, HHErr *err);

#endif
