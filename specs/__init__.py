"""Definitions of what is monitored (health targets, drift sources), their validation,
and the pure rules over them (conditions, quantities, uptime). Imports nothing of ours:
collectors, dashboard and the CLI all validate with the same code."""
