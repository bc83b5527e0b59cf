#!/usr/bin/env bash
# evals.sh - the evals stage on the smoke run: one file per base LM, distilled
# LM and RL policy; the same bits for 1 and 2 jobs; skipped when up to date;
# hhfit's alignment-tax tables, figure and claims; bad evals files refused
# by hhfit with exit 2 and one line naming the file and object; off with
# [evals] items = 0; --help from the stage table.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

HF=${HF:-bin/hhfit}
CR=${CR:-bin/tests/h5craft}
P=params/smoke.ini
R="$TMP/run"

HH_TIMEOUT=300  # hhfit on a loaded 2-core machine

t0=$(date +%s)
expect_exit "smoke run with evals, 2 jobs" 0 "$HH" run $P -o "$R" --jobs 2 --quiet
echo "# smoke run took $(( $(date +%s) - t0 )) s"
# one file per job the plan lists: scales xs, s (lm, distill) and the RL policies (hh, helpful, every
# seed) trained against the largest PM
want=$("$HH" run $P -o "$TMP/plan" --dry-run 2>/dev/null | awk '$1 == "evals" {sub("evals/", "", $2); print $2}' | sort | tr '\n' ' ' | sed 's/ $//')
nwant=$(echo "$want" | wc -w)
got=$(cd "$R/evals" 2>/dev/null && ls *.h5 | sed 's/\.h5$//' | sort | tr '\n' ' ' | sed 's/ $//')
if [ "$nwant" -ge 8 ] && [ "$got" = "$want" ]; then ok "evals: one file per base LM, distilled LM and RL policy ($nwant)"
else bad "evals: one file per model" "got '$got'"; fi
if h5dump -A -a /job/model "$R/evals/xs_s_hh_s0.h5" 2>/dev/null | grep -q '"rl/xs_s_hh_s0.h5"' \
   && [ "$(h5col "$R/evals/xs_lm.h5" /evals/accuracy | wc -l)" -eq 12 ]; then
  ok "evals files name their model and hold accuracy (2 x 6)"; else bad "evals file layout" "$(bin/hhsim inspect "$R/evals/xs_lm.h5" | head -20)"; fi
expect_exit "hhsim inspect an evals file" 0 "$HH" inspect "$R/evals/s_s_hh_s0.h5"

# the same bits with 1 job; up to date afterwards
cp -a "$R" "$TMP/j1" && rm -rf "$TMP/j1/evals"
expect_exit "evals alone, 1 job" 0 "$HH" evals $P -o "$TMP/j1" --jobs 1 --quiet
diffs=""
for f in $want; do
  h5diff --exclude-attribute / "$R/evals/$f.h5" "$TMP/j1/evals/$f.h5" >/dev/null 2>&1 || diffs="$diffs $f"
done
if [ -z "$diffs" ]; then ok "evals files identical for 1 and 2 jobs"; else bad "evals identical for 1 and 2 jobs" "differ:$diffs"; fi
"$HH" run $P -o "$R" 2>"$TMP/e" >/dev/null
if grep -q "evals: 0 jobs to run, $nwant up to date" "$TMP/e"; then ok "evals skipped when up to date"
else bad "evals skipped when up to date" "$(grep evals "$TMP/e")"; fi

# hhfit: tables, figure, claims with verdicts
expect_exit "hhfit on the run with evals" 0 "$HF" "$R" -o "$TMP/res" --quiet
nrow=$(h5dump -H -d /alignment_tax "$TMP/res/tables.h5" 2>/dev/null | grep -oE 'DATASPACE  SIMPLE \{ \( [0-9]+' | grep -oE '[0-9]+$')
if [ "${nrow:-0}" -eq 16 ] && [ -s "$TMP/res/fig03_alignment_tax.gp" ]; then
  ok "/alignment_tax: 16 rows (2 RLHF x 2 baselines x 2 shots x 2 scales), fig03 script"
else bad "/alignment_tax and fig03" "rows ${nrow:-none}; $(ls "$TMP/res" | grep fig03)"; fi
n=$(grep -cE '^\| alignment_(tax_small_models|bonus_large_models) .*\*\*(REPRODUCED|NOT REPRODUCED|INCONCLUSIVE)\*\*' "$TMP/res/claims.md")
if [ "$n" -eq 2 ]; then ok "the two per-scale alignment claims get verdicts"; else bad "alignment claims get verdicts" "$(grep alignment "$TMP/res/claims.md" | head -3)"; fi
# the slope across scales needs >= 3 policy scales (its interval includes the fit's t interval): smoke has 2
if grep -qE '^\| alignment_delta_rises_with_scale .*\*\*PENDING\*\*' "$TMP/res/claims.md"; then
  ok "the alignment slope is PENDING on 2 policy scales (a line's interval across scales needs >= 3)"
else bad "alignment slope on 2 scales" "$(grep alignment_delta "$TMP/res/claims.md" | head -1 | cut -c1-300)"; fi
# seen / unseen split: 4 model kinds x 2 scales x 2 shots x (seen, unseen); the seen rows hold
# exactly the items /items/seen marks, and copy/reverse/sort are never seen
nrow=$(h5dump -H -d /evals_seen "$TMP/res/tables.h5" 2>/dev/null | grep -oE 'DATASPACE  SIMPLE \{ \( [0-9]+' | grep -oE '[0-9]+$')
nseen=$(h5col "$R/evals/xs_lm.h5" /items/seen | awk '{s += $1} END {print s + 0}')
dump=$(h5dump -d /evals_seen -y "$TMP/res/tables.h5" 2>/dev/null | tr -d '\n ')
# seen rows: ..., "seen", n_facts, n_copy, n_reverse, n_sort, n_lookup, n_make, n_seeds, n_items, ...
nok=$(echo "$dump" | grep -oE '"seen",[0-9]+,[0-9]+,[0-9]+,[0-9]+,[0-9]+,[0-9]+,[0-9]+,[0-9]+,' |
      awk -F, -v m="$nseen" '$3 == 0 && $4 == 0 && $5 == 0 && $2 + $6 + $7 == m && $9 == m' | wc -l)
if [ "${nrow:-0}" -eq 32 ] && [ "$nok" -eq 16 ] && [ "$nseen" -gt 0 ]; then
  ok "/evals_seen: 32 rows, seen rows hold the $nseen items /items/seen marks, no copy/reverse/sort among them"
else bad "/evals_seen" "rows ${nrow:-none}, seen items $nseen, $nok of 16 seen rows right: $(echo "$dump" | grep -oE '"seen",[0-9,]+' | head -3)"; fi

# the RL validity gate: recomputed from each RL policy's curve and its /model kept_iter
gate_of() {  # gate_of RLFILE: 1 when help_benign at kept_iter >= help_benign at iteration 0 - 0.10
  local k; k=$(h5dump -A -a /model/kept_iter "$1" 2>/dev/null | sed -n '/DATA {/,/}/p' | grep -oE '\(0\): -?[0-9]+' | grep -oE -- '-?[0-9]+$')
  paste <(vals "$1" /curve/iter) <(vals "$1" /curve/help_benign) |
    awk -v k="$k" '$1 == 0 {h0 = $2; z = 1} $1 == k {hk = $2; y = 1} END {if (!z || !y) print "x"; else print (hk >= h0 - 0.10) ? 1 : 0}'
}
vals() { h5dump -m '%.17g' -d "$2" -y "$1" 2>/dev/null | sed -n '/DATA {/,/}/{p;/}/q}' | tr ',' '\n' | grep -oE -- '-?(nan|[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?)'; }
nrl=0; ninv_xs=0; nxs=0; gates=""
for f in $want; do
  case $f in *_hh_s*|*_helpful_s*) ;; *) continue;; esac
  g=$(gate_of "$R/rl/$f.h5"); gates="$gates $f:$g"; nrl=$((nrl + 1))
  case $f in xs_*_hh_s*) nxs=$((nxs + 1)); [ "$g" = 0 ] && ninv_xs=$((ninv_xs + 1));; esac
done
nrow=$(h5dump -H -d /rl_gate "$TMP/res/tables.h5" 2>/dev/null | grep -oE 'DATASPACE  SIMPLE \{ \( [0-9]+' | grep -oE '[0-9]+$')
small=$(grep "^alignment_tax_small_models," "$TMP/res/claims.csv")
if [ "${nrow:-0}" -eq "$nrl" ] && ! echo "$gates" | grep -q ':x' && \
   { { [ "$ninv_xs" -gt 0 ] && echo "$small" | grep -q ",INCONCLUSIVE,\"RL validity gate: $ninv_xs of $nxs policies invalid"; } || \
     { [ "$ninv_xs" -eq 0 ] && echo "$small" | grep -q "RL validity gate: all $nxs policies valid"; }; }; then
  ok "/rl_gate: $nrl policies; the smallest-scale claim follows the gate ($ninv_xs of $nxs invalid):$gates"
else bad "RL validity gate" "rows ${nrow:-none} of $nrl,$gates; claim: $(echo "$small" | cut -c1-300)"; fi
# a crafted collapse: one xs HH policy's benign help 1 at iteration 0 and 0 at every later evaluation -> invalid,
# the smallest-scale claim INCONCLUSIVE (n = RL seeds), the largest-scale claim unaffected
rm -rf "$TMP/g" && cp -a "$R" "$TMP/g"
F0=$(echo "$want" | tr ' ' '\n' | grep -E '^xs_.*_hh_s0$')
"$CR" "$TMP/g/rl/$F0.h5" fill /curve/help_benign 0 >/dev/null && "$CR" "$TMP/g/rl/$F0.h5" set /curve/help_benign 0 1 >/dev/null
kept=$(vals "$TMP/g/rl/$F0.h5" /curve/iter | tail -1)  # hand on the last evaluation
"$CR" "$TMP/g/rl/$F0.h5" attr-int model kept_iter "$kept" >/dev/null
expect_exit "hhfit on a run with a collapsed policy" 0 "$HF" "$TMP/g" -o "$TMP/gres" --quiet
small=$(grep "^alignment_tax_small_models," "$TMP/gres/claims.csv"); large=$(grep "^alignment_bonus_large_models," "$TMP/gres/claims.csv")
if [ "${kept:-0}" -gt 0 ] && echo "$small" | grep -qE ",$nxs,< 0,INCONCLUSIVE,\"RL validity gate: [1-9][0-9]* of $nxs policies invalid \(.*$F0 1\.000 -> 0\.000 at iter $kept" \
   && ! echo "$large" | grep -q "policies invalid (.*$F0"; then
  ok "a policy whose benign help fell from 1 to 0 by its kept iteration $kept makes the smallest-scale alignment claim INCONCLUSIVE (n = $nxs seeds)"
else bad "crafted collapse" "kept ${kept:-none}; small: $(echo "$small" | cut -c1-400)"; fi

if command -v gnuplot >/dev/null && mkdir -p "$TMP/png" && gnuplot -e "outdir='$TMP/png'" "$TMP/res/fig03_alignment_tax.gp" 2>/dev/null \
   && [ -s "$TMP/png/fig03_alignment_tax.png" ]; then ok "fig03_alignment_tax.gp draws"; else bad "fig03_alignment_tax.gp draws" "no png"; fi

# bad evals files: hhfit refuses with exit 2 and one line naming file and object
bad_run() {  # bad_run NAME FILE PATTERN ACTION ARGS...: a copy of the run with FILE crafted
  local name=$1 file=$2 pat=$3; shift 3
  rm -rf "$TMP/b" && cp -a "$R" "$TMP/b" && "$CR" "$TMP/b/evals/$file" "$@" >/dev/null \
    || { bad "$name" "h5craft $* failed"; return; }
  expect_one_line "$name" 2 "$pat" "$HF" "$TMP/b" -o "$TMP/bres" --quiet
}
bad_run "hhfit refuses correct = 2" xs_lm.h5 'evals/xs_lm\.h5: .*evals/correct' set /evals/correct 3 2
bad_run "hhfit refuses a NaN margin" s_distill.h5 'evals/s_distill\.h5: .*evals/margin' set /evals/margin 0 nan
bad_run "hhfit refuses a set index out of range" xs_s_hh_s0.h5 'evals/xs_s_hh_s0\.h5: .*items/set' set /items/set 0 9
bad_run "hhfit refuses a missing items/query" s_lm.h5 'evals/s_lm\.h5: .*items/query' delete /items/query
bad_run "hhfit refuses items that differ between files" xs_s_hh_s0.h5 'evals/xs_s_hh_s0\.h5: items/query differs' set /items/query 1 30
bad_run "hhfit refuses a resized correct" s_s_hh_s0.h5 'evals/s_s_hh_s0\.h5: .*evals/correct' resize /evals/correct 5 1
# the gate's reader: kept_iter must be one integer that is one of /curve/iter, kept_kl one finite KL >= 0
bad_rl() {  # bad_rl NAME FILE PATTERN ACTION ARGS...: a copy of the run with rl/FILE crafted
  local name=$1 file=$2 pat=$3; shift 3
  rm -rf "$TMP/b" && cp -a "$R" "$TMP/b" && "$CR" "$TMP/b/rl/$file" "$@" >/dev/null \
    || { bad "$name" "h5craft $* failed"; return; }
  expect_one_line "$name" 2 "$pat" "$HF" "$TMP/b" -o "$TMP/bres" --quiet
}
notev=$(( $(vals "$R/rl/xs_s_hh_s1.h5" /curve/iter | tail -1) + 1 ))  # after the last evaluation
bad_rl "hhfit refuses a kept_iter that is not an evaluation" xs_s_hh_s1.h5 "rl/xs_s_hh_s1\\.h5: attribute kept_iter on /model is $notev; allowed: one of /curve/iter" attr-int model kept_iter $notev
bad_rl "hhfit refuses a float kept_iter" s_s_hh_s0.h5 'rl/s_s_hh_s0\.h5: attribute kept_iter on /model is of another type' attr-double model kept_iter 2
bad_rl "hhfit refuses a NaN kept_kl" s_s_helpful_s1.h5 'rl/s_s_helpful_s1\.h5: attribute kept_kl on /model' attr-double model kept_kl nan

# [evals] items = 0: the stage is off, the rest up to date
sed 's/^items = 16$/items = 0/' $P >"$TMP/off.ini"
"$HH" run "$TMP/off.ini" -o "$TMP/j1" 2>"$TMP/e" >/dev/null; rc=$?
if [ "$rc" -eq 0 ] && grep -q "evals: off (\[evals\] items = 0)" "$TMP/e"; then ok "[evals] items = 0 switches evals off"
else bad "[evals] items = 0 switches evals off" "exit $rc: $(tail -3 "$TMP/e")"; fi
if "$HH" help evals | grep -q "^usage: hhsim evals PARAMS" && "$HH" run --help | grep -q "^  evals "; then
  ok "hhsim help evals and run --help from the table"; else bad "help evals" "no usage line or not in run --help"; fi
