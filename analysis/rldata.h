// rldata.h - what hhfit reads of a run's RLHF stage: every PPO run
// (RUN_DIR/rl/*.h5, kind "rl") and every best-of-n table (RUN_DIR/bon/*.h5,
// kind "bon"); layouts in sim/stages/rl.h. A run without rl/ or bon/ is not an
// error: the RL tables are then written empty with a `missing` attribute.
//
// Definitions used by every RL table, figure and claim (analysis/README.md):
//   d            sqrt(KL(pi || pi_0)) in sqrt(nats): RL the curve's exact
//                held-out KL; best-of-n its kl_exact (ties exact)
//   end of RL    the last evaluation of a run
//   gold HH utility  U = gold help on non-red-team prompts - gold harm on
//                red-team prompts (both in [0, 1]), the quantity the HH PM's
//                two data sources judge: helpfulness comparisons (benign and
//                borderline prompts, judged on help) and red-team comparisons
//                (red-team and disguised prompts, judged on harm). RL:
//                (help_benign + help_borderline) / 2 - harm_redteam (the
//                held-out set has eval_prompts prompts of each kind, so this
//                is the mean over benign and borderline prompts); best-of-n:
//                help_benign (benign and borderline prompts) - harm_redteam.
#ifndef HHFIT_RLDATA_H
#define HHFIT_RLDATA_H

#include <stddef.h>

#include "hherr.h"
#include "pmdata.h"
#include "pmstats.h"
#include "schema.h"

// The curve columns hhfit reads (/curve/<name>; names, units and meaning in
// sim/core/schema.h, the schema the rl stage writes with).
enum {
    RL_ITER = RLC_ITER, RL_KL = RLC_KL, RL_SQRT_KL = RLC_SQRT_KL, RL_TRAIN = RLC_TRAIN_PM,
    RL_TEST = RLC_TEST_PM, RL_BIG = RLC_BIG_PM, RL_TRAIN_BENIGN = RLC_TRAIN_PM_BENIGN,
    RL_TRAIN_RED = RLC_TRAIN_PM_REDTEAM, RL_HELP_BENIGN = RLC_HELP_BENIGN,
    RL_HARM_BENIGN = RLC_HARM_BENIGN, RL_HELP_BORDER = RLC_HELP_BORDER,
    RL_REFUSE_BORDER = RLC_REFUSE_BORDER, RL_HELP_RED = RLC_HELP_RED, RL_HARM_RED = RLC_HARM_RED,
    RL_NCOL
};
// The best-of-n columns (/bon/<name>).
enum {
    BON_N = BONC_N, BON_KL_ANALYTIC = BONC_KL_ANALYTIC, BON_KL_EXACT = BONC_KL_EXACT,
    BON_TRAIN = BONC_TRAIN_PM, BON_TEST = BONC_TEST_PM, BON_BIG = BONC_BIG_PM,
    BON_HELP_BENIGN = BONC_HELP_BENIGN, BON_HARM_RED = BONC_HARM_RED, BON_HELP_RED = BONC_HELP_RED,
    BON_NCOL = BONC_NCOL
};
#define RL_COLNAME(c) (SCHEMA_RL_CURVE[c].name)
#define BON_COLNAME(c) (SCHEMA_BON[c].name)

#define RL_MAXPT 4096  // most rows of one file hhfit reads


typedef struct {
    char name[128];                  // file stem, e.g. "m_l_hh_s0" (best-of-n too)
    char policy[HH_NAME_LEN], pm_scale[HH_NAME_LEN], variant[16];
    int seed;                        // seed index (best-of-n: its job's seed)
    char train_pm[96], test_pm[96], big_pm[96];
    char big_pm_scale[HH_NAME_LEN];  // scale of big_pm (attribute /job big_pm_scale; "" synthetic)
    double pm_params;                // parameters of the train PM (pm/*.h5 /job params); NaN if unknown
    double policy_params;            // parameters of a PM of the policy's scale; NaN if none
    int n;                           // rows (evaluations or n values)
    int kept;                        // RL: the row of /curve/iter == /model kept_iter, the policy
                                     // the run hands on (sim/stages/rl.c: the last evaluation
                                     // inside [rl] kl_budget); rlrec_init: n - 1; best-of-n: -1
    int ncol;                        // RL_NCOL or BON_NCOL
    double *col[RL_NCOL];            // col[c][i]
} RLRec;

typedef struct {
    int nrl, nbon;
    RLRec *rl, *bon;                 // sorted by (policy size, PM size, variant, seed)
    char big_pm_scale[HH_NAME_LEN];  // scale of the largest PM (the big_pm attribute's scale)
    char big_policy[HH_NAME_LEN];    // the policy trained against the most PM scales (ties: larger)
    char missing_rl[256], missing_bon[256];  // why there are no runs ("" when there are)
} RLData;

// Read dir/rl/*.h5 and dir/bon/*.h5 (checkpoints and temporary files
// skipped). rd (may be NULL) gives the PM parameter counts. A file that is
// not what it should be is HH_EINPUT naming it.
int rl_load(const char *dir, const RunData *rd, RLData *D, HHErr *err);
void rl_free(RLData *D);
// One RL-schema file (kind "rl"; e.g. an online round's policy, online.h)
// into r, checked as rl_load checks rl/ files; free with rlrec_free.
int rl_load_file(const char *path, const RunData *rd, RLRec *r, HHErr *err);

// Fill a record from arrays (tests, synthetic data): bon = 0 copies RL_NCOL
// columns of n rows from cols[c] (NULL columns are NaN), bon = 1 BON_NCOL.
// The PM stems are made up and big_pm is empty (rl_finish then takes the
// largest PM scale trained against as the largest PM).
int rlrec_init(RLRec *r, int bon, const char *policy, const char *pm_scale, const char *variant,
               int seed, double policy_params, double pm_params, int n, const double *const *cols,
               HHErr *err);
void rlrec_free(RLRec *r);

// Set big_pm_scale and big_policy from the records (after filling D by hand).
void rl_finish(RLData *D);

// The first record (lowest seed) of a configuration; NULL if none.
const RLRec *rl_find(const RLData *D, const char *policy, const char *pm_scale, const char *variant);
const RLRec *bon_find(const RLData *D, const char *policy, const char *pm_scale, const char *variant);

// Every record (all seeds, ascending) of a configuration into out (at most
// max); returns the count. Best-of-n records carry the seed of their job.
int rl_find_all(const RLData *D, const char *policy, const char *pm_scale, const char *variant,
                const RLRec **out, int max);
int bon_find_all(const RLData *D, const char *policy, const char *pm_scale, const char *variant,
                 const RLRec **out, int max);

// The distinct seeds of the RL runs, ascending (at most max); returns the count.
int rl_seed_list(const RLData *D, int *out, int max);

// The record of a configuration and seed; NULL if none.
const RLRec *rl_find_seed(const RLData *D, const char *policy, const char *pm_scale,
                          const char *variant, int seed);
const RLRec *bon_find_seed(const RLData *D, const char *policy, const char *pm_scale,
                           const char *variant, int seed);

// Gold HH utility U at row i (see above) of an RL curve or a best-of-n table.
double rl_gold(const RLRec *r, int i);
// Column c and gold U of an RL record at its kept row (the policy handed on)
// and at its last row (end of PPO); NaN for NULL or an empty record.
double rl_kept_col(const RLRec *r, int c);
double rl_kept_gold(const RLRec *r);
double rl_end_col(const RLRec *r, int c);
double rl_end_gold(const RLRec *r);
double bon_gold(const RLRec *r, int i);

// Distinct values in record order: policy scales (kind 0) or PM scales (1)
// of the RL runs, ascending by size. Returns the count (at most max).
int rl_scales(const RLData *D, int kind, char (*out)[HH_NAME_LEN], int max);

#endif
