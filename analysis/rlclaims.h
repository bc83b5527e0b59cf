// rlclaims.h - the RLHF statistics that papers/bai2022/claims.tsv names,
// computed from a run's RL and best-of-n files (rldata.h). Seeds are the
// replicate: each statistic is computed per RL seed and its 95% interval is
// Student t across seeds (fewer than 2 seeds: unavailable, PENDING).
//
//   rl_sqrt_kl_end_slope_ratio  per seed: quadratic y = a + b x + c x^2, x = sqrt(KL)/its max, fitted to
//                            each policy's train-PM reward (vs the largest PM, hh) after iteration 0
//                            (rl_fit_traj); sum (b + 2c) / sum b over policy scales (1 = linear)
//   rl_slope_sqrt_kl_no_origin  per seed: the smallest over policy scales of the line slope after iteration 0
//   rl_end_gap_train_test    per seed: mean over PM scales of the end-of-RL train - test score, largest policy
//   rl_yardstick_slope_ln_params / rl_gold_slope_ln_params  per seed: slope of the largest policy's
//                            end-of-RL yardstick-PM score / gold U vs ln(PM parameters) (>= 3 PM scales)
//   rl_redteam_minus_benign_rise  per seed: mean over hh runs of the red-team minus benign rise
//   rl_harm_helpful_minus_hh / rl_help_helpful_minus_hh  per seed: mean over policy scales (vs the
//                            largest PM) of end-of-RL gold harm on red-team / help on benign prompts,
//                            helpful-only minus HH
//   gao_b_min                per seed: b of the Gao forms (best-of-n d (a - b d), RL d (a - b ln d)) of
//                            the largest policy vs the largest PM; the form whose seed-mean b has the
//                            smaller mean/se, with its interval across seeds
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
