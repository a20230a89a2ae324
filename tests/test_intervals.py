from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adherence import ConfigurationError, SchemaValidationError
from adherence.intervals import LazyIntervals, from_events, from_state_detail
from adherence.schemas import StateInterval, validate
from adherence.states import ACTIVITY_DTYPE, STATE_DTYPE

T0 = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)  # 08:00 in Oslo
STATE_OF = {
    "Log On": "AWAY",
    "Ready": "READY",
    "Talking": "ON_CONTACT",
    "After Call Work": "AFTER_CONTACT_WORK",
    "Not Ready - Break": "BREAK",
    "Not Ready - Lunch": "MEAL",
    "Log Off": "OFFLINE",
    "Heart Beat": None,
}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def events(rows: list[tuple], source: str = "log.csv") -> pl.DataFrame:
    """rows: (agent, minute, status[, reason]) in file order."""
    return pl.DataFrame(
        {
            "agent_id": [r[0] for r in rows],
            "ts": [at(r[1]) for r in rows],
            "status": [r[2] for r in rows],
            "reason": [r[3] if len(r) > 3 else None for r in rows],
            "state": [STATE_OF[r[2]] for r in rows],
            "source": [source] * len(rows),
            "seq": list(range(1, len(rows) + 1)),
        },
        schema_overrides={
            "ts": pl.Datetime("ms", "UTC"),
            "state": STATE_DTYPE,
            "reason": pl.String,
        },
    )


def spans(frame: pl.DataFrame) -> list[tuple]:
    """(agent, start minute, end minute, state, open, inferred)."""
    minutes = lambda c: ((pl.col(c) - pl.lit(T0)).dt.total_seconds() / 60).alias(c)  # noqa: E731
    return frame.select(
        "agent_id", minutes("start"), minutes("end"), "state", "open", "inferred"
    ).rows()


def test_a_simple_day_becomes_intervals_that_end_at_the_next_event() -> None:
    log = events(
        [("a", 0, "Log On"), ("a", 2, "Ready"), ("a", 30, "Talking"), ("a", 36, "Log Off")]
    )
    result = from_events(log, as_of=at(60))
    assert spans(result.intervals) == [
        ("a", 0, 2, "AWAY", False, False),
        ("a", 2, 30, "READY", False, False),
        ("a", 30, 36, "ON_CONTACT", False, False),
        ("a", 36, 60, "OFFLINE", True, False),
    ]
    assert dict(result.repairs) == {"open_clipped": 1}
    validate(result.intervals, StateInterval)


def test_out_of_order_duplicates_and_same_instant_conflicts_are_repaired_and_counted() -> None:
    log = events(
        [
            ("a", 0, "Log On"),
            ("a", 10, "Talking"),
            ("a", 2, "Ready"),  # out of order: earlier than the row before
            ("a", 10, "Talking"),  # exact duplicate
            ("a", 20, "Not Ready - Break"),
            ("a", 20, "Ready"),  # same instant, other status: the last in the file wins
        ]
    )
    result = from_events(log, as_of=at(30))
    assert spans(result.intervals) == [
        ("a", 0, 2, "AWAY", False, False),
        ("a", 2, 10, "READY", False, False),
        ("a", 10, 20, "ON_CONTACT", False, False),
        ("a", 20, 30, "READY", True, False),
    ]
    assert dict(result.repairs) == {
        "duplicate": 1,
        "open_clipped": 1,
        "out_of_order": 1,
        "same_instant_conflict": 1,
    }


def test_consecutive_same_state_and_reason_merge_but_other_reasons_do_not() -> None:
    log = events(
        [
            ("a", 0, "Ready"),
            ("a", 5, "Ready"),
            ("a", 10, "Not Ready - Break", "x"),
            ("a", 12, "Not Ready - Break", "x"),
            ("a", 14, "Not Ready - Break", "y"),
            ("a", 16, "Heart Beat"),
        ]
    )
    result = from_events(log, as_of=at(20))
    assert spans(result.intervals) == [
        ("a", 0, 10, "READY", False, False),
        ("a", 10, 14, "BREAK", False, False),
        ("a", 14, 20, "BREAK", True, False),
    ]
    assert result.repairs["merged"] == 2
    assert result.repairs["heartbeat"] == 1


def test_as_of_defaults_to_the_last_timestamp_and_later_events_are_not_used() -> None:
    log = events([("a", 0, "Ready"), ("b", 0, "Ready"), ("b", 45, "Log Off")])
    assert spans(from_events(log).intervals) == [
        ("a", 0, 45, "READY", True, False),
        ("b", 0, 45, "READY", False, False),  # closed by its Log Off exactly at as_of
    ]
    early = from_events(log, as_of=at(30))
    assert spans(early.intervals) == [
        ("a", 0, 30, "READY", True, False),
        ("b", 0, 30, "READY", True, False),
    ]
    assert early.repairs["after_as_of"] == 1


def test_naive_as_of_is_a_typed_error() -> None:
    with pytest.raises(ConfigurationError, match="time zone"):
        from_events(events([("a", 0, "Ready")]), as_of=datetime(2026, 4, 1))


def test_input_that_is_not_a_status_event_table_is_refused() -> None:
    with pytest.raises(SchemaValidationError):
        from_events(events([("a", 0, "Ready")]).drop("seq"))


def schedule(rows: list[tuple]) -> pl.DataFrame:
    """rows: (agent, shift, start minute, end minute, activity)."""
    return pl.DataFrame(
        {
            "agent_id": [r[0] for r in rows],
            "shift_id": [r[1] for r in rows],
            "start": [at(r[2]) for r in rows],
            "end": [at(r[3]) for r in rows],
            "activity": [r[4] for r in rows],
            "counts_for_adherence": [True] * len(rows),
        },
        schema_overrides={
            "start": pl.Datetime("ms", "UTC"),
            "end": pl.Datetime("ms", "UTC"),
            "activity": ACTIVITY_DTYPE,
        },
    )


def test_missing_log_off_gets_an_inferred_offline_from_the_shift_end() -> None:
    plan = schedule([("a", "s1", 0, 240, "OPEN"), ("b", "s2", 0, 240, "OPEN")])
    log = events(
        [
            ("a", 0, "Ready"),  # a never logs off: still Ready 23 h later
            ("b", 0, "Ready"),
            ("b", 270, "Log Off"),  # b logs off 30 min late: within the 60 min allowance
            ("a", 24 * 60, "Log On"),
        ]
    )
    result = from_events(log, schedule=plan, as_of=at(1500))
    assert spans(result.intervals) == [
        ("a", 0, 240, "READY", False, False),
        ("a", 240, 1440, "OFFLINE", False, True),
        ("a", 1440, 1500, "AWAY", True, False),
        ("b", 0, 270, "READY", False, False),
        ("b", 270, 1500, "OFFLINE", True, False),
    ]
    assert result.repairs["inferred_offline"] == 1
    longer = from_events(log, schedule=plan, as_of=at(1500), auto_logoff_after=timedelta(hours=24))
    assert longer.repairs["inferred_offline"] == 0


def test_an_open_last_interval_past_the_allowance_is_inferred_offline_too() -> None:
    plan = schedule([("a", "s1", 0, 240, "OPEN")])
    log = events([("a", 0, "Ready"), ("z", 400, "Ready")])
    assert spans(from_events(log, schedule=plan).intervals)[:2] == [
        ("a", 0, 240, "READY", False, False),
        ("a", 240, 400, "OFFLINE", True, True),
    ]


def test_lazy_in_lazy_out() -> None:
    lazy = from_events(events([("a", 0, "Ready"), ("a", 5, "Log Off")]).lazy())
    assert isinstance(lazy, LazyIntervals)
    assert spans(lazy.collect().intervals) == [("a", 0, 5, "READY", False, False)]


# --- properties ---------------------------------------------------------------------------

STATUSES = [s for s in STATE_OF if s != "Heart Beat"]
EVENT = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.integers(min_value=0, max_value=600),
    st.sampled_from(STATUSES),
    st.sampled_from([None, "r1", "r2"]),
)


def consistent(rows: list[tuple]) -> list[tuple]:
    """One status per (agent, minute): exact duplicates allowed, conflicts not (their
    winner depends on file order by definition)."""
    first: dict[tuple, tuple] = {}
    for row in rows:
        first.setdefault(row[:2], row)
    return [first[row[:2]] for row in rows]


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(EVENT, min_size=1, max_size=40), order=st.randoms(use_true_random=False))
def test_shuffling_the_input_rows_gives_identical_intervals(rows, order) -> None:
    rows = consistent(rows)
    shuffled = rows[:]
    order.shuffle(shuffled)
    as_of = at(700)
    assert from_events(events(rows), as_of=as_of).intervals.equals(
        from_events(events(shuffled), as_of=as_of).intervals
    )


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(EVENT, min_size=1, max_size=40))
def test_each_agents_intervals_tile_the_observed_span(rows) -> None:
    as_of = at(700)
    result = from_events(events(rows), as_of=as_of).intervals
    for agent in {r[0] for r in rows}:
        mine = result.filter(pl.col("agent_id") == agent).sort("start")
        first = at(min(r[1] for r in rows if r[0] == agent))
        assert mine["start"][0] == first
        assert mine["end"][-1] == as_of
        assert mine["start"][1:].to_list() == mine["end"][:-1].to_list()  # no gap, no overlap
        assert (mine["end"] > mine["start"]).all()


def reference_state_detail(rows: list[tuple]) -> list[tuple]:
    """Brute force: for every minute, the covering row with the latest (start, seq) wins."""
    owner: dict[tuple[str, int], tuple] = {}
    for seq, (agent, start, length, status) in enumerate(rows, start=1):
        for minute in range(start, start + length):
            best = owner.get((agent, minute))
            if best is None or (start, seq) > best[:2]:
                owner[(agent, minute)] = (start, seq, status)
    pieces: list[list] = []
    for agent, minute in sorted(owner):
        state = STATE_OF[owner[(agent, minute)][2]]
        last = pieces[-1] if pieces else None
        if last and last[0] == agent and last[2] == minute and last[3] == state:
            last[2] = minute + 1
        else:
            pieces.append([agent, minute, minute + 1, state])
    return [tuple(p) for p in pieces]


DETAIL = st.tuples(
    st.sampled_from(["a", "b"]),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=30),
    st.sampled_from(STATUSES),
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(DETAIL, min_size=1, max_size=12))
def test_state_detail_overlaps_match_a_brute_force_reference(rows) -> None:
    frame = pl.DataFrame(
        {
            "agent_id": [r[0] for r in rows],
            "start": [at(r[1]) for r in rows],
            "end": [at(r[1] + r[2]) for r in rows],
            "status": [r[3] for r in rows],
            "reason": [None] * len(rows),
            "state": [STATE_OF[r[3]] for r in rows],
            "source": ["sd.csv"] * len(rows),
            "seq": list(range(1, len(rows) + 1)),
        },
        schema_overrides={
            "start": pl.Datetime("ms", "UTC"),
            "end": pl.Datetime("ms", "UTC"),
            "state": STATE_DTYPE,
            "reason": pl.String,
        },
    )
    got = from_state_detail(frame, as_of=at(1000)).intervals
    assert [r[:4] for r in spans(got)] == reference_state_detail(rows)
