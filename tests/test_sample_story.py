"""The bundled sample tells the case the product exists for (fairness.md).

An agent at the desk at 07:58 whose login takes four minutes is counted two minutes late; a
lunch of 31:12 breaches a 30:00 limit. The expected figures are read off the raw rows of
``data/samples/status_log.csv`` and ``schedule.csv`` by hand and written out here.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from tests.sample import KEY, SAMPLES

import adherence as adh
from adherence import _engine
from adherence.pseudonym import Pseudonymiser
from adherence.states import State

MIN_MS = 60_000


@pytest.fixture(scope="module")
def sweep() -> _engine.Sweep:
    log = adh.io.read_iws(SAMPLES / "status_log.csv", key=KEY)
    schedule = adh.io.read_schedule(SAMPLES / "schedule.csv", key=KEY)
    built = adh.intervals.from_events(log.valid, schedule=schedule.valid)
    return _engine.sweep(built.intervals, schedule.valid)


def _agent(login_id: str) -> str:
    return Pseudonymiser(KEY).pseudonym(login_id)


def test_the_two_minute_login_at_0758(sweep: _engine.Sweep) -> None:
    # ag2832 on Thursday 2026-03-19, shift 08:00-16:00: Log On 07:58:10, Not Ready 07:58:17,
    # Ready 08:02:01. Lateness 08:02:01 - 08:00:00 = 2:01, login to Ready 3:51.
    day = sweep.figures().filter(
        pl.col("agent_id") == _agent("ag2832"), pl.col("local_date") == date(2026, 3, 19)
    )

    assert day.select("lateness_ms", "login_to_ready_ms", "lateness_shifts").row(0) == (
        121_000,
        231_000,
        1,
    )


def test_some_shifts_are_late_only_by_the_login_time(sweep: _engine.Sweep) -> None:
    # First event before shift start, Ready after it: every such late shift is late by less
    # than its login took (lateness <= login-to-Ready), so the login explains the lateness.
    late = sweep.figures().filter(
        pl.col("lateness_ms").is_between(1, 5 * MIN_MS),
        pl.col("login_to_ready_ms") > pl.col("lateness_ms"),
    )

    assert late.height >= 100
    assert late.filter(pl.col("lateness_ms") > 2 * MIN_MS).height >= 50  # breach "≤ 2:00"


def test_some_lunches_run_a_little_over_thirty_minutes(sweep: _engine.Sweep) -> None:
    meals = sweep.pause_episodes().filter(pl.col("state") == State.MEAL.value)
    # ag2194 on 2026-03-19: Not Ready - Lunch 11:50:22, Ready 12:21:33: 31:11.
    one = meals.filter(
        pl.col("agent_id") == _agent("ag2194"), pl.col("local_date") == date(2026, 3, 19)
    )

    a_little_over = meals.filter(pl.col("duration_ms").is_between(30 * MIN_MS + 1, 32 * MIN_MS))
    assert one["duration_ms"].to_list() == [31 * MIN_MS + 11_000]
    assert a_little_over.height >= 100
