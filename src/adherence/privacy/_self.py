"""The employee's own view: every figure the engine computes for them, per shift or per day.

An employee owns their data (privacy.md): their self view holds every atom of theirs and
every rate formed from them, including the time under sensitive reason codes (``other_ms``),
which is theirs alone. Nothing here decides who may see it; the workspace's door does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from adherence._engine import rates
from adherence.metrics import METRICS, Metric, value_expr
from adherence.privacy._atoms import ATOMS, Tables
from adherence.states import NON_PRODUCTIVE_STATES, PRODUCTIVE_STATES

__all__ = ["SELF_VIEW_FIGURES", "Per", "SelfFigures", "own_exceptions", "own_figures"]

#: How a self view is broken down: one row per shift, or per local day.
Per = Literal["shift", "day"]
Unit = Literal["pct", "ms", "count"]


def _pause_figures() -> list[str]:
    return [
        name
        for state in sorted(NON_PRODUCTIVE_STATES)
        for name in (
            f"{state.value.lower()}_ms",
            f"{state.value.lower()}_episodes",
            f"{state.value.lower()}_episode_mean_ms",
        )
    ]


#: Every figure of a self view, in order: catalogue metrics by their catalogue names (so
#: that a share of one shows the same number), the engine's other atoms by theirs.
SELF_VIEW_FIGURES: tuple[str, ...] = (
    "scheduled_ms",
    "in_adherence_ms",
    "out_of_adherence_raw_ms",
    "out_of_adherence_ms",
    "not_calculated_ms",
    "unobserved_ms",
    "exception_count",
    "adherence_pct",
    "conformance_scheduled_ms",
    "conformance_actual_ms",
    "conformance_pct",
    "occupancy_pct",
    "shrinkage_pct",
    "shrinkage_planned_pct",
    "shrinkage_unplanned_pct",
    *(f"{s.value.lower()}_ms" for s in sorted(PRODUCTIVE_STATES)),
    *_pause_figures(),
    "other_ms",
    "other_episodes",
    "pause_ms",
    "offline_ms",
    "unmapped_ms",
    "lateness_mean_ms",
    "login_to_ready_mean_ms",
)
_COUNTS = frozenset({"exception_count", "other_episodes", "shifts"})
_SUMMED = [c for c in ATOMS if c != "shifts"]


def _unit(name: str) -> Unit:
    if name in METRICS:
        return METRICS[name].unit
    return "count" if name in _COUNTS else "ms"


def _value(name: str) -> pl.Expr:
    """The figure ``name`` over summed atoms to which ``rates`` was applied."""
    m: Metric | None = METRICS.get(name)
    if m is None:
        return pl.col(name).cast(pl.Int64)
    if m.unit == "pct":
        return value_expr(m).cast(pl.Float64)
    if m.kind == "mean":
        # Whole seconds (G17) before the integer cast, so nothing is truncated.
        return ((value_expr(m) / 1000).round(0) * 1000).cast(pl.Int64).alias(name)
    return value_expr(m).cast(pl.Int64)


@dataclass(frozen=True)
class SelfFigures:
    """One employee's figures: the frame, its key columns and each value's unit."""

    frame: pl.DataFrame
    keys: list[str]
    units: dict[str, Unit]


def own_figures(tables: Tables, agent_id: str, *, per: Per) -> SelfFigures:
    """Every figure of ``agent_id``, one row per shift (day it is attributed to) or per day.

    Per shift, ``day`` is the local date the shift starts on (with ``split_at_midnight`` a
    night shift's parts are added back together); per day, time is attributed to days as the
    options say, and ``shifts`` counts the shifts starting that day.
    """
    if per == "shift":
        rows = (
            tables.shifts.filter(pl.col("agent_id") == agent_id)
            .group_by(pl.col("shift_date").alias("local_date"), "shift_id")
            .agg(pl.col(_SUMMED).sum())
            .sort("local_date", "shift_id")
        )
        keys = ["day", "shift_id"]
        extra: list[str] = []
    else:
        rows = tables.days.filter(pl.col("agent_id") == agent_id).sort("local_date")
        keys = ["day"]
        extra = ["shifts"]
    values = [*extra, *SELF_VIEW_FIGURES]
    frame = rates(rows).select(
        pl.col("local_date").dt.strftime("%Y-%m-%d").alias("day"),
        *keys[1:],
        *[_value(name).alias(name) for name in values],
        pl.lit("released").alias("status"),
    )
    return SelfFigures(frame, keys, {name: _unit(name) for name in values})


def own_exceptions(tables: Tables, agent_id: str, *, time_zone: str) -> pl.DataFrame:
    """Every out-of-adherence run of ``agent_id``, with its raw and charged length.

    Runs no longer than the exception threshold are listed too, flagged
    ``under_threshold`` (charged 0: they are not exceptions). Times are local.
    """
    local = "%Y-%m-%d %H:%M:%S"
    return (
        tables.exceptions.filter(pl.col("agent_id") == agent_id)
        .sort("start")
        .select(
            pl.col("local_date").dt.strftime("%Y-%m-%d").alias("day"),
            "shift_id",
            pl.col("start").dt.convert_time_zone(time_zone).dt.strftime(local).alias("start"),
            pl.col("end").dt.convert_time_zone(time_zone).dt.strftime(local).alias("end"),
            pl.col("activities").cast(pl.List(pl.String)).list.join(", ").alias("activities"),
            pl.col("states")
            .cast(pl.List(pl.String))
            .list.eval(pl.element().fill_null("not logged in"))
            .list.join(", ")
            .alias("states"),
            "under_threshold",
            "raw_ms",
            "charged_ms",
            pl.lit("released").alias("status"),
        )
    )
