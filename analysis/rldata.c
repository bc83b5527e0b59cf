// rldata.c - see rldata.h
#include "rldata.h"

#include "pipeline.h"
#include "stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "h5io.h"

void rlrec_free(RLRec *r) {
    for (int c = 0; c < RL_NCOL; c++) free(r->col[c]), r->col[c] = NULL;
}

void rl_free(RLData *D) {
    for (int k = 0; k < D->nrl; k++) rlrec_free(&D->rl[k]);
    for (int k = 0; k < D->nbon; k++) rlrec_free(&D->bon[k]);
    free(D->rl), free(D->bon);
    memset(D, 0, sizeof *D);
}

// Parameters of the PM file `stem` (NaN if not in the run), and of any PM of `scale`.
static double pm_params_of(const RunData *rd, const char *stem, const char *scale) {
    for (int k = 0; rd && k < rd->npm; k++)
        if (stem ? !strcmp(rd->pm[k].name, stem) : !strcmp(rd->pm[k].scale, scale)) return rd->pm[k].nparams;
    return NAN;
}

static int read_attr(hid_t f, const char *path, const char *name, char *out, size_t n, HHErr *err) {
    char *s = h5_read_attr_str(f, "/job", name);
    if (!s) return hh_fail(err, HH_EINPUT, "%s: missing string attribute '%s' on /job (not written by "
                           "'hhsim rl'?)", path, name);
    if (strlen(s) >= n) {
        free(s);
        return hh_fail(err, HH_EINPUT, "%s: attribute '%s' on /job is longer than %zu characters",
                       path, name, n - 1);
    }
    snprintf(out, n, "%s", s);
    free(s);
    return 0;
}

// The schema's ranges: iterations and n whole and increasing, KL >= 0 (sqrt_kl
// its square root), PM scores finite, gold help, harm and refusals in [0, 1].
static int check_cols(const char *path, int bon, const RLRec *r, HHErr *err) {
    for (int c = 0; c < r->ncol; c++) {
        const char *nm = bon ? BON_COLNAME(c) : RL_COLNAME(c);
        int count = bon ? c == BON_N : c == RL_ITER;
        int kl = bon ? c == BON_KL_ANALYTIC || c == BON_KL_EXACT : c == RL_KL || c == RL_SQRT_KL;
        int score = bon ? c >= BON_TRAIN && c <= BON_BIG : c >= RL_TRAIN && c <= RL_TRAIN_RED;
        double lo = count ? (bon ? 1 : 0) : kl ? 0 : score ? -1e30 : 0;
        double hi = count ? 1e9 : kl || score ? 1e30 : 1;
        for (int i = 0; i < r->n; i++) {
            double x = r->col[c][i];
            int ok = x >= lo && x <= hi && (!count || (x == floor(x) && (i == 0 || x > r->col[c][i - 1])));
            if (ok && !bon && c == RL_SQRT_KL)
                ok = fabs(x - sqrt(r->col[RL_KL][i])) <= 1e-9 * (1 + x);
            if (!ok)
                return hh_fail(err, HH_EINPUT, "%s: %s/%s[%d] = %g; allowed: %s", path,
                               bon ? "bon" : "curve", nm, i, x,
                               count ? "whole numbers, increasing" : kl ? "a finite KL >= 0 "
                               "(sqrt_kl its square root)" : score ? "a finite score"
                               : "a value in [0, 1]");
        }
    }
    return 0;
}

// r->kept holds /model kept_iter as read: turn it into the row of /curve/iter that equals it.
static int read_kept(const char *path, RLRec *r, HHErr *err) {
    int ki = r->kept;
    r->kept = -1;
    for (int i = 0; i < r->n; i++)
        if (r->col[RL_ITER][i] == ki) r->kept = i;
    if (r->kept < 0)
        return hh_fail(err, HH_EINPUT, "%s: attribute kept_iter on /model is %d; allowed: one of /curve/iter "
                       "(%d evaluations, %g to %g)", path, ki, r->n, r->col[RL_ITER][0], r->col[RL_ITER][r->n - 1]);
    return 0;
}

static int load_one(const char *path, int bon, const RunData *rd, RLRec *r, HHErr *err) {
    hid_t f;
    if (h5in_open(path, bon ? "bon" : "rl", &f, err)) return err->code;
    if (rd && pipeline_file_current(&rd->params, path, f, err)) {
        H5Fclose(f);
        return err->code;
    }
    double seed = -1;
    int rc = read_attr(f, path, "policy", r->policy, sizeof r->policy, err) ||
             read_attr(f, path, "pm_scale", r->pm_scale, sizeof r->pm_scale, err) ||
             read_attr(f, path, "variant", r->variant, sizeof r->variant, err) ||
             read_attr(f, path, "train_pm", r->train_pm, sizeof r->train_pm, err) ||
             read_attr(f, path, "test_pm", r->test_pm, sizeof r->test_pm, err) ||
             read_attr(f, path, "big_pm", r->big_pm, sizeof r->big_pm, err) ||
             read_attr(f, path, "big_pm_scale", r->big_pm_scale, sizeof r->big_pm_scale, err) ||
             h5_read_attr_double(f, "/job", "seed", &seed, err);
    if (rc && err->code == HH_EINPUT && !strstr(err->msg, path)) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        hh_fail(err, HH_EINPUT, "%s: %s", path, m);
    }
    r->seed = (int)seed;
    r->ncol = bon ? BON_NCOL : RL_NCOL;
    r->n = -1;
    for (int c = 0; !rc && c < r->ncol; c++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s/%s", bon ? "bon" : "curve", bon ? BON_COLNAME(c) : RL_COLNAME(c));
        hsize_t d = r->n < 0 ? 0 : (hsize_t)r->n;
        rc = h5_read(f, path, nm, H5T_NATIVE_DOUBLE, 1, &d, (void **)&r->col[c], err);
        if (!rc) r->n = (int)d;
    }
    if (!rc && !bon) {
        r->kept = -1;
        rc = h5_read_attr_int(f, "/model", "kept_iter", 0, 1000000000, &r->kept, err);
        if (rc && err->code == HH_EINPUT && !strstr(err->msg, path)) {
            char m[sizeof err->msg];
            snprintf(m, sizeof m, "%s", err->msg);
            hh_fail(err, HH_EINPUT, "%s: %s", path, m);
        }
    }
    H5Fclose(f);
    if (!rc && (r->n < 1 || r->n > RL_MAXPT))
        rc = hh_fail(err, HH_EINPUT, "%s: %d rows (expected 1 to %d)", path, r->n, RL_MAXPT);
    if (!rc && !(seed >= 0 && seed <= 1e9 && seed == floor(seed)))
        rc = hh_fail(err, HH_EINPUT, "%s: attribute seed on /job is %g; allowed: a whole number "
                     "from 0 to 1e9", path, seed);
    if (!rc) rc = check_cols(path, bon, r, err);
    if (!rc) rc = bon ? (r->kept = -1, 0) : read_kept(path, r, err);
    if (!rc) {
        r->pm_params = pm_params_of(rd, r->train_pm, NULL);
        if (!isfinite(r->pm_params)) r->pm_params = pm_params_of(rd, NULL, r->pm_scale);
        r->policy_params = pm_params_of(rd, NULL, r->policy);
    }
    return rc;
}

// Size order of a scale: parameters when known, then name.
static int cmp_scale(double pa, const char *a, double pb, const char *b) {
    int fa = isfinite(pa), fb = isfinite(pb);
    if (fa != fb) return fa ? -1 : 1;
    if (fa && pa != pb) return pa < pb ? -1 : 1;
    return strcmp(a, b);
}

static int cmp_rec(const void *a, const void *b) {
    const RLRec *x = a, *y = b;
    int c = cmp_scale(x->policy_params, x->policy, y->policy_params, y->policy);
    if (!c) c = cmp_scale(x->pm_params, x->pm_scale, y->pm_params, y->pm_scale);
    if (!c) c = strcmp(x->variant, y->variant);
    if (!c) c = (x->seed > y->seed) - (x->seed < y->seed);
    return c ? c : strcmp(x->name, y->name);
}

// Every dir/sub/*.h5 (no checkpoints or temporary files) into *recs.
static int load_dir(const char *dir, const char *sub, const RunData *rd, RLRec **recs, int *n,
                    char *missing, HHErr *err) {
    char pd[1100];
    *n = 0;
    *recs = NULL;
    char **names;
    int nn, exists;
    if (stage_run_path(dir, sub, pd, sizeof pd, err) || run_list_h5(pd, &names, &nn, &exists, err))
        return err->code;
    if (!exists)
        snprintf(missing, 256, "%.100s: no such directory (run 'hhsim %s PARAMS -o %.100s')", pd, sub, dir);
    int rc = 0;
    if (exists && nn == 0) snprintf(missing, 256, "%.100s: no *.h5 files (run 'hhsim %s PARAMS -o %.100s')", pd, sub, dir);
    else if (nn && !(*recs = calloc((size_t)nn, sizeof **recs))) rc = hh_fail(err, HH_EFAIL, "out of memory");
    for (int k = 0; k < nn && !rc; k++) {
        RLRec *r = &(*recs)[(*n)++];
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", pd, names[k]);
        snprintf(r->name, sizeof r->name, "%.*s", (int)strlen(names[k]) - 3, names[k]);
        rc = load_one(path, !strcmp(sub, "bon"), rd, r, err);
    }
    run_names_free(names, nn);
    if (!rc && *n) qsort(*recs, (size_t)*n, sizeof **recs, cmp_rec);
    return rc;
}

void rl_finish(RLData *D) {
    D->big_pm_scale[0] = D->big_policy[0] = '\0';
    if (!D->nrl) return;
    char pms[32][HH_NAME_LEN];
    int npm = rl_scales(D, 1, pms, 32), known = 0;
    snprintf(D->big_pm_scale, sizeof D->big_pm_scale, "%s", D->rl[0].big_pm_scale);
    for (int i = 0; i < npm; i++) known |= !strcmp(pms[i], D->big_pm_scale);
    if (!known)  // no big_pm stem of a trained-against scale (synthetic data): the largest PM scale
        snprintf(D->big_pm_scale, sizeof D->big_pm_scale, "%.*s", HH_NAME_LEN - 1, pms[npm - 1]);
    char pol[32][HH_NAME_LEN];
    int np = rl_scales(D, 0, pol, 32), best = -1;
    for (int i = 0; i < np; i++) {  // ascending size: ">=" keeps the larger on ties
        char pms[32][HH_NAME_LEN];
        int m = 0;
        for (int k = 0; k < D->nrl; k++) {
            if (strcmp(D->rl[k].policy, pol[i])) continue;
            int seen = 0;
            for (int q = 0; q < m; q++) seen |= !strcmp(pms[q], D->rl[k].pm_scale);
            if (!seen && m < 32) snprintf(pms[m++], HH_NAME_LEN, "%s", D->rl[k].pm_scale);
        }
        if (m >= best) best = m, snprintf(D->big_policy, sizeof D->big_policy, "%.*s", HH_NAME_LEN - 1, pol[i]);
    }
}

int rl_load_file(const char *path, const RunData *rd, RLRec *r, HHErr *err) {
    memset(r, 0, sizeof *r);
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t L = strlen(b);
    snprintf(r->name, sizeof r->name, "%.*s", (int)(L > 3 ? L - 3 : L), b);
    return load_one(path, 0, rd, r, err);
}

int rl_load(const char *dir, const RunData *rd, RLData *D, HHErr *err) {
    memset(D, 0, sizeof *D);
    int rc = load_dir(dir, "rl", rd, &D->rl, &D->nrl, D->missing_rl, err) ||
             load_dir(dir, "bon", rd, &D->bon, &D->nbon, D->missing_bon, err);
    if (rc) {
        rl_free(D);
        return err->code;
    }
    rl_finish(D);
    return 0;
}

int rlrec_init(RLRec *r, int bon, const char *policy, const char *pm_scale, const char *variant,
               int seed, double policy_params, double pm_params, int n, const double *const *cols,
               HHErr *err) {
    memset(r, 0, sizeof *r);
    if (n < 1 || n > RL_MAXPT) return hh_fail(err, HH_EINPUT, "rlrec_init: n = %d (expected 1 to %d)", n, RL_MAXPT);
    snprintf(r->policy, sizeof r->policy, "%s", policy);
    snprintf(r->pm_scale, sizeof r->pm_scale, "%s", pm_scale);
    snprintf(r->variant, sizeof r->variant, "%s", variant);
    snprintf(r->name, sizeof r->name, "%s_%s_%s_s%d", policy, pm_scale, variant, seed);
    snprintf(r->train_pm, sizeof r->train_pm, "%s_synthetic_half0", pm_scale);
    snprintf(r->test_pm, sizeof r->test_pm, "%s_synthetic_half1", pm_scale);
    r->seed = seed;
    r->policy_params = policy_params, r->pm_params = pm_params;
    r->n = n, r->ncol = bon ? BON_NCOL : RL_NCOL, r->kept = bon ? -1 : n - 1;
    for (int c = 0; c < r->ncol; c++) {
        if (!(r->col[c] = malloc(sizeof(double) * (size_t)n))) {
            rlrec_free(r);
            return hh_fail(err, HH_EFAIL, "out of memory");
        }
        for (int i = 0; i < n; i++) r->col[c][i] = cols && cols[c] ? cols[c][i] : NAN;
    }
    return 0;
}

static const RLRec *find(const RLRec *v, int n, const char *policy, const char *pm_scale,
                         const char *variant) {
    for (int k = 0; k < n; k++)
        if (!strcmp(v[k].policy, policy) && !strcmp(v[k].pm_scale, pm_scale) && !strcmp(v[k].variant, variant))
            return &v[k];
    return NULL;
}

const RLRec *rl_find(const RLData *D, const char *policy, const char *pm_scale, const char *variant) {
    return find(D->rl, D->nrl, policy, pm_scale, variant);
}

const RLRec *bon_find(const RLData *D, const char *policy, const char *pm_scale, const char *variant) {
    return find(D->bon, D->nbon, policy, pm_scale, variant);
}

static int find_all(const RLRec *v, int n, const char *policy, const char *pm_scale,
                    const char *variant, const RLRec **out, int max) {
    int m = 0;
    for (int k = 0; k < n && m < max; k++)  // records are sorted by seed within a configuration
        if (!strcmp(v[k].policy, policy) && !strcmp(v[k].pm_scale, pm_scale) && !strcmp(v[k].variant, variant))
            out[m++] = &v[k];
    return m;
}

int rl_find_all(const RLData *D, const char *policy, const char *pm_scale, const char *variant,
                const RLRec **out, int max) {
    return find_all(D->rl, D->nrl, policy, pm_scale, variant, out, max);
}

int bon_find_all(const RLData *D, const char *policy, const char *pm_scale, const char *variant,
                 const RLRec **out, int max) {
    return find_all(D->bon, D->nbon, policy, pm_scale, variant, out, max);
}

int rl_seed_list(const RLData *D, int *out, int max) {
    int n = 0;
    for (int k = 0; k < D->nrl; k++) {
        int s = D->rl[k].seed, at = n, seen = 0;
        for (int q = 0; q < n; q++) seen |= out[q] == s;
        if (seen || n >= max) continue;
        while (at > 0 && out[at - 1] > s) out[at] = out[at - 1], at--;
        out[at] = s, n++;
    }
    return n;
}

static const RLRec *find_seed(const RLRec *v, int n, const char *policy, const char *pm_scale,
                              const char *variant, int seed) {
    for (int k = 0; k < n; k++)
        if (v[k].seed == seed && !strcmp(v[k].policy, policy) && !strcmp(v[k].pm_scale, pm_scale) &&
            !strcmp(v[k].variant, variant))
            return &v[k];
    return NULL;
}

const RLRec *rl_find_seed(const RLData *D, const char *policy, const char *pm_scale,
                          const char *variant, int seed) {
    return find_seed(D->rl, D->nrl, policy, pm_scale, variant, seed);
}

const RLRec *bon_find_seed(const RLData *D, const char *policy, const char *pm_scale,
                           const char *variant, int seed) {
    return find_seed(D->bon, D->nbon, policy, pm_scale, variant, seed);
}

double rl_gold(const RLRec *r, int i) {
    return 0.5 * (r->col[RL_HELP_BENIGN][i] + r->col[RL_HELP_BORDER][i]) - r->col[RL_HARM_RED][i];
}

double bon_gold(const RLRec *r, int i) {
    return r->col[BON_HELP_BENIGN][i] - r->col[BON_HARM_RED][i];
}

int rl_scales(const RLData *D, int kind, char (*out)[HH_NAME_LEN], int max) {
    double par[64];
    int n = 0;
    for (int k = 0; k < D->nrl; k++) {
        const char *s = kind ? D->rl[k].pm_scale : D->rl[k].policy;
        double p = kind ? D->rl[k].pm_params : D->rl[k].policy_params;
        int seen = 0;
        for (int q = 0; q < n; q++) seen |= !strcmp(out[q], s);
        if (seen || n >= max || n >= 64) continue;
        int at = n;  // insertion sort by size
        while (at > 0 && cmp_scale(p, s, par[at - 1], out[at - 1]) < 0) {
            snprintf(out[at], HH_NAME_LEN, "%s", out[at - 1]);
            par[at] = par[at - 1];
            at--;
        }
        snprintf(out[at], HH_NAME_LEN, "%s", s);
        par[at] = p;
        n++;
    }
    return n;
}

double rl_kept_col(const RLRec *r, int c) {
    return r && r->n > 0 && r->kept >= 0 && r->kept < r->n ? r->col[c][r->kept] : NAN;
}
double rl_kept_gold(const RLRec *r) {
    return r && r->n > 0 && r->kept >= 0 && r->kept < r->n ? rl_gold(r, r->kept) : NAN;
}
double rl_end_col(const RLRec *r, int c) { return r && r->n > 0 ? r->col[c][r->n - 1] : NAN; }
double rl_end_gold(const RLRec *r) { return r && r->n > 0 ? rl_gold(r, r->n - 1) : NAN; }
