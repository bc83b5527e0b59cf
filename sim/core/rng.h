// rng.h - seeded random streams.
//
// Every random draw in hhsim comes from a stream named by
// (root seed, job key, component name). The stream's seed is
//
//     h    = FNV-1a-64(job) XOR rotl64(FNV-1a-64(component), 31)
//     seed = splitmix64(root XOR splitmix64(h))
//
// and the stream is a GSL Mersenne Twister (gsl_rng_mt19937) seeded with
// gsl_rng_set(r, fold32(seed)), where fold32 XORs the two 32-bit halves
// (mt19937 keeps 32 bits of its seed). A stream therefore depends only on its
// name and the root seed: never on the order in which jobs or components run,
// the thread, the MPI rank or the time. gsl_rng_env_setup is never called.
//
// Two distinct names collide with probability about 2^-32 per pair
// (~0.1% over 3000 streams); a collision only correlates two streams.
#ifndef HHSIM_RNG_H
#define HHSIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

// FNV-1a 64-bit hash of a NUL-terminated string.
uint64_t rng_hash_str(const char *s);

// One step of splitmix64 as a pure function of its input.
uint64_t rng_splitmix64(uint64_t x);

// The 64-bit seed of the stream (root, job, component).
uint64_t rng_derive_seed(uint64_t root, const char *job, const char *component);

// A new GSL generator for the stream (root, job, component); NULL on
// allocation failure. Free with gsl_rng_free.
gsl_rng *rng_stream_alloc(uint64_t root, const char *job, const char *component);

// A uniform integer in [0, n) (n >= 1) from r.
unsigned long rng_below(gsl_rng *r, unsigned long n);

// An index drawn from the discrete distribution w[0..n-1] (w >= 0, sum > 0).
int rng_pick(gsl_rng *r, const double *w, int n);

#endif
