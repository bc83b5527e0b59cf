// segreport.h - whose values the crowd represents (beyond the paper; issue
// 14), from the segments stage's paired samples (segdata.h).
//
//   segreport_fig   /segments_gap                       fig_segments.gp
//
// Definitions (analysis/README.md):
//   delta      utility change from RLHF for a segment at a policy scale: mean
//              over RL seeds u and prompts i of u_s(RLHF sample) - u_s(distilled
//              sample) on the same prompt (segments.h: u_s is the segment's
//              weighted gold help, harm and refusal)
//   win        the segment's win rate of RLHF against the distilled LM: mean
//              over seeds and prompts of the share of the pair's simulated users
//              (crowd noise model, segment's utility) who chose the RLHF sample
//   gap        the representation gap: the pool segment's (the first) delta or
//              win minus the segment's, paired per seed and prompt; > 0 when the
//              segment gets less from RLHF than the pool's labels optimise
//   population the share-weighted mean of the segments' per-prompt values
//   intervals  95% percentile bootstrap, hierarchical over RL seeds then
//              prompts (stats_hboot_ci; every seed's samples answer the same
//              prompts); with one seed only prompts are resampled; also a
//              Student-t interval over the per-seed means of win (>= 2 seeds)
//
// Claims (papers/bai2022/claims.tsv) at the largest policy scale:
//   segments_win_gap_VARIANT_SEGMENT    gap in win rate (pool minus SEGMENT)
//   segments_delta_gap_VARIANT_SEGMENT  gap in utility delta
// VARIANT is hh or helpful; SEGMENT a name of [segments] names. A run
// without segments files, or without that variant or segment: unavailable
// (PENDING).
#ifndef HHFIT_SEGREPORT_H
#define HHFIT_SEGREPORT_H

#include "claims.h"
#include "hherr.h"
#include "report.h"
#include "segdata.h"
#include "stats.h"

enum { SGR_DELTA, SGR_WIN, SGR_NSTAT };

// The statistic (SGR_DELTA or SGR_WIN; gap = 1: pool minus segment) of
// segment seg (D->S: the population) for RLHF model v (1..M-1) at a policy
// scale, with its hierarchical bootstrap interval (stream (run seed, "hhfit",
// "segments/...")). *nseeds: seeds used; out->n = 0 when there are no files.
int segreport_ci(Report *R, const SGData *D, int v, const char *scale, int seg, int stat, int gap,
                 StatsCI *out, int *nseeds, HHErr *err);

int segreport_fig(Report *R, HHErr *err);

int segclaims_known(const char *name);
const char *segclaims_list(void);
int segclaims_compute(Report *R, const ClaimRow *row, ClaimStat *out, HHErr *err);

#endif
