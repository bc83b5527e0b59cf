// rl.h - RLHF with PPO against preference models, and the best-of-n baseline.
//
// Runs (from [rl]; each x seed): variant hh: every policy scale against the
// largest PM scale (paper Fig. 13 left); every policy against the PM of its
// own scale (Fig. 13 right); the largest policy against every PM scale
// (Figs. 4, 33); variant helpful: every policy against the largest PM scale
// (helpful-only vs HH). The policy starts from distill/POLICY.h5. Its train PM
// is pm/..._half0 of the PM scale (variant hh) or the helpful-only PM of the
// mix sweep (variant helpful); its test PM is pm/..._half1 of the same scale
// (the other half of the data); RL seed s uses PM seed s where [pm] seeds has
// it, else seed 0. The train and test PMs are normalised to mean 0, sd 1 on
// [pm] norm_samples samples of the run's initial policy.
//
// The fixed yardstick ("largest PM", big_pm): ONE PM scores every run and
// seed (yardstick_pm in rl.c: the reference PM of pm.h, trained on every
// training comparison at the largest scale; with [pm] ref = 0, half 1 of the
// largest [pm] scale, seed 0), normalised once for
// every run: mean 0, sd 1 on [pm] norm_samples samples of the largest policy's
// distilled LM (stream (seed, "rl/yardstick", "norm")), so its scores of
// different runs, policies and PMs are on one scale.
//
// Evaluations ([rl] eval_schedule): log = iterations 0, then round(2^(k/q))
// for q = eval_per_octave (distinct, below iters), then iters; linear = 0,
// eval_every, 2 eval_every, ... and iters. A checkpoint is written at every
// evaluation before the last and where --stop-after stops a run.
//
// Stop rule ([rl] stop_turn): 0 (built-in) a sample ends at EOS or RESP_MAX
// tokens; 1 also at a turn token (BOS, H, A, HHH), kept as the response's last
// token (PPO's log-probs and KL are those of the tokens sampled; the PMs score
// the response with it; without EOS, [rl] trunc_penalty applies). It holds for
// every sample of the rl and bon stages (PPO batches, held-out evaluations,
// best-of-n pools); the reward normalisation samples ([pm] norm_samples, of
// the distilled policy) and other stages' samples are unchanged.
//
// runs/NAME/rl/POLICY_PM_VARIANT_sS.h5 (kind "rl"):
//   /job (attributes): policy, pm_scale, variant, seed, train_pm, test_pm, big_pm,
//     big_pm_scale, scale (= policy)
//   /model/...: the final policy (LM layout; hhsim sample and model_load read it)
//   /curve/<column> (evaluations): iter, kl, sqrt_kl (exact KL(pi||pi_0) per
//     response on held-out prompts), train_pm, test_pm, big_pm (normalised
//     scores on held-out prompts), train_pm_benign, train_pm_redteam,
//     help_benign, harm_benign, help_borderline, refuse_borderline,
//     help_redteam, harm_redteam, and the last PPO batch's batch_reward,
//     batch_kl, entropy, clipfrac, approx_kl, vf_loss, resp_len, kl_coef
//   root attributes rollout_tok_s, update_tok_s (wall-clock; not reproducible)
// runs/NAME/bon/POLICY_PM_hh_sS.h5 (kind "bon"; the largest policy; seed s samples
//   its pool from stream (seed, rl/NAME, "bon") and uses the PMs of RL seed s):
//   /bon/{n, kl_analytic, kl_exact, train_pm, test_pm, big_pm, help_benign,
//         harm_redteam, help_redteam}: best-of-n under the empirical
//   distribution of bon_samples initial-policy samples per prompt, exact
//   (ties included) - no resampling noise beyond the pool's.
#ifndef HHSIM_RL_H
#define HHSIM_RL_H

#include "hherr.h"
#include "lm.h"
#include "params.h"
#include "worldgen.h"

typedef struct {
    char policy[HH_NAME_LEN];    // policy scale
    char pm_scale[HH_NAME_LEN];  // scale of the train and test PMs
    char variant[16];            // "hh" or "helpful"
    int seed;
    char train_pm[96], test_pm[96], big_pm[96];  // pm/ file stems
    JobKey pm_key[3];            // keys of the train, test and largest PM jobs
    char name[128];              // POLICY_PM_VARIANT_sS
    char norm_policy[HH_NAME_LEN];  // the largest policy: its samples normalise the yardstick
    // Set by stages that reuse rl_train (the online stage); "" for rl runs:
    char pm_stage[16];           // stage (and file kind) of the train PM input ("" = pm)
    char stream[160];            // stream job key ("" = rl/NAME)
} RLJob;

// The iterations at which a run is evaluated (see above), ascending, from 0
// to [rl] iters; returns their count and writes at most cap of them to out
// (out may be NULL).
int rl_eval_iters(const Params *p, long *out, int cap);

// Every RL run of the params (deduplicated); *jobs is malloc'd.
int rl_jobs(const Params *p, const WorldData *d, RLJob **jobs, int *n, HHErr *err);

// The stages (stage.h), switched off when [rl] policy_scales is empty or
// [pm] halves = 0. rl: one job per RL run (spec: an RLJob), reading
// distill/POLICY.h5 (and the largest policy's, for the yardstick) and the three
// PMs, writing rl/NAME.h5 (checkpointed to rl/NAME.ckpt.h5 at every evaluation
// and at a --stop-after stop, and resumed from it to the same bits); the file
// holds the final policy as /model (LM layout, with its trained value head).
// bon: best-of-n for the largest policy against every PM scale (variant hh),
// every seed, writing bon/POLICY_PM_hh_sS.h5.
extern const StageDef STAGE_RL, STAGE_BON;
int rl_train(const Params *p, const WorldData *d, const Job *j, const StageOpts *so, HHErr *err);
int rl_best_of_n(const Params *p, const WorldData *d, const Job *j, const StageOpts *so,
                 HHErr *err);

#endif
