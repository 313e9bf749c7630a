"""The floors scripts/test-lowest.sh proves (without the network: its check of what
resolved is scripts/lowest_floors.py, tested here on the real pyproject.toml)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("lowest_floors", ROOT / "scripts" /
                                               "lowest_floors.py")
assert _spec is not None and _spec.loader is not None
lowest_floors = importlib.util.module_from_spec(_spec)
sys.modules["lowest_floors"] = lowest_floors
_spec.loader.exec_module(lowest_floors)


def test_every_direct_dependency_declares_a_floor() -> None:
    declared = lowest_floors.floors()
    # The ones issue 15 named: declared, with the floor the code needs.
    assert declared["pydantic-settings"] == "2.7"  # NoDecode
    assert {"flask", "werkzeug", "tzdata"} <= set(declared)
    assert not [name for name, floor in declared.items() if floor is None]


def test_installed_floors_pass_and_anything_else_is_named() -> None:
    declared = lowest_floors.floors()
    # As uv's lowest-direct resolution installs them: the floor itself ("6" is 6.0.0).
    exact = {name: (floor + ".0" if floor.count(".") == 0 else floor)
             for name, floor in declared.items()}
    assert lowest_floors.mismatches(declared, exact.get) == []
    higher = {**exact, "prometheus-client": "99.0.1"}  # a floor no release matched
    [problem] = lowest_floors.mismatches(declared, higher.get)
    assert problem.startswith("prometheus-client: floor ") and ">=99.0.1" in problem
    missing = {k: v for k, v in exact.items() if k != "tzdata"}
    assert lowest_floors.mismatches(declared, missing.get) == ["tzdata: not installed"]


def test_it_reads_extras_and_markers_and_names_a_missing_floor(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["psycopg[binary,pool]>=3.2.1,<4", '
                         '"Typing_Extensions; python_version < \'3.12\'"]\n',
                         encoding="utf-8")
    declared = lowest_floors.floors(pyproject)
    assert declared == {"psycopg": "3.2.1", "typing-extensions": None}
    assert lowest_floors.mismatches(declared, {"psycopg": "3.2.1"}.get) == [
        "typing-extensions: no floor (>=) declared in pyproject.toml"]
