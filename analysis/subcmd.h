// subcmd.h - hhfit's commands on results directories (after `hhfit RUN -o DIR`):
//   hhfit report RESULTS_DIR [--figures DIR]     index.html (html.h)
//   hhfit check RESULTS_DIR EXPECTED.tsv [--write [--also DIR]...]   (expect.h)
//   hhfit diff RESULTS_A RESULTS_B               (rdiff.h)
// Each prints its --help. Bad usage or input: one line on stderr naming the
// file, line or key, exit 2.
#ifndef HHFIT_SUBCMD_H
#define HHFIT_SUBCMD_H

// 1 if argv[1] names one of these commands (run it with subcmd_main).
int subcmd_is(int argc, char **argv);

// Run the command of argv[1]; writes (hhfit's analysis registry, see
// html_figures) lists the figures of the report. Returns the exit status.
int subcmd_main(int argc, char **argv, const char *const *writes, int nwrites);

#endif
