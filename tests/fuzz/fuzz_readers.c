// fuzz_readers.c - libFuzzer targets for every reader of untrusted input
// (`make fuzz`; tests/fuzz/run_fuzz.sh). One source, one binary per target,
// chosen with -DFUZZ_TARGET=...:
//   1 inspect  the input is an HDF5 file: h5_inspect
//   2 stage    byte 0 picks the stage loader, the rest is the file:
//              worldgen_read (world.h5), lm_load of an "lm", "distill", "pmp"
//              or "pm" file (scales xs and s of params/smoke.ini)
//   3 hhfit    byte 0 picks which file of a smoke run the rest replaces
//              (world.h5, pm/, lm/, distill/, rl/, bon/); then hhfit's loaders
//              run_load, lmd_load and rl_load read the run
//   4 params   the input is params text: params_parse_text, params_to_text
//   5 results  byte 0 picks which file of a results directory the rest
//              replaces (claims.csv, tables.h5, an expectation file); then
//              results_read, check_compare and rdiff read them (hhfit report,
//              check and diff); the directory is FUZZ_RESULTS (hhfit of a smoke run)
//   6 elodata  byte 0: bit 0 checks against the run's params (smoke), bit 1
//              picks the slot elo/xs.h5 or elo/s.h5; the rest is the file:
//              eld_load_file
//   7 onlinedata  byte 0 picks which online/ file of a smoke run the rest
//              replaces (a round's data or its policy); bit 1 checks the
//              run's params; then ond_load
//   8 segdata  byte 0 picks which of two segments/ files (two scales, one
//              prompt set) the rest replaces; then sgd_load with the run's params
//   9 lmkb     byte 0 picks world.h5 (its /kb and persona comparisons) or
//              lm/xs.h5 (its /eval/facts, checked against /kb); bit 1 checks
//              the run's params; then lmd_load_run
//   Targets 6-9 take their other files from FUZZ_RUN.
// The run directory of target 3 is FUZZ_RUN (a smoke run; run_fuzz.sh sets it).
// Files are written to a private directory under TMPDIR (tmpfs when possible).
#define _XOPEN_SOURCE 700  // realpath
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect.h"
#include "h5io.h"
#include "lm.h"
#include "elodata.h"
#include "lmdata.h"
#include "onlinedata.h"
#include "params.h"
#include "pmdata.h"
#include "rdiff.h"
#include "results.h"
#include "rldata.h"
#include "segdata.h"
#include "stage.h"
#include "worldgen.h"

static char dir[512], file[600];
static Params smoke;
static FILE *devnull;
static int verbose;  // FUZZ_VERBOSE set: targets 6-9 print each input's error (seeds should read)

__attribute__((unused)) static int write_file(const char *path, const uint8_t *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(d, 1, n, f) : 0;
    return fclose(f) == 0 && w == n ? 0 : -1;
}

__attribute__((unused)) static char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long L = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)L + 1);
    *n = b && fread(b, 1, (size_t)L, f) == (size_t)L ? (size_t)L : 0;
    fclose(f);
    return b;
}

// Copy n files from[k] of directory src to the private directory as to[k],
// keeping their bytes (orig, n_orig) to restore after each input.
__attribute__((unused)) static void copy_in(const char *src, const char *const *from, const char *const *to,
                                            int n, char **orig, size_t *orig_n) {
    for (int k = 0; k < n; k++) {
        char s[1024], d[700];
        snprintf(s, sizeof s, "%s/%s", src, from[k]);
        snprintf(d, sizeof d, "%s/%s", dir, to[k]);
        if (!(orig[k] = read_all(s, &orig_n[k])) || !orig_n[k] || write_file(d, (uint8_t *)orig[k], orig_n[k])) {
            fprintf(stderr, "fuzz: cannot copy %s\n", s);
            abort();
        }
    }
}

#if FUZZ_TARGET == 3
// The files of the run the input may replace, and their original bytes.
static const char *SLOT[6] = {"world.h5", "pm/a.h5", "lm/xs.h5", "distill/xs.h5", "rl/a.h5",
                              "bon/a.h5"};
static const char *SRC[6] = {"world.h5", "pm/s_n400_h050_pmp1_s0.h5", "lm/xs.h5",
                             "distill/xs.h5", "rl/s_s_hh_s0.h5", "bon/s_s_hh_s0.h5"};
static char *orig[6];
static size_t orig_n[6];
#endif
#if FUZZ_TARGET >= 6
// The run files targets 6-9 copy (SRC6 of FUZZ_RUN to SLOT6 of the private
// directory) and replace with the input; their original bytes.
#if FUZZ_TARGET == 6
#define NSLOT 2
static const char *SLOT6[NSLOT] = {"elo/xs.h5", "elo/s.h5"};
#elif FUZZ_TARGET == 7
#define NSLOT 2
static const char *SLOT6[NSLOT] = {"online/xs_pm_s0_r1.h5", "online/xs_xs_hh_s0_r1.h5"};
#elif FUZZ_TARGET == 8
#define NSLOT 2
static const char *SLOT6[NSLOT] = {"segments/xs_s_s0.h5", "segments/s_s_s0.h5"};
#else
#define NSLOT 2
static const char *SLOT6[NSLOT] = {"world.h5", "lm/xs.h5"};
#endif
static char *orig6[NSLOT];
static size_t orig6_n[NSLOT];
static RunData rd6;  // just the run's params (no PMs)
#endif
#if FUZZ_TARGET == 5
static const char *RSLOT[3] = {"claims.csv", "tables.h5", "expected.tsv"};
static char *rorig[3];
static size_t rorig_n[3];
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR");
    if (!tmp) tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/hhsim_fuzz.XXXXXX", tmp);
    if (!mkdtemp(dir)) abort();
    snprintf(file, sizeof file, "%s/in.h5", dir);
    devnull = fopen("/dev/null", "w");
    verbose = getenv("FUZZ_VERBOSE") != NULL;
    h5_set_read_limit((size_t)64 << 20);  // stay far below the fuzzer's malloc limit
    HHErr e;
    // the stage-owned params sections ([evals], [elo], ...) as hhsim and hhfit add them
    if (stages_add_keys(stages_default(), &e) || params_load(&smoke, "params/smoke.ini", &e)) {
        fprintf(stderr, "fuzz: run from the source tree (params/smoke.ini): %s\n", e.msg);
        abort();
    }
#if FUZZ_TARGET == 3
    const char *run = getenv("FUZZ_RUN");
    if (!run) { fprintf(stderr, "fuzz: set FUZZ_RUN to a smoke run directory\n"); abort(); }
    static const char *SUB[5] = {"pm", "lm", "distill", "rl", "bon"};
    for (int k = 0; k < 5; k++) {
        char d[700];
        snprintf(d, sizeof d, "%s/%s", dir, SUB[k]);
        if (hh_mkdirs(d, &e)) abort();
    }
    copy_in(run, SRC, SLOT, 6, orig, orig_n);
#endif
#if FUZZ_TARGET == 5
    const char *res = getenv("FUZZ_RESULTS");
    if (!res) { fprintf(stderr, "fuzz: set FUZZ_RESULTS to hhfit's results of a smoke run\n"); abort(); }
    copy_in(res, RSLOT, RSLOT, 3, rorig, rorig_n);
#endif
#if FUZZ_TARGET >= 6
    const char *run6 = getenv("FUZZ_RUN");
    if (!run6) { fprintf(stderr, "fuzz: set FUZZ_RUN to a smoke run directory\n"); abort(); }
    // the slots' directory (elo/, online/, segments/ or, for target 9, lm/)
    // holds copies; every other entry of the run is a symbolic link to it, so
    // the inputs the files name (pipeline_file_current) are there unchanged
    const char *slotdir = FUZZ_TARGET == 6 ? "elo" : FUZZ_TARGET == 7 ? "online" : FUZZ_TARGET == 8 ? "segments" : "lm";
    char d6[700], abs6[PATH_MAX];
    snprintf(d6, sizeof d6, "%s/%s", dir, slotdir);
    if (hh_mkdirs(d6, &e) || !realpath(run6, abs6)) abort();
    DIR *rd = FUZZ_TARGET == 9 ? NULL : opendir(abs6);
    for (struct dirent *de; rd && (de = readdir(rd));) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, slotdir)) continue;
        char from[PATH_MAX + 300], to[1000];
        snprintf(from, sizeof from, "%s/%s", abs6, de->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, de->d_name);
        if (symlink(from, to)) abort();
    }
    if (rd) closedir(rd);
    copy_in(run6, SLOT6, SLOT6, NSLOT, orig6, orig6_n);
    rd6.params = smoke;
#endif
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    HHErr err;
    hh_err_clear(&err);
#if FUZZ_TARGET == 1
    if (write_file(file, data, size)) return 0;
    h5_inspect(file, devnull, &err);
#elif FUZZ_TARGET == 2
    if (size < 1 || write_file(file, data + 1, size - 1)) return 0;
    int which = data[0] % 5;
    if (which == 0) {
        WorldData d;
        if (worldgen_read(file, &smoke, &d, &err) == 0) worldgen_free(&d);
    } else {
        static const char *KIND[4] = {"lm", "distill", "pmp", "pm"};
        GPT *m = NULL;
        if (lm_load(file, KIND[which - 1], &smoke, data[0] & 0x80 ? "s" : "xs", 2, &m, &err) == 0)
            gpt_free(m);
    }
#elif FUZZ_TARGET == 3
    if (size < 1) return 0;
    int k = data[0] % 6;
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, SLOT[k]);
    if (write_file(path, data + 1, size - 1)) return 0;
    RunData rd;
    if (run_load(dir, &rd, &err) == 0) {
        LMData L;
        RLData D;
        if (lmd_load(dir, &L, &err) == 0) lmd_free(&L);
        if (rl_load(dir, &rd, &D, &err) == 0) rl_free(&D);
        run_free(&rd);
    }
    write_file(path, (uint8_t *)orig[k], orig_n[k]);
#elif FUZZ_TARGET == 4
    char *t = malloc(size + 1);
    if (!t) return 0;
    memcpy(t, data, size);
    t[size] = '\0';
    Params p;
    if (params_parse_text(&p, t, "fuzz.ini", &err) == 0) {
        char *s = params_to_text(&p, NULL);
        Params q;
        // what params_to_text prints parses back to the same params
        if (!s || params_parse_text(&q, s, "roundtrip", &err) != 0) abort();
        char *s2 = params_to_text(&q, NULL);
        if (!s2 || strcmp(s, s2) != 0) abort();
        free(s2);
        free(s);
    }
    free(t);
#elif FUZZ_TARGET == 5
    if (size < 1) return 0;
    int k = data[0] % 3;
    char path[700], exp[700];
    snprintf(path, sizeof path, "%s/%s", dir, RSLOT[k]);
    snprintf(exp, sizeof exp, "%s/expected.tsv", dir);
    if (write_file(path, data + 1, size - 1)) return 0;
    Results r;
    if (results_read(dir, RES_CLAIMS | RES_TABLES, &r, &err) == 0) {
        int bad, nd;
        check_compare(&r, exp, devnull, &bad, &err);
        rdiff(&r, &r, devnull, &nd, &err);
        results_free(&r);
    }
    write_file(path, (uint8_t *)rorig[k], rorig_n[k]);
#elif FUZZ_TARGET >= 6
    if (size < 1) return 0;
    int k = data[0] & 1;
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, SLOT6[FUZZ_TARGET == 6 ? (data[0] >> 1) & 1 : k]);
    if (write_file(path, data + 1, size - 1)) return 0;
#if FUZZ_TARGET == 6
    EloFile ef;
    if (eld_load_file(path, k ? &smoke : NULL, &ef, &err) == 0) eld_file_free(&ef);
#elif FUZZ_TARGET == 7
    ONData od;
    if (ond_load(dir, data[0] & 2 ? &rd6 : NULL, &od, &err) == 0) ond_free(&od);
#elif FUZZ_TARGET == 8
    SGData sd;
    if (sgd_load(dir, &smoke, &sd, &err) == 0) sgd_free(&sd);
#else
    LMData L;
    if (lmd_load_run(dir, data[0] & 2 ? &smoke : NULL, &L, &err) == 0) lmd_free(&L);
#endif
    if (verbose) fprintf(stderr, "fuzz: %s\n", err.code ? err.msg : "read");
    write_file(path, (uint8_t *)orig6[FUZZ_TARGET == 6 ? (data[0] >> 1) & 1 : k],
               orig6_n[FUZZ_TARGET == 6 ? (data[0] >> 1) & 1 : k]);
#else
#error "FUZZ_TARGET must be 1 to 9"
#endif
    return 0;
}
