#!/usr/bin/env bash
# online.sh - one smoke online round (params/smoke.ini: [online] scales = xs,
# rounds = 1, 32 prompts): the round's data + PM file and its policy in the rl
# schema; the round's PM trained on more comparisons than the static train PM;
# the policy loads like an rl file (hhsim sample); the same bits for 1 and 2
# jobs; a second round depends on the first; the fresh prompts' kinds are
# the base data's mix and none is a train/test prompt; a kind short of fresh
# prompts fails before any job runs; the independent test PM and the null;
# hhfit's online tables, figures and claim statistics (online_tail_vs_null
# against the files); bad [online] params and crafted online files refused.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

HF=${HF:-bin/hhfit}
P=params/smoke.ini
R="$TMP/run"
HH_TIMEOUT=300

t0=$(date +%s)
expect_exit "smoke run with one online round, 2 jobs" 0 "$HH" run $P -o "$R" --jobs 2 --quiet
echo "# smoke run took $(( $(date +%s) - t0 )) s"
got=$(cd "$R/online" 2>/dev/null && ls *.h5 | sort | tr '\n' ' ')
if [ "$got" = "xs_pm_s0_r1.h5 xs_pm_s1_r1.h5 xs_xs_hh_s0_r1.h5 xs_xs_hh_s1_r1.h5 " ]; then
  ok "online: data + PM and policy files per seed (online/xs_pm_sS_r1, online/xs_xs_hh_sS_r1)"
else bad "online files" "got '$got'"; fi

# the round's PM: trained on the base data plus the round's 32 comparisons
attr() { h5dump -a "$2" "$1" 2>/dev/null | grep -oE '\(0\): [-0-9.e+a-z"_]+' | head -1 | sed 's/(0): //; s/"//g'; }
base=$(attr "$R/online/xs_pm_s0_r1.h5" /job/base_pm)
nb=$(attr "$R/pm/$base.h5" /job/n_train)
nt=$(attr "$R/online/xs_pm_s0_r1.h5" /online/n_train)
np=$(h5col "$R/online/xs_pm_s0_r1.h5" /online/prompt_len | wc -l)
if [ -n "$nb" ] && [ "$np" -eq 32 ] && [ "$nt" -eq $((nb + 32)) ]; then
  ok "round PM trained on $nt comparisons = static train PM's $nb + 32 online"
else bad "round PM's comparisons" "base '$base' n_train '$nb', round n_train '$nt', prompts $np"; fi
sh=$(attr "$R/online/xs_pm_s0_r1.h5" /online/share_above0)
bs=$(attr "$R/online/xs_pm_s0_r1.h5" /online/base_share_above0)
if awk -v s="$sh" -v b="$bs" 'BEGIN { exit !(s >= 0 && s <= 1 && b > 0.2 && b <= 0.25) }'; then
  ok "round statistics: share above base q75 $sh (base $bs)"; else bad "round statistics" "share '$sh' base '$bs'"; fi
# gold labels and the worker roles follow the prompt kinds
if [ "$(h5col "$R/online/xs_pm_s0_r1.h5" /online/kind | paste -d' ' - <(h5col "$R/online/xs_pm_s0_r1.h5" /online/set) |
       awk '($1 >= 2) != ($2 == 1)' | wc -l)" -eq 0 ]; then
  ok "red-team prompts labelled by red-team workers (harmless set), the rest by helpfulness workers"
else bad "worker roles by prompt kind" "mismatch"; fi

# fresh prompts (referee 14, finding 10): the kinds are the base data's mix (largest remainders of
# the base comparisons' kinds over 32 prompts), and no prompt is in the world's train or test set or
# repeats within the round
for s in 0 1; do
  F="$R/online/xs_pm_s${s}_r1.h5"
  want=$(h5col "$F" /online/base_kind | awk -v P=32 '{n[$1]++; nb++} END {
    left = P; for (k = 0; k < 4; k++) { x = P * n[k]; q[k] = int(x / nb); r[k] = x % nb; left -= q[k] }
    for (; left > 0; left--) { b = 0; for (k = 1; k < 4; k++) if (r[k] > r[b]) b = k; q[b]++; r[b] = -1 }
    print q[0], q[1], q[2], q[3] }')
  got=$(h5col "$F" /online/kind | awk '{n[$1]++} END {print n[0]+0, n[1]+0, n[2]+0, n[3]+0}')
  quota=$(h5col "$F" /online/kind_quota | tr '\n' ' ' | sed 's/ $//')
  if [ -n "$want" ] && [ "$want" = "$got" ] && [ "$got" = "$quota" ]; then
    ok "seed $s: online prompt kinds $got = the base data's mix over 32 prompts (kind_quota $quota)"
  else bad "seed $s: online kind mix" "base mix -> '$want', online '$got', kind_quota '$quota'"; fi
done
# prompts as strings of their tokens (one per line): seqs FILE TOKENS LENGTHS
seqs() {
  local c; c=$(h5dump -H -d "$2" "$1" | grep -oE 'DATASPACE  SIMPLE \{ \( [0-9]+, [0-9]+' | grep -oE '[0-9]+$')
  paste -d' ' <(h5col "$1" "$3") <(h5col "$1" "$2" | awk -v c="$c" '{printf "%s%s", $0, (NR % c ? "," : "\n")}') |
    awk '{split($2, a, ","); s = ""; for (i = 1; i <= $1; i++) s = s a[i] ","; print s}'
}
{ seqs "$R/world.h5" /prompts/train/tokens /prompts/train/length; seqs "$R/world.h5" /prompts/test/tokens /prompts/test/length; } |
  sort -u >"$TMP/world_prompts"
for s in 0 1; do
  seqs "$R/online/xs_pm_s${s}_r1.h5" /online/prompt /online/prompt_len | sort >"$TMP/on$s"
  nw=$(wc -l <"$TMP/world_prompts"); no=$(sort -u "$TMP/on$s" | wc -l); nc=$(comm -12 "$TMP/world_prompts" <(sort -u "$TMP/on$s") | wc -l)
  if [ "$nw" -gt 100 ] && [ "$no" -eq 32 ] && [ "$nc" -eq 0 ]; then
    ok "seed $s: 32 distinct online prompts, none of the world's $nw distinct train/test prompts"
  else bad "seed $s: fresh online prompts" "world $nw, online distinct $no, in the world $nc"; fi
done
# a kind that cannot supply its quota fails when the jobs are listed, before anything runs: with one
# turn and no MAKE requests every red-team prompt is one of the 4 'H HOWTO topic' prompts, all in the
# train set
expect_one_line "a kind short of fresh prompts: one line, exit 2, before any job" 2 \
  '^hhsim: \[online\] prompts = 32: kind red-team \(round 1, seed 0, scale xs\) has only 0 fresh prompts of its quota [0-9]+' \
  "$HH" run $P -o "$TMP/short" --set world.max_turns=1 --set world.make_frac=0 --dry-run
if [ ! -e "$TMP/short/world.h5" ]; then ok "... and wrote nothing"; else bad "short kind wrote nothing" "world.h5 exists"; fi
# the independent PM and the null (finding 7): the test PM half 1 scored the round, the null and the
# base data; tail_vs_null = share_abovet - null_share_abovet
F="$R/online/xs_pm_s0_r1.h5"
tp=$(attr "$F" /job/test_pm)
nn=$(h5col "$F" /online/null_scoret | wc -l); nbt=$(h5col "$F" /online/base_scoret | wc -l); nb0=$(h5col "$F" /online/base_score0 | wc -l)
sa=$(attr "$F" /online/share_abovet); sn=$(attr "$F" /online/null_share_abovet); tv=$(attr "$F" /online/tail_vs_null)
bt=$(attr "$F" /online/base_share_abovet)
if [[ "$tp" == *_half1 ]] && [ "$nn" -eq 64 ] && [ "$nbt" -eq "$nb0" ] && [ "$nbt" -gt 0 ] &&
   awk -v a="$sa" -v n="$sn" -v t="$tv" -v b="$bt" 'BEGIN { exit !(a >= 0 && a <= 1 && n >= 0 && n <= 1 &&
       (t - (a - n))^2 < 1e-12 && b > 0.2 && b <= 0.25) }'; then
  ok "test PM $tp scored 64 null responses and $nbt base responses; share above its base q75 $sa, null $sn, difference $tv"
else bad "independent PM and null" "test_pm '$tp', null $nn, base $nbt/$nb0, share '$sa' null '$sn' diff '$tv' base '$bt'"; fi
if [ "$(h5col "$F" /online/null_help | awk '$1 < 0 || $1 > 1' | wc -l)" -eq 0 ] && [ "$(h5col "$F" /online/null_help | wc -l)" -eq 64 ]; then
  ok "the null's gold help: 64 values in [0,1]"; else bad "null gold" "$(h5col "$F" /online/null_help | wc -l) values"; fi

# the policy file: the rl schema, loadable as an rl file
h5ls -r "$R/rl/xs_xs_hh_s0.h5" | awk '{print $1}' >"$TMP/a"
h5ls -r "$R/online/xs_xs_hh_s0_r1.h5" | awk '{print $1}' >"$TMP/b"
kind=$(attr "$R/online/xs_xs_hh_s0_r1.h5" /hhsim_kind)
if diff -q "$TMP/a" "$TMP/b" >/dev/null && [ "$kind" = rl ] && [ "$(attr "$R/online/xs_xs_hh_s0_r1.h5" /job/train_pm)" = xs_pm_s0_r1 ]; then
  ok "online policy: kind rl, the same objects as rl/xs_xs_hh_s0.h5, train PM the round's"
else bad "online policy schema" "kind '$kind'; $(diff "$TMP/a" "$TMP/b" | head -5)"; fi
expect_exit "hhsim sample loads the online policy" 0 "$HH" sample "$R/online/xs_xs_hh_s0_r1.h5" --n 2
expect_exit "hhsim inspect an online data file" 0 "$HH" inspect "$R/online/xs_pm_s0_r1.h5"

# the same bits with 1 job; up to date afterwards
cp -a "$R" "$TMP/j1" && rm -rf "$TMP/j1/online"
expect_exit "online alone, 1 job" 0 "$HH" online $P -o "$TMP/j1" --jobs 1 --quiet
diffs=""
for f in xs_pm_s0_r1 xs_pm_s1_r1 xs_xs_hh_s0_r1 xs_xs_hh_s1_r1; do
  h5diff --exclude-attribute / "$R/online/$f.h5" "$TMP/j1/online/$f.h5" >/dev/null 2>&1 || diffs="$diffs $f"
done
if [ -z "$diffs" ]; then ok "online files identical for 1 and 2 jobs"; else bad "online identical for 1 and 2 jobs" "differ:$diffs"; fi
"$HH" run $P -o "$R" 2>"$TMP/e" >/dev/null
if grep -q "online: 0 jobs to run, 4 up to date" "$TMP/e"; then ok "online skipped when up to date"
else bad "online skipped when up to date" "$(grep online "$TMP/e")"; fi

# a second round reads the first
cp -a "$R" "$TMP/r2"
expect_exit "a second online round" 0 "$HH" online $P -o "$TMP/r2" --set online.rounds=2 --quiet
nt2=$(attr "$TMP/r2/online/xs_pm_s0_r2.h5" /online/n_train)
if [ "$nt2" = $((nb + 64)) ] && [ "$(attr "$TMP/r2/online/xs_xs_hh_s0_r2.h5" /job/train_pm)" = xs_pm_s0_r2 ]; then
  ok "round 2's PM trained on base + rounds 1 and 2 ($nt2)"; else bad "round 2" "n_train '$nt2'"; fi

# bad params: one line, exit 2
expect_bad_params "[online] scales not an own-scale RL run" "[pm]\nscales = xs\n[rl]\npolicy_scales = xs\n[online]\nscales = s\n" "online.*scales"
expect_bad_params "[online] rounds out of range" "[online]\nrounds = 99\n" "rounds"

# hhfit: tables, figures, claim statistics computed and finite
expect_exit "hhfit on the run with an online round" 0 "$HF" "$R" -o "$TMP/res" --quiet
rows() { h5dump -H -d "$1" "$TMP/res/tables.h5" 2>/dev/null | grep -oE 'DATASPACE  SIMPLE \{ \( [0-9]+' | grep -oE '[0-9]+$'; }
# /online_rounds: 2 seeds x (round 0 + round 1); /fig16_online_rounds: rounds 0, 1
if [ "$(rows /online_rounds)" = 4 ] && [ "$(rows /fig16_online_rounds)" = 2 ] && [ "$(rows /fig15_online_tail)" = 2 ] \
   && [ "$(rows /online_kinds)" = 8 ] \
   && [ "$(rows /fig15_online_scores)" = 40 ] && [ -s "$TMP/res/fig15_online_upper_tail.gp" ] && [ -s "$TMP/res/fig16_online_rounds.gp" ]; then
  ok "online tables (4, 2, 2, 40, 8 rows) and the fig15/fig16 scripts"
else bad "online tables and figures" "rows $(rows /online_rounds) $(rows /fig16_online_rounds) $(rows /fig15_online_tail) $(rows /fig15_online_scores) $(rows /online_kinds)"; fi
for st in online_tail_vs_null online_gold_utility_gain; do
  line=$(awk -F, -v s="$st" '$0 ~ s' "$TMP/res/claims.csv" | head -1)
  if grep -qE "^\| [a-z_]+ \| 1[56] \| .*\`$st\` \| -?[0-9.]+ \[-?[0-9.]+, -?[0-9.]+\] \| > 0 \| \*\*(REPRODUCED|NOT REPRODUCED|INCONCLUSIVE)\*\*" "$TMP/res/claims.md"; then
    ok "claim statistic $st computed, finite, with a verdict"
  elif [ "$st" = online_tail_vs_null ] && grep -q "^| online_fills_upper_tail .*\*\*PENDING\*\*" "$TMP/res/claims.md" \
       && grep "^online_fills_upper_tail," "$TMP/res/claims.csv" | grep -q "zero-width Student-t interval is no interval"; then
    ok "claim statistic $st: every seed at the same value (smoke: all at the ceiling) gives no verdict, saying why"
  else bad "claim statistic $st" "$(grep "$st" "$TMP/res/claims.md" | head -1 | cut -c1-300)"; fi
done
if grep -qE '^\| crowd_elo_below_pm_elo .*`elo_crowd_minus_pm_top` .*\*\*(REPRODUCED|NOT REPRODUCED|INCONCLUSIVE)\*\*' "$TMP/res/claims.md"; then ok "crowd_elo_below_pm_elo: the tournament's statistic with a verdict"
else bad "crowd_elo_below_pm_elo" "$(grep crowd_elo "$TMP/res/claims.md")"; fi
if command -v gnuplot >/dev/null && mkdir -p "$TMP/png" && gnuplot -e "outdir='$TMP/png'" "$TMP/res/fig15_online_upper_tail.gp" 2>/dev/null \
   && gnuplot -e "outdir='$TMP/png'" "$TMP/res/fig16_online_rounds.gp" 2>/dev/null \
   && [ -s "$TMP/png/fig15_online_upper_tail.png" ] && [ -s "$TMP/png/fig16_online_rounds.png" ]; then ok "fig15/fig16 scripts draw"
else bad "fig15/fig16 draw" "no png"; fi
# bad online files: hhfit refuses with exit 2 and one line naming file and object
CR=${CR:-bin/tests/h5craft}
bad_run() {  # bad_run NAME FILE PATTERN ACTION ARGS...: a copy of the run with FILE crafted
  local name=$1 file=$2 pat=$3; shift 3
  rm -rf "$TMP/b" && cp -a "$R" "$TMP/b" && "$CR" "$TMP/b/online/$file" "$@" >/dev/null \
    || { bad "$name" "h5craft $* failed"; return; }
  expect_one_line "$name" 2 "$pat" "$HF" "$TMP/b" -o "$TMP/bres" --quiet
}
bad_run "hhfit refuses a NaN static-PM score" xs_pm_s0_r1.h5 'online/xs_pm_s0_r1\.h5: .*online/score0_chosen' set /online/score0_chosen 3 nan
bad_run "hhfit refuses a missing base_score0" xs_pm_s0_r1.h5 'online/xs_pm_s0_r1\.h5: .*online/base_score0' delete /online/base_score0
bad_run "hhfit refuses a NaN null test-PM score" xs_pm_s0_r1.h5 'online/xs_pm_s0_r1\.h5: .*online/null_scoret' set /online/null_scoret 5 nan
bad_run "hhfit refuses a missing base_scoret" xs_pm_s0_r1.h5 'online/xs_pm_s0_r1\.h5: .*online/base_scoret' delete /online/base_scoret
bad_run "hhfit refuses a base kind out of range" xs_pm_s0_r1.h5 'online/xs_pm_s0_r1\.h5: .*online/base_kind' set /online/base_kind 0 7
bad_run "hhfit refuses kind quotas that disagree with the prompts" xs_pm_s0_r1.h5 'online/xs_pm_s0_r1\.h5: .*online/kind' set /online/kind_quota 0 3
# the statistic against the null, from the files: per seed share(test PM) - share(null), t interval
est=$(grep "^online_fills_upper_tail," "$TMP/res/claims.csv" | cut -d, -f5)
want=$(for s in 0 1; do attr "$R/online/xs_pm_s${s}_r1.h5" /online/tail_vs_null; done | awk '{s += $1} END {printf "%.4f", s / NR}')
if awk -v e="$est" -v w="$want" 'BEGIN { exit !((e - w)^2 < 1e-8) }'; then
  ok "online_fills_upper_tail's estimate $est = the mean over seeds of the files' tail_vs_null ($want)"
else bad "online_fills_upper_tail estimate" "claims.csv '$est', files' mean '$want'"; fi
# session 7 (referee): Fig. 16's gold and mixture_beats_base read every policy at /model kept_iter (the
# policy the RL run hands on, as evals and Elo), the end of PPO kept beside it (gold_utility_end).
# Recomputed here from the files: gold U = (help_benign + help_borderline)/2 - harm_redteam at the row of
# /curve/iter equal to kept_iter, and at the last row.
goldat() {  # goldat FILE kept|end
  local ki; ki=$(attr "$1" /model/kept_iter)
  paste -d' ' <(h5col "$1" /curve/iter) <(h5col "$1" /curve/help_benign) <(h5col "$1" /curve/help_borderline) \
    <(h5col "$1" /curve/harm_redteam) | awk -v k="$ki" -v w="$2" '{u = ($2 + $3) / 2 - $4; if ($1 == k) ku = u; eu = u}
    END { printf "%.10f\n", w == "kept" ? ku : eu }'
}
nk=0; gs=""; for s in 0 1; do
  for f in "$R/rl/xs_xs_hh_s$s.h5" "$R/online/xs_xs_hh_s${s}_r1.h5"; do
    [ "$(attr "$f" /model/kept_iter)" != "$(h5col "$f" /curve/iter | tail -1)" ] && nk=$((nk + 1))
    gs="$gs $(goldat "$f" kept) $(goldat "$f" end)"
  done
done
# gs: seed 0 static kept end, round-1 kept end, seed 1 the same
want=$(echo "$gs" | awk '{printf "%.6f %.6f %.6f %.6f %.6f", ($1 + $5) / 2, ($2 + $6) / 2, ($3 + $7) / 2, ($4 + $8) / 2,
                          (($3 - $1) + ($7 - $5)) / 2}')
# /fig16_online_rounds rows: scale, round, seeds, U lo hi, help lo hi, harm lo hi, U_end lo hi, kept_kl, end_kl
got=$(h5dump -d /fig16_online_rounds -y "$TMP/res/tables.h5" 2>/dev/null | tr -d '\n ' | grep -oE '\{"xs",[^}]*\}' |
      tr -d '{}"' | awk -F, '{u[$2] = $4; e[$2] = $13} END {printf "%.6f %.6f %.6f %.6f", u[0], e[0], u[1], e[1]}')
est=$(grep "^mixture_beats_base," "$TMP/res/claims.csv" | cut -d, -f5)
if [ "$nk" -ge 1 ] && [ -n "$got" ] && awk -v w="$want" -v g="$got" -v e="$est" 'BEGIN { split(w, a, " "); split(g, b, " ");
     for (i = 1; i <= 4; i++) if ((a[i] - b[i])^2 > 1e-10) exit 1; exit !((a[5] - e)^2 < 1e-10) }' &&
   grep "^mixture_beats_base," "$TMP/res/claims.csv" | grep -q "at the kept iteration"; then
  ok "fig16 gold U at kept_iter (static, round 1: $(echo "$got" | cut -d' ' -f1,3)) and at the end of PPO ($(echo "$got" | cut -d' ' -f2,4)) = the files' curves ($nk of 4 policies kept before the end); mixture_beats_base $est = mean kept difference"
else bad "fig16 / mixture_beats_base at kept_iter" "files '$want', table '$got', claim '$est', kept before the end $nk"; fi
bad_run "hhfit refuses an online policy whose kept_iter is no evaluation" xs_xs_hh_s0_r1.h5 \
  'online/xs_xs_hh_s0_r1\.h5: attribute kept_iter on /model is 5; allowed: one of /curve/iter' attr-int /model kept_iter 5

# held-out prompts that are token for token a training prompt (/prompt_overlap), against comm on the world's
# sequences; rl_eval = the first eval_prompts (16 in smoke) of each kind
seqs "$R/world.h5" /prompts/train/tokens /prompts/train/length | sort -u >"$TMP/trs"
paste -d' ' <(h5col "$R/world.h5" /prompts/test/kind) <(seqs "$R/world.h5" /prompts/test/tokens /prompts/test/length) >"$TMP/tes"
wdup=$(awk 'NR == FNR {t[$0] = 1; next} {n[$1]++; if ($2 in t) d[$1]++; if (c[$1]++ < 16 && ($2 in t)) e[$1]++; a++; if ($2 in t) da++}
            END {printf "%d %d %d %d %d %d %d %d %d", d[0], d[1], d[2], d[3], da, e[0], e[1], e[2], e[3]}' "$TMP/trs" "$TMP/tes")
gdup=$(h5dump -d /prompt_overlap -y "$TMP/res/tables.h5" 2>/dev/null | tr -d '\n ' | grep -oE '\{"(test|rl_eval)",[^}]*\}' |
       tr -d '{}"' | awk -F, '$2 != "all" || $1 == "test" {printf "%s%d", (NR > 1 ? " " : ""), $4}')
if [ -n "$gdup" ] && [ "$gdup" = "$(echo "$wdup" | awk '{print $1, $2, $3, $4, $5, $6, $7, $8, $9}')" ] &&
   [ "$(echo "$wdup" | cut -d' ' -f5)" -gt 0 ]; then
  ok "/prompt_overlap: held-out prompts duplicating a training prompt per kind and all ($gdup) = comm on world.h5"
else bad "/prompt_overlap" "table '$gdup', world.h5 '$wdup'"; fi
