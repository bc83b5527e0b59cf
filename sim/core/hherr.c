// hherr.c - see hherr.h
#include "hherr.h"

#include <stdarg.h>
#include <stdio.h>

int hh_fail(HHErr *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void hh_err_clear(HHErr *err) {
    if (err) {
        err->code = HH_OK;
        err->msg[0] = '\0';
    }
}
