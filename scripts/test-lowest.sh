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
echo "== lowest direct dependencies installed:"
VIRTUAL_ENV="$work/venv" "$work/tools/bin/uv" pip freeze \
    | grep -i -E '^(dash|plotly|apscheduler|sqlalchemy|alembic|psycopg|httpx|pydantic|pydantic-settings|libpass|gunicorn|aiohttp|prometheus-client|flask|werkzeug|tzdata)=='
echo "== pytest (unit tests)"
"$work/venv/bin/python" -m pytest -q -n "${TRIO_MONITOR_TEST_WORKERS:-auto}" \
    --dist worksteal -m "not browser and not slow" "$@"
