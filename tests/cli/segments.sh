#!/usr/bin/env bash
# segments.sh - the segments stage (whose values; sim/stages/segments.h) on the
# smoke run: one file per RL policy scale and seed; the pool segment's
# utilities are the crowd's gold criterion of the file's gold help and harm
# (help on benign prompts, harm less redteam_help_weight x help on red-team
# ones), the other segments' follow their weights; the same bits for 1 and 2
# jobs; hhfit's /segments_gap, fig_segments and the representation-gap claims;
# crafted segments files refused by hhfit with exit 2 and one line naming the
# file and object; off with [segments] prompts = 0; help from the stage table.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

HF=${HF:-bin/hhfit}
CR=${CR:-bin/tests/h5craft}
P=params/smoke.ini
R="$TMP/run"
HH_TIMEOUT=300  # hhfit on a loaded 2-core machine

# every value of a dataset at full precision, one per line
vals() {
  h5dump -m '%.17g' -d "$2" -y "$1" 2>/dev/null | sed -n '/DATA {/,/}/{p;/}/q}' | tr ',' '\n' |
    grep -oE -- '-?(nan|[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?)'
}

t0=$(date +%s)
expect_exit "smoke run with segments (evals off), 2 jobs" 0 "$HH" run $P -o "$R" --jobs 2 --quiet --set evals.items=0
echo "# smoke run took $(( $(date +%s) - t0 )) s"
want=$("$HH" run $P -o "$TMP/plan" --set evals.items=0 --dry-run 2>/dev/null | awk '$1 == "segments" {sub("segments/", "", $2); print $2}' | sort | tr '\n' ' ' | sed 's/ $//')
nwant=$(echo "$want" | wc -w)
got=$(cd "$R/segments" 2>/dev/null && ls *.h5 | sed 's/\.h5$//' | sort | tr '\n' ' ' | sed 's/ $//')
if [ "$nwant" -eq 4 ] && [ "$got" = "$want" ]; then ok "segments: one file per policy scale and seed ($nwant)"
else bad "segments: one file per policy scale and seed" "want '$want', got '$got'"; fi
F="$R/segments/s_s_s0.h5"
if h5dump -A -a /job/policies "$F" 2>/dev/null | grep -q '"rl/s_s_hh_s0.h5,rl/s_s_helpful_s0.h5"' \
   && h5dump -A -a /job/distill "$F" 2>/dev/null | grep -q '"distill/s.h5"' \
   && h5dump -A -a /samples/models "$F" 2>/dev/null | grep -q '"distill,hh,helpful"' \
   && h5dump -A -a /segments/names "$F" 2>/dev/null | grep -q '"pool,refusal_averse,cautious"'; then
  ok "segments file names its models and segments"; else bad "segments file attributes" "$(bin/hhsim inspect "$F" | tail -20)"; fi
expect_exit "hhsim inspect a segments file" 0 "$HH" inspect "$F"

# utilities: recomputed from the file's gold help, harm, refusal and the prompts' kinds
for f in $want; do
  F="$R/segments/$f.h5"
  vals "$F" /samples/kind >"$TMP/kind"; vals "$F" /samples/help >"$TMP/help"
  vals "$F" /samples/harm >"$TMP/harm"; vals "$F" /samples/refuse >"$TMP/ref"
  vals "$F" /segments/utility >"$TMP/util"; vals "$F" /segments/p_win >"$TMP/pwin"
  vals "$F" /segments/wins >"$TMP/wins"; vals "$F" /segments/ref_utility >"$TMP/refu"
  vals "$F" /segments/scale >"$TMP/scale"
  res=$(awk -v n="$(wc -l <"$TMP/kind")" '
    FILENAME ~ /kind$/ {k[FNR - 1] = $1; next}
    FILENAME ~ /help$/ {h[FNR - 1] = $1; next}
    FILENAME ~ /harm$/ {x[FNR - 1] = $1; next}
    FILENAME ~ /ref$/  {r[FNR - 1] = $1; next}
    FILENAME ~ /util$/ {u[FNR - 1] = $1; next}
    FILENAME ~ /pwin$/ {if ($1 < 0 || $1 > 1) bad++; pw++; next}
    FILENAME ~ /wins$/ {if ($1 < 0 || $1 > 4) bad++; wn++; next}
    FILENAME ~ /refu$/ {ru[FNR - 1] = $1; next}
    FILENAME ~ /scale$/ {sc[FNR - 1] = $1; nsc++; next}
    END {
      # each segment scale: sample sd over prompts of u(distilled) - u(reference distilled sample)
      for (s = 0; s < 3; s++) {
        m = 0; for (i = 0; i < n; i++) m += (u[(s * 3) * n + i] - ru[s * n + i]) / n
        q = 0; for (i = 0; i < n; i++) { d = u[(s * 3) * n + i] - ru[s * n + i] - m; q += d * d }
        sd = sqrt(q / (n - 1)); if (!(sd > 0)) sd = 1
        d = sd - sc[s]; if (d < 0) d = -d
        if (d > 1e-9 * sd || nsc != 3) { bad++; badscale++ }
        if (sd != 1) nstd++
      }
      # weights: pool (1,0,0 | 0.25,1,0), refusal_averse (1,0,0.5 | 1,0.5,0.5), cautious (1,1,0 | 0,2,-0.25)
      split("1 0 0 0.25 1 0", W0); split("1 0 0.5 1 0.5 0.5", W1); split("1 1 0 0 2 -0.25", W2)
      for (s = 0; s < 3; s++) for (m = 0; m < 3; m++) for (i = 0; i < n; i++) {
        j = m * n + i; g = (k[i] >= 2) ? 3 : 0
        if (s == 0) { a = W0[g+1]; b = W0[g+2]; c = W0[g+3] }
        if (s == 1) { a = W1[g+1]; b = W1[g+2]; c = W1[g+3] }
        if (s == 2) { a = W2[g+1]; b = W2[g+2]; c = W2[g+3] }
        want = a * h[j] - b * x[j] - c * r[j]; got = u[(s * 3 + m) * n + i]
        d = want - got; if (d < 0) d = -d
        if (d > 1e-12) bad++
        if (s == 0) {  # the pool: the crowd criterion itself, every model
          pool = (k[i] >= 2) ? 0.25 * h[j] - x[j] : h[j]; d = pool - got; if (d < 0) d = -d; if (d > 1e-12) bad++
        }
        cnt++; if (r[j] == 1) nref++; if (x[j] > 0) nharm++
      }
      print cnt, bad + 0, pw, wn, nref + 0, nharm + 0, n, badscale + 0, nstd + 0
    }' "$TMP/kind" "$TMP/help" "$TMP/harm" "$TMP/ref" "$TMP/util" "$TMP/pwin" "$TMP/wins" "$TMP/refu" "$TMP/scale")
  set -- $res
  if [ "${1:-0}" -gt 0 ] && [ "$1" -eq $((9 * $7)) ] && [ "$2" -eq 0 ] && [ "$3" -eq $((6 * $7)) ] && [ "$4" -eq "$3" ]; then :
  else bad "segment utilities of $f" "checked ${1:-0} utilities, $2 wrong (${8:-?} bad scales); p_win $3, wins $4 of $((6 * ${7:-0}))"; continue; fi
  okfiles="$okfiles $f ($5 refusals, $6 harmful of $(( $7 * 3 )) samples, $9 of 3 scales from a nonzero sd)"
done
if [ -n "${okfiles:-}" ] && [ "$(echo "$okfiles" | grep -o '(' | wc -l)" -eq "$nwant" ]; then
  ok "utilities: pool = crowd criterion (help | 0.25 help - harm), other segments by their weights, scale = sd of distilled - reference distilled utility, p_win and wins in range:$okfiles"
fi
# the stage's own totals: some refusals and some harm among the samples, so the weights were exercised
if echo "$okfiles" | grep -qE '\([1-9][0-9]* refusals, [1-9][0-9]* harmful'; then ok "samples include refusals and harmful responses"
else bad "samples include refusals and harmful responses" "$okfiles"; fi

# the same bits with 1 job; up to date afterwards
cp -a "$R" "$TMP/j1" && rm -rf "$TMP/j1/segments"
expect_exit "segments alone, 1 job" 0 "$HH" segments $P -o "$TMP/j1" --jobs 1 --quiet --set evals.items=0
diffs=""
for f in $want; do
  h5diff --exclude-attribute / "$R/segments/$f.h5" "$TMP/j1/segments/$f.h5" >/dev/null 2>&1 || diffs="$diffs $f"
done
if [ -z "$diffs" ]; then ok "segments files identical for 1 and 2 jobs"; else bad "segments identical for 1 and 2 jobs" "differ:$diffs"; fi
"$HH" run $P -o "$R" --set evals.items=0 2>"$TMP/e" >/dev/null
if grep -q "segments: 0 jobs to run, $nwant up to date" "$TMP/e"; then ok "segments skipped when up to date"
else bad "segments skipped when up to date" "$(grep segments "$TMP/e")"; fi

# hhfit: table, figure, claims with verdicts
expect_exit "hhfit on the run with segments" 0 "$HF" "$R" -o "$TMP/res" --quiet
nrow=$(h5dump -H -d /segments_gap "$TMP/res/tables.h5" 2>/dev/null | grep -oE 'DATASPACE  SIMPLE \{ \( [0-9]+' | grep -oE '[0-9]+$')
if [ "${nrow:-0}" -eq 16 ] && [ -s "$TMP/res/fig_segments.gp" ]; then
  ok "/segments_gap: 16 rows (2 RLHF x 2 scales x (3 segments + population)), fig_segments script"
else bad "/segments_gap and fig_segments" "rows ${nrow:-none}; $(ls "$TMP/res" | grep segments)"; fi
n=$(grep -cE '^\| segment_(gap_refusal_averse|gap_cautious_helpful|utility_gap_refusal_averse) .*\*\*(REPRODUCED|NOT REPRODUCED|INCONCLUSIVE)\*\*' "$TMP/res/claims.md")
if [ "$n" -eq 3 ]; then ok "the three representation-gap claims get verdicts"; else bad "segment claims get verdicts" "$(grep segment_ "$TMP/res/claims.md" | head -3)"; fi
# the win-rate gap is the mean of p_win (noise-free), not of the drawn wins: recomputed from the
# largest scale's files (pool minus refusal_averse, HH: rows (0, 0) and (1, 0) of (S, M - 1, n))
big=$(echo "$want" | tr ' ' '\n' | grep '^s_' | tr '\n' ' ')
recomp() {  # recomp DATASET DIVISOR: mean over the big scale's seeds and prompts of pool - refusal_averse
  for f in $big; do vals "$R/segments/$f.h5" "$1" | awk -v f="$f" '{print f, NR - 1, $1}'; done |
    awk -v S=3 -v dv="$2" '{v[$1, $2] = $3; c[$1]++; if (!($1 in seen)) {seen[$1] = 1; nf++; fl[nf] = $1}}
      END {n = c[fl[1]] / (S * 2); t = 0; for (k = 1; k <= nf; k++) for (i = 0; i < n; i++)
             t += (v[fl[k], i] - v[fl[k], 2 * n + i]) / dv; printf "%.12g\n", t / (nf * n)}'
}
want_gap=$(recomp /segments/p_win 1); wins_gap=$(recomp /segments/wins 4)
got=$(grep -oE '^segment_gap_refusal_averse,.*,segments_win_gap_hh_refusal_averse,-?[0-9.e+-]+,-?[0-9.e+-]+,-?[0-9.e+-]+,[0-9]+,' "$TMP/res/claims.csv" |
      awk -F, '{print $(NF-4), $(NF-1)}')
set -- $got
if [ -n "${1:-}" ] && awk -v a="$1" -v b="$want_gap" -v w="$wins_gap" 'BEGIN {d = a - b; e = a - w; exit !((d < 0 ? -d : d) < 1e-9 && (e < 0 ? -e : e) > 1e-9)}' \
   && [ "${2:-}" = "$(echo $big | wc -w)" ]; then
  ok "segment_gap_refusal_averse = mean p_win gap $want_gap (not the drawn wins' $wins_gap), n = ${2} RL seeds"
else bad "win gap from p_win, n = seeds" "claims.csv estimate/n '${got}', p_win gap $want_gap, wins gap $wins_gap"; fi
if grep "^segment_gap_refusal_averse," "$TMP/res/claims.csv" | grep -q "idealised pool.*weights propagate, not a finding"; then
  ok "the gap claims' method calls the pool idealised and the direction a check, not a finding"
else bad "segment claim method" "$(grep "^segment_gap_refusal_averse," "$TMP/res/claims.csv" | cut -c1-400)"; fi
# ties reported separately: tie + favour <= 1 in every row, columns present
if h5dump -H -d /segments_gap "$TMP/res/tables.h5" 2>/dev/null | grep -q '"tie"' \
   && h5dump -H -d /segments_gap "$TMP/res/tables.h5" 2>/dev/null | grep -q '"win_untied"'; then
  ok "/segments_gap reports ties (tie, favour, win_untied)"; else bad "/segments_gap ties" "no tie/win_untied columns"; fi
if command -v gnuplot >/dev/null && mkdir -p "$TMP/png" && gnuplot -e "outdir='$TMP/png'" "$TMP/res/fig_segments.gp" 2>/dev/null \
   && [ -s "$TMP/png/fig_segments.png" ]; then ok "fig_segments.gp draws"; else bad "fig_segments.gp draws" "no png"; fi

# crafted segments files: hhfit refuses with exit 2 and one line naming file and object
bad_run() {  # bad_run NAME FILE PATTERN ACTION ARGS...: a copy of the run with FILE crafted
  local name=$1 file=$2 pat=$3; shift 3
  rm -rf "$TMP/b" && cp -a "$R" "$TMP/b" && "$CR" "$TMP/b/segments/$file" "$@" >/dev/null \
    || { bad "$name" "h5craft $* failed"; return; }
  expect_one_line "$name" 2 "$pat" "$HF" "$TMP/b" -o "$TMP/bres" --quiet
}
bad_run "hhfit refuses wins above matches" xs_s_s0.h5 'segments/xs_s_s0\.h5: .*segments/wins' set /segments/wins 5 5
bad_run "hhfit refuses a NaN utility" s_s_s1.h5 'segments/s_s_s1\.h5: .*segments/utility' set /segments/utility 7 nan
bad_run "hhfit refuses a p_win above 1" s_s_s0.h5 'segments/s_s_s0\.h5: .*segments/p_win' set /segments/p_win 0 1.5
bad_run "hhfit refuses a prompt kind out of range" xs_s_s1.h5 'segments/xs_s_s1\.h5: .*samples/kind' set /samples/kind 0 7
bad_run "hhfit refuses a missing p_win" s_s_s0.h5 'segments/s_s_s0\.h5: .*segments/p_win' delete /segments/p_win
bad_run "hhfit refuses prompts that differ between files" xs_s_s1.h5 'segments/xs_s_s1\.h5: samples/prompt or samples/kind differs' set /samples/prompt 1 299
bad_run "hhfit refuses a resized utility" s_s_s0.h5 'segments/s_s_s0\.h5: .*segments/utility' resize /segments/utility 5 0
bad_run "hhfit refuses a zero scale" s_s_s1.h5 'segments/s_s_s1\.h5: .*segments/scale' set /segments/scale 1 0
bad_run "hhfit refuses a missing ref_utility" xs_s_s0.h5 'segments/xs_s_s0\.h5: .*segments/ref_utility' delete /segments/ref_utility
bad_run "hhfit refuses other segment names" xs_s_s0.h5 'segments/xs_s_s0\.h5: attribute names of /segments' attr-fixstr segments names pool,picky,cautious

# [segments] prompts = 0: the stage is off, the rest up to date
"$HH" run $P -o "$TMP/j1" --set evals.items=0 --set segments.prompts=0 2>"$TMP/e" >/dev/null; rc=$?
if [ "$rc" -eq 0 ] && grep -q "segments: off (\[segments\] prompts = 0)" "$TMP/e"; then ok "[segments] prompts = 0 switches segments off"
else bad "[segments] prompts = 0 switches segments off" "exit $rc: $(tail -3 "$TMP/e")"; fi
expect_bad_params "the first segment must be the pool's criterion" '[segments]\nred_help = 0.5,1,0\n' \
  "\[segments\] names: the first segment \('pool'\) must be the crowd pool's own criterion"
if "$HH" help segments | grep -q "^usage: hhsim segments PARAMS" && "$HH" run --help | grep -q "^  segments "; then
  ok "hhsim help segments and run --help from the table"; else bad "help segments" "no usage line or not in run --help"; fi
