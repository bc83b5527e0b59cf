// rng.c - see rng.h
#include "rng.h"

uint64_t rng_hash_str(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t rng_splitmix64(uint64_t x) {
    uint64_t z = x + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_derive_seed(uint64_t root, const char *job, const char *component) {
    uint64_t h = rng_hash_str(job) ^ rotl64(rng_hash_str(component), 31);
    return rng_splitmix64(root ^ rng_splitmix64(h));
}

gsl_rng *rng_stream_alloc(uint64_t root, const char *job, const char *component) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return NULL;
    uint64_t s = rng_derive_seed(root, job, component);
    gsl_rng_set(r, (unsigned long)((s ^ (s >> 32)) & 0xffffffffULL));
    return r;
}

unsigned long rng_below(gsl_rng *r, unsigned long n) {
    return n <= 1 ? 0 : gsl_rng_uniform_int(r, n);
}

int rng_pick(gsl_rng *r, const double *w, int n) {
    double total = 0.0;
    for (int i = 0; i < n; i++) total += w[i];
    double u = gsl_rng_uniform(r) * total;
    double acc = 0.0;
    for (int i = 0; i < n; i++) {
        acc += w[i];
        if (u < acc) return i;
    }
    for (int i = n - 1; i >= 0; i--)
        if (w[i] > 0) return i;
    return 0;
}
