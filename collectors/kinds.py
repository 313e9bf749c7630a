"""Every kind of source the collector polls, found by name.

A new kind of source is one module (its ``Source`` class and a ``KIND``, a
``base.SourceKind``) and one line in ``SOURCE_KINDS``; the process wiring and the
collector take every kind from here.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from sqlalchemy.engine import Engine

from . import drift, health, trio_kind
from ._collector_state import DynamicSources
from .base import BuildContext, Source, SourceKind

SOURCE_KINDS: dict[str, SourceKind] = {
    "trio": trio_kind.KIND,
    "drift": drift.KIND,
    "health": health.KIND,
}


def plan_sources(ctx: BuildContext) -> tuple[list[Source], DynamicSources | None]:
    """Every kind's sources, in registry order, and their dynamic sources as one set."""
    sources: list[Source] = []
    dynamic: list[DynamicSources] = []
    for kind in SOURCE_KINDS.values():
        plan = kind.plan(ctx)
        sources += plan.sources
        if plan.dynamic is not None:
            dynamic.append(plan.dynamic)
    return sources, merge_dynamic(dynamic)


def watched_sources(settings: Any, engine: Engine) -> set[str]:
    """The names of the sources polled now, of every kind."""
    return set().union(*(kind.watched(settings, engine) for kind in SOURCE_KINDS.values()))


def source_intervals(settings: Any, engine: Engine) -> dict[str, float]:
    """The poll interval in seconds of every source, of every kind, by name."""
    intervals: dict[str, float] = {}
    for kind in SOURCE_KINDS.values():
        intervals |= kind.intervals(settings, engine)
    return intervals


def merge_dynamic(sets: list[DynamicSources]) -> DynamicSources | None:
    """Several kinds' dynamic sources as the collector's one set: each spec is tagged
    with the set it came from, so the right kind builds it."""
    if len(sets) <= 1:
        return sets[0] if sets else None

    async def load() -> Mapping[str, Hashable]:
        wanted: dict[str, Hashable] = {}
        for index, one in enumerate(sets):
            wanted |= {name: (index, spec) for name, spec in (await one.load()).items()}
        return wanted

    def build(tagged: Hashable) -> Source:
        assert isinstance(tagged, tuple)
        index, spec = tagged
        return sets[index].build(spec)

    async def aclose() -> None:
        for one in sets:
            if one.aclose is not None:
                await one.aclose()

    return DynamicSources(load=load, build=build, every_s=min(s.every_s for s in sets),
                          aclose=aclose)
