"""The team-level figures a report may ask for, by name.

Every metric is computed from the engine's additive per-agent sums (``ADDITIVE``) summed over
the agents and shifts of a cell, so a team figure is time-weighted (metrics.md §6). Each
metric also names its *family*: the quantity a release of it reveals. The privacy ledger
checks differencing within a family, so related figures (a pause total and the pause by
state; adherence and the out-of-adherence time) are treated as one system of unknowns,
which errs on the side of refusing.

Examples
--------
>>> from adherence.metrics import METRICS, metric
>>> m = metric("meal_episode_median_ms")
>>> m.unit, m.kind, m.family, m.state
('ms', 'quantile', 'pause', 'MEAL')
>>> "adherence_pct" in METRICS
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from adherence._engine.figures import OUT_KINDS, OUT_PLACES
from adherence.states import NON_PRODUCTIVE_STATES

__all__ = ["METRICS", "Metric", "metric", "value_expr"]

Unit = Literal["pct", "ms", "count"]
Kind = Literal["rate", "sum", "mean", "quantile"]

_PAUSES = sorted(NON_PRODUCTIVE_STATES)


@dataclass(frozen=True)
class Metric:
    """One reportable figure.

    Attributes
    ----------
    name
        What a report asks for, e.g. ``"adherence_pct"``.
    unit
        ``pct``, ``ms`` or ``count``.
    kind
        ``rate`` (a time-weighted percentage), ``sum``, ``mean`` (per episode or per shift) or
        ``quantile`` (an order statistic of pause episodes; needs more agents, G4).
    family
        The quantity a release reveals; the ledger's differencing checks work per family.
    numerator, denominator
        The additive figures summed over a cell (the denominator only for means).
    state
        The pause state a figure breaks out, if any (sensitive reason codes, G12).
    quantile
        For order statistics: which quantile of the episode durations.
    description
        One line for docs and reports.
    """

    name: str
    unit: Unit
    kind: Kind
    family: str
    numerator: tuple[str, ...]
    description: str
    denominator: tuple[str, ...] = ()
    state: str | None = None
    quantile: float | None = None

    @property
    def is_duration_sum(self) -> bool:
        """Whether the figure is built from a sum of durations (the dominance rule, G5)."""
        return self.unit == "ms" and self.kind in ("sum", "mean")


def _catalogue() -> dict[str, Metric]:
    rates = [
        Metric(
            "adherence_pct",
            "pct",
            "rate",
            "adherence",
            ("out_of_adherence_charged_ms", "scheduled_ms"),
            "schedule adherence: share of counted scheduled time in adherence",
        ),
        Metric(
            "conformance_pct",
            "pct",
            "rate",
            "conformance",
            ("conformance_actual_ms", "conformance_scheduled_ms"),
            "productive time in the shift window over scheduled on-queue time",
        ),
        Metric(
            "occupancy_pct",
            "pct",
            "rate",
            "occupancy",
            ("occupancy_busy_ms", "occupancy_available_ms"),
            "time on contacts and after-contact work over available time",
        ),
        Metric(
            "shrinkage_pct",
            "pct",
            "rate",
            "shrinkage",
            ("shrinkage_planned_ms", "shrinkage_unplanned_ms", "shrinkage_scheduled_ms"),
            "scheduled time not spent productive",
        ),
        Metric(
            "shrinkage_planned_pct",
            "pct",
            "rate",
            "shrinkage",
            ("shrinkage_planned_ms", "shrinkage_scheduled_ms"),
            "scheduled time not productive during planned breaks, meals, meetings, training",
        ),
        Metric(
            "shrinkage_unplanned_pct",
            "pct",
            "rate",
            "shrinkage",
            ("shrinkage_unplanned_ms", "shrinkage_scheduled_ms"),
            "scheduled time not productive outside planned activities",
        ),
    ]
    sums = [
        Metric(
            "out_of_adherence_ms",
            "ms",
            "sum",
            "adherence",
            ("out_of_adherence_charged_ms",),
            "out-of-adherence time charged",
        ),
        Metric(
            "exception_count",
            "count",
            "sum",
            "adherence",
            ("exception_count",),
            "number of adherence exceptions",
        ),
        Metric(
            "pause_ms",
            "ms",
            "sum",
            "pause",
            (*(f"{s.value.lower()}_ms" for s in _PAUSES), "other_ms"),
            "time in all non-productive states together (sensitive codes included)",
        ),
        Metric(
            "lateness_mean_ms",
            "ms",
            "mean",
            "lateness",
            ("lateness_ms",),
            "mean lateness per shift with a login",
            ("lateness_shifts",),
        ),
        Metric(
            "login_to_ready_mean_ms",
            "ms",
            "mean",
            "lateness",
            ("login_to_ready_ms",),
            "mean time from the first event of a shift to Ready",
            ("login_to_ready_shifts",),
        ),
    ]
    kinds = {
        "late_start": "at the start of a shift, before the agent's first login",
        "early_end": "at the end of a shift, after the agent's last logout",
        "long_meal": "still in a pause state after the scheduled meal ended",
        "late_from_break": "still in a pause state after the scheduled break ended",
        "unscheduled_pause": "in a pause state during scheduled open time (none of the above)",
        "other": "every other kind (sensitive reason codes included)",
    }
    by_kind = [
        Metric(f"out_of_adherence_{k}_ms", "ms", "sum", "adherence",
               (f"out_of_adherence_{k}_ms",), f"out-of-adherence time charged {kinds[k]}")
        for k in OUT_KINDS
    ]  # fmt: skip
    by_place = [
        Metric(column, "ms", "sum", "adherence", (column,),
               f"out-of-adherence time charged during scheduled {p.upper()}"
               if p != "outside_shift" else "out-of-adherence time charged outside the shift")
        for p in OUT_PLACES
        for column in [
            f"out_of_adherence_in_{p}_ms" if p != "outside_shift" else f"out_of_adherence_{p}_ms"
        ]
    ]  # fmt: skip
    per_state: list[Metric] = []
    for state in _PAUSES:
        s = state.value.lower()
        per_state += [
            Metric(f"{s}_ms", "ms", "sum", "pause", (f"{s}_ms",),
                   f"time in {state.value}", state=state.value),
            Metric(f"{s}_episodes", "count", "sum", "pause", (f"{s}_episodes",),
                   f"number of {state.value} episodes", state=state.value),
            Metric(f"{s}_episode_mean_ms", "ms", "mean", "pause", (f"{s}_episode_ms",),
                   f"mean length of a {state.value} episode", (f"{s}_episodes",),
                   state=state.value),
            Metric(f"{s}_episode_median_ms", "ms", "quantile", "pause", (),
                   f"median length of a {state.value} episode", state=state.value,
                   quantile=0.5),
            Metric(f"{s}_episode_p90_ms", "ms", "quantile", "pause", (),
                   f"90th percentile of {state.value} episode lengths", state=state.value,
                   quantile=0.9),
        ]  # fmt: skip
    return {m.name: m for m in [*rates, *sums, *by_kind, *by_place, *per_state]}


#: Every reportable metric by name.
METRICS: dict[str, Metric] = _catalogue()


def metric(name: str) -> Metric:
    """The metric called ``name``; ``KeyError`` when there is none."""
    return METRICS[name]


def value_expr(m: Metric) -> pl.Expr:
    """The metric's value over a frame of summed figures to which ``rates`` was applied.

    Quantiles are not computed from sums; asking for one here raises ``ValueError``.
    """
    if m.kind == "rate":
        if m.name == "shrinkage_pct":
            return (pl.col("shrinkage_planned_pct") + pl.col("shrinkage_unplanned_pct")).alias(
                m.name
            )
        return pl.col(m.name)
    total = pl.sum_horizontal(*m.numerator)
    if m.kind == "sum":
        return total.alias(m.name)
    if m.kind == "mean":
        count = pl.sum_horizontal(*m.denominator)
        return pl.when(count > 0).then(total / count).alias(m.name)
    raise ValueError(f"{m.name} is an order statistic; it is computed from episodes")
