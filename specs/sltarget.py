"""A queue's service-level target: the share of calls to answer within a threshold
("80/20": 80 % within 20 s).

Each queue may have its own (stored by ``storage.QueueTargetStore``, set on
``/queues/<id>`` or with ``trio-monitor queues target``); a queue without one has the
site's default (``TRIO_MONITOR_SL_TARGET_PCT`` / ``TRIO_MONITOR_SL_THRESHOLD_S``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

MAX_THRESHOLD_S = 3600


@dataclass(frozen=True, slots=True)
class ServiceLevelTarget:
    pct: float  # the share to reach, 0 < pct < 100
    threshold_s: int  # answered within this many seconds
    own: bool = False  # the queue's own target (else the site's default)

    def text(self) -> str:
        """``80/20``: how supervisors write it."""
        return f"{self.pct:g}/{self.threshold_s}"


def check_target(pct: float, threshold_s: float) -> tuple[float, int]:
    """``(pct, threshold_s)`` if they make a target; ``ValueError`` saying why not."""
    return check_pct(pct), check_threshold(threshold_s)


def check_pct(pct: float) -> float:
    if not (math.isfinite(pct) and 0.0 < pct < 100.0):
        raise ValueError(f"the share must be above 0 and below 100 %, not {pct:g}")
    return float(pct)


def check_threshold(threshold_s: float) -> int:
    if not (math.isfinite(threshold_s) and threshold_s == math.floor(threshold_s)
            and 1 <= threshold_s <= MAX_THRESHOLD_S):
        raise ValueError(f"the threshold must be a whole number of seconds from 1 to "
                         f"{MAX_THRESHOLD_S}, not {threshold_s:g}")
    return int(threshold_s)


def target_for(
    queue_id: str, own: Mapping[str, tuple[float, int]], default: ServiceLevelTarget
) -> ServiceLevelTarget:
    """The queue's own target if it has one, else ``default``."""
    mine = own.get(queue_id)
    if mine is None:
        return default
    return ServiceLevelTarget(mine[0], mine[1], own=True)
