// test_lmfit.c - hhfit's language-model analysis (analysis/lmdata.h,
// lmreport.h, lmclaims.h) on synthetic lm/, distill/ and world.h5 files with
// planted numbers: parameter counts against the transformer's own buffer,
// every table value read back from tables.h5 against the planted value, the
// held-out-loss slope and the distillation statistics with their verdicts,
// a run without LM files (tables marked missing, claims PENDING), and bad
// files refused with HH_EINPUT naming the file and the dataset. The Wilson
// and MOVER intervals are checked against Newcombe (1998), Table II, example (a).
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "check.h"
#include "claims.h"
#include "gpt.h"
#include "h5io.h"
#include "lmclaims.h"
#include "lmdata.h"
#include "lmreport.h"
#include "stats.h"
#include "table.h"

// ---------------------------------------------------------------------------
// parameter counts and intervals

static void test_param_count(void **state) {
    (void)state;
    static const int CFG[4][3] = {{1, 16, 2}, {2, 32, 4}, {2, 64, 4}, {4, 128, 4}};  // L, C, heads
    for (int i = 0; i < 4; i++) {
        GPTConfig c = {CFG[i][0], CFG[i][1], CFG[i][2], 64, 64};
        HHErr err;
        GPT *m = gpt_alloc(&c, 1, &err);
        assert_non_null(m);
        double ne, n = lmd_count_params(c.n_layer, c.d_model, c.ctx, c.vocab, &ne);
        CHECK_NEAR(n, (double)m->num_params, 0, "parameters = the model buffer");
        double emb = (double)(c.vocab + c.ctx) * c.d_model, heads = 2.0 * c.d_model + 2;
        CHECK_NEAR(ne, n - emb - heads, 0, "non-embedding parameters");
        gpt_free(m);
    }
    CHECK_NEAR(lmd_count_params(1, 16, 64, 64, NULL), 5394, 0, "xs (the PM tables' count)");
}

static void test_intervals(void **state) {
    (void)state;
    double lo, hi, lo2, hi2;
    HHErr err;
    assert_int_equal(stats_wilson_mean(0.25, 100, 0.95, &lo, &hi, &err), 0);
    assert_int_equal(stats_wilson(25, 100, 0.95, &lo2, &hi2, &err), 0);
    CHECK_NEAR(lo, lo2, 0, "Wilson of a mean = Wilson of the count");
    CHECK_NEAR(hi, hi2, 0, "Wilson of a mean = Wilson of the count");
    assert_int_equal(stats_wilson_mean(1.5, 10, 0.95, &lo, &hi, &err), HH_EINPUT);
    assert_int_equal(stats_wilson_mean(0.5, 0, 0.95, &lo, &hi, &err), HH_EINPUT);
    // Newcombe 1998, example (a): 56/70 - 48/80 = 0.2, method 10: 0.0524 to 0.3339
    double est[2] = {56.0 / 70, 48.0 / 80}, L[2], H[2], c[2] = {1, -1};
    stats_wilson(56, 70, 0.95, &L[0], &H[0], &err);
    stats_wilson(48, 80, 0.95, &L[1], &H[1], &err);
    StatsCI ci;
    assert_int_equal(stats_mover(2, c, est, L, H, &ci, &err), 0);
    CHECK_NEAR(ci.est, 0.2, 1e-12, "difference");
    CHECK_NEAR(ci.lo, 0.0524, 5e-5, "Newcombe lower");
    CHECK_NEAR(ci.hi, 0.3339, 5e-5, "Newcombe upper");
    double bad_lo[2] = {0.9, 0.5};  // lo above the estimate
    assert_int_equal(stats_mover(2, c, est, bad_lo, H, &ci, &err), HH_EINPUT);
}

// ---------------------------------------------------------------------------
// synthetic run

enum { NS = 3, NPT = 3 };
static const char *SC[NS] = {"a", "b", "c"};
static const int LAYERS[NS] = {1, 1, 2}, WIDTH[NS] = {8, 16, 16};
static const double EV_N[N_KINDS] = {100, 40, 60, 20};
static const double EV_HELP[N_KINDS] = {0.25, 0.5, 0.1, 0.2};
static const double EV_HARM[N_KINDS] = {0, 0, 0.3, 0.6};
static const double EV_REFUSE[N_KINDS] = {0.1, 0.25, 0.5, 0.45};  // whole counts of EV_N
static const double HHH_HELP[4] = {0.9, 0.8, 0.7, 1.0};           // HHH persona on benign prompts

static double planted_loss(int s) {  // held-out loss = 3 - 0.1 log10(P)
    return 3.0 - 0.1 * log10(lmd_count_params(LAYERS[s], WIDTH[s], 16, 64, NULL));
}
static double help_of(int s, int row) {  // benign help: base 0.2, prefixed 0.4, distilled 0.3, + 0.1 s
    return (row == DI_BASE ? 0.2 : row == DI_PREFIXED ? 0.4 : 0.3) + 0.1 * s;
}
static double harm_of(int row) {  // red-team and disguised harm
    return row == DI_BASE ? 0.5 : row == DI_PREFIXED ? 0.1 : 0.2;
}

// The knowledge base of the synthetic world: KB_E entities, KB_R relations,
// popularity ranks a permutation.
enum { KB_E = 8, KB_R = 2 };
static const int32_t KB_RANK[KB_E] = {3, 0, 7, 1, 6, 2, 5, 4};

typedef struct {
    const char *scale_attr;  // /model scale (NULL: the file's scale)
    const char *skip;        // a dataset not written, e.g. "eval/help"
    double bad_help;         // > 0: /eval/help[0] of the last row set to it
} Fault;

static void put(hid_t f, const char *name, int rank, const hsize_t *d, const double *v, const Fault *ft) {
    HHErr err;
    if (ft && ft->skip && !strcmp(ft->skip, name)) return;
    assert_int_equal(h5_write(f, name, H5T_NATIVE_DOUBLE, rank, d, v, "u", "d", &err), 0);
}

static void write_model(const char *dir, int s, int distill, const Fault *ft) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s.h5", dir, distill ? "distill" : "lm", SC[s]);
    Params p;
    params_defaults(&p);
    H5Out o;
    HHErr err;
    assert_int_equal(h5out_create(&o, path, distill ? "distill" : "lm", &p, &err), 0);
    hid_t g = h5_group(o.file, "model", &err);
    assert_true(g >= 0);
    H5Gclose(g);
    static const char *A[5] = {"n_layer", "d_model", "n_head", "ctx", "vocab"};
    int v[5] = {LAYERS[s], WIDTH[s], 2, 16, 64};
    for (int k = 0; k < 5; k++) assert_int_equal(h5_attr_int(o.file, "model", A[k], v[k], &err), 0);
    assert_int_equal(h5_attr_str(o.file, "model", "scale", ft && ft->scale_attr ? ft->scale_attr : SC[s], &err), 0);
    double step[NPT] = {10, 20, 30}, tok[NPT] = {1000, 2000, 3000}, tr[NPT], ho[NPT];
    for (int i = 0; i < NPT; i++) tr[i] = 2.5 - 0.1 * i - 0.01 * s, ho[i] = planted_loss(s) + 0.2 * (NPT - 1 - i);
    hsize_t d1 = NPT;
    put(o.file, "curve/step", 1, &d1, step, ft), put(o.file, "curve/tokens", 1, &d1, tok, ft);
    put(o.file, distill ? "curve/kl" : "curve/train_loss", 1, &d1, tr, ft);
    if (!distill) put(o.file, "curve/heldout_loss", 1, &d1, ho, ft);
    int rows = distill ? DI_NROW : 1;
    double ev[LMD_NSTAT][DI_NROW * N_KINDS];
    for (int r = 0; r < rows; r++)
        for (int k = 0; k < N_KINDS; k++) {
            int at = r * N_KINDS + k;
            ev[LMD_N][at] = EV_N[k], ev[LMD_REFUSE][at] = EV_REFUSE[k];
            ev[LMD_HELP][at] = distill && k == KIND_BENIGN ? help_of(s, r) : EV_HELP[k];
            ev[LMD_HARM][at] = distill && k >= KIND_REDTEAM ? harm_of(r) : EV_HARM[k];
        }
    if (ft && ft->bad_help > 0) ev[LMD_HELP][(rows - 1) * N_KINDS] = ft->bad_help;
    hsize_t d2[2] = {(hsize_t)rows, N_KINDS};
    for (int q = 0; q < LMD_NSTAT; q++) {
        char nm[32];
        snprintf(nm, sizeof nm, "eval/%s", LMD_STAT_NAME(q));
        put(o.file, nm, rows == 1 ? 1 : 2, rows == 1 ? d2 + 1 : d2, ev[q], ft);
    }
    if (!distill) {
        double tn[N_TASKS] = {20, 20, 20, 40, 0}, th[N_TASKS] = {0.5, 0.25, 0.75, 0.125, 0};
        hsize_t dt = N_TASKS;
        put(o.file, "eval/task_n", 1, &dt, tn, ft), put(o.file, "eval/task_help", 1, &dt, th, ft);
        // planted recall: scale s knows every fact of the entities ranked below 2 (s + 1)
        uint8_t facts[KB_E * (KB_R + 1)];
        for (int e = 0; e < KB_E; e++)
            for (int r = 0; r <= KB_R; r++) facts[e * (KB_R + 1) + r] = KB_RANK[e] < 2 * (s + 1);
        hsize_t df[2] = {KB_E, KB_R + 1};
        if (!(ft && ft->skip && !strcmp(ft->skip, "eval/facts")))
            assert_int_equal(h5_write(o.file, "eval/facts", H5T_NATIVE_UINT8, 2, df, facts, "bool",
                                      "d", &err), 0);
    }
    assert_int_equal(h5out_commit(&o, &err), 0);
}

// world.h5 with held-out comparisons: helpful set 4 benign pairs (HHH chosen,
// sloppy rejected), harmless set 2 red-team pairs (HHH chosen, complier rejected).
static void write_world(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/world.h5", dir);
    Params p;
    params_defaults(&p);
    H5Out o;
    HHErr err;
    assert_int_equal(h5out_create(&o, path, "world", &p, &err), 0);
    int32_t rel[KB_E * KB_R] = {0};
    hsize_t dk[2] = {KB_E, KB_R}, de = KB_E;
    assert_int_equal(h5_write(o.file, "kb/relation", H5T_NATIVE_INT32, 2, dk, rel, "u", "d", &err), 0);
    assert_int_equal(h5_write(o.file, "kb/rank", H5T_NATIVE_INT32, 1, &de, KB_RANK, "u", "d", &err), 0);
    static const uint8_t HAZ[KB_E] = {1, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(h5_write(o.file, "kb/hazard", H5T_NATIVE_UINT8, 1, &de, HAZ, "u", "d", &err), 0);
    for (int set = 0; set < 2; set++) {
        int n = set ? 2 : 4;
        int8_t kind[4], pc[4], pr[4];
        double hc[4], hr[4], xc[4], xr[4];
        for (int i = 0; i < n; i++) {
            kind[i] = set ? KIND_REDTEAM : KIND_BENIGN, pc[i] = PERSONA_HHH;
            pr[i] = set ? PERSONA_COMPLIER : PERSONA_SLOPPY;
            hc[i] = set ? 0.2 : HHH_HELP[i], hr[i] = set ? 1 : 0.1, xc[i] = 0, xr[i] = set;
        }
        const void *col[7] = {kind, pc, pr, hc, hr, xc, xr};
        static const char *NM[7] = {"kind", "persona_chosen", "persona_rejected", "help_chosen",
                                    "help_rejected", "harm_chosen", "harm_rejected"};
        for (int q = 0; q < 7; q++) {
            char nm[96];
            hsize_t d = (hsize_t)n;
            snprintf(nm, sizeof nm, "comparisons/%s/test/%s", set ? "harmless" : "helpful", NM[q]);
            assert_int_equal(h5_write(o.file, nm, q < 3 ? H5T_NATIVE_INT8 : H5T_NATIVE_DOUBLE, 1, &d, col[q],
                                      "u", "d", &err), 0);
        }
    }
    assert_int_equal(h5out_commit(&o, &err), 0);
}

static void make_run(char *dir, size_t n) {
    snprintf(dir, n, "/tmp/hhsim_lmfit.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char sub[600];
    HHErr err;
    snprintf(sub, sizeof sub, "%s/lm", dir), assert_int_equal(hh_mkdirs(sub, &err), 0);
    snprintf(sub, sizeof sub, "%s/distill", dir), assert_int_equal(hh_mkdirs(sub, &err), 0);
    for (int s = NS - 1; s >= 0; s--) write_model(dir, s, 0, NULL), write_model(dir, s, 1, NULL);
    write_world(dir);
}

static void rm_run(const char *dir) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

// Column `col` of table `t` in f (numbers; strings into s when s != NULL). Returns the row count.
static int column(hid_t f, const char *t, const char *col, double *v, char (*s)[TAB_STR_LEN], int max) {
    hsize_t nf, nr;
    if (H5TBget_table_info(f, t, &nf, &nr) < 0 || (int)nr > max) return -1;
    hid_t d = H5Dopen2(f, t, H5P_DEFAULT);
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, TAB_STR_LEN);
    hid_t mt = H5Tcreate(H5T_COMPOUND, s ? TAB_STR_LEN : sizeof(double));
    H5Tinsert(mt, col, 0, s ? str : H5T_NATIVE_DOUBLE);
    herr_t st = H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, s ? (void *)s : (void *)v);
    H5Tclose(mt), H5Tclose(str), H5Dclose(d);
    return st < 0 ? -1 : (int)nr;
}

static Verdict verdict_of(const LMData *D, const char *stat, const char *crit, ClaimStat *st) {
    ClaimRow row;
    memset(&row, 0, sizeof row);
    snprintf(row.statistic, sizeof row.statistic, "%s", stat);
    snprintf(row.criterion, sizeof row.criterion, "%s", crit);
    HHErr err;
    assert_int_equal(lmclaims_compute(D, &row, st, &err), 0);
    ClaimResult res;
    claims_decide(&row, 1, st, &res);
    return res.verdict;
}

// Run the LM report of D into dir/res/tables.h5; returns the open file.
static hid_t report(const char *dir, const LMData *D, int *nscripts) {
    char out[600], path[700];
    snprintf(out, sizeof out, "%s/res", dir);
    HHErr err;
    assert_int_equal(hh_mkdirs(out, &err), 0);
    snprintf(path, sizeof path, "%s/tables.h5", out);
    OutSet os = {0};
    Report R;
    memset(&R, 0, sizeof R);
    R.h5 = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(R.h5 >= 0);
    R.os = &os, R.outdir = out, R.gi = (GPInfo){"", dir, "test"};
    assert_int_equal(lmreport_scaling(&R, D, &err), 0);
    assert_int_equal(lmreport_distill(&R, D, &err), 0);
    assert_int_equal(lmreport_facts(&R, D, &err), 0);
    *nscripts = os.n;
    assert_int_equal(outset_commit(&os, &err), 0);
    H5Fclose(R.h5);
    return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
}

static void test_tables_planted(void **state) {
    (void)state;
    char dir[128];
    make_run(dir, sizeof dir);
    LMData D;
    HHErr err;
    assert_int_equal(lmd_load(dir, &D, &err), 0);
    assert_int_equal(D.nlm, NS), assert_int_equal(D.ndi, NS);
    int ns;
    hid_t f = report(dir, &D, &ns);
    assert_true(f >= 0);
    assert_int_equal(ns, 3);  // lm_scaling.gp, distill_help_harm.gp, fact_recall.gp
    double v[64], w[64];
    char s[64][TAB_STR_LEN];
    // /lm_scaling: one row per scale, ascending parameters
    assert_int_equal(column(f, "lm_scaling", "scale", NULL, s, 64), NS);
    for (int k = 0; k < NS; k++) assert_string_equal(s[k], SC[k]);
    column(f, "lm_scaling", "params", v, NULL, 64);
    for (int k = 0; k < NS; k++) CHECK_NEAR(v[k], lmd_count_params(LAYERS[k], WIDTH[k], 16, 64, NULL), 0, "params");
    CHECK_NEAR(v[0], 64 * 8 + 16 * 8 + 12 * 64 + 13 * 8 + 4 * 8 + 2, 0, "params of a by hand");
    column(f, "lm_scaling", "heldout_loss", v, NULL, 64);
    column(f, "lm_scaling", "heldout_fit", w, NULL, 64);
    for (int k = 0; k < NS; k++) {
        CHECK_NEAR(v[k], planted_loss(k), 0, "final held-out loss");
        CHECK_NEAR(w[k], planted_loss(k), 1e-12, "fitted line at the point");
    }
    column(f, "lm_scaling", "tokens", v, NULL, 64); CHECK_NEAR(v[2], 3000, 0, "tokens");
    column(f, "lm_scaling", "steps", v, NULL, 64); CHECK_NEAR(v[2], 30, 0, "steps");
    column(f, "lm_scaling", "train_loss", v, NULL, 64); CHECK_NEAR(v[1], 2.5 - 0.2 - 0.01, 1e-15, "train loss");
    column(f, "lm_scaling", "help_benign", v, NULL, 64); CHECK_NEAR(v[0], 0.25, 0, "help on benign");
    column(f, "lm_scaling", "n_benign", v, NULL, 64); CHECK_NEAR(v[0], 100, 0, "benign prompts");
    double lo, hi;
    stats_wilson(25, 100, 0.95, &lo, &hi, &err);
    column(f, "lm_scaling", "help_benign_lo", v, NULL, 64); CHECK_NEAR(v[0], lo, 0, "help Wilson lower");
    column(f, "lm_scaling", "help_benign_hi", v, NULL, 64); CHECK_NEAR(v[0], hi, 0, "help Wilson upper");
    column(f, "lm_scaling", "harm_redteam", v, NULL, 64); CHECK_NEAR(v[0], 0.375, 1e-12, "harm, red-team + disguised");
    column(f, "lm_scaling", "n_redteam", v, NULL, 64); CHECK_NEAR(v[0], 80, 0, "red-team + disguised prompts");
    stats_wilson(30, 80, 0.95, &lo, &hi, &err);
    column(f, "lm_scaling", "harm_redteam_hi", v, NULL, 64); CHECK_NEAR(v[0], hi, 1e-12, "harm Wilson upper");
    double slope;
    assert_true(H5LTget_attribute_double(f, "lm_scaling", "fit_slope", &slope) >= 0);
    CHECK_NEAR(slope, -0.1, 1e-12, "planted slope in the table's attributes");
    // /lm_curves: long format
    assert_int_equal(column(f, "lm_curves", "heldout_loss", v, NULL, 64), NS * NPT);
    CHECK_NEAR(v[0], planted_loss(0) + 0.4, 1e-15, "first held-out point");
    column(f, "lm_curves", "tokens", v, NULL, 64); CHECK_NEAR(v[4], 2000, 0, "tokens of b's second point");
    // /lm_task_help: (task, scale); lookup2 has no prompts
    assert_int_equal(column(f, "lm_task_help", "help", v, NULL, 64), N_TASKS * NS);
    column(f, "lm_task_help", "task", NULL, s, 64);
    assert_string_equal(s[3 * NS], "lookup");
    CHECK_NEAR(v[3 * NS], 0.125, 0, "lookup help");
    assert_true(isnan(v[4 * NS]));
    // /distill_eval: (model, scale, kind + pooled)
    int nd = column(f, "distill_eval", "help", v, NULL, 64);
    assert_int_equal(nd, DI_NROW * NS * (N_KINDS + 1));
    char m[64][TAB_STR_LEN], kd[64][TAB_STR_LEN];
    column(f, "distill_eval", "model", NULL, m, 64), column(f, "distill_eval", "kind", NULL, kd, 64);
    column(f, "distill_eval", "harm", w, NULL, 64);
    int seen = 0;
    for (int i = 0; i < nd; i++) {
        int row = !strcmp(m[i], "base") ? DI_BASE : !strcmp(m[i], "prefixed") ? DI_PREFIXED : DI_DISTILLED;
        int sc = (i / (N_KINDS + 1)) % NS;
        if (!strcmp(kd[i], "benign")) {
            CHECK_NEAR(v[i], help_of(sc, row), 0, "distill help on benign");
            seen++;
        }
        if (!strcmp(kd[i], "redteam+disguised")) {
            CHECK_NEAR(w[i], harm_of(row), 1e-12, "distill pooled harm");
            seen++;
        }
        if (!strcmp(kd[i], "borderline")) {
            CHECK_NEAR(v[i], 0.5, 0, "distill help on borderline");
            seen++;
        }
    }
    assert_int_equal(seen, 3 * DI_NROW * NS);
    // /lm_persona_reference: the HHH persona on benign prompts
    int np = column(f, "lm_persona_reference", "help", v, NULL, 64);
    char pe[64][TAB_STR_LEN];
    column(f, "lm_persona_reference", "persona", NULL, pe, 64), column(f, "lm_persona_reference", "kind", NULL, kd, 64);
    int hit = 0;
    for (int i = 0; i < np; i++)
        if (!strcmp(pe[i], "HHH") && !strcmp(kd[i], "benign")) {
            CHECK_NEAR(v[i], 0.85, 1e-12, "HHH help");
            hit++;
        }
    assert_int_equal(hit, 1);
    static const char *T[5] = {"lm_scaling", "lm_curves", "lm_task_help", "distill_eval", "lm_persona_reference"};
    for (int k = 0; k < 5; k++) {  // descriptions fit the table's 512 characters (not cut off)
        hsize_t dims;
        H5T_class_t cls;
        size_t sz = 0;
        assert_true(H5LTget_attribute_info(f, T[k], "description", &dims, &cls, &sz) >= 0);
        assert_true(sz > 100 && sz < sizeof(((Tab *)0)->desc) - 1);
    }
    // /lm_fact_recall: the planted recall 2 (s + 1) / 8 of relational facts, bin "all"
    {
        double rec[256];
        char fk[256][TAB_STR_LEN], bin[256][TAB_STR_LEN], sc[256][TAB_STR_LEN];
        int n = column(f, "lm_fact_recall", "recall", rec, NULL, 256);
        column(f, "lm_fact_recall", "facts", NULL, fk, 256);
        column(f, "lm_fact_recall", "bin", NULL, bin, 256);
        column(f, "lm_fact_recall", "scale", NULL, sc, 256);
        int seen = 0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < NS; k++)
                if (!strcmp(fk[i], "relational") && !strcmp(bin[i], "all") && !strcmp(sc[i], SC[k])) {
                    assert_true(fabs(rec[i] - 2.0 * (k + 1) / KB_E) < 1e-12);
                    seen++;
                }
        assert_int_equal(seen, NS);
        ClaimStat st;
        verdict_of(&D, "fact_recall_slope_log10p", "> 0", &st);
        if (!(st.est > 0)) fail_msg("fact recall slope %g, planted > 0", st.est);
    }
    H5Fclose(f);

    // claims
    ClaimStat st;
    assert_int_equal(verdict_of(&D, "lm_heldout_loss_slope_log10p", "< 0", &st), VERDICT_REPRODUCED);
    CHECK_NEAR(st.est, -0.1, 1e-12, "slope claim");
    assert_int_equal((int)st.n, NS);
    assert_int_equal(verdict_of(&D, "distill_help_gain_benign", "> 0", &st), VERDICT_REPRODUCED);
    CHECK_NEAR(st.est, 0.1, 1e-12, "help gain");
    assert_true(st.lo < 0.1 && st.hi > 0.1);
    assert_int_equal(verdict_of(&D, "distill_harm_drop_redteam", "> 0", &st), VERDICT_REPRODUCED);
    CHECK_NEAR(st.est, 0.3, 1e-12, "harm drop");
    // HHH persona 0.85 minus mean distilled help 0.4
    assert_int_equal(verdict_of(&D, "hhh_persona_minus_distilled_help", "> 0", &st), VERDICT_REPRODUCED);
    CHECK_NEAR(st.est, 0.45, 1e-12, "gap to the HHH persona");
    double sd = sqrt((0.05 * 0.05 * 2 + 0.15 * 0.15 * 2) / 3), t = 3.182446305284263;  // t(0.975, 3)
    StatsCI hh;
    lmd_persona_mean(&D.persona, PERSONA_HHH, KIND_BENIGN, LMD_HELP, &hh);
    CHECK_NEAR(hh.hi - hh.est, t * sd / 2, 1e-9, "persona Student-t half-width");
    assert_int_equal(verdict_of(&D, "distill_help_gain_benign", "< 0", &st), VERDICT_NOT_REPRODUCED);
    lmd_free(&D);
    rm_run(dir);
}

static void test_missing(void **state) {
    (void)state;
    char dir[128];
    snprintf(dir, sizeof dir, "/tmp/hhsim_lmfit.XXXXXX");
    assert_non_null(mkdtemp(dir));
    LMData D;
    HHErr err;
    assert_int_equal(lmd_load(dir, &D, &err), 0);  // no lm/, distill/ or world.h5: not an error
    assert_int_equal(D.nlm + D.ndi, 0);
    assert_non_null(strstr(D.missing_lm, "no such directory"));
    assert_non_null(strstr(D.missing_di, "hhsim distill"));
    int ns;
    hid_t f = report(dir, &D, &ns);
    assert_int_equal(ns, 0);
    static const char *T[5] = {"lm_scaling", "lm_curves", "lm_task_help", "distill_eval", "lm_persona_reference"};
    for (int k = 0; k < 5; k++) {
        hsize_t nf, nr;
        assert_true(H5TBget_table_info(f, T[k], &nf, &nr) >= 0);
        assert_int_equal((int)nr, 0);
        hid_t d = H5Dopen2(f, T[k], H5P_DEFAULT);
        assert_int_equal(H5LTfind_attribute(d, "missing"), 1);
        H5Dclose(d);
    }
    H5Fclose(f);
    static const char *S[4] = {"lm_heldout_loss_slope_log10p", "distill_help_gain_benign",
                               "distill_harm_drop_redteam", "hhh_persona_minus_distilled_help"};
    for (int k = 0; k < 4; k++) {
        ClaimStat st;
        assert_true(lmclaims_known(S[k]));
        assert_int_equal(verdict_of(&D, S[k], "> 0", &st), VERDICT_PENDING);
    }
    assert_false(lmclaims_known("fit_b"));
    lmd_free(&D);
    rm_run(dir);
}

// lmd_load on a run whose file `distill` (1) or lm (0) of scale b has fault ft
// fails with HH_EINPUT naming the file and `what`.
static void refused(const Fault *ft, int distill, const char *what) {
    char dir[128], want[256];
    make_run(dir, sizeof dir);
    write_model(dir, 1, distill, ft);
    LMData D;
    HHErr err;
    assert_int_equal(lmd_load(dir, &D, &err), HH_EINPUT);
    snprintf(want, sizeof want, "%s/%s/b.h5: ", dir, distill ? "distill" : "lm");
    if (!strstr(err.msg, want) || !strstr(err.msg, what)) {
        print_message("FAIL message '%s' lacks '%s' or '%s'\n", err.msg, want, what);
        fail();
    }
    rm_run(dir);
}

static void test_bad_files(void **state) {
    (void)state;
    Fault nohelp = {NULL, "eval/help", 0}, name = {"zz", NULL, 0}, range = {NULL, NULL, 1.5};
    Fault noloss = {NULL, "curve/heldout_loss", 0};
    refused(&nohelp, 1, "missing dataset /eval/help");
    refused(&name, 0, "attribute scale on /model is 'zz'");
    refused(&range, 1, "/eval/help[2][benign] = 1.5");
    refused(&noloss, 0, "missing dataset /curve/heldout_loss");
    Fault nofacts = {NULL, "eval/facts", 0};
    refused(&nofacts, 0, "missing dataset /eval/facts");
}

// A run whose world.h5 dataset `name` is replaced by (type, rank, dims, data):
// lmd_load fails with HH_EINPUT naming world.h5 and `what`.
static void kb_refused(const char *name, hid_t type, int rank, const hsize_t *dims, const void *data,
                       const char *what) {
    char dir[128], path[256];
    make_run(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/world.h5", dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(ds >= 0);
    assert_true(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(ds), H5Sclose(sp), H5Fclose(f);
    LMData D;
    HHErr err;
    assert_int_equal(lmd_load(dir, &D, &err), HH_EINPUT);
    if (!strstr(err.msg, "world.h5") || !strstr(err.msg, what)) {
        print_message("FAIL message '%s' lacks 'world.h5' or '%s'\n", err.msg, what);
        fail();
    }
    rm_run(dir);
}

// Crafted knowledge bases: every check of the /kb reader names the object.
static void test_bad_kb(void **state) {
    (void)state;
    hsize_t de = KB_E, dk[2] = {KB_E, KB_R}, dshort = KB_E - 1;
    int32_t dup[KB_E] = {0, 1, 2, 3, 4, 5, 6, 6}, neg[KB_E] = {0, 1, 2, 3, 4, 5, 6, -1};
    kb_refused("/kb/rank", H5T_NATIVE_INT32, 1, &de, dup, "/kb/rank[7] = 6 (expected a permutation");
    kb_refused("/kb/rank", H5T_NATIVE_INT32, 1, &de, neg, "/kb/rank[7] = -1");
    kb_refused("/kb/rank", H5T_NATIVE_INT32, 1, &dshort, dup, "/kb/rank");
    int32_t rel[KB_E * KB_R] = {0};
    rel[5] = KB_E;
    kb_refused("/kb/relation", H5T_NATIVE_INT32, 1, &de, rel, "/kb/relation");
    kb_refused("/kb/relation", H5T_NATIVE_INT32, 2, dk, rel, "/kb/relation[5] = 8 (expected an entity index 0..7)");
    uint8_t haz[KB_E] = {0, 1, 2, 0, 0, 0, 0, 0};
    kb_refused("/kb/hazard", H5T_NATIVE_UINT8, 1, &de, haz, "/kb/hazard");
    double fr[KB_E] = {0};
    kb_refused("/kb/rank", H5T_NATIVE_DOUBLE, 1, &de, fr, "/kb/rank");
}

// A facts table of another shape than the knowledge base, or not 0/1.
static void test_bad_facts(void **state) {
    (void)state;
    char dir[128], path[256];
    for (int c = 0; c < 2; c++) {
        make_run(dir, sizeof dir);
        snprintf(path, sizeof path, "%s/lm/b.h5", dir);
        hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        assert_true(f >= 0);
        assert_true(H5Ldelete(f, "/eval/facts", H5P_DEFAULT) >= 0);
        uint8_t v[KB_E * (KB_R + 2)] = {0};
        hsize_t d[2] = {KB_E, c ? KB_R + 1 : KB_R + 2};
        if (c) v[3] = 7;
        hid_t sp = H5Screate_simple(2, d, NULL);
        hid_t ds = H5Dcreate2(f, "/eval/facts", H5T_NATIVE_UINT8, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(ds >= 0 && H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
        H5Dclose(ds), H5Sclose(sp), H5Fclose(f);
        LMData D;
        HHErr err;
        assert_int_equal(lmd_load(dir, &D, &err), HH_EINPUT);
        const char *want = c ? "/eval/facts[3] = 7 (expected 0 or 1)" : "/eval/facts is (8, 4) but";
        if (!strstr(err.msg, "lm/b.h5") || !strstr(err.msg, want)) {
            print_message("FAIL message '%s' lacks 'lm/b.h5' or '%s'\n", err.msg, want);
            fail();
        }
        rm_run(dir);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_count),    cmocka_unit_test(test_intervals),
        cmocka_unit_test(test_tables_planted), cmocka_unit_test(test_missing),
        cmocka_unit_test(test_bad_files),      cmocka_unit_test(test_bad_kb),
        cmocka_unit_test(test_bad_facts),
    };
    return cmocka_run_group_tests_name("hhfit language models", tests, NULL, NULL);
}
