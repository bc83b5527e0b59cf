// stats.c - fits, intervals, calibration, bootstrap and Elo (see stats.h).
#include "stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#define T95 0.975  // upper quantile of a two-sided 95% interval
#define SVD_TOL 1e-14
#define ELO_SCALE (400.0 / M_LN10)  // Elo points per natural-log unit
#define ELO_TOL 1e-10                // Newton stops at steps below this (natural-log units)

// ------------------------------------------------------------- checks

// Index of the first a[i] outside [lo, hi] (NaN is outside), or n.
static size_t outside_at(const double *a, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        if (!(a[i] >= lo && a[i] <= hi))
            return i;
    return n;
}

#define nonfinite_at(a, n) outside_at(a, n, -DBL_MAX, DBL_MAX)
#define badweight_at(w, n) outside_at(w, n, 0.0, DBL_MAX)       // w >= 0
#define nonpositive_at(w, n) outside_at(w, n, DBL_TRUE_MIN, DBL_MAX)  // w > 0

static size_t count_positive(const double *w, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += w[i] > 0;
    return m;
}

// 1 if the x[i] with w[i] > 0 (all x[i] when w is NULL) are all equal.
static int all_equal(const double *x, const double *w, size_t n)
{
    size_t i = 0;
    while (i < n && w && !(w[i] > 0))
        i++;
    for (size_t j = i + 1; j < n; j++)
        if ((!w || w[j] > 0) && x[j] != x[i])
            return 0;
    return 1;
}

// Index of the first y[i] not in {0, 1}, or n.
static size_t nonbinary_at(const int *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] != 0 && y[i] != 1)
            return i;
    return n;
}

// Weighted (w may be NULL) total sum of squares about the weighted mean.
static double total_ss(const double *w, const double *y, size_t n)
{
    double sw = 0, m = 0, tss = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (wi > 0) {  // West's update: stable for large offsets
            sw += wi;
            double dlt = y[i] - m;
            m += dlt * wi / sw;
            tss += wi * dlt * (y[i] - m);
        }
    }
    return tss;
}

static double r2_of(double chisq, double tss)
{
    return tss > 0 ? 1.0 - chisq / tss : NAN;
}

// ------------------------------------------------------------ line fit

static void linfit_finish(const double *w, const double *y, size_t n,
                          size_t used, StatsWeightScale scale, StatsLinfit *o)
{
    o->n = used;
    o->dof = used - 2;
    if (w && scale == STATS_WEIGHTS_RELATIVE) {
        double s2 = o->chisq / (double)o->dof;
        o->cov00 *= s2;
        o->cov01 *= s2;
        o->cov11 *= s2;
    }
    double t = gsl_cdf_tdist_Pinv(T95, (double)o->dof);
    o->se_c0 = sqrt(o->cov00);
    o->se_c1 = sqrt(o->cov11);
    o->c0_lo = o->c0 - t * o->se_c0;
    o->c0_hi = o->c0 + t * o->se_c0;
    o->c1_lo = o->c1 - t * o->se_c1;
    o->c1_hi = o->c1 + t * o->se_c1;
    o->sd_resid = sqrt(o->chisq / (double)o->dof);
    o->r2 = r2_of(o->chisq, total_ss(w, y, n));
}

// stats_fit_linear (weighted = 0, w unused) and stats_fit_wlinear.
static int linfit(const char *fn, int weighted, const double *x, const double *w,
                  const double *y, size_t n, StatsWeightScale scale,
                  StatsLinfit *out, HHErr *err)
{
    size_t k;
    w = weighted ? w : NULL;
    if (!x || !y || !out || (weighted && !w))
        return hh_fail(err, HH_EINPUT, "%s: x, %sy and out must not be NULL", fn,
                       weighted ? "w, " : "");
    else if (scale != STATS_WEIGHTS_ABSOLUTE && scale != STATS_WEIGHTS_RELATIVE)
        return hh_fail(err, HH_EINPUT, "%s: scale = %d; use STATS_WEIGHTS_ABSOLUTE or "
                       "STATS_WEIGHTS_RELATIVE", fn, (int)scale);
    else if ((k = nonfinite_at(x, n)) < n)
        return hh_fail(err, HH_EINPUT, "%s: x[%zu] = %g is not finite", fn, k, x[k]);
    else if ((k = nonfinite_at(y, n)) < n)
        return hh_fail(err, HH_EINPUT, "%s: y[%zu] = %g is not finite", fn, k, y[k]);
    else if (w && (k = badweight_at(w, n)) < n)
        return hh_fail(err, HH_EINPUT, "%s: w[%zu] = %g; weights must be finite and >= 0",
                       fn, k, w[k]);
    else if ((k = w ? count_positive(w, n) : n) < 3)
        return hh_fail(err, HH_EINPUT, "%s: %zu points%s; need >= 3 (2 parameters + 1 "
                       "residual degree of freedom)", fn, k, w ? " with w > 0" : "");
    else if (all_equal(x, w, n))
        return hh_fail(err, HH_EINPUT, "%s: all x%s are equal; the slope is undefined",
                       fn, w ? " with w > 0" : "");

    gsl_set_error_handler_off();
    memset(out, 0, sizeof *out);
    int s = w ? gsl_fit_wlinear(x, 1, w, 1, y, 1, n, &out->c0, &out->c1, &out->cov00,
                                &out->cov01, &out->cov11, &out->chisq)
              : gsl_fit_linear(x, 1, y, 1, n, &out->c0, &out->c1, &out->cov00,
                               &out->cov01, &out->cov11, &out->chisq);
    if (s)
        return hh_fail(err, HH_EFAIL, "%s: gsl_fit_%slinear: %s", fn, w ? "w" : "",
                       gsl_strerror(s));
    linfit_finish(w, y, n, w ? count_positive(w, n) : n, scale, out);
    return 0;
}

int stats_fit_linear(const double *x, const double *y, size_t n,
                     StatsLinfit *out, HHErr *err)
{
    return linfit("stats_fit_linear", 0, x, NULL, y, n, STATS_WEIGHTS_ABSOLUTE, out, err);
}

int stats_fit_wlinear(const double *x, const double *w, const double *y,
                      size_t n, StatsWeightScale scale, StatsLinfit *out,
                      HHErr *err)
{
    return linfit("stats_fit_wlinear", 1, x, w, y, n, scale, out, err);
}

// ----------------------------------------------------- multilinear fit

StatsMultifit *stats_multifit_alloc(size_t n, size_t p, HHErr *err)
{
    if (p < 1 || n <= p) {
        hh_fail(err, HH_EINPUT, "stats_multifit_alloc: n = %zu rows, p = %zu columns; "
                "need 1 <= p < n", n, p);
        return NULL;
    }
    gsl_set_error_handler_off();
    StatsMultifit *m = calloc(1, sizeof *m);
    if (!m)
        goto oom;
    m->n = n;
    m->p = p;
    m->ws_ = gsl_multifit_linear_alloc(n, p);
    m->c_ = gsl_vector_alloc(p);
    m->cov_ = gsl_matrix_alloc(p, p);
    m->se = calloc(3 * p, sizeof(double));
    if (!m->ws_ || !m->c_ || !m->cov_ || !m->se)
        goto oom;
    m->lo = m->se + p;
    m->hi = m->se + 2 * p;
    m->c = m->c_->data;
    m->cov = m->cov_->data;
    return m;
oom:
    stats_multifit_free(m);
    hh_fail(err, HH_EFAIL, "stats_multifit_alloc: out of memory for %zu x %zu", n, p);
    return NULL;
}

void stats_multifit_free(StatsMultifit *m)
{
    if (!m)
        return;
    if (m->ws_)
        gsl_multifit_linear_free(m->ws_);
    gsl_vector_free(m->c_);  // GSL's vector/matrix frees accept NULL
    gsl_matrix_free(m->cov_);
    free(m->se);
    free(m);
}

// Solve, then fill se, CIs, sd_resid and r2. w may be NULL.
static int multifit_run(StatsMultifit *m, const double *X, const double *w,
                        const double *y, StatsWeightScale scale, HHErr *err)
{
    size_t n = m->n, p = m->p, rank = 0;
    gsl_matrix_const_view Xv = gsl_matrix_const_view_array(X, n, p);
    gsl_vector_const_view yv = gsl_vector_const_view_array(y, n);
    gsl_vector_const_view wv = gsl_vector_const_view_array(w ? w : y, n);
    int s = w ? gsl_multifit_wlinear_tsvd(&Xv.matrix, &wv.vector, &yv.vector, SVD_TOL,
                                          m->c_, m->cov_, &m->chisq, &rank, m->ws_)
              : gsl_multifit_linear_tsvd(&Xv.matrix, &yv.vector, SVD_TOL, m->c_,
                                         m->cov_, &m->chisq, &rank, m->ws_);
    if (s)
        return hh_fail(err, HH_EFAIL, "stats_multifit: gsl_multifit_%slinear_tsvd: %s",
                       w ? "w" : "", gsl_strerror(s));
    if (rank < p)
        return hh_fail(err, HH_EFAIL, "stats_multifit: design matrix has rank %zu < p = %zu "
                       "(collinear columns); drop or combine columns", rank, p);
    m->dof = (w ? count_positive(w, n) : n) - p;
    if (w && scale == STATS_WEIGHTS_RELATIVE)
        gsl_matrix_scale(m->cov_, m->chisq / (double)m->dof);
    double t = gsl_cdf_tdist_Pinv(T95, (double)m->dof);
    for (size_t j = 0; j < p; j++) {
        m->se[j] = sqrt(gsl_matrix_get(m->cov_, j, j));
        m->lo[j] = m->c[j] - t * m->se[j];
        m->hi[j] = m->c[j] + t * m->se[j];
    }
    m->sd_resid = sqrt(m->chisq / (double)m->dof);
    m->r2 = r2_of(m->chisq, total_ss(w, y, n));
    return 0;
}

// stats_multifit_linear (weighted = 0, w unused) and stats_multifit_wlinear.
static int multifit(const char *fn, int weighted, StatsMultifit *m, const double *X,
                    const double *w, const double *y, StatsWeightScale scale, HHErr *err)
{
    size_t k;
    w = weighted ? w : NULL;
    if (!m || !X || !y || (weighted && !w))
        return hh_fail(err, HH_EINPUT, "%s: m, X, %sy must not be NULL", fn,
                       weighted ? "w, " : "");
    else if (scale != STATS_WEIGHTS_ABSOLUTE && scale != STATS_WEIGHTS_RELATIVE)
        return hh_fail(err, HH_EINPUT, "%s: scale = %d; use STATS_WEIGHTS_ABSOLUTE or "
                       "STATS_WEIGHTS_RELATIVE", fn, (int)scale);
    else if ((k = nonfinite_at(X, m->n * m->p)) < m->n * m->p)
        return hh_fail(err, HH_EINPUT, "%s: X[%zu][%zu] = %g is not finite", fn,
                       k / m->p, k % m->p, X[k]);
    else if ((k = nonfinite_at(y, m->n)) < m->n)
        return hh_fail(err, HH_EINPUT, "%s: y[%zu] = %g is not finite", fn, k, y[k]);
    else if (w && (k = badweight_at(w, m->n)) < m->n)
        return hh_fail(err, HH_EINPUT, "%s: w[%zu] = %g; weights must be finite and >= 0",
                       fn, k, w[k]);
    else if (w && count_positive(w, m->n) <= m->p)
        return hh_fail(err, HH_EINPUT, "%s: %zu rows with w > 0; need > p = %zu", fn,
                       count_positive(w, m->n), m->p);
    gsl_set_error_handler_off();
    return multifit_run(m, X, w, y, scale, err);
}

int stats_multifit_linear(StatsMultifit *m, const double *X, const double *y,
                          HHErr *err)
{
    return multifit("stats_multifit_linear", 0, m, X, NULL, y, STATS_WEIGHTS_ABSOLUTE, err);
}

int stats_multifit_wlinear(StatsMultifit *m, const double *X, const double *w,
                           const double *y, StatsWeightScale scale, HHErr *err)
{
    return multifit("stats_multifit_wlinear", 1, m, X, w, y, scale, err);
}

// -------------------------------------------------------- nonlinear fit

StatsNlfitOpts stats_nlfit_opts_default(void)
{
    StatsNlfitOpts o = {.maxiter = 500, .xtol = 1e-12, .gtol = 1e-12,
                        .scale = STATS_WEIGHTS_RELATIVE};
    return o;
}

StatsNlfit *stats_nlfit_alloc(size_t n, size_t p, HHErr *err)
{
    if (p < 1 || n <= p) {
        hh_fail(err, HH_EINPUT, "stats_nlfit_alloc: n = %zu points, p = %zu parameters; "
                "need 1 <= p < n", n, p);
        return NULL;
    }
    gsl_set_error_handler_off();
    StatsNlfit *nl = calloc(1, sizeof *nl);
    if (!nl)
        goto oom;
    nl->n = n;
    nl->p = p;
    nl->dof = n - p;
    gsl_multifit_nlinear_parameters prm = gsl_multifit_nlinear_default_parameters();
    prm.trs = gsl_multifit_nlinear_trs_lm;
    prm.fdtype = GSL_MULTIFIT_NLINEAR_CTRDIFF;
    nl->ws_ = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &prm, n, p);
    nl->cov_ = gsl_matrix_alloc(p, p);
    nl->b = calloc(3 * p, sizeof(double));
    if (!nl->ws_ || !nl->cov_ || !nl->b)
        goto oom;
    nl->se = nl->b + p;
    nl->bbuf_ = nl->b + 2 * p;
    nl->cov = nl->cov_->data;
    return nl;
oom:
    stats_nlfit_free(nl);
    hh_fail(err, HH_EFAIL, "stats_nlfit_alloc: out of memory for n = %zu, p = %zu", n, p);
    return NULL;
}

void stats_nlfit_free(StatsNlfit *nl)
{
    if (!nl)
        return;
    gsl_multifit_nlinear_free(nl->ws_);  // GSL's frees accept NULL
    gsl_matrix_free(nl->cov_);
    free(nl->b);
    free(nl);
}

// Parameters as a plain array (GSL's vector may in principle be strided).
static const double *nl_params(StatsNlfit *nl, const gsl_vector *b)
{
    for (size_t k = 0; k < nl->p; k++)
        nl->bbuf_[k] = gsl_vector_get(b, k);
    return nl->bbuf_;
}

static int nl_f(const gsl_vector *b, void *ctx, gsl_vector *r)
{
    StatsNlfit *nl = ctx;
    const double *bp = nl_params(nl, b);
    for (size_t i = 0; i < nl->n; i++) {
        double fi = nl->f_(nl->x_[i], bp, nl->data_);
        if (!isfinite(fi))
            return GSL_EDOM;
        gsl_vector_set(r, i, fi - nl->y_[i]);
    }
    return GSL_SUCCESS;
}

static int nl_df(const gsl_vector *b, void *ctx, gsl_matrix *J)
{
    StatsNlfit *nl = ctx;
    const double *bp = nl_params(nl, b);
    for (size_t i = 0; i < nl->n; i++) {
        double *row = gsl_matrix_ptr(J, i, 0);  // rows are contiguous
        nl->df_(nl->x_[i], bp, nl->data_, row);
        if (nonfinite_at(row, nl->p) < nl->p)
            return GSL_EDOM;
    }
    return GSL_SUCCESS;
}

// Solve from b0, then read b, chisq and the covariance off the workspace.
static int nlfit_run(StatsNlfit *nl, const double *w, const double *b0,
                     const StatsNlfitOpts *o, HHErr *err)
{
    gsl_multifit_nlinear_fdf fdf = {.f = nl_f, .df = nl->df_ ? nl_df : NULL,
                                    .fvv = NULL, .n = nl->n, .p = nl->p, .params = nl};
    gsl_vector_const_view b0v = gsl_vector_const_view_array(b0, nl->p);
    gsl_vector_const_view wv = gsl_vector_const_view_array(w ? w : nl->y_, nl->n);
    int info = 0, s = w ? gsl_multifit_nlinear_winit(&b0v.vector, &wv.vector, &fdf, nl->ws_)
                        : gsl_multifit_nlinear_init(&b0v.vector, &fdf, nl->ws_);
    if (s)
        return hh_fail(err, HH_EFAIL, "stats_nlfit: the model at the start values: %s "
                       "(a non-finite value?); choose other start values", gsl_strerror(s));
    s = gsl_multifit_nlinear_driver(o->maxiter, o->xtol, o->gtol, 0.0, NULL, NULL,
                                    &info, nl->ws_);
    if (s && s != GSL_EMAXITER && s != GSL_ENOPROG)
        return hh_fail(err, HH_EFAIL, "stats_nlfit: gsl_multifit_nlinear_driver: %s", gsl_strerror(s));
    nl->gsl_status = s;
    nl->converged = (s == GSL_SUCCESS);
    nl->iter = gsl_multifit_nlinear_niter(nl->ws_);
    memcpy(nl->b, nl_params(nl, gsl_multifit_nlinear_position(nl->ws_)), nl->p * sizeof(double));
    gsl_vector *r = gsl_multifit_nlinear_residual(nl->ws_);  // sqrt(w) (f - y)
    s = gsl_blas_ddot(r, r, &nl->chisq);
    if (!s)
        s = gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(nl->ws_), 0.0, nl->cov_);
    if (s)
        return hh_fail(err, HH_EFAIL, "stats_nlfit: covariance at the solution: %s",
                       gsl_strerror(s));
    if (!w || o->scale == STATS_WEIGHTS_RELATIVE)
        gsl_matrix_scale(nl->cov_, nl->chisq / (double)nl->dof);
    for (size_t k = 0; k < nl->p; k++)
        nl->se[k] = sqrt(gsl_matrix_get(nl->cov_, k, k));
    nl->sd_resid = sqrt(nl->chisq / (double)nl->dof);
    return 0;
}

int stats_nlfit(StatsNlfit *nl, StatsModelFn f, StatsModelGradFn grad,
                void *data, const double *x, const double *y, const double *w,
                const double *b0, const StatsNlfitOpts *opts, HHErr *err)
{
    StatsNlfitOpts o = opts ? *opts : stats_nlfit_opts_default();
    size_t k;
    if (!nl || !f || !x || !y || !b0)
        return hh_fail(err, HH_EINPUT, "stats_nlfit: nl, f, x, y and b0 must not be NULL");
    else if ((k = nonfinite_at(x, nl->n)) < nl->n)
        return hh_fail(err, HH_EINPUT, "stats_nlfit: x[%zu] = %g is not finite", k, x[k]);
    else if ((k = nonfinite_at(y, nl->n)) < nl->n)
        return hh_fail(err, HH_EINPUT, "stats_nlfit: y[%zu] = %g is not finite", k, y[k]);
    else if ((k = nonfinite_at(b0, nl->p)) < nl->p)
        return hh_fail(err, HH_EINPUT, "stats_nlfit: b0[%zu] = %g is not finite", k, b0[k]);
    else if (w && (k = nonpositive_at(w, nl->n)) < nl->n)
        return hh_fail(err, HH_EINPUT, "stats_nlfit: w[%zu] = %g; weights must be finite "
                       "and > 0", k, w[k]);
    else if (o.maxiter < 1 || !(o.xtol > 0) || !(o.gtol > 0))
        return hh_fail(err, HH_EINPUT, "stats_nlfit: opts maxiter = %zu, xtol = %g, gtol = %g; "
                       "need maxiter >= 1 and tolerances > 0", o.maxiter, o.xtol, o.gtol);
    else if (o.scale != STATS_WEIGHTS_ABSOLUTE && o.scale != STATS_WEIGHTS_RELATIVE)
        return hh_fail(err, HH_EINPUT, "stats_nlfit: opts scale = %d is not a StatsWeightScale",
                       (int)o.scale);

    gsl_set_error_handler_off();
    nl->f_ = f;
    nl->df_ = grad;
    nl->data_ = data;
    nl->x_ = x;
    nl->y_ = y;
    return nlfit_run(nl, w, b0, &o, err);
}

// ------------------------------------------------------------ intervals

// Wilson interval for k of n (k, n as doubles) with normal quantile z.
static void wilson(double k, double n, double z, double *lo, double *hi)
{
    double p = k / n, z2 = z * z, den = 1.0 + z2 / n;
    double c = (p + z2 / (2.0 * n)) / den;
    double h = z / den * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
    *lo = k > 0 ? fmax(0.0, c - h) : 0.0;
    *hi = k < n ? fmin(1.0, c + h) : 1.0;
}

int stats_wilson(size_t k, size_t n, double conf, double *lo, double *hi,
                 HHErr *err)
{
    if (!lo || !hi)
        return hh_fail(err, HH_EINPUT, "stats_wilson: lo and hi must not be NULL");
    else if (n < 1 || k > n)
        return hh_fail(err, HH_EINPUT, "stats_wilson: k = %zu of n = %zu; need n >= 1 and "
                       "k <= n", k, n);
    else if (!(conf > 0 && conf < 1))
        return hh_fail(err, HH_EINPUT, "stats_wilson: conf = %g; need 0 < conf < 1", conf);
    gsl_set_error_handler_off();
    wilson((double)k, (double)n, gsl_cdf_ugaussian_Pinv(0.5 + conf / 2), lo, hi);
    return 0;
}

int stats_wilson_mean(double m, double n, double conf, double *lo, double *hi,
                      HHErr *err)
{
    if (!lo || !hi)
        return hh_fail(err, HH_EINPUT, "stats_wilson_mean: lo and hi must not be NULL");
    else if (!(n > 0) || !isfinite(n) || !(m >= 0 && m <= 1))
        return hh_fail(err, HH_EINPUT, "stats_wilson_mean: mean %g of n = %g; need n > 0 and "
                       "0 <= mean <= 1", m, n);
    else if (!(conf > 0 && conf < 1))
        return hh_fail(err, HH_EINPUT, "stats_wilson_mean: conf = %g; need 0 < conf < 1", conf);
    gsl_set_error_handler_off();
    wilson(m * n, n, gsl_cdf_ugaussian_Pinv(0.5 + conf / 2), lo, hi);
    return 0;
}

int stats_mover(size_t k, const double *c, const double *est, const double *lo,
                const double *hi, StatsCI *out, HHErr *err)
{
    if (!c || !est || !lo || !hi || !out)
        return hh_fail(err, HH_EINPUT, "stats_mover: NULL argument");
    else if (k < 1)
        return hh_fail(err, HH_EINPUT, "stats_mover: k = 0 estimates");
    for (size_t i = 0; i < k; i++)
        if (!isfinite(c[i]) || !isfinite(est[i]) || !(lo[i] <= est[i] && est[i] <= hi[i]))
            return hh_fail(err, HH_EINPUT, "stats_mover: estimate %zu = %g with interval [%g, %g] "
                           "and coefficient %g; need finite values with lo <= est <= hi", i, est[i],
                           lo[i], hi[i], c[i]);
    double L = 0, dl = 0, du = 0;
    for (size_t i = 0; i < k; i++) {
        double t = c[i] * est[i], a = c[i] * lo[i], b = c[i] * hi[i];
        L += t;
        dl += (t - fmin(a, b)) * (t - fmin(a, b));
        du += (fmax(a, b) - t) * (fmax(a, b) - t);
    }
    out->est = L;
    out->lo = L - sqrt(dl);
    out->hi = L + sqrt(du);
    out->se = (sqrt(dl) + sqrt(du)) / (2 * 1.959963984540054);
    out->n = k;
    return 0;
}

int stats_accuracy_ci(size_t correct, size_t n, StatsCI *out, HHErr *err)
{
    if (!out)
        return hh_fail(err, HH_EINPUT, "stats_accuracy_ci: out must not be NULL");
    else if (n < 1 || correct > n)
        return hh_fail(err, HH_EINPUT, "stats_accuracy_ci: %zu correct of n = %zu; need n >= 1 "
                       "and correct <= n", correct, n);
    double p = (double)correct / (double)n;
    out->est = p;
    out->se = sqrt(p * (1 - p) / (double)n);
    out->n = n;
    return stats_wilson(correct, n, 0.95, &out->lo, &out->hi, err);
}

int stats_mean_tci(const double *x, size_t n, double conf, StatsCI *out,
                   HHErr *err)
{
    size_t k;
    if (!x || !out)
        return hh_fail(err, HH_EINPUT, "stats_mean_tci: x and out must not be NULL");
    else if (n < 2)
        return hh_fail(err, HH_EINPUT, "stats_mean_tci: n = %zu; need >= 2 values (seeds)", n);
    else if ((k = nonfinite_at(x, n)) < n)
        return hh_fail(err, HH_EINPUT, "stats_mean_tci: x[%zu] = %g is not finite", k, x[k]);
    else if (!(conf > 0 && conf < 1))
        return hh_fail(err, HH_EINPUT, "stats_mean_tci: conf = %g; need 0 < conf < 1", conf);
    gsl_set_error_handler_off();
    double t = gsl_cdf_tdist_Pinv(0.5 + conf / 2, (double)(n - 1));
    out->est = gsl_stats_mean(x, 1, n);
    out->se = gsl_stats_sd_m(x, 1, n, out->est) / sqrt((double)n);
    out->lo = out->est - t * out->se;
    out->hi = out->est + t * out->se;
    out->n = n;
    return 0;
}

// ------------------------------------------------------------ bootstrap

StatsBoot *stats_boot_alloc(size_t n, size_t B, HHErr *err)
{
    if (n < 1 || B < 2) {
        hh_fail(err, HH_EINPUT, "stats_boot_alloc: n = %zu, B = %zu; need n >= 1 and B >= 2", n, B);
        return NULL;
    }
    StatsBoot *bt = calloc(1, sizeof *bt);
    if (bt)
        *bt = (StatsBoot){n, B, malloc(n * sizeof(size_t)), malloc(B * sizeof(double))};
    if (!bt || !bt->idx_ || !bt->vals_) {
        stats_boot_free(bt);
        hh_fail(err, HH_EFAIL, "stats_boot_alloc: out of memory for n = %zu, B = %zu", n, B);
        return NULL;
    }
    return bt;
}

void stats_boot_free(StatsBoot *bt)
{
    if (!bt)
        return;
    free(bt->idx_);
    free(bt->vals_);
    free(bt);
}

// The statistic of the current bt->idx_ into *v; b names the resample.
static int boot_eval(StatsBoot *bt, StatsStatFn stat, void *data, double *v,
                     size_t b, HHErr *err)
{
    int s = stat(bt->idx_, bt->n, data, v);
    if (s)
        return hh_fail(err, HH_EFAIL, "stats_boot_ci: the statistic returned %d on resample %zu",
                       s, b);
    if (!isfinite(*v))
        return hh_fail(err, HH_EFAIL, "stats_boot_ci: the statistic is %g on resample %zu",
                       *v, b);
    return 0;
}

int stats_boot_ci(StatsBoot *bt, StatsStatFn stat, void *data, double conf,
                  gsl_rng *r, StatsCI *out, HHErr *err)
{
    if (!bt || !stat || !r || !out)
        return hh_fail(err, HH_EINPUT, "stats_boot_ci: bt, stat, r and out must not be NULL");
    else if (!(conf > 0 && conf < 1))
        return hh_fail(err, HH_EINPUT, "stats_boot_ci: conf = %g; need 0 < conf < 1", conf);
    else if (bt->n > gsl_rng_max(r) - gsl_rng_min(r))
        return hh_fail(err, HH_EINPUT, "stats_boot_ci: n = %zu exceeds the range of rng %s",
                       bt->n, gsl_rng_name(r));
    gsl_set_error_handler_off();
    for (size_t i = 0; i < bt->n; i++)
        bt->idx_[i] = i;
    int s = boot_eval(bt, stat, data, &out->est, 0, err);  // resample 0: the sample itself
    for (size_t b = 0; b < bt->B && !s; b++) {
        for (size_t i = 0; i < bt->n; i++)
            bt->idx_[i] = gsl_rng_uniform_int(r, bt->n);
        s = boot_eval(bt, stat, data, &bt->vals_[b], b + 1, err);
    }
    if (s)
        return s;
    gsl_sort(bt->vals_, 1, bt->B);
    out->lo = gsl_stats_quantile_from_sorted_data(bt->vals_, 1, bt->B, 0.5 - conf / 2);
    out->hi = gsl_stats_quantile_from_sorted_data(bt->vals_, 1, bt->B, 0.5 + conf / 2);
    out->se = gsl_stats_sd(bt->vals_, 1, bt->B);
    out->n = bt->n;
    return 0;
}

static int mean_stat(const size_t *idx, size_t n, void *data, double *value)
{
    const double *x = data;
    double m = 0;
    for (size_t i = 0; i < n; i++)  // running mean, as gsl_stats_mean
        m += (x[idx[i]] - m) / (double)(i + 1);
    *value = m;
    return 0;
}

int stats_boot_mean_ci(StatsBoot *bt, const double *x, double conf,
                       gsl_rng *r, StatsCI *out, HHErr *err)
{
    size_t k;
    if (!bt || !x)
        return hh_fail(err, HH_EINPUT, "stats_boot_mean_ci: bt and x must not be NULL");
    else if ((k = nonfinite_at(x, bt->n)) < bt->n)
        return hh_fail(err, HH_EINPUT, "stats_boot_mean_ci: x[%zu] = %g is not finite", k, x[k]);
    return stats_boot_ci(bt, mean_stat, (void *)x, conf, r, out, err);
}

// ------------------------------------------------- hierarchical bootstrap

StatsHBoot *stats_hboot_alloc(size_t U, size_t n, size_t B, HHErr *err)
{
    if (U < 1 || n < 1 || B < 2 || n > ((size_t)-1) / sizeof(size_t) / U) {
        hh_fail(err, HH_EINPUT, "stats_hboot_alloc: U = %zu, n = %zu, B = %zu; need U >= 1, "
                "n >= 1, B >= 2", U, n, B);
        return NULL;
    }
    StatsHBoot *hb = calloc(1, sizeof *hb);
    if (hb)
        *hb = (StatsHBoot){U, n, B, malloc(U * sizeof(size_t)), malloc(U * n * sizeof(size_t)),
                           malloc(B * sizeof(double))};
    if (!hb || !hb->units_ || !hb->items_ || !hb->vals_) {
        stats_hboot_free(hb);
        hh_fail(err, HH_EFAIL, "stats_hboot_alloc: out of memory for U = %zu, n = %zu", U, n);
        return NULL;
    }
    return hb;
}

void stats_hboot_free(StatsHBoot *hb)
{
    if (!hb)
        return;
    free(hb->units_);
    free(hb->items_);
    free(hb->vals_);
    free(hb);
}

static int hboot_eval(StatsHBoot *hb, StatsHierStatFn stat, void *data, double *v, size_t b,
                      HHErr *err)
{
    int s = stat(hb->units_, hb->items_, hb->U, hb->n, data, v);
    if (s)
        return hh_fail(err, HH_EFAIL, "stats_hboot_ci: the statistic returned %d on resample %zu",
                       s, b);
    if (!isfinite(*v))
        return hh_fail(err, HH_EFAIL, "stats_hboot_ci: the statistic is %g on resample %zu", *v, b);
    return 0;
}

int stats_hboot_ci(StatsHBoot *hb, StatsHierStatFn stat, void *data, double conf, gsl_rng *r,
                   StatsCI *out, HHErr *err)
{
    if (!hb || !stat || !r || !out)
        return hh_fail(err, HH_EINPUT, "stats_hboot_ci: hb, stat, r and out must not be NULL");
    else if (!(conf > 0 && conf < 1))
        return hh_fail(err, HH_EINPUT, "stats_hboot_ci: conf = %g; need 0 < conf < 1", conf);
    else if (hb->n > gsl_rng_max(r) - gsl_rng_min(r) || hb->U > gsl_rng_max(r) - gsl_rng_min(r))
        return hh_fail(err, HH_EINPUT, "stats_hboot_ci: U = %zu or n = %zu exceeds the range of "
                       "rng %s", hb->U, hb->n, gsl_rng_name(r));
    gsl_set_error_handler_off();
    size_t U = hb->U, n = hb->n;
    for (size_t k = 0; k < U; k++) {
        hb->units_[k] = k;
        for (size_t i = 0; i < n; i++)
            hb->items_[k * n + i] = i;
    }
    int s = hboot_eval(hb, stat, data, &out->est, 0, err);
    for (size_t b = 0; b < hb->B && !s; b++) {
        for (size_t k = 0; k < U; k++)  // units first, then one item draw every unit shares
            hb->units_[k] = U > 1 ? gsl_rng_uniform_int(r, U) : 0;
        for (size_t i = 0; i < n; i++)
            hb->items_[i] = gsl_rng_uniform_int(r, n);
        for (size_t k = 1; k < U; k++)
            memcpy(hb->items_ + k * n, hb->items_, n * sizeof *hb->items_);
        s = hboot_eval(hb, stat, data, &hb->vals_[b], b + 1, err);
    }
    if (s)
        return s;
    gsl_sort(hb->vals_, 1, hb->B);
    out->lo = gsl_stats_quantile_from_sorted_data(hb->vals_, 1, hb->B, 0.5 - conf / 2);
    out->hi = gsl_stats_quantile_from_sorted_data(hb->vals_, 1, hb->B, 0.5 + conf / 2);
    out->se = gsl_stats_sd(hb->vals_, 1, hb->B);
    out->n = U;
    return 0;
}

static int hmean_stat(const size_t *units, const size_t *items, size_t U, size_t n, void *data,
                      double *value)
{
    const double *x = data;
    double m = 0;
    size_t c = 0;
    for (size_t k = 0; k < U; k++)
        for (size_t i = 0; i < n; i++)
            m += (x[units[k] * n + items[k * n + i]] - m) / (double)(++c);
    *value = m;
    return 0;
}

int stats_hboot_mean_ci(StatsHBoot *hb, const double *x, double conf, gsl_rng *r, StatsCI *out,
                        HHErr *err)
{
    size_t k;
    if (!hb || !x)
        return hh_fail(err, HH_EINPUT, "stats_hboot_mean_ci: hb and x must not be NULL");
    else if ((k = nonfinite_at(x, hb->U * hb->n)) < hb->U * hb->n)
        return hh_fail(err, HH_EINPUT, "stats_hboot_mean_ci: x[%zu] = %g is not finite", k, x[k]);
    return stats_hboot_ci(hb, hmean_stat, (void *)x, conf, r, out, err);
}

// ---------------------------------------------------------- calibration

// The bin of v >= 0 among nbins of the given width; values past the end go last.
static size_t bin_of(double v, double width, size_t nbins)
{
    double k = floor(v / width);
    return k >= (double)nbins ? nbins - 1 : (size_t)k;
}

int stats_calibration(const double *p, const int *y, size_t n, size_t nbins,
                      StatsCalBin *bins, double *ece, HHErr *err)
{
    size_t k;
    if (!p || !y || !bins)
        return hh_fail(err, HH_EINPUT, "stats_calibration: p, y and bins must not be NULL");
    else if (n < 1 || nbins < 1)
        return hh_fail(err, HH_EINPUT, "stats_calibration: n = %zu, nbins = %zu; need both >= 1",
                       n, nbins);
    else if ((k = outside_at(p, n, 0.0, 1.0)) < n)
        return hh_fail(err, HH_EINPUT, "stats_calibration: p[%zu] = %g is not a probability in [0, 1]",
                       k, p[k]);
    else if ((k = nonbinary_at(y, n)) < n)
        return hh_fail(err, HH_EINPUT, "stats_calibration: y[%zu] = %d; outcomes must be 0 or 1",
                       k, y[k]);
    gsl_set_error_handler_off();
    double width = 1.0 / (double)nbins, z = gsl_cdf_ugaussian_Pinv(T95), e = 0;
    for (size_t b = 0; b < nbins; b++)
        bins[b] = (StatsCalBin){.lo = b * width, .hi = b + 1 == nbins ? 1.0 : (b + 1) * width};
    for (size_t i = 0; i < n; i++) {  // sums first: mean_pred = sum p, obs_freq = sum y
        StatsCalBin *c = &bins[bin_of(p[i], width, nbins)];
        c->count++;
        c->mean_pred += p[i];
        c->obs_freq += y[i];
    }
    for (size_t b = 0; b < nbins; b++) {
        StatsCalBin *c = &bins[b];
        if (c->count == 0) {
            c->mean_pred = c->obs_freq = c->ci_lo = c->ci_hi = NAN;
            continue;
        }
        wilson(c->obs_freq, (double)c->count, z, &c->ci_lo, &c->ci_hi);
        c->mean_pred /= (double)c->count;
        c->obs_freq /= (double)c->count;
        e += (double)c->count / (double)n * fabs(c->obs_freq - c->mean_pred);
    }
    if (ece)
        *ece = e;
    return 0;
}

int stats_accuracy_by_margin(const double *d, const int *y, size_t n,
                             double dmax, size_t nbins, StatsAccBin *bins,
                             size_t *ties, HHErr *err)
{
    size_t k;
    if (!d || !y || !bins)
        return hh_fail(err, HH_EINPUT, "stats_accuracy_by_margin: d, y and bins must not be NULL");
    else if (n < 1 || nbins < 1)
        return hh_fail(err, HH_EINPUT, "stats_accuracy_by_margin: n = %zu, nbins = %zu; "
                       "need both >= 1", n, nbins);
    else if (!(isfinite(dmax) && dmax > 0))
        return hh_fail(err, HH_EINPUT, "stats_accuracy_by_margin: dmax = %g; need a finite "
                       "dmax > 0", dmax);
    else if ((k = nonfinite_at(d, n)) < n)
        return hh_fail(err, HH_EINPUT, "stats_accuracy_by_margin: d[%zu] = %g is not finite", k, d[k]);
    else if ((k = nonbinary_at(y, n)) < n)
        return hh_fail(err, HH_EINPUT, "stats_accuracy_by_margin: y[%zu] = %d; outcomes must be "
                       "0 or 1", k, y[k]);
    gsl_set_error_handler_off();
    double width = dmax / (double)nbins, z = gsl_cdf_ugaussian_Pinv(T95);
    size_t nties = 0;
    for (size_t b = 0; b < nbins; b++) {
        double lo = b * width, hi = (b + 1) * width;
        bins[b] = (StatsAccBin){.lo = lo, .hi = hi, .centre = (lo + hi) / 2,
                                .ideal = stats_sigmoid((lo + hi) / 2)};
    }
    for (size_t i = 0; i < n; i++) {
        if (d[i] == 0) {
            nties++;
            continue;
        }
        StatsAccBin *c = &bins[bin_of(fabs(d[i]), width, nbins)];
        c->count++;
        c->correct += (d[i] > 0) == (y[i] == 1);
        c->ideal_mean += stats_sigmoid(fabs(d[i]));
    }
    for (size_t b = 0; b < nbins; b++) {
        StatsAccBin *c = &bins[b];
        if (c->count == 0) {
            c->acc = c->ci_lo = c->ci_hi = c->ideal_mean = NAN;
            continue;
        }
        c->acc = (double)c->correct / (double)c->count;
        c->ideal_mean /= (double)c->count;
        wilson((double)c->correct, (double)c->count, z, &c->ci_lo, &c->ci_hi);
    }
    if (ties)
        *ties = nties;
    return 0;
}

// ------------------------------------------------------------------ Elo

StatsElo *stats_elo_alloc(size_t K, HHErr *err)
{
    if (K < 2) {
        hh_fail(err, HH_EINPUT, "stats_elo_alloc: K = %zu players; need >= 2", K);
        return NULL;
    }
    gsl_set_error_handler_off();
    StatsElo *e = calloc(1, sizeof *e);
    if (!e)
        goto oom;
    e->K = K;
    e->elo = calloc(4 * K + K * K, sizeof(double));  // elo, se, th, thn, cov
    e->stack_ = calloc(K, sizeof *e->stack_);
    e->seen_ = calloc(K, 1);
    e->H_ = gsl_matrix_alloc(K - 1, K - 1);
    e->g_ = gsl_vector_alloc(K - 1);
    e->step_ = gsl_vector_alloc(K - 1);
    if (!e->elo || !e->stack_ || !e->seen_ || !e->H_ || !e->g_ || !e->step_)
        goto oom;
    e->se = e->elo + K;
    e->th_ = e->elo + 2 * K;
    e->thn_ = e->elo + 3 * K;
    e->cov = e->elo + 4 * K;
    return e;
oom:
    stats_elo_free(e);
    hh_fail(err, HH_EFAIL, "stats_elo_alloc: out of memory for K = %zu", K);
    return NULL;
}

void stats_elo_free(StatsElo *e)
{
    if (!e)
        return;
    free(e->elo);
    free(e->stack_);
    free(e->seen_);
    gsl_matrix_free(e->H_);
    gsl_vector_free(e->g_);
    gsl_vector_free(e->step_);
    free(e);
}

// First player not reached from player 0 along "i beat j" edges (reversed
// edges when rev), or K if all are reached.
static size_t elo_unreached(StatsElo *e, const double *wins, int rev)
{
    size_t K = e->K, top = 0;
    memset(e->seen_, 0, K);
    e->seen_[0] = 1;
    e->stack_[top++] = 0;
    while (top > 0) {
        size_t i = e->stack_[--top];
        for (size_t j = 0; j < K; j++) {
            double wij = rev ? wins[j * K + i] : wins[i * K + j];
            if (j != i && !e->seen_[j] && wij > 0) {
                e->seen_[j] = 1;
                e->stack_[top++] = j;
            }
        }
    }
    size_t j = 0;
    while (j < K && e->seen_[j])
        j++;
    return j;
}

static double elo_loglik(size_t K, const double *wins, const double *th)
{
    double ll = 0;
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < K; j++)
            if (i != j && wins[i * K + j] > 0)
                ll += wins[i * K + j] * stats_log_sigmoid(th[i] - th[j]);
    return ll;
}

// Gradient g_ and observed information H_ (= -Hessian) at th_ over the
// K-1 free players (index i maps to i - (i > pin)).
static void elo_derivs(StatsElo *e, const double *wins, size_t pin)
{
    size_t K = e->K;
    gsl_vector_set_zero(e->g_);
    gsl_matrix_set_zero(e->H_);
    for (size_t i = 0; i < K; i++) {
        for (size_t j = i + 1; j < K; j++) {
            double nij = wins[i * K + j] + wins[j * K + i];
            if (nij == 0)
                continue;
            double p = stats_sigmoid(e->th_[i] - e->th_[j]), q = stats_sigmoid(e->th_[j] - e->th_[i]);
            double gi = wins[i * K + j] * q - wins[j * K + i] * p, v = nij * p * q;  // no 1 - p
            size_t a = i - (i > pin), b = j - (j > pin);
            if (i != pin) {
                *gsl_vector_ptr(e->g_, a) += gi;
                *gsl_matrix_ptr(e->H_, a, a) += v;
            }
            if (j != pin) {
                *gsl_vector_ptr(e->g_, b) -= gi;
                *gsl_matrix_ptr(e->H_, b, b) += v;
            }
            if (i != pin && j != pin) {
                *gsl_matrix_ptr(e->H_, a, b) -= v;
                *gsl_matrix_ptr(e->H_, b, a) -= v;
            }
        }
    }
}

// One damped Newton step from th_; *moved = the largest undamped change.
static int elo_newton_step(StatsElo *e, const double *wins, size_t pin,
                           double *moved, HHErr *err)
{
    size_t K = e->K;
    elo_derivs(e, wins, pin);
    int s = gsl_linalg_cholesky_decomp1(e->H_);
    if (!s)
        s = gsl_linalg_cholesky_solve(e->H_, e->g_, e->step_);
    if (s)
        return hh_fail(err, HH_EFAIL, "stats_elo_fit: Newton solve: %s", gsl_strerror(s));
    double ll0 = elo_loglik(K, wins, e->th_), t = 1.0;
    for (;;) {  // halve the step until the likelihood does not fall
        for (size_t i = 0; i < K; i++)
            e->thn_[i] = i == pin ? 0.0 : e->th_[i] + t * gsl_vector_get(e->step_, i - (i > pin));
        double ll = elo_loglik(K, wins, e->thn_);
        if (ll >= ll0 - 1e-12 * fabs(ll0) || t < 1e-10)
            break;
        t /= 2;
    }
    *moved = fabs(gsl_vector_get(e->step_, gsl_blas_idamax(e->step_)));  // undamped
    memcpy(e->th_, e->thn_, K * sizeof(double));
    return 0;
}

// Ratings, covariance and standard errors in Elo units at the solution th_.
static int elo_finish(StatsElo *e, const double *wins, size_t pin, HHErr *err)
{
    size_t K = e->K;
    elo_derivs(e, wins, pin);
    int s = gsl_linalg_cholesky_decomp1(e->H_);
    if (!s)
        s = gsl_linalg_cholesky_invert(e->H_);
    if (s)
        return hh_fail(err, HH_EFAIL, "stats_elo_fit: inverting the information: %s",
                       gsl_strerror(s));
    for (size_t i = 0; i < K; i++) {
        e->elo[i] = ELO_SCALE * e->th_[i];
        for (size_t j = 0; j < K; j++)
            e->cov[i * K + j] = (i == pin || j == pin) ? 0.0
                : ELO_SCALE * ELO_SCALE * gsl_matrix_get(e->H_, i - (i > pin), j - (j > pin));
        e->se[i] = sqrt(e->cov[i * K + i]);
    }
    e->loglik = elo_loglik(K, wins, e->th_);
    return 0;
}

int stats_elo_fit(StatsElo *e, const double *wins, size_t pin, HHErr *err)
{
    size_t k;
    if (!e || !wins)
        return hh_fail(err, HH_EINPUT, "stats_elo_fit: e and wins must not be NULL");
    else if (pin >= e->K)
        return hh_fail(err, HH_EINPUT, "stats_elo_fit: pin = %zu; need a player 0..%zu",
                       pin, e->K - 1);
    else if ((k = badweight_at(wins, e->K * e->K)) < e->K * e->K)
        return hh_fail(err, HH_EINPUT, "stats_elo_fit: wins[%zu][%zu] = %g; need finite "
                       "counts >= 0", k / e->K, k % e->K, wins[k]);
    else if ((k = elo_unreached(e, wins, 0)) < e->K)
        return hh_fail(err, HH_EINPUT, "stats_elo_fit: no chain of wins leads from player 0 "
                       "to player %zu, so the MLE does not exist (ratings diverge); add games "
                       "between the groups", k);
    else if ((k = elo_unreached(e, wins, 1)) < e->K)
        return hh_fail(err, HH_EINPUT, "stats_elo_fit: no chain of wins leads from player "
                       "%zu to player 0, so the MLE does not exist (ratings diverge); add games "
                       "between the groups", k);
    gsl_set_error_handler_off();
    memset(e->th_, 0, e->K * sizeof(double));
    double moved = INFINITY;
    for (e->iter = 0; e->iter < 200 && moved > ELO_TOL; e->iter++) {
        int s = elo_newton_step(e, wins, pin, &moved, err);
        if (s)
            return s;
    }
    if (moved > ELO_TOL)
        return hh_fail(err, HH_EFAIL, "stats_elo_fit: Newton did not converge in %zu "
                       "iterations (last step %g)", e->iter, moved);
    return elo_finish(e, wins, pin, err);
}

// ------------------------------------------------------------- helpers

double stats_sigmoid(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double ex = exp(x);
    return ex / (1.0 + ex);
}

double stats_log_sigmoid(double x)
{
    return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x));
}

double stats_elo_prob(double d)
{
    return stats_sigmoid(d / ELO_SCALE);
}
