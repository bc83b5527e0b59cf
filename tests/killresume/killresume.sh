#!/usr/bin/env bash
# killresume.sh - `make test-killresume`: a smoke `hhsim run` is killed with
# SIGKILL (the whole process group: the run and its job processes) at 20
# points, then rerun to completion; every output must be bit-identical
# (h5diff --exclude-attribute /) to an uninterrupted run, and no *.tmp.* file
# may be left after the successful rerun. Points 1-16 kill a fresh run after
# delays spread over the uninterrupted run's time (the first ones inside the
# world stage); points 17-20 first stop every job with --stop-after STEPS
# (checkpoints) and kill the resumed run. Prints "ok NAME" / "FAIL NAME: why"
# per point and the tally. Too slow for `make test` (about 20 smoke runs:
# 7-10 min on 2 loaded cores), hence its own target.
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
P=${P:-params/smoke.ini}
N=${N:-20}
JOBS=${JOBS:-2}

B="$TMP/base"
t0=$(date +%s.%N)
"$HH" run "$P" -o "$B" --jobs "$JOBS" --quiet || { bad "killresume: baseline run" "exit $?"; exit 1; }
T=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
mapfile -t FILES < <(cd "$B" && find . -name '*.h5' ! -name '*.ckpt.h5' | sort)
echo "# baseline: ${#FILES[@]} output files in $T s"

# kill_run DIR DELAY [ARGS...]: start hhsim run in its own process group,
# SIGKILL the group after DELAY s; prints what was running at the kill.
kill_run() {
  local dir=$1 delay=$2; shift 2
  setsid "$HH" run "$P" -o "$dir" --jobs "$JOBS" "$@" 2>"$dir.log" >/dev/null &
  local pid=$!
  sleep "$delay"
  local where
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null
    where=$(grep -o 'running: .*;' "$dir.log" | tail -1 | sed 's/^running: //; s/;$//')
    [ -n "$where" ] || where="world (no job finished yet)"
  else
    where="nothing (the run had finished)"
  fi
  wait "$pid" 2>/dev/null
  echo "$where"
}

# check_point NAME DIR: rerun to completion, then compare every output.
pass=0 tmpleft=0 finished=0
check_point() {
  local name=$1 dir=$2 where=$3
  case $where in nothing*) finished=$((finished + 1)) ;; esac
  if ! "$HH" run "$P" -o "$dir" --jobs "$JOBS" --quiet 2>"$dir.rerun.log"; then
    bad "$name" "rerun failed: $(head -c 300 "$dir.rerun.log")"; return
  fi
  local diffs=0 first=""
  for f in "${FILES[@]}"; do
    if ! h5diff --exclude-attribute / "$B/$f" "$dir/$f" >"$TMP/diff" 2>&1 || [ -s "$TMP/diff" ]; then
      diffs=$((diffs + 1)); [ -n "$first" ] || first="$f: $(head -c 200 "$TMP/diff")"
    fi
  done
  local extra; extra=$(cd "$dir" && find . -name '*.h5' ! -name '*.ckpt.h5' | sort | comm -13 <(printf '%s\n' "${FILES[@]}") -)
  local tmps; tmps=$(cd "$dir" && find . -name '*.tmp.*' | head -5 | tr '\n' ' ')
  if [ "$diffs" -eq 0 ] && [ -z "$extra" ]; then
    pass=$((pass + 1))
    if [ -n "$tmps" ]; then
      tmpleft=$((tmpleft + 1))
      bad "$name" "identical bits (killed in: $where) but temp files left: $tmps"
    else ok "$name (killed in: $where)"; fi
  else
    bad "$name" "killed in: $where; $diffs files differ (first: $first)${extra:+; extra files: $extra}"
  fi
}

for i in $(seq 1 "$N"); do
  D="$TMP/k$i"
  if [ "$i" -le $((N - 4)) ]; then
    # delays: 0.03 s and 0.1 s (the world), then spread over the run's time
    case $i in
      1) d=0.03 ;; 2) d=0.1 ;;
      *) d=$(awk -v T="$T" -v i="$i" -v n=$((N - 4)) 'BEGIN {printf "%.2f", T * 0.8 * (i - 2) / (n - 2)}') ;;
    esac
    where=$(kill_run "$D" "$d")
    check_point "killresume $i: SIGKILL after $d s" "$D" "$where"
  else
    k=$((i - (N - 4)))
    steps=$(echo "7 25 60 110" | cut -d' ' -f"$k")
    "$HH" run "$P" -o "$D" --jobs "$JOBS" --stop-after "$steps" --quiet 2>"$D.stop.log"
    d=$(awk -v T="$T" -v k="$k" 'BEGIN {printf "%.2f", T * 0.15 * k}')
    where=$(kill_run "$D" "$d")
    check_point "killresume $i: --stop-after $steps, then SIGKILL after $d s" "$D" "$where"
  fi
  rm -rf "$D" "$D".*log
done
echo "killresume: $pass of $N resumed to identical bits ($finished of the $N runs had finished before the kill); $tmpleft left *.tmp.* files"
[ "$pass" -eq "$N" ] && [ "$tmpleft" -eq 0 ]
