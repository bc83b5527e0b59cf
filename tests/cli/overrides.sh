#!/usr/bin/env bash
# overrides.sh - hhsim run --set section.key=value: the same bits as editing
# the params file (datasets, the params text of every file, DIR/params.ini),
# seen by the skip rule, refused like a bad key of the file (exit 2, one line
# naming the override), and written to a run directory named for the change.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
P=params/smoke.ini
HHABS=$(cd "$(dirname "$HH")" && pwd)/$(basename "$HH")

# --- the same bits as editing the file (pretrain steps 150 -> 60; up to distill)
sed 's/^steps = 150$/steps = 60/' $P >"$TMP/edited.ini"
grep -q '^steps = 60$' "$TMP/edited.ini" || bad "overrides: edited copy" "smoke.ini has no 'steps = 150'"
"$HH" run "$TMP/edited.ini" -o "$TMP/e" --until distill --quiet || bad "overrides: edited run" "exit $?"
"$HH" run $P --set pretrain.steps=60 -o "$TMP/s" --until distill --quiet || bad "overrides: --set run" "exit $?"
diffs="" n=0
for f in $(cd "$TMP/e" && find . -name '*.h5' | sort); do
  n=$((n + 1))
  h5diff --exclude-attribute / "$TMP/e/$f" "$TMP/s/$f" >"$TMP/diff" 2>&1 && [ ! -s "$TMP/diff" ] || diffs="$diffs $f"
  cmp -s <(h5dump -a /params "$TMP/e/$f" | tail -n +2) <(h5dump -a /params "$TMP/s/$f" | tail -n +2) || diffs="$diffs $f(params)"
done
if [ "$n" -ge 5 ] && [ -z "$diffs" ]; then ok "overrides: --set gives the edited file's bits and params text ($n files)"
else bad "overrides: --set gives the edited file's bits and params text" "$n files; differ:$diffs"; fi
if cmp -s <(grep -v '^;' "$TMP/e/params.ini") <(grep -v '^;' "$TMP/s/params.ini") &&
   grep -q '^steps = 60 ' "$TMP/s/params.ini" && grep -qx "; from $P --set pretrain.steps=60" "$TMP/s/params.ini"; then
  ok "overrides: DIR/params.ini holds the override and says where it came from"
else bad "overrides: DIR/params.ini holds the override and says where it came from" "$(head -3 "$TMP/s/params.ini")"; fi

# --- the skip rule sees overrides: same override up to date, another one reruns
"$HH" run $P --set pretrain.steps=60 -o "$TMP/s" --until distill --dry-run >"$TMP/dry" 2>"$TMP/err"
if [ "$(grep -c 'up to date' "$TMP/dry")" -eq "$(grep -c . "$TMP/dry")" ] && [ -s "$TMP/dry" ]; then
  ok "overrides: the same --set is up to date"; else bad "overrides: the same --set is up to date" "$(grep run: "$TMP/dry" | head -2)"; fi
"$HH" run $P --set pretrain.steps=61 -o "$TMP/s" --until distill --dry-run >"$TMP/dry" 2>"$TMP/err"
if grep -qE '^pretrain +lm/xs +run: \[pretrain\] params changed' "$TMP/dry" && grep -qE '^world .*up to date' "$TMP/dry"; then
  ok "overrides: another --set value reruns what depends on it"
else bad "overrides: another --set value reruns what depends on it" "$(head -3 "$TMP/dry")"; fi
"$HH" run $P -o "$TMP/s" --until distill --dry-run >"$TMP/dry" 2>"$TMP/err"
if grep -qE '^pretrain +lm/s +run: \[pretrain\] params changed' "$TMP/dry"; then
  ok "overrides: dropping the --set reruns too"; else bad "overrides: dropping the --set reruns too" "$(head -3 "$TMP/dry")"; fi

# --- refused like a bad key of the file: exit 2, one line naming the override, nothing written
refused() {  # refused NAME PATTERN ARGS...
  local name=$1 pat=$2; shift 2
  rm -rf "$TMP/r"
  "$HH" "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
  if [ "$rc" -ne 2 ]; then bad "$name" "exit $rc, expected 2: $(head -c 300 "$TMP/err")"
  elif [ "$(wc -l <"$TMP/err")" -ne 1 ] || ! grep -qE -- "$pat" "$TMP/err"; then bad "$name" "stderr: $(head -c 400 "$TMP/err")"
  elif [ -e "$TMP/r" ] || [ -s "$TMP/out" ]; then bad "$name" "wrote something"
  else ok "$name"; fi
}
refused "overrides: unknown key" "--set pm.epoch=3: unknown key 'epoch' in \[pm\] \(did you mean 'epochs'\?\)" run $P -o "$TMP/r" --set pm.epoch=3
refused "overrides: unknown section" "--set pn.epochs=3: unknown section \[pn\] \(did you mean \[pm\]\?\)" run $P -o "$TMP/r" --set pn.epochs=3
refused "overrides: bad value" "--set pm.epochs=x: \[pm\] epochs: 'x' is not a whole number; allowed: a whole number in \[1, 1000\]" run $P -o "$TMP/r" --set pm.epochs=x
refused "overrides: out of range" "--set pm.epochs=0: \[pm\] epochs: 0 is out of range" run $P -o "$TMP/r" --set pm.epochs=0
refused "overrides: bad list item" "--set pm.scales=xs,s/x: \[pm\] scales: 's/x' is not a valid name" run $P -o "$TMP/r" --set pm.scales=xs,s/x
refused "overrides: not section.key=value" "--set epochs=3: expected section.key=value" run $P -o "$TMP/r" --set epochs=3
refused "overrides: no value" "--set pm.epochs=: \[pm\] epochs: '' is an empty value" run $P -o "$TMP/r" --set pm.epochs=
refused "overrides: a key set twice" "--set pm.epochs=4: \[pm\] epochs is set twice \(first by --set pm.epochs=3\)" run $P -o "$TMP/r" --set pm.epochs=3 --set pm.epochs=4
refused "overrides: a rule between keys names the override" "--set pm.sizes=100,5000: \[pm\] sizes: 5000 at hh_frac" run $P -o "$TMP/r" --set pm.sizes=100,5000
refused "overrides: --set without a value" "option '--set' needs a value" run $P -o "$TMP/r" --set
refused "overrides: a stage command checks them too" "--set rl.iters=-1: \[rl\] iters: -1 is out of range" pm $P -o "$TMP/r" --set rl.iters=-1
refused "overrides: hhsim params checks them too" "--set world.n_symbols=99: \[world\] n_symbols: 99 is out of range" params $P --set world.n_symbols=99
if "$HH" params $P --set world.n_symbols=5 --set 'rl.policy_scales=xs' | grep -q '^n_symbols = 5 ' &&
   "$HH" params $P --set 'rl.policy_scales=xs' | grep -q '^policy_scales = xs '; then
  ok "overrides: hhsim params prints them"; else bad "overrides: hhsim params prints them" "values missing"; fi

# --- the run directory: runs/NAME+section.key=value..., in key-table order, effective values
mkdir -p "$TMP/cwd/params" && cp $P "$TMP/cwd/params/my.ini"
dir_is() {  # dir_is NAME EXPECTED ARGS...
  local name=$1 want=$2; shift 2
  local got; got=$(cd "$TMP/cwd" && "$HHABS" run params/my.ini "$@" --print-dir 2>"$TMP/err")
  if [ "$got" = "$want" ]; then ok "$name"; else bad "$name" "got '$got', expected '$want' $(head -c 200 "$TMP/err")"; fi
}
dir_is "run dir: no override" "runs/my"
dir_is "run dir: one override" "runs/my+pm.epochs=3" --set pm.epochs=3
dir_is "run dir: key-table order, effective values" "runs/my+pretrain.steps=60+pm.lr=0.001" --set pm.lr=1e-3 --set pretrain.steps=60
dir_is "run dir: the other order names the same run" "runs/my+pretrain.steps=60+pm.lr=0.001" --set pretrain.steps=60 --set pm.lr=0.001
dir_is "run dir: list values without spaces" "runs/my+rl.policy_scales=xs,s" --set 'rl.policy_scales= xs , s'
dir_is "run dir: an empty list" "runs/my+rl.policy_scales=" --set 'rl.policy_scales='
dir_is "run dir: -o says otherwise" "elsewhere/x" --set pm.epochs=3 -o elsewhere/x
long=$(cd "$TMP/cwd" && "$HHABS" run params/my.ini --set pm.sizes=100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115 \
       --set pm.mixes=0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1 --print-dir)
if [ "${#long}" -le 130 ] && [[ "$long" =~ ^runs/my\+pm\.sizes=100,101.*\+[0-9a-f]{16}$ ]]; then
  ok "run dir: a long name is cut and hashed"; else bad "run dir: a long name is cut and hashed" "$long"; fi
(cd "$TMP/cwd" && "$HHABS" world params/my.ini --set world.n_test_prompts=200 --quiet) 2>"$TMP/err"
W="$TMP/cwd/runs/my+world.n_test_prompts=200"
if [ -s "$W/world.h5" ] && grep -q '^n_test_prompts = 200 ' "$W/params.ini" &&
   grep -qx '; from params/my.ini --set world.n_test_prompts=200' "$W/params.ini" && [ ! -e "$TMP/cwd/runs/my" ]; then
  ok "run dir: a run without -o writes runs/NAME+KEY=VALUE, not runs/NAME"
else bad "run dir: a run without -o writes runs/NAME+KEY=VALUE, not runs/NAME" "$(ls "$TMP/cwd/runs" 2>&1) $(head -c 200 "$TMP/err")"; fi

# --- make figures SET=...: the Makefile hands SET to make_figures.sh, which names runs/, results/ and figures/out/ alike
if make -n figures PARAMS=params/smoke.ini SET='pm.epochs=2 rl.iters=10' 2>/dev/null |
   grep -q "SET='pm.epochs=2 rl.iters=10' bash figures/make_figures.sh params/smoke.ini"; then
  ok "make figures SET: passed to make_figures.sh"; else bad "make figures SET: passed to make_figures.sh" "$(make -n figures SET=x 2>&1 | tail -2)"; fi
