// adamw.c - see adamw.h
#include "adamw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

AdamW *adamw_alloc(size_t n, HHErr *err) {
    AdamW *opt = calloc(1, sizeof *opt);
    float *mem = opt ? calloc(2 * (n ? n : 1), sizeof(float)) : NULL;
    if (!mem) {
        free(opt);
        hh_fail(err, HH_EFAIL, "adamw_alloc: out of memory for %zu parameters", n);
        return NULL;
    }
    opt->n = n;
    opt->m = mem;
    opt->v = mem + n;
    return opt;
}

void adamw_free(AdamW *opt) {
    if (!opt) return;
    free(opt->m);
    free(opt);
}

void adamw_reset(AdamW *opt) {
    memset(opt->m, 0, opt->n * sizeof(float));
    memset(opt->v, 0, opt->n * sizeof(float));
    opt->step = 0;
}

void adamw_load_state(AdamW *opt, const float *m, const float *v, long step) {
    memcpy(opt->m, m, opt->n * sizeof(float));
    memcpy(opt->v, v, opt->n * sizeof(float));
    opt->step = step;
}

void adamw_update(AdamW *opt, float *restrict params,
                  const float *restrict grads, const unsigned char *decay,
                  float lr, const AdamWConfig *cfg) {
    opt->step++;
    float b1 = cfg->beta1, b2 = cfg->beta2, eps = cfg->eps;
    float c1 = (float)(1.0 / (1.0 - pow(cfg->beta1, (double)opt->step)));
    float c2 = (float)(1.0 / (1.0 - pow(cfg->beta2, (double)opt->step)));
    float wd = lr * cfg->weight_decay;
    float *restrict m = opt->m, *restrict v = opt->v;
    for (size_t i = 0; i < opt->n; i++) {
        float g = grads[i];
        float mi = b1 * m[i] + (1.0f - b1) * g;
        float vi = b2 * v[i] + (1.0f - b2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float p = params[i];
        float upd = lr * (mi * c1) / (sqrtf(vi * c2) + eps);
        if (!decay || decay[i]) upd += wd * p;
        params[i] = p - upd;
    }
}

double adamw_grad_norm(const float *grads, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)grads[i] * grads[i];
    return sqrt(s);
}

double adamw_clip(float *grads, size_t n, double max_norm) {
    double norm = adamw_grad_norm(grads, n);
    if (max_norm > 0.0 && norm > max_norm) {
        float s = (float)(max_norm / norm);
        for (size_t i = 0; i < n; i++) grads[i] *= s;
    }
    return norm;
}

double adamw_lr_cosine(long step, long warmup, long total, double lr_max,
                       double lr_min) {
    if (warmup > 0 && step < warmup) return lr_max * (double)(step + 1) / warmup;
    if (step >= total || total <= warmup) return lr_min;
    double frac = (double)(step - warmup) / (double)(total - warmup);
    return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + cos(3.14159265358979323846 * frac));
}
