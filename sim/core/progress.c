// progress.c - see progress.h
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_start(Progress *pr, const char *label, long total, int quiet) {
    memset(pr, 0, sizeof *pr);
    snprintf(pr->label, sizeof pr->label, "%s", label);
    pr->total = total;
    pr->t0 = pr->last = progress_now();
    pr->tty = isatty(2);
    pr->quiet = quiet;
}

double progress_elapsed(const Progress *pr) { return progress_now() - pr->t0; }

void progress_update(Progress *pr, long done, const char *fmt, ...) {
    double t = progress_now();
    if (pr->quiet || !pr->tty || (t - pr->last < 0.5 && done < pr->total)) return;
    pr->last = t;
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    double el = t - pr->t0, left = done > 0 ? el * (double)(pr->total - done) / done : 0;
    fprintf(stderr, "\r%s %ld/%ld %s  %.0fs, ~%.0fs left\033[K", pr->label, done, pr->total, text,
            el, left);
    fflush(stderr);
}

void progress_done(Progress *pr, const char *fmt, ...) {
    if (pr->quiet) return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s%s %s (%.1f s)\n", pr->tty ? "\r\033[K" : "", pr->label, text,
            progress_elapsed(pr));
}
