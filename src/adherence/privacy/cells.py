"""A report's cells: which rows a query covers, how they group, and each cell's value.

Cells are planned from the covered rows — one per agent and shift, with public dimensions —
and carry their contributors (agent codes and day numbers) for the privacy decision; their
values are computed only after the decision.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import polars as pl

from adherence._engine import rates
from adherence.metrics import value_expr
from adherence.privacy._data import AGENT_CODE, DAY
from adherence.privacy.ledger import day_number
from adherence.privacy.query import Query

__all__ = [
    "ALL",
    "calendar_bounds",
    "cell_values",
    "covered_rows",
    "dominated",
    "group_cells",
    "groupings",
    "known_pairs",
]

#: The key of a margin row: every value of the dimension.
ALL = "all"


def covered_rows(frame: pl.DataFrame, query: Query, scope: frozenset[str] | None) -> pl.DataFrame:
    """The rows a query covers: its period, its filters and the viewer's teams."""
    first, last = query.first_day, query.last_day
    keep = pl.col("local_date").is_between(first, last)
    for dimension, values in query.where:
        keep &= pl.col(dimension).is_in(list(values))
    if scope is not None:
        keep &= pl.col("team").is_in(sorted(scope))
    return frame.filter(keep)


def group_cells(rows: pl.DataFrame, query: Query, sums: Sequence[str]) -> pl.DataFrame:
    """One row per cell (and margin): keys as text, period, contributors and sums."""
    first, last = day_number(query.first_day), day_number(query.last_day)
    parts = []
    for keys in groupings(query):
        lo, hi = calendar_bounds(keys)
        aggregated = (
            rows.with_columns(_lo=lo, _hi=hi)
            .group_by(list(keys) or pl.lit(0).alias("_one"))
            .agg(
                pl.col(AGENT_CODE).alias("_agents"),
                pl.col(DAY).alias("_days"),
                pl.max_horizontal(pl.col("_lo").first(), pl.lit(first), pl.col(DAY).min()).alias(
                    "_first"
                ),
                pl.min_horizontal(pl.col("_hi").first(), pl.lit(last), pl.col(DAY).max()).alias(
                    "_last"
                ),
                *[pl.col(c).sum() for c in sums],
            )
        )
        parts.append(
            aggregated.with_columns(
                [pl.lit(ALL).alias(d) for d in query.by if d not in keys]
            ).select(*query.by, "_agents", "_days", "_first", "_last", *sums)
        )
    cells = pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()
    return (
        cells.with_columns(pl.col(d).cast(pl.String) for d in query.by).sort(
            list(query.by), nulls_last=True
        )
        if query.by
        else cells
    )


def cell_values(
    episodes: pl.DataFrame, rows: pl.DataFrame, grouped: pl.DataFrame, query: Query
) -> pl.Series:
    """The metric's value for every cell (suppressed ones are dropped later)."""
    m = query.metric
    if m.kind != "quantile":
        return rates(grouped).select(value_expr(m)).to_series()
    covered = rows.select("agent_id", "shift_id")
    episodes = episodes.join(covered, on=["agent_id", "shift_id"]).filter(
        pl.col("state") == m.state
    )
    per_cell = []
    for keys in groupings(query):
        per_cell.append(
            episodes.group_by(list(keys) or pl.lit(0).alias("_one"))
            .agg(pl.col("duration_ms").quantile(m.quantile or 0.5, "linear").alias("_v"))
            .with_columns([pl.lit(ALL).alias(d) for d in query.by if d not in keys])
            .select(*query.by, "_v")
        )
    found = pl.concat(per_cell, how="vertical_relaxed").with_columns(
        pl.col(d).cast(pl.String) for d in query.by
    )
    if not query.by:
        return found["_v"].head(1) if found.height else pl.Series([None], dtype=pl.Float64)
    return grouped.select(*query.by).join(found, on=list(query.by), how="left", nulls_equal=True)[
        "_v"
    ]


def dominated(
    rows: pl.DataFrame,
    grouped: pl.DataFrame,
    query: Query,
    released: Sequence[bool],
    *,
    agents: int,
    share: float,
) -> list[bool]:
    """G5: a duration sum that one or two agents dominate is suppressed too."""
    shown = list(released)
    m = query.metric
    if not m.is_duration_sum:
        return shown
    contribution = pl.sum_horizontal(*m.numerator)
    for keys in groupings(query):
        per_agent = (
            rows.group_by([*keys, AGENT_CODE])
            .agg(contribution.sum().alias("_c"))
            .group_by(list(keys) or pl.lit(0).alias("_one"))
            .agg(
                pl.col("_c").top_k(agents).sum().alias("_top"),
                pl.col("_c").sum().alias("_total"),
            )
            .filter((pl.col("_total") > 0) & (pl.col("_top") >= share * pl.col("_total")))
            .with_columns([pl.lit(ALL).alias(d) for d in query.by if d not in keys])
        )
        if not per_agent.height:
            continue
        if not query.by:
            return [False] * len(shown)
        dominated = set(per_agent.select(pl.col(d).cast(pl.String) for d in query.by).iter_rows())
        for i, key in enumerate(grouped.select(*query.by).iter_rows()):
            if key in dominated:
                shown[i] = False
    return shown


def groupings(query: Query) -> list[tuple[str, ...]]:
    """The groupings of a query: its ``by``, then each margin."""
    groupings = [query.by]
    if query.margins:
        groupings += [
            tuple(d for d in query.by if d in subset)
            for size in range(len(query.by) - 1, -1, -1)
            for subset in itertools.combinations(query.by, size)
        ]
    return groupings


def calendar_bounds(keys: Sequence[str]) -> tuple[pl.Expr, pl.Expr]:
    """First and last day number of the calendar unit of each row (unbounded without one)."""
    day = pl.col(DAY)
    los, his = [pl.lit(-(10**6))], [pl.lit(10**6)]
    if "day" in keys:
        los.append(day)
        his.append(day)
    if "iso_week" in keys:
        monday = day - pl.col("local_date").dt.weekday() + 1
        los.append(monday)
        his.append(monday + 6)
    if "month" in keys:
        start = pl.col("local_date").dt.month_start().cast(pl.Int32)
        end = pl.col("local_date").dt.month_end().cast(pl.Int32)
        los.append(start)
        his.append(end)
    return pl.max_horizontal(los), pl.min_horizontal(his)


def known_pairs(
    knowledge: Sequence[tuple[int, int, int]], rows: Sequence[frozenset[tuple[int, int]]]
) -> set[tuple[int, int]]:
    """(agent, day) pairs of ``rows`` that somebody knows through an opened share."""
    if not knowledge:
        return set()
    ranges: dict[int, list[tuple[int, int]]] = {}
    for agent, first, last in knowledge:
        ranges.setdefault(agent, []).append((first, last))
    return {
        (a, d)
        for row in rows
        for a, d in row
        if a in ranges and any(f <= d <= t for f, t in ranges[a])
    }
