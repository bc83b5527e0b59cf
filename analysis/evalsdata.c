// evalsdata.c - see evalsdata.h
#include "evalsdata.h"

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

const char *const EVD_KIND_NAME[EVD_NKIND] = {"lm", "distill", "hh", "helpful"};

static void rec_free(EVRec *r) {
    free(r->correct), free(r->margin);
    r->correct = NULL, r->margin = NULL;
}

void evd_free(EVData *D) {
    for (int k = 0; k < D->nrec; k++) rec_free(&D->rec[k]);
    free(D->rec), free(D->set), free(D->seen);
    memset(D, 0, sizeof *D);
}

// The items of one file: set and query; the first file's become the run's,
// every later one must match them.
static int read_items(hid_t f, const char *path, EVData *D, uint8_t **query, HHErr *err) {
    hsize_t dn[1] = {D->n > 0 ? (hsize_t)D->n : 0}, dq[2] = {dn[0], EV_QMAX};
    void *set = NULL, *seen = NULL, *q = NULL;
    int rc = h5_read(f, path, "items/set", H5T_NATIVE_INT8, 1, dn, &set, err);
    if (!rc && (dn[0] < (hsize_t)EV_NSETS || dn[0] > EVD_MAX_ITEMS || dn[0] % EV_NSETS))
        rc = hh_fail(err, HH_EINPUT, "%s: items/set has %llu items; allowed: a multiple of %d from "
                     "%d to %d", path, (unsigned long long)dn[0], EV_NSETS, EV_NSETS, EVD_MAX_ITEMS);
    if (!rc) rc = h5_check_int(path, "items/set", set, H5_I8, dn[0], 0, EV_NSETS - 1, err);
    if (!rc) {
        int cnt[EV_NSETS] = {0};
        for (hsize_t i = 0; i < dn[0]; i++) cnt[((int8_t *)set)[i]]++;
        for (int s = 1; s < EV_NSETS && !rc; s++)
            if (cnt[s] != cnt[0])
                rc = hh_fail(err, HH_EINPUT, "%s: items/set holds %d items of set %d and %d of set "
                             "0; allowed: the same count in every set", path, cnt[s], s, cnt[0]);
    }
    if (!rc) dq[0] = dn[0], rc = h5_read(f, path, "items/query", H5T_NATIVE_UINT8, 2, dq, &q, err);
    if (!rc) rc = h5_read(f, path, "items/seen", H5T_NATIVE_UINT8, 1, dn, &seen, err);
    if (!rc) rc = h5_check_int(path, "items/seen", seen, H5_U8, dn[0], 0, 1, err);
    if (!rc && D->n == 0) {
        D->n = (int)dn[0], D->per_set = D->n / EV_NSETS;
        D->set = set, D->seen = seen, *query = q;
        return 0;
    }
    if (!rc && (memcmp(set, D->set, (size_t)D->n) || memcmp(q, *query, (size_t)D->n * EV_QMAX)))
        rc = hh_fail(err, HH_EINPUT, "%s: items/query differs from the other evals files of the run; "
                     "allowed: the one suite of the run (rerun 'hhsim evals')", path);
    free(set), free(seen), free(q);
    return rc;
}

static int load_one(const char *path, const Params *run, EVData *D, EVRec *r, uint8_t **query,
                    HHErr *err) {
    hid_t f;
    if (h5in_open(path, "evals", &f, err)) return err->code;
    JobKey k;
    int rc = (run && pipeline_file_current(run, path, f, err)) || jobkey_read(f, path, &k, err);
    r->kind = -1;
    for (int i = 0; !rc && i < EVD_NKIND; i++)
        if (!strcmp(k.variant, EVD_KIND_NAME[i])) r->kind = i;
    if (!rc && r->kind < 0)
        rc = hh_fail(err, HH_EINPUT, "%s: attribute /job variant is '%s'; allowed: lm, distill, hh, "
                     "helpful", path, k.variant);
    int si = rc ? -1 : run ? params_scale_index(run, k.scale) : 0;
    if (!rc && si < 0)
        rc = hh_fail(err, HH_EINPUT, "%s: attribute /job scale is '%s'; allowed: a scale of [model] "
                     "scale_names", path, k.scale);
    int rl = r->kind >= EVD_HH;
    if (!rc && rl != (k.seed >= 0))
        rc = hh_fail(err, HH_EINPUT, "%s: attribute /job seed is %d; allowed: a seed >= 0 for RL "
                     "policies (hh, helpful), none for lm and distill", path, k.seed);
    if (!rc) {
        snprintf(r->scale, sizeof r->scale, "%s", k.scale);
        snprintf(r->pm_scale, sizeof r->pm_scale, "%s", k.pm_scale);
        r->seed = rl ? k.seed : -1;
        r->params = run ? lmd_count_params(run->scale_layers.v[si], run->scale_dmodel.v[si], run->ctx,
                                           WORLD_VOCAB, NULL)
                        : NAN;
        rc = read_items(f, path, D, query, err);
    }
    hsize_t dv[2] = {EV_NSHOT, (hsize_t)D->n};
    if (!rc) rc = h5_read(f, path, "evals/correct", H5T_NATIVE_UINT8, 2, dv, (void **)&r->correct, err);
    if (!rc) rc = h5_check_int(path, "evals/correct", r->correct, H5_U8, (size_t)EV_NSHOT * D->n, 0, 1, err);
    if (!rc) rc = h5_read(f, path, "evals/margin", H5T_NATIVE_DOUBLE, 2, dv, (void **)&r->margin, err);
    if (!rc) rc = h5_check_f64(path, "evals/margin", r->margin, (size_t)EV_NSHOT * D->n, -1e9, 1e9, err);
    H5Fclose(f);
    return rc;
}

static int cmp_rec(const void *a, const void *b) {
    const EVRec *x = a, *y = b;
    if (x->kind != y->kind) return x->kind - y->kind;
    if (x->params != y->params) return x->params < y->params ? -1 : 1;
    int c = strcmp(x->scale, y->scale);
    if (c) return c;
    if (x->seed != y->seed) return x->seed - y->seed;
    return strcmp(x->name, y->name);
}

int evd_load(const char *dir, const Params *run, EVData *D, HHErr *err) {
    memset(D, 0, sizeof *D);
    char pd[1100];
    char **names = NULL;
    int nn = 0, exists = 0;
    if (stage_run_path(dir, "evals", pd, sizeof pd, err) || run_list_h5(pd, &names, &nn, &exists, err))
        return err->code;
    if (!exists || nn == 0)
        snprintf(D->missing, sizeof D->missing, "%.100s: %s (run 'hhsim evals PARAMS -o %.100s')", pd,
                 exists ? "no *.h5 files" : "no such directory", dir);
    uint8_t *query = NULL;
    int rc = nn && !(D->rec = calloc((size_t)nn, sizeof *D->rec)) ? hh_fail(err, HH_EFAIL, "out of memory") : 0;
    for (int k = 0; k < nn && !rc; k++) {
        EVRec *r = &D->rec[D->nrec++];
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", pd, names[k]);
        snprintf(r->name, sizeof r->name, "%.*s", (int)strlen(names[k]) - 3, names[k]);
        rc = load_one(path, run, D, r, &query, err);
    }
    run_names_free(names, nn);
    free(query);
    if (rc) {
        evd_free(D);
        return err->code;
    }
    if (D->nrec) qsort(D->rec, (size_t)D->nrec, sizeof *D->rec, cmp_rec);
    return 0;
}

const EVRec *evd_base(const EVData *D, int kind, const char *scale) {
    for (int k = 0; k < D->nrec; k++)
        if (D->rec[k].kind == kind && !strcmp(D->rec[k].scale, scale)) return &D->rec[k];
    return NULL;
}

int evd_rl(const EVData *D, int kind, const char *scale, const EVRec **out, int max) {
    int n = 0;
    for (int k = 0; k < D->nrec && n < max; k++)
        if (D->rec[k].kind == kind && !strcmp(D->rec[k].scale, scale)) out[n++] = &D->rec[k];
    return n;
}

int evd_scales(const EVData *D, int kind, char (*out)[HH_NAME_LEN], double *params, int max) {
    int n = 0;
    for (int k = 0; k < D->nrec && n < max; k++) {  // records are sorted by parameters within a kind
        const EVRec *r = &D->rec[k];
        if (r->kind != kind || (n && !strcmp(out[n - 1], r->scale))) continue;
        snprintf(out[n], HH_NAME_LEN, "%s", r->scale);
        if (params) params[n] = r->params;
        n++;
    }
    return n;
}
