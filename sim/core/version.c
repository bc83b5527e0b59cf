// version.c - see version.h; values come from the Makefile.
#include "version.h"

#ifndef HH_VERSION
#define HH_VERSION "0.0.0"
#endif
#ifndef HH_GIT_COMMIT
#define HH_GIT_COMMIT "unknown"
#endif
#ifndef HH_SIM_HASH
#define HH_SIM_HASH "unknown"
#endif
#ifndef HH_GIT_DIRTY
#define HH_GIT_DIRTY 1
#endif

const char *hh_version(void) { return HH_VERSION; }
const char *hh_git_commit(void) { return HH_GIT_COMMIT; }
int hh_git_dirty(void) { return HH_GIT_DIRTY; }
const char *hh_sim_hash(void) { return HH_SIM_HASH; }
