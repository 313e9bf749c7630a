"""The one error of ``specs``: a definition that does not validate."""

from __future__ import annotations


class SpecError(ValueError):
    """``field`` names what is wrong (``[2].url``, ``interval_s``); ``str()`` reads
    "field: message" so a person can find the entry in a long configuration."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
