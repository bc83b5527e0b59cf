#!/usr/bin/env bash
# make_figures.sh PARAMS NAME - run the implemented stages on PARAMS into
# runs/NAME/ and draw the figures that exist. Called by `make figures`.
set -eu
params=$1
name=$2
run=runs/$name
start=$(date +%s)
stage() {  # stage LABEL CMD...: run one stage and report its time
  local label=$1; shift
  local t0; t0=$(date +%s)
  echo "make figures: $label ..." >&2
  "$@"
  echo "make figures: $label done in $(( $(date +%s) - t0 )) s" >&2
}
stage "world ($params -> $run/world.h5)" bin/hhsim world "$params" -o "$run"
if bin/hhsim pretrain --help >/dev/null 2>&1; then
  stage "pretrain ($run/lm/)" bin/hhsim pretrain "$params" -o "$run"
fi
if bin/hhsim distill --help >/dev/null 2>&1; then
  stage "distill ($run/distill/)" bin/hhsim distill "$params" -o "$run"
fi
cat >&2 <<MSG
make figures: finished in $(( $(date +%s) - start )) s.
  What exists so far: the stages above wrote their HDF5 files under $run/
  ('bin/hhsim inspect FILE.h5' explains each). The preference-model, RL and
  analysis stages are not implemented yet, so no figures and no claims report
  were drawn: figures/out/$name/ stays empty until they land (see README).
MSG
