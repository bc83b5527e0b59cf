// cores.h - a job's second core, used only while the run has a core to spare.
//
// hhsim runs its jobs one per core (jobs.h) and each BLAS call on one thread:
// OpenBLAS's threaded GEMM, and even a row split of one GEMM into two
// single-threaded calls, round differently from one single-threaded call, so
// splitting a GEMM would make results depend on the thread count. What can
// run on two cores without changing a bit is two independent calls, each as
// it would run alone: cores_pair() runs two functions that write disjoint
// memory either one after the other on this thread or at the same time on
// this thread and a helper thread. Which one it does never changes results.
//
// The helper is used while cores_spare() says a core is free: when this
// process is a job of a local pool (jobs.c) and fewer jobs run than the pool
// has slots (e.g. pretrain l running alone while everything else waits for
// it). HHSIM_CORES=1 never uses it, HHSIM_CORES=2 always does, for every
// pair however small (tests compare the two); unset or anything else: the pool
// decides, for pairs of at least 2^21 flops (HHSIM_CORES_MIN_WORK=F sets F, so
// that tests can take the pool's path on smoke models). The caller checks that
// its BLAS runs one-threaded calls as asked (gpt_kernels.c: OpenBLAS's pthread
// build; with its OpenMP build a second thread's calls could be threaded).
#ifndef HHSIM_CORES_H
#define HHSIM_CORES_H

#include <stddef.h>

typedef void (*CoresFn)(void *arg);

// Where the free-slot count comes from (jobs.c installs it in each job);
// NULL: no pool, no spare core.
void cores_set_spare(int (*spare)(void));

// Override the environment and the pool: 1 never, 2 always, 0 the pool
// decides (tests); returns the previous setting.
int cores_force(int n);

// 1 when a second core may be used now (see above), else 0.
int cores_spare(void);

// Run a(aa) and b(ba): at the same time on two threads when a core is spare
// and work (the pair's size in flops) is large enough to pay for the
// hand-over (or when forced), else a then b here. The two must not write memory the other
// reads or writes.
void cores_pair(CoresFn a, void *aa, CoresFn b, void *ba, double work);

// How many pairs ran on two threads since the process started (for tests
// and the bench).
size_t cores_pairs_split(void);

#endif
