// test_elo.c - the Elo tournaments (sim/stages/elo.h, analysis/elofit.h):
// the maximum-likelihood fit with its crossed bootstrap over prompts, judges
// and seeds recovers planted ratings (with between-seed variation) within
// their intervals; a judge-specific preference widens the interval (the
// judges are resampled); PM-predicted Elo of a constant score gap is 400 d / ln 10; the
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
    e->pmt = calloc((size_t)NSEED * 14 * 40, sizeof(double));
    e->npm_train = e->npm_test = NSEED;
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
    double wsum = 0;
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
            // ~60 Elo wide resampling prompts and seeds; resampling the judges too (a crossed
            // bootstrap) the match noise enters through both factors: wider, conservative
            snprintf(what, sizeof what, "%s %s interval width (about 100 Elo)", ELF_KIND_NAME[k], b.s[s].name);
            CHECK_NEAR(ci->hi - ci->lo, 105, 55, what);
            wsum += (ci->hi - ci->lo) / 10;
        }
    print_message("planted ratings covered by their 95%% intervals: %d of %d; mean width %.1f Elo\n",
                  covered, total, wsum);
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
    // judges: 4 per kind; judge 40 always picks the reference (contestant 13, planted 250) on helpfulness,
    // the others follow the planted ratings. Resampling the judges, the reference's interval
    // spans the share of that judge's matches (0 to 3 of 4 draws); resampling prompts and
    // seeds only it would be as narrow as the others'.
    planted(&e, truth, 40, r);
    for (long m = 0; m < e.M; m++) {
        e.mw[m] = 40 + (int)rng_below(r, 4);
        if (e.mkind[m] == 0 && e.mw[m] == 40 && e.mb[m] == 13) e.mwin[m] = 1;
    }
    assert_int_equal(elf_boot(&e, 300, rb, &b, &err), 0);
    int ref = elf_find(&b, "reference"), hh = elf_find(&b, "hh");
    assert_true(ref > 0 && hh > 0);
    double wr = b.crowd[0][ref].hi - b.crowd[0][ref].lo, wh = b.crowd[0][hh].hi - b.crowd[0][hh].lo;
    print_message("helpfulness: reference (one biased judge of 4) %.1f [%.1f, %.1f], hh interval width %.1f\n",
                  b.crowd[0][ref].est, b.crowd[0][ref].lo, b.crowd[0][ref].hi, wh);
    assert_true(wr > 2.0 * wh);
    // the estimate is pulled up by the biased judge; the truth (the others' view) stays inside
    // the interval, which reaches down to the resamples without that judge
    assert_true(b.crowd[0][ref].est > truth[0][13] + 30);
    assert_true(b.crowd[0][ref].lo < truth[0][13]);
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
    // held-out test PMs: their own scores (e->pmt), not the train PMs'
    for (size_t i = 0; i < (size_t)e.S * e.C * e.P; i++) e.pmt[i] = 0;
    for (int i = 0; i < e.P; i++) e.pmt[((size_t)2 * e.C + 6) * e.P + i] = -0.3;  // seed 2, contestant 6 (hh s2)
    CHECK_NEAR(elf_pm_elo_of(&e, e.pmt, 6, 0, NULL, NULL), -400 * 0.3 / log(10), 1e-9, "test PM Elo");
    CHECK_NEAR(elf_pm_elo_of(&e, e.pmt, 5, 1, NULL, NULL), 0, 1e-12, "test PM Elo, no gap");
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
static const char *fake_scale = "xs";  // the scale of the stand-in online stage's jobs
static int fake_list(const Params *p, const WorldData *d, JobList *l, HHErr *err) {
    (void)p, (void)d;
    for (int s = 0; s < 2; s++)
        for (int r = 0; r < 2; r++) {
            // the keys of sim/stages/online.c: a round's policy (scale, pm_scale, variant hh,
            // seed, round >= 1; a file of kind rl) and its data + PM job (variant pm)
            JobKey k;
            jobkey_init(&k);
            snprintf(k.scale, sizeof k.scale, "%s", fake_scale);
            snprintf(k.pm_scale, sizeof k.pm_scale, "%s", fake_scale);
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
    // + online 2 rounds x 2 seeds, the online lineage's baselines: hh_opm x 2 (xs against the xs
    // PM, not the largest s) and best-of-n 1/4/16 x 2 under the xs train PM
    CHECK_INT(sp->nc, 19, "contestants with 2 online rounds x 2 seeds");
    assert_string_equal(sp->merged, "");
    CHECK_INT(sp->has_opm, 1, "online PMs");
    int nopm = 0, nbo = 0;
    for (int i = 0; i < sp->nc; i++) {
        const ElContestant *c = &sp->c[i];
        if (c->type == ELT_HH_OPM) {
            nopm++;
            assert_string_equal(c->src.pm_scale, "xs");
            assert_string_equal(c->src.scale, "xs");
        }
        if (c->type == ELT_BON_OPM) {
            nbo++;
            if (c->n > 1) assert_string_equal(c->pm.scale, "xs");  // selected by the online lineage's PM
            else assert_string_equal(c->pm.scale, "");            // n = 1: no selection
        }
    }
    CHECK_INT(nopm, 2, "hh_opm contestants");
    CHECK_INT(nbo, 6, "bon_opm contestants");
    assert_string_equal(sp->pm[0].scale, "s");   // the hh runs' train PM: the largest PM scale
    assert_string_equal(sp->tpm[1].scale, "s");
    assert_int_equal(sp->tpm[1].half, 1);        // the test PM: the other data half
    assert_int_equal(sp->pm[1].half, 0);
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
    // online at the largest scale, whose own PM scale is the largest PM scale: hh_opm is hh and
    // bon_opm is bon (same pool, same PM; n = 1 in any case): merged, not played twice
    fake_scale = "s";
    assert_int_equal(elo_spec(&p, &d, with, "s", sp, &err), 0);
    fake_scale = "xs";
    CHECK_INT(sp->nc, 16, "largest scale with online: 12 + 4 online, the baselines merged");
    for (int i = 0; i < sp->nc; i++) assert_true(sp->c[i].type != ELT_HH_OPM && sp->c[i].type != ELT_BON_OPM);
    assert_non_null(strstr(sp->merged, "hh_opm_s0=hh_s0"));
    assert_non_null(strstr(sp->merged, "bon16_opm_s1=bon16_s1"));
    assert_non_null(strstr(sp->merged, "bon1_opm_s0=bon1_s0"));
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
