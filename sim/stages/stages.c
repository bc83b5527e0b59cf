// stages.c - the stage table (stage.h): every stage of a run, in dependency
// order. A new stage is one line here plus its own module.
#include "stage.h"

#include "elo.h"
#include "evals.h"
#include "lm.h"
#include "online.h"
#include "pm.h"
#include "rl.h"
#include "segments.h"
#include "worldgen.h"

static const StageDef *const TABLE[] = {
    &STAGE_WORLD,  // first: every other stage reads the world
    &STAGE_PRETRAIN,
    &STAGE_DISTILL,
    &STAGE_PMP,
    &STAGE_PM,
    &STAGE_RL,
    &STAGE_BON,
    &STAGE_EVALS,  // reads lm, distill and rl outputs
    &STAGE_ONLINE,    // reads pm and rl outputs; round k reads round k-1
    &STAGE_SEGMENTS,  // reads distill and rl outputs
    &STAGE_ELO,    // reads distill, rl, pm (and online) outputs: keep after them
    NULL,
};

const StageDef *const *stages_default(void) { return TABLE; }
