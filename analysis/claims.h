// claims.h - the claims report: claims are declared in data
// (papers/bai2022/claims.tsv), their statistics computed by hhfit
// (pmclaims.h), their verdicts decided here, and the result written as
// claims.md and as the /claims table of tables.h5.
//
// claims.tsv: UTF-8 text, one claim per line, tab-separated columns
//     id  figure  statement  statistic  criterion  rationale
// with a header line starting "id\t" and comment lines starting '#'.
// `statistic` names a statistic hhfit knows (pmclaims.h, rlclaims.h,
// lmclaims.h list them) or
// is "pending" (data the simulator does not produce yet). `criterion` is
// "> X" or "< X" (X a number) on that statistic, or "-" for pending rows.
//
// Verdict of an estimate with 95% interval [lo, hi] against "> X":
//     REPRODUCED      lo > X  (the whole interval on the claim's side)
//     NOT REPRODUCED  hi < X  (the whole interval on the other side)
//     INCONCLUSIVE    otherwise (the interval contains X)
// and mirrored for "< X". No finite estimate and interval: PENDING. A statistic
// flagged inconclusive (a validity gate failed, ClaimStat) is INCONCLUSIVE.
#ifndef HHFIT_CLAIMS_H
#define HHFIT_CLAIMS_H

#include <stddef.h>
#include <stdio.h>

#include "hherr.h"

typedef enum {
    VERDICT_REPRODUCED = 0,
    VERDICT_NOT_REPRODUCED = 1,
    VERDICT_INCONCLUSIVE = 2,
    VERDICT_PENDING = 3,
} Verdict;

// "REPRODUCED", "NOT REPRODUCED", "INCONCLUSIVE", "PENDING".
const char *verdict_name(Verdict v);

typedef struct {
    char op;     // '>' or '<'; 0 for "-" (no criterion)
    double thr;
} Criterion;

// Parse "> 0", "<0.1", "-". HH_EINPUT on anything else (err names the text).
int criterion_parse(const char *s, Criterion *c, HHErr *err);

// The verdict rule above.
Verdict claim_verdict(const Criterion *c, double est, double lo, double hi);

typedef struct {
    char id[48];
    char figure[24];
    char statement[512];
    char statistic[64];
    char criterion[32];
    char rationale[1536];
    int line;            // line in the file, for messages
} ClaimRow;

// Read claims.tsv; *rows is malloc'd. Malformed lines, duplicate ids and bad
// criteria are HH_EINPUT naming path:line.
int claims_read(const char *path, ClaimRow **rows, int *n, HHErr *err);

// A computed statistic: est with 95% interval [lo, hi] over n units.
typedef struct {
    int available;       // 0: no data in this run (verdict PENDING)
    double est, lo, hi;
    size_t n;
    int inconclusive;    // 1: INCONCLUSIVE whatever the interval (a pre-registered validity
                         // gate failed; the method says which)
    char method[1024];   // how it was computed (for the notes)
} ClaimStat;

// claim_stat_set: o->available = 1 with the estimate, 95% interval and n.
void claim_stat_set(ClaimStat *o, double est, double lo, double hi, size_t n);

// claims_name_in: 1 if name is one of the NULL-terminated names (the
// statistics a claims module computes), else 0.
int claims_name_in(const char *const *names, const char *name);

// claims_names_join: the names joined with ", " into buf (n bytes,
// truncated); returns buf. For messages listing the known statistics.
const char *claims_names_join(const char *const *names, char *buf, size_t n);

// One row's outcome.
typedef struct {
    Verdict verdict;
    ClaimStat stat;
} ClaimResult;

// Decide every verdict (pending rows and unavailable statistics: PENDING).
void claims_decide(const ClaimRow *rows, int n, const ClaimStat *st, ClaimResult *res);

// Write claims.md: `header` (markdown, as is), the table, then one note per
// claim with its method and rationale.
int claims_write_md(FILE *f, const char *header, const ClaimRow *rows, const ClaimResult *res,
                    int n);

#endif
