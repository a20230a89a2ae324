"""Hand-computed cases: a tiny log and schedule each, the expected figures worked out inline.

Unless a case says otherwise the shift is 08:00–16:00 UTC on 2026-03-09 (09:00–17:00 in Oslo),
OPEN throughout, and every figure is in milliseconds (``MIN`` is one minute).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest
from tests.engine.cases import HOUR, MIN, at, exceptions, figures, intervals, one, schedule

from adherence.errors import ConfigurationError
from adherence.intervals import from_events
from adherence.schemas import UTC_MS
from adherence.states import STATE_DTYPE

SHIFT = schedule(("08:00", "16:00", "OPEN"))
SECOND = 1_000


def test_perfect_shift_is_fully_in_adherence() -> None:
    # READY 08:00–16:00 against OPEN 08:00–16:00: 480 min in, nothing out.
    row = one(intervals(("08:00", "16:00", "READY")), SHIFT)
    assert row["scheduled_ms"] == row["in_adherence_ms"] == 480 * MIN
    assert row["out_of_adherence_raw_ms"] == row["exception_count"] == 0
    assert row["adherence_pct"] == 100.0


def test_late_login() -> None:
    # First state at 08:05: 08:00–08:05 has no state, out of adherence (5 min);
    # in = 475 min; adherence = 100 * (1 - 5/480); lateness = 5 min.
    row = one(intervals(("08:05", "16:00", "READY")), SHIFT)
    assert row["out_of_adherence_raw_ms"] == row["out_of_adherence_charged_ms"] == 5 * MIN
    assert row["in_adherence_ms"] == 475 * MIN
    assert row["exception_count"] == 1
    assert row["adherence_pct"] == pytest.approx(100 * (1 - 5 / 480))
    assert row["lateness_ms"] == 5 * MIN
    assert row["lateness_shifts"] == 1


def test_early_leave() -> None:
    # Log Off at 15:50: 15:50–16:00 OFFLINE during OPEN is out (10 min).
    row = one(intervals(("08:00", "15:50", "READY"), ("15:50", "17:00", "OFFLINE")), SHIFT)
    assert row["out_of_adherence_raw_ms"] == 10 * MIN
    assert row["in_adherence_ms"] == 470 * MIN


def test_break_taken_late() -> None:
    # BREAK planned 10:00–10:15, taken 10:10–10:25.
    # 10:00–10:10 READY during BREAK: out 10; 10:10–10:15 BREAK in BREAK: in;
    # 10:15–10:25 BREAK during OPEN: out 10. Two exceptions (split by the in-time), 20 min out.
    plan = schedule(
        ("08:00", "10:00", "OPEN"), ("10:00", "10:15", "BREAK"), ("10:15", "16:00", "OPEN")
    )
    log = intervals(
        ("08:00", "10:10", "READY"), ("10:10", "10:25", "BREAK"), ("10:25", "16:00", "READY")
    )
    row = one(log, plan)
    assert row["out_of_adherence_raw_ms"] == 20 * MIN
    assert row["exception_count"] == 2
    listed = exceptions(log, plan)
    assert [(e["start"], e["end"], e["activities"], e["states"]) for e in listed] == [
        (at("10:00"), at("10:10"), ["BREAK"], ["READY"]),
        (at("10:15"), at("10:25"), ["OPEN"], ["BREAK"]),
    ]


def test_lunch_over_the_limit() -> None:
    # MEAL 12:00–12:30 taken 12:00–12:31:12: 1:12 out; the lunch episode is 31:12 long.
    plan = schedule(
        ("08:00", "12:00", "OPEN"), ("12:00", "12:30", "MEAL"), ("12:30", "16:00", "OPEN")
    )
    log = intervals(
        ("08:00", "12:00", "READY"), ("12:00", "12:31:12", "MEAL"), ("12:31:12", "16:00", "READY")
    )
    row = one(log, plan)
    assert row["out_of_adherence_raw_ms"] == 72 * SECOND
    assert row["meal_episodes"] == 1
    assert row["meal_episode_ms"] == 31 * MIN + 12 * SECOND


BREAK_PLAN = schedule(
    ("08:00", "10:00", "OPEN"), ("10:00", "10:15", "BREAK"), ("10:15", "16:00", "OPEN")
)
BREAK_AS_MEAL = intervals(
    ("08:00", "10:00", "READY"), ("10:00", "10:15", "MEAL"), ("10:15", "16:00", "READY")
)


def test_break_taken_as_lunch_with_equivalence() -> None:
    # Default non_productive_equivalence=True: MEAL during BREAK is a pause during a pause: in.
    row = one(BREAK_AS_MEAL, BREAK_PLAN)
    assert row["out_of_adherence_raw_ms"] == 0
    assert row["in_adherence_ms"] == 480 * MIN


def test_break_taken_as_lunch_without_equivalence() -> None:
    # non_productive_equivalence=False: exact match needed, so 10:00–10:15 is out (15 min).
    row = one(BREAK_AS_MEAL, BREAK_PLAN, non_productive_equivalence=False)
    assert row["out_of_adherence_raw_ms"] == 15 * MIN


def test_approved_is_always_in_adherence() -> None:
    # APPROVED 09:00–10:00 during OPEN: authorised, in adherence; not productive for conformance.
    log = intervals(
        ("08:00", "09:00", "READY"), ("09:00", "10:00", "APPROVED"), ("10:00", "16:00", "READY")
    )
    row = one(log, SHIFT)
    assert row["in_adherence_ms"] == 480 * MIN
    assert row["conformance_actual_ms"] == 420 * MIN


def test_unmapped_time_is_not_calculated() -> None:
    # UNMAPPED 09:00–09:30 leaves the denominator: scheduled = 480 - 30 = 450 min;
    # 08:00–08:10 not logged in is out: adherence = 100 * (1 - 10/450).
    log = intervals(
        ("08:10", "09:00", "READY"), ("09:00", "09:30", "UNMAPPED"), ("09:30", "16:00", "READY")
    )
    row = one(log, SHIFT)
    assert row["counted_scheduled_ms"] == 480 * MIN
    assert row["not_calculated_ms"] == 30 * MIN
    assert row["scheduled_ms"] == 450 * MIN
    assert row["in_adherence_ms"] == 440 * MIN
    assert row["adherence_pct"] == pytest.approx(100 * (1 - 10 / 450))


def test_not_logged_in_during_scheduled_work() -> None:
    # READY 08:00–12:00, then no state at all until 16:00: 240 min out, one exception.
    row = one(intervals(("08:00", "12:00", "READY")), SHIFT, as_of="18:00")
    assert row["out_of_adherence_raw_ms"] == 240 * MIN
    assert row["exception_count"] == 1
    assert row["adherence_pct"] == 50.0


def test_no_state_data_leaves_percentages_undefined() -> None:
    # The agent has no state at all: everything is out, but adherence and conformance are null.
    other = intervals(("08:00", "16:00", "READY"), agent="someone else")
    row = next(r for r in figures(other, SHIFT) if r["agent_id"] == "a0")
    assert row["out_of_adherence_raw_ms"] == 480 * MIN
    assert row["adherence_pct"] is None
    assert row["conformance_pct"] is None


WORK_BEFORE_AND_AFTER = intervals(
    ("07:30", "16:00", "READY"), ("16:00", "16:20", "ON_CONTACT"), ("16:20", "17:00", "OFFLINE")
)


def test_work_outside_shift_is_ignored_by_default() -> None:
    # 07:30–08:00 and 16:00–16:20 productive outside the shift: not in the adherence figures,
    # but in conformance (inside the ±2 h window): 480 + 30 + 20 = 530 min of 480.
    row = one(WORK_BEFORE_AND_AFTER, SHIFT)
    assert row["counted_scheduled_ms"] == 480 * MIN
    assert row["out_of_adherence_raw_ms"] == 0
    assert row["conformance_actual_ms"] == 530 * MIN


def test_work_outside_shift_counted_when_asked() -> None:
    # count_work_outside_shift=True: the 30 + 20 min are added to scheduled and out time,
    # as two exceptions (before and after the shift).
    row = one(WORK_BEFORE_AND_AFTER, SHIFT, count_work_outside_shift=True)
    assert row["counted_scheduled_ms"] == 530 * MIN
    assert row["out_of_adherence_raw_ms"] == 50 * MIN
    assert row["exception_count"] == 2
    assert row["adherence_pct"] == pytest.approx(100 * (1 - 50 / 530))


@pytest.mark.parametrize(
    ("late_by", "charged", "listed"),
    [
        (5 * MIN - SECOND, 0, 0),  # just below the 5 min threshold: not listed, not charged
        (5 * MIN, 0, 0),  # at the threshold: d <= T, not listed
        (5 * MIN + SECOND, SECOND, 1),  # above: charged d - T = 1 s
    ],
)
def test_exception_threshold(late_by: int, charged: int, listed: int) -> None:
    start = at("08:00") + timedelta(milliseconds=late_by)
    log = intervals((start.strftime("%H:%M:%S"), "16:00", "READY"))
    row = one(log, SHIFT, exception_threshold=timedelta(minutes=5))
    assert row["out_of_adherence_raw_ms"] == late_by
    assert row["out_of_adherence_charged_ms"] == charged
    assert row["exception_count"] == listed
    assert row["adherence_pct"] == pytest.approx(100 * (1 - charged / (480 * MIN)))


@pytest.mark.parametrize(("login", "out"), [("08:02", 0), ("08:03", 1 * MIN)])
def test_boundary_tolerance_at_shift_start(login: str, out: int) -> None:
    # 2 min tolerance: a login at 08:02 is in adherence; at 08:03 the third minute is out.
    row = one(intervals((login, "16:00", "READY")), SHIFT, boundary_tolerance=timedelta(minutes=2))
    assert row["out_of_adherence_raw_ms"] == out


def test_boundary_tolerance_at_a_breaks_end() -> None:
    # BREAK 10:00–10:15; the agent pauses 10:14–10:16. With 2 min tolerance both the minute
    # before the break (OPEN ends 10:00? no: the break's end at 10:15 is OPEN's start) are in:
    # 10:14–10:15 BREAK in BREAK is in anyway; 10:15–10:16 BREAK during OPEN is within 2 min
    # of OPEN's start: in. Without tolerance 1 min is out.
    log = intervals(
        ("08:00", "10:00", "READY"), ("10:00", "10:16", "BREAK"), ("10:16", "16:00", "READY")
    )
    assert one(log, BREAK_PLAN)["out_of_adherence_raw_ms"] == 1 * MIN
    tolerant = one(log, BREAK_PLAN, boundary_tolerance=timedelta(minutes=2))
    assert tolerant["out_of_adherence_raw_ms"] == 0
    assert tolerant["in_adherence_ms"] == 480 * MIN


def test_conformance_zero_over_zero_is_null() -> None:
    # Only a MEETING is planned and the agent only meets: 0 productive of 0 planned -> null.
    plan = schedule(("08:00", "09:00", "MEETING"))
    row = one(intervals(("08:00", "09:00", "MEETING")), plan)
    assert row["conformance_pct"] is None
    assert row["adherence_pct"] == 100.0


def test_conformance_zero_over_some_is_zero() -> None:
    # OPEN planned, the agent is AWAY all shift: 0 / 480 min -> 0.
    row = one(intervals(("08:00", "16:00", "AWAY")), SHIFT)
    assert row["conformance_pct"] == 0.0
    assert row["adherence_pct"] == 0.0


def test_conformance_some_over_zero_is_infinite() -> None:
    # TRAINING planned, the agent takes calls: 60 min productive / 0 planned -> inf.
    plan = schedule(("08:00", "09:00", "TRAINING"))
    row = one(intervals(("08:00", "09:00", "READY")), plan)
    assert math.isinf(row["conformance_pct"])


def test_conformance_above_100() -> None:
    # READY 07:00–17:00 for an 08:00–16:00 OPEN shift: 600 / 480 = 125 % (not clamped).
    row = one(intervals(("07:00", "17:00", "READY")), SHIFT)
    assert row["conformance_pct"] == 125.0


def test_shift_across_midnight_belongs_to_its_start_date() -> None:
    # 22:00–06:00 UTC is 23:00–07:00 in Oslo (CET): one row, local date 2026-03-09.
    plan = schedule(("22:00", "2026-03-10 06:00", "OPEN"))
    row = one(intervals(("22:00", "2026-03-10 06:00", "READY")), plan)
    assert row["local_date"] == date(2026, 3, 9)
    assert row["scheduled_ms"] == 8 * HOUR


def test_shift_across_midnight_split_by_day() -> None:
    # split_at_midnight: Oslo midnight is 23:00 UTC, so 1 h on 2026-03-09 and 7 h on the 10th.
    plan = schedule(("22:00", "2026-03-10 06:00", "OPEN"))
    rows = figures(intervals(("22:00", "2026-03-10 06:00", "READY")), plan, split_at_midnight=True)
    assert [(r["local_date"], r["scheduled_ms"]) for r in rows] == [
        (date(2026, 3, 9), 1 * HOUR),
        (date(2026, 3, 10), 7 * HOUR),
    ]


def test_shift_across_spring_forward() -> None:
    # Oslo 2026-03-29 00:00–06:00 local is 2026-03-28 23:00 UTC – 04:00 UTC: 5 h, dated the 29th.
    plan = schedule(("2026-03-28 23:00", "2026-03-29 04:00", "OPEN"))
    row = one(intervals(("2026-03-28 23:00", "2026-03-29 04:00", "READY")), plan)
    assert row["scheduled_ms"] == 5 * HOUR
    assert row["local_date"] == date(2026, 3, 29)


def test_shift_across_fall_back() -> None:
    # Oslo 2026-10-25 00:00–06:00 local is 2026-10-24 22:00 UTC – 05:00 UTC: 7 h, dated the 25th.
    plan = schedule(("2026-10-24 22:00", "2026-10-25 05:00", "OPEN"))
    log = intervals(
        ("2026-10-24 22:00", "2026-10-25 01:00", "READY"),
        ("2026-10-25 01:00", "2026-10-25 05:00", "AWAY"),
    )
    row = one(log, plan)
    assert row["scheduled_ms"] == 7 * HOUR
    assert row["out_of_adherence_raw_ms"] == 4 * HOUR
    assert row["local_date"] == date(2026, 10, 25)


def test_missing_log_off_is_not_counted_as_work() -> None:
    # Last event READY at 15:30, nothing until as_of 20:00. from_events infers OFFLINE from the
    # shift's end (16:00): conformance counts 08:00–16:00 only (480 min, not 600 to 18:00).
    events = pl.DataFrame(
        {
            "agent_id": ["a0", "a0"],
            "ts": [at("08:00"), at("15:30")],
            "status": ["Ready", "Ready"],
            "reason": [None, None],
            "state": ["READY", "READY"],
            "source": ["t", "t"],
            "seq": [1, 2],
        },
        schema_overrides={"ts": UTC_MS, "state": STATE_DTYPE, "reason": pl.String},
    )
    built = from_events(events, as_of=at("20:00"), schedule=SHIFT).intervals
    assert built["inferred"].to_list() == [False, True]
    row = one(built, SHIFT, count_work_outside_shift=True)
    assert row["conformance_actual_ms"] == 480 * MIN
    assert row["out_of_adherence_raw_ms"] == 0
    assert row["offline_ms"] == 2 * HOUR  # 16:00–18:00, the end of the conformance window


def test_open_interval_at_as_of() -> None:
    # as_of 12:00 in mid-shift: READY 08:00–12:00 (open). 12:00–16:00 is not yet observed: it
    # leaves the denominator instead of counting as absence.
    row = one(intervals(("08:00", "12:00", "READY"), open_last=True), SHIFT, as_of="12:00")
    assert row["scheduled_ms"] == 240 * MIN
    assert row["unobserved_ms"] == 240 * MIN
    assert row["adherence_pct"] == 100.0


def test_two_shifts_in_one_day() -> None:
    # Shifts 06:00–10:00 (s1) and 14:00–18:00 (s2); READY 09:00–15:00. The gap 10:00–14:00 goes
    # to the nearer shift: 10:00–12:00 to s1, 12:00–14:00 to s2.
    plan = pl.concat(
        [schedule(("06:00", "10:00", "OPEN")), schedule(("14:00", "18:00", "OPEN"), shift="s2")]
    )
    rows = figures(intervals(("09:00", "15:00", "READY")), plan, as_of="18:00")
    s1, s2 = rows
    assert (s1["shift_id"], s2["shift_id"]) == ("s1", "s2")
    assert s1["in_adherence_ms"] == 1 * HOUR
    assert s1["out_of_adherence_raw_ms"] == 3 * HOUR
    assert s1["conformance_actual_ms"] == 3 * HOUR  # 09:00–12:00
    assert s2["in_adherence_ms"] == 1 * HOUR
    assert s2["out_of_adherence_raw_ms"] == 3 * HOUR
    assert s2["conformance_actual_ms"] == 3 * HOUR  # 12:00–15:00
    assert s1["lateness_ms"] == 3 * HOUR
    assert s2["lateness_ms"] == 0


def test_occupancy() -> None:
    # READY 2 h, ON_CONTACT 1 h, ACW 1 h: busy 2 h of 4 h available -> 50 %.
    plan = schedule(("08:00", "12:00", "OPEN"))
    log = intervals(
        ("08:00", "09:00", "ON_CONTACT"),
        ("09:00", "10:00", "AFTER_CONTACT_WORK"),
        ("10:00", "12:00", "READY"),
    )
    row = one(log, plan)
    assert (row["occupancy_busy_ms"], row["occupancy_available_ms"]) == (2 * HOUR, 4 * HOUR)
    assert row["occupancy_pct"] == 50.0


def test_shrinkage_planned_and_unplanned() -> None:
    # 8 h shift with a 30 min MEAL and a 60 min MEETING, both kept; AWAY 09:00–09:20 during OPEN.
    # planned = 30 + 60 = 90 min, unplanned = 20 min, of 480.
    plan = schedule(
        ("08:00", "12:00", "OPEN"),
        ("12:00", "12:30", "MEAL"),
        ("12:30", "13:30", "MEETING"),
        ("13:30", "16:00", "OPEN"),
    )
    log = intervals(
        ("08:00", "09:00", "READY"),
        ("09:00", "09:20", "AWAY"),
        ("09:20", "12:00", "READY"),
        ("12:00", "12:30", "MEAL"),
        ("12:30", "13:30", "MEETING"),
        ("13:30", "16:00", "READY"),
    )
    row = one(log, plan)
    assert row["shrinkage_scheduled_ms"] == 480 * MIN
    assert row["shrinkage_planned_ms"] == 90 * MIN
    assert row["shrinkage_unplanned_ms"] == 20 * MIN
    assert row["shrinkage_planned_pct"] == pytest.approx(100 * 90 / 480)


def test_pause_episodes_merge() -> None:
    # BREAK 10:00–10:07 and BREAK 10:07–10:15 (two reasons, one pause) merge into one 15 min
    # episode; a second BREAK 14:00–14:10 is another: 2 episodes, 25 min.
    log = intervals(
        ("08:00", "10:00", "READY"),
        ("10:00", "10:07", "BREAK"),
        ("10:07", "10:15", "BREAK"),
        ("10:15", "14:00", "READY"),
        ("14:00", "14:10", "BREAK"),
        ("14:10", "16:00", "READY"),
    )
    row = one(log, SHIFT)
    assert row["break_episodes"] == 2
    assert row["break_episode_ms"] == 25 * MIN


def test_lateness_and_login_to_ready() -> None:
    # Logged on (AWAY) at 07:58, READY at 08:04: lateness 4 min (08:00 -> 08:04),
    # login-to-Ready 6 min (07:58 -> 08:04).
    row = one(intervals(("07:58", "08:04", "AWAY"), ("08:04", "16:00", "READY")), SHIFT)
    assert row["lateness_ms"] == 4 * MIN
    assert row["login_to_ready_ms"] == 6 * MIN
    assert row["login_to_ready_shifts"] == 1


def test_acw_not_productive_when_asked() -> None:
    # acw_is_productive=False: 1 h of ACW during OPEN is out, and not in conformance.
    log = intervals(("08:00", "09:00", "AFTER_CONTACT_WORK"), ("09:00", "16:00", "READY"))
    assert one(log, SHIFT)["out_of_adherence_raw_ms"] == 0
    row = one(log, SHIFT, acw_is_productive=False)
    assert row["out_of_adherence_raw_ms"] == 1 * HOUR
    assert row["conformance_actual_ms"] == 7 * HOUR


def test_off_queue_work_counts_for_conformance_when_asked() -> None:
    # 1 h OFF_QUEUE_WORK during OPEN: out of adherence either way; productive only with the option.
    log = intervals(("08:00", "09:00", "OFF_QUEUE_WORK"), ("09:00", "16:00", "READY"))
    assert one(log, SHIFT)["conformance_actual_ms"] == 7 * HOUR
    row = one(log, SHIFT, off_queue_counts_as_work=True)
    assert row["conformance_actual_ms"] == 8 * HOUR
    assert row["out_of_adherence_raw_ms"] == 1 * HOUR


def test_quantize_to_minutes() -> None:
    # READY from 08:00:40: 40 s out; with quantize="minute" the start floors to 08:00: none.
    log = intervals(("08:00:40", "16:00", "READY"))
    assert one(log, SHIFT)["out_of_adherence_raw_ms"] == 40 * SECOND
    assert one(log, SHIFT, quantize="minute")["out_of_adherence_raw_ms"] == 0


def test_time_off_and_uncounted_activities_are_neutral() -> None:
    # TIME_OFF 08:00–12:00 and a MEETING flagged not to count 12:00–13:00 leave the
    # denominator; OPEN 13:00–16:00 with READY is all that is scheduled.
    plan = schedule(
        ("08:00", "12:00", "TIME_OFF"),
        ("12:00", "13:00", "MEETING", False),
        ("13:00", "16:00", "OPEN"),
    )
    row = one(intervals(("13:00", "16:00", "READY")), plan)
    assert row["scheduled_ms"] == 3 * HOUR
    assert row["adherence_pct"] == 100.0
    assert row["shrinkage_planned_ms"] == 5 * HOUR  # TIME_OFF and the meeting, not productive
    assert row["lateness_ms"] == 0  # the first counted activity starts at 13:00


@pytest.mark.parametrize(
    ("options", "raw", "charged", "listed", "pct"),
    [
        ({}, 15 * MIN, 15 * MIN, 2, 75.0),
        ({"exception_threshold": timedelta(minutes=5)}, 15 * MIN, 7 * MIN, 1, 100 * (1 - 7 / 60)),
        # the tolerated minutes 08:00–08:02 count in adherence: 13 min out, raw and charged
        ({"boundary_tolerance": timedelta(minutes=2)}, 13 * MIN, 13 * MIN, 2, 100 * (1 - 13 / 60)),
    ],
)
def test_worked_example_of_the_metrics_page(
    options: dict[str, timedelta], raw: int, charged: int, listed: int, pct: float
) -> None:
    # docs/concepts/metrics.md: OPEN 08:00–09:00; logged in 08:03, BREAK 08:40–08:52.
    plan = schedule(("08:00", "09:00", "OPEN"))
    log = intervals(
        ("08:03", "08:40", "READY"), ("08:40", "08:52", "BREAK"), ("08:52", "09:00", "READY")
    )
    row = one(log, plan, **options)
    assert row["out_of_adherence_raw_ms"] == raw
    assert row["out_of_adherence_charged_ms"] == charged
    assert row["exception_count"] == listed
    assert row["adherence_pct"] == pytest.approx(pct)


def test_overlapping_activities_are_refused() -> None:
    # A shift row with a break inside it (an overlay) must be cut by the reader or the site.
    plan = schedule(("08:00", "16:00", "OPEN"), ("10:00", "10:15", "BREAK"))
    with pytest.raises(ConfigurationError, match="overlap"):
        one(intervals(("08:00", "16:00", "READY")), plan)


def _log(*rows: tuple[str, str, str]) -> pl.DataFrame:
    """StatusEvent rows of agent a0 from (time, raw status, state), in file order."""
    return pl.DataFrame(
        {
            "agent_id": ["a0"] * len(rows),
            "ts": [at(r[0]) for r in rows],
            "status": [r[1] for r in rows],
            "reason": [None] * len(rows),
            "state": [r[2] for r in rows],
            "source": ["t"] * len(rows),
            "seq": list(range(1, len(rows) + 1)),
        },
        schema_overrides={"ts": UTC_MS, "state": STATE_DTYPE, "reason": pl.String},
    )


# Two shifts, 09:00–17:00 UTC on 2026-04-14 and on 2026-04-15, OPEN throughout.
TWO_DAYS = pl.concat(
    [
        schedule(("2026-04-14 09:00", "2026-04-14 17:00", "OPEN"), shift="d1"),
        schedule(("2026-04-15 09:00", "2026-04-15 17:00", "OPEN"), shift="d2"),
    ]
)


def test_a_missing_log_off_does_not_swallow_the_next_days_login() -> None:
    # Ready 04-14 09:00, no Log Off, Ready 04-15 09:00, Log Off 04-15 17:00; as_of 04-15 18:00.
    # Rule 7 on each event's own span: the 04-14 Ready runs past 17:00 + 60 min without an
    # event, so it is cut at 17:00 and an inferred OFFLINE runs 04-14 17:00 -> 04-15 09:00
    # (the next event). The 04-15 login starts a READY interval of its own.
    # Day 1: READY 09:00–17:00 = 480 min in, 100 %. Day 2: READY 09:00–17:00 = 480 min in,
    # 100 %, lateness 0 (first productive instant 09:00 = shift start), login-to-Ready 0.
    log = _log(
        ("2026-04-14 09:00", "Ready", "READY"),
        ("2026-04-15 09:00", "Ready", "READY"),
        ("2026-04-15 17:00", "Log Off", "OFFLINE"),
    )
    built = from_events(log, schedule=TWO_DAYS, as_of=at("2026-04-15 18:00"))
    assert built.intervals.select("start", "end", "state", "inferred").rows() == [
        (at("2026-04-14 09:00"), at("2026-04-14 17:00"), "READY", False),
        (at("2026-04-14 17:00"), at("2026-04-15 09:00"), "OFFLINE", True),
        (at("2026-04-15 09:00"), at("2026-04-15 17:00"), "READY", False),
        (at("2026-04-15 17:00"), at("2026-04-15 18:00"), "OFFLINE", False),
    ]
    assert dict(built.repairs) == {"inferred_offline": 1, "open_clipped": 1}
    d1, d2 = figures(built.intervals, TWO_DAYS, as_of="2026-04-15 18:00")
    for row in (d1, d2):
        assert row["scheduled_ms"] == row["in_adherence_ms"] == 480 * MIN
        assert row["adherence_pct"] == 100.0
    assert d2["lateness_ms"] == 0
    assert d2["login_to_ready_ms"] == 0


def test_a_not_ready_login_after_a_missing_log_off_keeps_its_login_to_ready_time() -> None:
    # Day 1: Ready 09:00, Not Ready 16:30, no Log Off. Day 2: Not Ready (login) 09:00, Ready
    # 09:03, Log Off 17:00. The day-1 AWAY is cut at 17:00 (inferred OFFLINE until 04-15 09:00)
    # and does not merge with the day-2 login.
    # Day 1: AWAY 16:30–17:00 during OPEN is out: 30 min; 100 * (1 - 30/480) = 93.75 %.
    # Day 2: AWAY 09:00–09:03 is out: 3 min; 100 * (1 - 3/480) = 99.375 %;
    # lateness 09:03 - 09:00 = 3 min; login-to-Ready 09:00 -> 09:03 = 3 min (not 0).
    log = _log(
        ("2026-04-14 09:00", "Ready", "READY"),
        ("2026-04-14 16:30", "Not Ready", "AWAY"),
        ("2026-04-15 09:00", "Not Ready", "AWAY"),
        ("2026-04-15 09:03", "Ready", "READY"),
        ("2026-04-15 17:00", "Log Off", "OFFLINE"),
    )
    built = from_events(log, schedule=TWO_DAYS, as_of=at("2026-04-15 18:00"))
    assert built.intervals.select("start", "end", "state", "inferred").rows()[2:4] == [
        (at("2026-04-14 17:00"), at("2026-04-15 09:00"), "OFFLINE", True),
        (at("2026-04-15 09:00"), at("2026-04-15 09:03"), "AWAY", False),
    ]
    d1, d2 = figures(built.intervals, TWO_DAYS, as_of="2026-04-15 18:00")
    assert d1["out_of_adherence_raw_ms"] == 30 * MIN
    assert d1["adherence_pct"] == 93.75
    assert d2["out_of_adherence_raw_ms"] == 3 * MIN
    assert d2["adherence_pct"] == 99.375
    assert d2["lateness_ms"] == 3 * MIN
    assert d2["login_to_ready_ms"] == 3 * MIN


def test_an_event_after_the_allowance_ends_the_inferred_log_off() -> None:
    # Shift 09:00–17:00 on 04-14, allowance 60 min. Ready 09:00, then Ready again at 19:00
    # (after 17:00 + 60 min: the agent is back, e.g. a fresh login), Log Off 19:30.
    # The 09:00 Ready has no event until 19:00, past the 18:00 deadline: cut at 17:00, inferred
    # OFFLINE 17:00–19:00. The 19:00 Ready starts after the deadline: it belongs to no shift
    # and stands as logged (19:00–19:30), not merged with the 09:00 Ready.
    log = _log(
        ("2026-04-14 09:00", "Ready", "READY"),
        ("2026-04-14 19:00", "Ready", "READY"),
        ("2026-04-14 19:30", "Log Off", "OFFLINE"),
    )
    built = from_events(log, schedule=TWO_DAYS.head(1), as_of=at("2026-04-14 20:00"))
    assert built.intervals.select("start", "end", "state", "inferred").rows() == [
        (at("2026-04-14 09:00"), at("2026-04-14 17:00"), "READY", False),
        (at("2026-04-14 17:00"), at("2026-04-14 19:00"), "OFFLINE", True),
        (at("2026-04-14 19:00"), at("2026-04-14 19:30"), "READY", False),
        (at("2026-04-14 19:30"), at("2026-04-14 20:00"), "OFFLINE", False),
    ]


def test_a_login_before_the_shift_with_no_further_event_is_cut_at_the_shift_end() -> None:
    # Ready 08:50 (ten minutes before the 09:00 shift), nothing until as_of 04-14 20:00.
    # The piece runs past 17:00 + 60 min: READY 08:50–17:00, inferred OFFLINE 17:00–20:00.
    log = _log(("2026-04-14 08:50", "Ready", "READY"))
    built = from_events(log, schedule=TWO_DAYS.head(1), as_of=at("2026-04-14 20:00"))
    assert built.intervals.select("start", "end", "state", "open", "inferred").rows() == [
        (at("2026-04-14 08:50"), at("2026-04-14 17:00"), "READY", False, False),
        (at("2026-04-14 17:00"), at("2026-04-14 20:00"), "OFFLINE", True, True),
    ]


def test_a_state_begun_after_the_allowance_is_judged_against_the_next_shift() -> None:
    # Ready 04-14 09:00, Ready again 04-14 19:00 (after 17:00 + 60 min), then nothing until
    # as_of 04-15 20:00. The 09:00 span is cut at 17:00 (inferred OFFLINE 17:00–19:00). The
    # 19:00 span's first deadline is the 04-15 shift's 17:00 + 60 min: it runs past it, so it
    # is cut at 04-15 17:00 and an inferred OFFLINE covers 17:00–20:00.
    log = _log(
        ("2026-04-14 09:00", "Ready", "READY"),
        ("2026-04-14 19:00", "Ready", "READY"),
    )
    built = from_events(log, schedule=TWO_DAYS, as_of=at("2026-04-15 20:00"))
    assert built.intervals.select("start", "end", "state", "inferred").rows() == [
        (at("2026-04-14 09:00"), at("2026-04-14 17:00"), "READY", False),
        (at("2026-04-14 17:00"), at("2026-04-14 19:00"), "OFFLINE", True),
        (at("2026-04-14 19:00"), at("2026-04-15 17:00"), "READY", False),
        (at("2026-04-15 17:00"), at("2026-04-15 20:00"), "OFFLINE", True),
    ]
    assert dict(built.repairs) == {"inferred_offline": 2, "open_clipped": 1}
