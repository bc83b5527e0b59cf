#!/usr/bin/env bash
# pipeline.sh - the smoke pipeline end to end: world -> pretrain -> distill,
# bit-identical whatever the number of parallel jobs, with valid outputs. The
# 1-job runs split every matmul's gradient pair over two threads
# (HHSIM_CORES=2, sim/core/cores.h); the 2-job runs of pretrain and rl never
# do (HHSIM_CORES=1); those of distill and pm let the pool decide, with no size
# threshold (HHSIM_CORES_MIN_WORK=0), so a job running alone splits.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

P=params/smoke.ini
t0=$(date +%s)
"$HH" world $P -o "$TMP/j1" --quiet && cp -r "$TMP/j1" "$TMP/j2"
tp0=$(date +%s.%N)
expect_exit "pretrain smoke, 1 job" 0 env HHSIM_CORES=2 "$HH" pretrain $P -o "$TMP/j1" --jobs 1 --quiet
tp1=$(date +%s.%N)
expect_exit "pretrain smoke, 2 jobs" 0 env HHSIM_CORES=1 "$HH" pretrain $P -o "$TMP/j2" --jobs 2 --quiet
expect_exit "distill smoke, 2 jobs" 0 env HHSIM_CORES_MIN_WORK=0 "$HH" distill $P -o "$TMP/j1" --jobs 2 --quiet
expect_exit "distill smoke, 1 job" 0 env HHSIM_CORES=2 "$HH" distill $P -o "$TMP/j2" --jobs 1 --quiet
expect_exit "pmp and pm smoke, 2 jobs" 0 env HHSIM_CORES_MIN_WORK=0 "$HH" run $P -o "$TMP/j1" --only pmp,pm --jobs 2 --quiet
expect_exit "pmp and pm smoke, 1 job" 0 env HHSIM_CORES=2 "$HH" run $P -o "$TMP/j2" --only pmp,pm --jobs 1 --quiet
echo "# smoke pretrain + distill + pm twice took $(( $(date +%s) - t0 )) s"
for f in lm/xs.h5 lm/s.h5 distill/xs.h5 distill/s.h5 pmp/s_s0.h5 pm/s_n400_h050_pmp1_s0.h5 pm/xs_n800_h050_pmp1_s0_half1.h5; do
  if [ -s "$TMP/j1/$f" ] && h5diff --exclude-attribute / "$TMP/j1/$f" "$TMP/j2/$f" >"$TMP/diff" 2>&1 && [ ! -s "$TMP/diff" ]; then
    ok "$f identical for 1 and 2 jobs"; else bad "$f identical for 1 and 2 jobs" "$(head -3 "$TMP/diff")"; fi
done
# wall_seconds is each job's time: the one-job pretrain's files add up to most of its run
w=0
for sc in xs s; do
  w=$(awk -v a="$w" -v b="$(h5dump -a /wall_seconds "$TMP/j1/lm/$sc.h5" | sed -n 's/.*(0): //p')" 'BEGIN {print a + b}')
done
if awk -v w="$w" -v a="$tp0" -v b="$tp1" 'BEGIN {t = b - a; exit !(w > 0.5 * t && w <= t)}'; then
  ok "lm wall_seconds add up to the pretrain run ($w s)"
else bad "lm wall_seconds add up to the pretrain run" "sum $w s, run $(awk -v a="$tp0" -v b="$tp1" 'BEGIN {print b - a}') s"; fi
# the model files hold the documented tensors and a decreasing loss
if h5dump -H -d /model/h.0.attn.c_attn.weight "$TMP/j1/lm/s.h5" | grep -q '( 96, 32 )'; then
  ok "c_attn weight is (3C, C)"; else bad "c_attn weight is (3C, C)" "shape differs"; fi
loss=$(h5col "$TMP/j1/lm/s.h5" /curve/heldout_loss)
first=$(echo "$loss" | head -1); last=$(echo "$loss" | tail -1)
if awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 0.1) }'; then ok "held-out loss falls ($first -> $last)"
else bad "held-out loss falls" "$first -> $last"; fi
# distill refuses a run directory without pretrained models, naming the file
mkdir -p "$TMP/empty" && cp "$TMP/j1/world.h5" "$TMP/empty/"
expect_exit "distill without lm/ fails" 2 "$HH" distill $P -o "$TMP/empty" --quiet
if grep -q "lm/xs.h5: no such file" "$TMP/err"; then ok "distill names the missing file"
else bad "distill names the missing file" "$(cat "$TMP/err")"; fi
expect_exit "pretrain without world.h5 fails" 2 "$HH" pretrain $P -o "$TMP/none" --quiet

# an interrupted pretraining run resumes from its checkpoint to the same bits
cp "$TMP/j1/world.h5" "$TMP/empty/world.h5"
"$HH" pretrain $P -o "$TMP/empty" --jobs 2 --stop-after 100 --quiet
if [ -s "$TMP/empty/lm/s.ckpt.h5" ] && [ ! -e "$TMP/empty/lm/s.h5" ]; then ok "stop-after leaves a checkpoint"
else bad "stop-after leaves a checkpoint" "$(ls "$TMP/empty/lm")"; fi
"$HH" pretrain $P -o "$TMP/empty" --jobs 2 --quiet
for f in lm/xs.h5 lm/s.h5; do
  if h5diff --exclude-attribute / "$TMP/j1/$f" "$TMP/empty/$f" >"$TMP/diff" 2>&1 && [ ! -s "$TMP/diff" ]; then
    ok "$f resumed = uninterrupted"; else bad "$f resumed = uninterrupted" "$(head -3 "$TMP/diff")"; fi
done
if [ ! -e "$TMP/empty/lm/s.ckpt.h5" ]; then ok "checkpoint removed when done"; else bad "checkpoint removed when done" "still there"; fi

# hhsim run: a second run skips everything; a changed [distill] reruns distill and pm only
R="$TMP/run"
"$HH" run $P -o "$R" --quiet
"$HH" run $P -o "$R" 2>"$TMP/err1"
if grep -q "pm: 0 jobs to run" "$TMP/err1" && grep -q "pretrain: 0 jobs to run" "$TMP/err1"; then
  ok "run skips up-to-date jobs"; else bad "run skips up-to-date jobs" "$(cat "$TMP/err1")"; fi
sed 's/^steps = 40/steps = 41/' $P >"$TMP/p2.ini"
"$HH" run "$TMP/p2.ini" -o "$R" 2>"$TMP/err2"
if grep -q "pretrain: 0 jobs to run" "$TMP/err2" && grep -q "distill: 2 jobs to run" "$TMP/err2" \
   && grep -q "pmp: 0 jobs to run" "$TMP/err2" && ! grep -q "pm: 0 jobs to run" "$TMP/err2"; then
  ok "changed [distill] reruns distill and pm only"; else bad "changed [distill] reruns distill and pm only" "$(cat "$TMP/err2")"; fi
if h5diff --exclude-attribute / "$TMP/j1/lm/s.h5" "$R/lm/s.h5" >/dev/null 2>&1; then
  ok "run's lm/s.h5 equals the pretrain command's"; else bad "run's lm/s.h5 equals the pretrain command's" "differs"; fi

# RL: PPO and best-of-n on the smoke PMs; identical for 1 and 2 jobs; KL exact and >= 0
expect_exit "rl and bon smoke, 2 jobs" 0 env HHSIM_CORES=1 "$HH" run $P -o "$TMP/j1" --only rl,bon --jobs 2 --quiet
cp -a "$TMP/j1/pm" "$TMP/j1/pmp" "$TMP/j2/"
expect_exit "rl smoke, 1 job, stopped after 10 iterations" 0 env HHSIM_CORES=2 "$HH" run $P -o "$TMP/j2" --only rl,bon --jobs 1 --stop-after 10 --quiet
if [ -n "$(ls "$TMP/j2/rl" | grep ckpt)" ] && [ -z "$(ls "$TMP/j2/rl" | grep -v ckpt)" ]; then
  ok "stopped RL jobs keep checkpoints and write no result"; else bad "stopped RL jobs keep checkpoints and write no result" "$(ls "$TMP/j2/rl" 2>&1)"; fi
expect_exit "rl smoke, 1 job, resumed" 0 env HHSIM_CORES=2 "$HH" run $P -o "$TMP/j2" --only rl,bon --jobs 1 --quiet
for f in rl/s_s_hh_s0.h5 rl/xs_s_helpful_s0.h5 bon/s_s_hh_s0.h5; do
  if [ -s "$TMP/j1/$f" ] && h5diff --exclude-attribute / "$TMP/j1/$f" "$TMP/j2/$f" >"$TMP/diff" 2>&1 && [ ! -s "$TMP/diff" ]; then
    ok "$f identical for 2 jobs and 1 job resumed"; else bad "$f identical for 2 jobs and 1 job resumed" "$(head -3 "$TMP/diff")"; fi
done
# [rl] kl_budget (smoke: 4 nats): /model is the policy at the last evaluation before
# the first whose KL exceeds the budget; the same run without a budget trains the same
# curve and hands on its final weights
kattr() { h5dump -a "/model/$2" "$1" 2>/dev/null | sed -n '/DATA {/,/}/p' | grep -oE '\(0\): -?[0-9.e+-]+' | awk '{print $2}'; }
cp -a "$TMP/j1" "$TMP/j3"; rm -rf "$TMP/j3/rl" "$TMP/j3/bon"
expect_exit "rl smoke without a KL budget" 0 "$HH" run $P -o "$TMP/j3" --only rl --set rl.kl_budget=0 --jobs 2 --quiet
nb=0; nk=0
for f in "$TMP"/j1/rl/*.h5; do
  b=$(basename "$f"); ki=$(kattr "$f" kept_iter); last=$(h5col "$f" /curve/iter | tail -1)
  want=$(paste <(h5col "$f" /curve/iter) <(h5col "$f" /curve/kl) |
         awk '!done && $2 > 4 {done = 1} !done {k = $1} END {print k}')
  if [ -n "$ki" ] && [ "$ki" = "$want" ]; then :; else bad "rl/$b kept_iter is the last evaluation within 4 nats" "kept_iter '$ki', expected '$want'"; nb=$((nb+1)); fi
  if ! h5diff "$f" "$TMP/j3/rl/$b" /curve /curve >/dev/null 2>&1; then bad "rl/$b: the budget changes no training" "curves differ"; nb=$((nb+1)); fi
  same=0; h5diff "$f" "$TMP/j3/rl/$b" /model /model >/dev/null 2>&1 && same=1
  if [ "$ki" = "$last" ] && [ "$same" = 1 ]; then :; elif [ "$ki" != "$last" ] && [ "$same" = 0 ]; then nk=$((nk+1))
  else bad "rl/$b: /model is the final policy exactly when kept_iter is the last iteration" "kept $ki of $last, same $same"; nb=$((nb+1)); fi
  [ "$(kattr "$TMP/j3/rl/$b" kept_iter)" = "$last" ] || { bad "rl/$b without a budget keeps the last iteration" "$(kattr "$TMP/j3/rl/$b" kept_iter)"; nb=$((nb+1)); }
done
if [ "$nb" = 0 ] && [ "$nk" -ge 2 ]; then ok "kl_budget: $nk of $(ls "$TMP"/j1/rl/*.h5 | wc -l) runs hand on an earlier checkpoint, each the last within 4 nats"
else bad "kl_budget hands on the last checkpoint within budget" "$nb failures, $nk earlier checkpoints"; fi
kl=$(h5col "$TMP/j1/rl/s_s_hh_s0.h5" /curve/kl); rw=$(h5col "$TMP/j1/rl/s_s_hh_s0.h5" /curve/train_pm)
if echo "$kl" | awk 'NR==1 && $1 != 0 {bad=1} $1 < 0 {bad=1} END {exit bad}'; then
  ok "KL is 0 at the start and never negative"; else bad "KL is 0 at the start and never negative" "$(echo $kl)"; fi
k0=$(echo "$kl" | head -1); k1=$(echo "$kl" | tail -1); r0=$(echo "$rw" | head -1); r1=$(echo "$rw" | tail -1)
if awk -v a="$k0" -v b="$k1" -v c="$r0" -v d="$r1" 'BEGIN { exit !(b > a + 0.5 && d > c + 0.3) }'; then
  ok "KL and train-PM reward rise (KL $k0 -> $k1, reward $r0 -> $r1)"
else bad "KL and train-PM reward rise" "KL $k0 -> $k1, reward $r0 -> $r1"; fi
