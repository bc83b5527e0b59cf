// onlinedata.c - see onlinedata.h
#include "onlinedata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "h5io.h"
#include "pipeline.h"
#include "stage.h"

double ond_q75(const double *x, size_t n) {
    if (n == 0) return NAN;
    double *s = malloc(sizeof(double) * n);
    if (!s) return NAN;
    memcpy(s, x, sizeof(double) * n);
    gsl_sort(s, 1, n);
    double q = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.75);
    free(s);
    return q;
}

double ond_share_above(const double *x, size_t n, double q) {
    if (n == 0) return NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += x[i] > q;
    return (double)k / (double)n;
}

double ond_tail_gain(const double *x, size_t n, const double *base, size_t nb) {
    double q = ond_q75(base, nb);
    return ond_share_above(x, n, q) - ond_share_above(base, nb, q);
}

double ond_tail_vs_null(const double *x, size_t n, const double *null, size_t nn, const double *base,
                        size_t nb) {
    double q = ond_q75(base, nb);
    return ond_share_above(x, n, q) - ond_share_above(null, nn, q);
}

static void round_free(ONRound *r) {
    free(r->s0); free(r->base0); free(r->help); free(r->harm); free(r->kind);
    free(r->st); free(r->nst); free(r->nh); free(r->nx); free(r->baset); free(r->bkind);
    rlrec_free(&r->pol);
}

void ond_free(ONData *D) {
    for (int i = 0; i < D->n; i++) round_free(&D->r[i]);
    free(D->r);
    memset(D, 0, sizeof *D);
}

static int read_cat(hid_t f, const char *path, const char *a, const char *b, int P, double lo,
                    double hi, double **out, HHErr *err) {
    hsize_t d[1] = {(hsize_t)P};
    void *x = NULL, *y = NULL;
    int rc = h5_read(f, path, a, H5T_NATIVE_DOUBLE, 1, d, &x, err) ||
             h5_check_f64(path, a, x, (size_t)P, lo, hi, err) ||
             h5_read(f, path, b, H5T_NATIVE_DOUBLE, 1, d, &y, err) ||
             h5_check_f64(path, b, y, (size_t)P, lo, hi, err);
    *out = rc ? NULL : malloc(sizeof(double) * 2 * (size_t)P);
    if (!rc && !*out) rc = hh_fail(err, HH_EFAIL, "out of memory");
    if (!rc) {
        memcpy(*out, x, sizeof(double) * (size_t)P);
        memcpy(*out + P, y, sizeof(double) * (size_t)P);
    }
    free(x); free(y);
    return rc ? HH_EINPUT : 0;
}

// A 1-D double dataset of exactly n values in [lo, hi].
static int read_vec(hid_t f, const char *path, const char *name, size_t n, double lo, double hi, double **out,
                    HHErr *err) {
    hsize_t d[1] = {0};
    void *x = NULL;
    int rc = h5_read(f, path, name, H5T_NATIVE_DOUBLE, 1, d, &x, err);
    if (!rc && d[0] != n)
        rc = hh_fail(err, HH_EINPUT, "%s: %s has %llu values; allowed: %zu", path, name, (unsigned long long)d[0], n);
    if (!rc) rc = h5_check_f64(path, name, x, n, lo, hi, err);
    if (rc) { free(x); x = NULL; }
    *out = x;
    return rc ? HH_EINPUT : 0;
}

static int attr_num(hid_t f, const char *path, const char *name, int nan_ok, double *v, HHErr *err) {
    if (H5Aexists_by_name(f, "online", name, H5P_DEFAULT) <= 0)
        return hh_fail(err, HH_EINPUT, "%s: attribute %s on /online is missing; allowed: a number", path, name);
    hid_t a = H5Aopen_by_name(f, "online", name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t s = a < 0 ? -1 : H5Aget_space(a), ty = a < 0 ? -1 : H5Aget_type(a);
    int ok = a >= 0 && s >= 0 && ty >= 0 && H5Sget_simple_extent_npoints(s) == 1 &&
             H5Tget_class(ty) == H5T_FLOAT && H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0;
    if (ty >= 0) H5Tclose(ty);
    if (s >= 0) H5Sclose(s);
    if (a >= 0) H5Aclose(a);
    if (!ok || (!isfinite(*v) && !(nan_ok && isnan(*v))))
        return hh_fail(err, HH_EINPUT, "%s: attribute %s on /online is not one finite number%s", path,
                       name, nan_ok ? " (or NaN)" : "");
    return 0;
}

static int load_one(const char *path, const RunData *rd, ONRound *r, HHErr *err) {
    hid_t f;
    if (h5in_open(path, "online", &f, err)) return err->code;
    int rc = rd ? pipeline_file_current(&rd->params, path, f, err) : 0;
    JobKey k;
    if (!rc) rc = jobkey_read(f, path, &k, err);
    if (!rc && (!k.scale[0] || k.seed < 0 || k.round < 1 || strcmp(k.variant, "pm")))
        rc = hh_fail(err, HH_EINPUT, "%s: /job key scale '%s', variant '%s', seed %d, round %d; allowed: a "
                     "scale, variant pm, seed >= 0, round >= 1", path, k.scale, k.variant, k.seed, k.round);
    if (!rc) {
        snprintf(r->scale, sizeof r->scale, "%s", k.scale);
        r->seed = k.seed, r->round = k.round;
    }
    hsize_t d[1] = {0}, db[1] = {0};
    void *kind = NULL, *gold = NULL, *b = NULL;
    if (!rc) rc = h5_read(f, path, "online/kind", H5T_NATIVE_INT8, 1, d, &kind, err);
    if (!rc && (d[0] < 1 || d[0] > 100000000))
        rc = hh_fail(err, HH_EINPUT, "%s: online/kind has %llu rows; allowed: 1 to 1e8", path, (unsigned long long)d[0]);
    if (!rc) rc = h5_check_int(path, "online/kind", kind, H5_I8, d[0], 0, 3, err);
    r->P = (int)d[0];
    if (!rc) rc = h5_read(f, path, "online/gold", H5T_NATIVE_INT8, 1, d, &gold, err) ||
                  h5_check_int(path, "online/gold", gold, H5_I8, d[0], -1, 1, err);
    if (!rc) rc = read_cat(f, path, "online/score0_chosen", "online/score0_rejected", r->P, -1e300, 1e300, &r->s0, err) ||
                  read_cat(f, path, "online/help_chosen", "online/help_rejected", r->P, 0, 1, &r->help, err) ||
                  read_cat(f, path, "online/harm_chosen", "online/harm_rejected", r->P, 0, 1, &r->harm, err);
    if (!rc) rc = h5_read(f, path, "online/base_score0", H5T_NATIVE_DOUBLE, 1, db, &b, err);
    if (!rc && (db[0] < 2 || db[0] % 2))
        rc = hh_fail(err, HH_EINPUT, "%s: online/base_score0 has %llu values; allowed: an even count >= 2",
                     path, (unsigned long long)db[0]);
    if (!rc) rc = h5_check_f64(path, "online/base_score0", b, db[0], -1e300, 1e300, err);
    if (!rc) r->nb = (int)(db[0] / 2), r->base0 = b, b = NULL;
    size_t P2 = 2 * (size_t)r->P;
    if (!rc) rc = read_cat(f, path, "online/scoret_chosen", "online/scoret_rejected", r->P, -1e300, 1e300, &r->st, err) ||
                  read_vec(f, path, "online/null_scoret", P2, -1e300, 1e300, &r->nst, err) ||
                  read_vec(f, path, "online/null_help", P2, 0, 1, &r->nh, err) ||
                  read_vec(f, path, "online/null_harm", P2, 0, 1, &r->nx, err) ||
                  read_vec(f, path, "online/base_scoret", 2 * (size_t)r->nb, -1e300, 1e300, &r->baset, err);
    hsize_t dk[1] = {0}, dq[1] = {0}, dd[1] = {0};
    void *bk = NULL, *qu = NULL, *dr = NULL;
    if (!rc) rc = h5_read(f, path, "online/base_kind", H5T_NATIVE_INT8, 1, dk, &bk, err);
    if (!rc && dk[0] != (hsize_t)r->nb)
        rc = hh_fail(err, HH_EINPUT, "%s: online/base_kind has %llu rows; allowed: n_base = %d (base_score0 / 2)",
                     path, (unsigned long long)dk[0], r->nb);
    if (!rc) rc = h5_check_int(path, "online/base_kind", bk, H5_I8, dk[0], 0, 3, err);
    if (!rc) rc = h5_read(f, path, "online/kind_quota", H5T_NATIVE_INT32, 1, dq, &qu, err);
    if (!rc && dq[0] != 4)
        rc = hh_fail(err, HH_EINPUT, "%s: online/kind_quota has %llu values; allowed: 4 (one per prompt kind)",
                     path, (unsigned long long)dq[0]);
    if (!rc) rc = h5_check_int(path, "online/kind_quota", qu, H5_I32, 4, 0, r->P, err);
    if (!rc) rc = h5_read(f, path, "online/kind_draws", H5T_NATIVE_DOUBLE, 1, dd, &dr, err);
    if (!rc && dd[0] != 4)
        rc = hh_fail(err, HH_EINPUT, "%s: online/kind_draws has %llu values; allowed: 4 (one per prompt kind)",
                     path, (unsigned long long)dd[0]);
    if (!rc) rc = h5_check_f64(path, "online/kind_draws", dr, 4, 0, 1e15, err);
    if (!rc) {
        int sum = 0;
        for (int k = 0; k < 4; k++) {
            r->quota[k] = ((int32_t *)qu)[k], r->draws[k] = ((double *)dr)[k], sum += r->quota[k];
            if (r->draws[k] < r->quota[k])
                rc = hh_fail(err, HH_EINPUT, "%s: online/kind_draws[%d] = %g is below kind_quota[%d] = %d; allowed: "
                             "at least one draw per prompt", path, k, r->draws[k], k, r->quota[k]);
        }
        if (!rc && sum != r->P)
            rc = hh_fail(err, HH_EINPUT, "%s: online/kind_quota sums to %d; allowed: the round's %d prompts", path,
                         sum, r->P);
        int n[4] = {0, 0, 0, 0};
        for (int i = 0; !rc && i < r->P; i++) n[((int8_t *)kind)[i]]++;
        for (int k = 0; !rc && k < 4; k++)
            if (n[k] != r->quota[k])
                rc = hh_fail(err, HH_EINPUT, "%s: online/kind has %d prompts of kind %d; allowed: kind_quota[%d] = %d",
                             path, n[k], k, k, r->quota[k]);
    }
    if (!rc) r->bkind = bk, bk = NULL;
    free(bk); free(qu); free(dr);
    if (!rc) rc = attr_num(f, path, "n_train", 0, &r->n_train, err) ||
                  attr_num(f, path, "n_tail", 0, &r->n_tail, err) ||
                  attr_num(f, path, "tail_acc_crowd", 1, &r->tail_acc_crowd, err) ||
                  attr_num(f, path, "tail_acc_gold", 1, &r->tail_acc_gold, err) ||
                  attr_num(f, path, "acc_crowd", 1, &r->acc_crowd, err) ||
                  attr_num(f, path, "acc_gold", 1, &r->acc_gold, err);
    r->kind = kind;
    free(gold); free(b);
    H5Fclose(f);
    return rc ? HH_EINPUT : 0;
}

static int cmp_round(const void *a, const void *b) {
    const ONRound *x = a, *y = b;
    int c = strcmp(x->scale, y->scale);
    if (!c) c = (x->seed > y->seed) - (x->seed < y->seed);
    if (!c) c = (x->round > y->round) - (x->round < y->round);
    return c;
}

int ond_load(const char *dir, const RunData *rd, ONData *D, HHErr *err) {
    memset(D, 0, sizeof *D);
    char pd[1100];
    char **names = NULL;
    int nn = 0, exists = 0;
    if (stage_run_path(dir, "online", pd, sizeof pd, err) || run_list_h5(pd, &names, &nn, &exists, err))
        return err->code;
    int rc = 0, nd = 0;
    for (int k = 0; k < nn; k++) nd += strstr(names[k], "_pm_s") != NULL;
    if (!exists) snprintf(D->missing, sizeof D->missing, "%.100s: no such directory (run 'hhsim online')", pd);
    else if (nd == 0) snprintf(D->missing, sizeof D->missing, "%.100s: no *_pm_s*_r*.h5 files", pd);
    if (nd && !(D->r = calloc((size_t)nd, sizeof *D->r))) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < nn && !rc; k++) {
        if (!strstr(names[k], "_pm_s")) continue;
        ONRound *r = &D->r[D->n++];
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", pd, names[k]);
        snprintf(r->name, sizeof r->name, "%.*s", (int)strlen(names[k]) - 3, names[k]);
        rc = load_one(path, rd, r, err);
        // the round's policy: SCALE_SCALE_hh_sS_rK.h5 beside it (absent: pol.n = 0)
        snprintf(path, sizeof path, "%s/%s_%s_hh_s%d_r%d.h5", pd, r->scale, r->scale, r->seed, r->round);
        FILE *t = rc ? NULL : fopen(path, "rb");
        if (t) fclose(t), rc = rl_load_file(path, rd, &r->pol, err);
    }
    run_names_free(names, nn);
    if (rc) { ond_free(D); return err->code; }
    if (D->n) qsort(D->r, (size_t)D->n, sizeof *D->r, cmp_round);
    return 0;
}
