#!/usr/bin/env bash
# world.sh - the command line of the world stage and of params checking.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

expect_exit "hhsim --help" 0 "$HH" --help
expect_exit "hhsim --version" 0 "$HH" --version
expect_exit "hhsim world --help" 0 "$HH" world --help
expect_exit "hhsim no command" 2 "$HH"
expect_exit "hhsim unknown command" 2 "$HH" frobnicate
mkdir -p "$TMP/cwd/params" && cp params/smoke.ini "$TMP/cwd/params/"
HHABS=$(cd "$(dirname "$HH")" && pwd)/$(basename "$HH")
if (cd "$TMP/cwd" && "$HHABS" world params/smoke.ini --quiet) && [ -s "$TMP/cwd/runs/smoke/world.h5" ]; then
  ok "hhsim world without -o writes runs/smoke"; else bad "hhsim world without -o writes runs/smoke" "no runs/smoke/world.h5"; fi
expect_exit "hhsim world unknown flag" 2 "$HH" world params/smoke.ini -o "$TMP/x" --fast
expect_exit "hhsim params missing file" 2 "$HH" params "$TMP/none.ini"
expect_exit "hhsim bench unknown scale" 2 "$HH" bench --scales s,q
if grep -q "'q' is not a scale; allowed: xs, s, m, l, xl" "$TMP/err"; then
  ok "bench names the bad scale"; else bad "bench names the bad scale" "$(cat "$TMP/err")"; fi
expect_exit "hhsim bench empty --scales" 2 "$HH" bench --scales ""
"$HH" bench --scales xs --steps 3 >"$TMP/bench.txt" 2>"$TMP/err"
if awk '$1 == "xs" && $6 > 0 && $9 > 0 {f = 1} $1 == "s" {g = 1} END {exit !(f && !g)}' "$TMP/bench.txt"; then
  ok "bench --scales xs measures xs only"; else bad "bench --scales xs measures xs only" "$(cat "$TMP/bench.txt" "$TMP/err")"; fi

expect_bad_params "unknown section" '[wrld]\nseed = 1\n' 'bad.ini:2: .*unknown section \[wrld\].*did you mean \[world\]'
expect_bad_params "unknown key" '[crowd]\nn_worker = 3\n' "bad.ini:2: .*unknown key 'n_worker'.*did you mean 'n_workers'"
expect_bad_params "wrong type" '[world]\nn_entities = ten\n' "bad.ini:2: .*n_entities.*not a whole number.*allowed"
expect_bad_params "out of range" '[crowd]\nlapse_mean = 2\n' "bad.ini:2: .*lapse_mean.*out of range.*allowed"
expect_bad_params "duplicate key" '[run]\nseed = 1\nseed = 2\n' "bad.ini:3: duplicate key 'seed'"
expect_bad_params "not text" '[run]\n\xff\xfe\n' "not a text file"

# world: same params twice -> identical datasets; another seed -> different data
t0=$(date +%s.%N)
"$HH" world params/smoke.ini -o "$TMP/a" --quiet && "$HH" world params/smoke.ini -o "$TMP/b" --quiet
t1=$(date +%s.%N)
if [ -s "$TMP/a/world.h5" ] && h5diff --exclude-attribute / "$TMP/a/world.h5" "$TMP/b/world.h5" >"$TMP/diff" 2>&1 \
   && [ ! -s "$TMP/diff" ]; then ok "world twice is identical"; else bad "world twice is identical" "$(head -5 "$TMP/diff")"; fi
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "# two smoke worlds took %.2f s\n", b - a }'
sed 's/^seed = .*/seed = 8/' params/smoke.ini >"$TMP/seed8.ini"
"$HH" world "$TMP/seed8.ini" -o "$TMP/c" --quiet
if ! h5diff -q --exclude-attribute / "$TMP/a/world.h5" "$TMP/c/world.h5" >/dev/null 2>&1; then
  ok "another seed gives other data"; else bad "another seed gives other data" "files equal"; fi
if h5dump -a /params "$TMP/a/world.h5" | grep -q 'temp_median' && h5dump -a /git_commit "$TMP/a/world.h5" >/dev/null; then
  ok "provenance attributes"; else bad "provenance attributes" "params or git_commit missing"; fi

# a failing run leaves the earlier file untouched
sum_before=$(md5sum <"$TMP/a/world.h5")
printf '[run]\nseed = 7\n[model]\nctx = 16\n' >"$TMP/short.ini"
expect_exit "world with too short ctx fails" 2 "$HH" world "$TMP/short.ini" -o "$TMP/a"
if grep -q 'ctx = 16 is too short' "$TMP/err" && [ "$(md5sum <"$TMP/a/world.h5")" = "$sum_before" ] \
   && [ -z "$(ls "$TMP/a" | grep tmp)" ]; then
  ok "failed run keeps the earlier output"; else bad "failed run keeps the earlier output" "$(cat "$TMP/err")"; fi

# inspect: a good file, a truncated one, a non-HDF5 one
expect_exit "inspect world.h5" 0 "$HH" inspect "$TMP/a/world.h5"
head -c 5000 "$TMP/a/world.h5" >"$TMP/trunc.h5"
expect_exit "inspect truncated file" 2 "$HH" inspect "$TMP/trunc.h5"
expect_exit "inspect a text file" 2 "$HH" inspect params/smoke.ini
