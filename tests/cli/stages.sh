#!/usr/bin/env bash
# stages.sh - the stage table from the command line: --only and --until, a
# stage switched off by params, a scale name with '_', RL policies loaded by
# `hhsim sample`, [run] threads neither rerunning nor changing results,
# strict option values and one-line usage errors.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

P=params/smoke.ini
# one_line NAME CODE PATTERN CMD...: exit CODE and one stderr line matching PATTERN
one_line() {
  local name=$1 code=$2 pat=$3; shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
  local lines; lines=$(wc -l <"$TMP/err")
  if [ "$rc" -ne "$code" ]; then bad "$name" "exit $rc, expected $code: $(head -c 300 "$TMP/err")"
  elif [ "$lines" -ne 1 ]; then bad "$name" "$lines lines on stderr, expected 1: $(head -c 300 "$TMP/err")"
  elif ! grep -qE -- "$pat" "$TMP/err"; then bad "$name" "'$(cat "$TMP/err")' lacks /$pat/"
  else ok "$name"; fi
}

# --until: world and the language models only
U="$TMP/until"
expect_exit "run --until distill" 0 "$HH" run $P -o "$U" --until distill --quiet
if [ -s "$U/lm/s.h5" ] && [ -s "$U/distill/xs.h5" ] && [ ! -e "$U/pm" ] && [ ! -e "$U/pmp" ]; then
  ok "--until distill stops after distill"; else bad "--until distill stops after distill" "$(ls -R "$U" | head)"; fi
# --only pm without pmp outputs: refused before anything runs, naming the job that makes the input
one_line "--only pm without its inputs" 2 "pmp/xs_s0.h5: no such file; job pm/.* needs it; it is made by job pmp/xs_s0 of stage pmp" \
  "$HH" run $P -o "$U" --only pm
if [ ! -e "$U/pm" ]; then ok "a refused --only runs nothing"; else bad "a refused --only runs nothing" "pm/ exists"; fi
expect_exit "--only pmp" 0 "$HH" run $P -o "$U" --only pmp --quiet
if [ -s "$U/pmp/s_s0.h5" ] && [ ! -e "$U/pm" ]; then ok "--only pmp runs pmp alone"; else bad "--only pmp runs pmp alone" "$(ls "$U")"; fi
"$HH" run $P -o "$U" --only pmp 2>"$TMP/e"
if grep -q "pmp: 0 jobs to run, [0-9]* up to date" "$TMP/e" && ! grep -q "pmp: [1-9][0-9]* jobs to run" "$TMP/e" \
   && ! grep -q "pretrain:" "$TMP/e"; then
  ok "--only pmp again: up to date, other stages not listed"; else bad "--only pmp again" "$(cat "$TMP/e")"; fi
one_line "--only with an unknown stage" 2 "--only 'pmx': no such stage; stages: world, pretrain, distill, pmp, pm, rl, bon" \
  "$HH" run $P -o "$U" --only pmx
one_line "--until with an unknown stage" 2 "--until 'x': no such stage" "$HH" run $P -o "$U" --until x
expect_exit "--jobs=2 (getopt_long form)" 0 "$HH" run $P -o "$U" --until world --jobs=2 --quiet

# a failing job: the jobs that need it are skipped, the others go on, and the count is said
cp -a "$U" "$TMP/f1" && off=$(bin/tests/h5craft "$TMP/f1/pmp/xs_s0.h5" offset /model/wte) \
  && printf '\x55' | dd of="$TMP/f1/pmp/xs_s0.h5" bs=1 seek=$((off + 37)) conv=notrunc 2>/dev/null  # checksum fails on read
"$HH" run $P -o "$TMP/f1" --only pm --jobs 2 --quiet >/dev/null 2>"$TMP/e"; rc=$?
# the PMs pretrained on pmp/xs_s0 fail; every s PM and the xs PMs of other PMP seeds are made
nxs=$(ls "$TMP/f1/pm" 2>/dev/null | grep -c '^xs_.*pmp1_s0'); ns=$(ls "$TMP/f1/pm" 2>/dev/null | grep -c '^s_')
if [ "$rc" -eq 2 ] && [ "$nxs" -eq 0 ] && [ "$ns" -ge 1 ] \
   && grep -q "[0-9]* of [0-9]* jobs failed" "$TMP/e"; then
  ok "a failed job does not stop the independent ones ($ns s PMs made)"; else bad "a failed job does not stop the others" "exit $rc, xs pmp1 $nxs, s $ns: $(tail -2 "$TMP/e")"; fi

# --only with an input out of date for these params: refused, naming the input and why
sed 's/^pmp_n = 800/pmp_n = 801/' $P >"$TMP/pmp801.ini"
one_line "--only pm with its pmp inputs out of date" 2 "pmp/xs_s0.h5: out of date for these params \(\[pm\] params changed\); job pm/.* needs it; add stage pmp to --only" \
  "$HH" run "$TMP/pmp801.ini" -o "$U" --only pm

# --dry-run: every selected job with why it would run; nothing written
sed 's/^steps = 40/steps = 41/' $P >"$TMP/d41.ini"
before=$(ls -lR --time-style=full-iso "$U" | md5sum)
"$HH" run "$TMP/d41.ini" -o "$U" --until distill --dry-run >"$TMP/dry" 2>/dev/null; rc=$?
if [ "$rc" -eq 0 ] && grep -q '^distill  *distill/xs  *run: \[distill\] params changed' "$TMP/dry" \
   && grep -q '^pretrain  *lm/s  *up to date' "$TMP/dry" && grep -q '^world  *world  *up to date' "$TMP/dry" \
   && [ "$(wc -l <"$TMP/dry")" -eq 5 ] && [ "$(ls -lR --time-style=full-iso "$U" | md5sum)" = "$before" ]; then
  ok "--dry-run lists each job and why, and writes nothing"; else bad "--dry-run" "exit $rc: $(cat "$TMP/dry")"; fi
"$HH" run $P -o "$TMP/nothing" --dry-run >"$TMP/dry" 2>/dev/null
if [ "$(grep -c 'run: no output yet' "$TMP/dry")" -eq 90 ] && [ ! -e "$TMP/nothing" ]; then
  ok "--dry-run of a new run: 90 jobs (world 1, pretrain 2, distill 2, pmp 4, pm 43: the train/test halves per RL seed and the helpful-only half PMs, rl 12, bon 4, evals 12, online 4, segments 4, elo 2), no directory made"; else bad "--dry-run of a new run" "$(wc -l <"$TMP/dry") lines; $(ls "$TMP/nothing" 2>&1)"; fi

# a stage switched off by params: the rest completes
sed 's/^\[pm\]/[pm]\nhalves = 0/' $P >"$TMP/nohalves.ini"
"$HH" run "$TMP/nohalves.ini" -o "$TMP/nh" --jobs 2 2>"$TMP/e"; rc=$?
if [ "$rc" -eq 0 ] && grep -q "rl: off (\[pm\] halves = 0" "$TMP/e" && grep -q "bon: off" "$TMP/e" \
   && [ -n "$(ls "$TMP/nh/pm")" ] && [ ! -e "$TMP/nh/rl" ]; then
  ok "halves = 0: RL and best-of-n off, the rest completes"; else bad "halves = 0: the rest completes" "exit $rc; $(grep -v '^\(pm\|pmp\|pretrain\|distill\|world\) ' "$TMP/e" | tail -5)"; fi
sed 's/^policy_scales = .*/policy_scales =/' "$TMP/nohalves.ini" >"$TMP/norl.ini"
"$HH" run "$TMP/norl.ini" -o "$TMP/nh" 2>"$TMP/e"; rc=$?
if [ "$rc" -eq 0 ] && grep -q "rl: off (\[rl\] policy_scales is empty)" "$TMP/e" && grep -q "pm: 0 jobs to run" "$TMP/e"; then
  ok "empty policy_scales: RL off, everything else up to date"; else bad "empty policy_scales" "exit $rc; $(tail -5 "$TMP/e")"; fi

# a scale name containing '_' (paths from job keys, fields read from /job attributes)
sed -e 's/^scales = xs,s$/scales = xs,x_s/' -e 's/^policy_scales = xs,s$/policy_scales = xs,x_s/' $P >"$TMP/us.ini"
printf '[model]\nscale_names = xs,x_s,m,l,xl\n' >>"$TMP/us.ini"
R="$TMP/us"
"$HH" run "$TMP/us.ini" -o "$R" --jobs 2 --quiet 2>"$TMP/e"; rc=$?
nrl=$(ls "$R/rl" 2>/dev/null | grep -c '\.h5$')
if [ "$rc" -eq 0 ] && [ "$nrl" -eq 12 ] && [ -s "$R/rl/x_s_x_s_hh_s0.h5" ]; then
  ok "scale x_s: all 12 RL runs complete (6 per seed, 2 seeds)"; else bad "scale x_s: all 12 RL runs complete (6 per seed, 2 seeds)" "exit $rc, $nrl rl files: $(tail -3 "$TMP/e")"; fi
if h5dump -a /job/big_pm_scale "$R/rl/xs_x_s_hh_s0.h5" 2>/dev/null | grep -q '"x_s"'; then
  ok "RL files record the largest PM's scale"; else bad "RL files record the largest PM's scale" "no /job big_pm_scale x_s"; fi
expect_exit "hhfit on the x_s run" 0 bin/hhfit "$R" -o "$TMP/usres" --quiet

# RL policies are models: hhsim sample loads one (params from the file, world from its run)
"$HH" sample "$R/rl/x_s_x_s_hh_s0.h5" --n 3 >"$TMP/s.txt" 2>"$TMP/e"; rc=$?
if [ "$rc" -eq 0 ] && [ "$(grep -c '^help [0-9.]* harm [0-9.]* | ' "$TMP/s.txt")" -eq 3 ]; then
  ok "sample an RL policy"; else bad "sample an RL policy" "exit $rc: $(cat "$TMP/e")"; fi
"$HH" sample "$R/pm/xs_n400_h050_pmp1_s0.h5" --n 2 --temp 0.5 >/dev/null 2>"$TMP/e"
if [ $? -eq 0 ]; then ok "sample loads a PM file by the same call"; else bad "sample loads a PM file" "$(cat "$TMP/e")"; fi
one_line "sample --temp banana" 2 "--temp 'banana': expected a number from 0 to 10" "$HH" sample "$R/lm/xs.h5" --temp banana
one_line "sample --n 1e3" 2 "--n '1e3': expected a whole number" "$HH" sample "$R/lm/xs.h5" --n 1e3
one_line "sample --temp nan" 2 "--temp 'nan'" "$HH" sample "$R/lm/xs.h5" --temp nan
one_line "sample a world file" 2 "is an hhsim 'world' file; expected a 'lm,distill,pmp,pm,rl,online' file" "$HH" sample "$R/world.h5"

# [run] threads: no rerun, same bits
sed 's/^seed = 7$/seed = 7\nthreads = 2/' "$TMP/us.ini" >"$TMP/t2.ini"
"$HH" run "$TMP/t2.ini" -o "$R" 2>"$TMP/e"
if [ "$(grep -c ': 0 jobs to run' "$TMP/e")" -eq 10 ] && grep -q "world: up to date" "$TMP/e"; then
  ok "changing [run] threads reruns nothing"; else bad "changing [run] threads reruns nothing" "$(grep 'jobs to run' "$TMP/e")"; fi
"$HH" run "$TMP/t2.ini" -o "$TMP/t2" --until pretrain --quiet
same=1
for f in world.h5 lm/xs.h5 lm/x_s.h5; do
  h5diff --exclude-attribute / "$R/$f" "$TMP/t2/$f" >/dev/null 2>&1 || same=0
done
if [ "$same" = 1 ]; then ok "threads = 2 gives the same bits"; else bad "threads = 2 gives the same bits" "files differ"; fi

# usage errors are one line; help from the table
one_line "run without PARAMS" 2 "hhsim run: missing the PARAMS file" "$HH" run -o "$TMP/x"
one_line "run with an unknown option" 2 "hhsim run: unknown option '--fast'" "$HH" run $P -o "$TMP/x" --fast
one_line "run --jobs 0" 2 "--jobs '0': expected a whole number from 1 to 256" "$HH" run $P -o "$TMP/x" --jobs 0
one_line "a stage command takes no --only" 2 "hhsim pm: unknown option '--only'" "$HH" pm $P -o "$TMP/x" --only rl
"$HH" run --help >"$TMP/h"
miss=""
for s in world pretrain distill pmp pm rl bon evals online segments elo; do grep -q "^  $s " "$TMP/h" || miss="$miss $s"; done
if [ -z "$miss" ]; then ok "run --help lists every stage of the table"; else bad "run --help lists every stage" "missing:$miss"; fi
if "$HH" help rl | grep -q "usage: hhsim rl PARAMS \[-o DIR\]"; then ok "hhsim help rl"; else bad "hhsim help rl" "no usage line"; fi

# make: a user's CFLAGS adds to the project's flags
if make -n -B CFLAGS=-O1 build/sim/core/rng.o 2>/dev/null | grep -q -- '-std=c11.*-O1'; then
  ok "make CFLAGS=-O1 keeps the project's flags"; else bad "make CFLAGS=-O1 keeps the project's flags" "$(make -n -B CFLAGS=-O1 build/sim/core/rng.o 2>&1 | head -2)"; fi

# a FIFO named like an output does not hang the skip rule (repro 8 of the reliability issue)
mkdir -p "$TMP/fifo/lm" && cp "$U/world.h5" "$TMP/fifo/" && mkfifo "$TMP/fifo/lm/xs.h5"
timeout 120 "$HH" run $P -o "$TMP/fifo" --until pretrain --quiet 2>"$TMP/e"; rc=$?
if [ "$rc" -ne 124 ] && [ "$rc" -eq 0 ] && [ -f "$TMP/fifo/lm/xs.h5" ]; then ok "run with a FIFO as an output: no hang, the job replaces it"
else bad "run with a FIFO as an output" "exit $rc: $(head -2 "$TMP/e")"; fi

# --dry-run --project-from: the wall time on N ranks from a finished run's job times
"$HH" run $P -o "$U" --until distill --force --dry-run --project-from "$U" --ranks 1,2,4 >"$TMP/proj" 2>/dev/null; rc=$?
w1=$(awk '$2 == "ranks:" && $1 == 1 {print $3}' "$TMP/proj"); w2=$(awk '$2 == "ranks:" && $1 == 2 {print $3}' "$TMP/proj")
if [ "$rc" -eq 0 ] && grep -q "^projection from the job times of .*: 4 jobs" "$TMP/proj" \
   && awk -v a="$w1" -v b="$w2" 'BEGIN {exit !(a > 0 && b > 0 && b <= a && b >= a / 2 - 1e-9)}'; then
  ok "--project-from: 4 jobs, 1 rank $w1 s >= 2 ranks $w2 s >= half"; else bad "--project-from" "exit $rc: $(tail -4 "$TMP/proj")"; fi
one_line "--ranks without --dry-run" 2 "--project-from and --ranks go with --dry-run" "$HH" run $P -o "$U" --ranks 4
