// pmstats.c - see pmstats.h
#include "pmstats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

// ---------------------------------------------------------------------------
// counting

PairSel pairsel_all(void) {
    return (PairSel){.setmask = 0, .turn_min = 0, .turn_max = 0, .vs_gold = 0, .zmin = -INFINITY,
                     .zmax = INFINITY, .differs = -1, .no_ties = 0};
}

PairSel pairsel_matched(void) {
    PairSel s = pairsel_all();
    s.setmask = 1 << PM_HELPFUL, s.vs_gold = 1, s.differs = 0;
    return s;
}

static int selected(const PMRec *r, size_t i, const PairSel *s) {
    if (s->setmask && !(s->setmask & (1 << r->set[i]))) return 0;
    if (s->turn_min && r->turn[i] < s->turn_min) return 0;
    if (s->turn_max && r->turn[i] > s->turn_max) return 0;
    if ((s->vs_gold || s->no_ties) && r->gold[i] == 0) return 0;
    if (s->differs >= 0 && r->differs[i] != s->differs) return 0;
    return r->smax[i] >= s->zmin && r->smax[i] < s->zmax;
}

// 1, 1/2 or 0: the PM agrees with the crowd label (or the gold preference).
static double correct(const PMRec *r, size_t i, int vs_gold) {
    double m = r->margin[i];
    if (vs_gold) m *= r->gold[i];
    return m > 0 ? 1.0 : m == 0 ? 0.5 : 0.0;
}

// Per record, the pairs' scores under up to PM_SEL_SLOTS selections: -1 not
// selected, else correct() (0, 1/2 or 1, exact in a float). Counting with them
// adds the same values in the same order as testing each pair, so results are
// bit-identical; the bootstraps of hhfit spent half their time in selected().
enum { PM_SEL_SLOTS = 6 };
struct PMSelCache {
    PairSel key[PM_SEL_SLOTS];
    float *v[PM_SEL_SLOTS];
    unsigned long last[PM_SEL_SLOTS];  // when each slot was last used
    unsigned long clock;
};

static int same_sel(const PairSel *a, const PairSel *b) {
    return a->setmask == b->setmask && a->turn_min == b->turn_min && a->turn_max == b->turn_max &&
           a->vs_gold == b->vs_gold && a->differs == b->differs && a->no_ties == b->no_ties &&
           !memcmp(&a->zmin, &b->zmin, sizeof a->zmin) && !memcmp(&a->zmax, &b->zmax, sizeof a->zmax);
}

void pm_sel_free(PMRec *r) {
    if (!r->sel) return;
    for (int k = 0; k < PM_SEL_SLOTS; k++) free(r->sel->v[k]);
    free(r->sel);
    r->sel = NULL;
}

// The record's scores under s, or NULL when out of memory (the caller then
// tests each pair).
static const float *sel_scores(const PMRec *r, const PairSel *s) {
    PMRec *w = (PMRec *)r;  // the cache only: the record's data are not touched
    if (!w->sel && !(w->sel = calloc(1, sizeof *w->sel))) return NULL;
    struct PMSelCache *c = w->sel;
    c->clock++;
    int slot = 0;
    for (int k = 0; k < PM_SEL_SLOTS; k++) {
        if (c->v[k] && same_sel(&c->key[k], s)) {
            c->last[k] = c->clock;
            return c->v[k];
        }
        if (c->last[k] < c->last[slot]) slot = k;
    }
    float *v = c->v[slot] ? c->v[slot] : malloc(sizeof(float) * ((size_t)r->n + 1));
    if (!v) return NULL;
    for (int i = 0; i < r->n; i++) v[i] = selected(r, (size_t)i, s) ? (float)correct(r, (size_t)i, s->vs_gold) : -1.0f;
    c->v[slot] = v, c->key[slot] = *s, c->last[slot] = c->clock;
    return v;
}

AccCount pm_count(const PMRec *const *g, int ng, const size_t *idx, size_t nidx, const PairSel *s) {
    AccCount c = {0, 0};
    for (int j = 0; j < ng; j++) {
        const PMRec *r = g[j];
        size_t n = idx ? nidx : (size_t)r->n;
        const float *v = sel_scores(r, s);
        for (size_t t = 0; t < n; t++) {
            size_t i = idx ? idx[t] : t;
            if (i >= (size_t)r->n) continue;
            if (v) {
                if (v[i] < 0.0f) continue;
                c.k += v[i];
            } else {
                if (!selected(r, i, s)) continue;
                c.k += correct(r, i, s->vs_gold);
            }
            c.n++;
        }
    }
    return c;
}

StatsCI acc_ci(AccCount c) {
    StatsCI o = {NAN, NAN, NAN, NAN, c.n};
    if (c.n == 0) return o;
    const double z = 1.959963984540054, n = (double)c.n, p = c.k / n;
    double den = 1 + z * z / n, mid = (p + z * z / (2 * n)) / den;
    double half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den;
    o.est = p, o.lo = mid - half, o.hi = mid + half, o.se = sqrt(p * (1 - p) / n);
    return o;
}

// ---------------------------------------------------------------------------
// sweeps

static void add_int(int *v, int *n, int max, int x) {
    for (int i = 0; i < *n; i++)
        if (v[i] == x) return;
    if (*n == max) return;
    int i = (*n)++;
    for (; i > 0 && v[i - 1] > x; i--) v[i] = v[i - 1];
    v[i] = x;
}

static void add_dbl(double *v, int *n, int max, double x) {
    for (int i = 0; i < *n; i++)
        if (fabs(v[i] - x) < 1e-9) return;
    if (*n == max) return;
    int i = (*n)++;
    for (; i > 0 && v[i - 1] > x; i--) v[i] = v[i - 1];
    v[i] = x;
}

void sweeps_find(const RunData *rd, Sweeps *sw) {
    memset(sw, 0, sizeof *sw);
    for (int k = 0; k < rd->npm; k++) {  // records are sorted by nparams
        const PMRec *r = &rd->pm[k];
        if (sw->nscale < 16 && (sw->nscale == 0 || strcmp(sw->scale[sw->nscale - 1], r->scale))) {
            int seen = 0;
            for (int i = 0; i < sw->nscale; i++) seen |= !strcmp(sw->scale[i], r->scale);
            if (!seen) {
                snprintf(sw->scale[sw->nscale], HH_NAME_LEN, "%s", r->scale);
                sw->nparams[sw->nscale++] = r->nparams;
            }
        }
        if (!strcmp(r->sweep, "size")) {
            add_int(sw->size, &sw->nsize, 32, r->n_train);
            sw->hh_frac = r->help_frac;
            if (r->pmp) sw->has_pmp = 1;
            else sw->has_nopmp = 1;
        } else if (!strcmp(r->sweep, "mix")) {
            sw->mix_n = r->n_train;
            sw->mix_pmp = r->pmp;
        }
    }
    sw->pmp_default = sw->has_pmp;
    for (int k = 0; k < rd->npm && sw->mix_n; k++) {
        const PMRec *r = &rd->pm[k];
        if (r->half < 0 && r->n_train == sw->mix_n && r->pmp == sw->mix_pmp &&
            (!strcmp(r->sweep, "mix") || !strcmp(r->sweep, "size")))
            add_dbl(sw->mix, &sw->nmix, 32, r->help_frac);
    }
}

int pm_group(const RunData *rd, const Sweeps *sw, int kind, const char *scale, int n_train,
             double help_frac, int pmp, const PMRec **g, int max) {
    int n = 0;
    for (int k = 0; k < rd->npm && n < max; k++) {
        const PMRec *r = &rd->pm[k];
        if (r->half >= 0 || strcmp(r->scale, scale) || !strcmp(r->sweep, "ref")) continue;
        int ok = kind == 0 ? !strcmp(r->sweep, "size") && r->n_train == n_train && r->pmp == pmp
                           : sw->mix_n && r->n_train == sw->mix_n && r->pmp == sw->mix_pmp &&
                                 fabs(r->help_frac - help_frac) < 1e-9 && strcmp(r->sweep, "halves");
        if (ok) g[n++] = r;
    }
    return n;
}

// ---------------------------------------------------------------------------
// log-linear fit

int pm_fit_loglinear(const double *P, const double *N, const double *acc, size_t n, LogLinFit *f,
                     HHErr *err) {
    memset(f, 0, sizeof *f);
    if (n < 4) return hh_fail(err, HH_EINPUT, "log-linear fit: %zu points; need at least 4", n);
    double *X = malloc(sizeof(double) * 3 * n);
    if (!X) return hh_fail(err, HH_EFAIL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!(P[i] > 0) || !(N[i] > 0)) {
            free(X);
            return hh_fail(err, HH_EINPUT, "log-linear fit: point %zu has P = %g, N = %g", i, P[i], N[i]);
        }
        X[3 * i] = 1, X[3 * i + 1] = log(P[i]), X[3 * i + 2] = log(N[i]);
    }
    StatsMultifit *m = stats_multifit_alloc(n, 3, err);
    int rc = m ? stats_multifit_linear(m, X, acc, err) : HH_EFAIL;
    free(X);
    if (!rc) {
        for (int j = 0; j < 3; j++) f->coef[j] = m->c[j], f->se[j] = m->se[j], f->lo[j] = m->lo[j], f->hi[j] = m->hi[j];
        memcpy(f->cov, m->cov, sizeof f->cov);
        f->r2 = m->r2, f->chisq = m->chisq, f->n = m->n, f->dof = m->dof;
        double b = f->coef[1], c = f->coef[2];
        f->ratio = c / b;
        // d(c/b) = (1/b) dc - (c/b^2) db
        double gb = -c / (b * b), gc = 1 / b;
        f->ratio_se = sqrt(gb * gb * f->cov[4] + 2 * gb * gc * f->cov[5] + gc * gc * f->cov[8]);
        double t = gsl_cdf_tdist_Pinv(0.975, (double)f->dof);
        f->ratio_lo = f->ratio - t * f->ratio_se, f->ratio_hi = f->ratio + t * f->ratio_se;
    }
    stats_multifit_free(m);
    return rc;
}

// ---------------------------------------------------------------------------
// calibration

// Predictions p = sigmoid(|margin|) and outcomes of the selected, untied pairs.
static size_t cal_data(const PMRec *const *g, int ng, const size_t *idx, size_t nidx,
                       const PairSel *s, double **p, int **y) {
    size_t cap = 0;
    for (int j = 0; j < ng; j++) cap += idx ? nidx : (size_t)g[j]->n;
    *p = malloc(sizeof(double) * (cap + 1));
    *y = malloc(sizeof(int) * (cap + 1));
    if (!*p || !*y) return (size_t)-1;
    size_t n = 0;
    for (int j = 0; j < ng; j++) {
        const PMRec *r = g[j];
        size_t m = idx ? nidx : (size_t)r->n;
        for (size_t t = 0; t < m; t++) {
            size_t i = idx ? idx[t] : t;
            if (i >= (size_t)r->n || !selected(r, i, s) || r->margin[i] == 0) continue;
            (*p)[n] = stats_sigmoid(fabs(r->margin[i]));
            (*y)[n++] = r->margin[i] > 0;
        }
    }
    return n;
}

double pm_ece_stat(const size_t *idx, size_t n, void *ctx) {
    const PMEceCtx *c = ctx;
    double e = NAN;
    HHErr err;
    pm_calibration(c->g, c->ng, idx, n, &c->s, c->nbins, NULL, &e, &err);
    return e;
}

int pm_calibration(const PMRec *const *g, int ng, const size_t *idx, size_t nidx, const PairSel *s,
                   size_t nbins, StatsCalBin *bins, double *ece, HHErr *err) {
    double *p;
    int *y;
    size_t n = cal_data(g, ng, idx, nidx, s, &p, &y);
    StatsCalBin local[64];
    int rc = n == (size_t)-1 ? hh_fail(err, HH_EFAIL, "out of memory")
             : n == 0       ? hh_fail(err, HH_EINPUT, "calibration: no untied pairs selected")
             : nbins > 64 && !bins ? hh_fail(err, HH_EINPUT, "calibration: at most 64 bins")
                                   : stats_calibration(p, y, n, nbins, bins ? bins : local, ece, err);
    free(p), free(y);
    return rc;
}

int pm_ece_null(const PMRec *const *g, int ng, const PairSel *s, size_t nbins, int reps,
                gsl_rng *r, double *mean, HHErr *err) {
    double *p;
    int *y;
    size_t n = cal_data(g, ng, NULL, 0, s, &p, &y);
    StatsCalBin bins[64];
    int rc = n == (size_t)-1 ? hh_fail(err, HH_EFAIL, "out of memory")
             : n == 0 || nbins > 64 || reps < 1
                 ? hh_fail(err, HH_EINPUT, "null ECE: no pairs, > 64 bins or reps < 1")
                 : 0;
    double sum = 0, e;
    for (int k = 0; k < reps && !rc; k++) {
        for (size_t i = 0; i < n; i++) y[i] = gsl_rng_uniform(r) < p[i];
        rc = stats_calibration(p, y, n, nbins, bins, &e, err);
        sum += e;
    }
    if (!rc) *mean = sum / reps;
    free(p), free(y);
    return rc;
}

int pm_margin_bins(const PMRec *const *g, int ng, const PairSel *s, double dmax, size_t nbins,
                   StatsAccBin *bins, HHErr *err) {
    size_t cap = 0;
    for (int j = 0; j < ng; j++) cap += (size_t)g[j]->n;
    double *d = malloc(sizeof(double) * (cap + 1));
    int *y = malloc(sizeof(int) * (cap + 1));
    if (!d || !y) {
        free(d), free(y);
        return hh_fail(err, HH_EFAIL, "out of memory");
    }
    size_t n = 0;
    for (int j = 0; j < ng; j++)
        for (size_t i = 0; i < (size_t)g[j]->n; i++)
            if (selected(g[j], i, s)) d[n] = g[j]->margin[i], y[n++] = 1;  // chosen = A
    int rc = n ? stats_accuracy_by_margin(d, y, n, dmax, nbins, bins, NULL, err)
               : hh_fail(err, HH_EINPUT, "margin bins: no pairs selected");
    free(d), free(y);
    return rc;
}

double pm_margin_quantile(const PMRec *const *g, int ng, const PairSel *s, double q) {
    size_t cap = 0, n = 0;
    for (int j = 0; j < ng; j++) cap += (size_t)g[j]->n;
    double *a = malloc(sizeof(double) * (cap + 1)), v = 0;
    if (!a) return 0;
    for (int j = 0; j < ng; j++)
        for (size_t i = 0; i < (size_t)g[j]->n; i++)
            if (selected(g[j], i, s)) a[n++] = fabs(g[j]->margin[i]);
    if (n) {
        gsl_sort(a, 1, n);
        v = gsl_stats_quantile_from_sorted_data(a, 1, n, q);
    }
    free(a);
    return v;
}

// ---------------------------------------------------------------------------
// bootstrap

typedef struct {
    PMStatFn fn;
    void *ctx;
} BootAdapt;

static int boot_adapt(const size_t *idx, size_t n, void *data, double *value) {
    const BootAdapt *a = data;
    *value = a->fn(idx, n, a->ctx);
    return 0;
}

int pm_boot(PMStatFn fn, void *ctx, size_t npairs, size_t B, gsl_rng *r, StatsCI *out, HHErr *err) {
    StatsBoot *bt = stats_boot_alloc(npairs, B, err);
    if (!bt) return err->code;
    BootAdapt a = {fn, ctx};
    int rc = stats_boot_ci(bt, boot_adapt, &a, 0.95, r, out, err);
    stats_boot_free(bt);
    return rc;
}

// ---------------------------------------------------------------------------
// seeds x pairs

typedef struct {
    PMHStatFn fn;
    void *ctx;
} HAdapt;

static int h_adapt(const size_t *units, const size_t *items, size_t U, size_t n, void *data,
                   double *value) {
    const HAdapt *a = data;
    *value = a->fn(units, items, U, n, a->ctx);
    return 0;
}

int pm_hboot(PMHStatFn fn, void *ctx, size_t U, size_t npairs, size_t B, gsl_rng *r, StatsCI *out,
             HHErr *err) {
    StatsHBoot *hb = stats_hboot_alloc(U, npairs, B, err);
    if (!hb) return err->code;
    HAdapt a = {fn, ctx};
    int rc = stats_hboot_ci(hb, h_adapt, &a, 0.95, r, out, err);
    stats_hboot_free(hb);
    return rc;
}

AccCount pm_count_h(const PMRec *const *g, int ng, const size_t *seeds, const size_t *items,
                    size_t U, size_t npairs, const PairSel *s) {
    AccCount c = {0, 0};
    for (size_t k = 0; k < U && ng > 0; k++) {
        AccCount a = pm_count(&g[seeds[k] % (size_t)ng], 1, items + k * npairs, npairs, s);
        c.k += a.k, c.n += a.n;
    }
    return c;
}

double pm_acc_h(const PMRec *const *g, int ng, const size_t *seeds, const size_t *items, size_t U,
                size_t npairs, const PairSel *s) {
    AccCount c = pm_count_h(g, ng, seeds, items, U, npairs, s);
    return c.n ? c.k / (double)c.n : NAN;
}

int pm_calibration_h(const PMRec *const *g, int ng, const size_t *seeds, const size_t *items,
                     size_t U, size_t npairs, const PairSel *s, size_t nbins, StatsCalBin *bins,
                     double *ece, double *sece, HHErr *err) {
    size_t cap = U * npairs + 1, n = 0;
    double *p = malloc(sizeof(double) * cap);
    int *y = malloc(sizeof(int) * cap);
    StatsCalBin local[64];
    StatsCalBin *b = bins ? bins : local;
    if (!p || !y || ng < 1 || (nbins > 64 && !bins)) {
        free(p), free(y);
        return hh_fail(err, !p || !y ? HH_EFAIL : HH_EINPUT, "calibration: out of memory, no PMs or > 64 bins");
    }
    for (size_t k = 0; k < U; k++) {
        const PMRec *r = g[seeds[k] % (size_t)ng];
        for (size_t t = 0; t < npairs; t++) {
            size_t i = items[k * npairs + t];
            if (i >= (size_t)r->n || !selected(r, i, s) || r->margin[i] == 0) continue;
            p[n] = stats_sigmoid(fabs(r->margin[i]));
            y[n++] = r->margin[i] > 0;
        }
    }
    int rc = n ? stats_calibration(p, y, n, nbins, b, ece, err)
               : hh_fail(err, HH_EINPUT, "calibration: no untied pairs selected");
    if (!rc && sece) {
        double sum = 0;
        for (size_t k = 0; k < nbins; k++)
            if (b[k].count) sum += (double)b[k].count / (double)n * (b[k].mean_pred - b[k].obs_freq);
        *sece = sum;
    }
    free(p), free(y);
    return rc;
}

int pm_identity(size_t U, size_t npairs, size_t **seeds, size_t **items, HHErr *err) {
    *seeds = malloc(sizeof(size_t) * (U + 1));
    *items = malloc(sizeof(size_t) * (U * npairs + 1));
    if (!*seeds || !*items) {
        free(*seeds), free(*items);
        *seeds = *items = NULL;
        return hh_fail(err, HH_EFAIL, "out of memory");
    }
    for (size_t k = 0; k < U; k++) {
        (*seeds)[k] = k;
        for (size_t i = 0; i < npairs; i++) (*items)[k * npairs + i] = i;
    }
    return 0;
}
