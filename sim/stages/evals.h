// evals.h - capability evaluations outside the dialogue format (the stage
// `evals`), in the spirit of the paper's NLP evaluations (Bai et al. 2022,
// Fig. 3: what RLHF costs or gives a model's other capabilities).
//
// The suite: EV_NSETS sets of [evals] items items each, drawn once from the
// run's seed (streams (seed, "evals/items", SET) and (seed, "evals/shots",
// SET)), so every model of a run answers the same items and differences
// between models are paired per item.
//
//   facts     multiple choice scored by likelihood: after "FACT name R" the
//             [evals] choices candidate names (the related entity's and
//             choices - 1 distractors, distinct entities drawn by popularity)
//             are scored by the total log-likelihood of their two letters;
//             correct when the right name's is strictly the highest (a tie
//             counts as wrong). Queries: distinct (entity, relation) pairs,
//             entities drawn by popularity as in the corpus.
//   copy, reverse, sort   the corpus's task-demonstration format
//             "TASK args SEP" -> "answer EOS" (world_sample_document),
//             scored by exact match of the greedy output (answer and EOS,
//             nothing else). Arguments: [world] min_args..max_args symbols.
//             Greedy decoding is checked teacher-forced, in one forward pass:
//             it reproduces the answer and EOS exactly when the right token
//             has the largest logit at every answer position with the answer
//             fed (the decoded prefix is then the fed one); a tie is wrong.
//   lookup    "ASK name R SEP" -> the related entity's name, EOS (exact match).
//   make      "MAKE name SEP" -> the recipe (R0) of a safe entity, EOS.
//
// Each item is posed zero-shot (BOS then the query) and few-shot ([evals]
// shots worked examples of the same set before the query: task items as
// "BOS TASK args SEP answer EOS" each, the packed form the pretraining batches
// hold; fact items as the facts of a knowledge document, "BOS FACT e R e'
// FACT ... FACT name R"). Examples are other items of the set's generator
// (never the query itself).
//
// Disjoint from training: no prompt of the suite is a dialogue, so none is a
// training (or test) prompt of the world. For copy/reverse/sort the queries
// are also new: a (task, arguments) pair that occurs anywhere in the corpus
// (a task document or any dialogue turn, SAME resolved) or in the world's
// prompt sets is redrawn, so the items test the skill, not memory. Facts,
// lookups and recipes are knowledge: the items test recall of facts the
// pretraining corpus states (knowledge documents), so the facts themselves
// are seen by design; only the way they are asked is new. /items/seen records
// per item whether its query (the fact "FACT name R name'", or "ASK name R" /
// "MAKE name" as a task) occurs in the corpus or prompt sets.
//
// Models (jobs): for every [pretrain] scale the base LM (lm/SCALE.h5) and
// the context-distilled model (distill/SCALE.h5); for every RL policy scale,
// variant (hh, helpful) and seed, the policy of the RL run against the
// largest PM (rl/POLICY_BIGPM_VARIANT_sS.h5: the paper trains every policy
// size against one PM, so the scale trend varies the policy alone; this run
// exists for every policy scale, the own-scale one only when the scale is
// also a PM scale). RL policies start from the distilled model of their
// scale, the baseline of the alignment tax.
//
// runs/NAME/evals/STEM.h5 (kind "evals"); STEM = SCALE_lm, SCALE_distill, or
// the RL run's stem (POLICY_PM_VARIANT_sS):
//   /job (attributes): scale, variant (lm, distill, hh or helpful), and for
//     RL pm_scale, seed; model = the input file's run-relative path
//   /items/set    (n) int8     set of each item (EV_* order)
//   /items/seen   (n) uint8    1 when the query occurs in the corpus or prompts
//   /items/query  (n, EV_QMAX) uint8   the query tokens (PAD after), no BOS/SEP
//   /items/answer (n, EV_AMAX) uint8   tasks: the right answer and EOS; facts:
//                 the candidates' names, right one first (PAD after)
//   /evals/correct (EV_NSHOT, n) uint8    1 when answered right; rows zero-shot, few-shot
//   /evals/margin  (EV_NSHOT, n) float64  nats, > 0 exactly when correct: facts
//                 ll(right) - max ll(distractor); tasks the smallest, over the
//                 answer's tokens (EOS included, teacher-forced), of log p(right
//                 token) - log p(best other token)
//   /evals/accuracy (EV_NSHOT, EV_NSETS) float64  share correct per set
//   attributes of /evals: sets ("facts,copy,..."), shots, choices, items
//
// [evals] keys (stage-owned, Params.ext slots EV_SLOT..EV_SLOT+2):
//   items (per set), shots, choices. items = 0 switches the stage off.
#ifndef HHSIM_EVALS_H
#define HHSIM_EVALS_H

#include <stdint.h>

#include "gpt.h"
#include "hherr.h"
#include "params.h"
#include "stage.h"
#include "worldgen.h"

enum { EV_FACTS, EV_COPY, EV_REV, EV_SORT, EV_ASK, EV_MAKE, EV_NSETS };
enum { EV_ZERO, EV_FEW, EV_NSHOT };
enum { EV_QMAX = 8, EV_AMAX = 16, EV_MAX_CHOICES = 8 };
// First Params.ext slot of [evals] (slots 0-7 are left to other stages and tests).
enum { EV_SLOT = 8 };

extern const char *const EV_SET_NAME[EV_NSETS];   // "facts", "copy", "reverse", ...
extern const char *const EV_SHOT_NAME[EV_NSHOT];  // "zero_shot", "few_shot"

// The values of [evals].
int evals_items_per_set(const Params *p);
int evals_shots(const Params *p);
int evals_choices(const Params *p);

typedef struct {
    int n, per_set, shots, choices, ctx;
    int8_t *set;        // (n)
    uint8_t *seen;      // (n)
    uint8_t *query;     // (n, EV_QMAX)
    uint8_t *answer;    // (n, EV_AMAX)
    int32_t *alen;      // (n) answer tokens (facts: 2 * choices)
    uint8_t *prompt;    // (EV_NSHOT, n, ctx) prompts: BOS ... up to SEP (tasks) or R (facts)
    int32_t *plen;      // (EV_NSHOT, n)
} EvalItems;

// Draw the suite of a run (deterministic in params and seed). Fails with
// HH_EINPUT naming [evals] when a few-shot prompt with its answer cannot fit
// [model] ctx, or when a set has fewer distinct new queries than items.
int evals_items(const Params *p, const WorldData *d, EvalItems *it, HHErr *err);
void evals_items_free(EvalItems *it);

// Score model m (max_B >= gpt_infer_rows) on every item, zero-shot and
// few-shot: correct and margin (EV_NSHOT, n) as in the file layout above.
int evals_score(GPT *m, const EvalItems *it, uint8_t *correct, double *margin, HHErr *err);

extern const StageDef STAGE_EVALS;
int evals_run(const Params *p, const WorldData *d, const Job *j, const StageOpts *so, HHErr *err);

#endif
