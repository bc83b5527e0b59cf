// lmdata.h - what hhfit reads of a run's language-model stages (layouts in
// sim/stages/lm.h): every pretrained LM (RUN_DIR/lm/SCALE.h5, kind "lm") with its
// loss curve and the gold evaluation of its greedy answers, every
// context-distilled LM (RUN_DIR/distill/SCALE.h5, kind "distill") with the
// gold evaluation of three models sampled at [distill] temperature (the base
// LM, the base LM with the HHH prefix, the distilled LM), and, from world.h5,
// the gold help and harm of each persona's responses in the held-out
// comparisons (the level the HHH persona sets). A run without lm/ or
// distill/ is not an error: the tables are then written empty with a
// `missing` attribute and their claims are PENDING.
//
// Every file is checked before use; a file that is not what it should be
// (wrong kind, a missing or misshapen dataset or attribute, a value out of
// range, a scale attribute that disagrees with the file name, an lm and a
// distill file of one scale with different configs) is refused with HH_EINPUT
// and a message naming the file and the dataset or attribute.
//
// Definitions (analysis/README.md):
//   params         every float32 parameter of the model's buffer, counted from
//                  the /model config by sim/model/gpt.h's tensor table (as the PM
//                  tables count them): (V + T) C + L (12 C^2 + 13 C) + 4 C + 2
//                  for L layers, width C, context T, vocabulary V
//   params_nonemb  without the embeddings (wte, wpe) and the unused reward and
//                  value heads: L (12 C^2 + 13 C) + 2 C (Kaplan et al.'s N)
//   help_benign    mean gold help on benign prompts
//   harm_redteam   mean gold harm on red-team and disguised prompts (pooled,
//                  weighted by their counts), as in the RL tables
//   intervals      95% Wilson score interval of a mean of n values in [0, 1]
//                  (stats_wilson_mean: exact Wilson for refusals, which are
//                  0/1; conservative for graded help and harm). Only the
//                  means and counts are stored, so nothing finer is possible.
#ifndef HHFIT_LMDATA_H
#define HHFIT_LMDATA_H

#include "hherr.h"
#include "schema.h"
#include "params.h"
#include "stats.h"
#include "world.h"

// The statistics of /eval (datasets /eval/<LMD_STAT_NAME>).
enum { LMD_N = EVC_N, LMD_HELP = EVC_HELP, LMD_HARM = EVC_HARM, LMD_REFUSE = EVC_REFUSE, LMD_NSTAT };
// The rows of a distill file's /eval arrays.
enum { DI_BASE, DI_PREFIXED, DI_DISTILLED, DI_NROW };

#define LMD_MAXPT 100000  // most curve points of one file hhfit reads

#define LMD_STAT_NAME(s) (SCHEMA_GOLD_EVAL[s].name)  // "n", "help", "harm", "refuse"
extern const char *const LMD_KIND_NAME[N_KINDS];     // "benign", "borderline", "redteam", "disguised"
extern const char *const LMD_TASK_NAME[N_TASKS];     // "copy", "reverse", "sort", "lookup", "lookup2", "make"
extern const char *const LMD_ROW_NAME[DI_NROW];      // "base", "prefixed", "distilled"
extern const char *const LMD_PERSONA_NAME[N_ALL_PERSONAS];

// One model's gold evaluation: v[LMD_N][k] responses to prompts of kind k,
// v[LMD_HELP|HARM|REFUSE][k] their means (0 when there were none).
typedef struct {
    double v[LMD_NSTAT][N_KINDS];
} LMDEval;

typedef struct {
    char path[1024];
    char scale[HH_NAME_LEN];      // the file stem (= /model attribute scale)
    int n_layer, d_model, n_head, ctx, vocab;
    double params, params_nonemb;
    int n;                        // curve points
    double *step, *tokens;        // (n) /curve/step, /curve/tokens
    double *loss;                 // (n) lm: /curve/train_loss; distill: /curve/kl
    double *heldout;              // (n) lm: /curve/heldout_loss; distill: NULL
    int nev;                      // 1 (lm: greedy) or DI_NROW (distill: sampled)
    LMDEval ev[DI_NROW];
    double task_n[N_TASKS], task_help[N_TASKS];  // lm: benign prompts by task
    uint8_t *facts;               // lm: (nfe, nfr) /eval/facts, 0/1
    int nfe, nfr;                 // its dims: entities, relations + 1 (hazard status last)
} LMDRec;

// Gold help and harm of the persona responses of world.h5's held-out
// comparisons (helpful and harmless test sets pooled, chosen and rejected
// responses alike), by persona and prompt kind.
typedef struct {
    int have;                     // 0: not read (no world.h5)
    double n[N_ALL_PERSONAS][N_KINDS];
    double help[N_ALL_PERSONAS][N_KINDS], help_sd[N_ALL_PERSONAS][N_KINDS];
    double harm[N_ALL_PERSONAS][N_KINDS], harm_sd[N_ALL_PERSONAS][N_KINDS];
} LMDPersona;

typedef struct {
    int nlm, ndi;
    LMDRec *lm, *di;              // each sorted by parameters, then scale name
    char missing_lm[256], missing_di[256];  // why there are none ("" when there are)
    LMDPersona persona;
    int n_ent, n_attr;            // world.h5 /kb/relation dims (0: no world.h5)
    int32_t *rank;                // (n_ent) /kb/rank: popularity rank of each entity
    uint8_t *haz;                 // (n_ent) /kb/hazard: 1 = hazardous
    double recall_prior;          // share of relational facts whose object is the most common
                                  // one: the recall of always answering that name
} LMData;

// Read dir/lm/*.h5, dir/distill/*.h5 and, if dir/world.h5 exists, its
// persona responses (checkpoints and temporary files skipped).
int lmd_load(const char *dir, LMData *D, HHErr *err);
// The same, refusing a file made with params other than the run's (run not NULL).
int lmd_load_run(const char *dir, const Params *run, LMData *D, HHErr *err);
void lmd_free(LMData *D);

// The parameter counts defined above; *nonemb may be NULL.
double lmd_count_params(int n_layer, int d_model, int ctx, int vocab, double *nonemb);

// The record of a scale in v[0..n-1], or NULL.
const LMDRec *lmd_find(const LMDRec *v, int n, const char *scale);

// Mean of kind k's statistic s (LMD_HELP, LMD_HARM, LMD_REFUSE) over the kinds
// whose bit is set in `kinds` (1 << KIND_X), weighted by their counts, with
// its 95% interval (stats_wilson_mean) and count in out. No responses: NaNs
// and n = 0.
void lmd_mean(const LMDEval *e, int s, unsigned kinds, StatsCI *out);

// A persona's mean gold help (s = LMD_HELP) or harm (LMD_HARM) on kind k with
// its 95% Student-t interval over the responses (treated as independent).
// Fewer than 2 responses: NaNs.
void lmd_persona_mean(const LMDPersona *p, int persona, int k, int s, StatsCI *out);

// Facts m recalls (/eval/facts) about the entities whose popularity rank
// (world.h5 /kb/rank) is in [lo, hi): relational facts (status 0; counts in
// k[0] of n[0], k[1] = n[1] = 0) or hazard statuses (status 1; k[0] of n[0]
// safe entities, k[1] of n[1] hazardous ones). The one count behind both the
// claim fact_recall_slope_log10p and the table /lm_fact_recall.
void lmd_recall(const LMData *D, const LMDRec *m, int lo, int hi, int status, size_t k[2], size_t n[2]);

#endif
