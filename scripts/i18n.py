"""Maintain the one gettext catalog of user-facing texts (specs/locale/).

    python scripts/i18n.py add KEY ENGLISH SWEDISH     add or change one text
    python scripts/i18n.py import-dict MODULE[:NAME] [--remove]
        fold a ``TEXTS: dict[key, (English, Swedish)]`` module (e.g.
        dashboard._texts_thr) into the catalog; ``<key>_one``/``<key>_other`` pairs
        become one gettext plural ``<key>``. ``--remove`` then deletes the module and its
        two registration lines in dashboard/i18n.py (the staging area empties).
    python scripts/i18n.py remove KEY [KEY ...]         drop texts no code names
    python scripts/i18n.py check                       exit 1 on any problem, one per line

``check``: every entry of the template is in every .po, translated, not fuzzy, with the
same placeholders as the English text and as many plural forms; no .po entry missing
from the template. The catalog has no source extraction (the code names texts by key,
not by their English), so ``pybabel extract`` does not apply; after editing the template
by hand, ``pybabel update -i specs/locale/messages.pot -d specs/locale -D messages
--no-fuzzy-matching`` brings the .po files in line, and ``check`` says what is left to
translate. See docs/DESIGN.md "Texts and languages".
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from specs import text  # noqa: E402  (after the path: runnable from a checkout)

REGISTRY = ROOT / "dashboard" / "i18n.py"
WIDTH = 100
BUGS_TO = "the Trio Monitor maintainers"


def _new_catalog(lang: str | None) -> Catalog:
    return Catalog(locale=lang, domain=text.DOMAIN, project="Trio Monitor",
                   version="1", copyright_holder="Trio Monitor",
                   msgid_bugs_address=BUGS_TO, fuzzy=False)


def read(path: Path, lang: str | None) -> Catalog:
    if not path.exists():
        return _new_catalog(lang)
    catalog = text.read_catalog(path, lang)
    catalog.fuzzy = False
    catalog.msgid_bugs_address = BUGS_TO
    return catalog


def write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=WIDTH, omit_header=False, sort_output=False,
                 ignore_obsolete=True)


def catalogs() -> tuple[Catalog, dict[str, Catalog]]:
    template = read(text.TEMPLATE, None)
    return template, {code: read(text.po_path(code), code) for code in text.TRANSLATED}


def save(template: Catalog, translations: Mapping[str, Catalog]) -> None:
    write(text.TEMPLATE, template)
    for code, catalog in translations.items():
        write(text.po_path(code), catalog)


def _remove_key(catalog: Catalog, key: str) -> None:
    for message in list(catalog):
        if message.context == key and message.id:
            catalog.delete(message.id, context=key)


def put(template: Catalog, translations: Mapping[str, Catalog], key: str,
        english: str | tuple[str, str], swedish: str | tuple[str, str]) -> None:
    """Add or replace the entry ``key`` (a plural when given two forms)."""
    _remove_key(template, key)
    template.add(english, context=key, flags=_flags(english))
    for catalog in translations.values():
        _remove_key(catalog, key)
        catalog.add(english, swedish, context=key, flags=_flags(english))


def _flags(english: str | tuple[str, str]) -> tuple[str, ...]:
    first = english if isinstance(english, str) else english[0]
    return ("python-brace-format",) if text.placeholders(first) else ()


def fold(texts: Mapping[str, tuple[str, str]]) -> dict[str, tuple[object, object]]:
    """``key -> (English, Swedish)`` with ``_one``/``_other`` pairs as plurals."""
    out: dict[str, tuple[object, object]] = {}
    for key, (english, swedish) in texts.items():
        base = key.removesuffix("_one")
        if key.endswith("_one") and base + "_other" in texts:
            en_other, sv_other = texts[base + "_other"]
            out[base] = ((english.replace("1 ", "{n} ", 1) if "{n}" not in english
                          else english, en_other),
                         (swedish.replace("1 ", "{n} ", 1) if "{n}" not in swedish
                          else swedish, sv_other))
        elif key.endswith("_other") and key.removesuffix("_other") + "_one" in texts:
            continue
        else:
            out[key] = (english, swedish)
    return out


def import_dict(spec: str, remove: bool) -> int:
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    texts = getattr(module, attr or "TEXTS")
    template, translations = catalogs()
    folded = fold(texts)
    for key, (english, swedish) in folded.items():
        put(template, translations, key, english, swedish)  # type: ignore[arg-type]
    save(template, translations)
    print(f"{len(folded)} texts from {spec} in the catalog")
    if remove:
        _unregister(module_name, Path(str(module.__file__)))
    return 0


def _unregister(module_name: str, path: Path) -> None:
    short = module_name.rsplit(".", 1)[-1]
    source = REGISTRY.read_text(encoding="utf-8")
    # ``from ._texts_x import TEXTS as A`` or ``from dashboard._texts_x import ...``,
    # with or without a trailing comment.
    alias = re.search(rf"from (?:dashboard)?\.{re.escape(short)} import TEXTS as (\w+)"
                      r"[^\n]*\n", source)
    if alias is not None:
        line = alias.group(0)
        # With the blank line it was given, if it stood alone between blank lines.
        source = (source.replace("\n\n" + line, "\n", 1) if f"\n\n{line}\n" in source
                  else source.replace(line, "", 1))
        source = re.sub(rf"\n?_TEXTS\.update\({alias.group(1)}\)\n", "\n", source, count=1)
        REGISTRY.write_text(re.sub(r"\n{4,}", "\n\n\n", source), encoding="utf-8")
    path.unlink()
    print(f"removed {path.relative_to(ROOT)} and its registration in dashboard/i18n.py")


def problems() -> list[str]:
    template, translations = catalogs()
    found: list[str] = []
    keys: set[str] = set()
    for message in template:
        if not message.id:
            continue
        key = message.context
        if not key:
            found.append(f"template: {message.id!r} has no msgctxt (key)")
            continue
        if key in keys:
            found.append(f"template: key {key} twice")
        keys.add(key)
        english = text._forms(message.id)
        for code, catalog in translations.items():
            found.extend(_problems_of(code, key, english, catalog.get(message.id,
                                                                      context=key)))
    for code, catalog in translations.items():
        for message in catalog:
            if message.id and message.context not in keys:
                found.append(f"{code}: {message.context} is not in the template")
    return found


def _problems_of(code: str, key: str, english: tuple[str, ...], message: object) -> list[str]:
    if message is None:
        return [f"{code}: {key} missing"]
    if getattr(message, "fuzzy", False):
        return [f"{code}: {key} is fuzzy"]
    forms = text._forms(getattr(message, "string", ""))
    if not all(forms):
        return [f"{code}: {key} not translated"]
    if len(forms) != len(english):
        return [f"{code}: {key} has {len(forms)} forms, English {len(english)}"]
    out = []
    for index, (en, translated) in enumerate(zip(english, forms, strict=True)):
        try:
            en_fields, tr_fields = text.placeholders(en), text.placeholders(translated)
        except ValueError as err:
            out.append(f"{code}: {key} form {index}: bad placeholder: {err}")
            continue
        # A singular may write the count out ("1 warning") where the plural says {n}.
        if len(english) > 1:
            en_fields.discard("n")
            tr_fields.discard("n")
        if en_fields != tr_fields:
            out.append(f"{code}: {key} placeholders {sorted(tr_fields)}, "
                       f"English {sorted(en_fields)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/i18n.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add or change one text")
    add.add_argument("key")
    add.add_argument("english")
    add.add_argument("swedish")
    imp = sub.add_parser("import-dict", help="fold a TEXTS module into the catalog")
    imp.add_argument("module", help="e.g. dashboard._texts_thr (or module:NAME)")
    imp.add_argument("--remove", action="store_true",
                     help="delete the module and its registration afterwards")
    rm = sub.add_parser("remove", help="drop texts no code names any more")
    rm.add_argument("keys", nargs="+")
    sub.add_parser("check", help="every text translated, placeholders identical")
    args = parser.parse_args(argv)
    if args.command == "add":
        template, translations = catalogs()
        put(template, translations, args.key, args.english, args.swedish)
        save(template, translations)
        return 0
    if args.command == "import-dict":
        return import_dict(args.module, args.remove)
    if args.command == "remove":
        template, translations = catalogs()
        unknown = [key for key in args.keys if not any(m.context == key for m in template)]
        if unknown:
            print(f"not in the catalog: {', '.join(unknown)}", file=sys.stderr)
            return 2
        for key in args.keys:
            _remove_key(template, key)
            for catalog in translations.values():
                _remove_key(catalog, key)
        save(template, translations)
        return 0
    found = problems()
    for line in found:
        print(line)
    print(f"{len(found)} problems" if found else "catalog OK")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
