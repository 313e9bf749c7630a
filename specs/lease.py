"""The collector's lease, named once: the row whose holder is the one active collector,
and whose token fences every write of the collector, the alert evaluator and the
notifier (``docs/DESIGN.md``, the lease)."""

COLLECTOR_LEASE = "collector"
