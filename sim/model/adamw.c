// adamw.c - see adamw.h
#include "adamw.h"
#include "gpt_kernels.h"  // gk_alloc_floats

#include <math.h>
#include <stdlib.h>
#include <string.h>

AdamW *adamw_alloc(size_t n, HHErr *err) {
    AdamW *opt = calloc(1, sizeof *opt);
    // zeroed; 2 MiB-aligned huge pages when large (the update streams them)
    float *mem = opt ? gk_alloc_floats(2 * (n ? n : 1)) : NULL;
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
    gk_free_floats(opt->m);
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

// adamw_step: the update of elements [i0, i1), one at a time; the
// reference for the vector path below, which must give the same bits.
static void adamw_step(float *restrict params, const float *restrict grads,
                       float *restrict m, float *restrict v,
                       const unsigned char *decay, size_t i0, size_t i1, float lr,
                       float b1, float b2, float eps, float c1, float c2, float wd) {
    for (size_t i = i0; i < i1; i++) {
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

static int scalar_only;

int adamw_scalar_only(int on) {
    int old = scalar_only;
    scalar_only = on != 0;
    return old;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
// adamw_step8: adamw_step 8 elements at a time (AVX2), n8 a multiple of 8:
// the same IEEE single operations in the same order per element (+, *, /
// and sqrt are correctly rounded in every lane, and the build contracts
// nothing into FMAs: -std=c11), so the same bits; the decay mask selects
// lane-wise between upd and upd + wd p.
__attribute__((target("avx2"))) static void adamw_step8(
    float *restrict params, const float *restrict grads, float *restrict m,
    float *restrict v, const unsigned char *decay, size_t n8, float lr, float b1, float b2,
    float eps, float c1, float c2, float wd) {
    const __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2);
    const __m256 ob1 = _mm256_set1_ps(1.0f - b1), ob2 = _mm256_set1_ps(1.0f - b2);
    const __m256 vlr = _mm256_set1_ps(lr), veps = _mm256_set1_ps(eps);
    const __m256 vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2), vwd = _mm256_set1_ps(wd);
    const __m256i zero = _mm256_setzero_si256();
    for (size_t i = 0; i < n8; i += 8) {
        __m256 g = _mm256_loadu_ps(grads + i);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)),
                                  _mm256_mul_ps(ob1, g));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)),
                                  _mm256_mul_ps(_mm256_mul_ps(ob2, g), g));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 p = _mm256_loadu_ps(params + i);
        __m256 upd = _mm256_div_ps(_mm256_mul_ps(vlr, _mm256_mul_ps(mi, vc1)),
                                   _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, vc2)), veps));
        __m256 dec = _mm256_add_ps(upd, _mm256_mul_ps(vwd, p));
        if (decay) {  // lanes whose mask byte is 0 keep upd
            __m256i d = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(decay + i)));
            __m256 off = _mm256_castsi256_ps(_mm256_cmpeq_epi32(d, zero));
            upd = _mm256_blendv_ps(dec, upd, off);
        } else
            upd = dec;
        _mm256_storeu_ps(params + i, _mm256_sub_ps(p, upd));
    }
}
#endif

void adamw_update(AdamW *opt, float *restrict params,
                  const float *restrict grads, const unsigned char *decay,
                  float lr, const AdamWConfig *cfg) {
    opt->step++;
    float b1 = cfg->beta1, b2 = cfg->beta2, eps = cfg->eps;
    float c1 = (float)(1.0 / (1.0 - pow(cfg->beta1, (double)opt->step)));
    float c2 = (float)(1.0 / (1.0 - pow(cfg->beta2, (double)opt->step)));
    float wd = lr * cfg->weight_decay;
    size_t i = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (!scalar_only && __builtin_cpu_supports("avx2")) {
        i = opt->n & ~(size_t)7;
        adamw_step8(params, grads, opt->m, opt->v, decay, i, lr, b1, b2, eps, c1, c2, wd);
    }
#endif
    adamw_step(params, grads, opt->m, opt->v, decay, i, opt->n, lr, b1, b2, eps, c1, c2, wd);
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
