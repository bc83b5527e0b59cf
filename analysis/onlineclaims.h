// onlineclaims.h - the iterated-online-training statistics that
// papers/bai2022/claims.tsv names (paper Figs. 15-16), from the online stage
// (onlinedata.h) and the static HH runs (rldata.h), at the online policy
// scale with the most parameters, at R = the last round every seed has:
//
//   online_upper_tail_gain    per seed: share of round R's compared responses
//                             above the base data's 75th-percentile static-PM
//                             score minus the base data's own share
//                             (ond_tail_gain); mean across seeds
//   online_tail_vs_null       per seed: share of round R's compared responses
//                             above the independent (test) PM's base-data 75th
//                             percentile minus the null's share (best-of-bon_n
//                             from the distilled LM under the same selecting
//                             PM; ond_tail_vs_null); mean across seeds
//   online_gold_utility_gain  per seed: gold utility U (rl_gold, end of PPO)
//                             of round R's policy minus the static HH policy
//                             rl/SCALE_SCALE_hh_sS (paired by seed); mean
// Intervals: Student-t 95% across RL seeds (>= 2 seeds, else PENDING). No
// online files: PENDING.
#ifndef HHFIT_ONLINECLAIMS_H
#define HHFIT_ONLINECLAIMS_H

#include "claims.h"
#include "rldata.h"
#include "report.h"

int onlineclaims_known(const char *name);
const char *onlineclaims_list(void);
int onlineclaims_compute(Report *R, const RLData *D, const ClaimRow *row, ClaimStat *out, HHErr *err);

#endif
