"""The one gettext catalog (specs/locale/): complete in both languages, and every key the
code names is in it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from dashboard import i18n
from specs import text

pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dashboard", "auth", "alerts", "trio_monitor", "specs")
# t("key", ...), tn("key", ...), _w("key", ...) with a literal key.
_CALL = re.compile(r"""\b(?:t|tn|_w|text\.t|text\.tn)\(\s*f?["']([a-z0-9_]+)["']""")


def _script():  # scripts/ is not a package: load scripts/i18n.py by its path
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_has_every_text_translated_with_the_same_placeholders_and_nothing_fuzzy() -> None:
    assert _script().problems() == []


def test_it_finds_a_missing_translation_a_fuzzy_one_and_a_changed_placeholder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    po = text.po_path("sv").read_text(encoding="utf-8")
    broken = po.replace('msgstr "Väntar"', 'msgstr ""', 1)
    broken = broken.replace('msgctxt "longest_wait"', '#, fuzzy\nmsgctxt "longest_wait"', 1)
    broken = broken.replace('msgstr "Senaste fel: {error}"', 'msgstr "Senaste fel: {fel}"', 1)
    script = _script()
    target = tmp_path / "sv" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    target.write_text(broken, encoding="utf-8")
    (tmp_path / "messages.pot").write_text(text.TEMPLATE.read_text(encoding="utf-8"),
                                           encoding="utf-8")
    monkeypatch.setattr(text, "TEMPLATE", tmp_path / "messages.pot")
    monkeypatch.setattr(text, "po_path",
                        lambda lang: tmp_path / lang / "LC_MESSAGES" / "messages.po")
    found = script.problems()
    assert "sv: waiting not translated" in found
    assert "sv: longest_wait is fuzzy" in found
    assert "sv: last_error placeholders ['fel'], English ['error']" in found
    # An untranslated text reads as English on a page, never as an empty one.
    assert text.load(tmp_path)["waiting"].forms["sv"] == ("Waiting",)


def test_every_key_the_code_names_is_in_the_catalog() -> None:
    used: dict[str, str] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for key in _CALL.findall(path.read_text(encoding="utf-8")):
                used.setdefault(key, str(path.relative_to(ROOT)))
    assert len(used) > 100
    # Texts a branch staged in dashboard/_texts_<name>.py count until the merge folds them.
    staged = set(i18n.keys())
    missing = {key: where for key, where in used.items()
               if not key.endswith("_") and not text.has(key) and not text.has("ntf_" + key)
               and key not in staged}
    assert missing == {}


def test_it_counts_in_both_languages_with_gettext_plurals() -> None:
    assert text.tn("warnings", 1, "en") == "1 warning"
    assert text.tn("warnings", 3, "en") == "3 warnings"
    assert text.tn("warnings", 1, "sv") == "1 varning"
    assert text.tn("warnings", 0, "sv") == "0 varningar"
    # The names the code used before plurals still read the forms.
    assert text.t("warnings_other", "sv", n=2) == "2 varningar"


def test_it_writes_numbers_with_a_decimal_comma_in_swedish() -> None:
    assert text.format_percent(92.5, "sv", 1) == "92,5 %"
    assert text.format_percent(92.5, "en", 1) == "92.5 %"
    assert text.format_number(-0.04, "sv", 1) == "0,0"
    assert text.format_number(None, "sv") == "–"
    assert text.format_duration(125, "sv") == "2 min"


def test_it_writes_times_in_the_sites_zone() -> None:
    ts = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
    assert text.format_datetime(ts, "Europe/Stockholm", "sv") == "2023-11-14 23:13:20"
    assert text.format_time(ts, "America/New_York", "en", seconds=False) == "17:13"
