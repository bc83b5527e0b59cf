// main.c - the hhsim command line.
//
// hhsim COMMAND [options]; `hhsim --help` lists the commands and
// `hhsim COMMAND --help` explains one. Results go to files, progress and
// diagnostics to stderr. Exit status: 0 success, 1 failure, 2 bad usage/input.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <gsl/gsl_errno.h>

#include <unistd.h>

#include "bench.h"
#include "h5io.h"
#include "jobs.h"
#include "lm.h"
#include "pipeline.h"
#include "pm.h"
#include "rl.h"
#include "rng.h"
#include "rollout.h"
#include "hherr.h"
#include "params.h"
#include "version.h"
#include "worldgen.h"

typedef struct {
    const char *params;  // positional PARAMS file
    const char *out;     // -o DIR
    int quiet;
    int jobs;            // --jobs N (default: online cores)
    long stop_after;     // --stop-after N: stop each job after N steps (resumable)
} Args;

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *help;
} Command;

static int usage_error(const char *cmd, const char *fmt, const char *arg) {
    fprintf(stderr, "hhsim %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'hhsim %s --help'.\n", cmd);
    return HH_EINPUT;
}

static int report(const HHErr *err) {
    fprintf(stderr, "hhsim: %s\n", err->msg);
    return err->code ? err->code : HH_EFAIL;
}

static int has_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

// Parse `PARAMS [-o DIR] [--quiet]`; `need_out` makes -o required.
static int parse_args(const char *cmd, int argc, char **argv, int need_out, Args *a) {
    memset(a, 0, sizeof *a);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    a->jobs = cores > 0 ? (int)cores : 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--jobs") || !strcmp(argv[i], "-j")) {
            char *end;
            long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || v < 1 || v > 256)
                return usage_error(cmd, "%s needs a whole number from 1 to 256", argv[i]);
            a->jobs = (int)v;
            i++;
        } else if (!strcmp(argv[i], "--stop-after")) {
            char *end;
            long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || v < 1)
                return usage_error(cmd, "%s needs a whole number of steps >= 1", argv[i]);
            a->stop_after = v;
            i++;
        } else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) {
            if (i + 1 >= argc) return usage_error(cmd, "%s needs a directory", argv[i]);
            a->out = argv[++i];
        } else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            a->quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage_error(cmd, "unknown option '%s'", argv[i]);
        } else if (!a->params) {
            a->params = argv[i];
        } else {
            return usage_error(cmd, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!a->params) return usage_error(cmd, "missing the PARAMS file%s", "");
    if (need_out && !a->out) return usage_error(cmd, "missing -o DIR%s", "");
    return 0;
}

static int load_params(const char *path, Params *p) {
    HHErr err;
    hh_err_clear(&err);
    if (params_load(p, path, &err)) return report(&err);
    openblas_set_num_threads(p->threads);
    return 0;
}

// ---------------------------------------------------------------------------
// commands

static int cmd_params(int argc, char **argv) {
    Args a;
    int rc = parse_args("params", argc, argv, 0, &a);
    if (rc) return rc;
    if (a.out) return usage_error("params", "takes no -o (it prints to stdout)%s", "");
    Params p;
    if ((rc = load_params(a.params, &p))) return rc;
    params_print(&p, stdout, NULL);
    return 0;
}

static int cmd_world(int argc, char **argv) {
    Args a;
    int rc = parse_args("world", argc, argv, 1, &a);
    if (rc) return rc;
    Params p;
    if ((rc = load_params(a.params, &p))) return rc;
    HHErr err;
    hh_err_clear(&err);
    char path[1100];
    snprintf(path, sizeof path, "%s/world.h5", a.out);
    WorldData d;
    if (hh_mkdirs(a.out, &err) || worldgen_build(&p, &d, &err)) return report(&err);
    rc = worldgen_write(&d, &p, path, &err);
    if (!rc && !a.quiet)
        fprintf(stderr,
                "hhsim world: wrote %s: %d corpus sequences, %d+%d prompts, "
                "%d+%d helpful and %d+%d harmless comparisons\n"
                "  worker-worker agreement: helpful %.3f (implied %.3f, n=%.0f), harmless %.3f "
                "(implied %.3f, n=%.0f)\n"
                "  label-gold agreement:    helpful %.3f (implied %.3f, n=%.0f), harmless %.3f "
                "(implied %.3f, n=%.0f)\n",
                path, d.corpus.n, d.prompts[0].n, d.prompts[1].n, d.comps[0][0].n,
                d.comps[0][1].n, d.comps[1][0].n, d.comps[1][1].n, d.agree[0][0], d.agree[1][0],
                d.agree[2][0], d.agree[0][1], d.agree[1][1], d.agree[2][1], d.agree[3][0],
                d.agree[4][0], d.agree[5][0], d.agree[3][1], d.agree[4][1], d.agree[5][1]);
    worldgen_free(&d);
    return rc ? report(&err) : 0;
}

// The prologue of every stage command: arguments, params, and the run's world.h5.
static int open_run(const char *cmd, int argc, char **argv, Args *a, Params *p, WorldData *d) {
    int rc = parse_args(cmd, argc, argv, 1, a);
    if (rc || (rc = load_params(a->params, p))) return rc;
    HHErr err;
    hh_err_clear(&err);
    char path[1100];
    snprintf(path, sizeof path, "%s/world.h5", a->out);
    if (worldgen_read(path, p, d, &err)) {
        fprintf(stderr, "hhsim %s: %s (run 'hhsim world %s -o %s' first)\n", cmd, err.msg,
                a->params, a->out);
        return err.code;
    }
    return 0;
}

// Pretrain or distill every scale in [pretrain] scales, --jobs at a time.
typedef struct {
    const Params *p;
    const WorldData *d;
    const Args *a;
    int distill;
    int order[HH_MAX_LIST];  // largest scale first, so the slowest job starts first
} ScaleJobs;

static int scale_job(int i, void *ctx) {
    ScaleJobs *sj = ctx;
    HHErr err;
    hh_err_clear(&err);
    const char *scale = sj->p->pt_scales.v[sj->order[i]];
    StageOpts so = {sj->a->quiet, sj->a->stop_after};
    int rc = sj->distill ? lm_distill(sj->p, sj->d, scale, sj->a->out, &so, &err)
                         : lm_pretrain(sj->p, sj->d, scale, sj->a->out, &so, &err);
    return rc ? report(&err) : 0;
}

static int run_scales(const char *cmd, int argc, char **argv, int distill) {
    Args a;
    Params p;
    WorldData d;
    int rc = open_run(cmd, argc, argv, &a, &p, &d);
    if (rc) return rc;
    HHErr err;
    hh_err_clear(&err);
    ScaleJobs sj = {&p, &d, &a, distill, {0}};
    const char *names[HH_MAX_LIST];
    double cost[HH_MAX_LIST];
    for (int i = 0; i < p.pt_scales.n; i++) {
        int k = params_scale_index(&p, p.pt_scales.v[i]);
        double c = (double)p.scale_dmodel.v[k];
        cost[i] = c * c * p.scale_layers.v[k];
        int j = i;  // insertion by decreasing cost (stable)
        while (j > 0 && cost[sj.order[j - 1]] < cost[i]) { sj.order[j] = sj.order[j - 1]; j--; }
        sj.order[j] = i;
    }
    for (int i = 0; i < p.pt_scales.n; i++) names[i] = p.pt_scales.v[sj.order[i]];
    rc = jobs_run(p.pt_scales.n, a.jobs, scale_job, &sj, names, a.quiet ? NULL : cmd, &err);
    worldgen_free(&d);
    if (rc) fprintf(stderr, "hhsim %s: %s\n", cmd, err.msg);
    return rc;
}

// hhsim pm: PMP per (scale, seed), then every PM job.
typedef struct {
    const Params *p;
    const WorldData *d;
    const Args *a;
    const PMJob *jobs;
} PMRun;

static int pmp_job(int i, void *ctx) {
    PMRun *r = ctx;
    HHErr err;
    hh_err_clear(&err);
    StageOpts so = {r->a->quiet, 0};
    int n = r->p->pm_scales.n;
    int rc = pm_pretrain_pmp(r->p, r->d, r->p->pm_scales.v[i % n], i / n, r->a->out, &so, &err);
    return rc ? report(&err) : 0;
}

static int pm_job(int i, void *ctx) {
    PMRun *r = ctx;
    HHErr err;
    hh_err_clear(&err);
    StageOpts so = {r->a->quiet, 0};
    return pm_train(r->p, r->d, &r->jobs[i], r->a->out, &so, &err) ? report(&err) : 0;
}

static int cmd_pm(int argc, char **argv) {
    Args a;
    Params p;
    WorldData d;
    int rc = open_run("pm", argc, argv, &a, &p, &d);
    if (rc) return rc;
    HHErr err;
    hh_err_clear(&err);
    PMJob *jobs = NULL;
    int n = 0;
    rc = pm_jobs(&p, &d, &jobs, &n, &err);
    PMRun r = {&p, &d, &a, jobs};
    int npmp = p.pm_pmp ? p.pm_scales.n * p.pm_seeds : 0;
    const char **names = calloc((size_t)(n > npmp ? n : npmp) + 1, sizeof *names);
    char (*pn)[64] = calloc((size_t)npmp + 1, 64);
    if (!rc && (!names || !pn)) rc = hh_fail(&err, HH_EFAIL, "out of memory");
    for (int i = 0; !rc && i < npmp; i++) {
        snprintf(pn[i], 64, "pmp/%s_s%d", p.pm_scales.v[i % p.pm_scales.n], i / p.pm_scales.n);
        names[i] = pn[i];
    }
    if (!rc && !a.quiet) fprintf(stderr, "hhsim pm: %d PMP models, then %d preference models\n",
                                 npmp, n);
    const char *lab = a.quiet ? NULL : "hhsim pm";
    if (!rc && npmp) rc = jobs_run(npmp, a.jobs, pmp_job, &r, names, lab, &err);
    for (int i = 0; !rc && i < n; i++) names[i] = jobs[i].name;
    if (!rc) rc = jobs_run(n, a.jobs, pm_job, &r, names, lab, &err);
    if (rc) fprintf(stderr, "hhsim pm: %s\n", err.msg);
    free(names);
    free(pn);
    free(jobs);
    worldgen_free(&d);
    return rc;
}

static int cmd_run(int argc, char **argv) {
    Args a;
    int force = 0;
    for (int i = 1; i < argc; i++)  // --force is run's own flag
        if (!strcmp(argv[i], "--force")) {
            force = 1;
            for (int k = i; k + 1 < argc; k++) argv[k] = argv[k + 1];
            argc--;
            i--;
        }
    int rc = parse_args("run", argc, argv, 1, &a);
    if (rc) return rc;
    Params p;
    if ((rc = load_params(a.params, &p))) return rc;
    HHErr err;
    hh_err_clear(&err);
    PipelineOpts o = {a.jobs, force, a.quiet};
    if (pipeline_run(&p, a.out, &o, &err)) return report(&err);
    return 0;
}

// hhsim rl: every PPO run, then best-of-n.
typedef struct {
    const Params *p;
    const WorldData *d;
    const Args *a;
    const RLJob *jobs;
    int bon;
} RLRun;

static int rl_job(int i, void *ctx) {
    RLRun *r = ctx;
    HHErr err;
    hh_err_clear(&err);
    StageOpts so = {r->a->quiet, r->a->stop_after};
    int rc = r->bon ? rl_best_of_n(r->p, r->d, &r->jobs[i], r->a->out, &so, &err)
                    : rl_train(r->p, r->d, &r->jobs[i], r->a->out, &so, &err);
    return rc ? report(&err) : 0;
}

static int cmd_rl(int argc, char **argv) {
    Args a;
    Params p;
    WorldData d;
    int rc = open_run("rl", argc, argv, &a, &p, &d);
    if (rc) return rc;
    HHErr err;
    hh_err_clear(&err);
    RLJob *jobs = NULL;
    int n = 0;
    rc = rl_jobs(&p, &d, &jobs, &n, &err);
    const char **names = rc ? NULL : calloc((size_t)n + 1, sizeof *names);
    RLJob *bon = rc ? NULL : calloc((size_t)n + 1, sizeof *bon);
    int nb = 0;
    for (int i = 0; !rc && i < n; i++) {
        names[i] = jobs[i].name;
        if (jobs[i].seed == 0) bon[nb++] = jobs[i];
    }
    RLRun r = {&p, &d, &a, jobs, 0};
    const char *lab = a.quiet ? NULL : "hhsim rl";
    if (!rc) rc = jobs_run(n, a.jobs, rl_job, &r, names, lab, &err);
    RLRun rb = {&p, &d, &a, bon, 1};
    for (int i = 0; !rc && i < nb; i++) names[i] = bon[i].name;
    if (!rc && a.stop_after == 0) rc = jobs_run(nb, a.jobs, rl_job, &rb, names, lab, &err);
    if (rc) fprintf(stderr, "hhsim rl: %s\n", err.msg);
    free(names);
    free(bon);
    free(jobs);
    worldgen_free(&d);
    return rc;
}

static int cmd_pretrain(int argc, char **argv) { return run_scales("pretrain", argc, argv, 0); }
static int cmd_distill(int argc, char **argv) { return run_scales("distill", argc, argv, 1); }

static void print_tokens(FILE *f, const uint8_t *t, int n) {
    char buf[8];
    for (int i = 0; i < n; i++) fprintf(f, "%s%s", i ? " " : "", world_token_name(t[i], buf));
}

// hhsim sample MODEL.h5 PARAMS -o DIR [--n N] [--hhh] [--temp T]
static int cmd_sample(int argc, char **argv) {
    const char *model = NULL, *params = NULL, *dir = NULL;
    int n = 10, hhh = 0;
    double temp = 0.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--temp") && i + 1 < argc) temp = atof(argv[++i]);
        else if (!strcmp(argv[i], "--hhh")) hhh = 1;
        else if (argv[i][0] == '-') return usage_error("sample", "unknown option '%s'", argv[i]);
        else if (!model) model = argv[i];
        else if (!params) params = argv[i];
        else return usage_error("sample", "unexpected argument '%s'", argv[i]);
    }
    if (!model || !params || !dir) return usage_error("sample", "needs MODEL.h5 PARAMS -o DIR%s", "");
    if (n < 1 || n > 100000 || temp < 0 || temp > 10)
        return usage_error("sample", "--n must be 1..100000 and --temp 0..10%s", "");
    Params p;
    int rc = load_params(params, &p);
    if (rc) return rc;
    HHErr err;
    hh_err_clear(&err);
    char path[1100];
    snprintf(path, sizeof path, "%s/world.h5", dir);
    WorldData d;
    if (worldgen_read(path, &p, &d, &err)) return report(&err);
    hid_t f;
    GPT *m = NULL;
    char kind[64] = "";
    if (h5in_open(model, "lm", &f, &err) == 0) snprintf(kind, sizeof kind, "lm");
    else if (hh_err_clear(&err), h5in_open(model, "distill", &f, &err) == 0)
        snprintf(kind, sizeof kind, "distill");
    else { worldgen_free(&d); return report(&err); }
    H5Fclose(f);
    char scale[HH_NAME_LEN] = "";
    for (int i = 0; i < p.scale_names.n; i++) {
        HHErr e2;
        if (lm_load(model, kind, &p, p.scale_names.v[i], 64, &m, &e2) == 0) {
            snprintf(scale, sizeof scale, "%s", p.scale_names.v[i]);
            break;
        }
    }
    if (!m) { worldgen_free(&d); fprintf(stderr, "hhsim sample: %s matches no scale of %s\n", model, params); return HH_EINPUT; }
    const SeqSet *ps = &d.prompts[SPLIT_TEST];
    if (n > ps->n) n = ps->n;
    uint8_t *resp = malloc((size_t)n * RESP_MAX);
    int32_t *rlen = malloc(sizeof(int32_t) * (size_t)n);
    GPTCache *c = gpt_cache_alloc(&m->cfg, 64, &err);
    gsl_rng *r = rng_stream_alloc(p.seed, "sample", "responses");
    RolloutOpts ro = {(float)temp, 0, RESP_MAX, hhh};
    rc = (!resp || !rlen || !c) ? HH_EFAIL
         : rollout_generate(m, c, ps->tok, ps->len, n, ps->ctx, &ro, r, resp, rlen, &err);
    for (int i = 0; !rc && i < n; i++) {
        PromptInfo info;
        world_prompt_info(&d.world, ps->tok + (size_t)i * ps->ctx, ps->len[i], &info);
        const uint8_t *rr = resp + (size_t)i * RESP_MAX;
        printf("help %.2f harm %.2f | ", world_help(&d.world, &info, rr, rlen[i]),
               world_harm(&info, rr, rlen[i]));
        print_tokens(stdout, ps->tok + (size_t)i * ps->ctx, ps->len[i]);
        printf(" | ");
        print_tokens(stdout, rr, rlen[i]);
        printf("\n");
    }
    gsl_rng_free(r);
    gpt_cache_free(c);
    free(resp); free(rlen);
    gpt_free(m);
    worldgen_free(&d);
    return rc ? report(&err) : 0;
}

static int cmd_bench(int argc, char **argv) {
    int threads = 1, steps = 20, ppo = 0;
    const char *scales = NULL;
    for (int i = 1; i < argc; i++) {
        char *end;
        long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
        int okv = i + 1 < argc && !*end && v >= 1 && v <= 100000;
        if (!strcmp(argv[i], "--threads") && okv) threads = (int)v, i++;
        else if (!strcmp(argv[i], "--steps") && okv) steps = (int)v, i++;
        else if (!strcmp(argv[i], "--scales") && i + 1 < argc) scales = argv[++i];
        else if (!strcmp(argv[i], "--ppo")) ppo = 1;
        else return usage_error("bench", "unknown or incomplete option '%s'", argv[i]);
    }
    HHErr err;
    hh_err_clear(&err);
    return bench_run(stdout, threads, steps, scales, ppo, &err) ? report(&err) : 0;
}

static int cmd_inspect(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-')
        return usage_error("inspect", "expects exactly one FILE.h5%s", "");
    HHErr err;
    hh_err_clear(&err);
    return h5_inspect(argv[1], stdout, &err) ? report(&err) : 0;
}

static const Command COMMANDS[] = {
    {"run", cmd_run, "run every implemented stage, skipping up-to-date jobs",
     "usage: hhsim run PARAMS -o DIR [--jobs N] [--force] [--quiet]\n"
     "Runs world, pretrain, distill, pmp and pm on PARAMS into DIR as a graph of jobs,\n"
     "up to N at once (default: the number of cores), each one process with one BLAS\n"
     "thread; results do not depend on N. A job whose output exists, is newer than its\n"
     "inputs, was written by the same simulator sources and used the same params sections is\n"
     "skipped, so a rerun after a crash resumes and a change to one section reruns only\n"
     "what depends on it. --force reruns everything. Progress goes to stderr.\n"
     "example: hhsim run params/default.ini -o runs/default\n"},
    {"params", cmd_params, "print the effective params of a file",
     "usage: hhsim params PARAMS\n"
     "Reads PARAMS (an INI file), checks every key, and prints every key with its\n"
     "effective value and a one-line doc as 'key = value  ; doc'. The output is itself\n"
     "a valid params file with the same meaning.\n"
     "example: hhsim params params/smoke.ini > /tmp/effective.ini\n"},
    {"world", cmd_world, "generate the world, corpus, prompts and crowd comparisons",
     "usage: hhsim world PARAMS -o DIR [--quiet]\n"
     "Reads PARAMS ([run], [world], [corpus], [crowd], [model] ctx) and writes\n"
     "DIR/world.h5: the pretraining corpus, train/test prompt sets, helpful and\n"
     "harmless comparison sets labelled by simulated crowdworkers with the gold\n"
     "judgements of every response, the workers, and measured agreement rates.\n"
     "The summary goes to stderr. Same PARAMS and seed -> identical datasets.\n"
     "example: hhsim world params/smoke.ini -o runs/smoke\n"},
    {"pretrain", cmd_pretrain, "pretrain a language model per scale on the world's corpus",
     "usage: hhsim pretrain PARAMS -o DIR [--jobs N] [--stop-after STEPS] [--quiet]\n"
     "Reads DIR/world.h5 and PARAMS ([model], [pretrain]); for each scale in\n"
     "[pretrain] scales trains the transformer on the corpus (AdamW, warmup + cosine,\n"
     "gradient clipping) and writes DIR/lm/SCALE.h5: weights, train and held-out loss\n"
     "curves, tokens seen, and the gold help/harm of greedy answers to test prompts.\n"
     "Up to N scales train at once, one process and one BLAS thread each (default N:\n"
     "the number of cores); results do not depend on N. Progress goes to stderr.\n"
     "Every [pretrain] eval_every steps a checkpoint DIR/lm/SCALE.ckpt.h5 is written;\n"
     "a rerun with the same params resumes from it, to the same bits. --stop-after\n"
     "stops each scale after STEPS more steps, keeping its checkpoint.\n"
     "example: hhsim pretrain params/smoke.ini -o runs/smoke\n"},
    {"distill", cmd_distill, "context-distill the HHH persona into each pretrained LM",
     "usage: hhsim distill PARAMS -o DIR [--jobs N] [--quiet]\n"
     "Reads DIR/world.h5 and DIR/lm/SCALE.h5; trains a copy of each LM, without the HHH\n"
     "prefix, to match the prefixed LM's next-token distribution (KL) on the corpus\n"
     "dialogues ([distill]) and writes DIR/distill/SCALE.h5: weights, the KL curve, and\n"
     "the gold help, harm and refusal rate of samples from the base LM, the base LM\n"
     "with the prefix, and the distilled LM, per prompt kind.\n"
     "example: hhsim distill params/smoke.ini -o runs/smoke\n"},
    {"pm", cmd_pm, "train and evaluate the preference models of every [pm] sweep",
     "usage: hhsim pm PARAMS -o DIR [--jobs N] [--quiet]\n"
     "Reads DIR/world.h5, DIR/lm/SCALE.h5 and (for reward normalisation, when present)\n"
     "DIR/distill/SCALE.h5. Trains preference-model pretraining (PMP) models on cheap,\n"
     "noisy comparisons (DIR/pmp/SCALE_sS.h5), then every PM of the [pm] sweeps: scale x\n"
     "training-set size, scale x helpful/harmless mix, and train/test halves, each x\n"
     "seed (DIR/pm/JOB.h5). Each PM file holds held-out scores, probabilities, labels,\n"
     "gold preferences and turns of every test comparison, accuracies, and the PM's\n"
     "score distribution on samples of the initial policy. N jobs run at once.\n"
     "example: hhsim pm params/smoke.ini -o runs/smoke\n"},
    {"rl", cmd_rl, "PPO against preference models, and the best-of-n baseline",
     "usage: hhsim rl PARAMS -o DIR [--jobs N] [--stop-after ITERS] [--quiet]\n"
     "Reads DIR/world.h5, DIR/distill/SCALE.h5 and DIR/pm/*.h5. Runs PPO ([rl]) for every\n"
     "policy scale against the largest PM, against its own-scale PM, and the largest\n"
     "policy against every PM scale, for each variant (hh, helpful) and seed, with exact\n"
     "KL(pi || pi_0) and held-out train-PM, test-PM, largest-PM and gold scores logged\n"
     "every eval_every iterations (DIR/rl/RUN.h5), then best-of-n for n = 1, 2, 4, ...\n"
     "bon_max from the initial policy (DIR/bon/*.h5). Runs checkpoint and resume.\n"
     "example: hhsim rl params/smoke.ini -o runs/smoke\n"},
    {"sample", cmd_sample, "print a model's responses to test prompts with their gold scores",
     "usage: hhsim sample MODEL.h5 PARAMS -o DIR [--n N] [--temp T] [--hhh]\n"
     "Loads MODEL.h5 (an lm/ or distill/ file of the run in DIR made with PARAMS) and\n"
     "prints, for the first N test prompts of DIR/world.h5, the gold help and harm,\n"
     "the prompt and the response (greedy unless --temp > 0; --hhh adds the HHH prefix).\n"
     "example: hhsim sample runs/smoke/lm/s.h5 params/smoke.ini -o runs/smoke --n 5\n"},
    {"bench", cmd_bench, "training and generation speed of the transformer per scale",
     "usage: hhsim bench [--threads N] [--steps S] [--scales LIST] [--ppo]\n"
     "Measures, for scales xs, s, m, l, xl (ctx 64, batch 32, vocab 64), training-step\n"
     "tokens/s (forward + backward + AdamW; median of >= S timed steps, default 20,\n"
     "and >= 1 s of them),\n"
     "the model FLOP rate 6 x params x tokens/s as a share of the machine's single-core\n"
     "SGEMM rate, and KV-cache generation tokens/s and FLOP rate (2 x params x\n"
     "tokens/s); N BLAS threads (default 1).\n"
     "--scales xs,s measures only those scales (default: all five).\n"
     "--ppo times one PPO iteration per scale instead: rollout, policy/reference\n"
     "scoring with exact KL, PM scoring, update.\n"
     "Prints a table to stdout. 'make bench' sets it beside PyTorch.\n"
     "example: hhsim bench --steps 10\n"},
    {"inspect", cmd_inspect, "print provenance and datasets of an hhsim HDF5 file",
     "usage: hhsim inspect FILE.h5\n"
     "Prints the provenance (version, git commit, seed, library versions, ...) and one\n"
     "line per dataset: name, type, shape, units and description.\n"
     "example: hhsim inspect runs/smoke/world.h5\n"},
};
#define N_COMMANDS ((int)(sizeof COMMANDS / sizeof COMMANDS[0]))

static void print_help(FILE *f) {
    fprintf(f, "hhsim %s - reproduce RLHF for helpful and harmless assistants "
               "(Bai et al. 2022) at laptop scale\n\n"
               "usage: hhsim COMMAND [options]\n\ncommands:\n", hh_version());
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\n'hhsim COMMAND --help' explains one. Results go to files; progress and\n"
               "diagnostics to stderr. Exit status: 0 ok, 1 failure, 2 bad usage or input.\n"
               "example: hhsim world params/smoke.ini -o runs/smoke\n");
}

int main(int argc, char **argv) {
    gsl_set_error_handler_off();
    if (argc < 2) {
        print_help(stderr);
        return HH_EINPUT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_help(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("hhsim %s (git %s%s)\n", hh_version(), hh_git_commit(),
               hh_git_dirty() ? ", dirty" : "");
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], COMMANDS[i].name) != 0) continue;
        if (has_help(argc - 1, argv + 1)) {
            fputs(COMMANDS[i].help, stdout);
            return 0;
        }
        return COMMANDS[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "hhsim: unknown command '%s'\n\n", argv[1]);
    print_help(stderr);
    return HH_EINPUT;
}
