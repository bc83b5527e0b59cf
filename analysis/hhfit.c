// hhfit.c - the analysis command line (fits, tables, figure scripts).
// For now it only explains itself; the fits arrive with the analysis stage.
#include <stdio.h>
#include <string.h>

#include "version.h"

static void usage(FILE *f) {
    fprintf(f, "usage: hhfit RUN_DIR -o RESULTS_DIR\n"
               "Reads the HDF5 files of a run (runs/NAME/), fits the paper's relationships\n"
               "with GSL, and writes RESULTS_DIR/tables.h5, one gnuplot script per figure\n"
               "and claims.md.\n"
               "status: not implemented yet in this version (the analysis stage is pending);\n"
               "it exits with status 1 when asked to run.\n"
               "example: hhfit runs/default -o results/default\n");
}

int main(int argc, char **argv) {
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("hhfit %s (git %s%s)\n", hh_version(), hh_git_commit(),
               hh_git_dirty() ? ", dirty" : "");
        return 0;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    fprintf(stderr, "hhfit: the analysis stage is not implemented yet\n");
    return 1;
}
