"""Charged out-of-adherence time by kind, by scheduled activity and by local half hour.

Hand-computed cases on one agent; times are UTC (Oslo is UTC+1 in March before the 29th,
UTC+2 in summer). The kinds, the activities and the half hours each sum exactly to
``out_of_adherence_charged_ms``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import polars as pl
import pytest
from tests.engine.cases import MIN, intervals, schedule

from adherence import _engine
from adherence.options import MetricOptions

KINDS = [f"out_of_adherence_{k}_ms" for k in _engine.OUT_KINDS]
PLACES = [
    f"out_of_adherence_in_{p}_ms" if p != "outside_shift" else "out_of_adherence_outside_shift_ms"
    for p in _engine.OUT_PLACES
]

#: 09:00-17:00 Oslo: a meal 12:00-12:30 and a break 14:00-14:15 local.
DAY_PLAN = (
    ("08:00", "11:00", "OPEN"),
    ("11:00", "11:30", "MEAL"),
    ("11:30", "13:00", "OPEN"),
    ("13:00", "13:15", "BREAK"),
    ("13:15", "16:00", "OPEN"),
)
#: Logs in 5 min late, 10 min away, 10 min over the meal, 5 over the break, leaves 10 early.
DAY_STATES = (
    ("08:05", "10:00", "READY"),
    ("10:00", "10:10", "AWAY"),
    ("10:10", "11:00", "READY"),
    ("11:00", "11:40", "MEAL"),
    ("11:40", "13:00", "READY"),
    ("13:00", "13:20", "BREAK"),
    ("13:20", "15:50", "READY"),
    ("15:50", "17:00", "OFFLINE"),
)


def _row(states: pl.DataFrame, plan: pl.DataFrame, **options: Any) -> dict[str, Any]:
    rows = _engine.sweep(states, plan, options=MetricOptions(**options)).figures().to_dicts()
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        # Every run is charged in full: 5, 10, 10, 5 and 10 minutes.
        (0, {"late_start": 5, "early_end": 10, "long_meal": 10, "late_from_break": 5,
             "unscheduled_pause": 10, "other": 0}),
        # A 2-minute grace is taken from the start of each run.
        (2, {"late_start": 3, "early_end": 8, "long_meal": 8, "late_from_break": 3,
             "unscheduled_pause": 8, "other": 0}),
    ],
)  # fmt: skip
def test_kinds_of_a_day(threshold: int, expected: dict[str, int]) -> None:
    row = _row(
        intervals(*DAY_STATES),
        schedule(*DAY_PLAN),
        exception_threshold=timedelta(minutes=threshold),
    )
    assert {k: row[f"out_of_adherence_{k}_ms"] for k in expected} == {
        k: v * MIN for k, v in expected.items()
    }
    charged = sum(expected.values()) * MIN
    assert row["out_of_adherence_charged_ms"] == charged
    assert row["out_of_adherence_in_open_ms"] == charged
    assert sum(row[c] for c in PLACES) == charged


def test_other_kinds_and_their_activities() -> None:
    # Ready through the meal (productive when a pause is planned), logged off 10:00-10:20,
    # then a 15-minute break taken in open time with no break scheduled before it.
    states = intervals(
        ("07:50", "10:00", "READY"),
        ("10:00", "10:20", "OFFLINE"),
        ("10:20", "11:40", "READY"),
        ("11:40", "11:55", "BREAK"),
        ("11:55", "16:00", "READY"),
    )
    plan = schedule(
        ("08:00", "11:00", "OPEN"), ("11:00", "11:30", "MEAL"), ("11:30", "16:00", "OPEN")
    )
    row = _row(states, plan)
    assert row["out_of_adherence_other_ms"] == (20 + 30) * MIN
    assert row["out_of_adherence_unscheduled_pause_ms"] == 15 * MIN
    assert row["out_of_adherence_long_meal_ms"] == 0
    assert row["out_of_adherence_in_meal_ms"] == 30 * MIN
    assert row["out_of_adherence_in_open_ms"] == (20 + 15) * MIN
    assert row["out_of_adherence_charged_ms"] == 65 * MIN


def test_a_shift_without_any_login_is_of_kind_other() -> None:
    row = _row(intervals(("17:00", "18:00", "READY")), schedule(("08:00", "10:00", "OPEN")))
    assert row["out_of_adherence_other_ms"] == 120 * MIN
    assert row["out_of_adherence_late_start_ms"] == row["out_of_adherence_early_end_ms"] == 0


def test_a_folded_reason_counts_as_other() -> None:
    # The away time carries a reason marked by ``fold`` (a sensitive code): kind other.
    states = intervals(*DAY_STATES).with_columns(
        pl.when(pl.col("state") == "AWAY").then(pl.lit("Helse")).alias("reason")
    )
    run = _engine.sweep(
        states, schedule(*DAY_PLAN), options=MetricOptions(), fold=pl.col("reason") == "Helse"
    )
    row = run.figures().to_dicts()[0]
    assert row["out_of_adherence_unscheduled_pause_ms"] == 0
    assert row["out_of_adherence_other_ms"] == 10 * MIN
    assert sum(row[c] for c in KINDS) == row["out_of_adherence_charged_ms"] == 40 * MIN


def test_work_outside_the_shift_is_other_outside_the_shift() -> None:
    row = _row(
        intervals(("07:30", "10:00", "READY")),
        schedule(("08:00", "10:00", "OPEN")),
        count_work_outside_shift=True,
    )
    assert row["out_of_adherence_outside_shift_ms"] == row["out_of_adherence_other_ms"] == 30 * MIN
    assert row["out_of_adherence_charged_ms"] == 30 * MIN


def _slots(states: pl.DataFrame, plan: pl.DataFrame, **options: Any) -> dict[str, tuple[int, int]]:
    run = _engine.sweep(states, plan, options=MetricOptions(**options))
    slots = run.slots()
    day = run.figures()
    totals = slots.select(pl.col("out_of_adherence_charged_ms", "scheduled_ms").sum()).row(0)
    assert totals == day.select("out_of_adherence_charged_ms", "scheduled_ms").row(0)
    return {
        r["half_hour"]: (r["out_of_adherence_charged_ms"] // MIN, r["scheduled_ms"] // MIN)
        for r in slots.to_dicts()
    }


def test_half_hours_of_a_day() -> None:
    got = _slots(intervals(*DAY_STATES), schedule(*DAY_PLAN))
    assert list(got) == [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)]
    assert all(scheduled == 30 for _, scheduled in got.values())
    charged = {label: c for label, (c, _) in got.items() if c}
    # 09:00 late start; 11:00 away; 12:30 the long meal; 14:00 the break; 16:30 early end.
    assert charged == {"09:00": 5, "11:00": 10, "12:30": 10, "14:00": 5, "16:30": 10}


def test_half_hours_on_the_spring_forward_night() -> None:
    # 2026-03-29 00:00-05:00 local: 23:00-01:00 UTC is 00:00-02:00 CET, 01:00-03:00 UTC is
    # 03:00-05:00 CEST. No 02:00 or 02:30 half hour exists that night.
    plan = schedule(("2026-03-28 23:00", "2026-03-29 03:00", "OPEN"))
    states = intervals(
        ("2026-03-28 23:10", "2026-03-29 00:55", "READY"),
        ("2026-03-29 00:55", "2026-03-29 01:05", "AWAY"),
        ("2026-03-29 01:05", "2026-03-29 03:00", "READY"),
    )
    got = _slots(states, plan)
    labels = ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30"]
    assert list(got) == labels
    assert {label: s for label, (_, s) in got.items()} == dict.fromkeys(labels, 30)
    assert {label: c for label, (c, _) in got.items() if c} == {
        "00:00": 10,
        "01:30": 5,
        "03:00": 5,
    }


def test_half_hours_on_the_fall_back_night() -> None:
    # 2026-10-25: 00:00-01:00 UTC is 02:00-03:00 CEST, 01:00-02:00 UTC is 02:00-03:00 CET
    # again. Both readings of the repeated hour go to the same labels: nothing is lost.
    plan = schedule(("2026-10-24 23:00", "2026-10-25 04:00", "OPEN"))
    states = intervals(
        ("2026-10-24 23:00", "2026-10-25 00:20", "READY"),
        ("2026-10-25 00:20", "2026-10-25 01:10", "AWAY"),
        ("2026-10-25 01:10", "2026-10-25 04:00", "READY"),
    )
    got = _slots(states, plan)
    assert {label: s for label, (_, s) in got.items()} == {
        "01:00": 30, "01:30": 30, "02:00": 60, "02:30": 60,
        "03:00": 30, "03:30": 30, "04:00": 30, "04:30": 30,
    }  # fmt: skip
    assert {label: c for label, (c, _) in got.items() if c} == {"02:00": 20, "02:30": 30}


def test_half_hours_split_charged_time_after_the_grace() -> None:
    # One 40-minute run 10:00-10:40 UTC (11:00-11:40 local) with a 15-minute grace: the
    # charged 25 minutes are 10:15-10:40, i.e. 15 in 11:00 and 10 in 11:30.
    states = intervals(
        ("08:00", "10:00", "READY"), ("10:00", "10:40", "AWAY"), ("10:40", "12:00", "READY")
    )
    got = _slots(
        states, schedule(("08:00", "12:00", "OPEN")), exception_threshold=timedelta(minutes=15)
    )
    assert {label: c for label, (c, _) in got.items() if c} == {"11:00": 15, "11:30": 10}
