// pm.h - preference models: a transformer of a given scale, initialised from
// that scale's pretrained LM (or its PMP model), with a scalar head read on
// the final token, trained with the Bradley-Terry loss
//     L = -log sigmoid(r(chosen) - r(rejected))
// on crowdworker comparisons.
//
// Readout ([pm] readout; m->readout, set by lm_load for every model it loads,
// so training, PMP, evaluation and every stage scoring with a PM agree):
// eos (built-in) r = h[last] . w + b, h[last] the final hidden state at the
// last token kept (EOS for a complete response); mean r = (mean of h[t] over
// the response tokens t = plen .. plen + rlen - 1 the context keeps, EOS or a
// kept [rl] stop_turn token included, prompt and its closing A excluded) . w
// + b, or the last token alone when the context cut the whole response.
//
// Training: of a job's comparisons, [pm] val_frac of each set (drawn from the
// job's stream (seed, job, "val/SET")) are a validation split; the rest are
// trained on for at most [pm] epochs passes (order from (seed, job, "epoch/E"),
// AdamW, cosine decay over the maximum), the validation loss measured after
// every epoch; training stops after [pm] patience epochs without a lower one,
// and the weights after the best epoch are kept. A PM started from the LM
// draws its scalar head from N(0, 0.02^2) on (seed, job, "head"); one started
// from PMP keeps the PMP head. So a seed changes the data subset (nested
// across sizes), the validation split, the order and the head initialisation.
//
// Jobs (all from [pm]):
//   size  : scale x sizes at the HH mix (hh_frac), with and/or without PMP,
//           x [pm] seeds
//   mix   : scale x mixes at mix_total comparisons (helpful fraction f),
//           x [pm] mix_seeds
//   halves: scale x {0, 1}: disjoint halves of all training comparisons,
//           seed 0 (the train and test PMs of RL)
//   ref   : the reference PM ([pm] ref = 1): the largest PM scale (by cost,
//           as the largest RL PM) trained on every training comparison of
//           both sets (helpful + harmless; val_frac of them for early
//           stopping), default PMP setting, seed 0. One fixed yardstick for RL
//           and other analyses. Its path is job_path(&STAGE_PM, key) with the
//           key from pm_ref_key: runs/NAME/pm/SCALE_ref_nN_hF_pmpP_s0.h5
//           (e.g. pm/l_ref_n8000_h050_pmp1_s0.h5; /job sweep = "ref").
// A job of one sweep that equals a job of another is run once.
//
// runs/NAME/pmp/SCALE_sS.h5 (kind "pmp"): /model, /curve
// runs/NAME/pm/JOB.h5 (kind "pm"), JOB = SCALE[_ref]_nN_hF_pmpP_sS[_halfK]:
//   /job (attributes): scale, sweep (size, mix, halves, ref), n_train, n_help,
//                      n_harm, help_frac, pmp, seed, half, params (parameter count)
//   /model, /curve/{step, loss, acc} (every 10 steps)
//   /curve/epoch/{epoch, step, train_loss, train_acc, val_loss, val_acc} per
//          epoch; attributes best_epoch (the weights kept), early_stopped, n_val
//   /eval/{helpful,harmless}/{score_chosen, score_rejected, p_chosen, gold,
//          turn, kind, help_chosen, help_rejected, harm_chosen, harm_rejected,
//          differs} for every held-out comparison (chosen = the crowdworker's
//          pick; differs as world.h5's tag: 0 content only, 1 surface,
//          2 refusal, 3 harm)
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

typedef enum { SWEEP_SIZE = 0, SWEEP_MIX = 1, SWEEP_HALVES = 2, SWEEP_REF = 3 } PMSweep;

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

// The largest [pm] scales entry by lm_scale_cost (ties: the first listed):
// the reference PM's scale and the "largest PM" every RL run is scored by.
const char *pm_largest_scale(const Params *p);

// Every PM job of the params (deduplicated). *jobs is malloc'd.
int pm_jobs(const Params *p, const WorldData *d, PMJob **jobs, int *n, HHErr *err);

// The job key of a PM job (scale, n_train, help_frac, pmp, seed, half;
// variant "ref" for the reference PM).
void pm_job_key(const PMJob *j, JobKey *k);

// The job key of the reference PM (see above); HH_EINPUT when [pm] ref = 0.
// A stage that reads it adds job_add_input(l, j, &STAGE_PM, &key, err).
int pm_ref_key(const Params *p, const WorldData *d, JobKey *k, HHErr *err);

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
// cut to ctx. Uses m in batches of m->max_B and m->readout (see the top).
int pm_score(GPT *m, const uint8_t *prompts, const int32_t *plen, int ctx, const uint8_t *resp,
             const int32_t *rlen, int n, double *out, HHErr *err);

// The training comparisons of PM job j as pm_train gathers them for stream
// job `job` (validation split first: c[0 .. *nval)); *out is malloc'd and
// points into d.
int pm_gather(const Params *p, const WorldData *d, const PMJob *j, const char *job, PMComp **out,
              int *n, int *nval, HHErr *err);
// pm_train's recipe on comparisons c (c[0 .. nval) validation, the rest
// training; the caller may append comparisons): head initialisation (unless
// j->pmp), [pm] epochs with early stopping, lr, weight decay, streams from
// `job`. m is the start model (lm or pmp) loaded for 2 [pm] batch rows.
int pm_retrain(const Params *p, const PMJob *j, const char *job, GPT *m, const PMComp *c, int n,
               int nval, int *best_epoch, HHErr *err);

#endif
