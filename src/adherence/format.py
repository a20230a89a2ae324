"""How released figures read: numbers, durations, tables as text and HTML (presentation).

Nothing here sees unreleased data: the functions take the cells of a released table, with
suppressed cells already marked.

Examples
--------
>>> format_value(12.25, "pct"), format_value(3_723_400, "ms")
('12.2', '1:02:03')
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal

import polars as pl

from adherence.metrics import Unit

__all__ = ["LEGEND", "SUPPRESSED", "format_value", "table_html", "table_text"]

#: The one-line explanation shown wherever suppressed cells are shown.
LEGEND = (
    "suppressed: not released to protect individuals "
    "(too few people, or a cell that would reveal another)"
)
#: How a suppressed figure is shown.
SUPPRESSED = "suppressed"
#: How many rows the text form shows before it abbreviates (the HTML form shows every row).
_TEXT_ROWS = 40
_NO_VALUE = "n/a"


def _decimal(value: int | float | Decimal) -> Decimal:
    """The exact decimal a reader means: for a float, its shortest repr (what Python prints)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _fixed(exact: Decimal, places: int) -> str:
    """``exact`` with ``places`` decimals, rounded half to even; never ``-0.0``."""
    context = Context(prec=max(28, exact.adjusted() + places + 2))
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN, context=context)
    if rounded.is_zero():
        rounded = abs(rounded)
    return f"{rounded:f}"


def format_value(value: object, unit: Unit) -> str:
    """A released value as a reader sees it.

    ``pct`` has one decimal; ``ms`` is shown as ``h:mm:ss`` (rounded to the second); a
    ``count`` is grouped by thousands with spaces (one decimal if it is not whole). A missing
    value (null or NaN in a *released* cell, e.g. a rate over zero scheduled time) is
    ``n/a``; text values are shown as they are.

    Rounding is half to even on the decimal value, that is on the float's shortest decimal
    representation (the digits Python prints): 12.25 becomes 12.2 and 12.35 becomes 12.4.
    ``format(12.35, ".1f")`` would give 12.3, because it rounds the binary value
    12.3499999... instead.

    Parameters
    ----------
    value
        The value of one cell.
    unit
        The unit of its column.

    Returns
    -------
    str
        The text shown in tables.

    Examples
    --------
    >>> format_value(12.25, "pct"), format_value(12.35, "pct"), format_value(-0.04, "pct")
    ('12.2', '12.4', '0.0')
    >>> format_value(3_723_400, "ms"), format_value(1_500, "ms"), format_value(2_500, "ms")
    ('1:02:03', '0:00:02', '0:00:02')
    >>> format_value(1_500, "count"), format_value(None, "pct")
    ('1 500', 'n/a')
    """
    if value is None:
        return _NO_VALUE
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return _NO_VALUE if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return _format_number(_decimal(value), unit)


def _format_number(exact: Decimal, unit: Unit) -> str:
    if unit == "ms":
        seconds = int(exact.scaleb(-3).to_integral_value(rounding=ROUND_HALF_EVEN))
        hours, rest = divmod(abs(seconds), 3600)
        sign = "-" if seconds < 0 else ""
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    if unit == "count" and exact == exact.to_integral_value():
        return f"{int(exact):,}".replace(",", " ")
    return _fixed(exact, 1)


def display_rows(
    rows: Sequence[Sequence[object]],
    released: Sequence[bool],
    columns: Sequence[str],
    figures: Mapping[str, Unit],
) -> list[list[object]]:
    """Rows for display: keys as they are, figures formatted, hidden ones ``suppressed``."""
    shown: list[list[object]] = []
    for row, is_released in zip(rows, released, strict=True):
        cells: list[object] = []
        for name, value in zip(columns, row, strict=True):
            if name not in figures:
                cells.append(value)
            elif not is_released:
                cells.append(SUPPRESSED)
            else:
                cells.append(format_value(value, figures[name]))
        shown.append(cells)
    return shown


def table_text(
    title: str,
    schema: Mapping[str, pl.DataType],
    shown: Sequence[Sequence[object]],
    notes: Sequence[str],
    *,
    suppressed: int,
) -> str:
    """A released table as text: title, the cells, its notes and the legend when needed."""
    frame = pl.DataFrame(shown, schema=dict(schema), orient="row")
    with pl.Config(
        tbl_rows=_TEXT_ROWS,
        tbl_cols=-1,
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=frame.height <= _TEXT_ROWS,
        fmt_str_lengths=80,
        tbl_width_chars=max(100, 20 * len(schema)),
    ):
        text = repr(frame)
    lines = [title, text, *notes]
    if suppressed:
        lines.append(LEGEND)
    return "\n".join(lines)


def table_html(
    title: str,
    columns: Sequence[str],
    figures: Sequence[str],
    shown: Sequence[Sequence[object]],
    *,
    released: Sequence[bool],
    notes: Sequence[str],
) -> str:
    """A released table as HTML: all text escaped, suppressed cells marked, a legend."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row, is_released in zip(shown, released, strict=True):
        cells = []
        for name, value in zip(columns, row, strict=True):
            if name in figures and not is_released:
                cells.append('<td class="suppressed">suppressed<sup>*</sup></td>')
            else:
                text = "" if value is None else str(value)
                kind = ' class="figure"' if name in figures else ""
                cells.append(f"<td{kind}>{html.escape(text)}</td>")
        row_class = "released" if is_released else "suppressed"
        body.append(f'<tr class="{row_class}">{"".join(cells)}</tr>')
    paragraphs = [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    if not all(released):
        paragraphs.append(f'<p class="legend"><sup>*</sup> {html.escape(LEGEND)}</p>')
    return (
        '<div class="adherence-released">'
        f"<table><caption>{html.escape(title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{''.join(paragraphs)}</div>"
    )
