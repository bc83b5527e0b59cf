// online.h - iterated online training (paper Section 4.5, Figs. 15-16).
//
// For each policy scale of [online] scales and each RL seed s (< [rl] seeds),
// rounds k = 1 .. [online] rounds, two jobs per round:
//
//   data + PM (key SCALE, variant "pm", seed s, round k):
//     runs/NAME/online/SCALE_pm_sS_rK.h5 (kind "online")
//     1. [online] prompts fresh prompts in the base data's kind mix
//        (online_kind_quota of the base comparisons' prompt kinds; the
//        order of the kinds shuffled on stream (seed, job, "prompts")), each
//        drawn within its kind on that stream; a draw equal to a prompt of
//        the world's train or test set, of an earlier round of the seed
//        (redrawn from their own streams) or of this round is redrawn
//        within the kind, up to 1000 draws; a kind that cannot supply its
//        quota so fails with one line (HH_EINPUT) naming [online] prompts,
//        the kind and how many fresh prompts it supplied; the stage checks
//        every round of every seed when it lists its jobs, before any runs;
//     2. 2 x [online] bon_n samples per prompt (temperature 1, stream
//        "sample") from the current policy: round 1 the static HH policy
//        rl/SCALE_SCALE_hh_sS.h5 (the policy trained against the own-scale
//        train PM, pm/..._half0), round k > 1 online/SCALE_SCALE_hh_sS_rK-1;
//        the best of each half of the samples under the current PM (round 1
//        the train PM half0, round k > 1 online/SCALE_pm_sS_rK-1; ties to the
//        first) are the two responses compared;
//     3. one crowdworker labels each pair (stream "label"): a helpfulness
//        worker on benign and borderline prompts (helpful set), a red-team
//        worker on red-team and disguised prompts (harmless set), with the
//        world's own labelling function (worldgen_label);
//     3b. the null: 2 x bon_n samples per prompt from the distilled LM
//        distill/SCALE.h5 (stream "null/sample"), the best of each half
//        under the same selecting PM; the round's responses, the null's and
//        the base data are also scored by the independent test PM (the
//        static HH run's pm_key[1], pm/..._half1), which neither trained the
//        policy nor selected anything;
//     4. the round's PM: the train PM's recipe (pm_retrain: same scale,
//        start model, epochs, early stopping on the same validation share of
//        the base data) on the train PM's data plus every online comparison
//        of rounds 1 .. k of this seed, streams from this job;
//   /model: the round's PM (LM layout); /job: the key
//   /online/{prompt (P, ctx) uint8, prompt_len, kind, set (0 helpful,
//     1 harmless), worker, chosen, rejected (P, RESP_MAX), chosen_len,
//     rejected_len, gold (+1 chosen gold-better, -1 rejected, 0 tie),
//     help_chosen, help_rejected, harm_chosen, harm_rejected,
//     score0_chosen, score0_rejected (the static train PM's scores),
//     scorep_chosen, scorep_rejected (the previous PM's: the one that chose),
//     scoret_chosen, scoret_rejected (the independent test PM's),
//     kind_quota (4) int32, kind_draws (4) (draws per kind, redraws
//     included), null_response (2P, RESP_MAX: rows i and P + i are prompt
//     i's), null_len, null_scorep, null_scoret, null_help, null_harm (2P)}
//   /online/base_kind (n_base) int8: the base comparisons' prompt kinds
//   /online/base_scoret (2 n_base): the test PM's scores of the base data
//   /job/test_pm: the test PM's file stem
//   /online/base_score0 (2 n_base): the static train PM's scores of both
//     responses of every base comparison (the train PM's data)
//   /online attributes: round, n_base (base comparisons), n_train (the
//     round PM's comparisons: base + online; validation included),
//     q75_base0 and q75_basep (75th percentile of the base responses' scores
//     under the static and the previous PM), share_above0 (share of this
//     round's responses above q75_base0 under the static PM),
//     base_share_above0, n_tail (pairs with both responses above q75_basep
//     under the previous PM), tail_acc_crowd, tail_acc_gold (the previous
//     PM's accuracy on them: against the crowd label, ties 1/2; against gold,
//     gold ties skipped; NaN when none), acc_crowd, acc_gold (on all pairs),
//     best_epoch, q75_baset (the base data's 75th percentile under the test
//     PM), share_abovet, null_share_abovet, base_share_abovet (shares above
//     it of the round's responses, the null's and the base data's),
//     tail_vs_null (share_abovet - null_share_abovet)
//
//   policy (key SCALE, pm_scale SCALE, variant "hh", seed s, round k):
//     runs/NAME/online/SCALE_SCALE_hh_sS_rK.h5, kind "rl", the rl stage's
//     schema exactly (rl.h: /job, /model, /curve): PPO from distill/SCALE.h5
//     with [rl] settings against the round's PM as train PM (normalised on
//     the initial policy as in rl), the static test PM (half1) and the
//     yardstick; streams (seed, "online/STEM", ...).
//
// Seeds: RL seed s's rounds continue rl/SCALE_SCALE_hh_sS and draw every
// stream from their own job keys (online/SCALE_pm_sS_rK, online/STEM), so
// seeds differ in prompts, samples, labels, PM split/order/head and PPO; the
// static train PM they start from is the halves PM, which [pm] trains for
// seed 0 only (rl.h). --stop-after applies to the policy jobs (PPO
// checkpoints as in rl); a data + PM job runs whole.
//
// Off when [online] rounds = 0, [online] scales is empty or RL is off.
#ifndef HHSIM_ONLINE_H
#define HHSIM_ONLINE_H

#include "params.h"
#include "stage.h"

// [online] keys owned by the stage (Params.ext slots ON_SLOT ..).
enum { ON_SLOT = 12 };
int online_rounds(const Params *p);
int online_prompts(const Params *p);
int online_bon_n(const Params *p);

// The fresh prompts' kinds: P apportioned over the 4 prompt kinds in
// proportion to nbase (the base data's comparisons of each kind) by largest
// remainders (ties to the lower kind); quota sums to P (all benign when
// nbase is all zero).
void online_kind_quota(const int nbase[4], int P, int quota[4]);

extern const StageDef STAGE_ONLINE;

#endif
