#!/usr/bin/env bash
# Installs what the tests need, then runs ruff, mypy and pytest; fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TRIO_MONITOR_VENV:-.venv}"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# The versions pinned in constraints.txt: the same set on every machine and in CI.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt \
    -e '.[test,dev]'

# Browser tests use Debian's Chromium and chromedriver (browsers that download themselves
# cannot work here); scripts/loaded-runs.sh runs this suite beside stress-ng.
missing=()
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    missing+=(chromium chromium-driver)
fi
command -v stress-ng >/dev/null 2>&1 || missing+=(stress-ng)
# Self-monitoring tests scrape the product with a real Prometheus and lint with promtool.
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# The deployment test puts a real nginx in front of the web app (tests/test_browser_nginx.py),
# with a certificate made by openssl.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${missing[*]} from Debian's packages..."
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "note: ${missing[*]} missing and not root (browser tests skip without chromium;" \
            "scripts/loaded-runs.sh needs stress-ng)" >&2
    fi
fi

echo "== ruff"; "$venv/bin/ruff" check .
# mypy runs beside pytest (it is off the suite's critical path); its findings are printed
# after the tests and fail the run like theirs.
mypy_out=$(mktemp)
"$venv/bin/mypy" >"$mypy_out" 2>&1 &
mypy_pid=$!
# One worker per core (TRIO_MONITOR_TEST_WORKERS=0 runs in one process): much of the suite
# waits on processes, browsers and sockets. Every worker has its own PostgreSQL database,
# temporary folder and ports. worksteal evens out the long browser tests.
echo "== pytest"
tests=0
"$venv/bin/pytest" -n "${TRIO_MONITOR_TEST_WORKERS:-auto}" --dist worksteal "$@" || tests=$?
echo "== mypy"
checked=0
wait "$mypy_pid" || checked=$?
cat "$mypy_out"; rm -f "$mypy_out"
[ "$tests" -eq 0 ] || exit "$tests"
exit "$checked"
