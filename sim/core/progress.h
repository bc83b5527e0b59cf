// progress.h - progress of long stages and of the whole run, on stderr only
// (never in a result).
//
// A stage reports its own progress with progress_start / progress_update /
// progress_done. Where that goes depends on who runs it:
//
// - alone (no run board): on a terminal one line rewritten in place at most
//   twice a second (step, the caller's text, rate and time left); otherwise
//   nothing until progress_done, which prints one summary line.
// - as a job of `hhsim run` (jobs.c), whose parent process draws the board:
//   a forked job's stderr is a pipe to the parent (progress_in_child), its
//   updates travel as records on it at most once a second, and its other
//   lines (summaries, errors) are relayed whole by the parent; a job run in
//   the parent itself (--jobs 1) updates the board directly.
//
// The board (progress_board_*): on a terminal, one line per running job
// (name, step/total, percentage, the job's text, elapsed) and one line with
// the whole run's done/total jobs, elapsed time and time left, redrawn at
// most twice a second below every message line; a message is printed above
// the block, never glued to it, and each job has its own line. Not on a
// terminal: the messages, and a heartbeat line per running job every
// HHSIM_HEARTBEAT seconds (default 30): "hhsim run: JOB: running for 75 s;
// pretrain l: 300/900 (33%) loss 2.310; 12/133 jobs done". quiet silences
// progress, summaries and heartbeats; error lines always pass.
#ifndef HHSIM_PROGRESS_H
#define HHSIM_PROGRESS_H

#include <stddef.h>

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

// One whole line (no newline in it) on stderr; above the board when one is drawn.
void progress_message(const char *line);

// The board of a run of njobs jobs (slots 0..njobs-1). live = 0 when the
// process cannot tick while jobs run (MPI runner): messages only. quiet: no
// drawing and no heartbeats.
void progress_board_start(int njobs, int live, int quiet);
void progress_board_stop(void);
// Job slot started (with its name, kept by the caller) or ended.
void progress_board_job(int slot, const char *name, int running);
void progress_board_count(int done);  // jobs finished so far
// Bytes read from slot's stderr pipe: whole lines become messages or records.
void progress_board_feed(int slot, const char *buf, size_t n);
// Redraw (terminal) or print due heartbeats (otherwise); cheap when nothing is due.
void progress_board_tick(void);

// In a forked job: progress as records on stderr (the pipe to the board).
void progress_in_child(void);
// A job run in the board's own process: updates go to slot (-1: none).
void progress_in_process(int slot);

#endif
