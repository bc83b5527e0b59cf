#!/usr/bin/env bash
# run_bench.sh - hhsim's training and sampling speed per scale beside PyTorch.
#
# For ROUNDS rounds (default 5), and in each round for each configuration
# (ctx 64, batch 32, vocab 64; SCALES), runs `bin/hhsim bench --scales NAME`
# (training and KV-cache sampling tokens/s and FLOP rates, single-core SGEMM
# rate; see sim/cli/bench.h) and then, when `/usr/bin/python3 -c 'import torch'`
# works, this folder's PyTorch peers on the same configuration:
# peer_train.py (a training step) and peer_sample.py (KV-cache sampling);
# peer_model.py is the model they share. hhsim and the peers of one scale
# thus run back to back, and the rounds spread each scale's measurements over
# the whole run, so a slow spell of a shared machine hits both sides rather
# than one. It prints every round's numbers, then two tables (training,
# sampling): scale, median hhsim tok/s, median torch tok/s, the ratio of the
# medians, the lowest and highest per-round ratio, the hhsim FLOP rate as %
# of SGEMM (median; 6 x params x tok/s for training, 2 x params x tok/s for
# sampling), the target (issue 13's) and whether the medians meet it; then
# the SGEMM ceiling (median over all
# runs of hhsim's n = 512 / 1024 SGEMM rate) and (unless PPO=0) one
# `hhsim bench --ppo` table (time of a PPO iteration by phase with shares,
# and the update before micro-batching timed alternating with it).
#
# Threads: both sides get THREADS (default 1) BLAS threads. The peers'
# THREADS argument only sets torch's intra-op pool; Debian's torch calls the
# system OpenBLAS, which would still start one thread per core, so the peers
# run with OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=THREADS. Set PEER_FREE=1 to
# leave the peers' BLAS threads alone.
#
# Each hhsim measurement is the median of >= 20 steps (>= 5 generations)
# and >= 1 s of them; the peers report the median of individually timed steps
# (generations), given about as long: 120, 40, 30, 10, 6 training steps and
# 40, 15, 12, 4, 2 generations at xs, s, m, l, xl (PEER_STEPS / PEER_GENS
# override all five).
#
# PyTorch: `make bench-deps` installs Debian's python3-torch (as root);
# without it only hhsim's numbers are printed.
#
# Environment: HHSIM (default bin/hhsim), HHSIM_BENCH_ARGS (extra arguments
# after `bench`), THREADS (1), ROUNDS (5), PEER_STEPS, PEER_GENS, SCALES
# (default "xs s m l xl"), PPO (1; 0 leaves out the PPO table).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/../.." && pwd))
cd "$root"
HHSIM=${HHSIM:-bin/hhsim}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-5}
SCALES=${SCALES:-xs s m l xl}
case $ROUNDS in ''|*[!0-9]*|0) echo "run_bench: ROUNDS=$ROUNDS must be a positive integer" >&2; exit 2 ;; esac

[ -x "$HHSIM" ] || { echo "run_bench: $HHSIM not found; run 'make' first" >&2; exit 1; }

declare -A shape=([xs]=1:16:2 [s]=2:32:4 [m]=2:64:4 [l]=4:128:4 [xl]=6:192:6)
declare -A peer_steps=([xs]=120 [s]=40 [m]=30 [l]=10 [xl]=6)
declare -A peer_gens=([xs]=40 [s]=15 [m]=12 [l]=4 [xl]=2)
# issue 13's targets (ratio of medians to the peer; at xl sampling also >= 50%
# of single-core SGEMM)
declare -A target_train=([xs]=5.0 [s]=4.0 [m]=2.2 [l]=1.4 [xl]=1.2)
declare -A target_gen=([xs]=4.0 [s]=4.0 [m]=4.0 [l]=4.0 [xl]=2.0)
declare -A target_pct_train=() target_pct_gen=([xl]=50)
for name in $SCALES; do
  [ -n "${shape[$name]:-}" ] || { echo "run_bench: SCALES: unknown scale '$name'; allowed: xs s m l xl" >&2; exit 2; }
done

have_torch=0
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  have_torch=1
else
  echo "run_bench: PyTorch not importable by /usr/bin/python3 ('make bench-deps' installs it); hhsim only"
fi

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f\n", m}'; }
med_of() { tr ' ' '\n' <<< "$1" | grep . | median; }
span_of() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f..%.2f", lo, hi}'; }

# peer SCRIPT L D H N: the peer's tok_s on the bench configuration
peer() {
  local out
  if [ "${PEER_FREE:-0}" = 1 ]; then
    out=$(/usr/bin/python3 "$here/$1" "$2" "$3" "$4" 64 32 64 "$5" "$THREADS")
  else
    out=$(OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS \
          /usr/bin/python3 "$here/$1" "$2" "$3" "$4" 64 32 64 "$5" "$THREADS")
  fi || { echo "run_bench: $1 failed" >&2; return 1; }
  local t
  t=$(printf '%s\n' "$out" | sed -n 's/.* tok_s \([0-9.]*\).*/\1/p')
  [ -n "$t" ] || { echo "run_bench: no tok_s in the output of $1: $out" >&2; return 1; }
  echo "$t"
}

declare -A hh_tr hh_gen pct_tr pct_gen t_tr t_gen r_tr r_gen
g512s=""; g1024s=""
header=0
for ((r = 1; r <= ROUNDS; r++)); do
  echo "# round $r of $ROUNDS"
  for name in $SCALES; do
    IFS=: read -r L D H <<< "${shape[$name]}"
    # shellcheck disable=SC2086
    hh_out=$("$HHSIM" bench --threads "$THREADS" --scales "$name" ${HHSIM_BENCH_ARGS:-}) ||
      { echo "run_bench: '$HHSIM bench' failed" >&2; printf '%s\n' "$hh_out" >&2; exit 1; }
    if [ "$header" = 0 ]; then printf '%s\n' "$hh_out" | sed -n '1p;3p'; header=1; fi
    read -r a b <<< "$(printf '%s\n' "$hh_out" | sed -n 's/^# sgemm n=512 \([0-9.]*\) GFLOP\/s, n=1024 \([0-9.]*\).*/\1 \2/p')"
    g512s+="$a "; g1024s+="$b "
    row=$(printf '%s\n' "$hh_out" | awk -v n="$name" '$1 == n')
    [ -n "$row" ] || { echo "run_bench: no row for scale $name in hhsim output" >&2; exit 1; }
    printf '%s\n' "$row"
    read -r tr ptr gen pgen <<< "$(awk '{sub("%", "", $8); sub("%", "", $11); print $6, $8, $9, $11}' <<< "$row")"
    hh_tr[$name]+="$tr "; pct_tr[$name]+="$ptr "
    hh_gen[$name]+="$gen "; pct_gen[$name]+="$pgen "
    if [ "$have_torch" = 1 ]; then
      a=$(peer peer_train.py "$L" "$D" "$H" "${PEER_STEPS:-${peer_steps[$name]}}") || exit 1
      b=$(peer peer_sample.py "$L" "$D" "$H" "${PEER_GENS:-${peer_gens[$name]}}") || exit 1
      echo "torch $name: train tok/s $a, sample tok/s $b"
      t_tr[$name]+="$a "; t_gen[$name]+="$b "
      r_tr[$name]+="$(awk -v x="$tr" -v y="$a" 'BEGIN {printf "%.3f", x / y}') "
      r_gen[$name]+="$(awk -v x="$gen" -v y="$b" 'BEGIN {printf "%.3f", x / y}') "
    fi
  done
done

# table WHAT: one comparison table from the arrays named by WHAT (tr, gen);
# met: "yes" when the ratio of medians reaches the target (and, where a
# FLOP-rate target is set, the median %sgemm reaches it), "NO" otherwise
table() {
  local -n hh=hh_$1 pct=pct_$1 tt=t_$1 rr=r_$1 tg=target_$2 tp=target_pct_$2
  printf '%-5s %12s %12s %7s %13s %8s %8s %5s\n' scale hhsim_tok/s torch_tok/s ratio rounds '%sgemm' target met
  for name in $SCALES; do
    local h p t ratio span met want
    h=$(med_of "${hh[$name]}"); p=$(med_of "${pct[$name]}")
    want=${tg[$name]}x
    [ -z "${tp[$name]:-}" ] || want="$want,${tp[$name]}%"
    if [ -n "${tt[$name]:-}" ]; then
      t=$(med_of "${tt[$name]}")
      ratio=$(awk -v a="$h" -v b="$t" 'BEGIN {printf "%.2f", a / b}')
      span=$(span_of "${rr[$name]}"); t=$(printf '%.0f' "$t")
      met=$(awk -v r="$ratio" -v g="${tg[$name]}" -v p="$p" -v q="${tp[$name]:-0}" \
            'BEGIN {print (r >= g && p >= q) ? "yes" : "NO"}')
    else
      t=-; ratio=-; span=-; met=-
    fi
    printf '%-5s %12.0f %12s %7s %13s %7.1f%% %8s %5s\n' "$name" "$h" "$t" "$ratio" "$span" "$p" "$want" "$met"
  done
}

echo
echo "# medians over $ROUNDS round(s); ratio = median hhsim / median torch; per-round ratios lowest..highest"
echo "# training step (forward, backward, AdamW); %sgemm = 6 x params x tok/s over single-core SGEMM"
table tr train
echo "(targets: ratio of medians >= target at every scale)"
echo
echo "# KV-cache sampling (32 rows x 64 tokens, temperature 1); %sgemm = 2 x params x tok/s over SGEMM"
table gen gen
echo "(targets: ratio of medians >= target at every scale; at xl also the FLOP rate >= 50% of SGEMM)"
echo
g512=$(med_of "$g512s" | xargs printf "%.1f"); g1024=$(med_of "$g1024s" | xargs printf "%.1f")
echo "# SGEMM ceiling (1 thread, median of every run's measurement): n=512 $g512 GFLOP/s, n=1024 $g1024 GFLOP/s"
if [ "${PPO:-1}" = 1 ]; then
  echo
  # shellcheck disable=SC2086
  "$HHSIM" bench --threads "$THREADS" --ppo --scales "$(tr ' ' ',' <<< "$SCALES" | sed 's/,*$//')"
fi
