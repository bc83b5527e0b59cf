// rl.h - RLHF with PPO against preference models, and the best-of-n baseline.
//
// Runs (from [rl]; each x variant x seed): every policy scale against the
// largest PM scale (paper Fig. 13 left); every policy against the PM of its
// own scale, also scored by the largest PM (Fig. 13 right); the largest
// policy against every PM scale (Fig. 33). The policy starts from
// distill/POLICY.h5. Its train PM is pm/..._half0 of the PM scale (variant
// hh) or the helpful-only PM of the mix sweep (variant helpful); its test PM
// is pm/..._half1 of the same scale (the other half of the data); the largest
// PM (half 1 of the largest [pm] scale) scores every run too. Every PM's
// reward is normalised to mean 0, sd 1 on [pm] norm_samples samples of the
// initial policy.
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
// runs/NAME/bon/POLICY_PM_VARIANT_sS.h5 (kind "bon"; seed 0 today):
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
} RLJob;

// Every RL run of the params (deduplicated); *jobs is malloc'd.
int rl_jobs(const Params *p, const WorldData *d, RLJob **jobs, int *n, HHErr *err);

// The stages (stage.h), switched off when [rl] policy_scales is empty or
// [pm] halves = 0. rl: one job per RL run (spec: an RLJob), reading
// distill/POLICY.h5 and the three PMs, writing rl/NAME.h5 (checkpointed
// every eval_every iterations to rl/NAME.ckpt.h5 and resumed from it to the
// same bits); the file holds the final policy as /model (LM layout, with its
// trained value head). bon: best-of-n for each (policy, PM scale, variant)
// of seed 0, writing bon/POLICY_PM_VARIANT_s0.h5.
extern const StageDef STAGE_RL, STAGE_BON;
int rl_train(const Params *p, const WorldData *d, const Job *j, const StageOpts *so, HHErr *err);
int rl_best_of_n(const Params *p, const WorldData *d, const Job *j, const StageOpts *so,
                 HHErr *err);

#endif
