# lib.sh - helpers for the CLI checks: each check prints "ok NAME" or "FAIL NAME: why".
HH=${HH:-bin/hhsim}
TMP=$(mktemp -d /tmp/hhsim_cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok $1"; }
bad() { echo "FAIL $1: $2"; }

# expect_exit NAME CODE CMD...: the command exits with CODE.
expect_exit() {
  local name=$1 code=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
  if [ "$rc" -eq "$code" ]; then ok "$name"; else bad "$name" "exit $rc, expected $code; stderr: $(head -c 300 "$TMP/err")"; fi
}

# one_line NAME PATTERN CMD...: the command exits 2 with one stderr line matching
# PATTERN (grep), the way every bad input is refused.
one_line() {  # one_line NAME PATTERN CMD...: exit 2, one stderr line matching PATTERN
  local name=$1 pat=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
  if [ "$rc" -ne 2 ]; then bad "$name" "exit $rc, expected 2"
  elif [ "$(wc -l <"$TMP/err")" -ne 1 ]; then bad "$name" "$(wc -l <"$TMP/err") lines on stderr"
  elif ! grep -q "$pat" "$TMP/err"; then bad "$name" "message '$(cat "$TMP/err")' lacks '$pat'"
  else ok "$name"; fi
}

# expect_bad_params NAME TEXT PATTERN: params text is refused with exit 2 and
# one stderr line matching PATTERN.
expect_bad_params() {
  local name=$1 text=$2 pat=$3
  printf '%b' "$text" >"$TMP/bad.ini"
  "$HH" params "$TMP/bad.ini" >"$TMP/out" 2>"$TMP/err"; local rc=$?
  local lines; lines=$(wc -l <"$TMP/err")
  if [ "$rc" -ne 2 ]; then bad "$name" "exit $rc, expected 2"
  elif [ "$lines" -ne 1 ]; then bad "$name" "$lines lines on stderr, expected 1"
  elif ! grep -qE "$pat" "$TMP/err"; then bad "$name" "message '$(cat "$TMP/err")' lacks /$pat/"
  else ok "$name"; fi
}

# h5col FILE DATASET: the dataset's values, one per line (first DATA block only).
h5col() {
  h5dump -d "$2" -y "$1" 2>/dev/null | sed -n '/DATA {/,/}/{p;/}/q}' | tr ',' '\n' |
    grep -oE -- '-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?'
}

# expect_one_line NAME CODE PATTERN CMD...: exit CODE (no signal, no hang:
# HH_TIMEOUT seconds at most, default 60) and exactly one stderr line matching PATTERN.
expect_one_line() {
  local name=$1 code=$2 pat=$3; shift 3
  timeout "${HH_TIMEOUT:-60}" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null; local rc=$?
  local lines; lines=$(wc -l <"$TMP/err")
  if [ "$rc" -ne "$code" ]; then bad "$name" "exit $rc, expected $code; stderr: $(head -c 400 "$TMP/err")"
  elif [ "$lines" -ne 1 ]; then bad "$name" "$lines lines on stderr, expected 1: $(head -c 400 "$TMP/err")"
  elif ! grep -qE -- "$pat" "$TMP/err"; then bad "$name" "message '$(cat "$TMP/err")' lacks /$pat/"
  else ok "$name"; fi
}
