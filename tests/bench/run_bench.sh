#!/usr/bin/env bash
# run_bench.sh - hhsim's training speed per scale beside the PyTorch peer.
#
# Runs `bin/hhsim bench` (training and generation tokens/s, model FLOP rate,
# single-core SGEMM rate; see sim/bench.h) and, when `/usr/bin/python3 -c
# 'import torch'` works, ../shared/bench/torch_peer.py on the same five
# configurations (ctx 64, batch 32, vocab 64), one after the other, then
# prints one table: scale, hhsim tok/s, torch tok/s, ratio, hhsim FLOP rate
# as % of SGEMM, and the target ratio.
#
# Threads: both sides get THREADS (default 1) BLAS threads. torch_peer.py's
# THREADS argument only sets torch's intra-op pool; Debian's torch calls the
# system OpenBLAS, which would still start one thread per core, so the peer
# runs with OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=THREADS. Set PEER_FREE=1 to
# leave the peer's BLAS threads alone.
#
# Environment: HHSIM (default bin/hhsim), HHSIM_BENCH_ARGS (extra arguments
# after `bench`), THREADS (1), PEER_STEPS (torch timed steps, default 20),
# SHARED (the shared folder; default ../shared beside the repository).
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null ||
       (cd "$(dirname "$0")/../.." && pwd))
cd "$root"
HHSIM=${HHSIM:-bin/hhsim}
THREADS=${THREADS:-1}
PEER_STEPS=${PEER_STEPS:-20}
shared=${SHARED:-}
if [ -z "$shared" ]; then
  for d in "$root/../shared" "../shared"; do
    if [ -f "$d/bench/torch_peer.py" ]; then shared=$d; break; fi
  done
fi

[ -x "$HHSIM" ] || { echo "run_bench: $HHSIM not found; run 'make' first" >&2; exit 1; }
# shellcheck disable=SC2086
hh_out=$("$HHSIM" bench ${HHSIM_BENCH_ARGS:-}) ||
  { echo "run_bench: '$HHSIM bench' failed" >&2; printf '%s\n' "$hh_out" >&2; exit 1; }
printf '%s\n\n' "$hh_out"

configs="xs:1:16:2 s:2:32:4 m:2:64:4 l:4:128:4 xl:6:192:6"
have_torch=0
if [ -n "$shared" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  have_torch=1
else
  echo "run_bench: PyTorch or $shared/bench/torch_peer.py not available; hhsim only"
fi

declare -A torch_tok
if [ "$have_torch" = 1 ]; then
  for c in $configs; do
    IFS=: read -r name L D H <<< "$c"
    if [ "${PEER_FREE:-0}" = 1 ]; then
      out=$(/usr/bin/python3 "$shared/bench/torch_peer.py" "$L" "$D" "$H" 64 32 64 "$PEER_STEPS" "$THREADS")
    else
      out=$(OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS \
            /usr/bin/python3 "$shared/bench/torch_peer.py" "$L" "$D" "$H" 64 32 64 "$PEER_STEPS" "$THREADS")
    fi
    echo "torch $name: $out"
    torch_tok[$name]=$(printf '%s\n' "$out" | sed -n 's/.*tokens\/s \([0-9.]*\).*/\1/p')
  done
  echo
fi

printf '%-5s %12s %12s %7s %8s %8s\n' scale hhsim_tok/s torch_tok/s ratio '%sgemm' target
for c in $configs; do
  IFS=: read -r name L D H <<< "$c"
  row=$(printf '%s\n' "$hh_out" | awk -v n="$name" '$1 == n {print $6, $8}')
  [ -n "$row" ] || { echo "run_bench: no row for scale $name in hhsim output" >&2; exit 1; }
  read -r hh pct <<< "$row"
  case $name in xs|s) target=3.0 ;; m) target=1.5 ;; *) target=1.0 ;; esac
  tt=${torch_tok[$name]:-}
  if [ -n "$tt" ]; then
    ratio=$(awk -v a="$hh" -v b="$tt" 'BEGIN {printf "%.2f", a / b}')
  else
    tt=-; ratio=-
  fi
  printf '%-5s %12.0f %12s %7s %8s %7sx\n' "$name" "$hh" "$tt" "$ratio" "$pct" "$target"
done
echo "(targets: ratio >= target at every scale; at xl the FLOP rate >= 50% of SGEMM)"
