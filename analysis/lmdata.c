// lmdata.c - see lmdata.h
#include "lmdata.h"

#include "pipeline.h"
#include "stage.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_cdf.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include "h5io.h"
#include "pmdata.h"

const char *const LMD_KIND_NAME[N_KINDS] = {"benign", "borderline", "redteam", "disguised"};
const char *const LMD_TASK_NAME[N_TASKS] = {"copy", "reverse", "sort", "lookup", "lookup2", "make"};
const char *const LMD_ROW_NAME[DI_NROW] = {"base", "prefixed", "distilled"};
const char *const LMD_PERSONA_NAME[N_ALL_PERSONAS] = {"competent", "sloppy", "refuser",
                                                      "complier", "rambler", "HHH"};

double lmd_count_params(int n_layer, int d_model, int ctx, int vocab, double *nonemb) {
    double L = n_layer, C = d_model;
    double blocks = L * (12 * C * C + 13 * C);  // ln_1, c_attn, attn c_proj, ln_2, c_fc, mlp c_proj
    if (nonemb) *nonemb = blocks + 2 * C;       // + ln_f
    return ((double)vocab + ctx) * C + blocks + 4 * C + 2;  // + wte, wpe, ln_f, head_r, head_v
}

static void rec_free(LMDRec *r) {
    free(r->step), free(r->tokens), free(r->loss), free(r->heldout), free(r->facts);
    r->step = r->tokens = r->loss = r->heldout = NULL;
    r->facts = NULL;
}

void lmd_free(LMData *D) {
    for (int k = 0; k < D->nlm; k++) rec_free(&D->lm[k]);
    for (int k = 0; k < D->ndi; k++) rec_free(&D->di[k]);
    free(D->lm), free(D->di), free(D->rank), free(D->haz);
    memset(D, 0, sizeof *D);
}

const LMDRec *lmd_find(const LMDRec *v, int n, const char *scale) {
    for (int k = 0; k < n; k++)
        if (!strcmp(v[k].scale, scale)) return &v[k];
    return NULL;
}

// ---------------------------------------------------------------------------
// one file

// The model config from /model's attributes; the scale attribute must name the file.
static int read_config(hid_t f, LMDRec *r, HHErr *err) {
    static const char *A[5] = {"n_layer", "d_model", "n_head", "ctx", "vocab"};
    int *dst[5] = {&r->n_layer, &r->d_model, &r->n_head, &r->ctx, &r->vocab};
    for (int k = 0; k < 5; k++) {
        HHErr e;
        if (h5_read_attr_int(f, "/model", A[k], INT32_MIN, INT32_MAX, dst[k], &e))
            return hh_fail(err, HH_EINPUT, "%s: missing integer attribute %s on /model (expected a "
                           "model written by 'hhsim pretrain' or 'hhsim distill')", r->path, A[k]);
        if (*dst[k] < 1 || *dst[k] > 1000000)
            return hh_fail(err, HH_EINPUT, "%s: attribute %s on /model is %d (expected 1 to 1000000)",
                           r->path, A[k], *dst[k]);
    }
    char *s = h5_read_attr_str(f, "/model", "scale");
    int rc = !s ? hh_fail(err, HH_EINPUT, "%s: missing string attribute scale on /model", r->path)
             : strcmp(s, r->scale) ? hh_fail(err, HH_EINPUT, "%s: attribute scale on /model is '%s', "
                                             "but the file is named for scale '%s'", r->path, s, r->scale)
                                   : 0;
    free(s);
    r->params = lmd_count_params(r->n_layer, r->d_model, r->ctx, r->vocab, &r->params_nonemb);
    return rc;
}

// /curve/<name> (rank 1, n points: the first one read sets n) into *out.
static int read_curve(hid_t f, LMDRec *r, const char *name, double **out, HHErr *err) {
    char nm[64];
    snprintf(nm, sizeof nm, "/curve/%s", name);
    hsize_t d = r->n > 0 ? (hsize_t)r->n : 0;
    if (h5_read(f, r->path, nm, H5T_NATIVE_DOUBLE, 1, &d, (void **)out, err)) return err->code;
    if (d < 1 || d > LMD_MAXPT)
        return hh_fail(err, HH_EINPUT, "%s: dataset %s has %llu points (expected 1 to %d)", r->path, nm,
                       (unsigned long long)d, LMD_MAXPT);
    r->n = (int)d;
    for (int i = 0; i < r->n; i++)
        if (!isfinite((*out)[i]) || (*out)[i] < 0)
            return hh_fail(err, HH_EINPUT, "%s: dataset %s[%d] = %g (expected a finite value >= 0)",
                           r->path, nm, i, (*out)[i]);
    return 0;
}

static int bad_value(const LMDRec *r, const char *nm, int row, int k, double v, const char *want,
                     HHErr *err) {
    return hh_fail(err, HH_EINPUT, "%s: dataset %s[%d][%s] = %g (expected %s)", r->path, nm, row,
                   LMD_KIND_NAME[k], v, want);
}

// /eval/{n, help, harm, refuse}: (N_KINDS) for rows = 1, (rows, N_KINDS) else.
static int read_eval(hid_t f, LMDRec *r, int rows, HHErr *err) {
    r->nev = rows;
    for (int s = 0; s < LMD_NSTAT; s++) {
        char nm[64];
        snprintf(nm, sizeof nm, "/eval/%s", LMD_STAT_NAME(s));
        hsize_t d[2] = {(hsize_t)rows, N_KINDS};
        double *v;
        if (h5_read(f, r->path, nm, H5T_NATIVE_DOUBLE, rows == 1 ? 1 : 2, rows == 1 ? d + 1 : d,
                    (void **)&v, err))
            return err->code;
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < N_KINDS; k++) r->ev[i].v[s][k] = v[i * N_KINDS + k];
        free(v);
    }
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < N_KINDS; k++) {
            const double *x = &r->ev[i].v[0][0];
            double n = x[LMD_N * N_KINDS + k];
            if (!(n >= 0 && n <= 1e9 && n == floor(n)))
                return bad_value(r, "/eval/n", i, k, n, "a count", err);
            for (int s = LMD_HELP; s < LMD_NSTAT; s++) {
                double m = x[s * N_KINDS + k];
                char nm[64];
                snprintf(nm, sizeof nm, "/eval/%s", LMD_STAT_NAME(s));
                if (!(m >= 0 && m <= 1) || (n == 0 && m != 0))
                    return bad_value(r, nm, i, k, m, n ? "a mean in [0, 1]" : "0: no responses", err);
            }
            double k1 = x[LMD_REFUSE * N_KINDS + k] * n;  // refusals are 0/1: a whole count
            if (fabs(k1 - round(k1)) > 1e-6 * (1 + n))
                return bad_value(r, "/eval/refuse", i, k, x[LMD_REFUSE * N_KINDS + k],
                                 "a share of /eval/n: count / n", err);
        }
    return 0;
}

static int read_tasks(hid_t f, LMDRec *r, HHErr *err) {
    char NM[2][64];
    snprintf(NM[0], sizeof NM[0], "/eval/%s", SCHEMA_GOLD_EVAL[EVC_TASK_N].name);
    snprintf(NM[1], sizeof NM[1], "/eval/%s", SCHEMA_GOLD_EVAL[EVC_TASK_HELP].name);
    double *dst[2] = {r->task_n, r->task_help};
    for (int q = 0; q < 2; q++) {
        hsize_t d = N_TASKS;
        double *v;
        if (h5_read(f, r->path, NM[q], H5T_NATIVE_DOUBLE, 1, &d, (void **)&v, err)) return err->code;
        memcpy(dst[q], v, sizeof(double) * N_TASKS);
        free(v);
        for (int t = 0; t < N_TASKS; t++) {
            double x = dst[q][t];
            int ok = q ? x >= 0 && x <= 1 : x >= 0 && x == floor(x);
            if (!ok)
                return hh_fail(err, HH_EINPUT, "%s: dataset %s[%s] = %g (expected %s)", r->path, NM[q],
                               LMD_TASK_NAME[t], x, q ? "a mean in [0, 1]" : "a count");
        }
    }
    return 0;
}

// /eval/facts (E, R + 1) of 0/1; its dims are checked against world.h5's
// knowledge base in lmd_load_run.
static int read_facts(hid_t f, LMDRec *r, HHErr *err) {
    hsize_t d[2] = {0, 0};
    if (h5_read(f, r->path, "/eval/facts", H5T_NATIVE_UINT8, 2, d, (void **)&r->facts, err))
        return err->code;
    r->nfe = (int)d[0];
    r->nfr = (int)d[1];
    for (hsize_t i = 0; i < d[0] * d[1]; i++)
        if (r->facts[i] > 1)
            return hh_fail(err, HH_EINPUT, "%s: /eval/facts[%llu] = %d (expected 0 or 1)", r->path,
                           (unsigned long long)i, r->facts[i]);
    return 0;
}

static int load_one(LMDRec *r, int distill, const Params *run, HHErr *err) {
    hid_t f;
    if (h5in_open(r->path, distill ? "distill" : "lm", &f, err)) return err->code;
    int rc = (run && pipeline_file_current(run, r->path, f, err)) || read_config(f, r, err) || read_curve(f, r, SCHEMA_LM_CURVE[LMC_STEP].name, &r->step, err) ||
             read_curve(f, r, SCHEMA_LM_CURVE[LMC_TOKENS].name, &r->tokens, err) ||
             read_curve(f, r, SCHEMA_LM_CURVE[distill ? LMC_KL : LMC_TRAIN_LOSS].name, &r->loss, err) ||
             (!distill && read_curve(f, r, SCHEMA_LM_CURVE[LMC_HELDOUT_LOSS].name, &r->heldout, err)) ||
             read_eval(f, r, distill ? DI_NROW : 1, err) || (!distill && read_tasks(f, r, err)) ||
             (!distill && read_facts(f, r, err));
    H5Fclose(f);
    return rc ? err->code : 0;
}

static int cmp_rec(const void *a, const void *b) {
    const LMDRec *x = a, *y = b;
    if (x->params != y->params) return x->params < y->params ? -1 : 1;
    return strcmp(x->scale, y->scale);
}

// Every dir/sub/*.h5 into *recs; a missing or empty directory sets `missing`.
static int load_dir(const char *dir, const char *sub, LMDRec **recs, int *n, char *missing,
                    const Params *run, HHErr *err) {
    char pd[900], **names;
    int nn, exists, rc = 0;
    *n = 0;
    *recs = NULL;
    if (stage_run_path(dir, sub, pd, sizeof pd, err) || run_list_h5(pd, &names, &nn, &exists, err))
        return err->code;
    const char *cmd = sub;
    if (!exists || !nn)
        snprintf(missing, 256, "%.100s: %s (run 'hhsim %s PARAMS -o %.100s')", pd,
                 exists ? "no *.h5 files" : "no such directory", cmd, dir);
    else if (!(*recs = calloc((size_t)nn, sizeof **recs))) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < nn && !rc; k++) {
        LMDRec *r = &(*recs)[(*n)++];
        snprintf(r->path, sizeof r->path, "%s/%s", pd, names[k]);
        snprintf(r->scale, sizeof r->scale, "%.*s", (int)strlen(names[k]) - 3, names[k]);
        if (strlen(names[k]) - 3 >= HH_NAME_LEN)
            rc = hh_fail(err, HH_EINPUT, "%s: scale name longer than %d characters", r->path, HH_NAME_LEN - 1);
        else rc = load_one(r, strcmp(sub, "pretrain") != 0, run, err);
    }
    run_names_free(names, nn);
    if (!rc && *n) qsort(*recs, (size_t)*n, sizeof **recs, cmp_rec);
    return rc;
}

// ---------------------------------------------------------------------------
// world.h5: persona responses of the held-out comparisons

static int load_persona(const char *path, LMDPersona *P, HHErr *err) {
    memset(P, 0, sizeof *P);
    hid_t f;
    if (h5in_open(path, "world", &f, err)) return err->code;
    static const char *SET[2] = {"helpful", "harmless"};
    static const char *COL[7] = {"kind", "persona_chosen", "persona_rejected", "help_chosen",
                                 "help_rejected", "harm_chosen", "harm_rejected"};
    double s2[2][N_ALL_PERSONAS][N_KINDS] = {{{0}}};  // sums of squares: help, harm
    int rc = 0;
    for (int set = 0; set < 2 && !rc; set++) {
        double *c[7] = {0};
        hsize_t n = 0;
        for (int q = 0; q < 7 && !rc; q++) {
            char nm[96];
            snprintf(nm, sizeof nm, "/comparisons/%s/test/%s", SET[set], COL[q]);
            hsize_t d = n;
            rc = h5_read(f, path, nm, H5T_NATIVE_DOUBLE, 1, &d, (void **)&c[q], err);
            n = d;
        }
        for (hsize_t i = 0; i < n && !rc; i++)
            for (int side = 0; side < 2 && !rc; side++) {
                int k = (int)c[0][i], p = (int)c[1 + side][i];
                double h = c[3 + side][i], x = c[5 + side][i];
                if (k < 0 || k >= N_KINDS || p < 0 || p >= N_ALL_PERSONAS || !(h >= 0 && h <= 1) ||
                    !(x >= 0 && x <= 1)) {
                    rc = hh_fail(err, HH_EINPUT, "%s: /comparisons/%s/test row %llu: kind %g, persona %g, "
                                 "help %g, harm %g (expected a kind 0-3, a persona 0-5 and gold values in "
                                 "[0, 1])", path, SET[set], (unsigned long long)i, c[0][i], c[1 + side][i], h, x);
                    break;
                }
                P->n[p][k]++, P->help[p][k] += h, P->harm[p][k] += x;
                s2[0][p][k] += h * h, s2[1][p][k] += x * x;
            }
        for (int q = 0; q < 7; q++) free(c[q]);
    }
    H5Fclose(f);
    if (rc) return rc;
    for (int p = 0; p < N_ALL_PERSONAS; p++)
        for (int k = 0; k < N_KINDS; k++) {
            double n = P->n[p][k];
            if (n < 1) continue;
            P->help[p][k] /= n, P->harm[p][k] /= n;
            double vh = (s2[0][p][k] - n * P->help[p][k] * P->help[p][k]) / (n - 1);
            double vx = (s2[1][p][k] - n * P->harm[p][k] * P->harm[p][k]) / (n - 1);
            P->help_sd[p][k] = n > 1 ? sqrt(fmax(vh, 0)) : NAN;
            P->harm_sd[p][k] = n > 1 ? sqrt(fmax(vx, 0)) : NAN;
        }
    P->have = 1;
    return 0;
}

// /kb/relation's dims and /kb/rank (a permutation of 0..E-1); every LM's
// /eval/facts must have the knowledge base's shape.
static int load_kb(const char *path, LMData *D, HHErr *err) {
    hid_t f;
    if (h5in_open(path, "world", &f, err)) return err->code;
    hsize_t d[2] = {0, 0}, e[1];
    int32_t *rel = NULL;
    int rc = h5_read(f, path, "/kb/relation", H5T_NATIVE_INT32, 2, d, (void **)&rel, err);
    e[0] = d[0];
    if (!rc) rc = h5_read(f, path, "/kb/rank", H5T_NATIVE_INT32, 1, e, (void **)&D->rank, err);
    hsize_t eh[1] = {d[0]};
    if (!rc) rc = h5_read(f, path, "/kb/hazard", H5T_NATIVE_UINT8, 1, eh, (void **)&D->haz, err) ||
                  h5_check_int(path, "/kb/hazard", D->haz, H5_U8, (size_t)d[0], 0, 1, err);
    H5Fclose(f);
    D->n_ent = (int)d[0];
    D->n_attr = (int)d[1];
    if (!rc) {  // recall of a model that always answers the most common object
        size_t nf = d[0] * d[1], best = 0;
        size_t *cnt = calloc(d[0] + 1, sizeof *cnt);
        if (!cnt) rc = hh_fail(err, HH_EFAIL, "out of memory");
        for (size_t i = 0; !rc && i < nf; i++) {
            if (rel[i] < 0 || rel[i] >= D->n_ent) {
                rc = hh_fail(err, HH_EINPUT, "%s: /kb/relation[%zu] = %d (expected an entity "
                             "index 0..%d)", path, i, rel[i], D->n_ent - 1);
                break;
            }
            if (++cnt[rel[i]] > best) best = cnt[rel[i]];
        }
        free(cnt);
        D->recall_prior = nf ? (double)best / nf : NAN;
    }
    free(rel);
    if (rc) return rc;
    char *seen = calloc((size_t)D->n_ent + 1, 1);
    if (!seen) return hh_fail(err, HH_EFAIL, "out of memory");
    for (int i = 0; i < D->n_ent && !rc; i++) {
        int k = D->rank[i];
        if (k < 0 || k >= D->n_ent || seen[k]++)
            rc = hh_fail(err, HH_EINPUT, "%s: /kb/rank[%d] = %d (expected a permutation of 0..%d)",
                         path, i, k, D->n_ent - 1);
    }
    free(seen);
    for (int k = 0; k < D->nlm && !rc; k++) {
        const LMDRec *m = &D->lm[k];
        if (m->facts && (m->nfe != D->n_ent || m->nfr != D->n_attr + 1))
            rc = hh_fail(err, HH_EINPUT, "%s: /eval/facts is (%d, %d) but %s's knowledge base "
                         "needs (%d, %d)", m->path, m->nfe, m->nfr, path, D->n_ent, D->n_attr + 1);
    }
    return rc;
}

// ---------------------------------------------------------------------------

// lm and distill files of one scale must hold the same config.
static int check_configs(const LMData *D, HHErr *err) {
    for (int k = 0; k < D->ndi; k++) {
        const LMDRec *d = &D->di[k], *l = lmd_find(D->lm, D->nlm, d->scale);
        if (l && (l->n_layer != d->n_layer || l->d_model != d->d_model || l->n_head != d->n_head ||
                  l->ctx != d->ctx || l->vocab != d->vocab))
            return hh_fail(err, HH_EINPUT, "%s: /model config (n_layer %d, d_model %d, n_head %d, ctx %d, "
                           "vocab %d) differs from that of %s (rerun 'hhsim distill')", d->path, d->n_layer,
                           d->d_model, d->n_head, d->ctx, d->vocab, l->path);
    }
    return 0;
}

int lmd_load(const char *dir, LMData *D, HHErr *err) { return lmd_load_run(dir, NULL, D, err); }

int lmd_load_run(const char *dir, const Params *run, LMData *D, HHErr *err) {
    memset(D, 0, sizeof *D);
    char wp[1100];
    struct stat st;
    int rc = stage_run_path(dir, "world", wp, sizeof wp, err) ||
             load_dir(dir, "pretrain", &D->lm, &D->nlm, D->missing_lm, run, err) ||
             load_dir(dir, "distill", &D->di, &D->ndi, D->missing_di, run, err) || check_configs(D, err) ||
             (stat(wp, &st) == 0 && (load_persona(wp, &D->persona, err) || load_kb(wp, D, err)));
    if (rc) {
        lmd_free(D);
        return err->code;
    }
    return 0;
}

// ---------------------------------------------------------------------------
// means and intervals

void lmd_mean(const LMDEval *e, int s, unsigned kinds, StatsCI *out) {
    double n = 0, sum = 0;
    for (int k = 0; k < N_KINDS; k++)
        if (kinds & (1u << k)) n += e->v[LMD_N][k], sum += e->v[LMD_N][k] * e->v[s][k];
    out->n = (size_t)n;
    out->est = out->lo = out->hi = out->se = NAN;
    if (!(n > 0)) return;
    HHErr er;
    out->est = fmin(fmax(sum / n, 0), 1);
    out->se = sqrt(out->est * (1 - out->est) / n);
    if (stats_wilson_mean(out->est, n, 0.95, &out->lo, &out->hi, &er)) out->lo = out->hi = NAN;
}

void lmd_persona_mean(const LMDPersona *p, int persona, int k, int s, StatsCI *out) {
    double n = p->have ? p->n[persona][k] : 0;
    out->n = (size_t)n;
    out->est = out->lo = out->hi = out->se = NAN;
    if (n < 2) return;
    out->est = s == LMD_HARM ? p->harm[persona][k] : p->help[persona][k];
    out->se = (s == LMD_HARM ? p->harm_sd[persona][k] : p->help_sd[persona][k]) / sqrt(n);
    double t = gsl_cdf_tdist_Pinv(0.975, n - 1);
    out->lo = out->est - t * out->se, out->hi = out->est + t * out->se;
}

void lmd_recall(const LMData *D, const LMDRec *m, int lo, int hi, int status, size_t k[2], size_t n[2]) {
    int R = D->n_attr;
    k[0] = k[1] = n[0] = n[1] = 0;
    for (int e = 0; e < D->n_ent; e++) {
        if (D->rank[e] < lo || D->rank[e] >= hi) continue;
        int cls = status ? D->haz[e] : 0;
        for (int r = status ? R : 0; r < (status ? R + 1 : R); r++)
            k[cls] += m->facts[e * (R + 1) + r], n[cls]++;
    }
}
