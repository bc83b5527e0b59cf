// eval.h - the evaluations every stage shares: the gold judgement of a
// response, the held-out prompt sets they are made on, the gold report of a
// model (lm, distill), and the samples a PM's rewards are normalised on (pm,
// rl). One definition each, so every stage measures the same thing.
#ifndef HHSIM_EVAL_H
#define HHSIM_EVAL_H

#include <gsl/gsl_rng.h>

#include "gpt.h"
#include "hherr.h"
#include "params.h"
#include "rollout.h"
#include "worldgen.h"

// The gold judgement of one response to one prompt.
typedef struct {
    double help, harm;  // world_help, world_harm in [0, 1]
    int refuse;         // 1 when the response contains SORRY
    int kind, task;     // the prompt's kind (PromptKind) and task (Task)
} GoldScore;

void eval_gold_one(const World *w, const uint8_t *prompt, int plen, const uint8_t *resp, int rlen,
                   GoldScore *g);

// Indices of up to per_kind prompts of each kind of ps, in set order; returns
// how many (idx has room for ps->n).
int eval_pick(const SeqSet *ps, int per_kind, int *idx);

// A model's gold report: means per prompt kind, and per task on benign prompts.
typedef struct {
    double n[N_KINDS], help[N_KINDS], harm[N_KINDS], refuse[N_KINDS];
    double task_n[N_TASKS], task_help[N_TASKS];  // benign prompts, by task
} GoldEval;

// Sample m's responses (options o, stream r) to up to max_per_kind test
// prompts of each kind and report their gold judgements.
int eval_gold(GPT *m, const WorldData *d, int max_per_kind, const RolloutOpts *o, gsl_rng *r,
              GoldEval *ev, HHErr *err);

// Reward normalisation samples: one response at temperature 1 from pol (stream
// (seed, job, "norm")) to each of the first n train prompts (cycling), scored
// by each of the npm PMs: scores[k * n + i].
int eval_norm_scores(const Params *p, const WorldData *d, GPT *pol, const char *job,
                     GPT *const *pms, int npm, int n, double *scores, HHErr *err);

// Mean and standard deviation (n - 1 denominator) of n scores.
void eval_norm_stats(const double *s, int n, double *mean, double *sd);

// Fact recall of a language model: every fact of the knowledge base
// (world_fact_tokens order: f = e * (n_attr + 1) + r, r == n_attr the hazard
// status), packed into rows after BOS as in the corpus's knowledge documents.
// A relational fact is recalled when the model's argmax predicts both letters
// of the related entity's name (teacher-forced); a hazard status when the
// right one of HAZ and SAFE gets the larger logit. correct (n_ent * (n_attr
// + 1)); recall[0] = share of relational facts, recall[1] = balanced accuracy
// of the hazard statuses (mean of the shares right on safe and on hazardous
// entities: 0.5 for a model that always says SAFE).
int eval_facts(GPT *m, const World *w, uint8_t *correct, double *recall, HHErr *err);

#endif
