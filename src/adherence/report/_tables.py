"""The report's tables as self-contained HTML fragments (great_tables).

Cells are formatted with ``adherence.locale``; a suppressed figure is ``SUPPRESSED_MARK``
(explained once on the page), a cell without scheduled time is a dash. great_tables writes
its style scoped to the table's id, with no external assets; it is imported only when a table
is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from adherence.report._text import SUPPRESSED_MARK

if TYPE_CHECKING:
    from great_tables import GT

__all__ = ["RAG_COLOURS", "Rag", "grid", "plain"]

Rag = Literal["green", "amber", "red"]
#: Background and text colours of red / amber / green cells (light tints, dark text).
RAG_COLOURS: dict[Rag, tuple[str, str]] = {
    "green": ("#dff0d8", "#1d4d1d"),
    "amber": ("#fcefc7", "#5c4400"),
    "red": ("#f8d7d3", "#6e1a12"),
}
_NO_TIME = "–"
_SUPPRESSED_STYLE = ("#f0f0f0", "#6b6b6b")


def _grid_cell(value: float | None, *, show: Callable[[float], str]) -> str:
    """A grid cell: no scheduled time (null), suppressed (NaN) or a figure."""
    if value is None:
        return _NO_TIME
    return SUPPRESSED_MARK if math.isnan(value) else show(value)


def _plain_cell(value: float | None, *, show: Callable[[float], str]) -> str:
    """A cell of a plain table: suppressed (null) or a figure."""
    return SUPPRESSED_MARK if value is None else show(value)


def _options(table: GT) -> GT:
    return table.tab_options(
        table_font_size="14px",
        data_row_padding="3px",
        column_labels_font_weight="bold",
        row_group_font_weight="bold",
        table_margin_left="0",
        container_padding_y="4px",
    )


def grid(
    cells: pl.DataFrame,
    *,
    rows: str,
    x: str,
    xs: Sequence[str],
    labels: Mapping[str, str],
    value: str,
    show: Callable[[float], str],
    rag: Callable[[pl.Expr], pl.Expr] | None,
    stub: str,
    spanner: str | None,
    table_id: str,
    group: str | None = None,
) -> str:
    """A rows × ``xs`` grid of one figure, RAG-coloured, suppressed cells marked.

    ``cells`` is long (``group``, ``rows``, ``x``, ``value``, ``status``), one row per cell;
    ``labels`` are the column headings of ``xs``; ``rag`` maps a figure column to ``green``,
    ``amber`` or ``red``.
    """
    from great_tables import GT, loc, style  # heavy: only when a report is written

    keys = [group, rows] if group else [rows]
    shown = cells.select(
        *keys,
        pl.col(x),
        pl.when(pl.col("status") == "suppressed")
        .then(float("nan"))
        .otherwise(pl.col(value).cast(pl.Float64))
        .alias("shown"),
    )
    wide = shown.pivot(on=x, index=keys, values="shown").sort(keys)
    missing = [pl.lit(None, pl.Float64).alias(c) for c in xs if c not in wide.columns]
    wide = wide.with_columns(missing).select(*keys, *xs)
    table = GT(wide, rowname_col=rows, groupname_col=group, id=table_id)
    table = table.fmt(partial(_grid_cell, show=show), columns=list(xs))
    headings: dict[str, Any] = {c: labels[c] for c in xs}
    table = table.cols_label(headings).cols_align("right", columns=list(xs))
    table = table.tab_stubhead(label=stub)
    if spanner:
        table = table.tab_spanner(label=spanner, columns=list(xs))
    indexed = wide.with_row_index("row")
    for column in xs:
        suppressed = indexed.filter(pl.col(column).is_nan())["row"].to_list()
        if suppressed:
            fill, text = _SUPPRESSED_STYLE
            table = table.tab_style(
                [style.fill(fill), style.text(color=text)],
                loc.body(columns=column, rows=suppressed),
            )
        if rag is None:
            continue
        figures = indexed.filter(pl.col(column).is_not_null() & pl.col(column).is_not_nan())
        colours = figures.select("row", rag(pl.col(column)).alias("rag"))
        for colour, (fill, text) in RAG_COLOURS.items():
            indices = colours.filter(pl.col("rag") == colour)["row"].to_list()
            if indices:
                table = table.tab_style(
                    [style.fill(fill), style.text(color=text)],
                    loc.body(columns=column, rows=indices),
                )
    return _options(table).as_raw_html()


def plain(
    frame: pl.DataFrame,
    *,
    rows: str,
    labels: Mapping[str, str],
    formats: Mapping[str, Callable[[float], str]],
    stub: str,
    table_id: str,
    merge: Sequence[tuple[str, str]] = (),
) -> str:
    """A small table: one row per group, figures formatted, missing figures marked.

    Nulls in ``frame`` are suppressed figures (``SUPPRESSED_MARK``). ``merge`` joins two
    pairs of columns into one as ``low–high`` under the first one's label.
    """
    from great_tables import GT

    table = GT(frame, rowname_col=rows, id=table_id).tab_stubhead(label=stub)
    for column, show in formats.items():
        table = table.fmt(partial(_plain_cell, show=show), columns=column)
    indexed = frame.with_row_index("row")
    for low, high in merge:
        released = indexed.filter(pl.col(low).is_not_null())["row"].to_list()
        table = table.cols_merge(columns=[low, high], rows=released, pattern="{0}–{1}")
        table = table.cols_hide(columns=high)
    table = table.sub_missing(missing_text=SUPPRESSED_MARK)  # text columns
    headings: dict[str, Any] = dict(labels)
    table = table.cols_label(headings).cols_align("right", columns=list(formats))
    return _options(table).as_raw_html()
