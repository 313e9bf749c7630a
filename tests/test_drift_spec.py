"""Drift source definitions: defaults, validation, and errors naming index and field."""

from __future__ import annotations

import pytest

from specs.drift import DriftSourceSpec, parse_drift_sources_json, validate_drift_source
from specs.health import SpecError


def test_it_fills_in_defaults() -> None:
    spec = validate_drift_source({"name": "db", "url": "http://rec:8080/drift"})
    assert spec == DriftSourceSpec("db", "http://rec:8080/drift", "json", 15.0, 5.0)


def test_it_reads_a_prometheus_source() -> None:
    spec = validate_drift_source({"name": "db", "url": "https://rec/metrics",
                                  "format": "prometheus", "interval_s": 30, "timeout_s": 2})
    assert (spec.format, spec.interval_s, spec.timeout_s) == ("prometheus", 30.0, 2.0)


@pytest.mark.parametrize(("mapping", "field", "words"), [
    ({"url": "http://x"}, "name", "not a name"),
    ({"name": "a b", "url": "http://x"}, "name", "not a name"),
    ({"name": "db"}, "url", "not a URL"),
    ({"name": "db", "url": "ftp://x"}, "url", "http(s)"),
    ({"name": "db", "url": "http://x:99999"}, "url", "not a URL"),
    ({"name": "db", "url": "http://x", "format": "xml"}, "format", "json, prometheus"),
    ({"name": "db", "url": "http://x", "interval_s": "15"}, "interval_s", "not a number"),
    ({"name": "db", "url": "http://x", "interval_s": 0.5}, "interval_s", "between"),
    ({"name": "db", "url": "http://x", "timeout_s": 0}, "timeout_s", "more than 0"),
    ({"name": "db", "url": "http://x", "timeout_s": 20}, "timeout_s", "longer than"),
    ({"name": "db", "url": "http://x", "intervall_s": 20}, "intervall_s", "unknown"),
    ([], "source", "must be an object"),
])
def test_it_names_the_bad_field(mapping: object, field: str, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        validate_drift_source(mapping)
    assert caught.value.field == field
    assert words in caught.value.message


def test_it_parses_a_json_list() -> None:
    specs = parse_drift_sources_json(
        '[{"name": "a", "url": "http://a/drift"},'
        ' {"name": "b", "url": "http://b/metrics", "format": "prometheus"}]'
    )
    assert [(s.name, s.format) for s in specs] == [("a", "json"), ("b", "prometheus")]


@pytest.mark.parametrize(("text", "field"), [
    ("{", "sources"),
    ('{"name": "a"}', "sources"),
    ('[{"name": "a", "url": "http://a"}, {"name": "b"}]', "sources[1].url"),
    ('[{"name": "a", "url": "http://a"}, 3]', "sources[1]"),
    ('[{"name": "a", "url": "http://a"}, {"name": "a", "url": "http://b"}]', "sources[1].name"),
])
def test_it_names_the_index_of_a_bad_entry(text: str, field: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_drift_sources_json(text)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
