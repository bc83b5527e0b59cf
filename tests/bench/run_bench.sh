#!/usr/bin/env bash
# run_bench.sh - hhsim's training speed per scale beside the PyTorch peer.
#
# For ROUNDS rounds (default 5), and in each round for each of the five
# configurations (ctx 64, batch 32, vocab 64), runs `bin/hhsim bench
# --scales NAME` (training and generation tokens/s, model FLOP rate,
# single-core SGEMM rate; see sim/cli/bench.h) and then, when `/usr/bin/python3
# -c 'import torch'` works, ../shared/bench/torch_peer.py on the same
# configuration. hhsim and the peer of one scale thus run back to back, and
# the rounds spread each scale's measurements over the whole run, so a slow
# spell of a shared machine hits both sides rather than one. It prints every
# round's numbers, then one table: scale, median hhsim tok/s, median torch
# tok/s, the ratio of the medians, the lowest and highest per-round ratio,
# the hhsim FLOP rate as % of SGEMM (median), and the target ratio.
#
# Threads: both sides get THREADS (default 1) BLAS threads. torch_peer.py's
# THREADS argument only sets torch's intra-op pool; Debian's torch calls the
# system OpenBLAS, which would still start one thread per core, so the peer
# runs with OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=THREADS. Set PEER_FREE=1 to
# leave the peer's BLAS threads alone.
#
# Each hhsim measurement is the median of >= 20 steps and >= 1 s of steps;
# the peer (which reports a mean) is given about as long: 120, 40, 30, 10
# and 6 timed steps at xs, s, m, l, xl (PEER_STEPS overrides all five).
#
# Environment: HHSIM (default bin/hhsim), HHSIM_BENCH_ARGS (extra arguments
# after `bench`), THREADS (1), ROUNDS (5), PEER_STEPS, SCALES (default "xs s
# m l xl"), SHARED (the shared folder; default ../shared beside the
# repository).
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null ||
       (cd "$(dirname "$0")/../.." && pwd))
cd "$root"
HHSIM=${HHSIM:-bin/hhsim}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-5}
PEER_STEPS=${PEER_STEPS:-}
SCALES=${SCALES:-xs s m l xl}
shared=${SHARED:-}
if [ -z "$shared" ]; then
  for d in "$root/../shared" "../shared"; do
    if [ -f "$d/bench/torch_peer.py" ]; then shared=$d; break; fi
  done
fi
case $ROUNDS in ''|*[!0-9]*|0) echo "run_bench: ROUNDS=$ROUNDS must be a positive integer" >&2; exit 2 ;; esac

[ -x "$HHSIM" ] || { echo "run_bench: $HHSIM not found; run 'make' first" >&2; exit 1; }

declare -A shape=([xs]=1:16:2 [s]=2:32:4 [m]=2:64:4 [l]=4:128:4 [xl]=6:192:6)
declare -A peer_steps=([xs]=120 [s]=40 [m]=30 [l]=10 [xl]=6)
for name in $SCALES; do
  [ -n "${shape[$name]:-}" ] || { echo "run_bench: SCALES: unknown scale '$name'; allowed: xs s m l xl" >&2; exit 2; }
done

have_torch=0
if [ -n "$shared" ] && [ -f "$shared/bench/torch_peer.py" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  have_torch=1
else
  echo "run_bench: PyTorch or $shared/bench/torch_peer.py not available; hhsim only"
fi

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f\n", m}'; }

declare -A hh_all torch_all pct_all ratio_all
header=0
for ((r = 1; r <= ROUNDS; r++)); do
  echo "# round $r of $ROUNDS"
  for name in $SCALES; do
    IFS=: read -r L D H <<< "${shape[$name]}"
    ps=${PEER_STEPS:-${peer_steps[$name]}}
    # shellcheck disable=SC2086
    hh_out=$("$HHSIM" bench --threads "$THREADS" --scales "$name" ${HHSIM_BENCH_ARGS:-}) ||
      { echo "run_bench: '$HHSIM bench' failed" >&2; printf '%s\n' "$hh_out" >&2; exit 1; }
    if [ "$header" = 0 ]; then printf '%s\n' "$hh_out" | sed -n '1,3p'; header=1; fi
    row=$(printf '%s\n' "$hh_out" | awk -v n="$name" '$1 == n')
    [ -n "$row" ] || { echo "run_bench: no row for scale $name in hhsim output" >&2; exit 1; }
    printf '%s\n' "$row"
    hh=$(awk '{print $6}' <<< "$row")
    pct=$(awk '{sub("%", "", $8); print $8}' <<< "$row")
    hh_all[$name]+="$hh "
    pct_all[$name]+="$pct "
    if [ "$have_torch" = 1 ]; then
      if [ "${PEER_FREE:-0}" = 1 ]; then
        out=$(/usr/bin/python3 "$shared/bench/torch_peer.py" "$L" "$D" "$H" 64 32 64 "$ps" "$THREADS") ||
          { echo "run_bench: the PyTorch peer failed on scale $name" >&2; exit 1; }
      else
        out=$(OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS \
              /usr/bin/python3 "$shared/bench/torch_peer.py" "$L" "$D" "$H" 64 32 64 "$ps" "$THREADS") ||
          { echo "run_bench: the PyTorch peer failed on scale $name" >&2; exit 1; }
      fi
      echo "torch $name: $out"
      tt=$(printf '%s\n' "$out" | sed -n 's/.*tokens\/s \([0-9.]*\).*/\1/p')
      [ -n "$tt" ] || { echo "run_bench: no tokens/s in the peer's output" >&2; exit 1; }
      torch_all[$name]+="$tt "
      ratio_all[$name]+="$(awk -v a="$hh" -v b="$tt" 'BEGIN {printf "%.3f", a / b}') "
    fi
  done
done

echo
echo "# medians over $ROUNDS round(s); ratio = median hhsim / median torch; per-round ratios lowest..highest"
printf '%-5s %12s %12s %7s %13s %8s %8s\n' scale hhsim_tok/s torch_tok/s ratio 'rounds' '%sgemm' target
for name in $SCALES; do
  hh=$(tr ' ' '\n' <<< "${hh_all[$name]}" | grep . | median)
  pct=$(tr ' ' '\n' <<< "${pct_all[$name]}" | grep . | median)
  case $name in xs|s) target=3.0 ;; m) target=1.5 ;; *) target=1.0 ;; esac
  if [ -n "${torch_all[$name]:-}" ]; then
    tt=$(tr ' ' '\n' <<< "${torch_all[$name]}" | grep . | median)
    ratio=$(awk -v a="$hh" -v b="$tt" 'BEGIN {printf "%.2f", a / b}')
    span=$(tr ' ' '\n' <<< "${ratio_all[$name]}" | grep . | sort -g |
           awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f..%.2f", lo, hi}')
    tt=$(printf '%.0f' "$tt")
  else
    tt=-; ratio=-; span=-
  fi
  printf '%-5s %12.0f %12s %7s %13s %7.1f%% %7sx\n' "$name" "$hh" "$tt" "$ratio" "$span" "$pct" "$target"
done
echo "(targets: ratio >= target at every scale; at xl the FLOP rate >= 50% of SGEMM)"
