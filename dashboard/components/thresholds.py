"""/thresholds: the alert rules table, the rule form, the backtest and the audit of rule
changes. Pure: plain data in, Dash components (or plain values for the form) out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from dash import dcc, html
from dash.development.base_component import Component

from alerts import (
    ActiveMode,
    Direction,
    NoDataPolicy,
    Rule,
    Severity,
    SpecError,
    Window,
    rule_as_mapping,
    validate_rule,
)
from alerts.backtest import BacktestResult, Span, SpanReport
from specs.text import stored_name
from storage import AuditRow, RuleRow

from .. import rulewords as words
from .._paths import app_path
from ..i18n import t
from ..rulewords import Entities, InputError
from . import format as fmt

# Component ids of /thresholds, "thr-" first (browser tests use the strings).
THR_RULES = "thr-rules"
THR_RULES_MESSAGE = "thr-rules-message"
THR_AUDIT = "thr-audit"
THR_CHANGED = "thr-changed"  # set after the form saved or deleted: tables reload
THR_TOGGLED = "thr-toggled"  # set after a table button enabled or disabled a rule
# The enable/disable button of a rule: {"type": THR_TOGGLE, "rule": id, "version": v}.
THR_TOGGLE = "thr-toggle"
# A row of the rules table, for browser tests: {"type": THR_ROW, "rule": id}.
THR_ROW = "thr-row"
THR_FORM = "thr-form"
THR_FORM_EDITING = "thr-form-editing"  # {"id", "version"} of the rule edited, or None
THR_FORM_TITLE = "thr-form-title"
THR_FORM_MESSAGE = "thr-form-message"
THR_FORM_SAVE = "thr-form-save"
THR_FORM_DELETE = "thr-form-delete"  # a confirm dialog around the delete button
THR_FORM_DELETE_BUTTON = "thr-form-delete-button"
THR_FORM_NEW = "thr-form-new"
THR_FORM_BACKTEST = "thr-form-backtest"
# One input, one error line and one wrapper (shown or hidden by the metric picked) per
# field of a rule: f"{prefix}{field}"; the unit beside a threshold input: THR_UNIT_PREFIX.
THR_FORM_INPUT_PREFIX = "thr-form-input-"
THR_FORM_ERROR_PREFIX = "thr-form-error-"
THR_FIELD_PREFIX = "thr-field-"
THR_UNIT_PREFIX = "thr-unit-"
THR_SENTENCE = "thr-sentence"  # the rule as a sentence, updated as the form is edited
THR_ENTITIES = "thr-entities"  # the entities known when the page loaded, for the pickers
# Time windows: rows {"type": THR_WINDOW_DAYS | _START | _END, "index": n}.
THR_WINDOWS = "thr-windows"
THR_WINDOW_DAYS = "thr-window-days"
THR_WINDOW_START = "thr-window-start"
THR_WINDOW_END = "thr-window-end"
THR_WINDOW_ADD = "thr-window-add"
THR_BACKTEST = "thr-backtest"

THRESHOLDS_PATH = "/thresholds"
# The rule form's fields, in the order of the form (and of the callbacks' values).
# ``severity``: what a state rule ("when a target is down") fires as; its threshold is
# the state itself, so the threshold fields are hidden for it.
FORM_FIELDS = (
    "name", "metric", "source", "entity_kind", "entity_ids", "direction", "severity",
    "warning", "critical", "recovery_warning", "recovery_critical", "pending_s",
    "keep_firing_for_s", "no_data_after_s", "no_data", "active", "timezone",
    "warning_channels", "critical_channels", "enabled",
)
# Fields with an error line: the form's fields and the time windows.
ERROR_FIELDS = (*FORM_FIELDS, "windows")
# Metrics the metric picker offers, from the specs registries, grouped by entity kind.
KNOWN_METRICS = tuple(m.id for m in words.RULE_METRICS)
THRESHOLDS = ("warning", "critical", "recovery_warning", "recovery_critical")
# Fields a state rule does not show, and fields shown only for one.
_FIGURE_FIELDS = frozenset({"direction", *THRESHOLDS})
_STATE_FIELDS = frozenset({"severity"})
# Kinds whose entities come from several sources of one kind (Trio sites, reconcilers):
# for these a rule may name its source.
_SOURCED_KINDS = frozenset({"queue", "provider", "reconciler"})
_DURATIONS = ("pending_s", "keep_firing_for_s", "no_data_after_s")
_LABELS = {name: f"ths_field_{name}" for name in ("metric", "entity_ids", "source",
                                                  "severity", *_DURATIONS)}
_AUDIT_SKIPPED = frozenset({"id", "version", "builtin"})
ENABLED = "enabled"


def edit_href(rule_id: int) -> str:
    """The form with this rule loaded: the URL holds what is being edited."""
    return app_path(f"{THRESHOLDS_PATH}?{urlencode({'edit': rule_id})}")


def rule_from_row(row: RuleRow) -> tuple[Rule | None, str | None]:
    """The stored rule as a ``Rule``, or (None, why not) if it no longer validates."""
    try:
        return validate_rule({**row.spec, "id": row.id, "name": row.name,
                              "enabled": row.enabled}), None
    except SpecError as err:
        return None, str(err)


def spec_of(rule: Rule) -> dict[str, Any]:
    """What ``alert_rules.spec`` stores: the rule without id, name and enabled."""
    mapping = rule_as_mapping(rule)
    for name in ("id", "name", "enabled"):
        mapping.pop(name)
    return mapping


# -- the rules table ------------------------------------------------------------------


def _day_runs(days: Iterable[int], lang: str) -> str:
    """``Mon–Fri, Sun``: consecutive days as a range."""
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = [t(f"thr_day_{run[0]}", lang) if len(run) == 1
             else f"{t(f'thr_day_{run[0]}', lang)}–{t(f'thr_day_{run[-1]}', lang)}"
             for run in runs]
    return ", ".join(names)


def window_text(window: Window, lang: str) -> str:
    return f"{_day_runs(window.days, lang)} {window.start}–{window.end}"


def active_text(rule: Rule, lang: str) -> str:
    text = t(f"thr_active_{rule.active.value}", lang)
    if rule.active is ActiveMode.WINDOWS:
        windows = "; ".join(window_text(w, lang) for w in rule.windows)
        return f"{text}: {windows} ({rule.timezone})"
    return text


def no_data_text(rule: Rule, lang: str) -> str:
    if rule.no_data_after_s is None:
        return t("thr_nodata_off", lang)
    return t("ths_nodata_after", lang, duration=words.duration_text(rule.no_data_after_s),
             policy=t(f"thr_nodata_{rule.no_data.value}", lang))


def _channel_names(names: Sequence[str], configured: Sequence[str], lang: str) -> str:
    if not names:
        return t("thr_none", lang)
    return ", ".join(name if name in configured else t("thr_not_configured", lang, name=name)
                     for name in names)


def channels_text(rule: Rule, configured: Sequence[str], lang: str) -> str:
    return t("thr_routing", lang,
             warning=_channel_names(rule.warning_channels, configured, lang),
             critical=_channel_names(rule.critical_channels, configured, lang))


def _name_cell(row: RuleRow, error: str | None, lang: str) -> list[Component | str]:
    cell: list[Component | str] = [stored_name(row.name, lang)]
    if row.builtin:
        cell.append(html.Span(t("thr_builtin", lang), className="badge"))
    if error is not None:
        cell.append(html.Div(t("thr_invalid", lang, error=error), className="field__error"))
    return cell


def _rule_cells(rule: Rule, entities: Entities, configured: Sequence[str],
                lang: str) -> list[Any]:
    return [
        html.Span(words.rule_sentence(rule, entities, lang), className="thr-rule__sentence"),
        no_data_text(rule, lang), active_text(rule, lang),
        channels_text(rule, configured, lang),
    ]


def _actions(row: RuleRow, lang: str) -> list[Component]:
    return [
        dcc.Link(t("edit", lang), href=edit_href(row.id), className="button button--small"),
        html.Button(t("thr_disable" if row.enabled else "thr_enable", lang),
                    id={"type": THR_TOGGLE, "rule": row.id, "version": row.version},
                    className="button button--small button--plain"),
    ]


def build_rule_row(row: RuleRow, entities: Entities, configured: Sequence[str],
                   is_admin: bool, now_ms: int, lang: str, tz: str) -> html.Tr:
    rule, error = rule_from_row(row)
    cells: list[Any] = [_name_cell(row, error, lang)]
    cells += _rule_cells(rule, entities, configured, lang) if rule else [""] * 4
    cells.append(t("thr_on" if row.enabled else "thr_off", lang))
    cells.append(t("thr_changed_by", lang, who=fmt.actor_text(row.updated_by or "–", lang),
                   when=fmt.short_time(row.updated_at_ms, now_ms, tz)))
    if is_admin:
        cells.append(_actions(row, lang))
    state = "on" if row.enabled else "off"
    return html.Tr([html.Td(cell) for cell in cells],
                   id={"type": THR_ROW, "rule": row.id},
                   className=f"thr-rule thr-rule--{state}",
                   **fmt.data_attributes(rule=row.name, enabled=state))


# Column headings' text keys: the rule itself is one sentence (rulewords).
_COLUMNS = ("thr_col_name", "ths_col_rule", "thr_col_nodata", "thr_col_active",
            "thr_col_channels", "thr_col_enabled", "thr_col_changed")


def build_rules_table(rows: Sequence[RuleRow], entities: Entities, configured: Sequence[str],
                      is_admin: bool, now_ms: int, lang: str, tz: str) -> list[Component]:
    """Every rule, stated in words with its entities by name; admins get an edit link
    and an enable/disable button on each."""
    title = html.H3(t("thr_rules", lang), className="section__title")
    if not rows:
        return [title, html.Div(t("thr_no_rules", lang), className="muted")]
    header = [html.Th(t(key, lang)) for key in _COLUMNS]
    if is_admin:
        header.append(html.Th(""))
    body = [build_rule_row(row, entities, configured, is_admin, now_ms, lang, tz)
            for row in rows]
    return [title, html.Div(html.Table([html.Thead(html.Tr(header)), html.Tbody(body)],
                                       className="table thr-rules"),
                            className="thr-scroll")]


# -- the form -------------------------------------------------------------------------


def form_values(rule: Rule | None, timezone: str) -> list[Any]:
    """The form's input values for ``rule`` (None: a new rule), in FORM_FIELDS order:
    ids as the pickers hold them, thresholds and durations as people read them."""
    if rule is None:
        return [None, None, "", "", [], Direction.ABOVE.value, Severity.CRITICAL.value,
                "", "", "", "", words.duration_text(0), words.duration_text(0), "",
                NoDataPolicy.KEEP_LAST.value, ActiveMode.ALWAYS.value, timezone, [], [],
                [ENABLED]]
    scope = rule.scope
    severity = Severity.WARNING if rule.critical is None else Severity.CRITICAL
    return [
        rule.name, rule.metric, scope.source or "", scope.entity_kind or "",
        list(scope.entity_ids), rule.direction.value, severity.value,
        *[words.threshold_input(rule.metric, getattr(rule, name)) for name in THRESHOLDS],
        words.duration_text(rule.pending_s), words.duration_text(rule.keep_firing_for_s),
        "" if rule.no_data_after_s is None else words.duration_text(rule.no_data_after_s),
        rule.no_data.value, rule.active.value, rule.timezone, list(rule.warning_channels),
        list(rule.critical_channels), [ENABLED] if rule.enabled else [],
    ]


def _stripped(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _entity_ids(value: Any) -> list[Any]:
    """The picker's list, or ids typed comma separated (an older form's way)."""
    if isinstance(value, list | tuple):
        return [item.strip() if isinstance(item, str) else item for item in value
                if not isinstance(item, str) or item.strip()]
    return [part.strip() for part in _stripped(value).split(",") if part.strip()]


def _thresholds(raw: Mapping[str, Any], metric: str, lang: str) -> dict[str, Any]:
    """The direction and thresholds: a state rule ("when a target is down") fires at the
    state (1.0) with the severity picked; a figure's thresholds are read in its unit."""
    if words.state_key(metric) is not None:
        severity = raw.get("severity") or Severity.CRITICAL.value
        return {"direction": Direction.ABOVE.value,
                "warning": 1.0 if severity == Severity.WARNING.value else None,
                "critical": 1.0 if severity != Severity.WARNING.value else None,
                "recovery_warning": None, "recovery_critical": None}
    values: dict[str, Any] = {"direction": raw["direction"] or None}
    for name in THRESHOLDS:
        values[name] = _read(name, lambda text: words.parse_threshold(metric, text),
                             raw[name], lang)
    return values


def _read(field: str, parse: Any, text: Any, lang: str) -> Any:
    try:
        return parse(text)
    except InputError as err:
        raise SpecError(field, err.message(lang)) from None


def form_mapping(values: Sequence[Any], days: Sequence[Any], starts: Sequence[Any],
                 ends: Sequence[Any], lang: str = "en") -> dict[str, Any]:
    """The mapping ``validate_rule`` takes, from the inputs in FORM_FIELDS order and the
    time window rows (rows left empty are no window). A threshold or duration that cannot
    be read raises ``SpecError`` naming its field, in ``lang``."""
    raw = dict(zip(FORM_FIELDS, values, strict=True))
    metric = _stripped(raw["metric"])
    mapping: dict[str, Any] = {
        "name": _stripped(raw["name"]) or None,
        "metric": metric or None,
        "scope": {
            "source": _stripped(raw["source"]) or None,
            "entity_kind": _stripped(raw["entity_kind"]) or None,
            "entity_ids": _entity_ids(raw["entity_ids"]),
        },
        **_thresholds(raw, metric, lang),
        "no_data": raw["no_data"] or NoDataPolicy.KEEP_LAST.value,
        "active": raw["active"] or ActiveMode.ALWAYS.value,
        "windows": _windows(days, starts, ends),
        "enabled": ENABLED in (raw["enabled"] or []),
        "warning_channels": list(raw["warning_channels"] or []),
        "critical_channels": list(raw["critical_channels"] or []),
    }
    for name in _DURATIONS:
        seconds = _read(name, words.parse_duration, raw[name], lang)
        if seconds is not None or name == "no_data_after_s":
            mapping[name] = seconds
    if _stripped(raw["timezone"]):
        mapping["timezone"] = _stripped(raw["timezone"])
    return mapping


def _windows(days: Sequence[Any], starts: Sequence[Any],
             ends: Sequence[Any]) -> list[dict[str, Any]]:
    rows = zip(days, starts, ends, strict=True)
    return [{"days": sorted(day or []), "start": _stripped(start), "end": _stripped(end)}
            for day, start, end in rows if day or _stripped(start) or _stripped(end)]


def error_field(spec_field: str) -> str:
    """``scope.entity_ids[2]`` -> ``entity_ids``: the form field a SpecError belongs to."""
    if spec_field.startswith("scope."):
        spec_field = spec_field.removeprefix("scope.")
    name = spec_field.split("[", 1)[0].split(".", 1)[0]
    return name if name in ERROR_FIELDS else "name"


def channel_options(configured: Sequence[str], used: Iterable[str],
                    lang: str) -> list[dict[str, str]]:
    """The configured channels, then any a stored rule names that is not configured
    (shown so, and kept when a rule is saved unchanged)."""
    unknown = sorted(set(used) - set(configured))
    return ([{"label": name, "value": name} for name in configured]
            + [{"label": t("thr_not_configured", lang, name=name), "value": name}
               for name in unknown])


def _options(prefix: str, values: Iterable[str], lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"{prefix}{value}", lang), "value": value} for value in values]


_DROPDOWN_LABELS = ("select_all", "deselect_all", "selected_count", "search", "clear_search",
                    "clear_selection", "no_options_found")


def dropdown_labels(lang: str) -> dcc.Dropdown.Labels:
    """The dropdowns' own words (search, select all...) in ``lang``."""
    return cast(dcc.Dropdown.Labels,
                {name: t(f"ths_dd_{name}", lang) for name in _DROPDOWN_LABELS})


def _control(name: str, value: Any, channels: list[dict[str, str]], live: LiveForm,
             lang: str) -> Component:
    control_id = THR_FORM_INPUT_PREFIX + name
    radio = {
        "direction": _options("thr_direction_", (d.value for d in Direction), lang),
        "severity": _options("ths_severity_", (v.value for v in Severity), lang),
        "no_data": _options("thr_nodata_", (p.value for p in NoDataPolicy), lang),
        "active": _options("thr_active_", (m.value for m in ActiveMode), lang),
    }
    if name in radio:
        return dcc.RadioItems(id=control_id, options=radio[name], value=value,
                              className="checklist", inline=True)
    if name == "metric":
        return dcc.Dropdown(id=control_id, options=words.metric_options(lang, value),
                            value=value, clearable=False, className="dropdown",
                            placeholder=t("ths_pick_metric", lang),
                            labels=dropdown_labels(lang))
    if name == "source":  # options follow the metric picked (the page's live callback)
        return dcc.Dropdown(id=control_id, options=live.source_options, value=value,
                            className="dropdown", clearable=False,
                            labels=dropdown_labels(lang))
    if name == "entity_ids":
        return dcc.Dropdown(id=control_id, options=live.entity_options, value=value,
                            multi=True, className="dropdown",
                            placeholder=live.entity_placeholder,
                            labels=dropdown_labels(lang))
    if name == "entity_kind":  # follows the metric picked; kept as stored otherwise
        return dcc.Input(id=control_id, type="hidden", value=value)
    if name in ("warning_channels", "critical_channels"):
        if not channels:
            return html.Div([dcc.Checklist(id=control_id, options=[], value=value),
                             html.Span(t("thr_no_channels", lang), className="muted")])
        return dcc.Checklist(id=control_id, options=channels, value=value,
                             className="checklist", inline=True)
    if name == ENABLED:
        return dcc.Checklist(id=control_id, options=[{"label": t("thr_field_enabled", lang),
                                                      "value": ENABLED}],
                             value=value, className="checklist")
    text = dcc.Input(id=control_id, type="text", className="input", value=value)
    if name in THRESHOLDS:
        unit = html.Span(live.units[THRESHOLDS.index(name)], id=THR_UNIT_PREFIX + name,
                         className="thr-unit")
        return html.Div([text, unit], className="thr-with-unit")
    return text


def _label(name: str, lang: str) -> str:
    return t(_LABELS.get(name, f"thr_field_{name}"), lang)


# -- what the form shows as it is edited ------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveForm:
    """What follows the form's inputs: the rule's sentence (or why it is not a rule yet),
    the unit beside each threshold, each field's classes (a state rule hides the
    thresholds), and the pickers' options."""

    sentence: str
    units: list[str]
    classes: list[str]
    metric_options: list[dict[str, object]]
    entity_options: list[dict[str, str]]
    entity_placeholder: str
    source_options: list[dict[str, str]]


def _kind_of(raw: Mapping[str, Any]) -> str | None:
    metric = words.RULE_METRIC_BY_ID.get(_stripped(raw["metric"]))
    return _stripped(raw["entity_kind"]) or (metric.entity_kind if metric else None)


def _shown_fields(raw: Mapping[str, Any], kind: str | None, entities: Entities) -> set[str]:
    hidden = {"entity_kind"}
    hidden |= _FIGURE_FIELDS if words.state_key(_stripped(raw["metric"])) else _STATE_FIELDS
    sourced = kind in _SOURCED_KINDS and len(entities.sources(kind)) > 1
    metric = words.RULE_METRIC_BY_ID.get(_stripped(raw["metric"]))
    fixed = metric is not None and metric.source is not None \
        and _stripped(raw["source"]) == metric.source
    if fixed or (not sourced and not _stripped(raw["source"])):
        hidden.add("source")
    return set(FORM_FIELDS) - hidden


def _sentence(values: Sequence[Any], days: Sequence[Any], starts: Sequence[Any],
              ends: Sequence[Any], entities: Entities, lang: str) -> str:
    raw = dict(zip(FORM_FIELDS, values, strict=True))
    if not _stripped(raw["metric"]):
        return t("ths_pick_metric", lang)
    try:
        mapping = form_mapping(values, days, starts, ends, lang)
        mapping["name"] = mapping["name"] or "–"  # a sentence needs no name yet
        rule = validate_rule(mapping)
    except SpecError as err:
        return t("ths_not_a_rule_yet", lang, error=err.message)
    return words.rule_sentence(rule, entities, lang)


def describe(values: Sequence[Any], days: Sequence[Any], starts: Sequence[Any],
             ends: Sequence[Any], entities: Entities, lang: str) -> LiveForm:
    """What the form shows for its current inputs (FORM_FIELDS order) and windows."""
    raw = dict(zip(FORM_FIELDS, values, strict=True))
    metric = _stripped(raw["metric"])
    kind = _kind_of(raw)
    source = _stripped(raw["source"])
    shown = _shown_fields(raw, kind, entities)
    sources = entities.sources(kind)
    if source and source not in sources:
        sources.append(source)
    every = f"ths_every_{kind}"
    return LiveForm(
        sentence=_sentence(values, days, starts, ends, entities, lang),
        units=[words.unit_text(metric, lang) for _ in THRESHOLDS],
        classes=[f"field field--{name}" + ("" if name in shown else " field--off")
                 for name in FORM_FIELDS],
        metric_options=words.metric_options(lang, metric or None),
        entity_options=words.entity_options(entities, kind, source or None,
                                            _entity_ids(raw["entity_ids"]), lang),
        entity_placeholder=t(every if kind and every in _EVERY_KEYS else "ths_every_any",
                             lang),
        source_options=[{"label": t("ths_any_source", lang), "value": ""},
                        *[{"label": name, "value": name} for name in sources]],
    )


_EVERY_KEYS = frozenset(f"ths_every_{kind}" for kind in words.KINDS)


def window_row(index: int, window: Window | None, lang: str) -> html.Div:
    days = [{"label": t(f"thr_day_{day}", lang), "value": day} for day in range(7)]
    return html.Div(
        [dcc.Checklist(id={"type": THR_WINDOW_DAYS, "index": index}, options=days,
                       value=sorted(window.days) if window else [], inline=True,
                       className="checklist"),
         dcc.Input(id={"type": THR_WINDOW_START, "index": index}, type="text",
                   className="input thr-window__time", placeholder="08:00",
                   value=window.start if window else ""),
         html.Span("–"),
         dcc.Input(id={"type": THR_WINDOW_END, "index": index}, type="text",
                   className="input thr-window__time", placeholder="17:00",
                   value=window.end if window else "")],
        className="thr-window",
    )


def window_rows(windows: Sequence[Window], lang: str) -> list[html.Div]:
    """A row per window and one empty row to add another."""
    return [window_row(i, window, lang)
            for i, window in enumerate([*windows, None])]


def form_title(rule: Rule | None, lang: str) -> str:
    return t("thr_edit_rule", lang, name=rule.name) if rule else t("thr_new_rule", lang)


def build_rule_form(lang: str, rule: Rule | None, editing: dict[str, int] | None,
                    channels: list[dict[str, str]], timezone: str,
                    entities: Entities) -> html.Div:
    """The admin's form, for a new rule or filled with ``rule`` (``editing`` holds its id
    and version: the version is what a save expects to still be stored). ``entities``:
    those the pickers offer by name (kept in the page for its live callback)."""
    initial = form_values(rule, timezone)
    values = dict(zip(FORM_FIELDS, initial, strict=True))
    live = describe(initial, [], [], [], entities, lang)
    fields = [
        html.Div(
            [html.Label(_label(name, lang), htmlFor=THR_FORM_INPUT_PREFIX + name,
                        className="field__label"),
             _control(name, values[name], channels, live, lang),
             html.Div(id=THR_FORM_ERROR_PREFIX + name, className="field__error")],
            id=THR_FIELD_PREFIX + name, className=classes)
        for name, classes in zip(FORM_FIELDS, live.classes, strict=True)
    ]
    windows = html.Div(
        [html.Span(t("thr_field_windows", lang), className="field__label"),
         html.Div(window_rows(rule.windows if rule else (), lang), id=THR_WINDOWS),
         html.Button(t("thr_add_window", lang), id=THR_WINDOW_ADD,
                     className="button button--small button--plain"),
         html.Div(id=THR_FORM_ERROR_PREFIX + "windows", className="field__error")],
        className="field field--windows")
    return html.Div(
        [
            dcc.Store(id=THR_FORM_EDITING, data=editing),
            dcc.Store(id=THR_ENTITIES, data=entities.rows()),
            html.H3(form_title(rule, lang), id=THR_FORM_TITLE, className="section__title"),
            html.Div([html.Span(t("ths_sentence_title", lang), className="field__label"),
                      html.P(live.sentence, id=THR_SENTENCE, className="thr-sentence",
                             role="status")],
                     className="thr-sentence__box"),
            html.Div([*fields, windows], className="form__fields thr-form__fields"),
            html.Div(
                [html.Button(t("save", lang), id=THR_FORM_SAVE, className="button"),
                 html.Button(t("thr_backtest", lang), id=THR_FORM_BACKTEST,
                             className="button button--plain"),
                 dcc.ConfirmDialogProvider(
                     html.Button(t("delete", lang), id=THR_FORM_DELETE_BUTTON,
                                 className="button button--danger",
                                 disabled=editing is None),
                     id=THR_FORM_DELETE, message=t("thr_delete_confirm", lang)),
                 html.Button(t("thr_new_rule", lang), id=THR_FORM_NEW,
                             className="button button--plain")],
                className="form__buttons",
            ),
            html.Div(id=THR_FORM_MESSAGE, className="form__message", role="status"),
            # A backtest reads up to 7 d of samples: seconds on a big site.
            dcc.Loading(html.Div(id=THR_BACKTEST, className="thr-backtest"),
                        type="dot"),
        ],
        id=THR_FORM,
        className="form thr-form",
    )


# -- the backtest ---------------------------------------------------------------------


# Under this share of the asked range stored, a share of time firing would speak for the
# whole range from a few minutes of data: none is given, and the line says why.
MIN_STORED_SHARE = 0.1


def stored_ms(result: BacktestResult) -> int:
    """The time the stored samples cover, per series (on average)."""
    return result.observed_ms // result.series if result.series else 0


def _length(ms: int) -> str:
    """A length of time, rounded, in the largest unit it has two of: ``24 h``, ``7 d``,
    ``8 min``."""
    seconds = max(0, ms // 1000)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{round(seconds / size)} {unit}"
    return f"{round(seconds / 60)} min" if seconds >= 60 else f"{seconds} s"


def _result_lines(result: BacktestResult, metric: str, span: Span,
                  lang: str) -> list[Component]:
    if result.series == 0:
        return [html.Div(t("thr_bt_no_series", lang, metric=words.metric_name(metric, lang)),
                         className="muted")]
    stored = stored_ms(result)
    enough = stored >= MIN_STORED_SHARE * span.duration_ms
    lines = [
        t("thr_bt_alerts_one" if result.alerts == 1 else "thr_bt_alerts_other", lang,
          n=result.alerts,
          warning=result.by_severity.get(Severity.WARNING, 0),
          critical=result.by_severity.get(Severity.CRITICAL, 0)),
        t("thr_bt_series", lang, fired=result.series_fired, series=result.series),
        t("thr_bt_stored", lang, asked=_length(span.duration_ms), stored=_length(stored)),
        t("thr_bt_share", lang, share=fmt.ratio(result.firing_share, lang)) if enough
        else t("thr_bt_too_little", lang, share=f"{MIN_STORED_SHARE * 100:.0f} %"),
    ]
    if result.nodata_alerts:
        lines.append(t("thr_bt_nodata", lang, n=result.nodata_alerts))
    if result.truncated:
        lines.append(t("thr_bt_truncated", lang, n=result.series))
    return [html.Div(line, className="thr-bt__line") for line in lines]


def build_backtest(reports: Sequence[SpanReport], rules: Sequence[Rule], took_s: float,
                   lang: str) -> list[Component]:
    """One row per span; a column for the edited rule and, when given, one for the rule
    as saved (``rules`` in the order the reports hold them)."""
    header = [html.Th(""), html.Th(t("thr_bt_edited", lang))]
    if len(rules) > 1:
        header.append(html.Th(t("thr_bt_saved", lang)))
    body = [
        html.Tr([html.Td(t(f"thr_bt_span_{report.span.name}", lang)),
                 *[html.Td(_result_lines(result, rule.metric, report.span, lang),
                           **fmt.data_attributes(span=report.span.name))
                   for result, rule in zip(report.results, rules, strict=True)]])
        for report in reports
    ]
    return [
        html.H3(t("thr_backtest_title", lang), className="section__title"),
        html.Table([html.Thead(html.Tr(header)), html.Tbody(body)], className="table"),
        html.Div(t("thr_bt_note", lang), className="muted"),
        html.Div(t("thr_bt_took", lang, seconds=f"{took_s:.1f}"), className="muted"),
    ]


def build_backtest_message(text: str) -> list[Component]:
    return [html.Div(text, className="form__message")]


# -- the audit of rule changes --------------------------------------------------------


def _shown(value: Any, lang: str) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return t("thr_on" if value else "thr_off", lang)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "; ".join(_shown(item, lang) for item in value)
    if isinstance(value, dict) and {"days", "start", "end"} <= set(value):
        days = [d for d in value["days"] if isinstance(d, int)]
        return f"{_day_runs(days, lang)} {value['start']}–{value['end']}"
    return str(value)


def flatten(doc: Any) -> dict[str, Any]:
    """A rule's audit JSON as ``{field: value}``: the spec's fields at the top, nested
    ones dotted (``scope.entity_ids``); bookkeeping (id, version) left out."""
    if not isinstance(doc, Mapping):
        return {}
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: Mapping[str, Any]) -> None:
        for key, value in node.items():
            if not prefix and key in _AUDIT_SKIPPED:
                continue
            name = key if not prefix or prefix == "spec" else f"{prefix}.{key}"
            if isinstance(value, Mapping):
                walk(name if key != "spec" else "spec", value)
            else:
                flat[name] = value

    walk("", doc)
    return flat


def audit_diff(before: Any, after: Any, lang: str) -> list[str]:
    """``field: old → new`` for every field that differs, in the form's order."""
    old, new = flatten(before), flatten(after)
    order = {name: i for i, name in enumerate(FORM_FIELDS)}
    names = sorted(set(old) | set(new),
                   key=lambda n: (order.get(n.removeprefix("scope."), len(order)), n))
    return [f"{name}: {_shown(old.get(name), lang)} → {_shown(new.get(name), lang)}"
            for name in names if old.get(name) != new.get(name)]


def _audit_changes(row: AuditRow, lang: str) -> list[Component]:
    if row.action != "rule.update":
        return []
    lines = audit_diff(row.before, row.after, lang) or [t("thr_no_field_changed", lang)]
    return [html.Div(line, className="thr-audit__change") for line in lines]


def _audit_rule_name(row: AuditRow) -> str:
    for doc in (row.after, row.before):
        if isinstance(doc, Mapping) and doc.get("name"):
            return str(doc["name"])
    return row.target


def _action_text(action: str, lang: str) -> str:
    key = f"thr_action_{action.removeprefix('rule.')}"
    return t(key, lang) if key in ("thr_action_create", "thr_action_update",
                                   "thr_action_delete") else action


def build_audit(rows: Sequence[AuditRow], now_ms: int, lang: str, tz: str) -> list[Component]:
    title = html.H3(t("thr_audit_title", lang), className="section__title")
    if not rows:
        return [title, html.Div(t("thr_no_audit", lang), className="muted")]
    header = html.Tr([html.Th(t(f"thr_col_{name}", lang))
                      for name in ("when", "who", "action", "rule", "changes")])
    body = [
        html.Tr([
            html.Td(fmt.moment(row.ts_ms, now_ms, tz)),
            html.Td([fmt.actor_text(row.actor, lang),
                     html.Span(f" {row.client_addr}", className="muted")
                     if row.client_addr else ""]),
            html.Td(_action_text(row.action, lang)),
            html.Td(stored_name(_audit_rule_name(row), lang)),
            html.Td(_audit_changes(row, lang)),
        ])
        for row in rows
    ]
    return [title, html.Table([html.Thead(header), html.Tbody(body)],
                              className="table thr-audit")]


def banner(text: str) -> html.Div:
    return html.Div(text, className="page__banner")
