// gpt_simd.h - private to the gpt*.c files (not part of gpt.h): 4-lane and
// 8-lane vector types and helpers, the vector exp/tanh, and the run-time
// AVX2 check; see gpt.h
#ifndef HHSIM_GPT_SIMD_H
#define HHSIM_GPT_SIMD_H

#include <string.h>

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
// The elementwise kernels of gpt_kernels.c also exist 8 lanes wide for AVX2
// CPUs, chosen at run time (__builtin_cpu_supports); sums keep the 4-lane
// order.
#define HH_AVX2 1
#define AVX2 __attribute__((target("avx2")))
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
VMATH(v8, v8f, v8i, AVX2)
AVX2 static inline v8f v8_load(const float *p) { v8f v; memcpy(&v, p, sizeof v); return v; }
AVX2 static inline void v8_store(float *p, v8f v) { memcpy(p, &v, sizeof v); }
AVX2 static inline v4f v8_lo(v8f v) { return (v4f){v[0], v[1], v[2], v[3]}; }
AVX2 static inline v4f v8_hi(v8f v) { return (v4f){v[4], v[5], v[6], v[7]}; }
#endif

// gk_have_avx2: whether the 8-lane (AVX2) paths run: the CPU has AVX2 and
// gpt_simd_portable has not turned them off (always 0 without HH_AVX2).
int gk_have_avx2(void);

#endif
