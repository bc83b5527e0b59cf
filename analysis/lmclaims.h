// lmclaims.h - the language-model statistics that papers/bai2022/claims.tsv
// names, computed from a run's lm/ and distill/ files and world.h5's persona
// responses (lmdata.h). hhsim trains one seed per scale, so no interval covers
// retraining: each is across scales (the loss slope) or covers the sampling of
// the evaluated responses (the distillation statistics).
//
//   lm_heldout_loss_slope_log10p   slope b of the least-squares line final held-out loss =
//                                  a + b log10(params) over the pretrained scales, in nats/token
//                                  per decade of parameters; 95% Student-t fit interval with
//                                  n - 2 dof (needs >= 3 scales)
//   distill_help_gain_benign       mean over the distilled scales of (distilled LM - base LM) gold
//                                  help on benign prompts
//   distill_harm_drop_redteam      mean over the distilled scales of (base LM - distilled LM) gold
//                                  harm on red-team and disguised prompts (pooled)
//   hhh_persona_minus_distilled_help   gold help on benign prompts of the HHH persona's responses
//                                  in world.h5's held-out comparisons minus the mean over the
//                                  distilled scales of the distilled LM's
// The three distillation statistics are linear combinations of means; their
// 95% intervals combine the parts' intervals (95% Wilson of a mean in [0, 1]
// for the LM evaluations, Student t for the persona) by MOVER (stats_mover),
// treating the parts as independent. Base and distilled LMs answer the same
// held-out prompts, so their evaluations are positively correlated and the
// independent interval of their difference is conservative (too wide).
// A statistic whose files are absent is unavailable (verdict PENDING).
#ifndef HHFIT_LMCLAIMS_H
#define HHFIT_LMCLAIMS_H

#include "claims.h"
#include "lmdata.h"

// 1 if `name` is one of the statistics above.
int lmclaims_known(const char *name);

// Comma-separated list of them (for messages).
const char *lmclaims_list(void);

// Compute row->statistic into out (out->available = 0 when the run lacks the data).
int lmclaims_compute(const LMData *D, const ClaimRow *row, ClaimStat *out, HHErr *err);

#endif
