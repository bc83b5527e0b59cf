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

#include "h5io.h"
#include "hherr.h"
#include "params.h"
#include "version.h"
#include "worldgen.h"

typedef struct {
    const char *params;  // positional PARAMS file
    const char *out;     // -o DIR
    int quiet;
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
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) {
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

static int cmd_inspect(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-')
        return usage_error("inspect", "expects exactly one FILE.h5%s", "");
    HHErr err;
    hh_err_clear(&err);
    return h5_inspect(argv[1], stdout, &err) ? report(&err) : 0;
}

static const Command COMMANDS[] = {
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
