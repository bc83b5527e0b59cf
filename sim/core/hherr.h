// hherr.h - error reporting for library code.
//
// Library functions never exit and never print. A function that can fail
// takes an `HHErr *err` as its last argument and returns 0 on success or a
// non-zero status; on failure it fills err with the status and one line that
// names the file, line or key at fault, what was wrong and what is allowed.
// Only main() prints err->msg and exits with err->code.
#ifndef HHSIM_HHERR_H
#define HHSIM_HHERR_H

#include <stddef.h>

enum {
    HH_OK = 0,
    HH_EFAIL = 1,   // a run failed (I/O, numerical, internal)
    HH_EINPUT = 2,  // bad usage or bad input from the user
};

typedef struct {
    int code;        // HH_OK, HH_EFAIL or HH_EINPUT
    char msg[1024];  // one line, no trailing newline
} HHErr;

// hh_fail formats msg into err (when err is not NULL) and returns code.
int hh_fail(HHErr *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// hh_err_clear resets err to HH_OK with an empty message.
void hh_err_clear(HHErr *err);

#endif
