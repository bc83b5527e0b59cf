// overlap.h - held-out prompts that duplicate a training prompt (table
// /prompt_overlap), from world.h5's /prompts/train and /prompts/test.
//
// The world draws its train and test prompts independently from the same
// prompt distribution (sim/world/worldgen.c, gen_prompts: streams
// "prompts/train" and "prompts/test"), so nothing stops a held-out prompt
// from being token for token a training prompt; short red-team prompts from
// few topics repeat often. A test prompt is a DUPLICATE when its exact token
// sequence (length and tokens) is one of the training prompts.
//
// Rows: scope x kind (benign, borderline, red-team, disguised, all).
//   scope "test"     every held-out prompt
//   scope "rl_eval"  the held-out prompts RL evaluates on (and evals' and the
//                    online claims' gold numbers read): the first [rl]
//                    eval_prompts of each kind (sim/stages/eval.c eval_pick)
// Columns: n_prompts, n_dup, share_dup (n_dup / n_prompts, NaN when 0),
// n_distinct_dup (distinct duplicated sequences), n_train (training prompts
// of the kind).
#ifndef HHFIT_OVERLAP_H
#define HHFIT_OVERLAP_H

#include <stddef.h>
#include <stdint.h>

#include "hherr.h"
#include "report.h"

// For each of the nb prompts of b (rows of ctx tokens, lengths lb), dup[i] =
// 1 when its first lb[i] tokens equal those of one of the na prompts of a
// (same length), else 0. Returns 0, or HH_EFAIL when out of memory.
int overlap_flags(const uint8_t *a, const int32_t *la, int na, const uint8_t *b, const int32_t *lb, int nb,
                  int ctx, int8_t *dup);

int report_prompt_overlap(Report *R, HHErr *err);

#endif
