#!/usr/bin/env bash
# elo.sh - the elo stage on the smoke run: one tournament file per policy
# scale; every scheduled match stored, judged by held-out workers only; the
# same bits for 1 and 2 jobs; skipped when up to date; hhfit's Elo tables,
# figures and claims (online-dependent claims PENDING without an online
# stage); bad elo files refused by hhfit with exit 2 and one line naming the
# file and object; off with [elo] matches = 0; --help from the stage table.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

HF=${HF:-bin/hhfit}
CR=${CR:-bin/tests/h5craft}
P=params/smoke.ini
R="$TMP/run"

HH_TIMEOUT=300  # hhfit on a loaded 2-core machine

t0=$(date +%s)
expect_exit "smoke run with elo, 2 jobs" 0 "$HH" run $P -o "$R" --jobs 2 --quiet
echo "# smoke run took $(( $(date +%s) - t0 )) s"
got=$(cd "$R/elo" 2>/dev/null && ls *.h5 | sort | tr '\n' ' ')
if [ "$got" = "s.h5 xs.h5 " ]; then ok "elo: one file per policy scale"; else bad "elo: one file per policy scale" "got '$got'"; fi

# dims of a dataset
dim0() { h5dump -H -d "$2" "$1" 2>/dev/null | grep -oE 'DATASPACE  SIMPLE \{ \( [0-9]+' | grep -oE '[0-9]+$'; }
per=$(sed -n '/^\[elo\]/,/^\[/s/^matches = //p' $P)  # [elo] matches ([segments] has one too)
for s in xs s; do
  C=$(dim0 "$R/elo/$s.h5" /contestants/type); M=$(dim0 "$R/elo/$s.h5" /matches/winner)
  want=$(( C * (C - 1) * per ))  # 2 kinds x C(C-1)/2 pairs x per
  if [ "${C:-0}" -ge 5 ] && [ "${M:-0}" -eq "$want" ]; then ok "elo/$s: every match stored ($C contestants, $M matches)"
  else bad "elo/$s: every match stored" "C=${C:-none} M=${M:-none}, want $want"; fi
done
# xs (not the largest policy scale) has the anchor: the largest scale's distilled model
if h5dump -A -a /job/anchor "$R/elo/xs.h5" 2>/dev/null | grep -q '"s"' \
   && [ "$(h5col "$R/elo/xs.h5" /contestants/type | grep -c '^1$')" -eq 1 ] \
   && [ "$(h5col "$R/elo/s.h5" /contestants/type | grep -c '^1$')" -eq 0 ]; then
  ok "the largest scale's distilled model anchors the smaller scale's tournament"
else bad "anchor contestant" "$(h5col "$R/elo/xs.h5" /contestants/type | tr '\n' ' ')"; fi
# judges: the held-out pool only (ids from [crowd] n_workers = 40 up), both roles
minw=$(h5col "$R/elo/s.h5" /matches/worker | sort -n | head -1)
nw=$(h5col "$R/elo/s.h5" /matches/worker | sort -u | wc -l)
if [ "${minw:-0}" -ge 40 ] && [ "$nw" -ge 10 ]; then ok "matches judged by held-out workers only (ids >= 40, $nw workers)"
else bad "held-out judges" "smallest id ${minw:-none}, $nw workers"; fi
# winners are not all one side: both 0 and 1
if [ "$(h5col "$R/elo/s.h5" /matches/winner | sort -u | tr -d '\n')" = "01" ]; then ok "winners on both sides"
else bad "winners on both sides" "$(h5col "$R/elo/s.h5" /matches/winner | sort | uniq -c | tr '\n' ' ')"; fi
expect_exit "hhsim inspect an elo file" 0 "$HH" inspect "$R/elo/xs.h5"
# best-of-n: one pool per RL seed (referee 14 finding 4a): bon16_s0 and bon16_s1 of s.h5 answer
# differently; contestant order distill helpful_s0 helpful_s1 hh_s0 hh_s1 bon1_s0 bon1_s1 bon4_s0
# bon4_s1 bon16_s0 bon16_s1 reference
resp_of() { h5dump -d "/samples/resp[$2,0,0;;1,1,1;1,8,24]" -y -w0 "$1" 2>/dev/null | sed -n '/DATA {/,/}/p' | tr -d ' \n'; }
names=$(h5dump -a /contestants/names "$R/elo/s.h5" 2>/dev/null | grep -o '"distill[^"]*"')
a=$(resp_of "$R/elo/s.h5" 9); b=$(resp_of "$R/elo/s.h5" 10)
if [ "$names" = '"distill,helpful_s0,helpful_s1,hh_s0,hh_s1,bon1_s0,bon1_s1,bon4_s0,bon4_s1,bon16_s0,bon16_s1,reference"' ] \
   && [ -n "$a" ] && [ "$a" != "$b" ]; then ok "bon16_s0 and bon16_s1 draw from their own pools"
else bad "best-of-n pools per seed" "names $names; same answers: $([ "$a" = "$b" ] && echo yes)"; fi
# xs has online contestants (smoke's [online] scales = xs): their baselines under the xs PM
names=$(h5dump -a /contestants/names "$R/elo/xs.h5" 2>/dev/null | grep -o '"distill[^"]*"')
case "$names" in
  *hh_opm_s0,hh_opm_s1,bon1_opm_s0,bon1_opm_s1,bon4_opm_s0,bon4_opm_s1,bon16_opm_s0,bon16_opm_s1,reference*)
    ok "xs: static HH and best-of-n under the online lineage's PM";;
  *) bad "xs: online baselines" "$names";;
esac
if h5dump -a /samples/online_pms "$R/elo/xs.h5" 2>/dev/null | grep -q '"xs_n[^"]*half0,xs_n[^"]*half0"' \
   && h5dump -a /samples/test_pms "$R/elo/xs.h5" 2>/dev/null | grep -q '"s_n[^"]*half1,s_n[^"]*half1"'; then
  ok "xs: the online PMs (xs, half 0) and the test PMs (s, half 1) recorded"
else bad "xs: PM attributes" "$(h5dump -a /samples/online_pms "$R/elo/xs.h5" 2>&1 | grep '(0)')"; fi

# the same bits with 1 job; up to date afterwards
cp -a "$R" "$TMP/j1" && rm -rf "$TMP/j1/elo"
expect_exit "elo alone, 1 job" 0 "$HH" elo $P -o "$TMP/j1" --jobs 1 --quiet
diffs=""
for f in xs s; do
  h5diff --exclude-attribute / "$R/elo/$f.h5" "$TMP/j1/elo/$f.h5" >/dev/null 2>&1 || diffs="$diffs $f"
done
if [ -z "$diffs" ]; then ok "elo files identical for 1 and 2 jobs"; else bad "elo identical for 1 and 2 jobs" "differ:$diffs"; fi
"$HH" run $P -o "$R" 2>"$TMP/e" >/dev/null
if grep -q "elo: 0 jobs to run, 2 up to date" "$TMP/e"; then ok "elo skipped when up to date"
else bad "elo skipped when up to date" "$(grep elo "$TMP/e")"; fi

# hhfit: tables, figures, claims
expect_exit "hhfit on the run with elo" 0 "$HF" "$R" -o "$TMP/res" --quiet
nrow=$(dim0 "$TMP/res/tables.h5" /elo_ratings)
# xs: distill, anchor, helpful, hh, online_r1 and online (its last round; smoke's [online] scales = xs),
# hh_opm, bon1_opm, bon4_opm, bon16_opm, reference; s: distill, helpful, hh, bon1, bon4, bon16,
# reference; x 2 kinds
if [ "${nrow:-0}" -eq 36 ]; then ok "/elo_ratings: 36 rows (18 series x 2 kinds)"; else bad "/elo_ratings rows" "${nrow:-none}, want 36"; fi
# claims: n = the RL seeds (2 on smoke), not the matches; the crossed bootstrap in the notes
n=$(grep -cE '^(elo_helpful_only_tradeoff|crowd_elo_below_pm_elo|crowd_elo_slope_below_one|rejection_sampling_vs_rl),.*,2,(> 0|< 0|< 1),(REPRODUCED|NOT REPRODUCED|INCONCLUSIVE),' "$TMP/res/claims.csv")
if [ "$n" -eq 4 ] && grep -E '^\| crowd_elo_slope_below_one .*\*\*(REPRODUCED|NOT REPRODUCED|INCONCLUSIVE)\*\*' "$TMP/res/claims.md" >/dev/null \
   && grep -q 'crossed bootstrap (.*prompts, judges and RL seeds' "$TMP/res/claims.md" \
   && grep -q 'held-out test PMs .* re-selected in every resample' "$TMP/res/claims.md"; then
  ok "Elo claims: n = 2 seeds, crossed bootstrap, held-out PM, the slope row judged"
else bad "Elo claims n and method" "$n rows with n = 2; $(grep -E '^- \*\*crowd_elo' "$TMP/res/claims.md" | cut -c1-300)"; fi
for fig in fig01_elo_vs_params fig36_rejection_sampling_elo fig15_crowd_vs_pm_elo fig16_elo_vs_round; do
  if command -v gnuplot >/dev/null && mkdir -p "$TMP/png" && gnuplot -e "outdir='$TMP/png'" "$TMP/res/$fig.gp" 2>"$TMP/gperr" \
     && [ -s "$TMP/png/$fig.png" ]; then ok "$fig.gp draws"; else bad "$fig.gp draws" "$(head -3 "$TMP/gperr")"; fi
done
expect_exit "hhfit report" 0 "$HF" report "$TMP/res" --figures "$TMP/png" --quiet
n=$(grep -cE 'fig01_elo_vs_params|fig36_rejection_sampling_elo|fig15_crowd_vs_pm_elo|fig16_elo_vs_round' "$TMP/res/index.html" 2>/dev/null)
if grep -q 'Fig. 1: crowdworker Elo vs parameters' "$TMP/res/index.html" 2>/dev/null && [ "${n:-0}" -ge 4 ]; then
  ok "the four Elo figures in index.html"; else bad "Elo figures in index.html" "${n:-0} mentions"; fi
n=$(grep -cE '^\| (elo_helpful_only_tradeoff|rejection_sampling_vs_rl) .*\*\*(REPRODUCED|NOT REPRODUCED|INCONCLUSIVE)\*\*' "$TMP/res/claims.md")
if [ "$n" -eq 2 ]; then ok "helpful-only tradeoff and best-of-n slope get verdicts"
else bad "Elo claims get verdicts" "$(grep -E 'elo_|rejection' "$TMP/res/claims.md" | head -4)"; fi
# online rounds at xs only (smoke's [online] scales) but the claims are judged at the largest
# policy scale (s): PENDING with the reason
if grep -E '^\| elo_online_hh_best .*\*\*PENDING\*\*' "$TMP/res/claims.md" >/dev/null \
   && grep -q 'no online HH RLHF contestants' "$TMP/res/claims.md"; then ok "online claims PENDING with the reason"
else bad "online claims PENDING" "$(grep elo_online "$TMP/res/claims.md" | head -3)"; fi

# bad elo files: hhfit refuses with exit 2 and one line naming file and object
bad_run() {  # bad_run NAME FILE PATTERN ACTION ARGS...: a copy of the run with FILE crafted
  local name=$1 file=$2 pat=$3; shift 3
  rm -rf "$TMP/b" && cp -a "$R" "$TMP/b" && "$CR" "$TMP/b/elo/$file" "$@" >/dev/null \
    || { bad "$name" "h5craft $* failed"; return; }
  expect_one_line "$name" 2 "$pat" "$HF" "$TMP/b" -o "$TMP/bres" --quiet
}
bad_run "hhfit refuses a match with b <= a" s.h5 'elo/s\.h5: matches/a\[0\] = 0, matches/b\[0\] = 0' set /matches/b 0 0
bad_run "hhfit refuses winner = 2" xs.h5 'elo/xs\.h5: .*matches/winner' set /matches/winner 3 2
bad_run "hhfit refuses a prompt out of range" s.h5 'elo/s\.h5: .*matches/prompt' set /matches/prompt 0 100000
bad_run "hhfit refuses a NaN PM score" xs.h5 'elo/xs\.h5: .*samples/pm_score' set /samples/pm_score 5 nan
bad_run "hhfit refuses an unknown contestant type" s.h5 'elo/s\.h5: .*contestants/type' set /contestants/type 2 9
bad_run "hhfit refuses two distilled models" s.h5 'elo/s\.h5: contestants/type has 2 distilled' set /contestants/type 1 0
bad_run "hhfit refuses a missing matches/worker" xs.h5 'elo/xs\.h5: .*matches/worker' delete /matches/worker
bad_run "hhfit refuses a missing held-out PM score" s.h5 'elo/s\.h5: .*samples/pm_test_score' delete /samples/pm_test_score
bad_run "hhfit refuses an Inf held-out PM score" xs.h5 'elo/xs\.h5: .*samples/pm_test_score' set /samples/pm_test_score 3 inf
bad_run "hhfit refuses a bon_opm contestant without n" xs.h5 'elo/xs\.h5: contestants/n\[1[0-5]\]' set /contestants/n 12 -1
bad_run "hhfit refuses a harmlessness match on a benign prompt" s.h5 'elo/s\.h5: matches/kind\[0\] = 1 on prompt' set /matches/kind 0 1

# [elo] matches = 0: the stage is off, the rest up to date
sed 's/^matches = 6$/matches = 0/' $P >"$TMP/off.ini"
"$HH" run "$TMP/off.ini" -o "$TMP/j1" 2>"$TMP/e" >/dev/null; rc=$?
if [ "$rc" -eq 0 ] && grep -q "elo: off (\[elo\] matches = 0)" "$TMP/e"; then ok "[elo] matches = 0 switches elo off"
else bad "[elo] matches = 0 switches elo off" "exit $rc: $(tail -3 "$TMP/e")"; fi
if "$HH" help elo | grep -q "^usage: hhsim elo PARAMS" && "$HH" run --help | grep -q "^  elo "; then
  ok "hhsim help elo and run --help from the table"; else bad "help elo" "no usage line or not in run --help"; fi
