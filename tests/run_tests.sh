#!/usr/bin/env bash
# run_tests.sh - run every cmocka suite and the CLI checks; print one closing
# line "N passed, N failed" and exit non-zero on any failure. A CLI check that
# cannot run here prints "skip NAME: why" (counted apart, neither passed nor failed).
set -u
pass=0; fail=0; skip=0
for t in "$@"; do
  out=$("$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  # cmocka writes its summary to stdout and stderr; lines may interleave, so no ^ anchor
  p=$(printf '%s\n' "$out" | grep -o '\[  PASSED  \] [0-9]* test' | awk '{s+=$4} END {print s+0}')
  f=$(printf '%s\n' "$out" | grep -o '\[  FAILED  \] [0-9]* test' | awk '{s+=$4} END {print s+0}')
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "suite $t exited $rc without a cmocka failure count: counted as 1 failure"
    f=1
  fi
  pass=$((pass + p)); fail=$((fail + f))
done
for s in tests/cli/*.sh; do
  [ -e "$s" ] || continue
  out=$(bash "$s" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | grep -c '^ok ')
  f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
  skip=$((skip + $(printf '%s\n' "$out" | grep -c '^skip ')))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  pass=$((pass + p)); fail=$((fail + f))
done
[ "$skip" -eq 0 ] || echo "$skip skipped (the 'skip' lines above say why)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
