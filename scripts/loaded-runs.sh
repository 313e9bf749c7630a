#!/usr/bin/env bash
# Runs CI (`.ci/run`, the README's test command) N times in a row while `stress-ng` keeps
# the CPUs busy, and prints each run's wall time and pytest summary line: the suite must
# stay green under load. Usage: scripts/loaded-runs.sh [runs=3] [cpu workers=2]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
cpus="${2:-2}"

if ! command -v stress-ng >/dev/null 2>&1; then
    echo "stress-ng is missing: run scripts/test.sh once as root (it installs it)" >&2
    exit 2
fi

logdir="$(mktemp -d "${TMPDIR:-/tmp}/trio-loaded-runs.XXXXXX")"
failed=0
for i in $(seq 1 "$runs"); do
    # Longer than any run: stopped below as soon as the run ends.
    stress-ng --cpu "$cpus" --timeout 3600s --quiet &
    stress_pid=$!
    started=$(date +%s)
    status=0
    CI=true bash .ci/run >"$logdir/run-$i.log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - started ))
    kill "$stress_pid" 2>/dev/null || true
    wait "$stress_pid" 2>/dev/null || true
    summary=$(grep -E '^=+ .*(passed|failed|error).* =+$' "$logdir/run-$i.log" | tail -1 || true)
    printf 'run %d: exit %d, %dm%02ds wall, %s\n' "$i" "$status" $((elapsed / 60)) \
        $((elapsed % 60)) "${summary:-no pytest summary (see the log)}"
    [ "$status" = 0 ] || failed=1
done
echo "logs: $logdir"
exit "$failed"
