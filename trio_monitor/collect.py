"""`trio-monitor collect`: run the collector until SIGTERM/SIGINT, inside the bound.

The exit status says whether anything was lost: 0 for a clean stop, ``EXIT_SAMPLES_LOST``
when samples polled in this run will never be stored (the log says how many and when).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading

from sqlalchemy.engine import Engine

from .settings import Settings

log = logging.getLogger("trio_monitor.collect")

EXIT_SAMPLES_LOST = 3
EXIT_HUNG = 4
# Past the shutdown bound, how long the process may still take before it is ended hard.
BACKSTOP_GRACE_S = 3.0
METRICS_STOP_S = 1.0  # how long stopping the metrics server may take at exit
# For benchmarks (bench/soak.py --memory-report): a file to append a memory report to
# every minute (collectors._memory.start_report). Not a setting: it costs memory and CPU.
MEMORY_REPORT_ENV = "TRIO_MONITOR_BENCH_MEMORY_REPORT"


def run_collector(settings: Settings, engine: Engine) -> int:
    """Run until a signal; 0, or ``EXIT_SAMPLES_LOST`` if samples were lost."""
    from .wiring import collector, collector_metrics

    report = os.environ.get(MEMORY_REPORT_ENV)
    if report:
        from collectors import _memory

        _memory.start_report(report, float(os.environ.get(MEMORY_REPORT_ENV + "_EVERY_S", 60)),
                             int(os.environ.get(MEMORY_REPORT_ENV + "_FRAMES", 0)))
    metrics = collector_metrics(settings, engine)
    made = collector(settings, engine, metrics=metrics)
    # Everything built so far (modules, the app's wiring) lives for the whole run. Freezing
    # it keeps the full collections a big poll triggers short: they stop every thread,
    # the event loop's included, for time proportional to the objects they must walk.
    gc.freeze()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            if not stop.is_set():
                _arm_backstop(settings.shutdown_timeout_s + BACKSTOP_GRACE_S)
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        server = None
        if metrics is not None:
            metrics.watch(made, loop)
            token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
            server = metrics.serve(settings.metrics_bind, token)
        try:
            await made.run(stop)
        finally:
            if server is not None:
                # After the collector's own bound, inside the backstop's grace.
                await server.aclose(METRICS_STOP_S)

    asyncio.run(run())
    if made.lost.samples:
        log.error("exiting with status %d: %d sample(s) lost", EXIT_SAMPLES_LOST,
                  made.lost.samples, extra={"lost_samples": made.lost.samples})
        return EXIT_SAMPLES_LOST
    return 0


def _arm_backstop(after_s: float) -> None:
    """The last resort if something we did not foresee blocks the shutdown: every part
    has its own bound, so this firing is a bug, logged as one."""

    def fire() -> None:
        log.critical("shutdown took longer than %.1f s; exiting hard", after_s)
        for handler in logging.getLogger().handlers:
            handler.flush()
        sys.stderr.flush()
        os._exit(EXIT_HUNG)

    timer = threading.Timer(after_s, fire)
    timer.daemon = True
    timer.start()
