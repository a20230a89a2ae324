"""Plots of released figures (matplotlib): they only ever draw released objects.

Every function takes a ``ReleasedTable`` or a ``FairnessAudit`` — never raw data — draws on
the given axes (or a new figure's), and returns the ``Axes``. Suppressed cells are gaps, and
a note says so. No function changes matplotlib's global style or calls ``plt.show()``.

Examples
--------
>>> import polars as pl
>>> from adherence.privacy.released import ReleasedTable
>>> table = ReleasedTable(
...     pl.DataFrame({"team": ["A", "A"], "iso_week": ["2026-W11", "2026-W12"],
...                   "adherence_pct": [93.5, None], "status": ["released", "suppressed"]}),
...     keys=["team", "iso_week"], values=["adherence_pct"], metric="adherence_pct",
...     unit="pct", title="Adherence", release_id="r",
... )
>>> ax = plot_adherence_over_time(table, target=90)
>>> ax.get_ylabel()
'adherence [%]'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from adherence.errors import ConfigurationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from adherence.fairness import FairnessAudit
    from adherence.privacy.released import ReleasedTable

__all__ = [
    "plot_adherence_over_time",
    "plot_breach_margins",
    "plot_login_to_ready",
    "plot_pause_distribution",
    "plot_released_cells",
    "plot_sensitivity",
]

_TIME_KEYS = ("day", "iso_week", "month")
_GAPS = "gaps: suppressed to protect individuals"


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(8, 4), layout="constrained")
    return new


def _cells(table: ReleasedTable) -> pl.DataFrame:
    """The released cells, for drawing (drawing is not an export, so it is not logged)."""
    return table._frame()  # the package's own released object


def _note_gaps(ax: Axes, frame: pl.DataFrame) -> None:
    if (frame["status"] == "suppressed").any():
        ax.annotate(_GAPS, xy=(1, 1.01), xycoords="axes fraction", ha="right", va="bottom",
                    fontsize="small", color="0.35")  # fmt: skip


def _label(frame: pl.DataFrame, keys: list[str]) -> pl.Series:
    if not keys:
        return pl.Series(["all"] * frame.height)
    return frame.select(
        pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator=" / ")
    ).to_series()


def _values(frame: pl.DataFrame, column: str, scale: float = 1.0) -> list[float]:
    return [math.nan if v is None else v / scale for v in frame[column].to_list()]


def plot_adherence_over_time(
    table: ReleasedTable, *, ax: Axes | None = None, target: float | None = None
) -> Axes:
    """Team adherence over time: one line per team (or other key), the target as a line.

    ``table`` is a released ``adherence_pct`` report grouped by a calendar key (``day``,
    ``iso_week`` or ``month``) and optionally by teams or sites.
    """
    time_key = next((k for k in _TIME_KEYS if k in table.keys), None)
    if table.metric != "adherence_pct" or time_key is None:
        raise ConfigurationError(
            "plot_adherence_over_time draws an adherence_pct report over day, iso_week or month",
            hint="ws.report('adherence_pct', by=['team', 'iso_week'], ...)",
        )
    ax = table.plot(ax=ax)  # one line per team over time, suppressed cells as gaps
    if target is not None:
        ax.axhline(target, color="0.3", linestyle="--", linewidth=1, label=f"target {target:g} %")
    ax.set_title("Schedule adherence over time")
    ax.legend(fontsize="small", loc="lower left")
    ax.tick_params(axis="x", labelrotation=45)
    return ax


def plot_pause_distribution(
    median: ReleasedTable, p90: ReleasedTable | None = None, *, ax: Axes | None = None
) -> Axes:
    """Pause lengths per group: the median (bars) and the 90th percentile (markers) [min].

    Distribution figures exist only where the policy allows them (at least
    ``min_quantile_agents`` protected agents); other groups are gaps.
    """
    ax = _axes(ax)
    frame = _cells(median)
    labels = _label(frame, list(median.keys)).to_list()
    ax.bar(labels, _values(frame, median.metric, 60_000), color="#4c78a8", label="median")
    if p90 is not None:
        upper = _cells(p90)
        ax.plot(_label(upper, list(p90.keys)).to_list(), _values(upper, p90.metric, 60_000),
                linestyle="none", marker="_", markersize=18, color="#e45756",
                label="p90")  # fmt: skip
    ax.set_ylabel("pause length [min]")
    ax.set_title(median.title)
    ax.legend(fontsize="small")
    _note_gaps(ax, frame)
    return ax


def plot_sensitivity(audit: FairnessAudit, *, ax: Axes | None = None) -> Axes:
    """The breach rate of a rule at other limits, one line per group; the rule's limit marked."""
    ax = _axes(ax)
    frame = _cells(audit.sensitivity)
    groups = [k for k in audit.sensitivity.keys if k != "limit"]
    frame = frame.with_columns(_label(frame, groups).alias("_series"))
    for (name,), part in frame.group_by("_series", maintain_order=True):
        ax.plot(part["limit"].to_list(), _values(part, "breach_pct"), marker=".", label=str(name))
    limits = frame["limit"].unique(maintain_order=True).to_list()
    own = audit.rule.describe_limit()
    if own in limits:  # the x axis is categorical: positions 0, 1, ...
        ax.axvline(limits.index(own), color="0.3", linestyle="--", linewidth=1, label="rule")
    ax.set_xlabel("limit")
    ax.set_ylabel("breach rate [%]")
    ax.set_title(f"Sensitivity of '{audit.rule.name}'")
    ax.tick_params(axis="x", labelrotation=60, labelsize="small")
    ax.legend(fontsize="small")
    _note_gaps(ax, frame)
    return ax


def plot_breach_margins(audit: FairnessAudit, *, ax: Axes | None = None) -> Axes:
    """Share of breaches within 30 s, 60 s and 120 s of the limit, per group [%]."""
    ax = _axes(ax)
    frame = _cells(audit.groups)
    labels = _label(frame, list(audit.groups.keys)).to_list()
    width = 0.25
    for i, seconds in enumerate((30, 60, 120)):
        positions = [x + (i - 1) * width for x in range(len(labels))]
        ax.bar(positions, _values(frame, f"within_{seconds}s_pct"), width=width,
               label=f"within {seconds} s")  # fmt: skip
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(0, 100)
    ax.set_ylabel("share of breaches [%]")
    ax.set_title(f"How close the breaches of '{audit.rule.name}' are to the limit")
    ax.legend(fontsize="small")
    _note_gaps(ax, frame)
    return ax


def plot_login_to_ready(audit: FairnessAudit, *, ax: Axes | None = None) -> Axes:
    """Median login-to-Ready time per group [min] against a login rule's limit.

    Only groups with enough protected agents for a median are drawn.
    """
    ax = _axes(ax)
    frame = _cells(audit.groups)
    labels = _label(frame, list(audit.groups.keys)).to_list()
    ax.bar(labels, _values(frame, "median_system_ms", 60_000), color="#72b7b2")
    ax.axhline(audit.rule.limit / 60_000, color="0.3", linestyle="--", linewidth=1,
               label=f"limit {audit.rule.describe_limit()}")  # fmt: skip
    ax.set_ylabel("median login to Ready [min]")
    ax.set_title("Time from the first login event to Ready")
    ax.legend(fontsize="small")
    _note_gaps(ax, frame)
    return ax


#: Keys a released table's plot draws lines over.
_LINE_KEYS = ("day", "iso_week", "month", "period")
_AXIS_UNITS = {"pct": "%", "ms": "min", "count": "count"}


def _joined(parts: Sequence[object]) -> str:
    return " / ".join("(none)" if p is None else str(p) for p in parts)


def _axis_label(column: str, unit: str) -> str:
    """``adherence_pct`` -> ``adherence [%]``; ``meal_ms`` -> ``meal [min]`` (drawn in minutes)."""
    name = column.removesuffix(f"_{unit}") if unit != "count" else column
    return f"{name.replace('_', ' ')} [{_AXIS_UNITS[unit]}]"


def plot_released_cells(
    key_rows: Sequence[Sequence[object]],
    values: Sequence[object],
    *,
    keys: Sequence[str],
    key_types: Sequence[pl.DataType],
    column: str,
    unit: str,
    title: str,
    gaps: bool,
    ax: Axes | None = None,
) -> Axes:
    """Draw one value column of a released table (``ReleasedTable.plot`` calls this).

    ``values`` are the released values, ``None`` where a cell is suppressed or missing:
    those are gaps. With a time key, one line per group of the other keys; else bars.
    """
    scale = 60_000.0 if unit == "ms" else 1.0
    ys = [math.nan if v is None else float(v) / scale for v in values]  # type: ignore[arg-type]
    ax = _axes(ax)
    time_key = next((k for k in keys if k in _LINE_KEYS), None)
    if time_key is not None:
        at = list(keys).index(time_key)
        others = [i for i, k in enumerate(keys) if k != time_key]
        times = sorted({row[at] for row in key_rows if row[at] is not None})  # type: ignore[type-var]
        series: dict[str, dict[object, float]] = {}
        for row, y in zip(key_rows, ys, strict=True):
            if row[at] is not None:
                series.setdefault(_joined([row[i] for i in others]), {})[row[at]] = y
        temporal = isinstance(key_types[at], pl.Date | pl.Datetime)
        xs: list[Any] = list(times) if temporal else list(range(len(times)))
        for name, points in series.items():
            ax.plot(xs, [points.get(t, math.nan) for t in times], marker="o",
                    label=name or None)  # fmt: skip
        if not temporal:
            ax.set_xticks(xs, [str(t) for t in times])
        ax.set_xlabel(time_key.replace("_", " "))
        if others:
            ax.legend(fontsize="small")
    else:
        labels = [_joined(row) or title for row in key_rows]
        positions = list(range(len(labels)))
        ax.bar(positions, ys)
        ax.set_xticks(positions, labels)
    ax.set_ylabel(_axis_label(column, unit))
    ax.set_title(title)
    if gaps:
        ax.text(1.0, 1.01, "gaps: suppressed cells", transform=ax.transAxes,
                ha="right", va="bottom", fontsize="small")  # fmt: skip
    return ax
