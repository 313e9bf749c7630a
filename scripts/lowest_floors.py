"""Whether the lowest versions installed are the floors pyproject.toml declares.

Run by scripts/test-lowest.sh in its venv after ``uv pip install --resolution
lowest-direct``: prints each direct dependency's floor and the version installed, and
exits 1 when one differs (a floor no release matches exactly, say ``>=0.23`` when the
lowest release is 0.23.1, is a floor that was never tested: raise it to what resolved).
Standard library only: the venv under test has only the project's dependencies.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def floors(pyproject: Path = PYPROJECT) -> dict[str, str | None]:
    """Each direct runtime dependency (normalized name) -> its ``>=`` floor, or None."""
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    out: dict[str, str | None] = {}
    for requirement in declared:
        match = _REQUIREMENT.match(requirement.split(";", 1)[0])
        if match is None:
            raise ValueError(f"cannot read the requirement {requirement!r}")
        floor = re.search(r">=\s*([0-9][0-9A-Za-z.]*)", match.group(3))
        out[normalized(match.group(1))] = floor.group(1) if floor else None
    return out


def release(version: str) -> tuple[int, ...]:
    """The numeric release of ``version``, trailing zeros dropped ("6" == "6.0.0")."""
    leading = re.match(r"\d+(?:\.\d+)*", version)
    parts = [int(p) for p in leading.group(0).split(".")] if leading else []
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def mismatches(declared: dict[str, str | None],
               installed: Callable[[str], str | None]) -> list[str]:
    """One line per dependency whose floor is missing or is not the version installed."""
    problems = []
    for name, floor in sorted(declared.items()):
        version = installed(name)
        if floor is None:
            problems.append(f"{name}: no floor (>=) declared in pyproject.toml")
        elif version is None:
            problems.append(f"{name}: not installed")
        elif release(version) != release(floor):
            problems.append(f"{name}: floor {floor} but {version} resolved as the lowest; "
                            f"declare >={version}")
    return problems


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def main() -> int:
    declared = floors()
    for name, floor in sorted(declared.items()):
        print(f"  {name:<20} floor {floor or '-':<10} installed {_installed(name) or '-'}")
    problems = mismatches(declared, _installed)
    for problem in problems:
        print(f"floor mismatch: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
