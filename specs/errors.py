"""The one error of every spec: which field is wrong, and why."""

from __future__ import annotations


class SpecError(ValueError):
    """A definition is invalid. ``field`` names where (``targets[2].url``); str is
    ``"field: message"``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
