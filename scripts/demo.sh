#!/usr/bin/env bash
# The demo: the Trio simulator, the collector and (from the web app issue on) the dashboard,
# on SQLite in ./demo-data. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TRIO_MONITOR_VENV:-.venv}"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
exec "$venv/bin/trio-monitor" demo "$@"
