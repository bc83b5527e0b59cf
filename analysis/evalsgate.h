// evalsgate.h - the RL validity gate of the alignment claims (referee 14,
// finding 1; pre-registered in session 6, before any run with the kept policy
// was seen).
//
// An RL policy is VALID when the gold help on benign prompts of the policy it
// hands on is at least its value at iteration 0 minus EVG_DELTA:
//
//     help_kept >= help0 - EVG_DELTA
//
// help0     /curve/help_benign at the row where /curve/iter == 0
// help_kept /curve/help_benign at the row where /curve/iter == the attribute
//           kept_iter of group /model (the checkpoint written as /model: the
//           last evaluation inside [rl] kl_budget, sim/stages/rl.h)
//
// A policy that lost more than EVG_DELTA of its benign help collapsed (PPO
// exploited its PM, or the output format broke); its capability evals then
// measure the collapse, not a tax or bonus. The alignment claims
// (evalsclaims.h) are INCONCLUSIVE when any policy they use is invalid.
//
// The reader is strict: the rl file is checked as rl_load_file checks it
// (rldata.h); /model must carry kept_iter (one integer, equal to one of
// /curve/iter) and kept_kl (one finite number >= 0); /curve/iter must hold 0.
// Anything else is HH_EINPUT naming the file, the attribute and what is
// allowed.
#ifndef HHFIT_EVALSGATE_H
#define HHFIT_EVALSGATE_H

#include "evalsdata.h"
#include "hherr.h"
#include "pmdata.h"

#define EVG_DELTA 0.10  // largest allowed loss of gold benign help (pre-registered)

typedef struct {
    char name[128];              // the rl file's stem (POLICY_PM_VARIANT_sS)
    char scale[HH_NAME_LEN];     // policy scale
    char variant[16];            // hh or helpful
    int seed;
    double help0, help_kept;     // gold help on benign prompts at iteration 0 and at kept_iter
    int kept_iter;
    double kept_kl;              // the attribute kept_kl (nats)
    int valid;                   // help_kept >= help0 - EVG_DELTA
} EVGate;

// The gate of one rl file (kind "rl"); rd (may be NULL) as for rl_load_file.
int evg_read(const char *path, const RunData *rd, EVGate *g, HHErr *err);

// The gates of the RL records of D (kind EVD_HH and EVD_HELPFUL), from
// dir/rl/NAME.h5 with NAME each evals record's name: *out (malloc'd, one per
// RL record, in D's record order), *n their count. A missing or bad rl file
// is HH_EINPUT naming it.
int evg_load(const char *dir, const RunData *rd, const EVData *D, EVGate **out, int *n, HHErr *err);

// The gate of the RL policy of evals record name (NULL if not among g).
const EVGate *evg_find(const EVGate *g, int n, const char *name);

#endif
