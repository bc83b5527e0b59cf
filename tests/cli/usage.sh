#!/usr/bin/env bash
# usage.sh - every usage error of hhsim and hhfit is exactly one line on
# stderr and exit 2 (issue 12): unknown options, missing values, bad numbers,
# extra arguments, missing files; and params whose rules used to fail only
# once the stages ran are refused before any output is written.
cd "$(dirname "$0")/../.." || exit 1
source tests/cli/lib.sh
FIT=${FIT:-bin/hhfit}
SMOKE=params/smoke.ini

# one_line NAME CMD...: exit 2 and exactly one line on stderr, nothing on stdout.
one_line() {
  local name=$1; shift
  "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
  local lines; lines=$(wc -l <"$TMP/err")
  if [ "$rc" -ne 2 ]; then bad "$name" "exit $rc, expected 2; stderr: $(head -c 300 "$TMP/err")"
  elif [ "$lines" -ne 1 ]; then bad "$name" "$lines lines on stderr, expected 1: $(head -c 400 "$TMP/err")"
  elif [ -s "$TMP/out" ]; then bad "$name" "stdout not empty: $(head -c 200 "$TMP/out")"
  else ok "$name"; fi
}

# hhsim
one_line "usage: hhsim no command" "$HH"
one_line "usage: hhsim unknown command" "$HH" frobnicate
one_line "usage: hhsim run unknown option" "$HH" run "$SMOKE" -o "$TMP/r" --bogus
one_line "usage: hhsim run --jobs missing value" "$HH" run "$SMOKE" -o "$TMP/r" --jobs
one_line "usage: hhsim run --jobs 1e3" "$HH" run "$SMOKE" -o "$TMP/r" --jobs 1e3
one_line "usage: hhsim run --jobs=0" "$HH" run "$SMOKE" -o "$TMP/r" --jobs=0
one_line "usage: hhsim run --stop-after -5" "$HH" run "$SMOKE" -o "$TMP/r" --stop-after -5
one_line "usage: hhsim run --force=1" "$HH" run "$SMOKE" -o "$TMP/r" --force=1
one_line "usage: hhsim run extra argument" "$HH" run "$SMOKE" "$SMOKE" -o "$TMP/r"
one_line "usage: hhsim run missing PARAMS" "$HH" run -o "$TMP/r"
one_line "usage: hhsim run --set missing value" "$HH" run "$SMOKE" -o "$TMP/r" --set
one_line "usage: hhsim run missing params file" "$HH" run "$TMP/none.ini" -o "$TMP/r"
one_line "usage: hhsim world --until (run only)" "$HH" world "$SMOKE" -o "$TMP/r" --until pm
one_line "usage: hhsim run --only no such stage" "$HH" run "$SMOKE" -o "$TMP/r" --only nope
one_line "usage: hhsim params no file" "$HH" params
one_line "usage: hhsim params two files" "$HH" params "$SMOKE" "$SMOKE"
one_line "usage: hhsim params missing file" "$HH" params "$TMP/none.ini"
one_line "usage: hhsim inspect missing file" "$HH" inspect "$TMP/none.h5"
one_line "usage: hhsim inspect option" "$HH" inspect --bogus
one_line "usage: hhsim bench --steps banana" "$HH" bench --steps banana
one_line "usage: hhsim bench extra argument" "$HH" bench extra
one_line "usage: hhsim sample --n 0" "$HH" sample "$TMP/m.h5" --n 0
one_line "usage: hhsim sample --temp missing value" "$HH" sample "$TMP/m.h5" --temp
one_line "usage: hhsim sample missing model" "$HH" sample "$TMP/none.h5"
one_line "usage: hhsim help two commands" "$HH" help run world
one_line "usage: hhsim help unknown command" "$HH" help nope

# hhfit
one_line "usage: hhfit no arguments" "$FIT"
one_line "usage: hhfit unknown option" "$FIT" "$TMP/run" -o "$TMP/res" --bogus
one_line "usage: hhfit -o missing value" "$FIT" "$TMP/run" -o
one_line "usage: hhfit --boot banana" "$FIT" "$TMP/run" -o "$TMP/res" --boot banana
one_line "usage: hhfit --boot=50 (below 100)" "$FIT" "$TMP/run" -o "$TMP/res" --boot=50
one_line "usage: hhfit --boot 1e3" "$FIT" "$TMP/run" -o "$TMP/res" --boot 1e3
one_line "usage: hhfit --boot missing value" "$FIT" "$TMP/run" -o "$TMP/res" --boot
one_line "usage: hhfit --quiet=1" "$FIT" "$TMP/run" -o "$TMP/res" --quiet=1
one_line "usage: hhfit extra argument" "$FIT" "$TMP/run" "$TMP/run2" -o "$TMP/res"
one_line "usage: hhfit missing -o" "$FIT" "$TMP/run"
one_line "usage: hhfit missing run directory" "$FIT" "$TMP/none" -o "$TMP/res"
[ -e "$TMP/res" ] && bad "usage: hhfit wrote nothing" "$TMP/res exists" || ok "usage: hhfit wrote nothing"

# --boot=500 parses (getopt_long): --list then prints the analyses and exits 0
if "$FIT" --boot=500 --list >"$TMP/out" 2>"$TMP/err" && grep -q '^fig07' "$TMP/out" && ! [ -s "$TMP/err" ]; then
  ok "usage: hhfit --boot=500 accepted"
else bad "usage: hhfit --boot=500 accepted" "$(head -c 300 "$TMP/err")"; fi
# --help unchanged in content: the usage line and every option
"$FIT" --help >"$TMP/out" 2>&1; rc=$?
if [ "$rc" -eq 0 ] && grep -q '^usage: hhfit RUN_DIR -o RESULTS_DIR \[--claims FILE\] \[--style FILE\] \[--boot B\] \[--quiet\]' "$TMP/out" &&
   [ "$(grep -cE '^  (-o DIR|--claims|--style|--boot|--quiet|--list)' "$TMP/out")" -eq 6 ]; then
  ok "usage: hhfit --help"
else bad "usage: hhfit --help" "exit $rc or content changed"; fi

# params rules that used to fail only after the world stage ran (NaN
# accuracies, or the pm stage's late exit) stop hhsim run before any output.
late() {
  local name=$1 text=$2 pat=$3
  { cat "$SMOKE"; printf '%b' "$text"; } >"$TMP/late.ini"
  rm -rf "$TMP/late"
  "$HH" run "$TMP/late.ini" -o "$TMP/late" --quiet >"$TMP/out" 2>"$TMP/err"; local rc=$?
  if [ "$rc" -ne 2 ]; then bad "$name" "exit $rc, expected 2: $(head -c 300 "$TMP/err")"
  elif [ "$(wc -l <"$TMP/err")" -ne 1 ] || ! grep -qE "$pat" "$TMP/err"; then bad "$name" "stderr: $(head -c 400 "$TMP/err")"
  elif [ -e "$TMP/late/world.h5" ]; then bad "$name" "the world stage ran"
  else ok "$name"; fi
}
# (smoke.ini sets these keys; the appended section repeats one, so use fresh files)
sed 's/^n_help_test = 400/n_help_test = 0/' "$SMOKE" >"$TMP/z.ini"
"$HH" run "$TMP/z.ini" -o "$TMP/z" --quiet >"$TMP/out" 2>"$TMP/err"; rc=$?
if [ "$rc" -eq 2 ] && grep -q 'z.ini:15: \[crowd\] n_help_test: 0 is out of range' "$TMP/err" && [ ! -e "$TMP/z/world.h5" ]; then
  ok "params: n_help_test = 0 refused before the world stage"
else bad "params: n_help_test = 0 refused before the world stage" "exit $rc: $(head -c 300 "$TMP/err")"; fi
sed 's/^n_harm_train = 800/n_harm_train = 300/' "$SMOKE" >"$TMP/late.ini"
rm -rf "$TMP/late"; "$HH" run "$TMP/late.ini" -o "$TMP/late" --quiet >"$TMP/out" 2>"$TMP/err"; rc=$?
if [ "$rc" -eq 2 ] && grep -qE 'late.ini:[0-9]+: \[pm\] mix_total: 400 at mix 0 needs 0 helpful and 400 harmless .*n_harm_train = 300' "$TMP/err" &&
   [ "$(wc -l <"$TMP/err")" -eq 1 ] && [ ! -e "$TMP/late/world.h5" ]; then
  ok "params: n_harm_train below [pm] mix_total refused before the world stage"
else bad "params: n_harm_train below [pm] mix_total refused before the world stage" "exit $rc: $(head -c 300 "$TMP/err")"; fi
late "params: [run] seed = 7 on one line" '\n[distill] temperature = 1\n' 'late.ini:[0-9]+: text .temperature = 1. after the section header \[distill\]'
