"""What the report shows, asked of the workspace as the report's viewer (released figures only).

Every function here goes through a public door of the ``Workspace`` (``report``,
``report_many``, ``audit_tolerance``, ``dry_run``), so every figure is released, in the ledger
and in the audit log. A refused request becomes a ``Withheld`` with the refusal's code; nothing
else of the privacy layer leaks into the page. Frames are long and small (one row per released
or suppressed cell): ``status`` is ``released`` or ``suppressed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from adherence._engine.figures import OUT_KINDS, OUT_PLACES
from adherence.errors import PrivacyError
from adherence.privacy.query import Period, parse_period
from adherence.states import Activity

if TYPE_CHECKING:
    from adherence.fairness import FairnessAudit
    from adherence.privacy.released import ReleasedTable
    from adherence.privacy.viewers import Viewer
    from adherence.privacy.workspace import Workspace
    from adherence.rules import Rule

__all__ = [
    "ACTIVITY_METRICS",
    "HEADLINE",
    "KIND_METRICS",
    "Asked",
    "Withheld",
    "covered_days",
    "headline",
    "previous_period",
]

#: The headline figures, by metric name.
HEADLINE = ("adherence_pct", "conformance_pct", "shrinkage_pct", "out_of_adherence_ms")
#: Out-of-adherence time by kind, in display order (they sum to ``out_of_adherence_ms``).
KIND_METRICS = tuple(f"out_of_adherence_{k}_ms" for k in OUT_KINDS)
#: Out-of-adherence time by where it fell: each counted scheduled activity, then outside the
#: shift (time off is neutral: never charged).
ACTIVITY_METRICS = tuple(
    f"out_of_adherence_in_{p}_ms" if p != "outside_shift" else f"out_of_adherence_{p}_ms"
    for p in OUT_PLACES
    if p != Activity.TIME_OFF.value.lower()
)


@dataclass(frozen=True)
class Withheld:
    """A request the privacy layer refused: its stable code (``ADH-001``...)."""

    code: str


@dataclass(frozen=True)
class Asked:
    """The workspace and whom and what the report asks for."""

    workspace: Workspace
    viewer: Viewer
    period: Period

    def many(self, requests: Sequence[tuple[str, Sequence[str]]]) -> list[pl.DataFrame] | Withheld:
        """Released tables of ``requests``, decided together (one suppression pattern)."""
        try:
            tables = self.workspace.report_many(
                list(requests), period=self.period, viewer=self.viewer
            )
        except PrivacyError as err:
            return Withheld(err.code)
        return [_cells(t) for t in tables]

    def audit(self, rule: Rule, by: Sequence[str]) -> FairnessAudit | Withheld:
        """The fairness audit of ``rule`` by the groups ``by``."""
        try:
            return self.workspace.audit_tolerance(
                rule, by=by, period=self.period, viewer=self.viewer
            )
        except PrivacyError as err:
            return Withheld(err.code)


def _cells(table: ReleasedTable) -> pl.DataFrame:
    """The cells of a released table, for drawing (not an export, so it is not logged)."""
    return table._frame()  # the package's own released object


def covered_days(asked: Asked) -> tuple[date, date] | None:
    """The first and last day of the period that hold scheduled shifts, from public inputs.

    Answered by a dry run (the roster and the schedule; nothing is released or recorded).
    """
    dry = asked.workspace.dry_run(
        "adherence_pct", by=["day"], period=asked.period, viewer=asked.viewer
    )
    if not dry.allowed or dry.cells.is_empty():
        return None
    days = dry.cells.select(pl.col("day").str.to_date("%Y-%m-%d"))["day"]
    first, last = days.min(), days.max()
    if not (isinstance(first, date) and isinstance(last, date)):  # pragma: no cover
        return None  # not reached: a non-empty column of dates
    return first, last


def previous_period(period: Period) -> tuple[date, date] | None:
    """The same number of days right before ``period`` (``None`` for all data)."""
    if period is None:
        return None
    first, last = parse_period(period)
    length = last - first + timedelta(days=1)
    return first - length, first - timedelta(days=1)


def headline(asked: Asked) -> dict[str, float | None] | Withheld:
    """The headline figures of the whole population the viewer sees (``None``: suppressed)."""
    frames = asked.many([(metric, []) for metric in HEADLINE])
    if isinstance(frames, Withheld):
        return frames
    values: dict[str, float | None] = {}
    for metric, frame in zip(HEADLINE, frames, strict=True):
        row = frame.row(0, named=True)
        values[metric] = row[metric] if row["status"] == "released" else None
    return values


def population(centre: pl.DataFrame, teams: pl.DataFrame) -> tuple[int, int]:
    """The number of teams and of agents in the released figures of the period."""
    released = teams.filter(pl.col("status") == "released")
    agents = centre.filter(pl.col("status") == "released")["agents"].sum()
    return released.height, int(agents)
