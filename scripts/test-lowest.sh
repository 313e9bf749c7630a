#!/usr/bin/env bash
# The unit tests against the lowest versions pyproject.toml allows for each direct
# dependency (uv's --resolution lowest-direct), in a throwaway venv: a floor that is not
# true fails here, not on a site that happens to have an older release installed.
# Browser tests and tests that spawn processes are left out (-m); arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/trio-monitor-lowest.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# uv itself comes from PyPI, pinned by constraints.txt, into a venv of its own.
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c constraints.txt uv
"$work/tools/bin/uv" venv --quiet --python "$(command -v python3)" "$work/venv"
# The test tools keep their own pins (the dev and test extras are exact or minor-pinned):
# only the project's direct runtime dependencies go to their floors.
VIRTUAL_ENV="$work/venv" "$work/tools/bin/uv" pip install --quiet \
    --resolution lowest-direct -e '.[test]'
# Each direct dependency's declared floor beside the version that resolved: a floor no
# release matches (">=0.23" when the lowest is 0.23.1) was never tested. Reported after
# the tests, which run either way.
echo "== lowest direct dependencies installed (pyproject.toml's floors):"
floors=0
"$work/venv/bin/python" scripts/lowest_floors.py || floors=$?
echo "== pytest (unit tests)"
"$work/venv/bin/python" -m pytest -q -n "${TRIO_MONITOR_TEST_WORKERS:-auto}" \
    --dist worksteal -m "not browser and not slow" "$@"
if [ "$floors" != 0 ]; then
    echo "the tests passed on the lowest versions, but pyproject.toml's floors are not" \
        "those versions (above): raise them" >&2
    exit "$floors"
fi
