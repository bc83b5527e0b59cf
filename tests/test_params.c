// test_params.c - params parsing: defaults, round trip, and every bad input.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "params.h"
#include "stage.h"

static void test_defaults_round_trip(void **state) {
    (void)state;
    Params a, b;
    HHErr err;
    params_defaults(&a);
    char *text = params_to_text(&a, NULL);
    assert_non_null(text);
    if (params_parse_text(&b, text, "printed", &err) != 0) fail_msg("%s", err.msg);
    assert_memory_equal(&a, &b, sizeof a);
    free(text);
    // the printed form with docs (what provenance stores) parses back too:
    // every line fits the INI reader's line limit
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    params_print(&a, f, NULL);
    fclose(f);
    for (char *line = buf, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        if (!end) end = line + strlen(line) - 1;
        if (end - line > 190) fail_msg("printed line too long (%td): %.60s", end - line, line);
        if (!end[1]) break;
    }
    if (params_parse_text(&b, buf, "printed with docs", &err) != 0) fail_msg("%s", err.msg);
    assert_memory_equal(&a, &b, sizeof a);
    free(buf);
}

static void test_file_round_trip(void **state) {
    (void)state;
    const char *files[] = {"params/smoke.ini", "params/default.ini", "params/paper.ini"};
    for (int i = 0; i < 3; i++) {
        Params a, b;
        HHErr err;
        if (params_load(&a, files[i], &err) != 0) fail_msg("%s", err.msg);
        char *text = params_to_text(&a, NULL);
        if (params_parse_text(&b, text, "printed", &err) != 0) fail_msg("%s", err.msg);
        if (memcmp(&a, &b, sizeof a) != 0) fail_msg("%s does not round-trip", files[i]);
        free(text);
    }
}

static void test_values_parse(void **state) {
    (void)state;
    Params p;
    HHErr err;
    const char *t = "[run]\nseed = 18446744073709551615\n[world]\nredteam_frac = 0.25\n"
                    "task_weights = 1, 2,3,4 ,5,6\n[model]\nscale_names = a,b\nscale_layers = 1,2\n"
                    "scale_dmodel = 8,16\nscale_heads = 2,4\n[pretrain]\nscales = b,a\n[pm]\nscales = a\n"
                    "mixes =\n[rl]\npolicy_scales = b\nvariants = hh\n";
    if (params_parse_text(&p, t, "t.ini", &err) != 0) fail_msg("%s", err.msg);
    assert_true(p.seed == UINT64_MAX);
    assert_true(p.redteam_frac == 0.25);
    assert_int_equal(p.task_weights.n, 6);
    assert_true(p.task_weights.v[3] == 4.0);
    assert_int_equal(p.scale_names.n, 2);
    assert_string_equal(p.pt_scales.v[0], "b");
    assert_int_equal(params_scale_index(&p, "b"), 1);
    assert_int_equal(p.pm_mixes.n, 0);  // an empty list is allowed where min_n = 0
}

// Each bad input: the text, then substrings the one-line message must contain.
typedef struct {
    const char *text;
    const char *want[3];
} Bad;

static const Bad BAD[] = {
    {"[wrld]\nseed = 1\n", {"t.ini:2", "unknown section [wrld]", "did you mean [world]"}},
    {"[pretrain]\nscales = xs\n[pm]\nscales = xs,s\n", {"t.ini:4", "'s' is not pretrained", "[pretrain] scales"}},
    {"[pretrain]\nscales = xs,s\n[pm]\nscales = xs\n[rl]\npolicy_scales = m\n",
     {"t.ini:6", "'m' is not pretrained", "[pretrain] scales"}},
    {"[rl]\nbatch = 8\nminibatch = 16\n", {"t.ini:3", "minibatch", "need minibatch <= batch"}},
    {"[world]\nredteam_fraction = 0.2\n", {"t.ini:2", "unknown key 'redteam_fraction'",
                                           "did you mean 'redteam_frac'"}},
    {"[world]\nn_entities = many\n", {"t.ini:2", "n_entities", "not a whole number"}},
    {"[world]\nn_entities = 3.5\n", {"t.ini:2", "n_entities", "not a whole number"}},
    {"[world]\nredteam_frac = 1.5\n", {"t.ini:2", "out of range", "[0, 1]"}},
    {"[run]\nseed = -3\n", {"t.ini:2", "seed", "negative"}},
    {"[run]\nseed = 1\n\nseed = 2\n", {"t.ini:4", "duplicate key 'seed'", "line 2"}},
    {"[world]\ntask_weights = 1,2,3\n", {"t.ini:2", "task_weights", "exactly 6"}},
    {"[world]\nredteam_frac = nan\n", {"t.ini:2", "not a finite number", "redteam_frac"}},
    {"[world\nx = 1\n", {"t.ini:1", "syntax error", "[section]"}},
    {"[model]\nscale_layers = 1,2\n", {"scale_layers", "2 values for 5 scale_names", "t.ini:2"}},
    {"[model]\nscale_heads = 3,4,4,4,6\n", {"scale_heads", "do not divide", "t.ini:2"}},
    {"[pretrain]\nscales = xs,huge\n", {"t.ini:2", "'huge' is not a scale", "scale_names"}},
    {"[world]\nmin_args = 6\n", {"t.ini:2", "min_args", "max_args"}},
    {"[corpus]\npersona_weights = 0,0,0,0,0\n", {"t.ini:2", "persona_weights", "all zero"}},
    {"[model]\nscale_names = xs,x s\n", {"t.ini:2", "not a valid name", "scale_names"}},
    // issue 12: a section header and a key on one line; CR-only line endings
    {"[world]\nn_entities = 5\n[run] seed = 7\n", {"t.ini:3", "'seed = 7' after the section header [run]",
                                                  "alone on its"}},
    {"[run]\rseed = 7\r", {"t.ini:1", "carriage return without a newline", "LF or CRLF"}},
    {"[run]\nseed = 7\n[world]\rn_entities = 5\n", {"t.ini:3", "carriage return", "LF or CRLF"}},
    // issue 12: rules that failed only once the stages ran (NaN accuracies or a late exit)
    {"[crowd]\nn_help_test = 0\n", {"t.ini:2", "n_help_test", "[1, 100000000]"}},
    {"[crowd]\nn_harm_test = 0\n", {"t.ini:2", "n_harm_test", "[1, 100000000]"}},
    {"[crowd]\nn_help_train = 0\n", {"t.ini:2", "[crowd] n_help_train", "too few for [pm] sizes 250"}},
    {"[crowd]\nn_harm_train = 1000\n[pm]\nsizes = 250\n", {"t.ini:2", "[crowd] n_harm_train", "mix_total 2000 at mix 0"}},
    {"[crowd]\nn_help_train = 100\n[pm]\nsizes = 100,400\n",
     {"t.ini:4", "[pm] sizes: 400 at hh_frac = 0.5 needs 200 helpful", "n_help_train = 100"}},
    {"[pm]\nmix_total = 5000\n", {"t.ini:2", "[pm] mix_total: 5000", "n_help_train = 4000"}},
    {"[pm]\nmixes = 0,0.5\n", {"t.ini:2", "[pm] mixes: no 1", "variants = hh"}},
    {"[pm]\nmixes = 0,0.5\n[rl]\nvariants = helpful\n", {"t.ini:4", "[rl] variants", "add 1 to [pm] mixes"}},
    {"[world]\nn_test_prompts = 50\n", {"t.ini (default)", "[rl] eval_prompts: 64", "n_test_prompts = 50"}},
    {"[rl]\nbon_prompts = 2000\n", {"t.ini:2", "[rl] bon_prompts: 2000", "n_test_prompts = 1000"}},
    {"[pm]\nreadout = median\n", {"t.ini:2", "[pm] readout", "'median' is not a readout; allowed: eos, mean"}},
    {"[pm]\nreadout = eos,mean\n", {"t.ini:2", "[pm] readout", NULL}},
    {"[rl]\nstop_turn = 2\n", {"t.ini:2", "[rl] stop_turn", "[0, 1]"}},
    {"[distill]\neval_samples = 1001\n", {"t.ini:2", "[distill] eval_samples: 1001", "n_test_prompts"}},
};

// CRLF line endings parse like LF; a comment may follow a section header.
static void test_crlf(void **state) {
    (void)state;
    Params p;
    HHErr err;
    if (params_parse_text(&p, "[run] ; root\r\nseed = 7\r\n[world]\r\nn_entities = 5\r\n", "t.ini",
                          &err) != 0)
        fail_msg("%s", err.msg);
    assert_true(p.seed == 7);
    assert_int_equal(p.n_entities, 5);
    // RL switched off: the helpful variant needs no mix-1 PM
    if (params_parse_text(&p, "[pm]\nmixes = 0.5\n[rl]\npolicy_scales =\n", "t.ini", &err) != 0)
        fail_msg("%s", err.msg);
}

static void test_bad_inputs(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        Params p;
        HHErr err;
        hh_err_clear(&err);
        int rc = params_parse_text(&p, BAD[i].text, "t.ini", &err);
        if (rc != HH_EINPUT) fail_msg("case %zu: status %d, expected %d", i, rc, HH_EINPUT);
        for (int k = 0; k < 3 && BAD[i].want[k]; k++)
            if (!strstr(err.msg, BAD[i].want[k]))
                fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, BAD[i].want[k]);
        if (strchr(err.msg, '\n')) fail_msg("case %zu: message is not one line", i);
    }
}

static void test_bad_files(void **state) {
    (void)state;
    Params p;
    HHErr err;
    assert_int_equal(params_load(&p, "/nonexistent/x.ini", &err), HH_EINPUT);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_int_equal(params_load(&p, "params", &err), HH_EINPUT);
    assert_non_null(strstr(err.msg, "not a regular file"));
    char path[] = "/tmp/hhsim_binXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    fwrite("[run]\nseed = 1\n\0\x01\x02", 1, 18, f);
    fclose(f);
    assert_int_equal(params_load(&p, path, &err), HH_EINPUT);
    if (!strstr(err.msg, "not a text file") || !strstr(err.msg, ":3"))
        fail_msg("message: %s", err.msg);
    remove(path);
}

int main(void) {
    if (stages_add_keys(stages_default(), NULL)) return 1;  // stage-owned sections ([evals]) of the ini files
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_round_trip),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_values_parse),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_crlf),
    };
    return cmocka_run_group_tests_name("params", tests, NULL, NULL);
}
