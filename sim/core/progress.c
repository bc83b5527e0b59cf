// progress.c - see progress.h
#include "progress.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define RECORD '\036'     // first byte of a progress record on a job's pipe
#define PEND_MAX 4096     // longest line relayed whole from a job
#define SHOWN_MAX 24      // running jobs drawn on a terminal (the rest are counted)

double progress_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Write all of buf to stderr in as few writes as it takes (one for a line).
static void put(const char *buf, size_t n) {
    while (n > 0) {
        ssize_t k = write(2, buf, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return;
        buf += k;
        n -= (size_t)k;
    }
}

// ---------------------------------------------------------------------------
// the board

typedef struct {
    const char *name;
    int running;
    double t0, beat;          // start, last heartbeat
    long done, total;         // the latest record (total 0: none yet)
    char label[64], text[160];
    char *pend;               // a partial line read from the job's pipe
    size_t npend;
} Slot;

static struct {
    int on, live, quiet, tty, n, done, drawn, dirty;
    double t0, last_draw, heartbeat;
    Slot *s;
} B;
static int CHILD;             // this process is a forked job
static int INPROC = -1;       // slot of the job running in this process (--jobs 1)

static int width(void) {
    struct winsize w;
    if (ioctl(2, TIOCGWINSZ, &w) == 0 && w.ws_col >= 20) return w.ws_col;
    return 80;
}

static void fmt_secs(char *buf, size_t n, double s) {
    if (s < 120) snprintf(buf, n, "%.0f s", s);
    else if (s < 7200) snprintf(buf, n, "%.0f min", s / 60);
    else snprintf(buf, n, "%.1f h", s / 3600);
}

// "label done/total (pct%) text" of a slot's latest record, or "".
static void record_text(const Slot *s, char *buf, size_t n) {
    buf[0] = '\0';
    if (s->total > 0)
        snprintf(buf, n, "%s%s%ld/%ld (%.0f%%)%s%s", s->label, *s->label ? " " : "", s->done,
                 s->total, 100.0 * (double)s->done / (double)s->total, *s->text ? " " : "", s->text);
}

// The whole run's line: done/total, elapsed, time left (from the finished
// jobs and the running jobs' fractions).
static void total_line(char *buf, size_t n, double now) {
    double eff = B.done, el = now - B.t0;
    int running = 0;
    for (int i = 0; i < B.n; i++)
        if (B.s[i].running) {
            running++;
            if (B.s[i].total > 0) eff += (double)B.s[i].done / (double)B.s[i].total;
        }
    char e[32], l[48] = "";
    fmt_secs(e, sizeof e, el);
    if (eff > 0.05 && B.done < B.n) {
        char t[32];
        fmt_secs(t, sizeof t, el * ((double)B.n - eff) / eff);
        snprintf(l, sizeof l, ", ~%s left", t);
    }
    snprintf(buf, n, "hhsim run: %d/%d jobs done, %d running, %s elapsed%s", B.done, B.n, running, e, l);
}

// Append to buf (capacity cap, length *len) the erasure of the drawn block.
static void erase(char *buf, size_t cap, size_t *len) {
    if (B.drawn > 0 && *len + 32 < cap) *len += (size_t)snprintf(buf + *len, cap - *len, "\033[%dA\r\033[J", B.drawn);
    B.drawn = 0;
}

// Append the block: one line per running job, then the total line.
static void draw(char *buf, size_t cap, size_t *len, double now) {
    int w = width() - 1, shown = 0, more = 0;
    char line[512], rec[256], el[32];
    for (int i = 0; i < B.n; i++) {
        const Slot *s = &B.s[i];
        if (!s->running) continue;
        if (shown == SHOWN_MAX) { more++; continue; }
        record_text(s, rec, sizeof rec);
        fmt_secs(el, sizeof el, now - s->t0);
        snprintf(line, sizeof line, "  %-22s %s%s%s", s->name, el, *rec ? "  " : "", rec);
        if (*len + (size_t)w + 2 < cap) *len += (size_t)snprintf(buf + *len, cap - *len, "%.*s\n", w, line);
        shown++;
    }
    if (more) {
        snprintf(line, sizeof line, "  ... and %d more running", more);
        if (*len + (size_t)w + 2 < cap) *len += (size_t)snprintf(buf + *len, cap - *len, "%.*s\n", w, line), shown++;
    }
    total_line(line, sizeof line, now);
    if (*len + (size_t)w + 2 < cap) *len += (size_t)snprintf(buf + *len, cap - *len, "%.*s\n", w, line);
    B.drawn = shown + 1;
    B.last_draw = now;
    B.dirty = 0;
}

static int drawing(void) { return B.on && B.live && B.tty && !B.quiet; }

void progress_message(const char *line) {
    size_t n = strlen(line);
    if (!drawing()) {  // one write per line: lines of two processes never mix
        char *buf = malloc(n + 2);
        if (!buf) { put(line, n); put("\n", 1); return; }
        memcpy(buf, line, n);
        buf[n] = '\n';
        put(buf, n + 1);
        free(buf);
        return;
    }
    size_t cap = n + 2 + 64 + (SHOWN_MAX + 2) * 520, len = 0;
    char *buf = malloc(cap);
    if (!buf) { put(line, n); put("\n", 1); return; }
    erase(buf, cap, &len);
    memcpy(buf + len, line, n);
    len += n;
    buf[len++] = '\n';
    draw(buf, cap, &len, progress_now());
    put(buf, len);
    free(buf);
}

void progress_board_start(int njobs, int live, int quiet) {
    memset(&B, 0, sizeof B);
    B.s = calloc((size_t)njobs + 1, sizeof(Slot));
    if (!B.s) return;  // no board: lines go straight to stderr
    B.on = 1;
    B.n = njobs;
    B.live = live;
    B.quiet = quiet;
    B.tty = isatty(2);
    B.t0 = progress_now();
    const char *h = getenv("HHSIM_HEARTBEAT");
    char *end;
    double v = h ? strtod(h, &end) : 0;
    B.heartbeat = h && *h && !*end && v >= 0.1 && v <= 86400 ? v : 30;
}

// Relay slot's unfinished line, if any, as a line of its own.
static void flush_pend(Slot *s) {
    if (s->pend && s->npend) {
        s->pend[s->npend] = '\0';
        progress_message(s->pend);
    }
    free(s->pend);
    s->pend = NULL;
    s->npend = 0;
}

void progress_board_stop(void) {
    if (!B.on) return;
    for (int i = 0; i < B.n; i++) flush_pend(&B.s[i]);
    if (drawing() && B.drawn) {
        char buf[64];
        size_t len = 0;
        erase(buf, sizeof buf, &len);
        put(buf, len);
    }
    free(B.s);
    memset(&B, 0, sizeof B);
}

void progress_board_job(int slot, const char *name, int running) {
    if (!B.on || slot < 0 || slot >= B.n) return;
    Slot *s = &B.s[slot];
    if (!running) flush_pend(s);
    s->name = name ? name : "job";
    s->running = running;
    s->t0 = s->beat = progress_now();
    s->done = s->total = 0;
    s->label[0] = s->text[0] = '\0';
    B.dirty = 1;
}

void progress_board_count(int done) {
    B.done = done;
    B.dirty = 1;
}

// A record "\036DONE TOTAL LABEL\tTEXT" from slot's job.
static void take_record(Slot *s, const char *r) {
    char *end;
    long done = strtol(r, &end, 10);
    if (*end != ' ') return;
    long total = strtol(end + 1, &end, 10);
    if (*end != ' ' || total <= 0) return;
    const char *label = end + 1, *tab = strchr(label, '\t');
    s->done = done;
    s->total = total;
    snprintf(s->label, sizeof s->label, "%.*s", (int)(tab ? tab - label : (long)strlen(label)), label);
    snprintf(s->text, sizeof s->text, "%s", tab ? tab + 1 : "");
}

void progress_board_feed(int slot, const char *buf, size_t n) {
    if (!B.on || slot < 0 || slot >= B.n) { put(buf, n); return; }
    Slot *s = &B.s[slot];
    if (!s->pend && !(s->pend = malloc(PEND_MAX + 1))) { put(buf, n); return; }
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '\n' && s->npend < PEND_MAX) {
            s->pend[s->npend++] = buf[i];
            continue;
        }
        s->pend[s->npend] = '\0';
        if (s->pend[0] == RECORD) take_record(s, s->pend + 1);
        else progress_message(s->pend);
        s->npend = 0;
        if (buf[i] != '\n') s->pend[s->npend++] = buf[i];  // a line too long: relayed in parts
    }
}

void progress_board_tick(void) {
    if (!B.on || !B.live || B.quiet) return;
    double now = progress_now();
    if (B.tty) {
        if (!B.dirty && now - B.last_draw < 0.5) return;
        size_t cap = 64 + (SHOWN_MAX + 2) * 520, len = 0;
        char *buf = malloc(cap);
        if (!buf) return;
        erase(buf, cap, &len);
        draw(buf, cap, &len, now);
        put(buf, len);
        free(buf);
        return;
    }
    for (int i = 0; i < B.n; i++) {
        Slot *s = &B.s[i];
        if (!s->running || now - s->beat < B.heartbeat) continue;
        char rec[256], el[32], line[512];
        record_text(s, rec, sizeof rec);
        fmt_secs(el, sizeof el, now - s->t0);
        snprintf(line, sizeof line, "hhsim run: %s: running for %s%s%s; %d/%d jobs done", s->name, el,
                 *rec ? "; " : "", rec, B.done, B.n);
        progress_message(line);
        s->beat = now;
    }
}

void progress_in_child(void) {
    CHILD = 1;
    INPROC = -1;
    for (int i = 0; B.s && i < B.n; i++) free(B.s[i].pend);  // the parent's, not this job's
    free(B.s);
    memset(&B, 0, sizeof B);
}

void progress_in_process(int slot) { INPROC = slot; }

// ---------------------------------------------------------------------------
// a stage's progress

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
    if (pr->quiet) return;
    int board = B.on && INPROC >= 0 && INPROC < B.n;
    if (!CHILD && !board && !pr->tty) return;
    if (t - pr->last < (CHILD ? 1.0 : 0.5) && done < pr->total) return;
    pr->last = t;
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *c = text; *c; c++)
        if (*c == '\n' || *c == '\t' || *c == RECORD) *c = ' ';
    if (CHILD) {  // a record for the board: one write
        char rec[400];
        int k = snprintf(rec, sizeof rec, "%c%ld %ld %s\t%s\n", RECORD, done, pr->total, pr->label, text);
        if (k > 0) put(rec, (size_t)k < sizeof rec ? (size_t)k : sizeof rec - 1);
        return;
    }
    if (board) {
        Slot *s = &B.s[INPROC];
        s->done = done;
        s->total = pr->total;
        snprintf(s->label, sizeof s->label, "%s", pr->label);
        snprintf(s->text, sizeof s->text, "%.159s", text);
        progress_board_tick();
        return;
    }
    double el = t - pr->t0, left = done > 0 ? el * (double)(pr->total - done) / done : 0;
    fprintf(stderr, "\r%s %ld/%ld %s  %.0fs, ~%.0fs left\033[K", pr->label, done, pr->total, text,
            el, left);
    fflush(stderr);
}

void progress_done(Progress *pr, const char *fmt, ...) {
    if (pr->quiet) return;
    char text[512], line[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s %s (%.1f s)", pr->label, text, progress_elapsed(pr));
    int own_line = !CHILD && !(B.on && INPROC >= 0) && pr->tty;  // progress_update's line
    if (own_line) fprintf(stderr, "\r\033[K%s\n", line);
    else progress_message(line);  // relayed by, or drawn above, the board
}
