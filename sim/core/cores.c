// cores.c - see cores.h
#include "cores.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// Below this many flops a pair runs on one thread: a GEMM of 2^21 flops takes
// tens of microseconds on one core here (SGEMM ceiling ~97 GFLOP/s), about
// what waking the helper can cost. A judgement, not a tuned value: on this
// machine the threshold keeps smoke-sized pairs on one thread and splits the
// l and xl ones.
#define CORES_MIN_WORK 2097152.0

static double g_min_work = -1.0;  // CORES_MIN_WORK, or HHSIM_CORES_MIN_WORK (tests)

static int (*g_spare)(void);
static int g_mode = -1;  // -1 unread, 0 pool decides, 1 never, 2 always
static size_t g_split;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    int started, busy;  // a forked child has no helper: started is reset at fork
    CoresFn fn;
    void *arg;
} H = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, NULL, NULL};

void cores_set_spare(int (*spare)(void)) { g_spare = spare; }

static int mode(void) {
    if (g_min_work < 0.0) {
        const char *w = getenv("HHSIM_CORES_MIN_WORK");
        char *end = NULL;
        double v = w ? strtod(w, &end) : -1.0;
        g_min_work = w && end != w && !*end && v >= 0.0 ? v : CORES_MIN_WORK;
    }
    if (g_mode < 0) {
        const char *e = getenv("HHSIM_CORES");
        g_mode = e && !strcmp(e, "1") ? 1 : e && !strcmp(e, "2") ? 2 : 0;
    }
    return g_mode;
}

int cores_force(int n) {
    int old = mode();
    g_mode = n == 1 || n == 2 ? n : 0;
    return old;
}

int cores_spare(void) {
    int m = mode();
    return m == 2 ? 1 : m == 1 ? 0 : g_spare && g_spare() > 0;
}

static void *helper_main(void *unused) {
    (void)unused;
    pthread_mutex_lock(&H.mu);
    for (;;) {
        while (!H.busy) pthread_cond_wait(&H.go, &H.mu);
        CoresFn fn = H.fn;
        void *arg = H.arg;
        pthread_mutex_unlock(&H.mu);
        fn(arg);
        pthread_mutex_lock(&H.mu);
        H.busy = 0;
        pthread_cond_signal(&H.done);
    }
    return NULL;
}

// In the child of a fork: the helper thread was not copied (and is idle in
// the parent: nothing forks during a pair), so start afresh.
static void after_fork_child(void) {
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    H.mu = mu, H.go = c, H.done = c, H.busy = 0, H.started = 0;
}

static pthread_once_t g_atfork = PTHREAD_ONCE_INIT;
static void register_atfork(void) { pthread_atfork(NULL, NULL, after_fork_child); }

// The helper thread of this process, started on first use; 0 when it runs.
static int helper_ready(void) {
    if (H.started) return 0;
    if (pthread_once(&g_atfork, register_atfork)) return -1;
    pthread_attr_t at;
    pthread_t t;
    if (pthread_attr_init(&at)) return -1;
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &at, helper_main, NULL);
    pthread_attr_destroy(&at);
    if (rc) return -1;
    H.started = 1;
    return 0;
}

void cores_pair(CoresFn a, void *aa, CoresFn b, void *ba, double work) {
    int m = mode();  // forced on (2): every pair splits, however small (tests)
    if (m == 1 || (m == 0 && (work < g_min_work || !cores_spare())) || helper_ready() != 0) {
        a(aa);
        b(ba);
        return;
    }
    pthread_mutex_lock(&H.mu);
    H.fn = b, H.arg = ba, H.busy = 1;
    pthread_cond_signal(&H.go);
    pthread_mutex_unlock(&H.mu);
    a(aa);
    pthread_mutex_lock(&H.mu);
    while (H.busy) pthread_cond_wait(&H.done, &H.mu);
    pthread_mutex_unlock(&H.mu);
    g_split++;
}

size_t cores_pairs_split(void) { return g_split; }
