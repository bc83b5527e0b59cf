// gpt.c - see gpt.h. Sections: SIMD helpers, kernels, model, losses, KV cache
// and sampling, HDF5.
//
// This file is longer than the house ~800 lines because the model, its KV
// cache and its persistence share the private kernels and tensor table; the
// natural split is gpt_kernels.c / gpt.c / gpt_h5.c.
#include "gpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <hdf5_hl.h>

#define LN_EPS 1e-5f

// ----------------------------------------------------------------------------
// small helpers

// --- 4-wide SIMD through GCC/Clang vector extensions (portable C: plain
// SSE2 on x86-64 at -O2, scalar code elsewhere). Lane-wise IEEE +, -, *, /
// only, so results do not depend on how many lanes a loop uses; tails go
// through the same vector code on a zero-padded copy.
typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));

static inline v4f v4_load(const float *p) { v4f v; memcpy(&v, p, sizeof v); return v; }
static inline void v4_store(float *p, v4f v) { memcpy(p, &v, sizeof v); }
static inline v4f v4_set1(float x) { return (v4f){x, x, x, x}; }
static inline v4f v4_sel(v4i m, v4f a, v4f b) {  // m ? a : b
    return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}
static inline v4f v4_max(v4f a, v4f b) { return v4_sel(a > b, a, b); }
static inline float v4_hsum(v4f v) { return (v[0] + v[1]) + (v[2] + v[3]); }
static inline float v4_hmax(v4f v) {
    float a = v[0] > v[1] ? v[0] : v[1], b = v[2] > v[3] ? v[2] : v[3];
    return a > b ? a : b;
}
// partial load/store of n < 4 lanes (padding with pad)
static inline v4f v4_load_n(const float *p, int n, float pad) {
    v4f v = v4_set1(pad);
    for (int i = 0; i < n; i++) v[i] = p[i];
    return v;
}
static inline void v4_store_n(float *p, v4f v, int n) {
    for (int i = 0; i < n; i++) p[i] = v[i];
}

// VMATH defines P##_exp and P##_tanh for a vector type VF (int type VI);
// instantiated for 4 lanes everywhere and 8 lanes (AVX2) on x86-64. Both
// are the same lane-wise operations, so they give bit-identical results.
//
// exp: Cody-Waite range reduction x = n ln2 + r (n the nearest integer to
// x log2 e, |r| <= ln2 / 2) and the Cephes degree-5
// polynomial for exp(r); inputs clamped to [-87.3365, 88]; relative error
// 8e-8 on [-87, 88] (checked in tests/test_gpt.c).
// tanh: rational minimax approximation on [-7.905, 7.905] (the form Eigen
// uses), clamped outside; max abs error 4e-7 against double tanh (tested);
// ~10x cheaper than libm tanhf.
#define VMATH(P, VF, VI, ATTR)                                                 \
    ATTR static inline VF P##_clamp(VF x, float lo, float hi) {                \
        VF z = {0};                                                            \
        VI a = x > lo;                                                         \
        x = (VF)((a & (VI)x) | (~a & (VI)(z + lo)));                           \
        VI b = x < hi;                                                         \
        return (VF)((b & (VI)x) | (~b & (VI)(z + hi)));                        \
    }                                                                          \
    ATTR static inline VF P##_exp(VF x) {                                      \
        x = P##_clamp(x, -87.3365f, 88.0f);                                    \
        /* n = round(x log2 e) by the 1.5 * 2^23 trick: n sits in the low */  \
        /* mantissa bits of t (|x log2 e| <= 127 << 2^22) */                  \
        VF t = x * 1.44269504088896341f + 12582912.0f, z = {0};                \
        VF nf = t - 12582912.0f;                                               \
        VF r = x - nf * 0.693359375f - nf * -2.12194440e-4f;                   \
        VF y = z + 1.9875691500e-4f;                                           \
        y = y * r + 1.3981999507e-3f;                                          \
        y = y * r + 8.3334519073e-3f;                                          \
        y = y * r + 4.1665795894e-2f;                                          \
        y = y * r + 1.6666665459e-1f;                                          \
        y = y * r + 5.0000001201e-1f;                                          \
        y = y * (r * r) + r + 1.0f;                                            \
        VI e = ((VI)t - 0x4B400000 + 127) << 23;                               \
        return y * (VF)e;                                                      \
    }                                                                          \
    ATTR static inline VF P##_tanh(VF x) {                                     \
        VF xc = P##_clamp(x, -7.90531110763549805f, 7.90531110763549805f);    \
        VF x2 = xc * xc, z = {0};                                              \
        VF p = z + -2.76076847742355e-16f;                                     \
        p = p * x2 + 2.00018790482477e-13f;                                    \
        p = p * x2 + -8.60467152213735e-11f;                                   \
        p = p * x2 + 5.12229709037114e-08f;                                    \
        p = p * x2 + 1.48572235717979e-05f;                                    \
        p = p * x2 + 6.37261928875436e-04f;                                    \
        p = p * x2 + 4.89352455891786e-03f;                                    \
        VF q = z + 1.19825839466702e-06f;                                      \
        q = q * x2 + 1.18534705686654e-04f;                                    \
        q = q * x2 + 2.26843463243900e-03f;                                    \
        q = q * x2 + 4.89352518554385e-03f;                                    \
        return p * xc / q;                                                     \
    }

VMATH(v4, v4f, v4i, )

#if defined(__x86_64__) && defined(__GNUC__)
// The elementwise kernels below also exist 8 lanes wide for AVX2 CPUs,
// chosen at run time (__builtin_cpu_supports); sums keep the 4-lane order.
#define HH_AVX2 1
#define AVX2 __attribute__((target("avx2")))
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
VMATH(v8, v8f, v8i, AVX2)
AVX2 static inline v8f v8_load(const float *p) { v8f v; memcpy(&v, p, sizeof v); return v; }
AVX2 static inline void v8_store(float *p, v8f v) { memcpy(p, &v, sizeof v); }
AVX2 static inline v4f v8_lo(v8f v) { return (v4f){v[0], v[1], v[2], v[3]}; }
AVX2 static inline v4f v8_hi(v8f v) { return (v4f){v[4], v[5], v[6], v[7]}; }
static int portable;
static int have_avx2(void) { return !portable && __builtin_cpu_supports("avx2"); }
#else
static int portable;
static int have_avx2(void) { return 0; }
#endif

int gpt_simd_portable(int on) {
    int old = portable;
    portable = on != 0;
    return old;
}

float gpt_tanh_approx(float x) { return v4_tanh(v4_set1(x))[0]; }
int gpt_simd_width(void) { return have_avx2() ? 8 : 4; }
float gpt_exp_approx(float x) { return v4_exp(v4_set1(x))[0]; }

// exp_shift_sum: e[j] = exp(x[j] - mx) for j < n (e may alias x; e NULL:
// not stored); returns the sum of those values, in a fixed order.
#ifdef HH_AVX2
AVX2 static v4f exp_shift_sum8(float *e, const float *x, int n8, float mx) {
    v4f acc = v4_set1(0.0f);
    for (int j = 0; j < n8; j += 8) {
        v8f v = v8_exp(v8_load(x + j) - mx);
        if (e) v8_store(e + j, v);
        acc += v8_lo(v);
        acc += v8_hi(v);
    }
    return acc;
}
#endif

static float exp_shift_sum(float *e, const float *x, int n, float mx) {
    v4f acc = v4_set1(0.0f);
    int j = 0;
#ifdef HH_AVX2
    if (n >= 8 && have_avx2()) {
        j = n & ~7;
        acc = exp_shift_sum8(e, x, j, mx);
    }
#endif
    for (; j + 4 <= n; j += 4) {
        v4f v = v4_exp(v4_load(x + j) - mx);
        if (e) v4_store(e + j, v);
        acc += v;
    }
    if (j < n) {
        v4f v = v4_exp(v4_load_n(x + j, n - j, mx) - mx);
        v = v4_sel((v4i){0, 1, 2, 3} < n - j, v, v4_set1(0.0f));
        if (e) v4_store_n(e + j, v, n - j);
        acc += v;
    }
    return v4_hsum(acc);
}

// dot_f: x . y over n, 4-lane partial sums then the tail, in a fixed order.
static inline float dot_f(const float *x, const float *y, int n) {
    v4f acc = v4_set1(0.0f);
    int j = 0;
    for (; j + 4 <= n; j += 4) acc += v4_load(x + j) * v4_load(y + j);
    float s = v4_hsum(acc);
    for (; j < n; j++) s += x[j] * y[j];
    return s;
}

static void scale_f(float *x, float c, int n) {
    int j = 0;
    for (; j + 4 <= n; j += 4) v4_store(x + j, v4_load(x + j) * c);
    for (; j < n; j++) x[j] *= c;
}

static float max_f(const float *x, int n) {
    v4f m = v4_set1(x[0]);
    int j = 0;
    for (; j + 4 <= n; j += 4) m = v4_max(m, v4_load(x + j));
    float r = v4_hmax(m);
    for (; j < n; j++) r = x[j] > r ? x[j] : r;
    return r;
}

// ----------------------------------------------------------------------------
// kernels: forward/backward pairs. N = B * T rows.

static void encoder_forward(float *out, const int *inp, const float *wte,
                            const float *wpe, int B, int T, int C) {
    // out (B, T, C), inp (B, T), wte (V, C), wpe (T, C)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *o = out + ((size_t)b * T + t) * C;
            const float *e = wte + (size_t)inp[b * T + t] * C;
            const float *p = wpe + (size_t)t * C;
            for (int i = 0; i < C; i++) o[i] = e[i] + p[i];
        }
}

static void encoder_backward(float *dwte, float *dwpe, const float *dout,
                             const int *inp, int B, int T, int C) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *d = dout + ((size_t)b * T + t) * C;
            float *de = dwte + (size_t)inp[b * T + t] * C;
            float *dp = dwpe + (size_t)t * C;
            for (int i = 0; i < C; i++) {
                de[i] += d[i];
                dp[i] += d[i];
            }
        }
}

// LayerNorm over rows of C: out = (x - mean) rstd w + b. Row sums use 4-lane
// partial sums (fixed order) over the first C4 = C & ~3 columns, then the
// rest in order.
static void layernorm_forward(float *restrict out, float *restrict mean,
                              float *restrict rstd, const float *restrict inp,
                              const float *restrict w, const float *restrict b,
                              int N, int C) {
    // out (N, C), mean (N), rstd (N), inp (N, C), w (C), b (C)
    int C4 = C & ~3;
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C;
        float *o = out + (size_t)i * C;
        v4f acc = v4_set1(0.0f);
        for (int j = 0; j < C4; j += 4) acc += v4_load(x + j);
        float m = v4_hsum(acc);
        for (int j = C4; j < C; j++) m += x[j];
        m /= C;
        acc = v4_set1(0.0f);
        for (int j = 0; j < C4; j += 4) {
            v4f d = v4_load(x + j) - m;
            acc += d * d;
        }
        float var = v4_hsum(acc);
        for (int j = C4; j < C; j++) var += (x[j] - m) * (x[j] - m);
        float s = 1.0f / sqrtf(var / C + LN_EPS);
        for (int j = 0; j < C4; j += 4)
            v4_store(o + j, (v4_load(x + j) - m) * s * v4_load(w + j) + v4_load(b + j));
        for (int j = C4; j < C; j++) o[j] = (x[j] - m) * s * w[j] + b[j];
        if (mean) mean[i] = m;
        if (rstd) rstd[i] = s;
    }
}

static void layernorm_backward(float *restrict dinp, float *restrict dw,
                               float *restrict db, const float *restrict dout,
                               const float *restrict inp,
                               const float *restrict w,
                               const float *restrict mean,
                               const float *restrict rstd, int N, int C) {
    // dinp (N, C) +=, dw (C) +=, db (C) +=
    int C4 = C & ~3;
    for (int i = 0; i < N; i++) {
        const float *x = inp + (size_t)i * C, *d = dout + (size_t)i * C;
        float *dx = dinp + (size_t)i * C;
        float m = mean[i], s = rstd[i];
        v4f a1 = v4_set1(0.0f), a2 = v4_set1(0.0f);
        for (int j = 0; j < C4; j += 4) {
            v4f dn = v4_load(w + j) * v4_load(d + j);
            a1 += dn;
            a2 += dn * ((v4_load(x + j) - m) * s);
        }
        float dmean = v4_hsum(a1), dnm = v4_hsum(a2);
        for (int j = C4; j < C; j++) {
            float dn = w[j] * d[j];
            dmean += dn;
            dnm += dn * ((x[j] - m) * s);
        }
        dmean /= C;
        dnm /= C;
        for (int j = 0; j < C4; j += 4) {
            v4f nrm = (v4_load(x + j) - m) * s, dj = v4_load(d + j);
            v4_store(db + j, v4_load(db + j) + dj);
            v4_store(dw + j, v4_load(dw + j) + nrm * dj);
            v4_store(dx + j, v4_load(dx + j) +
                                 (v4_load(w + j) * dj - dmean - nrm * dnm) * s);
        }
        for (int j = C4; j < C; j++) {
            float nrm = (x[j] - m) * s;
            db[j] += d[j];
            dw[j] += nrm * d[j];
            dx[j] += (w[j] * d[j] - dmean - nrm * dnm) * s;
        }
    }
}

// matmul_forward: out (N, OC) = [res (N, OC)] + inp (N, C) W^T + [bias (OC)],
// weight W (OC, C); res and bias may be NULL; out may alias res.
static void matmul_forward(float *out, const float *res, const float *inp,
                           const float *weight, const float *bias, int N,
                           int C, int OC) {
    float beta = 0.0f;
    if (res || bias) {
        for (int i = 0; i < N; i++) {
            float *o = out + (size_t)i * OC;
            const float *r = res ? res + (size_t)i * OC : NULL;
            if (r && bias) {
                int j = 0;
                for (; j + 4 <= OC; j += 4)
                    v4_store(o + j, v4_load(r + j) + v4_load(bias + j));
                for (; j < OC; j++) o[j] = r[j] + bias[j];
            }
            else if (r) {
                if (o != r) memcpy(o, r, sizeof(float) * OC);
            } else
                memcpy(o, bias, sizeof(float) * OC);
        }
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp,
                C, weight, C, beta, out, OC);
}

// matmul_backward: dinp (N, C) = dout W (overwritten: activation gradients
// are per-layer scratch), dweight (OC, C) += dout^T inp, dbias (OC) +=
// column sums of dout (dbias may be NULL); ones (N) is a vector of 1s.
static void matmul_backward(float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp,
                            const float *weight, const float *ones, int N,
                            int C, int OC) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f,
                dout, OC, weight, C, 0.0f, dinp, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout,
                OC, inp, C, 1.0f, dweight, C);
    if (dbias)
        cblas_sgemv(CblasRowMajor, CblasTrans, N, OC, 1.0f, dout, OC, ones, 1,
                    1.0f, dbias, 1);
}

// causal_exp_rows: for rows t = r0 .. r1-1 of a (row stride T), whose keys
// 0 .. t are valid and whose columns 0 .. r1-1 were computed: a[t, j] =
// exp(a[t, j] - max_{j'<=t} a[t, j']) for j <= t, 0 for t < j < r1, and
// inv[t] = 1 / the row's sum. When r1 % 8 == 0 a row is processed in whole
// vectors of 8 up to t (masking j > t), and its sum is taken as 8 partial
// sums (lane i adds j = i, i + 8, ...) folded as (0..3) + (4..7) at the
// end: the AVX2 path does it in one 8-lane register, the portable path in
// two 4-lane ones, so both give identical results. Other widths (odd
// contexts) use the exact row.
#ifdef HH_AVX2
AVX2 static void causal_exp_rows8(float *a, float *inv, int T, int r0, int r1) {
    const v8i lane = {0, 1, 2, 3, 4, 5, 6, 7};
    const v8f ninf = v8_load((const float[8]){-INFINITY, -INFINITY, -INFINITY,
                                              -INFINITY, -INFINITY, -INFINITY,
                                              -INFINITY, -INFINITY});
    for (int t = r0; t < r1; t++) {
        float *r = a + (size_t)t * T;
        int n8 = (t + 8) & ~7;  // whole vectors covering 0 .. t
        v8f m = ninf;
        for (int j = 0; j < n8; j += 8) {
            v8i keep = lane + j <= t;
            v8f v = (v8f)((keep & (v8i)v8_load(r + j)) | (~keep & (v8i)ninf));
            v8i gt = v > m;
            m = (v8f)((gt & (v8i)v) | (~gt & (v8i)m));
        }
        float mx = v4_hmax(v4_max(v8_lo(m), v8_hi(m)));
        v8f acc = {0};
        for (int j = 0; j < n8; j += 8) {
            v8i keep = lane + j <= t;
            v8f v = (v8f)(keep & (v8i)v8_exp(v8_load(r + j) - mx));
            v8_store(r + j, v);
            acc += v;
        }
        for (int j = n8; j < r1; j++) r[j] = 0.0f;
        inv[t] = 1.0f / v4_hsum(v8_lo(acc) + v8_hi(acc));
    }
}
#endif

static void causal_exp_rows(float *a, float *inv, int T, int r0, int r1) {
#ifdef HH_AVX2
    if (r1 % 8 == 0 && have_avx2()) {
        causal_exp_rows8(a, inv, T, r0, r1);
        return;
    }
#endif
    const v4i lane = {0, 1, 2, 3};
    const v4f ninf = v4_set1(-INFINITY), zero = v4_set1(0.0f);
    for (int t = r0; t < r1; t++) {
        float *r = a + (size_t)t * T;
        if (r1 % 8) {  // odd widths: exact row, then zeros
            float mx = max_f(r, t + 1);
            inv[t] = 1.0f / exp_shift_sum(r, r, t + 1, mx);
            for (int j = t + 1; j < r1; j++) r[j] = 0.0f;
            continue;
        }
        int n8 = (t + 8) & ~7;
        v4f m = ninf;
        for (int j = 0; j < n8; j += 4)
            m = v4_max(m, v4_sel(lane + j <= t, v4_load(r + j), ninf));
        float mx = v4_hmax(m);
        v4f lo = zero, hi = zero;
        for (int j = 0; j < n8; j += 8) {
            v4f v0 = v4_sel(lane + j <= t, v4_exp(v4_load(r + j) - mx), zero);
            v4f v1 = v4_sel(lane + j + 4 <= t, v4_exp(v4_load(r + j + 4) - mx), zero);
            v4_store(r + j, v0);
            v4_store(r + j + 4, v1);
            lo += v0;
            hi += v1;
        }
        for (int j = n8; j < r1; j++) r[j] = 0.0f;
        inv[t] = 1.0f / v4_hsum(lo + hi);
    }
}

// Causal attention works on blocks of ATT_BLOCK query rows: the rows of
// block i only see keys 0 .. end of block i, so every product below skips
// the key columns past its block's end (for T = 64, a quarter of the work).
// The weights are kept unnormalised, E = exp(S - rowmax), with inv = 1 /
// rowsum(E); P = E inv is never formed: Y = (E V) inv row-wise, and the
// backward pass folds inv into its elementwise step.
#define ATT_BLOCK 32

static int att_block_end(int i, int T) {
    int e = (i + 1) * ATT_BLOCK;
    return e < T ? e : T;
}

// transpose_to: dst (hs, T) = src (T, hs) with row stride ld. Products with
// a transposed (T, hs) operand go through OpenBLAS's packing path, which
// costs more than the product itself at hs = 8; on a copied K^T or V^T
// (hs x T) they take its small-matrix kernels instead (4.5% of a training
// step at scale s, measured A/B in one process).
static void transpose_to(float *dst, const float *src, int T, int hs, int ld) {
    for (int t = 0; t < T; t++)
        for (int i = 0; i < hs; i++) dst[(size_t)i * T + t] = src[(size_t)t * ld + i];
}

// attention_forward: out (B, T, C); att (B, NH, T, T) holds E within each
// row's key block (0 for keys past the row, unused past the block); inv
// (B, NH, T); kt (T * hs) scratch; qkv (B, T, 3C) with q | k | v blocks of C.
static void attention_forward(float *out, float *att, float *inv, float *kt,
                              const float *qkv, int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C, nblk = (T + ATT_BLOCK - 1) / ATT_BLOCK;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + h * hs;
            float *a = att + ((size_t)b * NH + h) * T * T;
            float *iv = inv + ((size_t)b * NH + h) * T;
            float *y = out + (size_t)b * T * C + h * hs;
            transpose_to(kt, q + C, T, hs, C3);
            for (int i = 0; i < nblk; i++) {
                int r0 = i * ATT_BLOCK, r1 = att_block_end(i, T);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0,
                            r1, hs, scale, q + (size_t)r0 * C3, C3, kt, T,
                            0.0f, a + (size_t)r0 * T, T);
                causal_exp_rows(a, iv, T, r0, r1);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0,
                            hs, r1, 1.0f, a + (size_t)r0 * T, T, q + 2 * C, C3,
                            0.0f, y + (size_t)r0 * C, C);
            }
            for (int t = 0; t < T; t++) scale_f(y + (size_t)t * C, iv[t], hs);
        }
}

// attention_backward: dqkv (B, T, 3C) overwritten; scratch (T * T + 2 T C)
// floats.
static void attention_backward(float *dqkv, float *scratch, const float *dout,
                               const float *qkv, const float *att,
                               const float *inv, int B, int T, int C, int NH) {
    int hs = C / NH, C3 = 3 * C, nblk = (T + ATT_BLOCK - 1) / ATT_BLOCK;
    float scale = 1.0f / sqrtf((float)hs);
    float *ds = scratch, *dys = scratch + (size_t)T * T, *vt = dys + (size_t)T * hs;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++) {
            size_t off = (size_t)b * T * C3 + h * hs;
            const float *q = qkv + off, *a = att + ((size_t)b * NH + h) * T * T;
            const float *iv = inv + ((size_t)b * NH + h) * T;
            const float *dy = dout + (size_t)b * T * C + h * hs;
            float *dq = dqkv + off;
            // dYs = dY inv row-wise (T, hs)
            for (int t = 0; t < T; t++)
                for (int i = 0; i < hs; i++)
                    dys[t * hs + i] = dy[(size_t)t * C + i] * iv[t];
            transpose_to(vt, q + 2 * C, T, hs, C3);
            for (int i = 0; i < nblk; i++) {
                int r0 = i * ATT_BLOCK, r1 = att_block_end(i, T);
                // dV[keys of block i] = E[r0:T, r0:r1]^T dYs[r0:T]
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1 - r0,
                            hs, T - r0, 1.0f, a + (size_t)r0 * T + r0, T,
                            dys + (size_t)r0 * hs, hs, 0.0f,
                            dq + 2 * C + (size_t)r0 * C3, C3);
                // dP[r0:r1, 0:r1] = dY V^T
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0,
                            r1, hs, 1.0f, dy + (size_t)r0 * C, C, vt, T, 0.0f,
                            ds + (size_t)r0 * T, T);
                // dS = P (dP - rowsum(P dP)), P = E inv; E is 0 past the
                // row, so whole block rows give the same sum and dS = 0
                for (int t = r0; t < r1; t++) {
                    const float *e = a + (size_t)t * T;
                    float *d = ds + (size_t)t * T;
                    float s = dot_f(e, d, r1) * iv[t];
                    int j = 0;
                    for (; j + 4 <= r1; j += 4)
                        v4_store(d + j, v4_load(e + j) * iv[t] * (v4_load(d + j) - s));
                    for (; j < r1; j++) d[j] = e[j] * iv[t] * (d[j] - s);
                }
                // dQ[r0:r1] = scale dS[r0:r1, 0:r1] K[0:r1]
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0,
                            hs, r1, scale, ds + (size_t)r0 * T, T, q + C, C3,
                            0.0f, dq + (size_t)r0 * C3, C3);
            }
            // dK[keys of block i] = scale dS[r0:T, r0:r1]^T Q[r0:T]; needs
            // the dS rows of every later block, hence a second pass
            for (int i = 0; i < nblk; i++) {
                int r0 = i * ATT_BLOCK, r1 = att_block_end(i, T);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1 - r0,
                            hs, T - r0, scale, ds + (size_t)r0 * T + r0, T,
                            q + (size_t)r0 * C3, C3, 0.0f,
                            dq + C + (size_t)r0 * C3, C3);
            }
        }
}

#define GELU_S 0.7978845608028654f  // sqrt(2 / pi)
#define GELU_A 0.044715f

// gelu_forward: out = 0.5 x (1 + tanh(S (x + A x^3))) over n values; th
// (n) keeps the tanh for the backward pass (may be NULL); out may alias inp
// (the KV-cache step does it in place).
static inline v4f gelu_tanh4(v4f x) {
    return v4_tanh(GELU_S * (x + GELU_A * x * x * x));
}

#ifdef HH_AVX2
AVX2 static void gelu_forward8(float *out, float *th, const float *inp, size_t n8) {
    for (size_t i = 0; i < n8; i += 8) {
        v8f x = v8_load(inp + i);
        v8f t = v8_tanh(GELU_S * (x + GELU_A * x * x * x));
        if (th) v8_store(th + i, t);
        v8_store(out + i, 0.5f * x * (1.0f + t));
    }
}

AVX2 static void gelu_backward8(float *d, const float *inp, const float *th, size_t n8) {
    for (size_t i = 0; i < n8; i += 8) {
        v8f x = v8_load(inp + i), t = v8_load(th + i);
        v8f g = 0.5f * (1.0f + t) +
                0.5f * x * (1.0f - t * t) * GELU_S * (1.0f + 3.0f * GELU_A * x * x);
        v8_store(d + i, v8_load(d + i) * g);
    }
}
#endif

static void gelu_forward(float *out, float *th, const float *inp, size_t n) {
    size_t i = 0;
#ifdef HH_AVX2
    if (have_avx2()) {
        i = n & ~(size_t)7;
        gelu_forward8(out, th, inp, i);
    }
#endif
    for (; i + 4 <= n; i += 4) {
        v4f x = v4_load(inp + i), t = gelu_tanh4(x);
        if (th) v4_store(th + i, t);
        v4_store(out + i, 0.5f * x * (1.0f + t));
    }
    if (i < n) {
        int k = (int)(n - i);
        v4f x = v4_load_n(inp + i, k, 0.0f), t = gelu_tanh4(x);
        if (th) v4_store_n(th + i, t, k);
        v4_store_n(out + i, 0.5f * x * (1.0f + t), k);
    }
}

static inline v4f gelu_grad4(v4f x, v4f t) {
    return 0.5f * (1.0f + t) +
           0.5f * x * (1.0f - t * t) * GELU_S * (1.0f + 3.0f * GELU_A * x * x);
}

// gelu_backward: d (n) *= gelu'(inp) using th from gelu_forward.
static void gelu_backward(float *d, const float *inp, const float *th,
                          size_t n) {
    size_t i = 0;
#ifdef HH_AVX2
    if (have_avx2()) {
        i = n & ~(size_t)7;
        gelu_backward8(d, inp, th, i);
    }
#endif
    for (; i + 4 <= n; i += 4)
        v4_store(d + i, v4_load(d + i) *
                            gelu_grad4(v4_load(inp + i), v4_load(th + i)));
    if (i < n) {
        int k = (int)(n - i);
        v4f g = gelu_grad4(v4_load_n(inp + i, k, 0.0f), v4_load_n(th + i, k, 0.0f));
        v4_store_n(d + i, v4_load_n(d + i, k, 0.0f) * g, k);
    }
}

// ----------------------------------------------------------------------------
// model

static void set_tensor(GPTTensor *t, const char *name, int per_layer, int d0,
                       int d1, int decay, size_t *off, int L) {
    snprintf(t->name, sizeof t->name, "%s", name);
    t->per_layer = per_layer;
    t->rank = d1 > 0 ? 2 : 1;
    t->dims[0] = d0;
    t->dims[1] = d1 > 0 ? d1 : 0;
    t->numel = (size_t)d0 * (d1 > 0 ? (size_t)d1 : 1);
    t->offset = *off;
    t->decay = decay;
    *off += t->numel * (per_layer ? (size_t)L : 1);
}

static size_t build_tensor_table(GPTTensor *t, const GPTConfig *c) {
    int L = c->n_layer, C = c->d_model;
    size_t off = 0;
    set_tensor(&t[GPT_WTE], "wte", 0, c->vocab, C, 1, &off, L);
    set_tensor(&t[GPT_WPE], "wpe", 0, c->ctx, C, 1, &off, L);
    set_tensor(&t[GPT_LN1W], "h.%d.ln_1.weight", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LN1B], "h.%d.ln_1.bias", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_QKVW], "h.%d.attn.c_attn.weight", 1, 3 * C, C, 1, &off, L);
    set_tensor(&t[GPT_QKVB], "h.%d.attn.c_attn.bias", 1, 3 * C, 0, 0, &off, L);
    set_tensor(&t[GPT_ATTPROJW], "h.%d.attn.c_proj.weight", 1, C, C, 1, &off, L);
    set_tensor(&t[GPT_ATTPROJB], "h.%d.attn.c_proj.bias", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LN2W], "h.%d.ln_2.weight", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LN2B], "h.%d.ln_2.bias", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_FCW], "h.%d.mlp.c_fc.weight", 1, 4 * C, C, 1, &off, L);
    set_tensor(&t[GPT_FCB], "h.%d.mlp.c_fc.bias", 1, 4 * C, 0, 0, &off, L);
    set_tensor(&t[GPT_FCPROJW], "h.%d.mlp.c_proj.weight", 1, C, 4 * C, 1, &off, L);
    set_tensor(&t[GPT_FCPROJB], "h.%d.mlp.c_proj.bias", 1, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LNFW], "ln_f.weight", 0, C, 0, 0, &off, L);
    set_tensor(&t[GPT_LNFB], "ln_f.bias", 0, C, 0, 0, &off, L);
    set_tensor(&t[GPT_WR], "head_r.weight", 0, C, 0, 0, &off, L);
    set_tensor(&t[GPT_BR], "head_r.bias", 0, 1, 0, 0, &off, L);
    set_tensor(&t[GPT_WV], "head_v.weight", 0, C, 0, 0, &off, L);
    set_tensor(&t[GPT_BV], "head_v.bias", 0, 1, 0, 0, &off, L);
    return off;
}

static void point_params(GPTParams *p, float *base, const GPTTensor *t) {
    float **ptr[GPT_NUM_TENSORS] = {
        &p->wte, &p->wpe, &p->ln1w, &p->ln1b, &p->qkvw, &p->qkvb,
        &p->attprojw, &p->attprojb, &p->ln2w, &p->ln2b, &p->fcw, &p->fcb,
        &p->fcprojw, &p->fcprojb, &p->lnfw, &p->lnfb, &p->wr, &p->br,
        &p->wv, &p->bv};
    for (int i = 0; i < GPT_NUM_TENSORS; i++) *ptr[i] = base + t[i].offset;
}

static int check_config(const GPTConfig *c, HHErr *err) {
    if (!c)
        return hh_fail(err, HH_EINPUT, "gpt: no config");
    else if (c->n_layer < 1 || c->d_model < 1 || c->n_head < 1 ||
             c->ctx < 1 || c->vocab < 1)
        return hh_fail(err, HH_EINPUT,
                       "gpt: config n_layer=%d d_model=%d n_head=%d ctx=%d "
                       "vocab=%d: all must be >= 1",
                       c->n_layer, c->d_model, c->n_head, c->ctx, c->vocab);
    else if (c->d_model % c->n_head != 0)
        return hh_fail(err, HH_EINPUT,
                       "gpt: d_model=%d is not divisible by n_head=%d",
                       c->d_model, c->n_head);
    else if ((double)c->n_layer * c->d_model * c->d_model > 1e10 ||
             (double)c->vocab * c->d_model > 1e10 || c->ctx > 65536)
        return hh_fail(err, HH_EINPUT, "gpt: config too large");
    return 0;
}

// carve: assign n floats from *cur to *p.
static void carve(float **p, float **cur, size_t n) {
    *p = *cur;
    *cur += n;
}

static size_t layout_acts(GPTActs *a, float *base, const GPTConfig *c,
                          int max_B) {
    size_t L = c->n_layer, C = c->d_model, NH = c->n_head, T = c->ctx;
    size_t N = (size_t)max_B * T;
    float *cur = base;
    carve(&a->encoded, &cur, N * C);
    carve(&a->ln1, &cur, L * N * C);
    carve(&a->ln1_mean, &cur, L * N);
    carve(&a->ln1_rstd, &cur, L * N);
    carve(&a->qkv, &cur, L * N * 3 * C);
    carve(&a->att, &cur, L * max_B * NH * T * T);
    carve(&a->att_inv, &cur, L * max_B * NH * T);
    carve(&a->atty, &cur, L * N * C);
    carve(&a->res2, &cur, L * N * C);
    carve(&a->ln2, &cur, L * N * C);
    carve(&a->ln2_mean, &cur, L * N);
    carve(&a->ln2_rstd, &cur, L * N);
    carve(&a->fch, &cur, L * N * 4 * C);
    carve(&a->fch_tanh, &cur, L * N * 4 * C);
    carve(&a->fch_gelu, &cur, L * N * 4 * C);
    carve(&a->res3, &cur, L * N * C);
    carve(&a->lnf, &cur, N * C);
    carve(&a->lnf_mean, &cur, N);
    carve(&a->lnf_rstd, &cur, N);
    carve(&a->dres, &cur, N * C);
    carve(&a->dln, &cur, N * C);
    carve(&a->datty, &cur, N * C);
    carve(&a->dqkv, &cur, N * 3 * C);
    carve(&a->dfch, &cur, N * 4 * C);
    carve(&a->datt, &cur, T * T + 2 * T * C);
    return (size_t)(cur - base);
}

// extra buffers after the activations: logits, dlogits, values, ones
static size_t extra_floats(const GPTConfig *c, int max_B) {
    size_t N = (size_t)max_B * c->ctx;
    return 2 * N * c->vocab + 2 * N;
}

GPT *gpt_alloc(const GPTConfig *cfg, int max_B, HHErr *err) {
    if (check_config(cfg, err)) return NULL;
    if (max_B < 1) {
        hh_fail(err, HH_EINPUT, "gpt_alloc: max_B=%d must be >= 1", max_B);
        return NULL;
    }
    GPT *m = calloc(1, sizeof *m);
    if (!m) goto oom;
    m->cfg = *cfg;
    m->max_B = max_B;
    // activation floats per row: per layer about T (20 C + NH T)
    double row = 4.0 * cfg->n_layer * cfg->ctx *
                 (20.0 * cfg->d_model + (double)cfg->n_head * cfg->ctx);
    double mb = (double)(2 << 20) / row;
    m->micro_B = mb < 4 ? 4 : mb > 16 ? 16 : (int)mb;
    m->num_params = build_tensor_table(m->tensors, cfg);
    m->params = calloc(m->num_params, sizeof(float));
    m->grads = calloc(m->num_params, sizeof(float));
    size_t na = layout_acts(&m->a, NULL, cfg, max_B);  // count only
    size_t N = (size_t)max_B * cfg->ctx;
    m->mem_acts = calloc(na + extra_floats(cfg, max_B), sizeof(float));
    m->tokens = calloc(N, sizeof(int));
    if (!m->params || !m->grads || !m->mem_acts || !m->tokens) goto oom;
    layout_acts(&m->a, m->mem_acts, cfg, max_B);
    float *cur = m->mem_acts + na;
    carve(&m->logits, &cur, N * cfg->vocab);
    carve(&m->dlogits, &cur, N * cfg->vocab);
    carve(&m->values, &cur, N);
    float *ones;
    carve(&ones, &cur, N);
    for (size_t i = 0; i < N; i++) ones[i] = 1.0f;
    m->hidden = m->a.lnf;
    point_params(&m->p, m->params, m->tensors);
    point_params(&m->g, m->grads, m->tensors);
    return m;
oom:
    gpt_free(m);
    hh_fail(err, HH_EFAIL, "gpt_alloc: out of memory");
    return NULL;
}

void gpt_free(GPT *m) {
    if (!m) return;
    free(m->params);
    free(m->grads);
    free(m->mem_acts);
    free(m->tokens);
    free(m);
}

const GPTTensor *gpt_tensor_info(const GPT *m, int i) {
    return (i >= 0 && i < GPT_NUM_TENSORS) ? &m->tensors[i] : NULL;
}

// gaussian: N(0, std) by Box-Muller from two uniforms of r (gsl_randist.h
// cannot be included beside OpenBLAS's cblas.h: both declare the CBLAS enums).
static double gaussian(gsl_rng *r, double std) {
    double u1 = gsl_rng_uniform_pos(r), u2 = gsl_rng_uniform(r);
    return std * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void gpt_init(GPT *m, gsl_rng *r) {
    double std_res = 0.02 / sqrt(2.0 * m->cfg.n_layer);
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        size_t n = t->numel * (t->per_layer ? (size_t)m->cfg.n_layer : 1);
        float *p = m->params + t->offset;
        double std = (i == GPT_ATTPROJW || i == GPT_FCPROJW) ? std_res : 0.02;
        float fill = (i == GPT_LN1W || i == GPT_LN2W || i == GPT_LNFW) ? 1.0f
                                                                       : 0.0f;
        for (size_t j = 0; j < n; j++)
            p[j] = t->decay ? (float)gaussian(r, std) : fill;
    }
}

void gpt_decay_mask(const GPT *m, unsigned char *mask) {
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        size_t n = t->numel * (t->per_layer ? (size_t)m->cfg.n_layer : 1);
        memset(mask + t->offset, t->decay ? 1 : 0, n);
    }
}

void gpt_zero_grad(GPT *m) {
    memset(m->grads, 0, m->num_params * sizeof(float));
}

static const float *ones_vec(const GPT *m) { return m->values + (size_t)m->max_B * m->cfg.ctx; }

int gpt_forward(GPT *m, const int *tokens, int B, int T, int want_logits,
                HHErr *err) {
    const GPTConfig *c = &m->cfg;
    int L = c->n_layer, C = c->d_model, NH = c->n_head, V = c->vocab;
    if (B < 1 || B > m->max_B || T < 1 || T > c->ctx)
        return hh_fail(err, HH_EINPUT,
                       "gpt_forward: B=%d T=%d outside 1..%d x 1..%d", B, T,
                       m->max_B, c->ctx);
    for (int i = 0; i < B * T; i++)
        if (tokens[i] < 0 || tokens[i] >= V)
            return hh_fail(err, HH_EINPUT,
                           "gpt_forward: token %d at row %d position %d is "
                           "outside 0..%d",
                           tokens[i], i / T, i % T, V - 1);
    memcpy(m->tokens, tokens, sizeof(int) * B * T);
    m->B = B;
    m->T = T;
    m->has_logits = want_logits != 0;
    size_t N = (size_t)B * T, S = (size_t)m->max_B * c->ctx;
    GPTActs *a = &m->a;
    const GPTParams *p = &m->p;
    encoder_forward(a->encoded, tokens, p->wte, p->wpe, B, T, C);
    const float *res = a->encoded;
    for (int l = 0; l < L; l++) {
        float *ln1 = a->ln1 + l * S * C, *qkv = a->qkv + l * S * 3 * C;
        float *atty = a->atty + l * S * C, *res2 = a->res2 + l * S * C;
        float *ln2 = a->ln2 + l * S * C, *fch = a->fch + l * S * 4 * C;
        float *fcg = a->fch_gelu + l * S * 4 * C;
        float *res3 = a->res3 + l * S * C;
        layernorm_forward(ln1, a->ln1_mean + l * S, a->ln1_rstd + l * S, res,
                          p->ln1w + l * C, p->ln1b + l * C, N, C);
        matmul_forward(qkv, NULL, ln1, p->qkvw + (size_t)l * 3 * C * C,
                       p->qkvb + l * 3 * C, N, C, 3 * C);
        attention_forward(atty, a->att + l * (size_t)m->max_B * NH * c->ctx * c->ctx,
                          a->att_inv + l * (size_t)m->max_B * NH * c->ctx, a->datt, qkv,
                          B, T, C, NH);
        matmul_forward(res2, res, atty, p->attprojw + (size_t)l * C * C,
                       p->attprojb + l * C, N, C, C);
        layernorm_forward(ln2, a->ln2_mean + l * S, a->ln2_rstd + l * S, res2,
                          p->ln2w + l * C, p->ln2b + l * C, N, C);
        matmul_forward(fch, NULL, ln2, p->fcw + (size_t)l * 4 * C * C,
                       p->fcb + l * 4 * C, N, C, 4 * C);
        gelu_forward(fcg, a->fch_tanh + l * S * 4 * C, fch, N * 4 * C);
        matmul_forward(res3, res2, fcg, p->fcprojw + (size_t)l * 4 * C * C,
                       p->fcprojb + l * C, N, 4 * C, C);
        res = res3;
    }
    layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, res, p->lnfw, p->lnfb,
                      N, C);
    for (size_t i = 0; i < N; i++)
        m->values[i] = dot_f(a->lnf + i * C, p->wv, C) + p->bv[0];
    if (want_logits)
        matmul_forward(m->logits, NULL, a->lnf, p->wte, NULL, N, C, V);
    return 0;
}

int gpt_scalar(const GPT *m, const int *pos, float *out, HHErr *err) {
    int C = m->cfg.d_model;
    if (m->B < 1) return hh_fail(err, HH_EINPUT, "gpt_scalar: no forward yet");
    for (int b = 0; b < m->B; b++) {
        if (pos[b] < 0 || pos[b] >= m->T)
            return hh_fail(err, HH_EINPUT,
                           "gpt_scalar: pos[%d]=%d outside 0..%d", b, pos[b],
                           m->T - 1);
        const float *h = m->a.lnf + ((size_t)b * m->T + pos[b]) * C;
        out[b] = dot_f(h, m->p.wr, C) + m->p.br[0];
    }
    return 0;
}

// backward_heads: dln (N, C) = gradient of the final hidden state from the
// three heads; accumulates the head and wte gradients.
static void backward_heads(GPT *m, const float *dlogits, const int *pos,
                           const float *dscalar, const float *dvalue) {
    int C = m->cfg.d_model, V = m->cfg.vocab, T = m->T;
    size_t N = (size_t)m->B * T;
    float *dln = m->a.dln;
    const float *h = m->a.lnf;
    if (dlogits)
        matmul_backward(dln, m->g.wte, NULL, dlogits, h, m->p.wte,
                        ones_vec(m), N, C, V);
    else
        memset(dln, 0, sizeof(float) * N * C);
    if (dscalar)
        for (int b = 0; b < m->B; b++) {
            size_t i = (size_t)b * T + pos[b];
            float d = dscalar[b];
            for (int j = 0; j < C; j++) {
                dln[i * C + j] += d * m->p.wr[j];
                m->g.wr[j] += d * h[i * C + j];
            }
            m->g.br[0] += d;
        }
    if (dvalue)
        for (size_t i = 0; i < N; i++) {
            float d = dvalue[i];
            for (int j = 0; j < C; j++) {
                dln[i * C + j] += d * m->p.wv[j];
                m->g.wv[j] += d * h[i * C + j];
            }
            m->g.bv[0] += d;
        }
}

int gpt_backward(GPT *m, const float *dlogits, const int *pos,
                 const float *dscalar, const float *dvalue, HHErr *err) {
    const GPTConfig *c = &m->cfg;
    int L = c->n_layer, C = c->d_model, NH = c->n_head, B = m->B, T = m->T;
    if (B < 1) return hh_fail(err, HH_EINPUT, "gpt_backward: no forward yet");
    else if (dlogits && !m->has_logits)
        return hh_fail(err, HH_EINPUT,
                       "gpt_backward: dlogits given but the forward ran "
                       "without want_logits");
    else if (dscalar && !pos)
        return hh_fail(err, HH_EINPUT, "gpt_backward: dscalar without pos");
    for (int b = 0; dscalar && b < B; b++)
        if (pos[b] < 0 || pos[b] >= T)
            return hh_fail(err, HH_EINPUT,
                           "gpt_backward: pos[%d]=%d outside 0..%d", b,
                           pos[b], T - 1);
    size_t N = (size_t)B * T, S = (size_t)m->max_B * c->ctx;
    GPTActs *a = &m->a;
    const GPTParams *p = &m->p;
    GPTParams *g = &m->g;
    const float *ones = ones_vec(m);
    backward_heads(m, dlogits, pos, dscalar, dvalue);
    const float *last = L > 0 ? a->res3 + (L - 1) * S * C : a->encoded;
    memset(a->dres, 0, sizeof(float) * N * C);
    layernorm_backward(a->dres, g->lnfw, g->lnfb, a->dln, last, p->lnfw,
                       a->lnf_mean, a->lnf_rstd, N, C);
    for (int l = L - 1; l >= 0; l--) {
        const float *res = l == 0 ? a->encoded : a->res3 + (l - 1) * S * C;
        size_t o1 = l * S * C, o3 = o1 * 3, o4 = o1 * 4;
        size_t wC = (size_t)l * C * C;
        // MLP: res3 = res2 + fcproj(gelu(fc(ln2(res2))))
        matmul_backward(a->dfch, g->fcprojw + 4 * wC, g->fcprojb + l * C,
                        a->dres, a->fch_gelu + o4, p->fcprojw + 4 * wC, ones,
                        N, 4 * C, C);
        gelu_backward(a->dfch, a->fch + o4, a->fch_tanh + o4, N * 4 * C);
        matmul_backward(a->dln, g->fcw + 4 * wC, g->fcb + l * 4 * C, a->dfch,
                        a->ln2 + o1, p->fcw + 4 * wC, ones, N, C, 4 * C);
        layernorm_backward(a->dres, g->ln2w + l * C, g->ln2b + l * C, a->dln,
                           a->res2 + o1, p->ln2w + l * C, a->ln2_mean + l * S,
                           a->ln2_rstd + l * S, N, C);
        // attention: res2 = res + attproj(attention(qkv(ln1(res))))
        matmul_backward(a->datty, g->attprojw + wC, g->attprojb + l * C,
                        a->dres, a->atty + o1, p->attprojw + wC, ones, N, C,
                        C);
        attention_backward(a->dqkv, a->datt, a->datty, a->qkv + o3,
                           a->att + l * (size_t)m->max_B * NH * c->ctx * c->ctx,
                           a->att_inv + l * (size_t)m->max_B * NH * c->ctx,
                           B, T, C, NH);
        matmul_backward(a->dln, g->qkvw + 3 * wC, g->qkvb + l * 3 * C, a->dqkv,
                        a->ln1 + o1, p->qkvw + 3 * wC, ones, N, C, 3 * C);
        layernorm_backward(a->dres, g->ln1w + l * C, g->ln1b + l * C, a->dln,
                           res, p->ln1w + l * C, a->ln1_mean + l * S,
                           a->ln1_rstd + l * S, N, C);
    }
    encoder_backward(g->wte, g->wpe, a->dres, m->tokens, B, T, C);
    return 0;
}

// ----------------------------------------------------------------------------
// losses

// row_softmax: e (V) = exp(x - max x) when e is not NULL; returns the
// log-sum-exp of x and *sum = sum of e.
static float row_softmax(float *e, const float *x, int V, float *sum) {
    float mx = max_f(x, V);
    *sum = exp_shift_sum(e, x, V, mx);
    return mx + logf(*sum);
}

// lm_wsum: the total weight of the valid targets of N positions.
static double lm_wsum(const int *targets, const float *w, size_t N, int V) {
    double wsum = 0.0;
    for (size_t i = 0; i < N; i++)
        if (targets[i] >= 0 && targets[i] < V) wsum += w ? w[i] : 1.0;
    return wsum;
}

// lm_loss_rows: gpt_lm_loss over the last forward's rows with the weight
// normaliser wsum given (that of the whole batch when the forward ran on a
// micro-batch).
static double lm_loss_rows(const GPT *m, const int *targets, const float *w,
                           double wsum, float *dlogits) {
    int V = m->cfg.vocab;
    size_t N = (size_t)m->B * m->T;
    double loss = 0.0;
    for (size_t i = 0; i < N; i++) {
        const float *x = m->logits + i * V;
        float *d = dlogits ? dlogits + i * V : NULL, sum;
        int tg = targets[i];
        double wi = (tg >= 0 && tg < V) ? (w ? w[i] : 1.0) : 0.0;
        if (wi == 0.0 || wsum <= 0.0) {
            if (d) memset(d, 0, sizeof(float) * V);
            continue;
        }
        double coef = wi / wsum;
        loss += coef * ((double)row_softmax(d, x, V, &sum) - x[tg]);
        if (d) {
            scale_f(d, (float)(coef / sum), V);
            d[tg] -= (float)coef;
        }
    }
    return loss;
}

double gpt_lm_loss(const GPT *m, const int *targets, const float *w,
                   float *dlogits) {
    size_t N = (size_t)m->B * m->T;
    return lm_loss_rows(m, targets, w, lm_wsum(targets, w, N, m->cfg.vocab),
                        dlogits);
}

static double distill_loss_rows(const GPT *m, const float *teacher,
                                const float *w, double wsum, float *dlogits) {
    int V = m->cfg.vocab;
    size_t N = (size_t)m->B * m->T;
    double loss = 0.0;
    for (size_t i = 0; i < N; i++) {
        const float *x = m->logits + i * V, *pt = teacher + i * V;
        float *d = dlogits ? dlogits + i * V : NULL, sum;
        double wi = w ? w[i] : 1.0;
        if (wi == 0.0 || wsum <= 0.0) {
            if (d) memset(d, 0, sizeof(float) * V);
            continue;
        }
        double coef = wi / wsum, kl = 0.0, lse = row_softmax(d, x, V, &sum);
        for (int j = 0; j < V; j++)
            if (pt[j] > 0.0f) kl += pt[j] * (log((double)pt[j]) - (x[j] - lse));
        loss += coef * kl;
        if (d) {
            float c = (float)(coef / sum), cf = (float)coef;
            for (int j = 0; j < V; j++) d[j] = d[j] * c - cf * pt[j];
        }
    }
    return loss;
}

static double distill_wsum(const float *w, size_t N) {
    double wsum = 0.0;
    for (size_t i = 0; i < N; i++) wsum += w ? w[i] : 1.0;
    return wsum;
}

double gpt_distill_loss(const GPT *m, const float *teacher, const float *w,
                        float *dlogits) {
    size_t N = (size_t)m->B * m->T;
    return distill_loss_rows(m, teacher, w, distill_wsum(w, N), dlogits);
}

// grad_micro: gpt_lm_grad (teacher NULL) or gpt_distill_grad.
static int grad_micro(GPT *m, const int *inp, const int *tgt,
                      const float *teacher, const float *w, int B, int T,
                      double *loss, HHErr *err) {
    int V = m->cfg.vocab;
    size_t N = (size_t)B * T;
    double wsum = teacher ? distill_wsum(w, N) : lm_wsum(tgt, w, N, V);
    double sum = 0.0;
    int mb = m->micro_B < m->max_B ? m->micro_B : m->max_B;
    for (int r0 = 0; r0 < B; r0 += mb) {
        int nb = B - r0 < mb ? B - r0 : mb;
        size_t o = (size_t)r0 * T;
        if (gpt_forward(m, inp + o, nb, T, 1, err)) return err->code;
        const float *wo = w ? w + o : NULL;
        sum += teacher ? distill_loss_rows(m, teacher + o * V, wo, wsum, m->dlogits)
                       : lm_loss_rows(m, tgt + o, wo, wsum, m->dlogits);
        if (gpt_backward(m, m->dlogits, NULL, NULL, NULL, err)) return err->code;
    }
    if (loss) *loss = sum;
    return 0;
}

int gpt_lm_grad(GPT *m, const int *inp, const int *tgt, const float *w, int B,
                int T, double *loss, HHErr *err) {
    return grad_micro(m, inp, tgt, NULL, w, B, T, loss, err);
}

int gpt_distill_grad(GPT *m, const int *inp, const float *teacher,
                     const float *w, int B, int T, double *loss, HHErr *err) {
    return grad_micro(m, inp, NULL, teacher, w, B, T, loss, err);
}

// row_lse: log-sum-exp of x (V) in double (the sampling-side helpers).
static double row_lse(const float *x, int V) {
    float mx = max_f(x, V);
    double s = 0.0;
    for (int j = 0; j < V; j++) s += exp((double)x[j] - mx);
    return mx + log(s);
}

void gpt_softmax(float *probs, const float *logits, int N, int V,
                 float temperature) {
    for (int i = 0; i < N; i++) {
        const float *x = logits + (size_t)i * V;
        float mx = x[0];
        for (int j = 1; j < V; j++) mx = x[j] > mx ? x[j] : mx;
        double s = 0.0;
        for (int j = 0; j < V; j++) s += exp(((double)x[j] - mx) / temperature);
        for (int j = 0; j < V; j++)
            probs[(size_t)i * V + j] =
                (float)(exp(((double)x[j] - mx) / temperature) / s);
    }
}

void gpt_logprobs(double *out, const float *logits, const int *tok, int N,
                  int V) {
    for (int i = 0; i < N; i++) {
        const float *x = logits + (size_t)i * V;
        out[i] = (tok[i] < 0 || tok[i] >= V) ? 0.0 : x[tok[i]] - row_lse(x, V);
    }
}

// ----------------------------------------------------------------------------
// sampling with a KV cache

GPTCache *gpt_cache_alloc(const GPTConfig *cfg, int B, HHErr *err) {
    if (check_config(cfg, err)) return NULL;
    if (B < 1) {
        hh_fail(err, HH_EINPUT, "gpt_cache_alloc: B=%d must be >= 1", B);
        return NULL;
    }
    GPTCache *c = calloc(1, sizeof *c);
    size_t C = cfg->d_model, kv = (size_t)cfg->n_layer * B * cfg->ctx * C;
    size_t n = 2 * kv + (size_t)B * (C * 10 + cfg->vocab + 2) + cfg->ctx;
    float *mem = c ? calloc(n, sizeof(float)) : NULL;
    int *pos = c ? calloc((size_t)B * 2, sizeof(int)) : NULL;
    if (!c || !mem || !pos) {
        free(c);
        free(mem);
        free(pos);
        hh_fail(err, HH_EFAIL, "gpt_cache_alloc: out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    c->B = B;
    c->pos = pos;
    float *cur = mem;
    carve(&c->k, &cur, kv);
    carve(&c->v, &cur, kv);
    carve(&c->x, &cur, B * C);
    carve(&c->ln, &cur, B * C);
    carve(&c->qkv, &cur, B * 3 * C);
    carve(&c->y, &cur, B * C);
    carve(&c->fch, &cur, B * 4 * C);
    carve(&c->mean, &cur, B);
    carve(&c->rstd, &cur, B);
    carve(&c->att, &cur, cfg->ctx);
    // (B, V) compact logits scratch follows att
    return c;
}

void gpt_cache_free(GPTCache *c) {
    if (!c) return;
    free(c->k);  // the single float allocation starts at k
    free(c->pos);
    free(c);
}

void gpt_cache_reset(GPTCache *c) { memset(c->pos, 0, sizeof(int) * c->B); }

// step_attention: y (C) for one row at position P, with q (C) and the row's
// cached k, v (ctx, C) filled up to P.
static void step_attention(float *y, float *att, const float *q,
                           const float *k, const float *v, int P, int C,
                           int NH) {
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    for (int h = 0; h < NH; h++) {
        const float *qh = q + h * hs;
        float mx = -INFINITY, s = 0.0f;
        for (int t = 0; t <= P; t++) {
            att[t] = dot_f(qh, k + (size_t)t * C + h * hs, hs) * scale;
            mx = att[t] > mx ? att[t] : mx;
        }
        s = exp_shift_sum(att, att, P + 1, mx);
        float inv = 1.0f / s, *yh = y + h * hs;
        for (int i = 0; i < hs; i++) yh[i] = 0.0f;
        for (int t = 0; t <= P; t++) {
            const float *vt = v + (size_t)t * C + h * hs;
            float a = att[t] * inv;
            int i = 0;
            for (; i + 4 <= hs; i += 4)
                v4_store(yh + i, v4_load(yh + i) + a * v4_load(vt + i));
            for (; i < hs; i++) yh[i] += a * vt[i];
        }
    }
}

int gpt_step(const GPT *m, GPTCache *c, const int *tok, float *logits,
             HHErr *err) {
    const GPTConfig *g = &m->cfg;
    int L = g->n_layer, C = g->d_model, NH = g->n_head, V = g->vocab;
    int T = g->ctx, n = 0, *rows = c->pos + c->B;
    if (memcmp(&c->cfg, g, sizeof *g) != 0)
        return hh_fail(err, HH_EINPUT, "gpt_step: cache built for another config");
    for (int b = 0; b < c->B; b++) {
        if (tok[b] < 0) continue;
        if (tok[b] >= V)
            return hh_fail(err, HH_EINPUT, "gpt_step: token %d of row %d "
                           "outside 0..%d", tok[b], b, V - 1);
        else if (c->pos[b] >= T)
            return hh_fail(err, HH_EINPUT, "gpt_step: row %d is full "
                           "(ctx=%d)", b, T);
        rows[n++] = b;
    }
    if (n == 0) return 0;
    const GPTParams *p = &m->p;
    for (int r = 0; r < n; r++) {
        int b = rows[r];
        const float *e = p->wte + (size_t)tok[b] * C;
        const float *ps = p->wpe + (size_t)c->pos[b] * C;
        for (int i = 0; i < C; i++) c->x[r * C + i] = e[i] + ps[i];
    }
    for (int l = 0; l < L; l++) {
        size_t wC = (size_t)l * C * C;
        layernorm_forward(c->ln, c->mean, c->rstd, c->x, p->ln1w + l * C,
                          p->ln1b + l * C, n, C);
        matmul_forward(c->qkv, NULL, c->ln, p->qkvw + 3 * wC,
                       p->qkvb + l * 3 * C, n, C, 3 * C);
        for (int r = 0; r < n; r++) {
            int b = rows[r], P = c->pos[b];
            size_t row = ((size_t)l * c->B + b) * T * C;
            const float *q = c->qkv + (size_t)r * 3 * C;
            memcpy(c->k + row + (size_t)P * C, q + C, sizeof(float) * C);
            memcpy(c->v + row + (size_t)P * C, q + 2 * C, sizeof(float) * C);
            step_attention(c->y + (size_t)r * C, c->att, q, c->k + row,
                           c->v + row, P, C, NH);
        }
        matmul_forward(c->x, c->x, c->y, p->attprojw + wC, p->attprojb + l * C,
                       n, C, C);
        layernorm_forward(c->ln, c->mean, c->rstd, c->x, p->ln2w + l * C,
                          p->ln2b + l * C, n, C);
        matmul_forward(c->fch, NULL, c->ln, p->fcw + 4 * wC, p->fcb + l * 4 * C,
                       n, C, 4 * C);
        gelu_forward(c->fch, NULL, c->fch, (size_t)n * 4 * C);
        matmul_forward(c->x, c->x, c->fch, p->fcprojw + 4 * wC,
                       p->fcprojb + l * C, n, 4 * C, C);
    }
    layernorm_forward(c->ln, c->mean, c->rstd, c->x, p->lnfw, p->lnfb, n, C);
    float *lg = c->att + T;  // (n, V) scratch
    matmul_forward(lg, NULL, c->ln, p->wte, NULL, n, C, V);
    for (int r = 0; r < n; r++) {
        memcpy(logits + (size_t)rows[r] * V, lg + (size_t)r * V,
               sizeof(float) * V);
        c->pos[rows[r]]++;
    }
    return 0;
}

int gpt_prefill(GPT *m, GPTCache *c, const int *prompts, const int *len,
                int T, float *logits, HHErr *err) {
    const GPTConfig *g = &m->cfg;
    int B = c->B, C = g->d_model, V = g->vocab;
    if (memcmp(&c->cfg, g, sizeof *g) != 0)
        return hh_fail(err, HH_EINPUT, "gpt_prefill: cache built for another config");
    for (int b = 0; b < B; b++)
        if (len[b] < 1 || len[b] > T)
            return hh_fail(err, HH_EINPUT, "gpt_prefill: len[%d]=%d outside "
                           "1..%d", b, len[b], T);
    if (gpt_forward(m, prompts, B, T, 1, err)) return err ? err->code : HH_EINPUT;
    size_t S = (size_t)m->max_B * g->ctx;
    for (int l = 0; l < g->n_layer; l++)
        for (int b = 0; b < B; b++) {
            size_t row = ((size_t)l * B + b) * g->ctx * C;
            for (int t = 0; t < len[b]; t++) {
                const float *q = m->a.qkv + (l * S + (size_t)b * T + t) * 3 * C;
                memcpy(c->k + row + (size_t)t * C, q + C, sizeof(float) * C);
                memcpy(c->v + row + (size_t)t * C, q + 2 * C, sizeof(float) * C);
            }
        }
    for (int b = 0; b < B; b++) {
        c->pos[b] = len[b];
        memcpy(logits + (size_t)b * V,
               m->logits + ((size_t)b * T + len[b] - 1) * V, sizeof(float) * V);
    }
    return 0;
}

int gpt_sample(const float *logits, int V, float temperature, int top_k,
               gsl_rng *r) {
    float mx = logits[0];
    int arg = 0;
    for (int j = 1; j < V; j++)
        if (logits[j] > mx) mx = logits[j], arg = j;
    if (temperature <= 0.0f) return arg;
    // keep j iff fewer than top_k entries rank above it (ties: lower index)
    float thr = -INFINITY;
    if (top_k > 0 && top_k < V)
        for (int j = 0; j < V; j++) {
            int above = 0;
            for (int i = 0; i < V && above < top_k; i++)
                above += logits[i] > logits[j] || (logits[i] == logits[j] && i < j);
            if (above == top_k - 1 && logits[j] > thr) thr = logits[j];
            if (above == top_k - 1) break;
        }
    double s = 0.0;
    for (int j = 0; j < V; j++)
        if (logits[j] >= thr) s += exp(((double)logits[j] - mx) / temperature);
    double u = gsl_rng_uniform(r) * s, acc = 0.0;
    int last = arg;
    for (int j = 0; j < V; j++) {
        if (logits[j] < thr) continue;
        acc += exp(((double)logits[j] - mx) / temperature);
        last = j;
        if (u < acc) return j;
    }
    return last;
}

// ----------------------------------------------------------------------------
// HDF5

static const char *CFG_ATTR[5] = {"n_layer", "d_model", "n_head", "ctx", "vocab"};

static int *cfg_field(GPTConfig *c, int i) {
    int *f[5] = {&c->n_layer, &c->d_model, &c->n_head, &c->ctx, &c->vocab};
    return f[i];
}

int gpt_write_h5(const GPT *m, hid_t group, HHErr *err) {
    GPTConfig cfg = m->cfg;
    for (int i = 0; i < 5; i++) {
        herr_t st = -1;
        H5E_BEGIN_TRY {
            st = H5LTset_attribute_int(group, ".", CFG_ATTR[i], cfg_field(&cfg, i), 1);
        } H5E_END_TRY;
        if (st < 0)
            return hh_fail(err, HH_EFAIL, "gpt_write_h5: cannot write attribute %s",
                           CFG_ATTR[i]);
    }
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        int nl = t->per_layer ? m->cfg.n_layer : 1;
        hsize_t dims[2] = {(hsize_t)t->dims[0], (hsize_t)t->dims[1]};
        for (int l = 0; l < nl; l++) {
            char name[80];
            snprintf(name, sizeof name, t->name, l);
            const float *src = m->params + t->offset + (size_t)l * t->numel;
            herr_t st = -1;
            H5E_BEGIN_TRY {
                st = H5LTmake_dataset_float(group, name, t->rank, dims, src);
            } H5E_END_TRY;
            if (st < 0)
                return hh_fail(err, HH_EFAIL, "gpt_write_h5: cannot write "
                               "dataset %s", name);
        }
    }
    return 0;
}

static int read_tensor(hid_t group, const char *name, const GPTTensor *t,
                       float *dst, HHErr *err) {
    int rank = 0;
    hsize_t dims[2] = {0, 0};
    H5T_class_t cls;
    size_t sz;
    herr_t st = -1;
    if (H5LTfind_dataset(group, name) <= 0)
        return hh_fail(err, HH_EINPUT, "gpt_read_h5: dataset %s is missing", name);
    H5E_BEGIN_TRY {
        st = H5LTget_dataset_ndims(group, name, &rank);
        if (st >= 0 && rank == t->rank)
            st = H5LTget_dataset_info(group, name, dims, &cls, &sz);
    } H5E_END_TRY;
    if (st < 0)
        return hh_fail(err, HH_EFAIL, "gpt_read_h5: cannot query dataset %s", name);
    if (rank != t->rank)
        return hh_fail(err, HH_EINPUT, "gpt_read_h5: dataset %s has rank %d, "
                       "expected %d", name, rank, t->rank);
    if (cls != H5T_FLOAT)
        return hh_fail(err, HH_EINPUT, "gpt_read_h5: dataset %s is not a "
                       "float dataset", name);
    for (int k = 0; k < rank; k++)
        if (dims[k] != (hsize_t)t->dims[k])
            return hh_fail(err, HH_EINPUT, "gpt_read_h5: dataset %s has shape "
                           "(%llu%s%llu), expected (%d%s%d)", name,
                           (unsigned long long)dims[0], rank > 1 ? ", " : "",
                           (unsigned long long)(rank > 1 ? dims[1] : 0),
                           t->dims[0], rank > 1 ? ", " : "",
                           rank > 1 ? t->dims[1] : 0);
    H5E_BEGIN_TRY { st = H5LTread_dataset_float(group, name, dst); } H5E_END_TRY;
    if (st < 0)
        return hh_fail(err, HH_EFAIL, "gpt_read_h5: cannot read dataset %s", name);
    return 0;
}

int gpt_read_h5(hid_t group, GPT **out, int max_B, HHErr *err) {
    GPTConfig cfg;
    *out = NULL;
    for (int i = 0; i < 5; i++) {
        htri_t ex = -1;
        herr_t st = -1;
        H5E_BEGIN_TRY {
            ex = H5Aexists_by_name(group, ".", CFG_ATTR[i], H5P_DEFAULT);
            if (ex > 0) st = H5LTget_attribute_int(group, ".", CFG_ATTR[i],
                                                   cfg_field(&cfg, i));
        } H5E_END_TRY;
        if (ex <= 0 || st < 0)
            return hh_fail(err, HH_EINPUT, "gpt_read_h5: integer attribute %s "
                           "missing or unreadable on the model group",
                           CFG_ATTR[i]);
    }
    GPT *m = gpt_alloc(&cfg, max_B, err);
    if (!m) return err ? err->code : HH_EFAIL;
    for (int i = 0; i < GPT_NUM_TENSORS; i++) {
        const GPTTensor *t = &m->tensors[i];
        int nl = t->per_layer ? cfg.n_layer : 1;
        for (int l = 0; l < nl; l++) {
            char name[80];
            snprintf(name, sizeof name, t->name, l);
            int rc = read_tensor(group, name, t, m->params + t->offset +
                                 (size_t)l * t->numel, err);
            if (rc) {
                gpt_free(m);
                return rc;
            }
        }
    }
    *out = m;
    return 0;
}

uint64_t gpt_hash(const float *params, size_t n) {
    const unsigned char *p = (const unsigned char *)params;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n * sizeof(float); i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}
