// onlinedata.h - what hhfit reads of a run's online stage (layout in
// sim/stages/online.h): every RUN_DIR/online/SCALE_pm_sS_rK.h5 (kind
// "online": the round's comparisons and statistics) and
// RUN_DIR/online/SCALE_SCALE_hh_sS_rK.h5 (kind "rl": the round's policy,
// read with rl_load_file, checked as rl/ files are). Round 0 of a seed is the
// static HH policy rl/SCALE_SCALE_hh_sS.h5 (rl_load). A run without online/
// is not an error: the tables are written empty with a `missing` attribute
// and the claims are PENDING.
//
// Every data file is checked before use (HH_EINPUT naming file and object):
// kind, schema and params (pipeline_file_current), /job scale, seed >= 0,
// round >= 1; /online/score0_chosen, score0_rejected, help_*, harm_* (P)
// finite (help and harm in [0, 1]); /online/kind (P) 0..3; /online/gold (P)
// -1..1; /online/base_score0 (2 n_base, n_base >= 1) finite;
// /online/scoret_chosen, scoret_rejected (P), null_scoret (2P),
// base_scoret (2 n_base) finite; null_help, null_harm (2P) in [0, 1];
// base_kind (n_base) 0..3; kind_quota (4) 0..P summing to P; kind_draws (4)
// finite, >= the quota; the /online attributes of online.h finite where they
// must be.
#ifndef HHFIT_ONLINEDATA_H
#define HHFIT_ONLINEDATA_H

#include <stddef.h>
#include <stdint.h>

#include "hherr.h"
#include "pmdata.h"
#include "rldata.h"

typedef struct {
    char name[128];             // file stem
    char scale[HH_NAME_LEN];
    int seed, round;
    int P, nb;                  // pairs, base comparisons
    double *s0;                 // (2P) static train PM's scores: chosen then rejected
    double *base0;              // (2 nb) its scores of the base data
    double *help, *harm;        // (2P) gold help and harm: chosen then rejected
    int8_t *kind;               // (P)
    double *st;                 // (2P) the independent (test) PM's scores: chosen then rejected
    double *nst, *nh, *nx;      // (2P) the null's responses: test-PM score, gold help, gold harm
    double *baset;              // (2 nb) the test PM's scores of the base data
    int8_t *bkind;              // (nb) the base comparisons' prompt kinds
    int quota[4];               // prompts of each kind (the base data's mix)
    double draws[4];            // prompt draws of each kind (redraws: collisions)
    double n_train, n_tail, tail_acc_crowd, tail_acc_gold, acc_crowd, acc_gold;
    RLRec pol;                  // the round's policy (pol.n = 0 when its file is missing)
} ONRound;

typedef struct {
    int n;
    ONRound *r;                 // sorted by (scale, seed, round)
    char missing[256];          // why there are no files ("" when there are)
} ONData;

int ond_load(const char *dir, const RunData *rd, ONData *D, HHErr *err);
void ond_free(ONData *D);

// The 75th percentile (GSL's quantile of sorted data) of x[0..n-1]; NaN for n = 0.
double ond_q75(const double *x, size_t n);
// Share of x[0..n-1] strictly above q; NaN for n = 0.
double ond_share_above(const double *x, size_t n, double q);
// The upper-tail statistic of one seed: the share of a round's responses
// (x, n) above the base data's 75th percentile minus the base data's own
// share above it (base, nb): > 0 when the round's data fill the upper tail.
double ond_tail_gain(const double *x, size_t n, const double *base, size_t nb);
// The upper-tail statistic against the null (claims: online_tail_vs_null):
// with q the 75th percentile of base[0..nb-1] (the base data under the
// independent PM), the share of x (n: the round's compared responses) above
// q minus the share of null (nn: the null's responses) above q.
double ond_tail_vs_null(const double *x, size_t n, const double *null, size_t nn, const double *base,
                        size_t nb);

#endif
