#!/usr/bin/env bash
# mpi.sh - the cluster path: `mpirun -np N bin/hhsim-mpi run` gives the same
# bits for N = 1, 2 and 4 ranks (oversubscribed on this 2-core machine) as
# the local `hhsim run`, and a missing input is refused on every rank.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

P=params/smoke.ini
MPI=bin/hhsim-mpi
if [ -n "${HH_NO_MPI:-}" ]; then  # make test-sanitize: Open MPI is not instrumented
  echo "# mpi.sh: not run under the sanitizers (HH_NO_MPI); it runs in the plain make test"; exit 0
fi
if [ ! -x "$MPI" ] || ! command -v mpirun >/dev/null; then
  bad "bin/hhsim-mpi and mpirun exist" "not built: 'make deps' installs Open MPI, then 'make'"; exit 0
fi
root=(); [ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
mpi() { local n=$1; shift; mpirun "${root[@]}" --oversubscribe -np "$n" "$MPI" "$@"; }

"$HH" run $P -o "$TMP/local" --jobs 2 --quiet
same() {  # same NAME DIR: every .h5 of DIR equals the local run's (and there are as many)
  local name=$1 dir=$2 n=0 bad=""
  for f in $(cd "$dir" && find . -name '*.h5' | sort); do
    n=$((n + 1))
    h5diff --exclude-attribute / "$TMP/local/$f" "$dir/$f" >/dev/null 2>&1 || bad="$bad $f"
  done
  local want; want=$(cd "$TMP/local" && find . -name '*.h5' | wc -l)
  if [ -z "$bad" ] && [ "$n" -eq "$want" ]; then ok "$name: $n files identical to the local run"
  else bad "$name" "$n of $want files;$bad differ"; fi
}
t0=$(date +%s)
mpi 2 run $P -o "$TMP/np2" --quiet && same "mpirun -np 2" "$TMP/np2"
mpi 4 run $P -o "$TMP/np4" --quiet && same "mpirun -np 4 (oversubscribed)" "$TMP/np4"
mpi 1 run $P -o "$TMP/np1" --quiet && same "mpirun -np 1" "$TMP/np1"
echo "# three MPI smoke runs took $(( $(date +%s) - t0 )) s"
# a second run over the cluster reruns nothing
mpi 2 run $P -o "$TMP/np2" 2>"$TMP/e" >/dev/null
if [ "$(grep -c ': 0 jobs to run' "$TMP/e")" -eq 10 ]; then ok "mpirun rerun skips up-to-date jobs"
else bad "mpirun rerun skips up-to-date jobs" "$(grep 'jobs to run' "$TMP/e")"; fi
# a refused run ends every rank with exit 2, one line from rank 0
mpi 2 run $P -o "$TMP/empty" --only pm >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ "$rc" -ne 0 ] && grep -q "world.h5: no such file" "$TMP/e"; then ok "mpirun refuses a missing input on every rank"
else bad "mpirun refuses a missing input on every rank" "exit $rc: $(head -3 "$TMP/e")"; fi
# the Slurm recipe parses and runs the MPI binary on paper.ini
if bash -n params/paper.sbatch && grep -q '^mpirun bin/hhsim-mpi run params/paper.ini' params/paper.sbatch; then
  ok "params/paper.sbatch parses"; else bad "params/paper.sbatch parses" "syntax or command"; fi
