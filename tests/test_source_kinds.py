"""The source-kind registry: the collector polls whatever kinds ``SOURCE_KINDS`` holds."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from collectors import kinds
from collectors.base import BuildContext, PollOutcome, SourceKind, SourcePlan
from collectors.runner import DynamicSources
from trio_monitor import wiring
from trio_monitor.settings import load_settings


class _FakeSource:
    kind = "fake"
    interval_s: float | None = 7.0

    def __init__(self, name: str) -> None:
        self.name = name
        self.url = f"http://fake/{name}"

    async def poll(self, deadline: Any) -> PollOutcome:
        return PollOutcome(samples=[])

    def assess(self, outcome: Any, error: Any, consecutive_failures: int) -> None:
        return None

    async def aclose(self) -> None:
        return None


def _fake_kind(built: list[BuildContext]) -> SourceKind:
    def plan(ctx: BuildContext) -> SourcePlan:
        built.append(ctx)

        async def load() -> dict[str, Any]:
            return {"fake:moving": "spec-1"}

        return SourcePlan(
            sources=[_FakeSource("fake:fixed")],
            dynamic=DynamicSources(load=load, build=lambda spec: _FakeSource("fake:moving")),
        )

    return SourceKind(
        plan=plan,
        watched=lambda settings, engine: {"fake:fixed", "fake:moving"},
        intervals=lambda settings, engine: {"fake:fixed": 7.0, "fake:moving": 7.0},
    )


@pytest.fixture
def fake_kind(monkeypatch: pytest.MonkeyPatch) -> list[BuildContext]:
    built: list[BuildContext] = []
    monkeypatch.setitem(kinds.SOURCE_KINDS, "fake", _fake_kind(built))
    return built


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_it_schedules_every_source_of_every_registered_kind(
    db_url: str, engine: Engine, clock: Any, fake_kind: list[BuildContext], tmp_path: Path
) -> None:
    settings = load_settings(database_url=db_url, data_dir=tmp_path, health_targets=(
        '[{"name": "api", "url": "http://127.0.0.1:9/health"}]'))
    collector = wiring.collector(settings, engine, clock=clock)
    try:
        assert [ctx.settings for ctx in fake_kind] == [settings], "built once, from the settings"
        assert await collector.activate()
        collector._start_polling()
        scheduler = collector._scheduler
        assert scheduler is not None
        # Polling starts with a sync of the dynamic sources, run by the scheduler: wait for
        # it (a second sync called here would race it and see a source half added).
        wanted = {"poll:fake:fixed", "poll:fake:moving", "poll:health:api"}
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 30
        while not wanted <= {job.id for job in scheduler.get_jobs()}:
            assert loop.time() < give_up, {job.id for job in scheduler.get_jobs()}
            await asyncio.sleep(0.01)
        assert wiring.watched_sources(settings, engine) == {
            "fake:fixed", "fake:moving", "health:api"}
        assert wiring.source_intervals(settings, engine)["fake:moving"] == 7.0
    finally:
        collector._stop_polling()
        await collector.aclose()
