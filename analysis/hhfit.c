// hhfit.c - the analysis command: reads a run directory, fits the paper's
// relationships, writes RESULTS_DIR/tables.h5, one gnuplot script per figure
// and claims.md. All outputs are written under temporary names and renamed
// into place only when everything succeeded.
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "claims.h"
#include "claimscsv.h"
#include "eloreport.h"
#include "evalsclaims.h"
#include "evalsreport.h"
#include "segreport.h"
#include "onlineclaims.h"
#include "onlinereport.h"
#include "h5io.h"
#include "lmclaims.h"
#include "lmdata.h"
#include "lmreport.h"
#include "pmclaims.h"
#include "pmdata.h"
#include "overlap.h"
#include "report.h"
#include "rlclaims.h"
#include "rldata.h"
#include "rlreport.h"
#include "stage.h"
#include "subcmd.h"
#include "version.h"

static void usage(FILE *f) {
    fputs("usage: hhfit RUN_DIR -o RESULTS_DIR [--claims FILE] [--style FILE] [--boot B] [--quiet]\n"
          "\n"
          "Reads a run of hhsim (RUN_DIR/world.h5, every RUN_DIR/pm/*.h5 and, if present, lm/*.h5,\n"
          "distill/*.h5, rl/*.h5 and bon/*.h5), fits the paper's language-model, preference-model and\n"
          "RLHF relationships with GSL and writes into RESULTS_DIR:\n"
          "  tables.h5   one HDF5 table per figure and per fit, units on every column,\n"
          "              provenance (the run's params) on /; schema in analysis/README.md\n"
          "  *.gp        one self-contained gnuplot script per figure (data inside):\n"
          "              fig07_pm_accuracy_scaling, fig08_accuracy_by_turn, fig09_calibration,\n"
          "              fig19_accuracy_vs_mix, fig25_accuracy_above_threshold, pmp_accuracy,\n"
          "              beyond_gold_vs_crowd, with LMs lm_scaling and distill_help_harm, and with RL\n"
          "              runs fig13_reward_vs_sqrt_kl,\n"
          "              fig04_train_vs_test_pm, fig33_test_pm_end, fig14_benign_vs_redteam,\n"
          "              rl_help_harm, beyond_overoptimization, with evals fig03_alignment_tax,\n"
          "              with segments fig_segments, with online rounds fig15_online_upper_tail,\n"
          "              fig16_online_rounds,\n"
          "              with Elo tournaments fig01_elo_vs_params, fig36_rejection_sampling_elo,\n"
          "              fig15_crowd_vs_pm_elo, fig16_elo_vs_round;\n"
          "              'gnuplot F.gp' draws F.png and F.pdf beside it,\n"
          "              'gnuplot -e \"outdir='\\''DIR'\\''\" F.gp' into DIR\n"
          "  claims.md   each claim of the claims table with its statistic, 95% CI and verdict\n"
          "  claims.csv  the same rows, machine-readable (RFC 4180; columns in analysis/claimscsv.h)\n"
          "\n"
          "options:\n"
          "  -o DIR          results directory (created if needed)\n"
          "  --claims FILE   claims table (default papers/bai2022/claims.tsv of this source tree)\n"
          "  --style FILE    gnuplot style embedded in every script (default figures/style.gp)\n"
          "  --boot B        bootstrap resamples for the intervals (default 1000, at least 100)\n"
          "  --quiet         no summary line on stderr\n"
          "  --list          list the analyses (what each reads and writes) and exit\n"
          "Results are written to temporary names and renamed together at the end, so a failing\n"
          "run leaves earlier results untouched. Exit status: 0 ok, 1 failure, 2 bad usage or input.\n"
          "example: hhfit runs/smoke -o results/smoke\n"
          "\n"
          "commands on results directories (each has --help):\n"
          "  hhfit report RESULTS_DIR [--figures DIR]   index.html: every figure with its claims and tables\n"
          "  hhfit check RESULTS_DIR EXPECTED.tsv       claim by claim against committed expectations\n"
          "  hhfit diff RESULTS_A RESULTS_B             what changed: params, claims, tables\n", f);
}

static void list_analyses(FILE *f);

typedef struct {
    const char *run, *out;
    char claims[1200], style[1200];
    long boot;
    int quiet;
} Opts;

// dir/rel if it exists, where dir is the source tree holding this binary (bin/..).
static void default_path(char *out, size_t n, const char *rel) {
    char exe[1024];
    ssize_t L = readlink("/proc/self/exe", exe, sizeof exe - 1);
    snprintf(out, n, "%s", rel);
    if (L <= 0) return;
    exe[L] = '\0';
    for (int up = 0; up < 2; up++) {
        char *s = strrchr(exe, '/');
        if (!s) return;
        *s = '\0';
    }
    char cand[1200];
    struct stat st;
    snprintf(cand, sizeof cand, "%s/%s", exe, rel);
    if (stat(cand, &st) == 0 && access(rel, R_OK) != 0) snprintf(out, n, "%s", cand);
}


enum { OPT_CLAIMS = 256, OPT_STYLE, OPT_BOOT, OPT_QUIET, OPT_LIST, OPT_VERSION };

// Every usage error is one line (the caller prefixes "hhfit: ") and HH_EINPUT.
// *done is set for --help, --list and --version (printed here, exit 0).
static int parse_args(int argc, char **argv, Opts *o, int *done, HHErr *err) {
    static const struct option OPTS[] = {
        {"claims", required_argument, 0, OPT_CLAIMS}, {"style", required_argument, 0, OPT_STYLE},
        {"boot", required_argument, 0, OPT_BOOT},     {"quiet", no_argument, 0, OPT_QUIET},
        {"list", no_argument, 0, OPT_LIST},           {"version", no_argument, 0, OPT_VERSION},
        {"help", no_argument, 0, 'h'},                {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    *done = 0;
    o->boot = 1000;
    default_path(o->claims, sizeof o->claims, "papers/bai2022/claims.tsv");
    default_path(o->style, sizeof o->style, "figures/style.gp");
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", OPTS, NULL)) != -1) {
        const char *opt = argv[optind - 1];
        switch (c) {
        case 'o': o->out = optarg; break;
        case OPT_CLAIMS: snprintf(o->claims, sizeof o->claims, "%s", optarg); break;
        case OPT_STYLE: snprintf(o->style, sizeof o->style, "%s", optarg); break;
        case OPT_BOOT:
            if (params_parse_long(optarg, 100, 1000000, &o->boot))
                return hh_fail(err, HH_EINPUT, "--boot '%s': expected a whole number from 100 to "
                               "1000000 (see 'hhfit --help')", optarg);
            break;
        case OPT_QUIET: o->quiet = 1; break;
        case 'h': usage(stdout); *done = 1; return 0;
        case OPT_LIST: list_analyses(stdout); *done = 1; return 0;
        case OPT_VERSION:
            printf("hhfit %s (git %s%s)\n", hh_version(), hh_git_commit(), hh_git_dirty() ? ", dirty" : "");
            *done = 1;
            return 0;
        case ':':
            return hh_fail(err, HH_EINPUT, "option '%s' needs a value (see 'hhfit --help')", opt);
        default:
            if (optopt && !strncmp(opt, "--", 2) && strchr(opt, '='))
                return hh_fail(err, HH_EINPUT, "option '%.*s' takes no value (see 'hhfit --help')",
                               (int)(strchr(opt, '=') - opt), opt);
            return hh_fail(err, HH_EINPUT, "unknown option '%s' (see 'hhfit --help')", opt);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (o->run) return hh_fail(err, HH_EINPUT, "unexpected argument '%s' (one RUN_DIR only; see "
                                   "'hhfit --help')", argv[i]);
        o->run = argv[i];
    }
    if (!o->run) return hh_fail(err, HH_EINPUT, "missing RUN_DIR; usage: hhfit RUN_DIR -o RESULTS_DIR "
                                "(see 'hhfit --help')");
    if (!o->out) return hh_fail(err, HH_EINPUT, "missing -o RESULTS_DIR; usage: hhfit RUN_DIR -o "
                                "RESULTS_DIR (see 'hhfit --help')");
    return 0;
}

static int read_text(const char *path, char **out, HHErr *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return hh_fail(err, HH_EINPUT, "%s: cannot open (expected the gnuplot style figures/style.gp; see --style)", path);
    size_t cap = 4096, n = 0, k;
    char *s = malloc(cap + 1);
    while (s && (k = fread(s + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *t = realloc(s, 2 * cap + 1);
            if (!t) free(s);
            s = t, cap *= 2;
        }
    }
    fclose(f);
    if (!s) return hh_fail(err, HH_EFAIL, "out of memory");
    s[n] = '\0';
    if (strlen(s) != n) {
        free(s);
        return hh_fail(err, HH_EINPUT, "%s: not a text file", path);
    }
    *out = s;
    return 0;
}

// ---------------------------------------------------------------------------
// the analyses

// One row per analysis, run in this order (claims.md last: it reads the fits).
// Exactly one of pm, lm, rl is set, by the data the function reads: the PMs
// (Report), also the language models (lmdata.h) or the RL runs (rldata.h).
typedef struct {
    const char *name;
    int (*pm)(Report *R, HHErr *err);
    int (*lm)(Report *R, const LMData *L, HHErr *err);
    int (*rl)(Report *R, const RLData *D, HHErr *err);
    const char *reads, *writes;  // run files; tables.h5 tables and scripts
} Analysis;

static const Analysis ANALYSES[] = {
    {"pm_runs", .pm = report_pm_runs, .reads = "pm/*.h5", .writes = "/pm_runs"},
    {"crowd", .pm = report_crowd, .reads = "world.h5", .writes = "/crowd_agreement"},
    {"prompt_overlap", .pm = report_prompt_overlap, .reads = "world.h5", .writes = "/prompt_overlap"},
    {"fig07", .pm = report_fig07, .reads = "pm/*.h5 (size sweep)",
     .writes = "/fit_loglinear, /fig07_accuracy; fig07_pm_accuracy_scaling.gp"},
    {"pmp", .pm = report_pmp, .reads = "pm/*.h5 (size sweep, both PMP settings)",
     .writes = "/pmp_vs_nopmp; pmp_accuracy.gp"},
    {"fig08", .pm = report_fig08, .reads = "pm/*.h5 (main HH PMs)",
     .writes = "/fig08_accuracy_by_turn; fig08_accuracy_by_turn.gp"},
    {"fig09", .pm = report_fig09, .reads = "pm/*.h5 (main HH and helpful-only PMs)",
     .writes = "/fig09_accuracy_by_margin, /calibration_ece; fig09_calibration.gp"},
    {"fig19", .pm = report_fig19, .reads = "pm/*.h5 (mix sweep)",
     .writes = "/fig19_accuracy_vs_mix; fig19_accuracy_vs_mix.gp"},
    {"fig25", .pm = report_fig25, .reads = "pm/*.h5 (main HH PMs)",
     .writes = "/fig25_accuracy_above_threshold; fig25_accuracy_above_threshold.gp"},
    {"gold", .pm = report_gold, .reads = "pm/*.h5 (size sweep), world.h5",
     .writes = "/beyond_gold_vs_crowd; beyond_gold_vs_crowd.gp"},
    {"lm_scaling", .lm = lmreport_scaling, .reads = "lm/*.h5",
     .writes = "/lm_scaling, /lm_curves, /lm_task_help; lm_scaling.gp"},
    {"distill", .lm = lmreport_distill, .reads = "distill/*.h5, world.h5",
     .writes = "/distill_eval, /lm_persona_reference; distill_help_harm.gp"},
    {"facts", .lm = lmreport_facts, .reads = "lm/*.h5, world.h5",
     .writes = "/lm_fact_recall; fact_recall.gp"},
    {"rl_runs", .rl = rlreport_runs, .reads = "rl/*.h5, bon/*.h5", .writes = "/rl_runs"},
    {"fig13", .rl = rlreport_fig13, .reads = "rl/*.h5",
     .writes = "/fig13_reward_vs_sqrt_kl, /fit_reward_sqrt_kl, /fit_reward_sqrt_kl_scale; fig13_reward_vs_sqrt_kl.gp"},
    {"fig04", .rl = rlreport_fig04, .reads = "rl/*.h5", .writes = "/fig04_train_vs_test_pm; fig04_train_vs_test_pm.gp"},
    {"fig33", .rl = rlreport_fig33, .reads = "rl/*.h5", .writes = "/fig33_test_pm_end; fig33_test_pm_end.gp"},
    {"fig14", .rl = rlreport_fig14, .reads = "rl/*.h5",
     .writes = "/fig14_benign_vs_redteam; fig14_benign_vs_redteam.gp"},
    {"help_harm", .rl = rlreport_help_harm, .reads = "rl/*.h5 (variants hh, helpful)",
     .writes = "/rl_help_harm; rl_help_harm.gp"},
    {"overopt", .rl = rlreport_overopt, .reads = "rl/*.h5, bon/*.h5",
     .writes = "/beyond_gold_vs_sqrt_kl, /fit_overoptimization; beyond_overoptimization.gp"},
    {"fig03", .pm = evalsreport_fig03, .reads = "evals/*.h5, rl/*.h5 (the validity gate)",  // its own readers (evalsdata.h, evalsgate.h)
     .writes = "/evals_accuracy, /evals_by_set, /alignment_tax, /fit_alignment_tax, /evals_seen, "
               "/rl_gate; fig03_alignment_tax.gp"},
    {"segments", .pm = segreport_fig, .reads = "segments/*.h5",  // reads its own files (segdata.h)
     .writes = "/segments_gap; fig_segments.gp"},
    {"fig15", .rl = onlinereport_fig15, .reads = "online/*.h5 (its own reader, onlinedata.h), rl/*.h5 (round 0)",
     .writes = "/online_rounds, /fig15_online_scores, /fig15_online_tail, /online_kinds; fig15_online_upper_tail.gp"},
    {"fig16", .rl = onlinereport_fig16, .reads = "online/*.h5, rl/*.h5 (round 0)",
     .writes = "/fig16_online_rounds; fig16_online_rounds.gp"},
    {"fig01", .pm = eloreport_fig01, .reads = "elo/*.h5",  // reads its own files (elodata.h)
     .writes = "/elo_ratings; fig01_elo_vs_params.gp"},
    {"fig36", .pm = eloreport_fig36, .reads = "elo/*.h5",
     .writes = "/fig36_rejection_sampling; fig36_rejection_sampling_elo.gp"},
    {"fig15_elo", .pm = eloreport_fig15, .reads = "elo/*.h5",
     .writes = "/fig15_crowd_vs_pm_elo; fig15_crowd_vs_pm_elo.gp"},
    {"fig16_elo", .pm = eloreport_fig16, .reads = "elo/*.h5",
     .writes = "/fig16_elo_vs_round; fig16_elo_vs_round.gp"},
};
#define N_ANALYSES (sizeof ANALYSES / sizeof ANALYSES[0])

static void list_analyses(FILE *f) {
    for (size_t k = 0; k < N_ANALYSES; k++)
        fprintf(f, "%-11s reads %s\n            writes %s\n", ANALYSES[k].name, ANALYSES[k].reads, ANALYSES[k].writes);
    fputs("claims      reads the claims table and the fits above\n            writes /claims; claims.md, claims.csv\n", f);
}

// ---------------------------------------------------------------------------
// claims

// 1 if the run has the world configuration the crowd constants were tuned on.
static int tuned_config(const Params *p) {
    Params d;
    params_defaults(&d);
    return p->seed == 1234 && p->temp_median == d.temp_median && p->lapse_mean == d.lapse_mean &&
           p->temp_spread == d.temp_spread && p->n_workers == d.n_workers;
}

static void md_header(char *h, size_t n, const Report *R, const Opts *o, int npm) {
    const Params *p = &R->rd->params;
    int tuned = tuned_config(p);
    snprintf(h, n,
        "# Claims report: Bai et al. 2022 (arXiv:2204.05862) reproduced by hhsim\n\n"
        "- Run: `%s` (%d preference models), seed %llu; params: `%s/params.ini`, those of the run's "
        "latest `hhsim run` (also the provenance of `tables.h5`); every file read was checked to "
        "be made with them and from the inputs now on disk.\n"
        "- Claims: `%s`; generated by hhfit %s (git %.12s%s). Tables: `tables.h5` (schema in "
        "analysis/README.md); figures: the `*.gp` scripts beside this file.\n"
        "- Tuning: the world's crowd constants (`temp_median`, `lapse_mean`) were tuned on "
        "params/default.ini with seed 1234 so that two crowdworkers agree on 63-75%% of pairs "
        "(the paper's range); nothing else was tuned. %s\n"
        "- Verdicts: REPRODUCED when the whole 95%% interval is on the claim's side of the "
        "criterion, NOT REPRODUCED when it is wholly on the other side, INCONCLUSIVE when it "
        "contains the criterion, PENDING when this run has no data for it. Intervals are "
        "conditional on this run's trained models (one training seed per PM unless [pm] seeds > 1): "
        "they cover test-set sampling, not retraining.\n",
        R->rd->dir, npm, (unsigned long long)p->seed, R->rd->dir,
        o->claims, hh_version(), hh_git_commit(), hh_git_dirty() ? ", dirty" : "",
        tuned ? "**This run is that configuration**: its crowd agreement (table /crowd_agreement) "
                "and the gold-agreement ceiling of beyond_gold_vs_crowd are computed on the data "
                "they were tuned on; the claim statistics below were not tuned."
              : "This run uses another seed or crowd configuration, so none of its statistics "
                "were computed on the tuning data.");
}

static int claims_table(Report *R, const ClaimRow *rows, const ClaimResult *res, int n, HHErr *err) {
    Tab *t = tab_alloc("claims",
        "every claim of the claims table with its statistic (estimate and 95% interval; units as the "
        "statistic's, see claims.md), criterion and verdict",
        "id:s:-;figure:s:-;statistic:s:-;estimate:f:statistic's units;ci_lo:f:statistic's units;"
        "ci_hi:f:statistic's units;n:i:pairs or points;criterion:s:-;verdict:s:-", err);
    if (!t) return err->code;
    for (int k = 0; k < n; k++) {
        size_t i = tab_add_row(t);
        tab_sets(t, i, "id", rows[k].id), tab_sets(t, i, "figure", rows[k].figure);
        tab_sets(t, i, "statistic", rows[k].statistic), tab_setf(t, i, "estimate", res[k].stat.est);
        tab_setf(t, i, "ci_lo", res[k].stat.lo), tab_setf(t, i, "ci_hi", res[k].stat.hi);
        tab_seti(t, i, "n", (long)res[k].stat.n), tab_sets(t, i, "criterion", rows[k].criterion);
        tab_sets(t, i, "verdict", verdict_name(res[k].verdict));
    }
    return report_put(R, t, err);
}

static int do_claims(Report *R, const RLData *D, const LMData *L, const Opts *o, const ClaimRow *rows, int n,
                     int *count, HHErr *err) {
    ClaimStat *st = calloc((size_t)n, sizeof *st);
    ClaimResult *res = calloc((size_t)n, sizeof *res);
    char *hdr = malloc(8192);
    int rc = st && res && hdr ? 0 : hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < n && !rc; k++)
        rc = rlclaims_known(rows[k].statistic)   ? rlclaims_compute(D, &rows[k], &st[k], err)
             : lmclaims_known(rows[k].statistic) ? lmclaims_compute(L, &rows[k], &st[k], err)
             : evalsclaims_known(rows[k].statistic) ? evalsclaims_compute(R, &rows[k], &st[k], err)
             : segclaims_known(rows[k].statistic) ? segclaims_compute(R, &rows[k], &st[k], err)
             : onlineclaims_known(rows[k].statistic) ? onlineclaims_compute(R, D, &rows[k], &st[k], err)
             : eloclaims_known(rows[k].statistic) ? eloclaims_compute(R, &rows[k], &st[k], err)
                                                 : pmclaims_compute(R, &rows[k], &st[k], err);
    if (!rc) {
        claims_decide(rows, n, st, res);
        for (int k = 0; k < n; k++) count[res[k].verdict]++;
        md_header(hdr, 8192, R, o, R->rd->npm);
        FILE *f = outset_open(R->os, R->outdir, "claims.md", err);
        FILE *csv = f ? outset_open(R->os, R->outdir, "claims.csv", err) : NULL;
        rc = !f || !csv || claims_write_md(f, hdr, rows, res, n) || claims_write_csv(csv, rows, res, n) ||
             claims_table(R, rows, res, n, err);
        if (rc && !err->code) hh_fail(err, HH_EFAIL, "%s/claims.md or claims.csv: write failed", R->outdir);
    }
    free(st), free(res), free(hdr);
    return rc ? err->code : 0;
}

// ---------------------------------------------------------------------------
// main

static int analyse(Report *R, const Opts *o, const ClaimRow *rows, int nrows, int *count, HHErr *err) {
    LMData L;  // lm/ and distill/ (absent: empty LM tables, LM claims PENDING)
    if (lmd_load_run(R->rd->dir, &R->rd->params, &L, err)) return err->code;
    RLData D;  // rl/ and bon/ (absent: empty RL tables, RL claims PENDING)
    if (rl_load(R->rd->dir, R->rd, &D, err)) return lmd_free(&L), err->code;
    int rc = 0;
    for (size_t k = 0; k < N_ANALYSES && !rc; k++) {
        const Analysis *A = &ANALYSES[k];
        rc = A->pm ? A->pm(R, err) : A->lm ? A->lm(R, &L, err) : A->rl(R, &D, err);
    }
    rc = rc || do_claims(R, &D, &L, o, rows, nrows, count, err);  // after the fits it reads
    rl_free(&D);
    lmd_free(&L);
    return rc ? err->code : 0;
}

static int run(const Opts *o, HHErr *err) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *style = NULL;
    ClaimRow *rows = NULL;
    int nrows = 0, rc = read_text(o->style, &style, err) || claims_read(o->claims, &rows, &nrows, err);
    for (int k = 0; !rc && k < nrows; k++)
        if (!pmclaims_known(rows[k].statistic) && !rlclaims_known(rows[k].statistic) &&
            !lmclaims_known(rows[k].statistic) && !evalsclaims_known(rows[k].statistic) &&
            !segclaims_known(rows[k].statistic) && !onlineclaims_known(rows[k].statistic) &&
            !eloclaims_known(rows[k].statistic))
            rc = hh_fail(err, HH_EINPUT, "%s:%d: unknown statistic '%s'; known: %s, %s, %s, %s, %s, %s, %s",
                         o->claims, rows[k].line, rows[k].statistic, pmclaims_list(), rlclaims_list(),
                         lmclaims_list(), evalsclaims_list(), segclaims_list(), onlineclaims_list(),
                         eloclaims_list());
    RunData rd;
    memset(&rd, 0, sizeof rd);
    if (!rc) rc = run_load(o->run, &rd, err) || hh_mkdirs(o->out, err);
    H5Out h5 = {.file = H5I_INVALID_HID};
    OutSet os = {0};
    char path[1200], ver[160];
    snprintf(path, sizeof path, "%s/tables.h5", o->out);
    snprintf(ver, sizeof ver, "hhfit %s (git %.12s%s)", hh_version(), hh_git_commit(), hh_git_dirty() ? ", dirty" : "");
    int count[4] = {0, 0, 0, 0}, nscripts = 0;
    if (!rc) rc = h5out_create(&h5, path, "results", &rd.params, err);
    if (!rc) {
        Report R = {.rd = &rd, .h5 = h5.file, .os = &os, .outdir = o->out, .seed = rd.params.seed,
                    .B = (size_t)o->boot, .gi = {style, o->run, ver}};
        sweeps_find(&rd, &R.sw);
        rc = analyse(&R, o, rows, nrows, count, err);
        nscripts = os.n - 2;  // all but claims.md and claims.csv
        rc = rc || h5out_commit(&h5, err) || outset_commit(&os, err);
    }
    if (rc) h5out_abort(&h5), outset_abort(&os);
    if (!rc) {  // a page of earlier results would contradict these ('hhfit report' writes the new one)
        snprintf(path, sizeof path, "%s/index.html", o->out);
        unlink(path);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!rc && !o->quiet)
        fprintf(stderr, "hhfit: %d PMs from %s -> %s: tables.h5, %d figure scripts, claims.md (%d reproduced, "
                "%d not reproduced, %d inconclusive, %d pending) in %.1f s\n", rd.npm, o->run, o->out,
                nscripts, count[0], count[1], count[2], count[3],
                (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    run_free(&rd);
    free(style), free(rows);
    return rc ? err->code : 0;
}

int main(int argc, char **argv) {
    gsl_set_error_handler_off();
    // a write beyond `ulimit -f` fails with EFBIG and is reported, not a signal
    signal(SIGXFSZ, SIG_IGN);
    HHErr err;
    hh_err_clear(&err);
    if (subcmd_is(argc, argv)) {  // report, check, diff: on results directories
        const char *writes[N_ANALYSES];
        for (size_t k = 0; k < N_ANALYSES; k++) writes[k] = ANALYSES[k].writes;
        return subcmd_main(argc, argv, writes, (int)N_ANALYSES);
    }
    Opts o;
    int done = 0;
    if (stages_add_keys(stages_default(), &err) ||  // stage-owned params sections
        parse_args(argc, argv, &o, &done, &err) || (!done && run(&o, &err))) {
        fprintf(stderr, "hhfit: %s\n", err.msg);
        return err.code ? err.code : HH_EFAIL;
    }
    return 0;
}
