// main.c - the hhsim command line.
//
// hhsim COMMAND [options]; `hhsim --help` lists the commands and
// `hhsim COMMAND --help` (or `hhsim help COMMAND`) explains one. Every stage
// of the stage table (stage.h) is a command of its own. Results go to files,
// progress and diagnostics to stderr. Exit status: 0 success, 1 failure,
// 2 bad usage or input; a usage error is one line on stderr.
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>
#include <gsl/gsl_errno.h>

#include "bench.h"
#include "eval.h"
#include "h5io.h"
#include "hherr.h"
#include "lm.h"
#include "params.h"
#include "pipeline.h"
#include "progress.h"
#include "rng.h"
#include "rollout.h"
#include "version.h"
#include "worldgen.h"
#ifdef HH_MPI
#include "mpi_cluster.h"
static Cluster *CLUSTER;  // this process's MPI cluster (bin/hhsim-mpi)
#else
static Cluster *const CLUSTER = NULL;
#endif

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!strcmp(cmd, "help")) fprintf(stderr, "hhsim help: %s (see 'hhsim --help')\n", msg);
    else fprintf(stderr, "hhsim %s: %s (see 'hhsim %s --help')\n", cmd, msg, cmd);
    return HH_EINPUT;
}

static int report(const HHErr *err) {
    fprintf(stderr, "hhsim: %s\n", err->msg[0] ? err->msg : "failed without a message");
    return err->code ? err->code : HH_EFAIL;
}

static void say_stderr(void *ctx, const char *line) {
    (void)ctx;
    progress_message(line);  // whole, and above the run's progress board
}

// ---------------------------------------------------------------------------
// run and the stage commands

enum { MAX_SETS = 64 };

typedef struct {
    const char *params, *out, *only, *until, *project_from, *ranks;
    int quiet, force, jobs, dry_run, print_dir, nsets;
    long stop_after;
    const char *sets[MAX_SETS];  // --set section.key=value, in order
} RunArgs;

// PARAMS [-o DIR] [--set S.K=V]... [--jobs N] [--stop-after N] [--force] [--quiet] [--only L] [--until S]
static int parse_run(const char *cmd, int argc, char **argv, int is_run, RunArgs *a) {
    static const struct option RUN_OPTS[] = {
        {"set", required_argument, 0, 'S'},   {"print-dir", no_argument, 0, 'D'},
        {"out", required_argument, 0, 'o'},   {"jobs", required_argument, 0, 'j'},
        {"stop-after", required_argument, 0, 's'}, {"force", no_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},       {"only", required_argument, 0, 'O'},
        {"until", required_argument, 0, 'U'}, {"dry-run", no_argument, 0, 'n'},
        {"project-from", required_argument, 0, 'P'}, {"ranks", required_argument, 0, 'R'},
        {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    long cores = sysconf(_SC_NPROCESSORS_ONLN), v;
    a->jobs = cores > 0 ? (int)cores : 1;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":o:j:qfn", RUN_OPTS, NULL)) != -1) {
        const char *opt = argv[optind - 1];
        switch (c) {
        case 'o': a->out = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'f': a->force = 1; break;
        case 'n': a->dry_run = 1; break;
        case 'D': a->print_dir = 1; break;
        case 'S':
            if (a->nsets == MAX_SETS) return usage_error(cmd, "more than %d --set options", MAX_SETS);
            a->sets[a->nsets++] = optarg;
            break;
        case 'P': case 'R':
            if (!is_run) return usage_error(cmd, "unknown option '%s'", c == 'P' ? "--project-from" : "--ranks");
            *(c == 'P' ? &a->project_from : &a->ranks) = optarg;
            break;
        case 'j':
            if (params_parse_long(optarg, 1, 256, &v)) return usage_error(cmd, "--jobs '%s': expected a whole number from 1 to 256", optarg);
            a->jobs = (int)v;
            break;
        case 's':
            if (params_parse_long(optarg, 1, 1000000000, &v))
                return usage_error(cmd, "--stop-after '%s': expected a whole number of steps >= 1", optarg);
            a->stop_after = v;
            break;
        case 'O': case 'U':
            if (!is_run) return usage_error(cmd, "unknown option '%s'", c == 'O' ? "--only" : "--until");
            *(c == 'O' ? &a->only : &a->until) = optarg;
            break;
        case ':': return usage_error(cmd, "option '%s' needs a value", opt);
        default:
            if (optopt && !strncmp(opt, "--", 2) && strchr(opt, '='))
                return usage_error(cmd, "option '%.*s' takes no value", (int)(strchr(opt, '=') - opt), opt);
            return usage_error(cmd, "unknown option '%s'", opt);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (a->params) return usage_error(cmd, "unexpected argument '%s'", argv[i]);
        a->params = argv[i];
    }
    if (!a->params) return usage_error(cmd, "missing the PARAMS file");
    if ((a->project_from || a->ranks) && !a->dry_run)
        return usage_error(cmd, "--project-from and --ranks go with --dry-run");
    return 0;
}

static int load_params(const char *path, const char *const *sets, int nsets, Params *p) {
    HHErr err;
    hh_err_clear(&err);
    if (params_load_set(p, path, sets, nsets, &err)) return report(&err);
    openblas_set_num_threads(1);  // one BLAS thread per job: results never depend on threads
    return 0;
}

static int run_pipeline(const char *cmd, int argc, char **argv, const char *only) {
    RunArgs a;
    int rc = parse_run(cmd, argc, argv, only == NULL, &a);
    Params p;
    if (rc || (rc = load_params(a.params, a.sets, a.nsets, &p))) return rc;
    char dir[1100], origin[4096];
    if (a.out) snprintf(dir, sizeof dir, "%s", a.out);
    else {  // runs/NAME, NAME the params file's and the overrides': a change never overwrites
        char name[1024];
        params_run_name(&p, a.params, a.sets, a.nsets, name, sizeof name);
        snprintf(dir, sizeof dir, "runs/%s", name);
    }
    if (a.print_dir) return printf("%s\n", dir) < 0;
    size_t m = (size_t)snprintf(origin, sizeof origin, "%s", a.params);
    for (int i = 0; i < a.nsets && m < sizeof origin; i++)
        m += (size_t)snprintf(origin + m, sizeof origin - m, " --set %s", a.sets[i]);
    for (char *c = origin; *c; c++)  // one comment line in DIR/params.ini
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    HHErr err;
    hh_err_clear(&err);
    PipelineOpts o = {a.jobs, a.force, a.quiet, a.stop_after, only ? only : a.only, a.until,
                      say_stderr, NULL, CLUSTER, a.dry_run, a.project_from, a.ranks, origin};
    if (!pipeline_run(&p, dir, NULL, &o, &err)) return 0;
    if (CLUSTER && CLUSTER->rank > 0) return err.code ? err.code : HH_EFAIL;  // rank 0 reports
    return report(&err);
}

static int cmd_run(int argc, char **argv) { return run_pipeline("run", argc, argv, NULL); }

// ---------------------------------------------------------------------------
// other commands

// hhsim params PARAMS [--set S.K=V]...
static int cmd_params(int argc, char **argv) {
    static const struct option OPTS[] = {{"set", required_argument, 0, 'S'}, {0, 0, 0, 0}};
    const char *file = NULL, *sets[MAX_SETS];
    int nsets = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", OPTS, NULL)) != -1) {
        const char *opt = argv[optind - 1];
        if (c == 'S' && nsets == MAX_SETS) return usage_error("params", "more than %d --set options", MAX_SETS);
        if (c == 'S') sets[nsets++] = optarg;
        else if (c == ':') return usage_error("params", "option '%s' needs a value", opt);
        else return usage_error("params", "unknown option '%s'", opt);
    }
    for (int i = optind; i < argc; i++) {
        if (file) return usage_error("params", "expects exactly one PARAMS file");
        file = argv[i];
    }
    if (!file) return usage_error("params", "expects exactly one PARAMS file");
    Params p;
    int rc = load_params(file, sets, nsets, &p);
    if (!rc) params_print(&p, stdout, NULL);
    return rc;
}

static void print_tokens(FILE *f, const uint8_t *t, int n) {
    char buf[8];
    for (int i = 0; i < n; i++) fprintf(f, "%s%s", i ? " " : "", world_token_name(t[i], buf));
}

// The run directory of a model file DIR/SUB/NAME.h5: DIR.
static void run_dir_of(const char *model, char *buf, size_t n) {
    snprintf(buf, n, "%s", model);
    for (int up = 0; up < 2; up++) {
        char *s = strrchr(buf, '/');
        if (s) *s = '\0';
        else { snprintf(buf, n, "."); return; }
    }
    if (!*buf) snprintf(buf, n, "/");
}

static int sample_print(const Params *p, const WorldData *d, GPT *m, int n, double temp, int hhh,
                        HHErr *err) {
    const SeqSet *ps = &d->prompts[SPLIT_TEST];
    if (n > ps->n) n = ps->n;
    uint8_t *resp = malloc((size_t)n * RESP_MAX);
    int32_t *rlen = malloc(sizeof(int32_t) * (size_t)n);
    GPTCache *c = gpt_cache_alloc(&m->cfg, 64, err);
    gsl_rng *r = rng_stream_alloc(p->seed, "sample", "responses");
    RolloutOpts ro = {(float)temp, 0, RESP_MAX, hhh, 0};
    int rc = (!resp || !rlen || !c) ? hh_fail(err, HH_EFAIL, "out of memory")
             : rollout_generate(m, c, ps->tok, ps->len, n, ps->ctx, &ro, r, resp, rlen, err);
    for (int i = 0; !rc && i < n; i++) {
        const uint8_t *rr = resp + (size_t)i * RESP_MAX;
        GoldScore g;
        eval_gold_one(&d->world, ps->tok + (size_t)i * ps->ctx, ps->len[i], rr, rlen[i], &g);
        printf("help %.2f harm %.2f | ", g.help, g.harm);
        print_tokens(stdout, ps->tok + (size_t)i * ps->ctx, ps->len[i]);
        printf(" | ");
        print_tokens(stdout, rr, rlen[i]);
        printf("\n");
    }
    gsl_rng_free(r);
    gpt_cache_free(c);
    free(resp);
    free(rlen);
    return rc;
}

// hhsim sample MODEL.h5 [--run DIR] [--n N] [--temp T] [--hhh]
static int cmd_sample(int argc, char **argv) {
    static const struct option OPTS[] = {{"run", required_argument, 0, 'r'},
                                         {"n", required_argument, 0, 'n'},
                                         {"temp", required_argument, 0, 't'},
                                         {"hhh", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *dir = NULL;
    long n = 10;
    double temp = 0.0;
    int hhh = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", OPTS, NULL)) != -1) {
        const char *opt = argv[optind - 1];
        if (c == 'r') dir = optarg;
        else if (c == 'h') hhh = 1;
        else if (c == 'n' && params_parse_long(optarg, 1, 100000, &n))
            return usage_error("sample", "--n '%s': expected a whole number from 1 to 100000", optarg);
        else if (c == 't' && params_parse_double(optarg, 0, 10, &temp))
            return usage_error("sample", "--temp '%s': expected a number from 0 to 10", optarg);
        else if (c == ':') return usage_error("sample", "option '%s' needs a value", opt);
        else if (c == '?') return usage_error("sample", "unknown option '%s'", opt);
    }
    for (int i = optind; i < argc; i++) {
        if (model) return usage_error("sample", "unexpected argument '%s'", argv[i]);
        model = argv[i];
    }
    if (!model) return usage_error("sample", "missing the MODEL.h5 file");
    HHErr err;
    hh_err_clear(&err);
    hid_t f;  // the params are the model file's own
    char kinds[256];
    stages_model_kinds(stages_default(), kinds, sizeof kinds);
    if (h5in_open(model, kinds, &f, &err)) return report(&err);
    char *text = h5_read_attr_str(f, "/", "params");
    H5Fclose(f);
    Params p;
    int rc = !text ? hh_fail(&err, HH_EINPUT, "%s: no params attribute on /", model)
                   : params_parse_text(&p, text, model, &err);
    free(text);
    if (rc) return report(&err);
    openblas_set_num_threads(1);
    char rdir[1024], path[1100];
    if (dir) snprintf(rdir, sizeof rdir, "%s", dir);
    else run_dir_of(model, rdir, sizeof rdir);
    snprintf(path, sizeof path, "%s/world.h5", rdir);
    WorldData d;
    GPT *m = NULL;
    if (worldgen_read(path, &p, &d, &err)) return report(&err);
    rc = lm_load(model, NULL, &p, NULL, 64, &m, &err) || sample_print(&p, &d, m, (int)n, temp, hhh, &err);
    gpt_free(m);
    worldgen_free(&d);
    return rc ? report(&err) : 0;
}

static int cmd_bench(int argc, char **argv) {
    long threads = 1, steps = 20;
    int ppo = 0;
    const char *scales = NULL;
    static const struct option OPTS[] = {{"threads", required_argument, 0, 't'},
                                         {"steps", required_argument, 0, 's'},
                                         {"scales", required_argument, 0, 'c'},
                                         {"ppo", no_argument, 0, 'p'}, {0, 0, 0, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":", OPTS, NULL)) != -1) {
        const char *opt = argv[optind - 1];
        if (c == 'c') scales = optarg;
        else if (c == 'p') ppo = 1;
        else if ((c == 't' || c == 's') && params_parse_long(optarg, 1, 100000, c == 't' ? &threads : &steps))
            return usage_error("bench", "%s '%s': expected a whole number from 1 to 100000", opt, optarg);
        else if (c == ':') return usage_error("bench", "option '%s' needs a value", opt);
        else if (c == '?') return usage_error("bench", "unknown option '%s'", opt);
    }
    if (optind < argc) return usage_error("bench", "unexpected argument '%s'", argv[optind]);
    HHErr err;
    hh_err_clear(&err);
    return bench_run(stdout, (int)threads, (int)steps, scales, ppo, &err) ? report(&err) : 0;
}

static int cmd_inspect(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-')
        return usage_error("inspect", "expects exactly one FILE.h5");
    HHErr err;
    hh_err_clear(&err);
    return h5_inspect(argv[1], stdout, &err) ? report(&err) : 0;
}

// ---------------------------------------------------------------------------
// the command table

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *help;
} Command;

static const Command COMMANDS[] = {
    {"run", cmd_run, "run the stages of the stage table, skipping up-to-date jobs", NULL},
    {"params", cmd_params, "print the effective params of a file",
     "usage: hhsim params PARAMS [--set SECTION.KEY=VALUE]...\n"
     "Reads PARAMS (an INI file), checks every key, and prints every key with its\n"
     "effective value and a one-line doc as 'key = value  ; doc'. The output is itself\n"
     "a valid params file with the same meaning.\n"
     "options:\n"
     "  --set SECTION.KEY=VALUE  override one key (repeatable), as hhsim run --set does\n"
     "  -h, --help               this help\n"
     "example: hhsim params params/smoke.ini > /tmp/effective.ini\n"},
    {"sample", cmd_sample, "print a model's responses to test prompts with their gold scores",
     "usage: hhsim sample MODEL.h5 [--run DIR] [--n N] [--temp T] [--hhh]\n"
     "Loads any model file of a run (lm/, distill/, pmp/, pm/ or rl/; its params are the\n"
     "ones stored in the file) and prints, for the first N test prompts (default 10) of\n"
     "DIR/world.h5 (DIR: --run, default the run directory holding MODEL.h5), the gold\n"
     "help and harm, the prompt and the response (greedy unless --temp > 0; --hhh adds\n"
     "the HHH prefix) to stdout.\n"
     "example: hhsim sample runs/smoke/rl/s_s_hh_s0.h5 --n 5\n"},
    {"bench", cmd_bench, "training and generation speed of the transformer per scale",
     "usage: hhsim bench [--threads N] [--steps S] [--scales LIST] [--ppo]\n"
     "Measures, for scales xs, s, m, l, xl (ctx 64, batch 32, vocab 64), training-step\n"
     "tokens/s (forward + backward + AdamW; median of >= S timed steps, default 20,\n"
     "and >= 1 s of them), the model FLOP rate 6 x params x tokens/s as a share of the\n"
     "machine's single-core SGEMM rate, and KV-cache sampling tokens/s and its FLOP\n"
     "rate (2 x params x tokens/s); N BLAS threads (default 1). --scales xs,s\n"
     "measures only those scales (default: all five). --ppo times one PPO iteration\n"
     "per scale instead: rollout, policy/reference scoring with exact KL, PM scoring,\n"
     "update.\n"
     "Prints a table to stdout. 'make bench' sets it beside PyTorch.\n"
     "example: hhsim bench --steps 10\n"},
    {"inspect", cmd_inspect, "print provenance and datasets of an hhsim HDF5 file",
     "usage: hhsim inspect FILE.h5\n"
     "Prints the provenance (version, git commit, seed, library versions, ...) and one\n"
     "line per dataset: name, type, shape, units and description.\n"
     "example: hhsim inspect runs/smoke/world.h5\n"},
};
#define N_COMMANDS ((int)(sizeof COMMANDS / sizeof COMMANDS[0]))

// The options hhsim run and the stage commands share (run_only: run's own).
static void run_options(FILE *f, int run_only) {
    fprintf(f,
            "options:\n"
            "  -o, --out DIR        the run directory (default: runs/NAME, NAME the PARAMS file's\n"
            "                       name without .ini, then +SECTION.KEY=VALUE per --set, in the\n"
            "                       key table's order, e.g. runs/default+pm.epochs=3)\n"
            "  --set SECTION.KEY=VALUE\n"
            "                       override one params key (repeatable); checked like a key of\n"
            "                       PARAMS and recorded like one (every file's params, DIR/params.ini)\n"
            "  -j, --jobs N         up to N jobs at once (default: the number of cores)\n"
            "%s"
            "  --stop-after STEPS   stop each job after STEPS steps (resumable)\n"
            "  -f, --force          rerun up-to-date jobs too\n"
            "  -n, --dry-run        write nothing; list every selected job and why it would run\n"
            "%s"
            "  --print-dir          print the run directory and exit\n"
            "  -q, --quiet          no progress (errors still go to stderr)\n"
            "  -h, --help           this help\n",
            run_only ? "  --only STAGE[,STAGE] run just these stages (their inputs must exist)\n"
                       "  --until STAGE        run every stage up to and including STAGE\n" : "",
            run_only ? "  --project-from RUN   with --dry-run: project the wall time from RUN's job times\n"
                       "  --ranks N[,N]        with --project-from: on these numbers of ranks\n" : "");
}

static void run_help(FILE *f) {
    const StageDef *const *t = stages_default();
    fprintf(f,
            "usage: hhsim run PARAMS [-o DIR] [--set SECTION.KEY=VALUE]... [--jobs N]\n"
            "                 [--only STAGE[,STAGE]] [--until STAGE] [--stop-after STEPS]\n"
            "                 [--force] [--quiet] [--print-dir]\n"
            "                 [--dry-run [--project-from RUN] [--ranks N[,N]]]\n"
            "Runs the stages of the stage table on PARAMS into DIR as one graph of jobs, up to\n"
            "N at once (default: the number of cores), each one process with one BLAS thread;\n"
            "results do not depend on N. A job starts when the jobs that make its inputs are\n"
            "done. A job whose output exists, is newer than its inputs, was written by the same\n"
            "simulator sources and used the same params sections is skipped, so a rerun after\n"
            "a crash resumes and a change to one section reruns only what depends on it.\n"
            "--force reruns everything selected; --only runs just the listed stages (their\n"
            "inputs must exist); --until runs every stage up to and including one; a stage\n"
            "switched off by PARAMS is reported and the others complete. --stop-after stops\n"
            "each job after STEPS steps (resumable; jobs that need its output wait).\n"
            "--set changes one key without editing PARAMS; without -o the run goes to a\n"
            "directory named for the change, so it never overwrites the run it is compared with.\n"
            "--dry-run writes nothing and lists every selected job on stdout with 'run: WHY'\n"
            "(no output yet, an input newer or remade, [SECTION] params changed, ...) or\n"
            "'up to date'; with --project-from RUN --ranks 16,64,256 it also projects the\n"
            "wall time of the jobs that would run on that many ranks (one core each), from\n"
            "the job times of the finished run RUN (its outputs' wall_seconds per stage and\n"
            "scale), with list scheduling as hhsim run and bin/hhsim-mpi do it.\n"
            "Progress goes to stderr: on a terminal a line per running job and the run's\n"
            "done/total and time left; otherwise a line per finished job and a heartbeat line\n"
            "per running job every HHSIM_HEARTBEAT seconds (default 30).\n");
    run_options(f, 1);
    fprintf(f, "stages, in order (each also a command):\n");
    for (int i = 0; t[i]; i++) fprintf(f, "  %-10s %s\n", t[i]->name, t[i]->summary);
    fprintf(f, "examples:\n"
               "  hhsim run params/default.ini                      # -> runs/default\n"
               "  hhsim run params/default.ini --set pm.epochs=3    # -> runs/default+pm.epochs=3\n"
               "  hhsim run params/default.ini -o runs/default --until pm --dry-run\n");
}

static void stage_help(FILE *f, const StageDef *st) {
    fprintf(f,
            "usage: hhsim %s PARAMS [-o DIR] [--set SECTION.KEY=VALUE]... [--jobs N]\n"
            "                 [--stop-after STEPS] [--force] [--dry-run] [--quiet] [--print-dir]\n"
            "%s (the same as 'hhsim run PARAMS --only %s').\n"
            "Reads %s in DIR.\n%s"
            "Up-to-date jobs are skipped (--force reruns them); up to N jobs run at once,\n"
            "one process and one BLAS thread each; results do not depend on N.\n",
            st->name, st->summary, st->name, st->reads, st->help ? st->help : "");
    run_options(f, 0);
    fprintf(f, "example: hhsim %s params/smoke.ini -o runs/smoke\n", st->name);
}

static void print_help(FILE *f) {
    const StageDef *const *t = stages_default();
    fprintf(f, "hhsim %s - reproduce RLHF for helpful and harmless assistants "
               "(Bai et al. 2022) at laptop scale\n\n"
               "usage: hhsim COMMAND [options]\n\ncommands:\n", hh_version());
    fprintf(f, "  %-10s %s\n", COMMANDS[0].name, COMMANDS[0].summary);
    for (int i = 0; t[i]; i++) fprintf(f, "  %-10s %s\n", t[i]->name, t[i]->summary);
    for (int i = 1; i < N_COMMANDS; i++) fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "  %-10s %s\n", "help", "help COMMAND: that command's help (= hhsim COMMAND --help)");
    fprintf(f, "\noptions: -h, --help (this list), --version (version and git commit)\n"
               "\n'hhsim COMMAND --help' or 'hhsim help COMMAND' explains one. Results go to\n"
               "files; progress and diagnostics to stderr. Exit status: 0 ok, 1 failure, 2 bad\n"
               "usage or input.\nexample: hhsim run params/smoke.ini -o runs/smoke\n");
}

// Print the help of cmd; 0 when it is a command.
static int help_of(const char *cmd) {
    const StageDef *st = stage_find(stages_default(), cmd);
    if (!strcmp(cmd, "run")) run_help(stdout);
    else if (!strcmp(cmd, "help")) print_help(stdout);
    else if (st) stage_help(stdout, st);
    else {
        for (int i = 0; i < N_COMMANDS; i++)
            if (!strcmp(cmd, COMMANDS[i].name)) return fputs(COMMANDS[i].help, stdout) < 0;
        return usage_error("help", "unknown command '%s'", cmd);
    }
    return 0;
}

static int has_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) return 0;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    }
    return 0;
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv) {
    gsl_set_error_handler_off();
    // a write beyond `ulimit -f` fails with EFBIG and is reported, not a signal
    signal(SIGXFSZ, SIG_IGN);
#ifdef HH_MPI
    if (!(CLUSTER = hh_mpi_init(&argc, &argv))) return HH_EFAIL;
    int rc = dispatch(argc, argv);
    hh_mpi_finalize();
    return rc;
#else
    return dispatch(argc, argv);
#endif
}

static int dispatch(int argc, char **argv) {
    if (argc < 2) {  // a usage error: one line, like every other
        fprintf(stderr, "hhsim: missing COMMAND; usage: hhsim COMMAND [options] (see 'hhsim --help')\n");
        return HH_EINPUT;
    }
    HHErr kerr;
    if (stages_add_keys(stages_default(), &kerr)) return report(&kerr);  // stage-owned params
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || (!strcmp(cmd, "help") && argc == 2)) {
        print_help(stdout);
        return 0;
    }
    if (!strcmp(cmd, "help")) return argc == 3 ? help_of(argv[2]) : usage_error("help", "expects one COMMAND");
    if (!strcmp(cmd, "--version")) {
        printf("hhsim %s (git %s%s)\n", hh_version(), hh_git_commit(), hh_git_dirty() ? ", dirty" : "");
        return 0;
    }
    if (has_help(argc - 1, argv + 1)) return help_of(cmd) ? HH_EINPUT : 0;
    const StageDef *st = stage_find(stages_default(), cmd);
    if (st) return run_pipeline(cmd, argc - 1, argv + 1, st->name);
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(cmd, COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "hhsim: unknown command '%s' (see 'hhsim --help')\n", cmd);
    return HH_EINPUT;
}
