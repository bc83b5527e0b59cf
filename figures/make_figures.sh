#!/usr/bin/env bash
# make_figures.sh PARAMS NAME - the whole pipeline for `make figures`:
#   1. the simulation into runs/NAME/ ('hhsim run', which skips up-to-date
#      jobs, when this hhsim has it; otherwise world, pretrain, distill, pm);
#   2. hhfit runs/NAME -o results/NAME (tables.h5, one .gp per figure, claims.md);
#   3. gnuplot on every results/NAME/*.gp -> figures/out/NAME/*.png and *.pdf;
#   4. hhfit report results/NAME: results/NAME/index.html (figures embedded).
# Prints the time of each stage; stops at the first failure with its status.
set -eu
params=${1:?usage: make_figures.sh PARAMS NAME}
name=${2:?usage: make_figures.sh PARAMS NAME}
run=runs/$name
res=results/$name
out=figures/out/$name
HHSIM=${HHSIM:-bin/hhsim}
HHFIT=${HHFIT:-bin/hhfit}

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

if "$HHSIM" run --help >/dev/null 2>&1; then
  stage "simulation ($params -> $run/, up-to-date jobs skipped)" "$HHSIM" run "$params" -o "$run"
else
  for s in world pretrain distill pm; do
    stage "$s ($params -> $run/)" "$HHSIM" "$s" "$params" -o "$run"
  done
fi
stage "analysis ($run -> $res/)" "$HHFIT" "$run" -o "$res"

draw() {  # every figure script of the results, into $out
  mkdir -p "$out"
  local n=0 g
  for g in "$res"/*.gp; do
    [ -e "$g" ] || continue
    gnuplot -e "outdir='$out'" "$g"
    n=$((n + 1))
  done
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
