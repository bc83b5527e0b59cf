// rollout.h - sampling responses from a model for a set of prompts.
//
// Prompts are rows of a (n, ctx) uint8 token array ending with the final A
// token; responses are written as rows of (n, RESP_MAX) tokens (PAD after
// their length), ending with EOS unless the length limit cut them off.
// Draws come from r in row order, so the result depends only on the model,
// the prompts, the settings and the stream.
#ifndef HHSIM_ROLLOUT_H
#define HHSIM_ROLLOUT_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "gpt.h"
#include "hherr.h"

typedef struct {
    float temperature;  // 1.0; <= 0 is greedy
    int top_k;          // 0 = all tokens
    int max_resp;       // RESP_MAX: most response tokens (EOS included)
    int hhh_prefix;     // 1: insert the HHH persona token after BOS
    int stop_turn;      // 1: a turn token (BOS, H, A, HHH) also ends a response; it is
                        // kept as its last token (so the response has no EOS)
} RolloutOpts;

// Generate responses for n prompts with model m in batches of cache->B rows
// (cache->B <= m->max_B). plen (n): prompt lengths.
int rollout_generate(GPT *m, GPTCache *cache, const uint8_t *prompts, const int32_t *plen, int n,
                     int ctx, const RolloutOpts *o, gsl_rng *r, uint8_t *resp, int32_t *rlen,
                     HHErr *err);

#endif
