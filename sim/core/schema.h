// schema.h - one schema per file kind: the datasets of each kind of file that
// hhsim writes, declared once here and used both by the stage that writes
// them (sim/) and by the analysis that reads them (analysis/), with the
// kind's schema version. h5out_create writes the version as the root
// attribute schema_version; h5in_open refuses a file whose version this
// build does not know, naming the file, so a reader never guesses a layout.
// Change a kind's layout here, and bump its version.
#ifndef HHSIM_SCHEMA_H
#define HHSIM_SCHEMA_H

#include <stddef.h>

// One dataset (or table column): its name, units and meaning.
typedef struct {
    const char *name, *units, *desc;
} SchemaCol;

// The schema version of files of `kind` ("lm", "rl", ...); 0 for a kind
// with no declared schema.
int schema_version(const char *kind);
// "world, lm, ..." : every kind with a schema (the kinds hhsim writes).
void schema_kinds(char *buf, size_t n);

// rl/*.h5: /curve/<name>, one value per evaluation (rl.c writes all; the
// analysis reads RLC_ITER .. RLC_HARM_RED).
enum {
    RLC_ITER, RLC_KL, RLC_SQRT_KL, RLC_TRAIN_PM, RLC_TEST_PM, RLC_BIG_PM, RLC_TRAIN_PM_BENIGN,
    RLC_TRAIN_PM_REDTEAM, RLC_HELP_BENIGN, RLC_HARM_BENIGN, RLC_HELP_BORDER, RLC_REFUSE_BORDER,
    RLC_HELP_RED, RLC_HARM_RED, RLC_BATCH_REWARD, RLC_BATCH_KL, RLC_ENTROPY, RLC_CLIPFRAC,
    RLC_APPROX_KL, RLC_VF_LOSS, RLC_RESP_LEN, RLC_KL_COEF, RLC_N
};
extern const SchemaCol SCHEMA_RL_CURVE[RLC_N];

// bon/*.h5: /bon/<name>, one value per n.
enum {
    BONC_N, BONC_KL_ANALYTIC, BONC_KL_EXACT, BONC_TRAIN_PM, BONC_TEST_PM, BONC_BIG_PM,
    BONC_HELP_BENIGN, BONC_HARM_RED, BONC_HELP_RED, BONC_NCOL
};
extern const SchemaCol SCHEMA_BON[BONC_NCOL];

// lm/*.h5 and distill/*.h5: /curve/<name>, one value per evaluation interval
// (the loss is train_loss for lm, kl for distill; heldout_loss lm only).
enum { LMC_STEP, LMC_TRAIN_LOSS, LMC_HELDOUT_LOSS, LMC_TOKENS, LMC_KL, LMC_N };
extern const SchemaCol SCHEMA_LM_CURVE[LMC_N];

// lm/*.h5 and distill/*.h5: /eval/<name>, (N_KINDS) per evaluated model
// (rows: 1 for lm; base, prefixed, distilled for distill); then the lm-only
// per-task /eval/task_n and /eval/task_help (N_TASKS).
enum { EVC_N, EVC_HELP, EVC_HARM, EVC_REFUSE, EVC_TASK_N, EVC_TASK_HELP, EVC_NCOL };
extern const SchemaCol SCHEMA_GOLD_EVAL[EVC_NCOL];

#endif
