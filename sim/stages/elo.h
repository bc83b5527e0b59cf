// elo.h - crowdworker Elo tournaments (the stage `elo`; Bai et al. 2022,
// Fig. 1, Fig. 36 and the Elo half of Figs. 15-16).
//
// One job per [rl] policy scale SCALE, writing runs/NAME/elo/SCALE.h5 (kind
// "elo"). Contestants, in this order (ElContestant.type):
//   distill     the context-distilled model of SCALE (distill/SCALE.h5)
//   anchor      the context-distilled model of the LARGEST policy scale, when
//               SCALE is not it: it plays every contestant of every scale's
//               tournament, so every scale's Elo is zero at one model (the
//               paper's convention; hhfit pins it)
//   helpful     helpful-only RLHF, each RL seed: rl/SCALE_BIGPM_helpful_sS.h5
//   hh          static HH RLHF, each RL seed: rl/SCALE_BIGPM_hh_sS.h5, the run
//               against the largest PM scale (its train PM: pm/BIGPM half 0,
//               PM seed s) - the same runs evals uses, so helpful and hh
//               differ only in their PM's data
//   online      online HH RLHF: every job of a stage `online` in the stage
//               table whose key has exactly scale SCALE, a round and a seed
//               (the policies online/SCALE_rK_sS.h5, same /model layout as
//               rl/*.h5), in the online stage's list order; none
//               when there is no such stage or it is off
//   bon         at the largest policy scale only (Fig. 36 is one policy
//               size, and scoring the pool with the PMs is most of the stage's
//               cost): best-of-n (rejection sampling) from distill/SCALE under the
//               train PM of hh seed s, for n = 1, 4, 16, ... [elo] bon_max
//               (powers of 4), each RL seed: the best (highest PM score,
//               lowest index on a tie) of the first n of bon_max samples per
//               prompt (one pool per scale, stream (seed, elo/SCALE, "bon"),
//               shared by the seeds: only the PM differs)
//   reference   the world's HHH persona (world_persona_respond, PERSONA_HHH):
//               the gold reference responder, stream (seed, elo/SCALE, "reference")
//   hh_opm      at a scale with online contestants only: static HH RLHF
//               under the online lineage's PM, rl/SCALE_SCALE_hh_sS (the run
//               each online lineage starts from; train PM of scale SCALE) -
//               the like-for-like baseline of online HH RLHF (referee 14
//               finding 5)
//   bon_opm     at a scale with online contestants only: best-of-n from the
//               seed's pool (below) selected by that online lineage's train PM,
//               n = 1, 4, ... [elo] bon_max
//
// Best-of-n pools (schema 2): one pool of bon_max samples per prompt per RL
// seed s, from distill/SCALE, stream (seed, elo/SCALE, "bon/sS"); bon and
// bon_opm of seed s select from the same pool (common random numbers: they
// differ only in the selecting PM). bonN_sS is the best (highest PM score,
// lowest index on a tie) of the pool's first N samples.
//
// Identical contestants are merged (kept once, under the first name): two
// model contestants of the same job (hh_opm when the online scale's PM is the
// largest PM scale: it is hh), two best-of-n contestants of the same pool, n
// and selecting PM, and n = 1 under any PMs of one pool (no selection). The
// file's /contestants attribute `merged` lists "dropped=kept" pairs.
//
// Prompts: the first [elo] prompts test prompts of each world prompt kind
// (eval_pick): held out from every training set. Helpfulness matches use
// the benign and borderline ones, harmlessness matches the red-team and
// disguised ones. Each contestant answers each prompt once (temperature 1,
// stream (seed, elo/SCALE, "sample/NAME")).
//
// Judges: a held-out pool of [elo] workers crowdworkers (crowd_init_pool,
// stream (seed, "world", "crowd/elo_workers"), ids [crowd] n_workers and up),
// none of whom labelled any PM data; helpfulness workers judge helpfulness
// matches, red-team workers harmlessness matches (crowd_label: the chosen
// response wins).
//
// Schedule: every pair of contestants (a < b) gets [elo] matches matches of
// each kind: a uniformly drawn prompt of the kind and a uniformly drawn
// worker of the role (stream (seed, elo/SCALE, "matches/help" or
// "matches/harm"), pairs in order).
//
// File layout:
//   /job (attributes): scale, anchor (the anchor's scale)
//   /contestants/type (C) int8 (ElType), /contestants/seed (C) int32 (-1 none),
//     /contestants/round (C) int32 (-1 none), /contestants/n (C) int32 (best-of-n
//     n, else -1); attributes names (comma-separated), scales (comma-separated)
//   /prompts/index (P) int32   test-set row; /prompts/kind (P) int8 world kind
//   /samples/resp (C, P, RESP_MAX) uint8; /samples/len, /samples/help,
//     /samples/harm (C, P): each contestant's answer and its gold judgements
//   /samples/pm_score (S, C, P) float64: the score of each answer under the
//     train PM of hh seed s (logits: sigmoid(difference) is the PM's
//     preference probability)
//   /samples/pm_test_score (S, C, P) float64 (schema 2): the same under the
//     test PM of hh seed s (pm_key[1]: the other data half, never trained
//     against); /samples attributes train_pms, test_pms (comma-separated PM
//     file stems, one per seed) and online_pms (the bon_opm selectors; "" when none)
//   /matches/{kind, a, b, prompt, worker, winner} (M): kind 0 help 1 harm;
//     a < b contestant indices; prompt: index into /prompts; worker: the
//     judge's id; winner: 0 when a won, 1 when b won
//
// [elo] keys (stage-owned, Params.ext slots ELO_SLOT..ELO_SLOT+3): prompts,
// matches, workers, bon_max. matches = 0 switches the stage off.
#ifndef HHSIM_ELO_H
#define HHSIM_ELO_H

#include "hherr.h"
#include "params.h"
#include "stage.h"
#include "worldgen.h"

// First Params.ext slot of [elo] (evals uses 8..10, online 12..14).
enum { ELO_SLOT = 16 };

// Types 7 and 8 were added in schema 2 (after the reference, so codes 0..6 kept their meaning).
typedef enum { ELT_DISTILL, ELT_ANCHOR, ELT_HELPFUL, ELT_HH, ELT_ONLINE, ELT_BON, ELT_REF, ELT_HH_OPM,
               ELT_BON_OPM, ELT_N } ElType;
// "distill", "anchor", "helpful", "hh", "online", "bon", "reference", "hh_opm", "bon_opm"
extern const char *const ELT_NAME[ELT_N];
// 1 for the types with a seed (RL, online, best-of-n), for best-of-n types
int elt_seeded(int t);
int elt_bon(int t);

enum { ELO_MAX_CONTESTANTS = 256 };

typedef struct {
    ElType type;
    int seed, round, n;      // -1 when not applicable
    char scale[HH_NAME_LEN]; // the model's scale
    char name[64];           // e.g. "hh_s0", "bon16_s1", "online_r2_s0"
    JobKey src;              // the job whose output is the model (distill, rl, online)
    const StageDef *stage;   // its stage (NULL for bon and reference)
    JobKey pm;               // bon: the PM job that selects (unset for n = 1: no selection)
} ElContestant;

typedef struct {
    char scale[HH_NAME_LEN], anchor[HH_NAME_LEN];
    int nc, nseeds;
    ElContestant c[ELO_MAX_CONTESTANTS];
    JobKey pm[16];           // train PM of hh seed s (PM-predicted Elo, best-of-n)
    JobKey tpm[16];          // test PM of hh seed s (its other data half: held-out PM-predicted Elo)
    JobKey opm[16];          // train PM of the online lineage's seed s (rl/SCALE_SCALE_hh_sS);
    int has_opm;             //   set when the scale has online contestants
    char merged[1024];       // "dropped=kept,..." contestants left out as identical to another
} ElSpec;

int elo_prompts(const Params *p);
int elo_matches(const Params *p);
int elo_workers(const Params *p);
int elo_bon_max(const Params *p);

// The contestants of scale's tournament, from the stage table t (its
// `online` stage, if any, supplies the online ones).
int elo_spec(const Params *p, const WorldData *d, const StageDef *const *t, const char *scale,
             ElSpec *s, HHErr *err);

extern const StageDef STAGE_ELO;

#endif
