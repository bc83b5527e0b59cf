// worldgen.h - the world stage: corpus, prompt sets and crowd comparisons,
// written to runs/NAME/world.h5 and read back by later stages.
//
// Layout of world.h5 (every dataset has `units` and `description`):
//   /kb/relation                   (E, R) int32   kb[e][r] entity index (R0: made from)
//   /kb/{hazard (E) uint8, name (E, 2) uint8 letters, rank (E) int32, popularity (E)}
//   /corpus/{tokens (N,T) uint8, length (N), source (N)}   source: persona 0-5, 6 = document
//   /prompts/{train,test}/{tokens (N,T) uint8, length, kind, turn}
//   /comparisons/{helpful,harmless}/{train,test}/
//       prompt (N) index into /prompts/<split>; chosen, rejected (N, 24) uint8
//       response tokens after the final A (EOS included, PAD after);
//       chosen_len, rejected_len; worker; help_chosen, help_rejected,
//       harm_chosen, harm_rejected (gold); gold (+1 chosen gold-better,
//       -1 rejected gold-better, 0 tie); p_gold (the labelling worker's
//       probability of choosing the gold-better response); kind; turn;
//       persona_chosen, persona_rejected; worker2, agree2 (-1 when not
//       double-labelled), p_agree2 (implied chance the two workers agree);
//       differs: 0 content only (surface-matched), 1 surface, 2 refusal,
//       3 harm (world_differs)
//   /crowd/{role, temperature, lapse, length_bias}  per worker
//   /crowd/agreement/{worker_measured, worker_implied, worker_n,
//                     gold_measured, gold_implied, gold_n}  (2) helpful, harmless
#ifndef HHSIM_WORLDGEN_H
#define HHSIM_WORLDGEN_H

#include <stdint.h>

#include "crowd.h"
#include "hherr.h"
#include "params.h"
#include "stage.h"
#include "world.h"

typedef struct {
    int n, ctx;
    uint8_t *tok;   // (n, ctx), PAD after len
    int32_t *len;   // (n)
    int8_t *kind;   // (n) prompt kind, or corpus source
    int8_t *turn;   // (n) turns (corpus: 0 for documents)
} SeqSet;

typedef struct {
    int n;
    int32_t *prompt, *chosen_len, *rejected_len, *worker, *worker2;
    uint8_t *chosen, *rejected;  // (n, RESP_MAX)
    double *help_c, *help_r, *harm_c, *harm_r, *p_gold, *p_agree2;
    int8_t *gold, *kind, *turn, *persona_c, *persona_r, *agree2;
    int8_t *differs;  // Differs (world.h): what differs between the two responses
} CompSet;

enum { SPLIT_TRAIN = 0, SPLIT_TEST = 1, SET_HELPFUL = 0, SET_HARMLESS = 1 };

typedef struct WorldData {
    World world;
    Crowd crowd;
    SeqSet corpus;
    SeqSet prompts[2];      // [split]
    CompSet comps[2][2];    // [set][split]
    double agree[6][2];     // worker measured/implied/n, gold measured/implied/n; [set]
} WorldData;

// One crowd comparison, labelled as every comparison of the world is (the
// world stage's sets, PMP's ranked web data, the online stage's rounds):
// responses a (ra, la) and b (rb, lb) to the prompt `info`, their gold help
// and harm (world_help, world_harm), worker wk's choice with one draw from
// lab (crowd_label), and the gold preference of the chosen over the rejected
// response under the worker's criterion (crowd_gold_pref).
typedef struct {
    int a_chosen;           // 1: a is chosen
    Seen chosen, rejected;  // gold help, harm and length of each
    int gold;               // +1 chosen gold-better, -1 rejected, 0 tie
} WorldLabel;
WorldLabel worldgen_label(const World *w, const PromptInfo *info, const Worker *wk,
                          const uint8_t *ra, int la, const uint8_t *rb, int lb, gsl_rng *lab);

// Generate everything from params (deterministic in params and seed).
int worldgen_build(const Params *p, WorldData *d, HHErr *err);
// Write world.h5 to `path` (via a temporary file).
int worldgen_write(const WorldData *d, const Params *p, const char *path, HHErr *err);
// Read world.h5 (datasets only; the world's kb and sizes are rebuilt from p).
int worldgen_read(const char *path, const Params *p, WorldData *d, HHErr *err);
void worldgen_free(WorldData *d);

// Preference-model pretraining data (not stored in world.h5; regenerated from
// the stream (seed, "world", "pmp")): [pm] pmp_n benign and borderline requests
// with two persona responses each, labelled by helpfulness alone with
// Bradley-Terry temperature [pm] pmp_temp and no lapse, as cheap ranked web
// data would be. Out of the assistant's format: each prompt is the request
// alone in the task-demonstration format, BOS TASK args SEP.
// comps->prompt indexes prompts. Free with worldgen_free_sets.
int worldgen_pmp(const WorldData *d, const Params *p, SeqSet *prompts, CompSet *comps,
                 HHErr *err);
void worldgen_free_sets(SeqSet *s, CompSet *c);

// The best loss any model can reach on labels drawn as c's were: the mean
// binary entropy (nats) of each label's probability p_gold. Chance is ln 2.
double worldgen_best_loss(const CompSet *c);

// The world stage (stage.h): one job, no inputs, writing world.h5. It is the
// first entry of the stage table; every other stage reads its output.
extern const StageDef STAGE_WORLD;

#endif
