"""Plans: what a door wants to release, as cells of atom combinations over supports.

A plan is built from the ``days`` table (one row per agent and local day with a scheduled
shift) and the request. Each cell knows its support — the (agent, day) pairs it covers,
from the roster and the schedule — the vectors releasing it would reveal
(:class:`~adherence.privacy._space.Vector`), how many protected agents it has, and the sums
its value is computed from. Values are computed only for the cells the decision releases.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from adherence._engine import ADDITIVE, rates
from adherence.metrics import Metric, value_expr
from adherence.privacy._atoms import AGENT_CODE, DAY
from adherence.privacy._refine import Possible, slot_atom
from adherence.privacy._space import Vector
from adherence.privacy.query import Query
from adherence.states import NON_PRODUCTIVE_STATES

__all__ = [
    "ALL",
    "Cell",
    "cell_values",
    "cells_for",
    "covered",
    "dominated",
    "few_contributors",
    "grouped",
    "groupings",
    "metric_atoms",
    "slot_cells",
    "support_of",
]

#: The key of a margin row: every value of the dimension.
ALL = "all"


@dataclass(frozen=True)
class Cell:
    """One planned cell: its key, its vectors and who it protects."""

    key: tuple[str, ...]
    vectors: tuple[Vector, ...]
    agents: frozenset[int]
    targets: tuple[Vector, ...] = ()
    """Sums that must stay hidden whenever this cell is released (sensitive time)."""
    need: int = 0
    """Protected agents this cell needs beyond the plan's minimum (order statistics)."""


#: Figures that are (nearly) the same quantity as others, written in those others' atoms, so
#: that the space sees them as what they are: a state's episode time is its time in the
#: state (up to the edges of a shift), and occupancy's parts are sums of state times.
#: Treating near-equal quantities as one errs on the side of refusing.
ATOM_OF: dict[str, dict[str, int]] = {
    **{
        f"{s.value.lower()}_episode_ms": {f"{s.value.lower()}_ms": 1} for s in NON_PRODUCTIVE_STATES
    },
    "occupancy_busy_ms": {"on_contact_ms": 1, "after_contact_work_ms": 1},
    "occupancy_available_ms": {"ready_ms": 1, "on_contact_ms": 1, "after_contact_work_ms": 1},
}


def _combination(columns: Sequence[str]) -> dict[str, int]:
    """The atoms of the sum of ``columns``."""
    found: dict[str, int] = {}
    for column in columns:
        for atom, coefficient in ATOM_OF.get(column, {column: 1}).items():
            found[atom] = found.get(atom, 0) + coefficient
    return found


def metric_atoms(m: Metric) -> list[dict[str, int]]:
    """The atom combinations releasing metric ``m`` reveals, one per vector.

    A sum reveals its numerator; a mean its numerator and its denominator; a rate every
    figure it is computed from, each on its own (the ratio of two sums reveals neither
    exactly, but the test assumes it reveals both). An order statistic is its own entry.
    Figures are written in the atoms of what they measure (``ATOM_OF``).
    """
    if m.kind == "quantile":
        return [{f"quantile:{m.name}": 1}]
    if m.kind == "rate":
        return [_combination([column]) for column in m.numerator]
    vectors = [_combination(m.numerator)]
    if m.denominator:
        vectors.append(_combination(m.denominator))
    return vectors


def support_of(agents: Sequence[int], days: Sequence[int]) -> np.ndarray:
    """The sorted distinct (agent, day) pairs of two parallel lists."""
    pairs = np.column_stack([np.asarray(agents, np.int64), np.asarray(days, np.int64)])
    return np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)


def groupings(by: Sequence[str], *, margins: bool) -> list[tuple[str, ...]]:
    """The groupings of a request: its ``by``, then each margin (largest first)."""
    found = [tuple(by)]
    if margins:
        found += [
            tuple(d for d in by if d in subset)
            for size in range(len(by) - 1, -1, -1)
            for subset in itertools.combinations(by, size)
        ]
    return found


def grouped(
    rows: pl.DataFrame, by: Sequence[str], *, margins: bool, sums: Sequence[str]
) -> pl.DataFrame:
    """One row per cell (and margin): keys as text, support lists and the sums."""
    parts = []
    for keys in groupings(by, margins=margins):
        aggregated = rows.group_by(list(keys) or pl.lit(0).alias("_one")).agg(
            pl.col(AGENT_CODE).alias("_agents"),
            pl.col(DAY).alias("_days"),
            *[pl.col(c).sum() for c in sums],
        )
        parts.append(
            aggregated.with_columns([pl.lit(ALL).alias(d) for d in by if d not in keys]).select(
                *[pl.col(d).cast(pl.String) for d in by], "_agents", "_days", *sums
            )
        )
    cells = pl.concat(parts, how="vertical_relaxed")
    return cells.sort(list(by), nulls_last=True) if by else cells


def cells_for(
    frame: pl.DataFrame,
    by: Sequence[str],
    combinations: Sequence[dict[str, int]],
    *,
    sensitive_atoms: frozenset[str] = frozenset(),
    need: int = 0,
    possible: Possible | None = None,
) -> list[Cell]:
    """The cells of a grouped frame, each revealing ``combinations`` over its support.

    A combination that includes a sensitive atom (``other_ms``) adds a target: that atom
    alone over the cell's support must never be determined (G12). A combination of parts
    that are zero on some days for everyone to see (time charged during a scheduled meeting,
    on a day without one) is supported only on the days where it can be nonzero
    (``possible``): the agents who count are those who could contribute.
    """
    cells = []
    for row in frame.select(*by, "_agents", "_days").iter_rows():
        key = tuple(str(v) for v in row[: len(by)])
        support = support_of(row[-2], row[-1])
        vectors = tuple(
            Vector(
                tuple(sorted(c.items())),
                support if possible is None else possible.restrict(support, list(c)),
            )
            for c in combinations
        )
        hidden = sorted({a for c in combinations for a in c if a in sensitive_atoms})
        targets = tuple(Vector(((atom, 1),), support) for atom in hidden)
        agents = frozenset(a for v in vectors for a in np.unique(v.support[:, 0]).tolist())
        cells.append(Cell(key, vectors, agents, targets, need))
    return cells


def slot_cells(
    frame: pl.DataFrame, by: Sequence[str], combinations: Sequence[dict[str, int]]
) -> list[Cell]:
    """The cells of a frame grouped by ``half_hour`` (among others).

    Per cell: its half hour's atoms over the (agent, day) pairs scheduled then (its rows); a
    margin over the half hours reveals the day's atoms over the pairs of its rows.
    """
    position = list(by).index("half_hour")
    cells = []
    for row in frame.select(*by, "_agents", "_days").iter_rows():
        key = tuple(str(v) for v in row[: len(by)])
        half_hour = key[position]
        support = support_of(row[-2], row[-1])
        vectors = tuple(
            Vector(
                tuple(
                    sorted(
                        ((a if half_hour == ALL else slot_atom(a, half_hour)), n)
                        for a, n in c.items()
                    )
                ),
                support,
            )
            for c in combinations
        )
        cells.append(Cell(key, vectors, frozenset(np.unique(support[:, 0]).tolist())))
    return cells


def covered(frame: pl.DataFrame, query: Query, scope: frozenset[str] | None) -> pl.DataFrame:
    """The (agent, day) rows a query covers: its period, its filters and the viewer's teams."""
    keep = pl.col("local_date").is_between(query.first_day, query.last_day)
    for dimension, values in query.where:
        keep &= pl.col(dimension).is_in(list(values))
    if scope is not None:
        keep &= pl.col("team").is_in(sorted(scope))
    return frame.filter(keep)


def _keyed(frame: pl.DataFrame, by: Sequence[str], keys: Sequence[str]) -> pl.DataFrame:
    """A per-grouping result with the other dimensions set to ``all`` and keys as text."""
    return frame.with_columns([pl.lit(ALL).alias(d) for d in by if d not in keys]).with_columns(
        pl.col(d).cast(pl.String) for d in by
    )


def _per_cell(
    found: list[pl.DataFrame], frame: pl.DataFrame, by: Sequence[str], name: str
) -> pl.Series:
    """Per cell of ``frame`` (in its order), the column ``name`` of the per-grouping results."""
    joined = pl.concat(found, how="vertical_relaxed")
    if not by:
        return joined[name].head(1) if joined.height else pl.Series(name, [None])
    return frame.select(*by).join(joined, on=list(by), how="left", nulls_equal=True)[name]


def cell_values(
    episodes: pl.DataFrame, rows: pl.DataFrame, frame: pl.DataFrame, query: Query
) -> pl.Series:
    """The metric's value for every cell of ``frame`` (suppressed ones are dropped later)."""
    m = query.metric
    if m.kind != "quantile":
        # A frame of half-hour rows holds only the slot atoms; the rest are not asked for.
        absent = [pl.lit(0, dtype=pl.Int64).alias(c) for c in ADDITIVE if c not in frame.columns]
        return rates(frame.with_columns(absent)).select(value_expr(m)).to_series()
    own = _covered_episodes(episodes, rows, m.state)
    found = [
        _keyed(
            own.group_by(list(keys) or pl.lit(0).alias("_one")).agg(
                pl.col("duration_ms").quantile(m.quantile or 0.5, "linear").alias("_v")
            ),
            query.by,
            keys,
        ).select(*query.by, "_v")
        for keys in groupings(query.by, margins=query.margins)
    ]
    return _per_cell(found, frame, query.by, "_v")


def _covered_episodes(
    episodes: pl.DataFrame, rows: pl.DataFrame, state: str | None
) -> pl.DataFrame:
    covered_days = rows.select("agent_id", "local_date")
    return episodes.join(covered_days, on=["agent_id", "local_date"]).filter(
        pl.col("state") == state
    )


def few_contributors(
    episodes: pl.DataFrame,
    rows: pl.DataFrame,
    frame: pl.DataFrame,
    query: Query,
    minimum: int,
    *,
    agents: int,
    share: float,
) -> list[bool]:
    """Cells of an order statistic to hide: too few contributors, or dominated ones.

    A median or a quantile needs ``minimum`` agents who have a value (an episode), and
    obeys the dominance rule on the episodes: when ``agents`` agents hold at least
    ``share`` of a cell's episodes, its order statistics are theirs.
    """
    own = _covered_episodes(episodes, rows, query.metric.state)
    per_cell = _per_agent_shares(
        own, query, frame, pl.len(), agents=agents, extra=[pl.len().alias("_n")]
    )
    hide = (pl.col("_n") < minimum) | (pl.col("_top") >= share * pl.col("_total"))
    flags = per_cell.select(hide.fill_null(value=True)).to_series()
    return [bool(f) for f in flags.to_list()]


def _per_agent_shares(
    rows: pl.DataFrame,
    query: Query,
    frame: pl.DataFrame,
    contribution: pl.Expr,
    *,
    agents: int,
    extra: Sequence[pl.Expr] = (),
) -> pl.DataFrame:
    """Per cell of ``frame`` (in its order): its largest contributions and its total.

    ``_top`` sums the ``agents`` largest of the agents' ``contribution`` and ``_total`` all
    of them (the dominance rule compares the two).
    """
    found = [
        _keyed(
            rows.group_by([*keys, AGENT_CODE])
            .agg(contribution.alias("_c"))
            .group_by(list(keys) or pl.lit(0).alias("_one"))
            .agg(
                *extra,
                pl.col("_c").top_k(agents).sum().alias("_top"),
                pl.col("_c").sum().alias("_total"),
            ),
            query.by,
            keys,
        ).select(*query.by, "_top", "_total", *[e.meta.output_name() for e in extra])
        for keys in groupings(query.by, margins=query.margins)
    ]
    joined = pl.concat(found, how="vertical_relaxed")
    if not query.by:
        return joined.head(1) if joined.height else joined.clear(1)
    return frame.select(*query.by).join(joined, on=list(query.by), how="left", nulls_equal=True)


def dominated(
    rows: pl.DataFrame, frame: pl.DataFrame, query: Query, *, agents: int, share: float
) -> list[bool]:
    """G5: cells of a duration sum that one or two agents dominate.

    A rate counts too: its denominator is scheduled time, which the schedule shows, so its
    numerator (each duration but the last, the denominator) is as good as released.
    """
    m = query.metric
    if m.kind == "rate":
        sums: list[tuple[str, ...]] = [
            (column,) for column in m.numerator[:-1] if column.endswith("_ms")
        ]
    elif m.is_duration_sum:
        sums = [m.numerator]
    else:
        return [False] * frame.height
    hidden = [False] * frame.height
    for columns in sums:
        contribution = pl.sum_horizontal(*columns).sum()
        per_cell = _per_agent_shares(rows, query, frame, contribution, agents=agents)
        flags = per_cell.select(
            ((pl.col("_total") > 0) & (pl.col("_top") >= share * pl.col("_total"))).fill_null(
                value=False
            )
        ).to_series()
        hidden = [h or bool(f) for h, f in zip(hidden, flags.to_list(), strict=True)]
    return hidden
