// version.h - what built this binary (for provenance and --version).
#ifndef HHSIM_VERSION_H
#define HHSIM_VERSION_H

const char *hh_version(void);     // "0.1.0"
const char *hh_git_commit(void);  // full hash, or "unknown"
int hh_git_dirty(void);           // 1 when built from a tree with uncommitted changes
const char *hh_sim_hash(void);    // hash of the simulator's sources (sim/*.c, sim/*.h)

#endif
