// lm.h - the language-model stages: pretraining on the world's corpus and
// context distillation of the HHH persona (both report eval.h's gold
// evaluation of sampled responses), and loading any model file.
//
// runs/NAME/lm/SCALE.h5 (kind "lm"):
//   /model/...            weights (names in gpt.h), config as attributes
//   /curve/{step, train_loss, heldout_loss, tokens}   per eval interval
//   /eval/{n, help, harm, refuse}        (N_KINDS) greedy samples on test prompts
//   /eval/{task_n, task_help}            (N_TASKS) benign prompts by task
// runs/NAME/lm/SCALE.ckpt.h5 (kind "lm-checkpoint", only while unfinished):
//   /model, /opt/{m, v} (AdamW moments), /curve so far; attribute /opt step
// runs/NAME/distill/SCALE.h5 (kind "distill"):
//   /model/...            the distilled weights
//   /curve/{step, kl, tokens}
//   /eval/{n, help, harm, refuse}  (3, N_KINDS): rows base LM, base LM with the
//                         HHH prefix, distilled LM; sampled at [distill] temperature
#ifndef HHSIM_LM_H
#define HHSIM_LM_H

#include "eval.h"
#include "gpt.h"
#include "hherr.h"
#include "params.h"
#include "rollout.h"
#include "stage.h"
#include "worldgen.h"

// Relative cost of one unit of work at a scale: d_model^2 x layers (0 for an
// unknown scale); stages weigh their jobs with it.
double lm_scale_cost(const Params *p, const char *scale);

// The transformer config of a named scale.
int lm_config(const Params *p, const char *scale, GPTConfig *cfg, HHErr *err);

// Read /model of an hhsim file of `kind` into a new model for max_B rows and
// check it has the config of `scale` under p. kind NULL accepts any model
// file (LM, distilled, PMP, PM, RL policy: the stages with has_model); scale
// NULL takes the scale from the file's /model attribute.
int lm_load(const char *path, const char *kind, const Params *p, const char *scale, int max_B,
            GPT **out, HHErr *err);

// Write m's weights to group /model of f, with the scale as an attribute.
int lm_write_model(hid_t f, const GPT *m, const char *scale, HHErr *err);

// The stages (stage.h): one job per scale of [pretrain] scales each.
// pretrain writes lm/SCALE.h5; distill reads lm/SCALE.h5 and writes
// distill/SCALE.h5. Pretraining checkpoints to lm/SCALE.ckpt.h5 every
// [pretrain] eval_every steps; a run that finds a checkpoint written with the
// same params resumes from it and ends with bit-identical results; the
// checkpoint is deleted when the final file is in place.
extern const StageDef STAGE_PRETRAIN, STAGE_DISTILL;
int lm_pretrain(const Params *p, const WorldData *d, const Job *j, const StageOpts *so,
                HHErr *err);
int lm_distill(const Params *p, const WorldData *d, const Job *j, const StageOpts *so,
               HHErr *err);

#endif
