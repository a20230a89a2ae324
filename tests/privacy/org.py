"""Small hand-built organisations for the privacy tests.

Every agent works 08:00-15:00 UTC (09:00-16:00 in Oslo) on each day given: ``OPEN``, a
``MEAL`` 11:00-11:30, ``OPEN``. The agent is Ready all shift except a meal of their own
length from 11:00, so their out-of-adherence time is ``|meal - 30 min|`` of 420 scheduled
minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import polars as pl

from adherence.schemas import UTC_MS
from adherence.states import ACTIVITY_DTYPE, STATE_DTYPE

#: The audit key of every test workspace: fixed here, in the tests, never in the library.
AUDIT_KEY = "audit key of the test workspaces"
MONDAY = date(2026, 3, 9)
WEEK = [MONDAY + timedelta(days=i) for i in range(5)]


@dataclass(frozen=True)
class Agent:
    id: str
    team: str
    site: str = "Oslo"
    skill: str = "sales"
    employment_type: str = "permanent"
    meal: timedelta = timedelta(minutes=30)
    meal_reason: str | None = None
    days: Sequence[date] = field(default_factory=lambda: WEEK)
    meals: Sequence[timedelta] = ()
    """One meal length per day (overrides ``meal``)."""
    login_delay: timedelta | None = None
    """Logged in (AWAY) at 08:00, Ready only this much later (instead of Ready from 07:55)."""


def team(name: str, size: int, *, prefix: str | None = None, **attributes: object) -> list[Agent]:
    """``size`` agents of one team, ids ``<prefix>0 ..``."""
    stem = prefix or name.lower().replace(" ", "-") + "-"
    return [Agent(f"{stem}{i}", name, **attributes) for i in range(size)]  # type: ignore[arg-type]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def tables(agents: Sequence[Agent]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(intervals, schedule, roster) of ``agents``."""
    states: list[dict[str, object]] = []
    plan: list[dict[str, object]] = []
    for a in agents:
        for number, day in enumerate(a.days):
            shift = f"{a.id}@{day.isoformat()}"
            for start, end, activity in (
                (_at(day, 8), _at(day, 11), "OPEN"),
                (_at(day, 11), _at(day, 11, 30), "MEAL"),
                (_at(day, 11, 30), _at(day, 15), "OPEN"),
            ):
                plan.append(
                    {"agent_id": a.id, "shift_id": shift, "start": start, "end": end,
                     "activity": activity, "counts_for_adherence": True}
                )  # fmt: skip
            meal_end = _at(day, 11) + (a.meals[number] if a.meals else a.meal)
            login: list[tuple[datetime, datetime, str, str | None]] = [
                (_at(day, 7, 55), _at(day, 11), "READY", None)
            ]
            if a.login_delay is not None:
                ready = _at(day, 8) + a.login_delay
                login = [(_at(day, 8), ready, "AWAY", None), (ready, _at(day, 11), "READY", None)]
            for start, end, state, reason in (
                *login,
                (_at(day, 11), meal_end, "MEAL", a.meal_reason),
                (meal_end, _at(day, 15), "READY", None),
                (_at(day, 15), _at(day, 15, 5), "OFFLINE", None),
            ):
                states.append(
                    {"agent_id": a.id, "start": start, "end": end, "state": state,
                     "status": state.title(), "reason": reason, "open": False, "inferred": False}
                )  # fmt: skip
    intervals = pl.DataFrame(
        states,
        schema_overrides={
            "start": UTC_MS,
            "end": UTC_MS,
            "state": STATE_DTYPE,
            "reason": pl.String,
        },
    )
    schedule = pl.DataFrame(
        plan, schema_overrides={"start": UTC_MS, "end": UTC_MS, "activity": ACTIVITY_DTYPE}
    )
    roster = pl.DataFrame(
        [
            {
                "agent_id": a.id,
                "team": a.team,
                "site": a.site,
                "valid_from": date(2026, 1, 1),
                "valid_to": None,
                "employment_type": a.employment_type,
                "work_location": "office",
                "contract_pct": 100.0,
                "skill": a.skill,
            }
            for a in agents
        ],
        schema_overrides={"valid_to": pl.Date, "contract_pct": pl.Float64},
    )
    return intervals, schedule, roster
