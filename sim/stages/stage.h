// stage.h - the stage table: every stage of a run declared once.
//
// A stage is one StageDef, owned by the module that implements it (the world
// in worldgen.c, pretrain and distill in lm.c, pmp and pm in pm.c, rl and bon
// in rl.c). The table (stages.c) lists them in dependency order; everything
// else (`hhsim run`, `hhsim STAGE`, `run --help`, --only/--until, the skip
// rule, progress, and hhfit's input discovery) reads the table and names no
// stage itself.
//
// A stage lists its jobs: each job has a key (the fields that identify it:
// scale, seed, variant, training size, mix, half, round), one output file
// whose path is a function of (stage, key) alone (job_path), and a list of
// input files, each the output of a job of some stage (possibly an earlier
// job of the same stage, e.g. online round k on round k-1). A job is run by
// the stage's run function in a process of its own; it reads only its
// inputs and writes only its output (plus its own checkpoint).
//
// The key is also written into every output as attributes of /job
// (jobkey_write), so readers take the fields from the file, never from its
// name.
//
// Adding a stage: write its module (a StageDef with list and run), give it
// a params section (params.c) and, for the figures, an analysis module
// registered in hhfit.c and rows in papers/*/claims.tsv; add the StageDef
// to stages.c. README.md, "Adding a stage", has the checklist.
#ifndef HHSIM_STAGE_H
#define HHSIM_STAGE_H

#include <stddef.h>

#include <hdf5.h>

#include "hherr.h"
#include "params.h"

struct WorldData;  // worldgen.h

// The fields of a job. Unset: "" for strings, -1 for ints, NaN for help_frac.
typedef struct {
    char scale[HH_NAME_LEN];     // model scale (the policy's scale for rl and bon)
    char pm_scale[HH_NAME_LEN];  // scale of the PMs a policy is trained against
    char variant[16];            // RL variant (hh, helpful)
    int n_train;                 // PM training comparisons
    double help_frac;            // helpful share of them (as asked)
    int pmp;                     // 1: PM started from its PMP model
    int seed;                    // seed index
    int half;                    // train/test half of the PM data
    int round;                   // online round
} JobKey;

// All fields unset.
void jobkey_init(JobKey *k);

// The file stem of a key: the set fields joined by '_' in the order above,
// with tags n, h (percent, 3 digits), pmp, s, half, r before the numbers:
// e.g. "s_n400_h050_pmp1_s0_half1", "m_l_hh_s0". Fails when it does not fit.
int jobkey_stem(const JobKey *k, char *buf, size_t n, HHErr *err);

// Write the set fields as attributes of group /job of f (created if needed);
// read them back (unset fields stay unset). `path` names f in messages.
int jobkey_write(hid_t f, const JobKey *k, HHErr *err);
int jobkey_read(hid_t f, const char *path, JobKey *k, HHErr *err);

typedef struct StageDef StageDef;

// One input of a job: a file and the stage and job that make it.
typedef struct {
    const StageDef *stage;
    JobKey key;
    char path[1024];
} JobInput;

typedef struct {
    const StageDef *stage;
    JobKey key;
    char name[160];     // SUBDIR/STEM, for messages ("pm/s_n400_h050_pmp1_s0")
    char out[1024];     // output file
    JobInput *in;       // (n_in) inputs; the world comes first for every stage but the world
    int n_in;
    double cost;        // relative cost, for ordering (largest first)
    const void *spec;   // the stage's own description of the job (owned by the list)
} Job;

typedef struct {
    Job *v;
    int n, cap;
    const char *dir;          // run directory
    const StageDef *world;    // the stage every other stage's jobs read first
    void **owned;             // specs to free with the list
    int n_owned;
} JobList;

// The output path of (stage, key) in run directory dir: DIR/SUBDIR/STEM.h5,
// or DIR/SUBDIR.h5 for a stage with a single unkeyed job (the world).
int job_path(const StageDef *st, const JobKey *k, const char *dir, char *buf, size_t n,
             HHErr *err);

void joblist_init(JobList *l, const char *dir, const StageDef *world);
void joblist_free(JobList *l);
// Append a job of st with key k (its output path and name follow from them)
// and, unless st is the world stage, the world as its first input. spec is
// kept by pointer; when own is set the list frees it. Returns the job or NULL.
Job *joblist_add(JobList *l, const StageDef *st, const JobKey *k, double cost, const void *spec,
                 int own, HHErr *err);
// Add the output of (st, k) as an input of j.
int job_add_input(JobList *l, Job *j, const StageDef *st, const JobKey *k, HHErr *err);
// The path of j's first input made by stage `name`, or NULL.
const char *job_input(const Job *j, const char *name);
// The path of j's input made by the job (stage `name`, key k), or NULL.
const char *job_input_key(const Job *j, const char *name, const JobKey *k);
// j's checkpoint: its output with .h5 replaced by .ckpt.h5.
void job_ckpt_path(const Job *j, char *buf, size_t n);
// Create the folder of j's output.
int job_mkdir(const Job *j, HHErr *err);

// Options of a job run.
typedef struct {
    int quiet;        // no progress on stderr
    long stop_after;  // > 0: stop each job after this many steps, keeping its checkpoint
} StageOpts;

struct StageDef {
    const char *name;        // command and --only name ("pretrain")
    const char *subdir;      // output folder in the run directory ("lm")
    const char *kind;        // hhsim_kind of its outputs ("lm")
    const char *summary;     // one line for --help
    const char *reads;       // what it reads, for --help ("world.h5, lm/SCALE.h5")
    const char *help;        // what it does and writes, a paragraph for --help
    const char *const *sections;  // params sections its outputs depend on (NULL-terminated)
    // Why the stage is switched off by these params (NULL: it is on).
    const char *(*off)(const Params *p);
    // Append the stage's jobs to l. d is the run's world (NULL for the world stage).
    int (*list)(const Params *p, const struct WorldData *d, JobList *l, HHErr *err);
    // Run one job (d is NULL for the world stage).
    int (*run)(const Params *p, const struct WorldData *d, const Job *j, const StageOpts *so,
               HHErr *err);
    // Model files: the output holds /model in the LM layout (lm_load reads it).
    int has_model;
    // Keys of a params section the stage owns (offsets PARAMS_EXT(slot));
    // stages whose keys live in params.c's table leave these empty.
    const ParamDesc *keys;
    int n_keys;
};

// The table (stages.c), NULL-terminated, in dependency order; the first
// entry is the world, which every other stage reads.
const StageDef *const *stages_default(void);
// "lm,distill,...": the kinds of the table's model files (has_model).
void stages_model_kinds(const StageDef *const *t, char *buf, size_t n);
// Add every stage's own params keys (StageDef.keys) to the params table;
// hhsim and hhfit call it for the default table before reading any params.
int stages_add_keys(const StageDef *const *t, HHErr *err);
// The stage called name in a table, or NULL.
const StageDef *stage_find(const StageDef *const *t, const char *name);
// Where stage `name` of the default table writes in run directory run: the
// folder DIR/SUBDIR, or for the unkeyed world stage its file DIR/world.h5.
// Readers (hhfit) find their inputs with it. Fails for an unknown stage.
int stage_run_path(const char *run, const char *name, char *buf, size_t n, HHErr *err);
// "world, pretrain, ..." in table order.
void stages_names(const StageDef *const *t, char *buf, size_t n);

#endif
