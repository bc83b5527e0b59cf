// test_stage.c - the stage table: job keys and paths, the job graph, and a
// toy stage added through the table alone (its own module below, its own
// params section [toy], one analysis function) run inside `hhsim run`'s
// pipeline, with a chain of jobs (round r reads round r - 1).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <hdf5.h>

#include "h5io.h"
#include "jobs.h"
#include "pipeline.h"
#include "rl.h"
#include "stage.h"
#include "worldgen.h"

// ---------------------------------------------------------------------------
// job keys

static void test_stems(void **state) {
    (void)state;
    JobKey k;
    char s[160];
    jobkey_init(&k);
    snprintf(k.scale, sizeof k.scale, "s");
    k.n_train = 400, k.help_frac = 0.5, k.pmp = 1, k.seed = 0, k.half = 1;
    assert_int_equal(jobkey_stem(&k, s, sizeof s, NULL), 0);
    assert_string_equal(s, "s_n400_h050_pmp1_s0_half1");
    jobkey_init(&k);
    snprintf(k.scale, sizeof k.scale, "x_s");
    snprintf(k.pm_scale, sizeof k.pm_scale, "l");
    snprintf(k.variant, sizeof k.variant, "hh");
    assert_int_equal(jobkey_stem(&k, s, sizeof s, NULL), 0);
    assert_string_equal(s, "x_s_l_hh");  // best-of-n: no seed
    k.seed = 2, k.round = 3;
    assert_int_equal(jobkey_stem(&k, s, sizeof s, NULL), 0);
    assert_string_equal(s, "x_s_l_hh_s2_r3");
    HHErr err;
    assert_int_not_equal(jobkey_stem(&k, s, 8, &err), 0);  // does not fit: refused, not cut
}

// ---------------------------------------------------------------------------
// the job graph

static int order[16], n_order;

static int record(int i, void *ctx) {
    (void)ctx;
    order[n_order++] = i;
    return i == 2 ? JOB_STOPPED : 0;
}

static void test_graph_order(void **state) {
    (void)state;
    // 0 <- 1 <- 3; 2 (stops) <- 4; 5 alone with the highest priority
    int d1[] = {0}, d3[] = {1}, d4[] = {2};
    const int *deps[6] = {NULL, d1, NULL, d3, d4, NULL};
    int nd[6] = {0, 1, 0, 1, 1, 0};
    double prio[6] = {1, 1, 5, 1, 1, 9};
    JobGraph g = {.n = 6, .max_parallel = 1, .ndeps = nd, .deps = deps, .prio = prio};
    int stopped = -1;
    HHErr err;
    n_order = 0;
    assert_int_equal(jobs_run_graph(&g, record, NULL, &stopped, &err), 0);
    assert_int_equal(n_order, 5);  // 4 never starts: its input stopped
    int want[5] = {5, 2, 0, 1, 3};
    for (int i = 0; i < 5; i++) assert_int_equal(order[i], want[i]);
    assert_int_equal(stopped, 2);  // job 2, and job 4 that waited for it
}

// ---------------------------------------------------------------------------
// the toy stage: [toy] rounds and gain; round r writes value = value(r - 1) *
// gain + the number of corpus sequences of the world (round 0 from 0).

static const ParamDesc TOY_KEYS[] = {
    {"toy", "rounds", PT_INT, PARAMS_EXT(0), "3", 1, 10, 0, 0, "rounds of the toy stage"},
    {"toy", "gain", PT_DOUBLE, PARAMS_EXT(1), "0.5", 0, 10, 0, 0, "factor on the last round"},
};
static const char *const TOY_SECTIONS[] = {"run", "world", "corpus", "toy", NULL};
extern const StageDef STAGE_TOY;

static int toy_list(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    (void)d;
    for (int r = 0; r < (int)p->ext[0]; r++) {
        JobKey k, prev;
        jobkey_init(&k);
        k.round = r;
        prev = k;
        prev.round = r - 1;
        Job *j = joblist_add(l, &STAGE_TOY, &k, 1.0, NULL, 0, err);
        if (!j || (r > 0 && job_add_input(l, j, &STAGE_TOY, &prev, err))) return err->code;
    }
    return 0;
}

static int toy_run(const Params *p, const WorldData *d, const Job *j, const StageOpts *so,
                   HHErr *err) {
    (void)so;
    double prev = 0;
    if (j->key.round > 0) {
        JobKey k = j->key;
        k.round--;
        hid_t f;
        hsize_t n[1] = {1};
        void *v = NULL;
        const char *in = job_input_key(j, "toy", &k);
        if (!in || h5in_open(in, "toy", &f, err)) return HH_EINPUT;
        int rc = h5_read(f, in, "value", H5T_NATIVE_DOUBLE, 1, n, &v, err);
        H5Fclose(f);
        if (rc) return rc;
        prev = *(double *)v;
        free(v);
    }
    double value = prev * p->ext[1] + d->corpus.n;
    H5Out o;
    hsize_t n[1] = {1};
    if (job_mkdir(j, err) || h5out_create(&o, j->out, "toy", p, err)) return HH_EFAIL;
    if (jobkey_write(o.file, &j->key, err) ||
        h5_write(o.file, "value", H5T_NATIVE_DOUBLE, 1, n, &value, "count", "toy value", err)) {
        h5out_abort(&o);
        return HH_EFAIL;
    }
    return h5out_commit(&o, err);
}

const StageDef STAGE_TOY = {
    .name = "toy", .subdir = "toy", .kind = "toy", .summary = "a toy stage",
    .reads = "world.h5", .sections = TOY_SECTIONS, .list = toy_list, .run = toy_run,
    .keys = TOY_KEYS, .n_keys = 2};

// The analysis function: the last round's value, read back by the job key's
// fields stored in each file (not from the file names).
static double toy_analyse(const char *dir, int *rounds) {
    char path[600];
    double last = NAN;
    *rounds = 0;
    for (int r = 0; r < 10; r++) {
        snprintf(path, sizeof path, "%s/toy/r%d.h5", dir, r);
        hid_t f;
        HHErr err;
        if (access(path, F_OK) || h5in_open(path, "toy", &f, &err)) break;
        JobKey k;
        hsize_t n[1] = {1};
        void *v = NULL;
        if (!jobkey_read(f, path, &k, &err) && k.round == r &&
            !h5_read(f, path, "value", H5T_NATIVE_DOUBLE, 1, n, &v, &err))
            last = *(double *)v, (*rounds)++;
        free(v);
        H5Fclose(f);
    }
    return last;
}

static void say_none(void *ctx, const char *line) {
    (void)ctx;
    (void)line;
}

static void test_toy_stage(void **state) {
    (void)state;
    const StageDef *const *def = stages_default();
    const StageDef *table[16] = {def[0], &STAGE_TOY};
    int n = 2;
    for (int i = 1; def[i]; i++) table[n++] = def[i];
    table[n] = NULL;
    HHErr err;
    assert_int_equal(stages_add_keys(table, &err), 0);
    char dir[] = "/tmp/hhsim_toy_XXXXXX", ini[600];
    assert_non_null(mkdtemp(dir));
    snprintf(ini, sizeof ini, "%s/toy.ini", dir);
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    fputs("[run]\nseed = 3\n[world]\nn_train_prompts = 200\nn_test_prompts = 100\n"
          "[corpus]\nn_dialogues = 300\nn_documents = 100\n[crowd]\nn_help_train = 100\n"
          "n_help_test = 50\nn_harm_train = 100\nn_harm_test = 50\n[toy]\nrounds = 3\ngain = 0.5\n"
          // the later stages' counts must fit this small world (params cross_check)
          "[distill]\neval_samples = 50\n[pm]\nsizes = 100\nmix_total = 100\n"
          "[rl]\neval_prompts = 50\nbon_prompts = 50\n", f);
    fclose(f);
    Params p;
    assert_int_equal(params_load(&p, ini, &err), 0);
    assert_true(p.ext[0] == 3 && p.ext[1] == 0.5);
    PipelineOpts o = {.jobs = 2, .quiet = 1, .until = "toy", .say = say_none};
    if (pipeline_run(&p, dir, table, &o, &err)) fail_msg("%s", err.msg);
    int rounds;
    double v = toy_analyse(dir, &rounds), c = 400;  // corpus: 300 dialogues + 100 documents
    assert_int_equal(rounds, 3);
    assert_true(fabs(v - (c + 0.5 * (c + 0.5 * c))) < 1e-9);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), -1);
    char lm[700];
    snprintf(lm, sizeof lm, "%s/lm", dir);
    assert_int_equal(stat(lm, &st), -1);  // --until toy: nothing after it ran
    // params text of [toy] is in the skip rule: a new gain reruns the chain
    char *text = params_to_text(&p, "toy");
    assert_non_null(strstr(text, "gain = 0.5"));
    free(text);
    p.ext[1] = 2;
    if (pipeline_run(&p, dir, table, &o, &err)) fail_msg("%s", err.msg);
    v = toy_analyse(dir, &rounds);
    assert_true(fabs(v - (c + 2 * (c + 2 * c))) < 1e-9);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

// [rl] eval_schedule: log (eval_per_octave per doubling, rounded, distinct) and linear.
static void test_rl_schedule(void **state) {
    (void)state;
    HHErr err;
    Params p;
    long it[64];
    assert_int_equal(params_parse_text(&p, "[rl]\niters = 100\n", "t", &err), 0);
    static const long LOG2[] = {0, 1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 91, 100};
    int n = rl_eval_iters(&p, it, 64);
    assert_int_equal(n, 15);
    for (int i = 0; i < n; i++) assert_int_equal(it[i], LOG2[i]);
    assert_int_equal(params_parse_text(&p, "[rl]\niters = 20\neval_per_octave = 1\n", "t", &err), 0);
    static const long LOG1[] = {0, 1, 2, 4, 8, 16, 20};
    assert_int_equal(rl_eval_iters(&p, it, 64), 7);
    for (int i = 0; i < 7; i++) assert_int_equal(it[i], LOG1[i]);
    assert_int_equal(rl_eval_iters(&p, NULL, 0), 7);  // the count alone
    assert_int_equal(params_parse_text(&p, "[rl]\niters = 20\neval_schedule = linear\neval_every = 7\n", "t", &err), 0);
    static const long LIN[] = {0, 7, 14, 20};
    assert_int_equal(rl_eval_iters(&p, it, 64), 4);
    for (int i = 0; i < 4; i++) assert_int_equal(it[i], LIN[i]);
    assert_int_equal(params_parse_text(&p, "[rl]\niters = 1\n", "t", &err), 0);
    assert_int_equal(rl_eval_iters(&p, it, 64), 2);  // 0 and the last
    assert_int_equal(params_parse_text(&p, "[rl]\neval_schedule = cubic\n", "t", &err), HH_EINPUT);
    assert_non_null(strstr(err.msg, "allowed: log, linear"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stems),
        cmocka_unit_test(test_graph_order),
        cmocka_unit_test(test_toy_stage),
        cmocka_unit_test(test_rl_schedule),
    };
    return cmocka_run_group_tests_name("stage", tests, NULL, NULL);
}
