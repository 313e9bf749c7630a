"""Tables that turn into cards on a phone (assets/phone.css, docs/DESIGN.md "Layouts that
hold"): each cell carries its column's header as ``data-label``; under 700 px a row is a
card of "label  value" lines and the header row is hidden. A table without it scrolls
sideways inside itself there instead."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html
from dash.development.base_component import Component

CARDS = "table--cards"


def card_table(headers: Sequence[str], rows: Sequence[Component], class_name: str) -> html.Table:
    """A ``table`` of ``rows`` (``html.Tr`` of ``html.Td``) under ``headers``, each cell
    labelled with its header for the phone's cards (an empty header: no label)."""
    for row in rows:
        cells = row.children if isinstance(row, html.Tr) else None
        for header, cell in zip(headers, cells if isinstance(cells, list) else [], strict=False):
            if isinstance(cell, html.Td):
                setattr(cell, "data-label", header)
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in headers])),
                       html.Tbody(list(rows))],
                      className=f"table {CARDS} {class_name}".rstrip())
