"""`trio-monitor demo`: the simulator, the collector and the web app on SQLite, in one
command, with 30 days of history and a simulated day that keeps some queues busy.

Progress goes to stderr as numbered steps (``scripts/demo.sh`` numbers its own steps
first and passes ``--steps-before``); the banner with the address and the password goes
to stdout once the web app answers.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
import time
from pathlib import Path
from typing import TextIO

import simulator
import storage

from .cliutil import cli_language, configure_logging  # cli_language: known from here too
from .settings import Settings, load_settings

log = logging.getLogger(__name__)

HISTORY_DAYS = 30


class Steps:
    """Numbered progress lines on ``out``: ``[3/4] preparing the database…``. On a
    terminal a percentage rewrites its line; elsewhere (a log, a pipe) every 10 % is a
    line of its own."""

    def __init__(self, before: int, total: int, lang: str, out: TextIO = sys.stderr) -> None:
        self.number = before
        self.total = total
        self.lang = lang
        self.out = out
        self._tty = out.isatty()
        self._shown = -1

    def text(self, key: str, **fields: object) -> str:
        from dashboard.i18n import t

        return t(key, self.lang, **fields)

    def step(self, key: str, **fields: object) -> None:
        self.number += 1
        pct = fields.get("pct")
        self._shown = pct if isinstance(pct, int) else -1
        self.line(f"[{self.number}/{self.total}] {self.text(key, **fields)}")

    def line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def percent(self, key: str, fraction: float, **fields: object) -> None:
        """The current step's line with ``pct`` filled in (rounded down: 100 % only at
        the end)."""
        pct = max(0, min(100, int(fraction * 100)))
        if pct == self._shown or (not self._tty and pct // 10 == self._shown // 10
                                  and pct != 100):
            return
        self._shown = pct
        text = f"[{self.number}/{self.total}] {self.text(key, pct=pct, **fields)}"
        if self._tty:
            end = "\n" if pct == 100 else ""
            print(f"\r{text}", end=end, file=self.out, flush=True)
        else:
            self.line(text)


def run_demo(args: argparse.Namespace) -> int:
    """The demo (see the module docstring); the web port was checked free by the caller."""
    from .web import child_env, serve, wait_for_web

    steps = Steps(args.steps_before, args.steps_before + 2, cli_language())
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {
        "TRIO_MONITOR_DATA_DIR": str(data_dir),
        "TRIO_MONITOR_DATABASE_URL": f"sqlite:///{(data_dir / 'trio-monitor.db').as_posix()}",
        "TRIO_MONITOR_POLL_INTERVAL_S": str(args.poll_interval),
        "TRIO_MONITOR_REFRESH_INTERVAL_S": str(max(1.0, args.poll_interval)),
        "TRIO_MONITOR_WEB_BIND": f"127.0.0.1:{args.port}",
        "TRIO_MONITOR_MODE": "development",
    }
    os.environ.update(env)
    settings = load_settings()
    configure_logging(settings)

    steps.step("demo_step_database")
    password = demo_admin(settings)

    start = time.time()
    seed = secrets.randbelow(10_000)
    # Surges in every third queue, from now on: one starts every 5 minutes.
    behaviour = simulator.Behaviour(surges=simulator.Surges(origin=start))
    model, fleet = fill_demo_history(settings, steps, args, seed, behaviour, start)

    sim_password = "sim-" + secrets.token_urlsafe(12)
    client_key = secrets.token_urlsafe(18)
    config = simulator.SimulatorConfig(
        queues=args.queues, agents=args.agents, seed=seed, client_key=client_key,
        username="monitor", password=sim_password, behaviour=behaviour, model=model,
        fleet=fleet,
    )
    steps.line(steps.text("demo_starting"))
    with simulator.run_in_thread(config) as sim:
        key_file = _private_file(data_dir / "trio-client-key", client_key)
        password_file = _private_file(data_dir / "trio-password", sim_password)
        sim_env = {
            "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
            # Both servers announce 127.0.0.1 with the primary's port: name the secondary's.
            "TRIO_MONITOR_TRIO_SECONDARY_URL": sim.secondary_url,
            "TRIO_MONITOR_TRIO_CLIENT_KEY_FILE": str(key_file),
            "TRIO_MONITOR_TRIO_USERNAME": "monitor",
            "TRIO_MONITOR_TRIO_PASSWORD_FILE": str(password_file),
            "TRIO_MONITOR_HEALTH_TARGETS": json.dumps([
                {"name": name, "url": sim.worker_url(name), "interval_s": 5, "timeout_s": 2,
                 "conditions": ['status == "ok"', "consecutive_failures < 10",
                                "age(last_successful_run) < 10m"],
                 "degraded_latency_ms": 1000}
                for name in sim.worker_names
            ]),
            "TRIO_MONITOR_DRIFT_SOURCES": json.dumps([
                {"name": name, "url": sim.reconciler_url(name, "json"), "format": "json",
                 "interval_s": 10}
                for name in sim.reconciler_names
            ]),
        }
        env.update(sim_env)
        os.environ.update(sim_env)
        settings = load_settings()
        probe_env = " ".join(f"{k}={v}" for k, v in env.items() if "_TRIO_" in k)
        local = f"http://127.0.0.1:{args.port}"
        banner = (
            f"Trio Monitor demo\n"
            f"  open {app_url(local, settings)}  and log in as  admin / {password}\n"
            f"  (this password is shown once; the next demo run sets a new one)\n"
            f"  simulated Trio API: {sim.primary_url} (failover: {sim.secondary_url})\n"
            f"    client key {client_key}, user monitor, password {sim_password}\n"
            f"    try it:  {probe_env} trio-monitor trio probe\n"
            f"  break it:  curl -X POST {sim.control_url}/faults "
            """-d '{"resource": "services/state", "kind": "hang"}'\n"""
            f"             curl -X POST {sim.control_url}/workers/{sim.worker_names[0]} "
            """-d '{"mode": "failing"}'\n"""
            f"  database:  {settings.database_url}\n"
            f"  Ctrl-C stops everything."
        )
        # The banner only once the web app answers: a URL printed earlier is a URL that
        # refuses connections for the first seconds. /healthz answers outside the prefix.
        return serve(child_env(**env), settings.shutdown_timeout_s,
                     ready=(lambda: wait_for_web(f"{local}/healthz"),
                            lambda: print(banner, flush=True)))


def app_url(origin: str, settings: Settings) -> str:
    """The address of the app's front page: the origin, the URL prefix, a slash."""
    return f"{origin}{settings.url_prefix}/"


def fill_demo_history(
    settings: Settings, steps: Steps, args: argparse.Namespace, seed: int,
    behaviour: simulator.Behaviour, start: float,
) -> tuple[simulator.ContactCenter | None, simulator.Fleet | None]:
    """The model and the fleet of workers and reconcilers to serve, advanced through
    ``args.history_days`` of queue, drift and health history stored in the database;
    None (the simulator builds its own) when the database has history already or none
    is wanted."""
    from .demo_history import DAY_S, fill_fleet_history, fill_history, has_history
    from .wiring import make_engine

    days = args.history_days
    engine = make_engine(settings)
    try:
        if days <= 0:
            steps.step("demo_history_off")
            return None, None
        if has_history(engine, settings.trio_source_name):
            steps.step("demo_history_found")
            return None, None
        steps.step("demo_step_history", days=days, pct=0)
        from_s = start - days * DAY_S
        model = simulator.build_contact_center(
            queues=args.queues, agents=args.agents, seed=seed, now=from_s,
            behaviour=behaviour)
        report = fill_history(
            engine, model, source=settings.trio_source_name,
            queue_fields=settings.queue_fields, from_s=from_s,
            progress=lambda done: steps.percent("demo_step_history", done, days=days))
        fleet = simulator.build_fleet(seed, from_s)
        fleet_report = fill_fleet_history(engine, fleet, from_s=from_s)
        total = report.samples + fleet_report.samples
        steps.line(steps.text("demo_history_done", days=days,
                              seconds=round(report.seconds + fleet_report.seconds),
                              samples=f"{total:,}".replace(",", " ")))
        return model, fleet
    except storage.StorageUnavailable as exc:
        # The demo still runs, with the history it got (what was written stays).
        log.error("the demo's history was not filled: %s", exc,
                  extra={"database": settings.database_url})
        steps.line(steps.text("demo_history_failed", error=str(exc)))
        return None, None
    finally:
        engine.dispose()


def _private_file(path: Path, content: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(content)
    return path


def demo_admin(settings: Settings) -> str:
    """Create (or reset) the demo's admin; return the password to print."""
    import auth

    from .wiring import make_engine

    password = (settings.demo_password.get_secret_value() if settings.demo_password
                else secrets.token_urlsafe(12))
    engine = make_engine(settings)
    try:
        storage.upgrade(engine)
        try:
            auth.add_user(engine, "admin", password, auth.Role.ADMIN)
        except auth.UserExists:
            auth.set_password(engine, "admin", password)
            auth.enable_user(engine, "admin")
    finally:
        engine.dispose()
    return password

