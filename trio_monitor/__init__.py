"""trio_monitor package."""
