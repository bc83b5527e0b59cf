// check.h - checks for the cmocka suites that print the measured and the
// expected value when they fail (include after <cmocka.h> and <math.h>).
#ifndef HHSIM_TESTS_CHECK_H
#define HHSIM_TESTS_CHECK_H

// |got - want| <= tol, else print both and fail.
#define CHECK_NEAR(got, want, tol, what)                                                        \
    do {                                                                                        \
        double g_ = (got), w_ = (want);                                                         \
        if (!(fabs(g_ - w_) <= (tol))) {                                                        \
            print_message("FAIL %s: measured %.12g, expected %.12g (tol %.3g)\n", what, g_, w_, \
                          (double)(tol));                                                      \
            fail();                                                                             \
        }                                                                                       \
    } while (0)

#define CHECK_INT(got, want, what)                                                             \
    do {                                                                                       \
        long g_ = (long)(got), w_ = (long)(want);                                              \
        if (g_ != w_) {                                                                        \
            print_message("FAIL %s: measured %ld, expected %ld\n", what, g_, w_);              \
            fail();                                                                            \
        }                                                                                      \
    } while (0)

#endif
