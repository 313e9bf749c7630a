"""Kubernetes quantities: every suffix, exact comparison, and garbage that never crashes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specs.quantity import SUFFIXES, QuantityError, parse_quantity, same_quantity


@pytest.mark.parametrize(("text", "value"), [
    ("500m", 0.5), ("1.5Gi", 1.5 * 2**30), ("10G", 10e9), ("512Mi", 512 * 2**20),
    ("1Ti", 2**40), ("2e3", 2000.0), ("1.5", 1.5), ("100n", 100e-9), ("3u", 3e-6),
    ("1k", 1000.0), ("1M", 1e6), ("1E", 1e18), ("1Ei", 2.0**60), ("2E-3", 0.002),
    ("-1", -1.0), ("+.5", 0.5), ("7.", 7.0), (" 4Ki ", 4096.0),
])
def test_it_parses_kubernetes_quantities(text: str, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value)


def test_it_tells_milli_from_mega() -> None:
    assert parse_quantity("1m") == 0.001
    assert parse_quantity("1M") == 1_000_000.0


@pytest.mark.parametrize("text", [
    "", "Gi", "1.5Gix", "1 Gi", "1gi", "1K", "1e", "e3", "1..5", "--1", "0x10", "1,5",
    "NaN", "inf", "1e1000", "١٢", "1Gi\n2", "9" * 65,
])
def test_it_refuses_what_is_not_a_quantity(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_it_says_which_text_is_not_a_quantity_and_why() -> None:
    with pytest.raises(QuantityError) as caught:
        parse_quantity("1.5Gix")
    assert str(caught.value).startswith("'1.5Gix' is not a quantity: expected a number")


def test_it_refuses_values_that_are_not_strings() -> None:
    with pytest.raises(QuantityError, match="expected a string, got int"):
        parse_quantity(3)  # type: ignore[arg-type]


def test_it_compares_quantities_in_different_units_exactly() -> None:
    assert same_quantity("1Gi", "1024Mi") is True
    assert same_quantity("0.1", "100m") is True
    assert same_quantity("1G", "1Gi") is False
    assert same_quantity("1Gi", "1.5Gix") is None
    assert same_quantity("v1.2", "v1.2") is None


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=999),
    st.sampled_from(sorted(SUFFIXES)),
)
def test_it_parses_a_formatted_number_back_to_value_times_multiplier(
    whole: int, thousandths: int, suffix: str
) -> None:
    text = f"{whole}.{thousandths:03d}{suffix}"
    expected = Decimal(f"{whole}.{thousandths:03d}") * SUFFIXES[suffix]
    assert parse_quantity(text) == pytest.approx(float(expected), rel=1e-12)


@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(min_value=-30, max_value=30))
def test_it_parses_exponents(mantissa: int, exponent: int) -> None:
    assert parse_quantity(f"{mantissa}e{exponent}") == pytest.approx(mantissa * 10.0**exponent)


@given(st.integers(min_value=0, max_value=10**6))
def test_it_sees_binary_units_as_the_same_amount(n: int) -> None:
    assert same_quantity(f"{n}Gi", f"{n * 1024}Mi") is True
    assert same_quantity(f"{n}Ti", f"{n * 1024}Gi") is True


@given(st.text(max_size=40))
def test_it_never_crashes_on_garbage(text: str) -> None:
    try:
        value = parse_quantity(text)
    except QuantityError:
        return
    assert isinstance(value, float)


@given(st.text(alphabet="0123456789.+-eEnumkMGTPiK ", max_size=20))
def test_it_never_crashes_on_near_quantities(text: str) -> None:
    try:
        parse_quantity(text)
    except QuantityError:
        pass
