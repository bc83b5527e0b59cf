// gpt_kernels.c - the forward/backward kernels of the GPT and the SIMD
// dispatch; see gpt_kernels.h and gpt.h
#define _DEFAULT_SOURCE  // madvise
#include "gpt_kernels.h"

#include "cores.h"

#include <sys/mman.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#define LN_EPS 1e-5f

static int portable;
#ifdef HH_AVX2
int gk_have_avx2(void) { return !portable && __builtin_cpu_supports("avx2"); }
#else
int gk_have_avx2(void) { return 0; }
#endif

int gpt_simd_portable(int on) {
    int old = portable;
    portable = on != 0;
    return old;
}

float gpt_tanh_approx(float x) { return v4_tanh(v4_set1(x))[0]; }
int gpt_simd_width(void) { return gk_have_avx2() ? 8 : 4; }
float gpt_exp_approx(float x) { return v4_exp(v4_set1(x))[0]; }

// gk_exp_shift_sum: e[j] = exp(x[j] - mx) for j < n (e may alias x; e NULL:
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

float gk_exp_shift_sum(float *e, const float *x, int n, float mx) {
    v4f acc = v4_set1(0.0f);
    int j = 0;
#ifdef HH_AVX2
    if (n >= 8 && gk_have_avx2()) {
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

// gk_all_finite: whether none of x[0..n) is NaN or Inf (exponent bits all
// set), 8 or 4 lanes at a time with no early exit (a read-only scan).
#ifdef HH_AVX2
AVX2 static int all_finite8(const float *x, size_t n8) {
    v8i bad = {0}, ex = {0};
    ex += 0x7f800000;
    for (size_t i = 0; i < n8; i += 8) {
        v8i b;
        memcpy(&b, x + i, sizeof b);
        bad |= (b & ex) == ex;
    }
    int any = 0;
    for (int k = 0; k < 8; k++) any |= bad[k];
    return !any;
}
#endif

int gk_all_finite(const float *x, size_t n) {
    size_t i = 0;
    int ok = 1;
#ifdef HH_AVX2
    if (gk_have_avx2()) {
        i = n & ~(size_t)7;
        ok = all_finite8(x, i);
    }
#endif
    v4i bad = {0, 0, 0, 0}, ex = {0x7f800000, 0x7f800000, 0x7f800000, 0x7f800000};
    for (; i + 4 <= n; i += 4) {
        v4i b;
        memcpy(&b, x + i, sizeof b);
        bad |= (b & ex) == ex;
    }
    for (; i < n; i++) ok &= isfinite(x[i]) != 0;
    return ok && !(bad[0] | bad[1] | bad[2] | bad[3]);
}

// Each allocation starts ALLOC_HDR bytes before the floats it returns, with
// the size of its mapping there (0: it came from calloc).
#define ALLOC_HDR 64

float *gk_alloc_floats(size_t n) {
    size_t huge = (size_t)2 << 20, bytes = n * sizeof(float) + ALLOC_HDR, map = 0;
    char *base = NULL;
#if defined(MADV_HUGEPAGE) && defined(MAP_ANONYMOUS)
    if (bytes >= huge) {
        // map 2 MiB more than needed, keep a 2 MiB-aligned stretch of it
        map = (bytes + huge - 1) & ~(huge - 1);
        char *raw = mmap(NULL, map + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         -1, 0);
        if (raw == MAP_FAILED) return NULL;
        uintptr_t a = ((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1);
        size_t head = a - (uintptr_t)raw;
        if (head) munmap(raw, head);
        if (huge - head) munmap((char *)a + map, huge - head);
        base = (char *)a;
        madvise(base, map, MADV_HUGEPAGE);  // a hint: failure is harmless
    }
#endif
    if (!base && !(base = calloc(1, bytes))) return NULL;
    memcpy(base, &map, sizeof map);
    return (float *)(base + ALLOC_HDR);
}

void gk_free_floats(float *p) {
    if (!p) return;
    char *base = (char *)p - ALLOC_HDR;
    size_t map;
    memcpy(&map, base, sizeof map);
    if (map) munmap(base, map);
    else free(base);
}

// ----------------------------------------------------------------------------
// kernels: forward/backward pairs. N = B * T rows.

void gk_encoder_forward(float *out, const int *inp, const float *wte,
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

void gk_encoder_backward(float *dwte, float *dwpe, const float *dout,
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
void gk_layernorm_forward(float *restrict out, float *restrict mean,
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

void gk_layernorm_backward(float *restrict dinp, float *restrict dw,
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

// gk_matmul_forward: out (N, OC) = [res (N, OC)] + inp (N, C) W^T
// + [bias (OC)], weight W (OC, C); res and bias may be NULL; out may alias
// res.
void gk_matmul_forward(float *out, const float *res, const float *inp,
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

// gk_matmul_backward: dinp (N, C) = dout W (overwritten: activation gradients
// are per-layer scratch), dweight (OC, C) += dout^T inp, dbias (OC) +=
// column sums of dout (dbias may be NULL); ones (N) is a vector of 1s. The
// input gradient and the weight (and bias) gradient are independent calls:
// while a core is spare they run at the same time (cores.h), same bits.
typedef struct {
    float *dinp, *dweight, *dbias;
    const float *dout, *inp, *weight, *ones;
    int N, C, OC;
} MatmulBack;

static void matmul_back_input(void *arg) {
    const MatmulBack *a = arg;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, a->N, a->C, a->OC, 1.0f,
                a->dout, a->OC, a->weight, a->C, 0.0f, a->dinp, a->C);
}

static void matmul_back_weight(void *arg) {
    const MatmulBack *a = arg;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, a->OC, a->C, a->N, 1.0f, a->dout,
                a->OC, a->inp, a->C, 1.0f, a->dweight, a->C);
    if (a->dbias)
        cblas_sgemv(CblasRowMajor, CblasTrans, a->N, a->OC, 1.0f, a->dout, a->OC, a->ones, 1,
                    1.0f, a->dbias, 1);
}

void gk_matmul_backward(float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp,
                        const float *weight, const float *ones, int N,
                        int C, int OC) {
    MatmulBack a = {dinp, dweight, dbias, dout, inp, weight, ones, N, C, OC};
    // only with OpenBLAS's pthread build: there openblas_set_num_threads(1)
    // holds for every thread; an OpenMP build sets it per thread
    static int pthread_blas = -1;
    if (pthread_blas < 0) pthread_blas = openblas_get_parallel() == 1;
    if (pthread_blas)
        cores_pair(matmul_back_input, &a, matmul_back_weight, &a, 2.0 * N * C * OC);
    else
        matmul_back_input(&a), matmul_back_weight(&a);
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
    if (r1 % 8 == 0 && gk_have_avx2()) {
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
            inv[t] = 1.0f / gk_exp_shift_sum(r, r, t + 1, mx);
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

// gk_attention_forward: out (B, T, C); att (B, NH, T, T) holds E within each
// row's key block (0 for keys past the row, unused past the block); inv
// (B, NH, T); kt (T * hs) scratch; qkv (B, T, 3C) with q | k | v blocks of C.
void gk_attention_forward(float *out, float *att, float *inv, float *kt,
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

// gk_attention_backward: dqkv (B, T, 3C) overwritten; scratch (T * T + 2 T C)
// floats.
void gk_attention_backward(float *dqkv, float *scratch, const float *dout,
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

// gk_gelu_forward: out = 0.5 x (1 + tanh(S (x + A x^3))) over n values; th
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

void gk_gelu_forward(float *out, float *th, const float *inp, size_t n) {
    size_t i = 0;
#ifdef HH_AVX2
    if (gk_have_avx2()) {
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

// gk_gelu_backward: d (n) *= gelu'(inp) using th from gk_gelu_forward.
void gk_gelu_backward(float *d, const float *inp, const float *th,
                      size_t n) {
    size_t i = 0;
#ifdef HH_AVX2
    if (gk_have_avx2()) {
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
