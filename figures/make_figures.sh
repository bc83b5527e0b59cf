#!/usr/bin/env bash
# make_figures.sh PARAMS [NAME] - the whole pipeline for `make figures`:
#   1. the simulation into runs/NAME/ ('hhsim run', which skips up-to-date jobs);
#   2. hhfit runs/NAME -o results/NAME (tables.h5, one .gp per figure, claims.md);
#   3. gnuplot on every results/NAME/*.gp -> figures/out/NAME/*.png and *.pdf;
#   4. hhfit report results/NAME: results/NAME/index.html (figures embedded).
# SET='section.key=value ...' (make figures SET=...) overrides params keys
# (hhsim run --set); without NAME the run is named for PARAMS and the
# overrides as hhsim run names it (runs/default+pm.epochs=3), so a change
# never overwrites the results it will be compared with.
# Prints the time of each stage; stops at the first failure with its status.
set -eu
params=${1:?usage: make_figures.sh PARAMS [NAME]}
here=$(cd "$(dirname "$0")" && pwd)
fit_args=()
if [ -x bin/hhsim ]; then  # a source tree
  HHSIM=${HHSIM:-bin/hhsim} HHFIT=${HHFIT:-bin/hhfit}
else  # installed (make install): PREFIX/share/hhsim/make_figures.sh beside the style and claims
  HHSIM=${HHSIM:-$here/../../bin/hhsim} HHFIT=${HHFIT:-$here/../../bin/hhfit}
  [ -f "$here/claims.tsv" ] && fit_args=(--claims "$here/claims.tsv" --style "$here/style.gp")
fi
sets=()
for kv in ${SET:-}; do sets+=(--set "$kv"); done
if [ -n "${2:-}" ]; then name=$2
else
  run=$("$HHSIM" run "$params" ${sets[@]+"${sets[@]}"} --print-dir)
  name=${run#runs/}
fi
run=runs/$name
res=results/$name
out=figures/out/$name

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
start=$(now)
stage() {  # stage LABEL CMD...: run one stage and report its time
  local label=$1; shift
  local t0; t0=$(now)
  echo "make figures: $label ..." >&2
  "$@"
  echo "make figures: $label done in $(secs "$t0" "$(now)") s" >&2
}

stage "simulation ($params${SET:+ --set $SET} -> $run/, up-to-date jobs skipped)" \
  "$HHSIM" run "$params" ${sets[@]+"${sets[@]}"} -o "$run"
stage "analysis ($run -> $res/)" "$HHFIT" "$run" -o "$res" ${fit_args[@]+"${fit_args[@]}"}

draw() {  # every figure script of the results, into $out
  mkdir -p "$out"
  local n=0 g
  for g in "$res"/*.gp; do [ -e "$g" ] && n=$((n + 1)); done
  # two scripts at a time (each writes only its own files); a failing one fails the stage
  [ "$n" = 0 ] || printf '%s\0' "$res"/*.gp | xargs -0 -P 2 -n 1 gnuplot -e "outdir='$out'"
  echo "make figures: drew $n figures into $out/ (PNG and PDF)" >&2
}
stage "figures ($res/*.gp -> $out/)" draw
stage "report ($res/index.html)" "$HHFIT" report "$res" --figures "$out" --quiet

cat >&2 <<MSG
make figures: finished in $(secs "$start" "$(now)") s.
  data:    $run/*.h5              ('bin/hhsim inspect FILE.h5' explains each)
  tables:  $res/tables.h5   (schema: analysis/README.md)
  claims:  $res/claims.md, $res/claims.csv
  report:  $res/index.html   (every figure beside its claims and tables; opens alone)
  figures: $out/*.png, *.pdf   (each from $res/NAME.gp, which runs alone)
MSG
