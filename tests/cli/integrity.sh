#!/usr/bin/env bash
# integrity.sh - a run directory cannot mix: two runs into one directory (the
# second is refused while the first holds the lock), stale temporary files of
# killed jobs removed, and every dataset checksummed (a flipped byte in the
# numbers is an error, not a silently different result).
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

P=params/smoke.ini
R="$TMP/run"
# two runs into one directory with different seeds: the second is refused at once
sed 's/^seed = 7$/seed = 8/' $P >"$TMP/seed8.ini"
"$HH" run $P -o "$R" --until pretrain --quiet &
first=$!
for _ in $(seq 100); do [ -s "$R/.hhsim.lock" ] && break; sleep 0.05; done
"$HH" run "$TMP/seed8.ini" -o "$R" --quiet >"$TMP/o" 2>"$TMP/e"; rc=$?
wait $first; rc1=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/e")" -eq 1 ] && grep -q "another hhsim run (pid [0-9]*) is writing this run directory" "$TMP/e" \
   && [ "$rc1" -eq 0 ]; then ok "a second run into a locked directory is refused"
else bad "a second run into a locked directory is refused" "exit $rc (first $rc1): $(cat "$TMP/e")"; fi
if h5dump -a /seed "$R/lm/s.h5" 2>/dev/null | grep -q '"7"'; then ok "the first run's files are its own (seed 7)"
else bad "the first run's files are its own" "$(h5dump -a /seed "$R/lm/s.h5" 2>&1 | head -3)"; fi
# the lock ends with the run: the next run may go
expect_exit "after the first run, another run may start" 0 "$HH" run $P -o "$R" --until pretrain --quiet

# stale temporary files of a killed job are removed at the start of the next run
echo junk >"$R/lm/xs.h5.tmp.99999"
mkdir -p "$R/pm" && echo junk >"$R/pm/s_n100_h050_pmp0_s0.h5.tmp.4242"
"$HH" run $P -o "$R" --until pretrain 2>"$TMP/e" >/dev/null
if [ ! -e "$R/lm/xs.h5.tmp.99999" ] && [ ! -e "$R/pm/s_n100_h050_pmp0_s0.h5.tmp.4242" ] \
   && grep -q "removed .*xs.h5.tmp.99999" "$TMP/e"; then ok "stale temporary files removed and named"
else bad "stale temporary files removed" "$(ls "$R/lm" "$R/pm")"; fi

# checksums: a byte flipped inside a dataset's numbers is refused by the reader
f="$R/lm/xs.h5"
cp "$f" "$TMP/xs.bak"
off=$(bin/tests/h5craft "$f" offset /model/wte 2>/dev/null)
if [ -n "$off" ]; then
  printf '\x55' | dd of="$f" bs=1 seek=$((off + 37)) conv=notrunc 2>/dev/null
  "$HH" sample "$f" --n 1 >/dev/null 2>"$TMP/e"; rc=$?
  if [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/e")" -eq 1 ]; then ok "a flipped byte in /model/wte is refused (checksum)"
  else bad "a flipped byte in /model/wte is refused (checksum)" "exit $rc: $(head -2 "$TMP/e")"; fi
else
  bad "find the data of /model/wte" "h5craft offset failed"
fi
cp "$TMP/xs.bak" "$f"

# recorded inputs: a model made from another run's file is refused, naming both
expect_exit "distill xs and s" 0 "$HH" run $P -o "$R" --until distill --quiet
"$HH" run "$TMP/seed8.ini" -o "$TMP/r8" --until pretrain --quiet
cp "$TMP/r8/lm/xs.h5" "$R/lm/xs.h5"
"$HH" sample "$R/distill/xs.h5" --n 1 >/dev/null 2>"$TMP/e"; rc=$?
if [ "$rc" -eq 2 ] && grep -q "distill/xs.h5: was made from .*lm/xs.h5 with content hash [0-9a-f]*, but that file now holds" "$TMP/e"; then
  ok "a file made from a since-replaced input is refused"; else bad "a file made from a since-replaced input is refused" "exit $rc: $(cat "$TMP/e")"; fi
"$HH" run $P -o "$R" --until distill 2>"$TMP/e" >/dev/null
if grep -q "pretrain: 1 job to run" "$TMP/e" && grep -q "distill: 1 job to run" "$TMP/e" \
   && "$HH" sample "$R/distill/xs.h5" --n 1 >/dev/null 2>&1; then ok "the next run redoes the mixed jobs and the run is whole again"
else bad "the next run redoes the mixed jobs" "$(grep 'jobs\? to run' "$TMP/e")"; fi

# hhfit reads only files made with the run's params (params.ini) under their own names
Q="$TMP/q"
"$HH" run $P -o "$Q" --until pm --quiet
cp "$Q/pm/xs_n100_h050_pmp0_s0.h5" "$Q/pm/xs_copy.h5"
bin/hhfit "$Q" -o "$TMP/qres" --quiet 2>"$TMP/e"; rc=$?
if [ "$rc" -eq 2 ] && grep -q "pm/xs_copy.h5: holds job pm/xs_n100_h050_pmp0_s0 (its /job attributes), not the job its name says" "$TMP/e"; then
  ok "hhfit refuses a copy of a PM file under another name"; else bad "hhfit refuses a copy under another name" "exit $rc: $(cat "$TMP/e")"; fi
rm "$Q/pm/xs_copy.h5"
sed 's/^\[pm\]/[pm]\npmp = 1/' $P >"$TMP/pmp1.ini"
"$HH" run "$TMP/pmp1.ini" -o "$Q" --until pm --quiet
bin/hhfit "$Q" -o "$TMP/qres" --quiet 2>"$TMP/e"; rc=$?
if [ "$rc" -eq 2 ] && grep -q "pm/.*pmp0.*: made with other \[pm\] params than this run's (params.ini)" "$TMP/e"; then
  ok "hhfit refuses PM files left from a run with other [pm] params"; else bad "hhfit refuses stale PM files" "exit $rc: $(cat "$TMP/e")"; fi
rm "$Q"/pm/*pmp0*
expect_exit "hhfit once the stale files are gone" 0 bin/hhfit "$Q" -o "$TMP/qres" --quiet

# the skip rule sees a replaced file even with its time preserved (cp -p): it is remade
cd "$Q/pm" && cp -p xs_n800_h050_pmp1_s0_half1.h5 xs_n800_h050_pmp1_s0_half0.h5 && cd - >/dev/null
"$HH" run "$TMP/pmp1.ini" -o "$Q" --until pm --dry-run 2>/dev/null >"$TMP/dry"
if grep -q "pm/xs_n800_h050_pmp1_s0_half0 *run: the file holds another job" "$TMP/dry"; then
  ok "a file replaced by another job's (cp -p) is remade"; else bad "a file replaced by another job's is remade" "$(grep half0 "$TMP/dry")"; fi
