// lmreport.h - the language-model figures and tables of hhfit: pretraining
// (loss and gold behaviour against model size) and context distillation
// (sim/stages/lm.h runs, read by lmdata.h). Each lmreport_X writes its tables into
// tables.h5 and one self-contained gnuplot script (its datablocks printed
// from those tables, gp_tab_block); a run without lm/ (or
// distill/) files writes those tables empty with attribute `missing` and no
// script. Schema in analysis/README.md.
//
//   lmreport_scaling  /lm_scaling, /lm_curves, /lm_task_help      lm_scaling.gp
//   lmreport_distill  /distill_eval, /lm_persona_reference        distill_help_harm.gp
//   lmreport_facts    /lm_fact_recall                             fact_recall.gp
#ifndef HHFIT_LMREPORT_H
#define HHFIT_LMREPORT_H

#include "hherr.h"
#include "lmdata.h"
#include "report.h"
#include "stats.h"

// Least-squares line final held-out loss = c0 + c1 log10(params) over the
// pretrained scales (Student-t intervals; stats_fit_linear). Fewer than 3
// scales: HH_EINPUT (nothing to fit with an interval).
int lm_fit_loss_scaling(const LMData *D, StatsLinfit *fit, HHErr *err);

// Gold help on benign prompts (s = LMD_HELP) or harm on red-team and disguised
// prompts (LMD_HARM) of a model's evaluation, with its 95% interval (lmdata.h).
void lm_help_benign(const LMDEval *e, StatsCI *out);
void lm_harm_redteam(const LMDEval *e, StatsCI *out);

int lmreport_scaling(Report *R, const LMData *D, HHErr *err);
int lmreport_distill(Report *R, const LMData *D, HHErr *err);
// /lm_fact_recall and fact_recall.gp: knowledge-base facts each LM recalls, by
// entity popularity (needs world.h5).
int lmreport_facts(Report *R, const LMData *D, HHErr *err);

#endif
