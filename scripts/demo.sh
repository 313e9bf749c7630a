#!/usr/bin/env bash
# The demo: the Trio simulator, the collector and the dashboard, on SQLite in ./demo-data,
# with 30 days of history at first start. Ctrl-C stops it. Options go to
# `trio-monitor demo` (--port, --data-dir, --queues, --agents, --history-days, ...).
#
# Progress comes as numbered steps on stderr: [1/4] and [2/4] here (the virtual
# environment, the packages: pip's output is summarised, its full log kept), [3/4] and
# [4/4] from `trio-monitor demo` (the database, the history); the banner with the
# address comes on stdout once the web app answers.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${TRIO_MONITOR_VENV:-.venv}"
steps=4

case "${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}" in
  sv*) sv=1 ;;
  *) sv=0 ;;
esac
say() {  # say ENGLISH SWEDISH
  if [ "$sv" = 1 ]; then printf '%s' "$2"; else printf '%s' "$1"; fi
}
step() {  # step N TEXT
  printf '[%s/%s] %s\n' "$1" "$steps" "$2" >&2
}

if [ -x "$venv/bin/python" ]; then
  step 1 "$(say "using the virtual environment $venv" "använder den virtuella miljön $venv")"
else
  step 1 "$(say "creating virtual environment $venv…" "skapar den virtuella miljön $venv…")"
  python3 -m venv "$venv"
fi

# Installed already with these dependencies: the stamp holds their checksum.
stamp="$venv/.trio-monitor-demo-stamp"
wanted="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  step 2 "$(say "packages up to date" "paketen är aktuella")"
else
  installing="$(say "installing packages…" "installerar paket…")"
  step 2 "$installing"
  log="$venv/demo-install.log"
  # One line per ten packages (pip names each as it collects it); the whole log on error.
  summarise() {
    local n=0 line
    while IFS= read -r line; do
      case "$line" in
        Collecting*|Requirement\ already\ satisfied*|Obtaining*)
          n=$((n + 1))
          if [ $((n % 10)) = 0 ]; then
            step 2 "$installing $(say "$n packages checked" "$n paket kontrollerade")"
          fi ;;
        Installing\ collected\ packages*)
          step 2 "$installing $(say "installing $n packages" "installerar $n paket")" ;;
      esac
    done
  }
  set +e
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
    -c constraints.txt -e . 2>&1 | tee "$log" | summarise
  status="${PIPESTATUS[0]}"
  set -e
  if [ "$status" != 0 ]; then
    tail -n 20 "$log" >&2
    say "pip failed; the whole log: $log" "pip misslyckades; hela loggen: $log" >&2
    echo >&2
    exit 1
  fi
  echo "$wanted" > "$stamp"
  step 2 "$(say "packages installed" "paketen är installerade")"
fi

exec "$venv/bin/python" -m trio_monitor demo --steps-before 2 "$@"
