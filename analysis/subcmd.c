// subcmd.c - see subcmd.h
#include "subcmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expect.h"
#include "gpscript.h"
#include "hherr.h"
#include "html.h"
#include "rdiff.h"
#include "results.h"

static const char REPORT_HELP[] =
    "usage: hhfit report RESULTS_DIR [--figures DIR] [--quiet]\n"
    "\n"
    "Writes RESULTS_DIR/index.html, one self-contained page (inline CSS, no script, no network;\n"
    "the figures embedded as PNG data URIs, so the page works when the folder is copied alone):\n"
    "the verdict counts and the run's provenance, then for each figure what it shows, the image,\n"
    "the claims it carries (statistic, estimate, 95% interval, criterion, verdict) and the tables\n"
    "it was drawn from. Reads RESULTS_DIR/tables.h5 and RESULTS_DIR/claims.csv (written by\n"
    "'hhfit RUN_DIR -o RESULTS_DIR') and DIR/NAME.png for each figure script NAME.gp (drawn by\n"
    "gnuplot after hhfit; a PNG older than tables.h5 is left out as stale).\n"
    "\n"
    "options:\n"
    "  --figures DIR   where the PNGs are (default: figures/out/NAME for RESULTS_DIR .../NAME,\n"
    "                  or RESULTS_DIR itself when it holds them)\n"
    "  --quiet         no summary line on stderr\n"
    "Exit status: 0 written, 1 failure, 2 bad usage or input.\n"
    "example: hhfit report results/smoke --figures figures/out/smoke   (make figures runs it)\n";

static const char CHECK_HELP[] =
    "usage: hhfit check RESULTS_DIR EXPECTED.tsv\n"
    "       hhfit check RESULTS_DIR EXPECTED.tsv --write [--also DIR]...\n"
    "\n"
    "Compares the claims of RESULTS_DIR/claims.csv with the expected results EXPECTED.tsv\n"
    "(e.g. papers/bai2022/expected-smoke.tsv; columns id, statistic, verdict, estimate,\n"
    "tolerance) and prints, claim by claim, 'ok ID ...' or 'MISMATCH ID: why': a claim matches\n"
    "when its verdict is one of those expected and its estimate is within the tolerance.\n"
    "Claims missing on either side are mismatches.\n"
    "\n"
    "With --write, writes EXPECTED.tsv from RESULTS_DIR instead: tolerance = the larger of\n"
    "the 95% interval's half-width and twice the largest difference to the runs given with\n"
    "--also (the same params on other machines, or with other OpenBLAS kernels:\n"
    "OPENBLAS_CORETYPE=Sandybridge, Nehalem); verdicts = every verdict those runs gave.\n"
    "'make expected-results PARAMS=...' makes those runs and writes the file.\n"
    "\n"
    "Exit status: 0 every claim matches (or written), 1 a mismatch, 2 bad usage or input.\n"
    "example: hhfit check results/smoke papers/bai2022/expected-smoke.tsv   (make check-results)\n";

static const char DIFF_HELP[] =
    "usage: hhfit diff RESULTS_A RESULTS_B\n"
    "\n"
    "What changed between two results directories (each written by 'hhfit RUN -o DIR'):\n"
    "  params  the runs' params (tables.h5 attribute params), key by key\n"
    "  claims  claims.csv by id: verdict moves first, then estimates and intervals\n"
    "  tables  tables.h5 table by table: tables and columns added or removed, row counts,\n"
    "          and the largest absolute difference of each changed column\n"
    "Provenance (commit, host, time, libraries) is shown, not compared.\n"
    "Exit status (as diff): 0 identical, 1 different, 2 bad usage or input.\n"
    "example: hhfit diff results/default results/lr2x\n";

// Parse options common to the commands; positional arguments into pos.
typedef struct {
    const char *pos[3];
    int npos, quiet, write;
    const char *figures;
    const char *also[16];
    int nalso;
} Args;

static int parse(int argc, char **argv, const char *help, int maxpos, Args *a, int *done, HHErr *err) {
    enum { O_FIG = 256, O_QUIET, O_WRITE, O_ALSO };
    static const struct option OPTS[] = {
        {"figures", required_argument, 0, O_FIG}, {"quiet", no_argument, 0, O_QUIET},
        {"write", no_argument, 0, O_WRITE},       {"also", required_argument, 0, O_ALSO},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    *done = 0;
    const char *cmd = argv[0];
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", OPTS, NULL)) != -1) {
        const char *opt = argv[optind - 1];
        int ok = (c == O_FIG && !strcmp(cmd, "report")) || (c == O_QUIET && !strcmp(cmd, "report")) ||
                 ((c == O_WRITE || c == O_ALSO) && !strcmp(cmd, "check")) || c == 'h' || c == ':' || c == '?';
        if (!ok) return hh_fail(err, HH_EINPUT, "option '%s' is not one of 'hhfit %s' (see 'hhfit %s --help')", opt, cmd, cmd);
        switch (c) {
        case O_FIG: a->figures = optarg; break;
        case O_QUIET: a->quiet = 1; break;
        case O_WRITE: a->write = 1; break;
        case O_ALSO:
            if (a->nalso == 16) return hh_fail(err, HH_EINPUT, "at most 16 --also directories");
            a->also[a->nalso++] = optarg;
            break;
        case 'h': fputs(help, stdout); *done = 1; return 0;
        case ':': return hh_fail(err, HH_EINPUT, "option '%s' needs a value (see 'hhfit %s --help')", opt, cmd);
        default: return hh_fail(err, HH_EINPUT, "unknown option '%s' (see 'hhfit %s --help')", opt, cmd);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (a->npos == maxpos)
            return hh_fail(err, HH_EINPUT, "unexpected argument '%s' (see 'hhfit %s --help')", argv[i], cmd);
        a->pos[a->npos++] = argv[i];
    }
    if (a->npos < maxpos) {
        const char *first = strchr(help, ' ') + 1;
        return hh_fail(err, HH_EINPUT, "missing arguments; %.*s (see 'hhfit %s --help')",
                       (int)(strchr(first, '\n') - first), first, cmd);
    }
    if (a->nalso && !a->write) return hh_fail(err, HH_EINPUT, "--also goes with --write (see 'hhfit check --help')");
    return 0;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int need_dir(const char *p, HHErr *err) {
    if (!is_dir(p)) return hh_fail(err, HH_EINPUT, "%s: no such results directory (expected the -o DIR of "
                                   "'hhfit RUN_DIR -o DIR')", p);
    return 0;
}

// ---------------------------------------------------------------------------

static int cmd_report(const Args *a, const char *const *writes, int nwrites, HHErr *err) {
    const char *dir = a->pos[0];
    Results r;
    if (need_dir(dir, err) || results_read(dir, RES_CLAIMS | RES_TABLES, &r, err)) return err->code;
    char figdir[1200], probe[1300], tpath[1200];
    const char *name = strrchr(dir, '/');
    name = name && name[1] ? name + 1 : dir;
    HtmlFigure figs[64];
    int nfig = html_figures(writes, nwrites, figs, 64);
    if (a->figures) snprintf(figdir, sizeof figdir, "%s", a->figures);
    else {
        snprintf(figdir, sizeof figdir, "figures/out/%.1100s", name);
        for (int i = 0; i < nfig; i++) {
            snprintf(probe, sizeof probe, "%.1100s/%.63s.png", dir, figs[i].stem);
            if (access(probe, F_OK) == 0) { snprintf(figdir, sizeof figdir, "%.1100s", dir); break; }
        }
    }
    int rc = a->figures && !is_dir(figdir) ? hh_fail(err, HH_EINPUT, "--figures %s: no such directory", figdir) : 0;
    struct stat st;
    snprintf(tpath, sizeof tpath, "%.1100s/tables.h5", dir);
    long long mt = stat(tpath, &st) == 0 ? (long long)st.st_mtime : 0;
    OutSet os = {0};
    FILE *f = rc ? NULL : outset_open(&os, dir, "index.html", err);
    if (!rc) rc = !f ? err->code : html_write(f, &r, figs, nfig, figdir, mt, err) || outset_commit(&os, err);
    if (rc) outset_abort(&os);
    if (!rc && !a->quiet) {
        int c[4] = {0, 0, 0, 0};
        for (int k = 0; k < r.nclaim; k++) c[r.res[k].verdict]++;
        fprintf(stderr, "hhfit report: %s/index.html: %d claims (%d reproduced, %d not reproduced, %d inconclusive, "
                "%d pending), figures from %s/\n", dir, r.nclaim, c[0], c[1], c[2], c[3], figdir);
    }
    results_free(&r);
    return rc ? (err->code ? err->code : HH_EFAIL) : 0;
}

static int cmd_check(const Args *a, HHErr *err) {
    int n = 1 + a->nalso, rc = 0, bad = 0;
    Results *runs = calloc((size_t)n, sizeof *runs);
    if (!runs) return hh_fail(err, HH_EFAIL, "out of memory");
    int nread = 0;
    for (int m = 0; m < n && !rc; m++) {
        const char *d = m ? a->also[m - 1] : a->pos[0];
        rc = need_dir(d, err) || results_read(d, RES_CLAIMS, &runs[m], err);
        if (!rc) nread++;
    }
    if (!rc && a->write) {
        char cmd[2048];
        int L = snprintf(cmd, sizeof cmd, "hhfit check %s %s --write", a->pos[0], a->pos[1]);
        for (int m = 0; m < a->nalso && L < (int)sizeof cmd; m++)
            L += snprintf(cmd + L, sizeof cmd - (size_t)L, " --also %s", a->also[m]);
        char tmp[1200];
        snprintf(tmp, sizeof tmp, "%.1150s.tmp.%ld", a->pos[1], (long)getpid());
        FILE *f = fopen(tmp, "w");
        if (!f) rc = hh_fail(err, HH_EINPUT, "%s: cannot create", tmp);
        else {
            rc = check_write(f, runs, n, cmd, err);
            if (fclose(f) && !rc) rc = hh_fail(err, HH_EFAIL, "%s: write failed", tmp);
            if (!rc && rename(tmp, a->pos[1])) rc = hh_fail(err, HH_EFAIL, "%s: cannot rename into place", a->pos[1]);
            if (rc) unlink(tmp);
        }
        if (!rc) fprintf(stderr, "hhfit check: wrote %s (%d claims from %d run(s))\n", a->pos[1], runs[0].nclaim, n);
    } else if (!rc) {
        rc = check_compare(&runs[0], a->pos[1], stdout, &bad, err);
    }
    for (int m = 0; m < nread; m++) results_free(&runs[m]);
    free(runs);
    if (rc) return err->code ? err->code : HH_EFAIL;
    return bad ? 1 : 0;
}

static int cmd_diff(const Args *a, HHErr *err) {
    Results A, B;
    if (need_dir(a->pos[0], err) || need_dir(a->pos[1], err) ||
        results_read(a->pos[0], RES_CLAIMS | RES_TABLES, &A, err))
        return HH_EINPUT;
    if (results_read(a->pos[1], RES_CLAIMS | RES_TABLES, &B, err)) {
        results_free(&A);
        return HH_EINPUT;
    }
    int nd = 0, rc = rdiff(&A, &B, stdout, &nd, err);
    results_free(&A), results_free(&B);
    return rc ? HH_EINPUT : nd ? 1 : 0;  // as diff: trouble is 2
}

int subcmd_is(int argc, char **argv) {
    return argc >= 2 && (!strcmp(argv[1], "report") || !strcmp(argv[1], "check") || !strcmp(argv[1], "diff"));
}

int subcmd_main(int argc, char **argv, const char *const *writes, int nwrites) {
    HHErr err;
    hh_err_clear(&err);
    const char *cmd = argv[1];
    int rep = !strcmp(cmd, "report"), chk = !strcmp(cmd, "check");
    Args a;
    int done = 0;
    int rc = parse(argc - 1, argv + 1, rep ? REPORT_HELP : chk ? CHECK_HELP : DIFF_HELP, rep ? 1 : 2, &a, &done, &err);
    if (!rc && !done)
        rc = rep ? cmd_report(&a, writes, nwrites, &err) : chk ? cmd_check(&a, &err) : cmd_diff(&a, &err);
    if (rc && err.msg[0]) fprintf(stderr, "hhfit %s: %s\n", cmd, err.msg);
    if (rc && !rep && err.msg[0]) rc = HH_EINPUT;  // check and diff: 1 means a mismatch or a difference
    return rc;
}
