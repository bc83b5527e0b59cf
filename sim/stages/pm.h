// pm.h - preference models: a transformer of a given scale, initialised from
// that scale's pretrained LM (or its PMP model), with a scalar head read on
// the final token, trained with the Bradley-Terry loss
//     L = -log sigmoid(r(chosen) - r(rejected))
// on crowdworker comparisons.
//
// Jobs (all from [pm]; each x seed):
//   size  : scale x sizes at the HH mix (hh_frac), with and/or without PMP
//   mix   : scale x mixes at mix_total comparisons (helpful fraction f)
//   halves: scale x {0, 1}: disjoint halves of all training comparisons
// A job of one sweep that equals a job of another is run once.
//
// runs/NAME/pmp/SCALE_sS.h5 (kind "pmp"): /model, /curve
// runs/NAME/pm/JOB.h5 (kind "pm"), JOB = SCALE_nN_hF_pmpP_sS[_halfK]:
//   /job (attributes): scale, sweep, n_train, n_help, n_harm, help_frac, pmp,
//                      seed, half, params (parameter count)
//   /model, /curve/{step, loss, acc}
//   /eval/{helpful,harmless}/{score_chosen, score_rejected, p_chosen, gold,
//          turn, kind, help_chosen, help_rejected, harm_chosen, harm_rejected}
//          for every held-out comparison (chosen = the crowdworker's pick)
//   /eval/{accuracy, n} (3): helpful, harmless, both pooled
//   /norm/{scores, mean, sd}: the PM on [pm] norm_samples responses sampled
//          (temperature 1) from the distilled LM of the same scale
#ifndef HHSIM_PM_H
#define HHSIM_PM_H

#include "gpt.h"
#include "hherr.h"
#include "lm.h"
#include "params.h"
#include "worldgen.h"

typedef enum { SWEEP_SIZE = 0, SWEEP_MIX = 1, SWEEP_HALVES = 2 } PMSweep;

typedef struct {
    char scale[HH_NAME_LEN];
    PMSweep sweep;
    int n_help, n_harm;  // training comparisons of each kind
    double help_frac;    // n_help / (n_help + n_harm) as asked
    int pmp;             // 1: start from the PMP model
    int seed;            // seed index (0 .. seeds-1)
    int half;            // -1, or 0/1 for the halves sweep
    char name[96];       // file stem
} PMJob;

// Every PM job of the params (deduplicated). *jobs is malloc'd.
int pm_jobs(const Params *p, const WorldData *d, PMJob **jobs, int *n, HHErr *err);

// The job key of a PM job (scale, n_train, help_frac, pmp, seed, half).
void pm_job_key(const PMJob *j, JobKey *k);

// The stages (stage.h). pmp: one job per (scale, seed) of [pm] scales and
// seeds when [pm] pmp > 0, reading lm/SCALE.h5, writing pmp/SCALE_sS.h5.
// pm: every PM job (spec: a PMJob), reading lm/SCALE.h5, distill/SCALE.h5
// (reward normalisation) and, with PMP, pmp/SCALE_sS.h5; writing pm/JOB.h5.
extern const StageDef STAGE_PMP, STAGE_PM;
int pm_pretrain_pmp(const Params *p, const WorldData *d, const Job *j, const StageOpts *so,
                    HHErr *err);
int pm_train(const Params *p, const WorldData *d, const Job *j, const StageOpts *so, HHErr *err);

// One (prompt, response) pair and one comparison, as pointers into data sets.
typedef struct {
    const uint8_t *p, *r;  // prompt tokens, response tokens
    int pl, rl;            // their lengths
} PMPair;
typedef struct {
    PMPair c, r;  // chosen, rejected
} PMComp;

// Bradley-Terry training of m on n comparisons: epochs passes in batches of
// m->max_B / 2 comparisons (order from streams (seed, job, "epoch/E")), AdamW
// at lr with cosine decay. *final_acc gets the training accuracy of the last
// 10 steps.
int pm_fit(const Params *p, GPT *m, const PMComp *c, int n, int epochs, double lr,
           const char *job, double *final_acc, HHErr *err);

// Scores of n (prompt, response) pairs: prompts (n, ctx) rows with lengths,
// responses (n, RESP_MAX) rows with lengths. Sequences longer than ctx are
// cut to ctx. Uses m in batches of m->max_B.
int pm_score(GPT *m, const uint8_t *prompts, const int32_t *plen, int ctx, const uint8_t *resp,
             const int32_t *rlen, int n, double *out, HHErr *err);

#endif
