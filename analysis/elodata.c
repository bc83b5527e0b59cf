// elodata.c - see elodata.h
#include "elodata.h"

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

void eld_file_free(EloFile *e) {
    free(e->type), free(e->seed), free(e->round), free(e->n), free(e->pkind), free(e->pms), free(e->pmt);
    free(e->mkind), free(e->mwin), free(e->ma), free(e->mb), free(e->mp), free(e->mw);
    memset(e, 0, sizeof *e);
}

void eld_free(EloData *D) {
    for (int k = 0; k < D->n; k++) eld_file_free(&D->f[k]);
    free(D->f);
    memset(D, 0, sizeof *D);
}

static int read_contestants(hid_t f, const char *path, EloFile *e, HHErr *err) {
    hsize_t dc[1] = {0};
    int rc = h5_read(f, path, "contestants/type", H5T_NATIVE_INT8, 1, dc, (void **)&e->type, err);
    if (!rc && (dc[0] < 2 || dc[0] > ELO_MAX_CONTESTANTS))
        rc = hh_fail(err, HH_EINPUT, "%s: contestants/type has %llu contestants; allowed: 2 to %d",
                     path, (unsigned long long)dc[0], ELO_MAX_CONTESTANTS);
    if (!rc) e->C = (int)dc[0], rc = h5_check_int(path, "contestants/type", e->type, H5_I8, dc[0], 0, ELT_N - 1, err);
    if (!rc) rc = h5_read(f, path, "contestants/seed", H5T_NATIVE_INT32, 1, dc, (void **)&e->seed, err);
    if (!rc) rc = h5_read(f, path, "contestants/round", H5T_NATIVE_INT32, 1, dc, (void **)&e->round, err);
    if (!rc) rc = h5_check_int(path, "contestants/round", e->round, H5_I32, dc[0], -1, 100000, err);
    if (!rc) rc = h5_read(f, path, "contestants/n", H5T_NATIVE_INT32, 1, dc, (void **)&e->n, err);
    if (!rc) rc = h5_check_int(path, "contestants/n", e->n, H5_I32, dc[0], -1, 1 << 20, err);
    int nd = 0, na = 0;
    e->pin = -1;
    for (int i = 0; !rc && i < e->C; i++) {
        int t = e->type[i], bon = elt_bon(t);
        nd += t == ELT_DISTILL;
        na += t == ELT_ANCHOR;
        if (t == ELT_ANCHOR || (t == ELT_DISTILL && e->pin < 0)) e->pin = i;
        if (bon != (e->n[i] >= 1))
            rc = hh_fail(err, HH_EINPUT, "%s: contestants/n[%d] = %d for a contestant of type %d; "
                         "allowed: n >= 1 for best-of-n (types %d, %d), -1 otherwise", path, i, e->n[i], t, ELT_BON,
                         ELT_BON_OPM);
        else if ((t == ELT_ONLINE) != (e->round[i] >= 0))
            rc = hh_fail(err, HH_EINPUT, "%s: contestants/round[%d] = %d for a contestant of type %d; "
                         "allowed: a round >= 0 for online (type %d), -1 otherwise", path, i, e->round[i],
                         t, ELT_ONLINE);
    }
    if (!rc && (nd != 1 || na > 1))
        rc = hh_fail(err, HH_EINPUT, "%s: contestants/type has %d distilled models and %d anchors; "
                     "allowed: exactly one distilled model (type %d), at most one anchor (type %d)",
                     path, nd, na, ELT_DISTILL, ELT_ANCHOR);
    return rc;
}

int eld_load_file(const char *path, const Params *run, EloFile *e, HHErr *err) {
    memset(e, 0, sizeof *e);
    e->params = NAN;
    hid_t f;
    if (h5in_open(path, "elo", &f, err)) return err->code;
    JobKey k;
    char *anchor = NULL;
    int rc = (run && pipeline_file_current(run, path, f, err)) || jobkey_read(f, path, &k, err) ||
             h5_get_attr_str(f, "job", "anchor", HH_NAME_LEN - 1, &anchor, err);
    int si = rc ? -1 : run ? params_scale_index(run, k.scale) : 0;
    if (!rc && si < 0)
        rc = hh_fail(err, HH_EINPUT, "%s: attribute /job scale is '%s'; allowed: a scale of [model] "
                     "scale_names", path, k.scale);
    if (!rc) {
        snprintf(e->scale, sizeof e->scale, "%s", k.scale);
        snprintf(e->anchor, sizeof e->anchor, "%s", anchor);
        if (run)
            e->params = lmd_count_params(run->scale_layers.v[si], run->scale_dmodel.v[si], run->ctx,
                                         WORLD_VOCAB, NULL);
        rc = read_contestants(f, path, e, err);
    }
    free(anchor);
    hsize_t dp[1] = {0};
    if (!rc) rc = h5_read(f, path, "prompts/kind", H5T_NATIVE_INT8, 1, dp, (void **)&e->pkind, err);
    if (!rc && (dp[0] < 2 || dp[0] > ELD_MAX_PROMPTS))
        rc = hh_fail(err, HH_EINPUT, "%s: prompts/kind has %llu prompts; allowed: 2 to %d", path,
                     (unsigned long long)dp[0], ELD_MAX_PROMPTS);
    if (!rc) e->P = (int)dp[0], rc = h5_check_int(path, "prompts/kind", e->pkind, H5_I8, dp[0], 0, N_KINDS - 1, err);
    int nk[2] = {0, 0};
    for (int i = 0; !rc && i < e->P; i++) nk[e->pkind[i] >= KIND_REDTEAM]++;
    if (!rc && (!nk[0] || !nk[1]))
        rc = hh_fail(err, HH_EINPUT, "%s: prompts/kind has %d benign/borderline and %d red-team/"
                     "disguised prompts; allowed: at least one of each", path, nk[0], nk[1]);
    hsize_t ds[3] = {0, (hsize_t)e->C, (hsize_t)e->P};
    if (!rc) rc = h5_read(f, path, "samples/pm_score", H5T_NATIVE_DOUBLE, 3, ds, (void **)&e->pms, err);
    if (!rc && (ds[0] < 1 || ds[0] > 16))
        rc = hh_fail(err, HH_EINPUT, "%s: samples/pm_score has %llu PM seeds; allowed: 1 to 16", path,
                     (unsigned long long)ds[0]);
    if (!rc) e->S = (int)ds[0], rc = h5_check_f64(path, "samples/pm_score", e->pms, ds[0] * ds[1] * ds[2], -1e6, 1e6, err);
    if (!rc) rc = h5_check_int(path, "contestants/seed", e->seed, H5_I32, (size_t)e->C, -1, e->S - 1, err);
    for (int i = 0; !rc && i < e->C; i++)
        if (elt_seeded(e->type[i]) != (e->seed[i] >= 0))
            rc = hh_fail(err, HH_EINPUT, "%s: contestants/seed[%d] = %d for a contestant of type %d; "
                         "allowed: a seed for RL, online and best-of-n contestants, -1 otherwise",
                         path, i, e->seed[i], e->type[i]);
    hsize_t dt[3] = {(hsize_t)e->S, (hsize_t)e->C, (hsize_t)e->P};
    if (!rc) rc = h5_read(f, path, "samples/pm_test_score", H5T_NATIVE_DOUBLE, 3, dt, (void **)&e->pmt, err);
    if (!rc) rc = h5_check_f64(path, "samples/pm_test_score", e->pmt, dt[0] * dt[1] * dt[2], -1e6, 1e6, err);
    for (int q = 0; !rc && q < 2; q++) {  // the PMs' file stems: how many distinct PMs the seeds have
        const char *an = q ? "test_pms" : "train_pms";
        char *v = NULL;
        rc = h5_get_attr_str(f, "samples", an, 16 * 200, &v, err);
        int n = 0, distinct = 0;
        char *save = NULL, *stems[16];
        for (char *tok = rc ? NULL : strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int seen = 0;
            for (int u = 0; u < n && u < 16; u++) seen |= !strcmp(stems[u], tok);
            if (n < 16) stems[n] = tok;
            n++;
            distinct += !seen;
        }
        if (!rc && n != e->S)
            rc = hh_fail(err, HH_EINPUT, "%s: attribute /samples %s names %d PMs; allowed: one per PM "
                         "seed of samples/pm_score (%d)", path, an, n, e->S);
        if (!rc) *(q ? &e->npm_test : &e->npm_train) = distinct;
        free(v);
    }
    hsize_t dm[1] = {0};
    if (!rc) rc = h5_read(f, path, "matches/kind", H5T_NATIVE_INT8, 1, dm, (void **)&e->mkind, err);
    if (!rc && (dm[0] < 1 || dm[0] > ELD_MAX_MATCHES))
        rc = hh_fail(err, HH_EINPUT, "%s: matches/kind has %llu matches; allowed: 1 to %d", path,
                     (unsigned long long)dm[0], ELD_MAX_MATCHES);
    size_t M = rc ? 0 : (size_t)dm[0];
    e->M = (long)M;
    if (!rc) rc = h5_check_int(path, "matches/kind", e->mkind, H5_I8, M, 0, 1, err);
    if (!rc) rc = h5_read(f, path, "matches/winner", H5T_NATIVE_INT8, 1, dm, (void **)&e->mwin, err);
    if (!rc) rc = h5_check_int(path, "matches/winner", e->mwin, H5_I8, M, 0, 1, err);
    if (!rc) rc = h5_read(f, path, "matches/a", H5T_NATIVE_INT16, 1, dm, (void **)&e->ma, err);
    if (!rc) rc = h5_read(f, path, "matches/b", H5T_NATIVE_INT16, 1, dm, (void **)&e->mb, err);
    if (!rc) rc = h5_read(f, path, "matches/prompt", H5T_NATIVE_INT32, 1, dm, (void **)&e->mp, err);
    if (!rc) rc = h5_check_int(path, "matches/prompt", e->mp, H5_I32, M, 0, e->P - 1, err);
    if (!rc) rc = h5_read(f, path, "matches/worker", H5T_NATIVE_INT32, 1, dm, (void **)&e->mw, err);
    if (!rc) rc = h5_check_int(path, "matches/worker", e->mw, H5_I32, M, 0, 2000000000L, err);
    for (size_t m = 0; !rc && m < M; m++) {
        int a = e->ma[m], b = e->mb[m];
        if (!(a >= 0 && a < b && b < e->C))
            rc = hh_fail(err, HH_EINPUT, "%s: matches/a[%zu] = %d, matches/b[%zu] = %d; allowed: 0 <= "
                         "a < b < %d (the contestants)", path, m, a, m, b, e->C);
        else if (e->mkind[m] != (e->pkind[e->mp[m]] >= KIND_REDTEAM))
            rc = hh_fail(err, HH_EINPUT, "%s: matches/kind[%zu] = %d on prompt %d of world kind %d; "
                         "allowed: 0 on benign/borderline prompts, 1 on red-team/disguised ones",
                         path, m, e->mkind[m], e->mp[m], e->pkind[e->mp[m]]);
    }
    H5Fclose(f);
    if (rc) eld_file_free(e);
    return rc;
}

static int cmp_file(const void *a, const void *b) {
    const EloFile *x = a, *y = b;
    if (x->params != y->params && !isnan(x->params) && !isnan(y->params)) return x->params < y->params ? -1 : 1;
    return strcmp(x->scale, y->scale);
}

int eld_load(const char *dir, const Params *run, EloData *D, HHErr *err) {
    memset(D, 0, sizeof *D);
    char pd[1100];
    char **names = NULL;
    int nn = 0, exists = 0;
    if (stage_run_path(dir, "elo", pd, sizeof pd, err) || run_list_h5(pd, &names, &nn, &exists, err))
        return err->code;
    if (!exists || nn == 0)
        snprintf(D->missing, sizeof D->missing, "%.100s: %s (run 'hhsim elo PARAMS -o %.100s')", pd,
                 exists ? "no *.h5 files" : "no such directory", dir);
    int rc = nn && !(D->f = calloc((size_t)nn, sizeof *D->f)) ? hh_fail(err, HH_EFAIL, "out of memory") : 0;
    for (int k = 0; k < nn && !rc; k++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", pd, names[k]);
        rc = eld_load_file(path, run, &D->f[D->n], err);
        if (!rc) snprintf(D->f[D->n].name, sizeof D->f[D->n].name, "%.*s", (int)strlen(names[k]) - 3, names[k]), D->n++;
    }
    run_names_free(names, nn);
    if (rc) {
        eld_free(D);
        return err->code;
    }
    if (D->n) qsort(D->f, (size_t)D->n, sizeof *D->f, cmp_file);
    return 0;
}
