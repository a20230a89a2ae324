"""Tiny status logs and schedules for the engine's hand-computed cases.

Times are written as ``"HH:MM[:SS]"`` on 2026-03-09 (UTC) or as a full
``"YYYY-MM-DD HH:MM[:SS]"`` (UTC); an interval row is ``(start, end, state)``, an activity row
``(start, end, activity)`` with an optional fourth item, ``counts_for_adherence``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from adherence import _engine
from adherence.options import MetricOptions
from adherence.schemas import UTC_MS
from adherence.states import ACTIVITY_DTYPE, STATE_DTYPE

DAY = "2026-03-09"
AGENT = "a0"
MIN = 60_000
HOUR = 60 * MIN


def at(text: str) -> datetime:
    """An instant: ``"08:00"`` on ``DAY`` or a full ``"2026-03-29 00:30"``, in UTC."""
    full = text if len(text) > 8 else f"{DAY} {text}"
    fmt = "%Y-%m-%d %H:%M:%S" if full.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(full, fmt).replace(tzinfo=UTC)


def intervals(
    *rows: tuple[str, str, str], agent: str = AGENT, open_last: bool = False
) -> pl.DataFrame:
    """State intervals of one agent."""
    return pl.DataFrame(
        {
            "agent_id": [agent] * len(rows),
            "start": [at(r[0]) for r in rows],
            "end": [at(r[1]) for r in rows],
            "state": [r[2] for r in rows],
            "status": [r[2].title() for r in rows],
            "reason": [None] * len(rows),
            "open": [open_last and i == len(rows) - 1 for i in range(len(rows))],
            "inferred": [False] * len(rows),
        },
        schema_overrides={
            "start": UTC_MS,
            "end": UTC_MS,
            "state": STATE_DTYPE,
            "reason": pl.String,
        },
    )


def schedule(*rows: tuple[Any, ...], agent: str = AGENT, shift: str = "s1") -> pl.DataFrame:
    """Scheduled activities of one agent in one shift."""
    return pl.DataFrame(
        {
            "agent_id": [agent] * len(rows),
            "shift_id": [shift] * len(rows),
            "start": [at(r[0]) for r in rows],
            "end": [at(r[1]) for r in rows],
            "activity": [r[2] for r in rows],
            "counts_for_adherence": [r[3] if len(r) > 3 else True for r in rows],
        },
        schema_overrides={"start": UTC_MS, "end": UTC_MS, "activity": ACTIVITY_DTYPE},
    )


def figures(
    states: pl.DataFrame, plan: pl.DataFrame, *, as_of: str | None = None, **options: Any
) -> list[dict[str, Any]]:
    """The engine's figures rows, with rates, as dicts."""
    sweep = _engine.sweep(
        states, plan, options=MetricOptions(**options), as_of=None if as_of is None else at(as_of)
    )
    return _engine.rates(sweep.figures()).to_dicts()


def one(states: pl.DataFrame, plan: pl.DataFrame, **kwargs: Any) -> dict[str, Any]:
    """The single figures row of a one-shift case."""
    rows = figures(states, plan, **kwargs)
    assert len(rows) == 1, rows
    return rows[0]


def exceptions(states: pl.DataFrame, plan: pl.DataFrame, **options: Any) -> list[dict[str, Any]]:
    """The exceptions list as dicts."""
    sweep = _engine.sweep(states, plan, options=MetricOptions(**options))
    return sweep.exceptions().to_dicts()


def minutes(value: float) -> int:
    return int(value * MIN)


__all__ = [
    "AGENT",
    "HOUR",
    "MIN",
    "at",
    "exceptions",
    "figures",
    "intervals",
    "minutes",
    "one",
    "schedule",
    "timedelta",
]
