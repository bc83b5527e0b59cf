// pipeline.c - see pipeline.h
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "h5io.h"
#include "jobs.h"
#include "lm.h"
#include "pm.h"
#include "progress.h"
#include "rl.h"
#include "version.h"
#include "worldgen.h"

// Params sections each stage depends on.
static const char *const WORLD_SECTIONS[] = {"run", "world", "corpus", "crowd", "model", NULL};
static const char *const LM_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                          "pretrain", NULL};
static const char *const DISTILL_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                               "pretrain", "distill", NULL};
static const char *const PMP_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                           "pretrain", "pm", NULL};
static const char *const PM_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                          "pretrain", "distill", "pm", NULL};
static const char *const RL_SECTIONS[] = {"run", "world", "corpus", "crowd", "model",
                                          "pretrain", "distill", "pm", "rl", NULL};

static double mtime(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return (double)st.st_mtim.tv_sec + 1e-9 * (double)st.st_mtim.tv_nsec;
}

// 1 when `out` holds the same sections of p, was written by this commit and
// is not older than any input.
static int up_to_date(const Params *p, const char *out, const char *const *sections,
                      const char *const *inputs) {
    double t = mtime(out);
    if (t < 0) return 0;
    for (int i = 0; inputs[i]; i++)
        if (mtime(inputs[i]) < 0 || mtime(inputs[i]) > t) return 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(out) <= 0) return 0;
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    char *text = h5_read_attr_str(f, "/", "params");
    char *hash = h5_read_attr_str(f, "/", "sim_source_hash");
    H5Fclose(f);
    int ok = text && hash && strcmp(hash, hh_sim_hash()) == 0;
    free(hash);
    Params old;
    HHErr e;
    if (ok) ok = params_parse_text(&old, text, out, &e) == 0;
    for (int i = 0; ok && sections[i]; i++) {
        char *a = params_to_text(p, sections[i]), *b = params_to_text(&old, sections[i]);
        ok = a && b && strcmp(a, b) == 0;
        free(a);
        free(b);
    }
    free(text);
    return ok;
}

// ---------------------------------------------------------------------------
// jobs of one stage

typedef enum { ST_PRETRAIN, ST_DISTILL, ST_PMP, ST_PM, ST_RL, ST_BON, N_STAGES } Stage;

typedef struct {
    Stage stage;
    char scale[HH_NAME_LEN];
    int seed;
    const PMJob *pm;
    char out[1024];
    char name[128];
    char in[4][1024];  // input files ("" = none) besides world.h5
    const RLJob *rl;
} Job;

typedef struct {
    const Params *p;
    const WorldData *d;
    const char *dir;
    const PipelineOpts *o;
    Job *jobs;
} Ctx;

static int run_job(int i, void *ctx) {
    Ctx *c = ctx;
    const Job *j = &c->jobs[i];
    HHErr err;
    hh_err_clear(&err);
    StageOpts so = {c->o->quiet, 0};
    int rc = 0;
    switch (j->stage) {
    case ST_PRETRAIN: rc = lm_pretrain(c->p, c->d, j->scale, c->dir, &so, &err); break;
    case ST_DISTILL: rc = lm_distill(c->p, c->d, j->scale, c->dir, &so, &err); break;
    case ST_PMP: rc = pm_pretrain_pmp(c->p, c->d, j->scale, j->seed, c->dir, &so, &err); break;
    case ST_PM: rc = pm_train(c->p, c->d, j->pm, c->dir, &so, &err); break;
    case ST_RL: rc = rl_train(c->p, c->d, j->rl, c->dir, &so, &err); break;
    case ST_BON: rc = rl_best_of_n(c->p, c->d, j->rl, c->dir, &so, &err); break;
    default: break;
    }
    if (rc) fprintf(stderr, "hhsim run: %s: %s\n", j->name, err.msg);
    return rc;
}

static double scale_cost(const Params *p, const char *scale) {
    int k = params_scale_index(p, scale);
    return k < 0 ? 0 : (double)p->scale_dmodel.v[k] * p->scale_dmodel.v[k] * p->scale_layers.v[k];
}

// Run the stale jobs of one stage, the most expensive first.
static int run_stage(Ctx *c, const char *label, Job *all, int n, double t0, HHErr *err) {
    Job *todo = malloc(sizeof(Job) * ((size_t)n + 1));
    const char **names = malloc(sizeof(char *) * ((size_t)n + 1));
    if (!todo || !names) { free(todo); free(names); return hh_fail(err, HH_EFAIL, "out of memory"); }
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *in[6] = {NULL};
        char a[1100];
        snprintf(a, sizeof a, "%s/world.h5", c->dir);
        in[0] = a;
        int m = 1;
        for (int q = 0; q < 4; q++)
            if (all[i].in[q][0]) in[m++] = all[i].in[q];
        const char *const *sec = all[i].stage == ST_PRETRAIN ? LM_SECTIONS
                                 : all[i].stage == ST_DISTILL ? DISTILL_SECTIONS
                                 : all[i].stage == ST_PMP ? PMP_SECTIONS
                                 : all[i].stage == ST_PM ? PM_SECTIONS : RL_SECTIONS;
        if (c->o->force || !up_to_date(c->p, all[i].out, sec, in)) todo[k++] = all[i];
    }
    for (int i = 1; i < k; i++)  // stable insertion sort by decreasing cost
        for (int j = i; j > 0 && scale_cost(c->p, todo[j - 1].scale) <
                                     scale_cost(c->p, todo[j].scale); j--) {
            Job t = todo[j]; todo[j] = todo[j - 1]; todo[j - 1] = t;
        }
    for (int i = 0; i < k; i++) names[i] = todo[i].name;
    if (!c->o->quiet)
        fprintf(stderr, "hhsim run: %s: %d job%s to run, %d up to date (%.0f s elapsed)\n", label,
                k, k == 1 ? "" : "s", n - k, progress_now() - t0);
    c->jobs = todo;
    char lab[64];
    snprintf(lab, sizeof lab, "hhsim run: %s", label);
    int rc = jobs_run(k, c->o->jobs, run_job, c, names, c->o->quiet ? NULL : lab, err);
    free(todo);
    free(names);
    return rc;
}

// ---------------------------------------------------------------------------
// the graph

static void set_job(Job *j, Stage st, const char *scale, int seed, const char *dir,
                    const char *sub, const char *stem) {
    memset(j, 0, sizeof *j);
    j->stage = st;
    snprintf(j->scale, sizeof j->scale, "%s", scale);
    j->seed = seed;
    snprintf(j->out, sizeof j->out, "%s/%s/%s.h5", dir, sub, stem);
    snprintf(j->name, sizeof j->name, "%s/%s", sub, stem);
}

static int world_stage(const Params *p, const char *dir, const PipelineOpts *o, HHErr *err) {
    char path[1100];
    snprintf(path, sizeof path, "%s/world.h5", dir);
    const char *none[1] = {NULL};
    if (!o->force && up_to_date(p, path, WORLD_SECTIONS, none)) {
        if (!o->quiet) fprintf(stderr, "hhsim run: world: up to date\n");
        return 0;
    }
    WorldData d;
    if (hh_mkdirs(dir, err) || worldgen_build(p, &d, err)) return err->code;
    int rc = worldgen_write(&d, p, path, err);
    worldgen_free(&d);
    if (!rc && !o->quiet) fprintf(stderr, "hhsim run: world: wrote %s\n", path);
    return rc;
}

static int trained(const Params *p, const char *scale) {
    for (int k = 0; k < p->pt_scales.n; k++)
        if (!strcmp(scale, p->pt_scales.v[k])) return 1;
    return 0;
}

static int check_scales(const Params *p, HHErr *err) {
    for (int i = 0; i < p->pm_scales.n; i++)
        if (!trained(p, p->pm_scales.v[i]))
            return hh_fail(err, HH_EINPUT, "[pm] scales has '%s', which [pretrain] scales does not "
                           "train; add it there or remove it from [pm] scales", p->pm_scales.v[i]);
    for (int i = 0; i < p->rl_policy_scales.n; i++)
        if (!trained(p, p->rl_policy_scales.v[i]))
            return hh_fail(err, HH_EINPUT, "[rl] policy_scales has '%s', which [pretrain] scales "
                           "does not train; add it there or remove it", p->rl_policy_scales.v[i]);
    return 0;
}

int pipeline_run(const Params *p, const char *dir, const PipelineOpts *o, HHErr *err) {
    double t0 = progress_now();
    if (check_scales(p, err) || world_stage(p, dir, o, err)) return err->code ? err->code : 1;
    char path[1100];
    snprintf(path, sizeof path, "%s/world.h5", dir);
    WorldData d;
    if (worldgen_read(path, p, &d, err)) return err->code;
    PMJob *pmj = NULL;
    RLJob *rlj = NULL;
    int npm = 0, nrl = 0, ns = p->pt_scales.n, nmax;
    int rc = pm_jobs(p, &d, &pmj, &npm, err);
    if (!rc) rc = rl_jobs(p, &d, &rlj, &nrl, err);
    nmax = npm + 2 * nrl + ns * (p->pm_seeds + 2) + 1;
    Job *jobs = rc ? NULL : calloc((size_t)nmax, sizeof(Job));
    if (!rc && !jobs) rc = hh_fail(err, HH_EFAIL, "out of memory");
    Ctx c = {p, &d, dir, o, NULL};
    for (int st = 0; !rc && st < N_STAGES; st++) {
        int n = 0;
        if (st == ST_PRETRAIN || st == ST_DISTILL)
            for (int k = 0; k < ns; k++) {
                const char *sc = p->pt_scales.v[k];
                set_job(&jobs[n], (Stage)st, sc, 0, dir, st == ST_PRETRAIN ? "lm" : "distill", sc);
                if (st == ST_DISTILL) snprintf(jobs[n].in[0], 1024, "%s/lm/%s.h5", dir, sc);
                n++;
            }
        if (st == ST_PMP && p->pm_pmp)
            for (int s = 0; s < p->pm_seeds; s++)
                for (int k = 0; k < p->pm_scales.n; k++) {
                    char stem[64];
                    snprintf(stem, sizeof stem, "%s_s%d", p->pm_scales.v[k], s);
                    set_job(&jobs[n], ST_PMP, p->pm_scales.v[k], s, dir, "pmp", stem);
                    snprintf(jobs[n++].in[0], 1024, "%s/lm/%s.h5", dir, p->pm_scales.v[k]);
                }
        if (st == ST_PM)
            for (int i = 0; i < npm; i++) {
                const PMJob *j = &pmj[i];
                set_job(&jobs[n], ST_PM, j->scale, j->seed, dir, "pm", j->name);
                jobs[n].pm = j;
                snprintf(jobs[n].in[0], 1024, "%s/lm/%s.h5", dir, j->scale);
                snprintf(jobs[n].in[1], 1024, "%s/distill/%s.h5", dir, j->scale);
                if (j->pmp) snprintf(jobs[n].in[2], 1024, "%s/pmp/%s_s%d.h5", dir, j->scale, j->seed);
                n++;
            }
        for (int i = 0; st >= ST_RL && i < nrl; i++) {
            const RLJob *j = &rlj[i];
            char stem[160];
            if (st == ST_BON && j->seed != 0) continue;
            if (st == ST_RL) snprintf(stem, sizeof stem, "%s", j->name);
            else snprintf(stem, sizeof stem, "%s_%s_%s", j->policy, j->pm_scale, j->variant);
            set_job(&jobs[n], (Stage)st, j->policy, j->seed, dir, st == ST_RL ? "rl" : "bon", stem);
            jobs[n].rl = j;
            snprintf(jobs[n].in[0], 1024, "%s/distill/%s.h5", dir, j->policy);
            snprintf(jobs[n].in[1], 1024, "%s/pm/%s.h5", dir, j->train_pm);
            snprintf(jobs[n].in[2], 1024, "%s/pm/%s.h5", dir, j->test_pm);
            snprintf(jobs[n].in[3], 1024, "%s/pm/%s.h5", dir, j->big_pm);
            n++;
        }
        static const char *LABEL[N_STAGES] = {"pretrain", "distill", "pmp", "pm", "rl", "bon"};
        if (n) rc = run_stage(&c, LABEL[st], jobs, n, t0, err);
    }
    if (!rc && !o->quiet)
        fprintf(stderr, "hhsim run: all stages done in %.0f s -> %s\n", progress_now() - t0, dir);
    free(jobs);
    free(pmj);
    free(rlj);
    worldgen_free(&d);
    return rc;
}
