// test_elo.c - the Elo tournaments (sim/stages/elo.h, analysis/elofit.h):
// the maximum-likelihood fit with its bootstrap over prompts and seeds
// recovers planted ratings (with between-seed variation) within their
// intervals; PM-predicted Elo of a constant score gap is 400 d / ln 10; the
// held-out judging pool is disjoint from the PM workers and drawn the same
// way; the contestant list takes an online stage's jobs when the stage table
// has one.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "crowd.h"
#include "elo.h"
#include "elofit.h"
#include "rng.h"
#include "stage.h"
#include "stats.h"
#include "worldgen.h"

// A synthetic tournament: distill (pin, 0), anchor-free; helpful, hh (3
// seeds each), bon1/bon16 (3 seeds), reference; truth[kind][contestant].
enum { NSEED = 3 };

static void planted(EloFile *e, double truth[2][32], int Mp, gsl_rng *r) {
    static const int TYPE[] = {ELT_DISTILL, ELT_HELPFUL, ELT_HELPFUL, ELT_HELPFUL, ELT_HH, ELT_HH,
                               ELT_HH, ELT_BON, ELT_BON, ELT_BON, ELT_BON, ELT_BON, ELT_BON, ELT_REF};
    // series means per kind (helpfulness, harmlessness) and the per-seed offsets
    static const double MEAN[2][7] = {{0, 120, 60, -10, 90, 250, 0}, {0, -80, 70, 5, 60, 200, 0}};
    static const double OFF[NSEED] = {-15, 5, 10};
    memset(e, 0, sizeof *e);
    e->C = 14, e->P = 40, e->S = NSEED, e->pin = 0;
    snprintf(e->scale, sizeof e->scale, "m");
    e->type = malloc(14), e->seed = malloc(4 * 14), e->round = malloc(4 * 14), e->n = malloc(4 * 14);
    for (int c = 0; c < 14; c++) {
        e->type[c] = (int8_t)TYPE[c];
        e->round[c] = -1;
        int seeded = TYPE[c] != ELT_DISTILL && TYPE[c] != ELT_REF;
        e->seed[c] = seeded ? (c - 1) % NSEED : -1;
        e->n[c] = TYPE[c] == ELT_BON ? (c < 10 ? 1 : 16) : -1;
        int ser = c == 0 ? 0 : c < 4 ? 1 : c < 7 ? 2 : c < 10 ? 3 : c < 13 ? 4 : 5;
        for (int k = 0; k < 2; k++) truth[k][c] = MEAN[k][ser] + (seeded ? OFF[e->seed[c]] : 0);
    }
    e->pkind = malloc(40);
    for (int i = 0; i < 40; i++) e->pkind[i] = (int8_t)(i < 20 ? 0 : 2);
    e->pms = calloc((size_t)NSEED * 14 * 40, sizeof(double));
    e->M = 2L * 14 * 13 / 2 * Mp;
    e->mkind = malloc(e->M), e->mwin = malloc(e->M);
    e->ma = malloc(2 * e->M), e->mb = malloc(2 * e->M), e->mp = malloc(4 * e->M), e->mw = malloc(4 * e->M);
    long m = 0;
    for (int k = 0; k < 2; k++)
        for (int a = 0; a < 14; a++)
            for (int b = a + 1; b < 14; b++)
                for (int q = 0; q < Mp; q++, m++) {
                    e->mkind[m] = (int8_t)k, e->ma[m] = (int16_t)a, e->mb[m] = (int16_t)b;
                    e->mp[m] = 20 * k + (int)rng_below(r, 20);
                    e->mw[m] = 40 + (int)rng_below(r, 20);
                    e->mwin[m] = gsl_rng_uniform(r) >= stats_elo_prob(truth[k][a] - truth[k][b]);
                }
}

static void test_recovers_planted(void **state) {
    (void)state;
    gsl_rng *r = rng_stream_alloc(5, "test_elo", "planted");
    EloFile e;
    double truth[2][32];
    planted(&e, truth, 40, r);
    EloBoot b;
    HHErr err;
    gsl_rng *rb = rng_stream_alloc(5, "test_elo", "boot");
    assert_int_equal(elf_boot(&e, 300, rb, &b, &err), 0);
    CHECK_INT(b.ns, 6, "series: distill, helpful, hh, bon1, bon16, reference");
    int covered = 0, total = 0;
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < b.ns; s++) {
            double want = 0;
            for (int j = 0; j < b.s[s].nm; j++) want += truth[k][b.s[s].member[j]] / b.s[s].nm;
            const StatsCI *ci = &b.crowd[k][s];
            if (s == 0) {  // the pin
                CHECK_NEAR(ci->est, 0, 0, "pinned distilled model");
                continue;
            }
            total++;
            covered += ci->lo <= want && want <= ci->hi;
            char what[96];
            snprintf(what, sizeof what, "%s %s within 4 sd of the truth", ELF_KIND_NAME[k], b.s[s].name);
            CHECK_NEAR(ci->est, want, 4 * ci->se + 1, what);
            snprintf(what, sizeof what, "%s %s interval width (a few tens of Elo)", ELF_KIND_NAME[k], b.s[s].name);
            CHECK_NEAR(ci->hi - ci->lo, 60, 55, what);
        }
    print_message("planted ratings covered by their 95%% intervals: %d of %d\n", covered, total);
    assert_true(covered >= total - 2);
    elf_boot_free(&b);
    // without matches on a kind's prompts the truth is not recovered: a broken
    // fit (winner flipped) lands far outside the intervals
    for (long m = 0; m < e.M; m++) e.mwin[m] = !e.mwin[m];
    assert_int_equal(elf_boot(&e, 50, rb, &b, &err), 0);
    int s = elf_find(&b, "bon16");
    assert_true(s > 0);
    assert_true(b.crowd[0][s].hi < 0);  // planted +90: flipped, it is rated below the pin
    elf_boot_free(&b);
    eld_file_free(&e);
    gsl_rng_free(r);
    gsl_rng_free(rb);
}

static void test_pm_elo(void **state) {
    (void)state;
    gsl_rng *r = rng_stream_alloc(5, "test_elo", "pm");
    EloFile e;
    double truth[2][32];
    planted(&e, truth, 2, r);
    // PM seed u scores contestant c at (c * 0.1 + u) on every prompt: gap to the pin c * 0.1
    for (int u = 0; u < e.S; u++)
        for (int c = 0; c < e.C; c++)
            for (int i = 0; i < e.P; i++) e.pms[((size_t)u * e.C + c) * e.P + i] = c * 0.1 + u;
    for (int c = 0; c < e.C; c++)
        for (int k = 0; k < 2; k++)
            CHECK_NEAR(elf_pm_elo(&e, c, k, NULL, NULL), 400 * c * 0.1 / log(10), 1e-9, "PM Elo = 400 d / ln 10");
    // a seeded contestant is judged by its own seed's PM only
    e.pms[((size_t)1 * e.C + 4) * e.P + 0] = 50;  // seed 1 PM, contestant 4 (hh seed 0): ignored
    CHECK_NEAR(elf_pm_elo(&e, 4, 0, NULL, NULL), 400 * 0.4 / log(10), 1e-9, "own seed's PM");
    e.pms[((size_t)0 * e.C + 4) * e.P + 0] = 50;  // seed 0 PM: counts (one of 20 help prompts)
    double p = (19 * (1 / (1 + exp(-0.4))) + 1 / (1 + exp(-50.0))) / 20;
    CHECK_NEAR(elf_pm_elo(&e, 4, 0, NULL, NULL), 400 * log10(p / (1 - p)), 1e-9, "own seed's PM, changed");
    eld_file_free(&e);
    gsl_rng_free(r);
}

static void test_judges_held_out(void **state) {
    (void)state;
    Params p;
    HHErr err;
    params_defaults(&p);
    Crowd main, pool, again;
    assert_int_equal(crowd_init(&main, &p, &err), 0);
    assert_int_equal(crowd_init_pool(&pool, &p, "crowd/elo_workers", 30, p.n_workers, &err), 0);
    assert_int_equal(crowd_init_pool(&again, &p, "crowd/elo_workers", 30, p.n_workers, &err), 0);
    for (int i = 0; i < pool.n; i++) {
        assert_true(pool.w[i].id >= main.n);  // no id of a PM-data worker
        assert_int_equal(pool.w[i].role, i % 2);
        assert_true(pool.w[i].temperature == again.w[i].temperature);  // deterministic
    }
    // drawn from its own stream: not a copy of the main population
    int same = 0;
    for (int i = 0; i < pool.n && i < main.n; i++) same += pool.w[i].temperature == main.w[i].temperature;
    CHECK_INT(same, 0, "pool temperatures equal to main-population ones");
    // drawn the same way: median temperature near [crowd] temp_median (log sd temp_spread)
    double lt = 0;
    for (int i = 0; i < pool.n; i++) lt += log(pool.w[i].temperature) / pool.n;
    CHECK_NEAR(lt, log(p.temp_median), 4 * p.temp_spread / sqrt(pool.n), "mean log temperature");
    assert_int_not_equal(crowd_init_pool(&again, &p, "x", 1, 0, &err), 0);
    crowd_free(&main), crowd_free(&pool), crowd_free(&again);
}

// ---------------------------------------------------------------------------
// the contestant list with a stand-in online stage

static const StageDef FAKE_ONLINE;
static int fake_list(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    (void)p, (void)d;
    for (int s = 0; s < 2; s++)
        for (int r = 0; r < 2; r++) {
            // the keys of sim/stages/online.c: a round's policy (scale, pm_scale, variant hh,
            // seed, round >= 1; a file of kind rl) and its data + PM job (variant pm)
            JobKey k;
            jobkey_init(&k);
            snprintf(k.scale, sizeof k.scale, "xs");
            snprintf(k.pm_scale, sizeof k.pm_scale, "xs");
            snprintf(k.variant, sizeof k.variant, "hh");
            k.seed = s, k.round = r + 1;
            if (!joblist_add(l, &FAKE_ONLINE, &k, 1, NULL, 0, err)) return err->code;
            k.pm_scale[0] = '\0';
            snprintf(k.variant, sizeof k.variant, "pm");  // another job of the stage (a round's PM): not a contestant
            if (!joblist_add(l, &FAKE_ONLINE, &k, 1, NULL, 0, err)) return err->code;
        }
    return 0;
}
static const StageDef FAKE_ONLINE = {.name = "online", .subdir = "online", .kind = "online",
                                     .list = fake_list, .has_model = 1};

static void test_contestants(void **state) {
    (void)state;
    HHErr err = {0};
    Params p;
    const char *ini = "[run]\nseed = 3\n[world]\nn_train_prompts = 200\nn_test_prompts = 100\n"
                      "[corpus]\nn_dialogues = 300\nn_documents = 100\n[distill]\neval_samples = 50\n[crowd]\nn_help_train = 400\n"
                      "n_help_test = 50\nn_harm_train = 400\nn_harm_test = 50\n[pretrain]\nscales = xs,s\n"
                      "[pm]\nscales = xs,s\nsizes = 100,200\nmixes = 0,1\nmix_total = 200\nseeds = 2\n"
                      "mix_seeds = 2\n[rl]\npolicy_scales = xs,s\nseeds = 2\neval_prompts = 50\nbon_prompts = 50\n[elo]\nbon_max = 16\n";
    if (params_parse_text(&p, ini, "test_elo.ini", &err)) print_message("%s\n", err.msg);
    assert_int_equal(err.code, 0);
    WorldData d;
    assert_int_equal(worldgen_build(&p, &d, &err), 0);
    ElSpec *sp = malloc(sizeof *sp);
    const StageDef *with[] = {&STAGE_WORLD, &FAKE_ONLINE, NULL}, *without[] = {&STAGE_WORLD, NULL};
    assert_int_equal(elo_spec(&p, &d, without, "xs", sp, &err), 0);
    // distill, anchor (s is the largest policy), helpful x2, hh x2, reference (best-of-n: largest scale only)
    CHECK_INT(sp->nc, 7, "contestants without an online stage");
    CHECK_INT(sp->c[1].type, ELT_ANCHOR, "the anchor");
    assert_string_equal(sp->c[1].scale, "s");
    CHECK_INT(sp->nseeds, 2, "PM seeds");
    assert_int_equal(elo_spec(&p, &d, with, "xs", sp, &err), 0);
    CHECK_INT(sp->nc, 11, "contestants with 2 online rounds x 2 seeds");
    int on = 0;
    for (int i = 0; i < sp->nc; i++)
        if (sp->c[i].type == ELT_ONLINE) {
            on++;
            assert_ptr_equal(sp->c[i].stage, &FAKE_ONLINE);
            assert_true(sp->c[i].round >= 1 && sp->c[i].seed >= 0);
        }
    CHECK_INT(on, 4, "online contestants");
    assert_int_equal(elo_spec(&p, &d, with, "s", sp, &err), 0);  // no online jobs of scale s
    // distill, helpful x2, hh x2, bon 1/4/16 x2, reference
    CHECK_INT(sp->nc, 12, "contestants of the largest scale (no anchor, no online; best-of-n)");
    for (int i = 0; i < sp->nc; i++) assert_int_not_equal(sp->c[i].type, ELT_ANCHOR);
    free(sp);
    worldgen_free(&d);
}

int main(void) {
    HHErr err;
    if (stages_add_keys(stages_default(), &err)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovers_planted),
        cmocka_unit_test(test_pm_elo),
        cmocka_unit_test(test_judges_held_out),
        cmocka_unit_test(test_contestants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
