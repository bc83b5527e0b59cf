#!/usr/bin/env bash
# progress.sh - the progress of a whole run (sim/core/progress.h): not on a
# terminal, a heartbeat line per running job every HHSIM_HEARTBEAT seconds,
# every stderr line whole (no record bytes, no carriage returns, no line of
# two jobs); on a terminal (under script(1)), one line per running job and the
# run's done/total below the messages; --quiet silences both; results never
# depend on it.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
P=params/smoke.ini
ARGS=(--set pretrain.steps=60 --until distill --jobs 2)

"$HH" run $P "${ARGS[@]}" -o "$TMP/q" --quiet 2>"$TMP/q.err" || bad "progress: quiet run" "exit $?"
HHSIM_HEARTBEAT=0.3 "$HH" run $P "${ARGS[@]}" -o "$TMP/h" 2>"$TMP/h.err" || bad "progress: heartbeat run" "exit $?"

# heartbeats: "hhsim run: JOB: running for N s[; LABEL D/T (P%) TEXT]; D/N jobs done"
if grep -qE '^hhsim run: lm/s: running for [0-9]+ s; pretrain s: [0-9]+/60 \([0-9]+%\) loss [0-9.]+; [0-9]+/4 jobs done$' "$TMP/h.err"; then
  ok "progress: heartbeat lines with the job, its fraction and elapsed time"
else bad "progress: heartbeat lines with the job, its fraction and elapsed time" "$(grep 'running for' "$TMP/h.err" | head -3)"; fi
if [ ! -s "$TMP/q.err" ]; then ok "progress: --quiet prints nothing"; else bad "progress: --quiet prints nothing" "$(head -3 "$TMP/q.err")"; fi
# every line is one of: a heartbeat, a run line, a job's summary (LABEL ... (N s))
odd=$(LC_ALL=C grep -vE '^hhsim run: |^(world|pretrain|distill) ?[a-z0-9_]*: .*\([0-9.]+ s\)$' "$TMP/h.err" | head -3)
if [ -z "$odd" ] && ! LC_ALL=C grep -q $'[\r\036\033]' "$TMP/h.err"; then ok "progress: every line whole (no control bytes, nothing glued)"
else bad "progress: every line whole (no control bytes, nothing glued)" "$odd"; fi
if [ "$(grep -c '^hhsim run: \[[0-9]*/4\] ' "$TMP/h.err")" -eq 4 ] && [ "$(grep -cE '^(pretrain|distill) (xs|s): ' "$TMP/h.err")" -eq 4 ]; then
  ok "progress: one summary and one done line per job"; else bad "progress: one summary and one done line per job" "$(grep -c . "$TMP/h.err") lines"; fi

# results never depend on progress
diffs="" n=0
for f in $(cd "$TMP/q" && find . -name '*.h5' | sort); do
  n=$((n + 1))
  h5diff --exclude-attribute / "$TMP/q/$f" "$TMP/h/$f" >"$TMP/diff" 2>&1 && [ ! -s "$TMP/diff" ] || diffs="$diffs $f"
done
if [ "$n" -ge 5 ] && [ -z "$diffs" ]; then ok "progress: the same bits with and without progress ($n files)"
else bad "progress: the same bits with and without progress" "$n files; differ:$diffs"; fi

# on a terminal: a block of one line per running job and the run's line, redrawn
# in place below the messages; every message starts a line of its own
if command -v script >/dev/null 2>&1; then
  HHQ=$(printf '%q ' "$HH" run $P "${ARGS[@]}" -o "$TMP/t")
  script -qec "$HHQ" "$TMP/tty.log" >/dev/null 2>&1
  tr -d '\r' <"$TMP/tty.log" | sed 's/\x1b\[[0-9]*A\x1b\[J//g; s/\x1b\[J//g' >"$TMP/tty.txt"
  if grep -qE '^hhsim run: [0-9]+/4 jobs done, [0-9]+ running, [0-9]+ s elapsed' "$TMP/tty.txt" &&
     grep -qE '^  lm/s +[0-9]+ s  pretrain s: [0-9]+/60 \([0-9]+%\)' "$TMP/tty.txt"; then
    ok "progress: terminal block (a line per running job, the run's done/total)"
  else bad "progress: terminal block (a line per running job, the run's done/total)" "$(grep -c . "$TMP/tty.txt") lines"; fi
  glued=$(grep -E '.(hhsim run: \[|pretrain (xs|s): [0-9]+ params|distill (xs|s): KL)' "$TMP/tty.txt" | head -2)
  if [ -z "$glued" ] && ! grep -q $'\036' "$TMP/tty.log"; then ok "progress: terminal messages never glued to a progress line"
  else bad "progress: terminal messages never glued to a progress line" "$glued"; fi
  if grep -q '^hhsim run: done in' "$TMP/tty.txt" && ! tail -1 "$TMP/tty.txt" | grep -q 'jobs done,'; then
    ok "progress: terminal block erased at the end"; else bad "progress: terminal block erased at the end" "$(tail -2 "$TMP/tty.txt")"; fi
else
  ok "progress: terminal checks skipped (no script(1))"
fi
