// params.h - the typed parameters of a run, parsed from an INI file (inih).
//
// Every key has a type, a default, an allowed range and a one-line doc, all in
// one table in params.c; `hhsim params FILE` prints the effective values as
// `key = value  ; doc` lines, and that output parses back to the same struct.
// Lists are comma-separated. Unknown sections or keys, wrong types, values out
// of range, duplicate keys, missing or non-text files are refused with one
// line naming file:line and the key (HH_EINPUT).
//
// Lines end in LF or CRLF (the CR is whitespace to inih); a carriage return
// not followed by LF (old Mac line endings, or a stray CR) is refused with the
// line it is on, since inih would read a CR-only file as one line and keep
// every default. A section header must be alone on its line ('[run]', a
// comment may follow): inih ignores what follows the ']', so '[run] seed = 7'
// is refused rather than silently keeping the default seed.
//
// Rules between keys (cross_check in params.c) are checked when the file is
// read, before any stage runs: scale lists name [model] scales, PM training
// sizes and mixes fit the [crowd] training counts, the helpful RL variant has
// its helpful-only PM (mix 1), held-out evaluation counts ([rl] eval_prompts,
// bon_prompts, [distill] eval_samples) do not exceed [world] n_test_prompts,
// and the [crowd] test sets are not empty.
#ifndef HHSIM_PARAMS_H
#define HHSIM_PARAMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hherr.h"

#define HH_MAX_LIST 16  // longest list a key may hold
#define HH_NAME_LEN 24  // longest scale or run name, including the NUL
#define HH_MAX_EXT 32   // values of stage-owned params sections (params_add_keys)

typedef struct { int n; int v[HH_MAX_LIST]; } IntList;
typedef struct { int n; double v[HH_MAX_LIST]; } DoubleList;
typedef struct { int n; char v[HH_MAX_LIST][HH_NAME_LEN]; } NameList;

enum { N_PERSONAS = 5 };  // competent, sloppy, refuser, complier, rambler

typedef struct {
    // [run]
    uint64_t seed;          // 1234: root of every random stream
    int threads;            // 1: BLAS threads per job
    // [world]
    int n_entities;         // 512: knowledge-base entities (two-letter names)
    double zipf;            // 0.9: Zipf exponent of entity popularity
    double haz_frac;        // 0.25: share of hazardous entities
    double make_frac;       // 0.5: share of red-team prompts that are MAKE hazardous-entity
    int n_attributes;       // 4: knowledge-base attributes (relations)
    int n_symbols;          // 12: symbols used by copy / reverse / sort
    int min_args;           // 2: shortest task argument list
    int max_args;           // 5: longest task argument list
    int max_turns;          // 3: most conversational turns
    double p_more_turns;    // 0.4: chance of one more turn before the last
    double p_followup;      // 0.3: chance a later turn says SAME (inherits the task)
    DoubleList task_weights;// copy, reverse, sort, lookup, lookup2, make
    double redteam_frac;    // 0.3: share of red-team prompts
    double borderline_frac; // 0.15: share of borderline (dual-use) benign prompts
    double disguise_frac;   // 0.3: share of red-team prompts disguised behind a task
    int n_train_prompts;    // 4000
    int n_test_prompts;     // 1000
    // [corpus]
    int n_dialogues;        // 20000: persona dialogues in the pretraining corpus
    int n_documents;        // 6000: capability documents (facts, task demos)
    double hhh_frac;        // 0.1: share of dialogues by the HHH persona (prefixed)
    DoubleList persona_weights;    // competent, sloppy, refuser, complier, rambler
    // [crowd]
    int n_workers;          // 40
    double temp_median;     // 0.3: median Bradley-Terry temperature
    double temp_spread;     // 0.5: sd of log temperature across workers
    double lapse_mean;      // 0.12: mean lapse rate (random pick)
    double length_bias_sd;  // 0.05: sd of workers' preference for length
    int n_help_train, n_help_test;  // helpfulness comparisons
    int n_harm_train, n_harm_test;  // harmlessness (red-team) comparisons
    double double_frac;     // 0.5: share of test comparisons labelled twice
    double help_redteam_frac; // 0.1: share of helpfulness comparisons on red-team prompts
    double same_persona_frac; // 0.7: share of comparisons whose two responses share a persona
    double matched_frac;    // 0.4: share of benign helpful comparisons that are surface-matched
    double harm_matched_frac; // 0.5: share of harmless MAKE-hazard comparisons that are recipe vs wrong recipe
    double redteam_help_weight; // 0.25: red-teamers' weight of help beside harm
    int harm_redraws;       // 0: redraws of a harmless pair tied in gold harm
    // [model]
    NameList scale_names;   // xs,s,m,l,xl
    IntList scale_layers;   // 1,2,2,4,6
    IntList scale_dmodel;   // 16,32,64,128,192
    IntList scale_heads;    // 2,4,4,4,6
    int ctx;                // 64: context length (tokens)
    // [pretrain]
    NameList pt_scales;     // scales to pretrain
    int pt_steps;           // 600
    int pt_batch;           // 32
    double pt_lr;           // 3e-3
    double pt_min_lr_frac;  // 0.1
    double pt_warmup_frac;  // 0.05
    double pt_weight_decay; // 0.1
    double pt_grad_clip;    // 1.0
    int pt_eval_every;      // 100
    // [distill]
    int di_steps;           // 200
    int di_batch;           // 32
    double di_lr;           // 3e-4
    int di_eval_samples;    // 256
    double di_temperature;  // 1.0: sampling temperature for the help/harm report
    // [pm]
    NameList pm_scales;     // scales of the preference models
    IntList pm_sizes;       // training-set sizes of the size sweep (HH mix)
    DoubleList pm_mixes;    // helpful fractions of the mix sweep (fixed total)
    int pm_mix_total;       // total comparisons of the mix sweep
    double pm_hh_frac;      // helpful fraction of the size sweep and the halves
    int pm_seeds;           // seeds per preference model of the size sweep
    int pm_mix_seeds;       // seeds per PM of the mix sweep and the halves
    int pm_epochs;          // maximum passes over the training comparisons
    double pm_val_frac;     // share of a PM's comparisons held out for early stopping
    int pm_patience;        // epochs without a lower validation loss before stopping
    int pm_ref;             // 1: train the reference PM (largest scale, all comparisons)
    int pm_batch;           // comparisons per step
    double pm_lr;           // peak learning rate
    double pm_weight_decay; // AdamW weight decay
    int pm_pmp;             // 0 no PMP, 1 PMP, 2 both (size sweep only)
    int pm_pmp_n;           // PMP comparisons
    double pm_pmp_temp;     // noise temperature of PMP labels
    double pm_pmp_lr;       // PMP learning rate
    NameList pm_readout;    // "eos" (scalar head at the last token) or "mean" (over the response)
    int pm_halves;          // 1: train PMs on disjoint halves (train PM / test PM)
    int pm_norm_samples;    // distilled-policy samples for reward normalisation
    // [rl]
    NameList rl_policy_scales;  // policy scales (each needs a distilled LM)
    NameList rl_variants;       // PM data: hh (train half 0) and/or helpful (helpful-only)
    int rl_seeds;           // seeds per run
    int rl_iters;           // PPO iterations
    int rl_batch;           // prompts per iteration
    int rl_minibatch;       // responses per gradient step
    int rl_epochs;          // passes over each batch
    double rl_lr;           // AdamW learning rate
    double rl_kl_coef;      // KL penalty per nat (normalised rewards)
    int rl_kl_adaptive;     // 1: adaptive KL controller
    double rl_kl_target;    // target KL of the controller
    double rl_kl_budget;    // nats; the policy handed on is the last checkpoint within it (0: final)
    double rl_trunc_penalty;// added to the reward of responses cut off without EOS
    int rl_stop_turn;       // 1: rollouts of the rl stage end at a turn token (BOS, H, A, HHH)
    NameList rl_eval_schedule;  // "log" (0, 1, 2, 4, ... and the last) or "linear" (every eval_every)
    int rl_eval_per_octave; // log schedule: evaluations per doubling of the iteration count
    int rl_eval_every;      // linear schedule: iterations between held-out evaluations
    int rl_eval_prompts;    // held-out prompts per kind at each evaluation
    int rl_bon_max;         // best-of-n up to this n (power of two)
    int rl_bon_prompts;     // held-out prompts for best-of-n
    int rl_bon_samples;     // samples per prompt for best-of-n (>= bon_max)
    // [segments] (sim/stages/segments.h): user segments beyond the crowd pool
    NameList seg_names;         // pool,refusal_averse,cautious
    DoubleList seg_share;       // each segment's share of the user population
    DoubleList seg_benign_help, seg_benign_harm, seg_benign_refusal;  // weights on benign prompts
    DoubleList seg_red_help, seg_red_harm, seg_red_refusal;           // weights on red-team prompts
    int seg_prompts;            // held-out prompts of each kind sampled per model (0: stage off)
    int seg_matches;            // simulated users of each segment judging each paired sample
    // [online] (the other [online] keys are stage-owned, sim/stages/online.c)
    NameList online_scales; // policy scales of iterated online training
    // stage-owned sections (params_add_keys): one value per slot
    double ext[HH_MAX_EXT];
} Params;

// The offset of slot k of Params.ext, for the ParamDesc of a stage-owned key.
#define PARAMS_EXT(k) (offsetof(Params, ext) + (size_t)(k) * sizeof(double))

// One key's description (the table is params_table()).
typedef enum { PT_INT, PT_U64, PT_DOUBLE, PT_INTLIST, PT_DBLLIST, PT_NAMELIST } ParamType;

typedef struct {
    const char *section;
    const char *key;
    ParamType type;
    size_t offset;
    const char *def;     // default, as it would be written in the file
    double min, max;     // allowed range (of each element for lists)
    int min_n, max_n;    // allowed list lengths (lists only)
    const char *doc;
} ParamDesc;

// The key table and its length.
const ParamDesc *params_table(int *n);

// Add the keys of a stage-owned params section (StageDef.keys) to the table:
// each PT_INT or PT_DOUBLE with offset PARAMS_EXT(slot). Called once per
// table before any params are read (stages_add_keys); a key already present
// is kept. -1 when the keys do not fit or are not of that form.
int params_add_keys(const ParamDesc *keys, int n);

// Fill p with every default.
void params_defaults(Params *p);

// Parse the INI file `path` over the defaults, then check cross-key rules.
int params_load(Params *p, const char *path, HHErr *err);

// params_load, then the overrides sets[0..nsets) ("section.key=value", hhsim
// run --set), in order, each checked like a key of the file (unknown section
// or key, type, range; a key set twice by overrides is refused; an override
// replaces the file's value), then the cross-key rules. A message about an
// override names it: "--set pm.epochs=x: [pm] epochs: ...".
int params_load_set(Params *p, const char *path, const char *const *sets, int nsets, HHErr *err);

// The run name of params file `path` with overrides: its base name without
// .ini, then "+section.key=value" per override in the key table's order, with
// the effective value (so pm.lr=1e-3 and pm.lr=0.001 name one run); characters
// other than letters, digits and . _ , = + - become '_'; over 120 characters,
// a prefix and a hash of the whole. p holds the params loaded with them.
void params_run_name(const Params *p, const char *path, const char *const *sets, int nsets,
                     char *buf, size_t n);

// Parse INI text held in memory; `name` stands for the file in messages.
int params_parse_text(Params *p, const char *text, const char *name, HHErr *err);

// Print the effective params (every key, `key = value  ; doc`) to f. When
// section is non-NULL only that section is printed.
void params_print(const Params *p, FILE *f, const char *section);

// The same text in a malloc'd string (free with free()); NULL on failure.
char *params_to_text(const Params *p, const char *section);

// Strict numbers for command-line values: the whole text a number in [lo, hi]
// (no trailing text, no overflow; doubles finite); 0, else -1.
int params_parse_long(const char *s, long lo, long hi, long *v);
int params_parse_double(const char *s, double lo, double hi, double *v);

// Index of scale `name` in [model] scale_names, or -1.
int params_scale_index(const Params *p, const char *name);

#endif
