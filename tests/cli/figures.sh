#!/usr/bin/env bash
# figures.sh - hhfit end to end on a fresh smoke run: tables.h5 with every
# table and its columns and units, figure scripts that run alone under
# gnuplot, one claims.md row per claims.tsv id, clean refusals of bad input,
# identical results from two runs, and earlier results kept when a run fails.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
FIT=${HHFIT:-bin/hhfit}
P=params/smoke.ini
R=$TMP/run

t0=$(date +%s)
"$HH" run $P -o "$R" --quiet || { bad "smoke run" "hhsim run failed"; exit 1; }
echo "# smoke run for hhfit took $(( $(date +%s) - t0 )) s"

expect_exit "hhfit on the smoke run" 0 "$FIT" "$R" -o "$TMP/res" --quiet

# --- tables.h5: every table, key columns, units, provenance
H=$TMP/res/tables.h5
h5dump -H "$H" >"$TMP/h" 2>&1
for t in pm_runs crowd_agreement fig07_accuracy fit_loglinear pmp_vs_nopmp fig08_accuracy_by_turn \
         fig09_accuracy_by_margin calibration_ece fig19_accuracy_vs_mix lm_fact_recall \
         fig25_accuracy_above_threshold beyond_gold_vs_crowd claims; do
  if grep -q "DATASET \"/\?$t\"" "$TMP/h"; then ok "tables.h5 has /$t"; else bad "tables.h5 has /$t" "missing"; fi
done
cols() {  # cols TABLE COL...: the table's compound type has these members
  local t=$1; shift
  local miss=""
  for c in "$@"; do h5dump -H -d "/$t" "$H" | grep -q "\"$c\";" || miss="$miss $c"; done
  if [ -z "$miss" ]; then ok "/$t columns"; else bad "/$t columns" "missing:$miss"; fi
}
cols fit_loglinear param estimate se ci_lo ci_hi paper r2 chisq n dof
cols fig07_accuracy measure scale params n_train seeds acc acc_lo acc_hi acc_fit
cols lm_fact_recall scale params facts bin rank_lo rank_hi n recall recall_lo recall_hi
cols calibration_ece pm scale ece ece_lo ece_hi ece_null
cols fig19_accuracy_vs_mix scale help_frac test_set acc acc_norm
cols claims id estimate ci_lo ci_hi criterion verdict
if h5dump -A -d /fig07_accuracy "$H" | grep -A10 'FIELD_7_UNITS' | grep -q '"fraction"'; then
  ok "column units as FIELD_k_UNITS"; else bad "column units as FIELD_k_UNITS" "acc has no 'fraction'"; fi
if h5dump -a /hhsim_kind "$H" | grep -q '"results"' && h5dump -a /params "$H" | grep -q 'seed = 7'; then
  ok "provenance carries the run's params"; else bad "provenance carries the run's params" "kind or seed missing"; fi

# --- every figure script runs alone and draws a PNG and a PDF
mkdir -p "$TMP/png"
n=0
for g in "$TMP"/res/*.gp; do
  b=$(basename "$g" .gp); n=$((n + 1))
  if gnuplot -e "outdir='$TMP/png'" "$g" >"$TMP/gp.err" 2>&1 && [ -s "$TMP/png/$b.png" ] && [ -s "$TMP/png/$b.pdf" ] \
     && ! grep -qi 'warning\|error' "$TMP/gp.err"; then ok "$b.gp draws $b.png and $b.pdf"
  else bad "$b.gp draws $b.png and $b.pdf" "$(head -3 "$TMP/gp.err")"; fi
done
if [ "$n" -ge 7 ]; then ok "seven figure scripts ($n)"; else bad "seven figure scripts" "$n"; fi

# --- legibility: a key outside the plot that is opaque or boxed erases the
# bottom of the x label (the style's default key is both); a table name such
# as /pmp_vs_nopmp in a title must escape its underscores (enhanced text
# would draw subscripts)
bad_keys=$(grep -H '^set key .*\(outside\|below\)' "$TMP"/res/*.gp | grep -v 'noopaque.*nobox\|nobox.*noopaque' \
           | sed 's|.*/||' | head -3)
if [ -z "$bad_keys" ]; then ok "keys outside the plot are neither opaque nor boxed"
else bad "keys outside the plot are neither opaque nor boxed" "$bad_keys"; fi
bad_titles=$(grep -H '^set \(multiplot .*\)\?title .*/[a-z0-9]*_' "$TMP"/res/*.gp | sed 's|.*/||' | head -3)
if [ -z "$bad_titles" ] && grep -q 'pmp\\\\_vs\\\\_nopmp' "$TMP/res/pmp_accuracy.gp"; then
  ok "table names in titles escape their underscores"
else bad "table names in titles escape their underscores" "${bad_titles:-pmp_accuracy.gp lacks pmp\\\\_vs\\\\_nopmp}"; fi

# --- hhfit --list (the ANALYSES registry) names every script and table written
"$FIT" --list >"$TMP/list" 2>&1
miss=""
for g in "$TMP"/res/*.gp; do grep -q " $(basename "$g")\$" "$TMP/list" || miss="$miss $(basename "$g")"; done
for t in $(sed -n 's/.*DATASET "\/\?\([a-z0-9_]*\)".*/\1/p' "$TMP/h"); do
  grep -q "/$t\b" "$TMP/list" || miss="$miss /$t"; done
if [ -z "$miss" ]; then ok "hhfit --list names every script and table"; else bad "hhfit --list names every script and table" "missing:$miss"; fi
cols fig09_accuracy_by_margin pm scale test_set bin_lo bin_hi count mean_pred obs_freq obs_lo obs_hi

# --- RL and best-of-n (rl/, bon/ of the smoke run): tables filled, one script per figure
for t in rl_runs fig13_reward_vs_sqrt_kl fit_reward_sqrt_kl fit_reward_sqrt_kl_scale fig04_train_vs_test_pm fig33_test_pm_end \
         fig14_benign_vs_redteam rl_help_harm beyond_gold_vs_sqrt_kl fit_overoptimization; do
  if ! grep -q "DATASET \"/\?$t\"" "$TMP/h"; then bad "tables.h5 has /$t" "missing"
  elif h5dump -A -d "/$t" "$H" | grep -q 'ATTRIBUTE "missing"'; then bad "/$t has rows" "marked missing"
  else ok "tables.h5 has /$t with rows"; fi
done
cols fit_reward_sqrt_kl panel policy seed slope slope_lo slope_hi r2 r2_origin quad_c quad_c_lo quad_c_hi end_slope_ratio n
cols fit_reward_sqrt_kl_scale panel policy seeds slope slope_lo slope_hi end_slope_ratio end_slope_ratio_lo end_slope_ratio_hi
cols fig13_reward_vs_sqrt_kl panel policy iter seeds sqrt_kl sqrt_kl_lo sqrt_kl_hi score score_lo score_hi
cols fit_overoptimization method form seed seeds a a_lo a_hi b b_lo b_hi converged n d_peak peak_in_range d_min d_max

# --- language models (lm/, distill/ of the smoke run): tables filled, two scripts, bad files refused
for t in lm_scaling lm_curves lm_task_help distill_eval lm_persona_reference; do
  if ! grep -q "DATASET \"/\?$t\"" "$TMP/h"; then bad "tables.h5 has /$t" "missing"
  elif h5dump -A -d "/$t" "$H" | grep -q 'ATTRIBUTE "missing"'; then bad "/$t has rows" "marked missing"
  else ok "tables.h5 has /$t with rows"; fi
done
cols lm_scaling scale n_layer d_model params params_nonemb tokens train_loss heldout_loss n_benign help_benign \
  help_benign_lo help_benign_hi n_redteam harm_redteam harm_redteam_lo harm_redteam_hi
cols lm_curves scale params step tokens train_loss heldout_loss
cols distill_eval scale params model kind n help help_lo help_hi harm harm_lo harm_hi refuse refuse_lo refuse_hi
if h5dump -A -d /lm_scaling "$H" | grep -q 'ATTRIBUTE "fit_slope"'; then
  ok "/lm_scaling carries the loss fit attributes"; else bad "/lm_scaling carries the loss fit attributes" "no fit_slope"; fi
miss=""
for g in lm_scaling distill_help_harm; do [ -s "$TMP/res/$g.gp" ] && [ -s "$TMP/png/$g.png" ] || miss="$miss $g"; done
if [ -z "$miss" ]; then ok "LM figure scripts drawn"; else bad "LM figure scripts drawn" "missing:$miss"; fi
miss=""
for g in fig13_reward_vs_sqrt_kl fig04_train_vs_test_pm fig33_test_pm_end fig14_benign_vs_redteam rl_help_harm \
         beyond_overoptimization; do
  [ -s "$TMP/res/$g.gp" ] && [ -s "$TMP/png/$g.png" ] || miss="$miss $g"
done
if [ -z "$miss" ]; then ok "RL figure scripts drawn"; else bad "RL figure scripts drawn" "missing:$miss"; fi
# issue 15: readable RL figures. fig04 draws one panel per PM scale (as many
# as its $gap block has rows); PPO panels show the score's interval as a band
# and sqrt(KL)'s as thin bars, never crossed two-way bars; rl_help_harm puts
# the log-spaced evaluations on a log iteration axis with bands
g4=$TMP/res/fig04_train_vs_test_pm.gp
npm=$(sed -n '/^\$gap << EOD/,/^EOD/p' "$g4" | grep -c '^[0-9]')
npanel=$(grep -c '^plot \$curves index [0-9]* u 1:6:7 w filledcurves' "$g4")
if [ "$npm" -ge 2 ] && [ "$npanel" -eq "$npm" ]; then ok "fig04: one panel per PM scale ($npanel)"
else bad "fig04: one panel per PM scale" "$npanel panels for $npm PM scales"; fi
x2=$(cat "$g4" "$TMP/res/fig13_reward_vs_sqrt_kl.gp" | grep -c 'xyerrorbars')
x2o=$(grep 'xyerrorbars' "$TMP/res/beyond_overoptimization.gp" | grep -c '\$m1')
b13=$(grep -c '\$p[01] index [0-9]* u 1:5:6 w filledcurves' "$TMP/res/fig13_reward_vs_sqrt_kl.gp")
if [ "$x2" -eq 0 ] && [ "$x2o" -eq 0 ] && [ "$b13" -ge 2 ]; then ok "PPO panels: score bands, no crossed two-way bars"
else bad "PPO panels: score bands, no crossed two-way bars" "xyerrorbars fig04+fig13 $x2, overopt PPO $x2o; fig13 bands $b13"; fi
gh=$TMP/res/rl_help_harm.gp
if grep -q '^set logscale x' "$gh" && grep -q '^set xtics ("0" 1, "1" 2' "$gh" \
   && [ "$(grep -o 'w filledcurves' "$gh" | wc -l)" -ge 6 ] && ! grep -q 'yerrorlines' "$gh"; then
  ok "rl_help_harm: log iteration axis (0 at 1), bands on both variants in 3 panels"
else bad "rl_help_harm: log iteration axis (0 at 1), bands on both variants in 3 panels" "see $gh"; fi
mkdir -p "$TMP/norl" && cp "$R/world.h5" "$TMP/norl/" && ln -s "$(cd "$R" && pwd)/pm" "$TMP/norl/pm"
expect_exit "hhfit on a run without rl/" 0 "$FIT" "$TMP/norl" -o "$TMP/resnorl" --quiet
if h5dump -A -d /fig13_reward_vs_sqrt_kl "$TMP/resnorl/tables.h5" | grep -q 'ATTRIBUTE "missing"' \
   && [ ! -e "$TMP/resnorl/fig13_reward_vs_sqrt_kl.gp" ] \
   && grep -q '^| reward_linear_in_sqrt_kl .*\*\*PENDING\*\* |$' "$TMP/resnorl/claims.md"; then
  ok "no rl/: RL tables marked missing, no RL scripts, RL claims PENDING"
else bad "no rl/: RL tables marked missing, no RL scripts, RL claims PENDING" "see $TMP/resnorl"; fi
if h5dump -A -d /lm_scaling "$TMP/resnorl/tables.h5" | grep -q 'ATTRIBUTE "missing"' \
   && h5dump -A -d /distill_eval "$TMP/resnorl/tables.h5" | grep -q 'ATTRIBUTE "missing"' \
   && [ ! -e "$TMP/resnorl/lm_scaling.gp" ] && [ ! -e "$TMP/resnorl/distill_help_harm.gp" ] \
   && grep -q '^| distill_improves_help .*\*\*PENDING\*\* |$' "$TMP/resnorl/claims.md"; then
  ok "no lm/ or distill/: LM tables marked missing, no LM scripts, LM claims PENDING"
else bad "no lm/ or distill/: LM tables marked missing, no LM scripts, LM claims PENDING" "see $TMP/resnorl"; fi
mkdir -p "$TMP/alone" && cp "$TMP/res/fig07_pm_accuracy_scaling.gp" "$TMP/alone/"
if (cd / && gnuplot "$TMP/alone/fig07_pm_accuracy_scaling.gp") 2>/dev/null && [ -s "$TMP/alone/fig07_pm_accuracy_scaling.png" ]; then
  ok "a script copied elsewhere draws beside itself"; else bad "a script copied elsewhere draws beside itself" "no PNG"; fi

# --- claims.md: one row per claims.tsv id, each with a verdict
ids=$(grep -v '^#' papers/bai2022/claims.tsv | grep -v '^id	' | cut -f1)
miss=""
for id in $ids; do
  c=$(grep -c "^| $id | .*\*\*\(REPRODUCED\|NOT REPRODUCED\|INCONCLUSIVE\|PENDING\)\*\* |$" "$TMP/res/claims.md")
  [ "$c" -eq 1 ] || miss="$miss $id($c)"
done
rows=$(grep '^| [a-z0-9_]* | ' "$TMP/res/claims.md" | grep -vc '^| id |')
if [ -z "$miss" ] && [ "$rows" -eq "$(echo "$ids" | wc -l)" ]; then ok "claims.md: one row per claims.tsv id ($rows)"
else bad "claims.md: one row per claims.tsv id" "bad:$miss rows=$rows"; fi
if grep '^| ' "$TMP/res/claims.md" | grep -v PENDING | grep '\*\*' | grep -vq '[0-9]\.[0-9]* \[' ; then
  bad "every verdict has its number" "a non-pending row lacks 'x [lo, hi]'"; else ok "every verdict has its number"; fi

# --- bad input: exit 2 with one line naming the problem
one_line "missing run dir" "$TMP/nope: no such run directory" "$FIT" "$TMP/nope" -o "$TMP/r2"
mkdir -p "$TMP/fake/pm" && echo "not hdf5" >"$TMP/fake/world.h5"
one_line "non-hhsim world.h5" "fake/world.h5: not an HDF5 file" "$FIT" "$TMP/fake" -o "$TMP/r2"
mkdir -p "$TMP/nopm" && cp "$R/world.h5" "$TMP/nopm/"
one_line "run without PMs" "nopm/pm: no such directory" "$FIT" "$TMP/nopm" -o "$TMP/r2"
mkdir -p "$TMP/wrong/pm" && cp "$R/world.h5" "$TMP/wrong/" && cp "$R/lm/xs.h5" "$TMP/wrong/pm/x.h5"
one_line "an LM file in pm/" "is an hhsim 'lm' file; expected a 'pm' file" "$FIT" "$TMP/wrong" -o "$TMP/r2"
mkdir -p "$TMP/baddi/distill" && cp "$R/world.h5" "$TMP/baddi/" && ln -s "$(cd "$R" && pwd)/pm" "$TMP/baddi/pm" \
  && cp "$R/lm/xs.h5" "$TMP/baddi/distill/xs.h5"
one_line "an LM file in distill/" "baddi/distill/xs.h5: is an hhsim 'lm' file; expected a 'distill' file" \
  "$FIT" "$TMP/baddi" -o "$TMP/r2"
one_line "missing -o" "usage: hhfit RUN_DIR -o RESULTS_DIR" "$FIT" "$R"

# --- two runs, identical results; a failing run keeps the earlier ones
expect_exit "hhfit again" 0 "$FIT" "$R" -o "$TMP/res2" --quiet
if h5diff --exclude-attribute / "$H" "$TMP/res2/tables.h5" >"$TMP/diff" 2>&1 && [ ! -s "$TMP/diff" ]; then
  ok "two hhfit runs: identical tables.h5"; else bad "two hhfit runs: identical tables.h5" "$(head -3 "$TMP/diff")"; fi
if diff -r -x tables.h5 "$TMP/res" "$TMP/res2" >/dev/null; then ok "two hhfit runs: identical scripts and claims.md"
else bad "two hhfit runs: identical scripts and claims.md" "$(diff -r -x tables.h5 "$TMP/res" "$TMP/res2" | head -3)"; fi
cp -r "$TMP/res" "$TMP/before"
printf 'x\t7\tsize\tno_such_statistic\t> 0\twhy\n' >"$TMP/bad.tsv"
one_line "unknown statistic in claims.tsv" "bad.tsv:1: unknown statistic 'no_such_statistic'" \
  "$FIT" "$R" -o "$TMP/res" --claims "$TMP/bad.tsv"
cp "$R/world.h5" "$TMP/wrong/" && rm -f "$TMP/wrong/pm/x.h5" && cp "$R/pm/xs_n100_h050_pmp1_s0.h5" "$TMP/wrong/pm/" \
  && cp "$R/lm/s.h5" "$TMP/wrong/pm/zz.h5" && cp -r "$R/lm" "$R/distill" "$R/pmp" "$TMP/wrong/"  # the good PM's inputs
one_line "a bad file among good ones" "pm/zz.h5: is an hhsim 'lm' file" "$FIT" "$TMP/wrong" -o "$TMP/res"
if diff -r "$TMP/before" "$TMP/res" >/dev/null && ! ls "$TMP/res" | grep -q '\.tmp\.'; then
  ok "failing runs leave earlier results untouched"; else bad "failing runs leave earlier results untouched" "results changed"; fi
echo "# figures.sh took $(( $(date +%s) - t0 )) s"
