// onlinereport.h - iterated online training in hhfit (paper Figs. 15-16),
// from the online stage (onlinedata.h) and the static HH runs (rldata.h).
//
//   onlinereport_fig15  /online_rounds, /fig15_online_scores, /fig15_online_tail
//                       fig15_online_upper_tail.gp
//   onlinereport_fig16  /fig16_online_rounds               fig16_online_rounds.gp
//
// Definitions (analysis/README.md, "Online training"):
//   base data      the static train PM's own training comparisons (both
//                  responses), scored by that PM (score0)
//   q75            the base data's 75th-percentile score (fixed up front:
//                  the upper tail is what lies above it)
//   share above    share of a round's compared responses (both of every pair)
//                  whose static-PM score is above q75; the base data's own
//                  share is 0.25 up to ties
//   tail gain      share above of the round minus that of the base data
//   tail accuracy  the previous round's PM (the one that picked the best of
//                  bon_n) on the round's pairs with both responses above ITS
//                  base q75, against the crowd label (ties 1/2) and against
//                  gold (gold ties skipped); computed by the stage
//   gold U         gold utility of a policy at its kept iteration (/model
//                  kept_iter: the policy the RL run hands on, the last
//                  evaluation inside [rl] kl_budget; evals, Elo and segments
//                  use it), as rl_gold: (help_benign + help_borderline) / 2 -
//                  harm_redteam on held-out prompts; round 0 = the static HH
//                  policy rl/SCALE_SCALE_hh_sS. The end-of-PPO value is kept
//                  beside it (gold_utility_end; what was read before session 7)
//   intervals      across seeds (the unit of replication): Student-t 95%
//                  interval of the per-seed values (NaN with one seed)
#ifndef HHFIT_ONLINEREPORT_H
#define HHFIT_ONLINEREPORT_H

#include "hherr.h"
#include "onlinedata.h"
#include "rldata.h"
#include "report.h"

// The static HH policy of round 0 for (scale, seed), or NULL.
const RLRec *online_static(const RLData *D, const char *scale, int seed);
// The scale the claims use: the one whose policy has the most parameters
// (ties and unknown sizes: name order). NULL when D has no rounds.
const char *online_main_scale(const ONData *O);
// The last round every seed of scale has (0 when none).
int online_last_round(const ONData *O, const char *scale);
// Mean and Student-t 95% interval across the finite values of v (n of them);
// lo = hi = NaN with fewer than 2. Returns the count used.
int online_tband(const double *v, int n, double *mean, double *lo, double *hi);

int onlinereport_fig15(Report *R, const RLData *D, HHErr *err);
int onlinereport_fig16(Report *R, const RLData *D, HHErr *err);

#endif
