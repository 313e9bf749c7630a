"""Kubernetes resource quantities (``500m``, ``1.5Gi``, ``10G``, ``2e3``) as numbers.

The grammar is Kubernetes' ``resource.Quantity``: a signed decimal number followed by
nothing, a decimal exponent (``e3``, ``E-2``), a decimal SI suffix (``n u m k M G T P E``;
``m`` is milli and ``M`` mega) or a binary suffix (``Ki Mi Gi Ti Pi Ei``). Values are
compared exactly (``Decimal``), so ``1Gi`` equals ``1024Mi`` and ``0.1`` equals ``100m``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DECIMAL_SUFFIXES: dict[str, Decimal] = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
BINARY_SUFFIXES: dict[str, Decimal] = {
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
SUFFIXES: dict[str, Decimal] = {**DECIMAL_SUFFIXES, **BINARY_SUFFIXES}

# Longer than any real quantity; keeps a hostile string from costing much.
MAX_LENGTH = 64
# Exponents beyond this are not resource sizes (and would make Decimal arithmetic slow).
MAX_EXPONENT = 100

# "1E" is exa while "1E3" is an exponent: the exponent branch needs digits, so it is
# tried first and falls through to the suffix when none follow.
_QUANTITY_RE = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:[eE](?P<exponent>[+-]?[0-9]+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?"
)


class QuantityError(ValueError):
    """``text`` is not a quantity; the message quotes it and says why."""

    def __init__(self, text: object, reason: str) -> None:
        super().__init__(f"{text!r} is not a quantity: {reason}")
        self.text = text
        self.reason = reason


def parse_decimal(text: str) -> Decimal:
    """``text`` as an exact ``Decimal``; raises ``QuantityError``."""
    if not isinstance(text, str):
        raise QuantityError(text, f"expected a string, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise QuantityError(text, "empty")
    if len(stripped) > MAX_LENGTH:
        raise QuantityError(text[:MAX_LENGTH] + "…", f"longer than {MAX_LENGTH} characters")
    match = _QUANTITY_RE.fullmatch(stripped)
    if match is None:
        raise QuantityError(
            text, "expected a number with an optional suffix (n u m k M G T P E, "
            "Ki Mi Gi Ti Pi Ei) or exponent (e3)"
        )
    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # the pattern admits only valid numbers; kept for safety
        raise QuantityError(text, "unreadable number") from None
    if match["exponent"] is not None:
        exponent = int(match["exponent"])
        if abs(exponent) > MAX_EXPONENT:
            raise QuantityError(text, f"exponent {exponent} out of range")
        return number.scaleb(exponent)
    return number * SUFFIXES[match["suffix"] or ""]


def parse_quantity(text: str) -> float:
    """``"1.5Gi"`` -> ``1610612736.0``; raises ``QuantityError`` for anything else."""
    return float(parse_decimal(text))


def same_quantity(a: str, b: str) -> bool | None:
    """Whether ``a`` and ``b`` are the same amount; None unless both are quantities."""
    try:
        return parse_decimal(a) == parse_decimal(b)
    except QuantityError:
        return None
