#!/usr/bin/env bash
# help.sh - every command's help: 'hhsim help CMD' is 'hhsim CMD --help';
# every long option of main.c's option tables is in some command's help and
# every option of run in run's; run's help lists every stage.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

"$HH" --help >"$TMP/main" 2>&1 || bad "help: hhsim --help" "exit $?"
cmds=$(sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "$TMP/main")
[ "$(echo "$cmds" | wc -w)" -ge 12 ] && ok "help: --help lists the commands" || bad "help: --help lists the commands" "$cmds"
: >"$TMP/all"
for c in $cmds; do
  "$HH" help "$c" >"$TMP/a" 2>&1; ra=$?
  if [ "$c" = help ]; then "$HH" --help >"$TMP/b" 2>&1; else "$HH" "$c" --help >"$TMP/b" 2>&1; fi; rb=$?
  if [ $ra -eq 0 ] && [ $rb -eq 0 ] && cmp -s "$TMP/a" "$TMP/b" && grep -q '^usage: hhsim' "$TMP/a"; then ok "help: hhsim help $c"
  else bad "help: hhsim help $c" "exit $ra/$rb or different from --help"; fi
  cat "$TMP/a" >>"$TMP/all"
done
miss=""
for o in $(grep -oE '\{"[a-z-]+", (no|required)_argument' sim/cli/main.c | sed 's/{"\([a-z-]*\)".*/\1/' | sort -u); do
  grep -q -- "--$o\b" "$TMP/all" || miss="$miss --$o"
done
[ -z "$miss" ] && ok "help: every long option is in a command's help" || bad "help: every long option is in a command's help" "missing:$miss"
"$HH" run --help >"$TMP/run"
miss=""
for o in --out --set --jobs --only --until --stop-after --force --dry-run --project-from --ranks --print-dir --quiet --help; do
  grep -q -- "$o\b" "$TMP/run" || miss="$miss $o"; done
for s in world pretrain distill pmp pm rl bon; do grep -qE "^  $s +" "$TMP/run" || miss="$miss stage:$s"; done
[ -z "$miss" ] && ok "help: run --help has every option and stage" || bad "help: run --help has every option and stage" "missing:$miss"
