// segdata.c - see segdata.h
#include "segdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5io.h"
#include "lmdata.h"
#include "pipeline.h"
#include "pmdata.h"
#include "stage.h"
#include "world.h"

static void rec_free(SGRec *r) {
    free(r->util), free(r->pwin), free(r->wins), free(r->refu), free(r->sd);
    r->util = NULL, r->pwin = NULL, r->wins = NULL, r->refu = NULL, r->sd = NULL;
}

void sgd_free(SGData *D) {
    for (int k = 0; k < D->nrec; k++) rec_free(&D->rec[k]);
    free(D->rec), free(D->kind), free(D->prompt);
    memset(D, 0, sizeof *D);
}

// A comma-separated string attribute that must equal `want`.
static int check_list_attr(hid_t f, const char *path, const char *obj, const char *name,
                           const char *want, const char *what, HHErr *err) {
    char *s = NULL;
    if (h5_get_attr_str(f, obj, name, 4096, &s, err)) {
        char m[600];
        snprintf(m, sizeof m, "%.290s: %.300s", path, err->msg);
        return hh_fail(err, HH_EINPUT, "%s", m);
    }
    int rc = strcmp(s, want) ? hh_fail(err, HH_EINPUT, "%s: attribute %s of /%s is '%.200s'; "
                                       "allowed: '%s' (%s)", path, name, obj, s, want, what)
                             : 0;
    free(s);
    return rc;
}

// The prompts of one file: the first file's become the run's; later ones must match.
static int read_prompts(hid_t f, const char *path, SGData *D, HHErr *err) {
    hsize_t dn[1] = {D->n > 0 ? (hsize_t)D->n : 0};
    void *kind = NULL, *prompt = NULL;
    int rc = h5_read(f, path, "samples/kind", H5T_NATIVE_INT8, 1, dn, &kind, err);
    if (!rc && (dn[0] < 1 || dn[0] > SGD_MAX_SAMPLES))
        rc = hh_fail(err, HH_EINPUT, "%s: samples/kind has %llu samples; allowed: 1 to %d", path,
                     (unsigned long long)dn[0], SGD_MAX_SAMPLES);
    if (!rc) rc = h5_check_int(path, "samples/kind", kind, H5_I8, dn[0], 0, N_KINDS - 1, err);
    if (!rc) rc = h5_read(f, path, "samples/prompt", H5T_NATIVE_INT32, 1, dn, &prompt, err);
    if (!rc) rc = h5_check_int(path, "samples/prompt", prompt, H5_I32, dn[0], 0, 100000000, err);
    if (!rc && D->n == 0) {
        D->n = (int)dn[0], D->kind = kind, D->prompt = prompt;
        return 0;
    }
    if (!rc && (memcmp(kind, D->kind, (size_t)D->n) || memcmp(prompt, D->prompt, sizeof(int32_t) * (size_t)D->n)))
        rc = hh_fail(err, HH_EINPUT, "%s: samples/prompt or samples/kind differs from the other "
                     "segments files of the run; allowed: the run's one prompt set (rerun 'hhsim "
                     "segments')", path);
    free(kind), free(prompt);
    return rc;
}

static int load_one(const char *path, const Params *run, SGData *D, SGRec *r, HHErr *err) {
    hid_t f;
    if (h5in_open(path, "segments", &f, err)) return err->code;
    JobKey k;
    int rc = pipeline_file_current(run, path, f, err) || jobkey_read(f, path, &k, err);
    int si = rc ? -1 : params_scale_index(run, k.scale);
    if (!rc && si < 0)
        rc = hh_fail(err, HH_EINPUT, "%s: attribute /job scale is '%s'; allowed: a scale of [model] "
                     "scale_names", path, k.scale);
    if (!rc && k.seed < 0)
        rc = hh_fail(err, HH_EINPUT, "%s: attribute /job seed is missing or %d; allowed: a seed >= 0",
                     path, k.seed);
    char models[128] = "distill", names[SEG_MAX * HH_NAME_LEN + 16] = "";
    for (int v = 0; v < run->rl_variants.n; v++)
        snprintf(models + strlen(models), sizeof models - strlen(models), ",%.23s", run->rl_variants.v[v]);
    for (int s = 0; s < run->seg_names.n; s++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%.23s", s ? "," : "",
                 run->seg_names.v[s]);
    if (!rc) rc = check_list_attr(f, path, "samples", "models", models, "distill and the run's [rl] variants", err);
    if (!rc) rc = check_list_attr(f, path, "segments", "names", names, "the run's [segments] names", err);
    int matches = 0;
    if (!rc) rc = h5_read_attr_int(f, "segments", "matches", 1, 1000, &matches, err);
    if (!rc && matches != run->seg_matches)
        rc = hh_fail(err, HH_EINPUT, "%s: attribute matches of /segments is %d; allowed: the run's "
                     "[segments] matches = %d", path, matches, run->seg_matches);
    if (!rc) {
        snprintf(r->scale, sizeof r->scale, "%s", k.scale);
        snprintf(r->pm_scale, sizeof r->pm_scale, "%s", k.pm_scale);
        r->seed = k.seed;
        r->params = lmd_count_params(run->scale_layers.v[si], run->scale_dmodel.v[si], run->ctx,
                                     WORLD_VOCAB, NULL);
        rc = read_prompts(f, path, D, err);
    }
    size_t S = (size_t)D->S, M = (size_t)D->M, n = (size_t)D->n;
    hsize_t du[3] = {S, M, n}, dp[3] = {S, M - 1, n};
    if (!rc) rc = h5_read(f, path, "segments/utility", H5T_NATIVE_DOUBLE, 3, du, (void **)&r->util, err);
    if (!rc) rc = h5_check_f64(path, "segments/utility", r->util, S * M * n, -100, 100, err);
    if (!rc) rc = h5_read(f, path, "segments/p_win", H5T_NATIVE_DOUBLE, 3, dp, (void **)&r->pwin, err);
    if (!rc) rc = h5_check_f64(path, "segments/p_win", r->pwin, S * (M - 1) * n, 0, 1, err);
    if (!rc) rc = h5_read(f, path, "segments/wins", H5T_NATIVE_INT32, 3, dp, (void **)&r->wins, err);
    if (!rc) rc = h5_check_int(path, "segments/wins", r->wins, H5_I32, S * (M - 1) * n, 0, matches, err);
    hsize_t dr[2] = {S, n}, ds[1] = {S};
    if (!rc) rc = h5_read(f, path, "segments/ref_utility", H5T_NATIVE_DOUBLE, 2, dr, (void **)&r->refu, err);
    if (!rc) rc = h5_check_f64(path, "segments/ref_utility", r->refu, S * n, -100, 100, err);
    if (!rc) rc = h5_read(f, path, "segments/scale", H5T_NATIVE_DOUBLE, 1, ds, (void **)&r->sd, err);
    if (!rc) rc = h5_check_f64(path, "segments/scale", r->sd, S, 1e-12, 1e6, err);
    H5Fclose(f);
    return rc;
}

static int cmp_rec(const void *a, const void *b) {
    const SGRec *x = a, *y = b;
    if (x->params != y->params) return x->params < y->params ? -1 : 1;
    int c = strcmp(x->scale, y->scale);
    if (c) return c;
    if (x->seed != y->seed) return x->seed - y->seed;
    return strcmp(x->name, y->name);
}

int sgd_load(const char *dir, const Params *run, SGData *D, HHErr *err) {
    memset(D, 0, sizeof *D);
    Segment seg[SEG_MAX];
    D->S = segments_from_params(run, seg);
    D->M = 1 + run->rl_variants.n;
    D->matches = run->seg_matches;
    for (int s = 0; s < D->S; s++) {
        snprintf(D->seg[s], HH_NAME_LEN, "%.23s", seg[s].name);
        D->share[s] = seg[s].share;
    }
    snprintf(D->model[0], sizeof D->model[0], "distill");
    for (int v = 0; v < run->rl_variants.n && v + 1 < SEG_MAX_MODELS; v++)
        snprintf(D->model[v + 1], sizeof D->model[v + 1], "%.15s", run->rl_variants.v[v]);
    char pd[1100];
    char **names = NULL;
    int nn = 0, exists = 0;
    if (stage_run_path(dir, "segments", pd, sizeof pd, err) || run_list_h5(pd, &names, &nn, &exists, err))
        return err->code;
    if (!exists || nn == 0)
        snprintf(D->missing, sizeof D->missing, "%.100s: %s (run 'hhsim segments PARAMS -o %.100s')",
                 pd, exists ? "no *.h5 files" : "no such directory", dir);
    int rc = nn && !(D->rec = calloc((size_t)nn, sizeof *D->rec)) ? hh_fail(err, HH_EFAIL, "out of memory") : 0;
    for (int k = 0; k < nn && !rc; k++) {
        SGRec *r = &D->rec[D->nrec++];
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", pd, names[k]);
        snprintf(r->name, sizeof r->name, "%.*s", (int)strlen(names[k]) - 3, names[k]);
        rc = load_one(path, run, D, r, err);
    }
    run_names_free(names, nn);
    if (rc) {
        sgd_free(D);
        return err->code;
    }
    if (D->nrec) qsort(D->rec, (size_t)D->nrec, sizeof *D->rec, cmp_rec);
    return 0;
}

int sgd_scale(const SGData *D, const char *scale, const SGRec **out, int max) {
    int n = 0;
    for (int k = 0; k < D->nrec && n < max; k++)
        if (!strcmp(D->rec[k].scale, scale)) out[n++] = &D->rec[k];
    return n;
}

int sgd_scales(const SGData *D, char (*out)[HH_NAME_LEN], double *params, int max) {
    int n = 0;
    for (int k = 0; k < D->nrec && n < max; k++) {
        const SGRec *r = &D->rec[k];
        if (n && !strcmp(out[n - 1], r->scale)) continue;
        snprintf(out[n], HH_NAME_LEN, "%s", r->scale);
        if (params) params[n] = r->params;
        n++;
    }
    return n;
}
