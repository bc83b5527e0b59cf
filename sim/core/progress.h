// progress.h - progress of long stages on stderr.
//
// On a terminal: one line rewritten in place at most twice a second (step,
// the caller's text, rate and time left). Otherwise: nothing until
// progress_done, which prints one summary line. quiet silences both.
#ifndef HHSIM_PROGRESS_H
#define HHSIM_PROGRESS_H

typedef struct {
    char label[64];
    long total;
    double t0, last;
    int tty, quiet;
} Progress;

void progress_start(Progress *pr, const char *label, long total, int quiet);
// Report that `done` of `total` units are finished; text is the caller's part.
void progress_update(Progress *pr, long done, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// One final line: label, the caller's summary, elapsed time.
void progress_done(Progress *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double progress_elapsed(const Progress *pr);
double progress_now(void);  // monotonic seconds

#endif
