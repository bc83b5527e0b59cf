// eloreport.h - the Elo tournaments of hhfit (paper Fig. 1, Fig. 36, the
// Elo halves of Figs. 15-16) from the elo stage's files (elodata.h), fitted
// and bootstrapped as elofit.h says.
//
//   eloreport_fig01  /elo_ratings                 fig01_elo_vs_params.gp
//   eloreport_fig36  /fig36_rejection_sampling    fig36_rejection_sampling_elo.gp
//   eloreport_fig15  /fig15_crowd_vs_pm_elo       fig15_crowd_vs_pm_elo.gp
//   eloreport_fig16  /fig16_elo_vs_round          fig16_elo_vs_round.gp
//
// Every Elo is zero at the context-distilled model of the largest policy
// scale: each scale's tournament includes it (the anchor contestant), so
// ratings of different scales are on one scale. "online" is the online
// series of the last round present (a copy of that round's row).
//
// Claims (elo_* statistics, at the largest policy scale, percentile 95%
// bootstrap over prompts and seeds, the statistic recomputed per resample):
//   elo_online_margin_min       min over helpfulness and harmlessness of
//                               min(online - hh, hh - distill); unavailable
//                               without online contestants
//   elo_helpful_tradeoff_min    min(helpful - hh on helpfulness, hh - helpful
//                               on harmlessness)
//   elo_bon_slope_ln_n          least-squares slope of best-of-n Elo (mean of
//                               the two kinds) vs ln n, Elo per ln n
//   elo_online_minus_bon_max    online - best-of-n at the largest n (mean of
//                               the two kinds); unavailable without online
//   elo_crowd_minus_pm_top      helpfulness: crowd minus PM-predicted Elo of
//                               the RLHF / best-of-n series with the highest
//                               PM-predicted Elo
#ifndef HHFIT_ELOREPORT_H
#define HHFIT_ELOREPORT_H

#include "claims.h"
#include "report.h"

int eloreport_fig01(Report *R, HHErr *err);
int eloreport_fig36(Report *R, HHErr *err);
int eloreport_fig15(Report *R, HHErr *err);
int eloreport_fig16(Report *R, HHErr *err);

int eloclaims_known(const char *name);
const char *eloclaims_list(void);
int eloclaims_compute(Report *R, const ClaimRow *row, ClaimStat *out, HHErr *err);

#endif
