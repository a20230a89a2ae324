"""Property tests of the engine: figures add up, ignore row order and merge across partitions."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.engine.cases import at

from adherence import _engine
from adherence.options import MetricOptions
from adherence.schemas import UTC_MS
from adherence.states import ACTIVITY_DTYPE, STATE_DTYPE, Activity, State

START = at("05:00")
AS_OF = at("2026-03-10 12:00")
STATES = [s.value for s in State]
ACTIVITIES = [a.value for a in Activity]

# A timeline is a list of (minutes, label or None for a gap), laid end to end from START.
timelines = st.lists(
    st.tuples(st.integers(1, 150), st.one_of(st.none(), st.sampled_from(STATES))),
    min_size=1,
    max_size=12,
)
plans = st.lists(
    st.tuples(st.integers(5, 180), st.sampled_from(ACTIVITIES), st.booleans()),
    min_size=1,
    max_size=6,
)
agents = st.tuples(timelines, st.integers(0, 600), plans, st.integers(0, 600), plans)
options = st.builds(
    MetricOptions,
    non_productive_equivalence=st.booleans(),
    count_work_outside_shift=st.booleans(),
    exception_threshold=st.sampled_from([timedelta(0), timedelta(minutes=3)]),
    boundary_tolerance=st.sampled_from([timedelta(0), timedelta(minutes=2)]),
    acw_is_productive=st.booleans(),
    split_at_midnight=st.booleans(),
)


def _tables(spec: list[tuple]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Intervals and schedule of several agents from their generated timelines."""
    states: list[dict] = []
    plan: list[dict] = []
    for n, (timeline, offset1, shift1, gap, shift2) in enumerate(spec):
        agent = f"a{n}"
        t = START
        for minutes, state in timeline:
            end = t + timedelta(minutes=minutes)
            if state is not None:
                states.append({"agent_id": agent, "start": t, "end": end, "state": state})
            t = end
        t = START + timedelta(minutes=offset1)
        for k, shift in enumerate((shift1, shift2)):
            for minutes, activity, counts in shift:
                end = t + timedelta(minutes=minutes)
                plan.append(
                    {
                        "agent_id": agent,
                        "shift_id": f"{agent}-{k}",
                        "start": t,
                        "end": end,
                        "activity": activity,
                        "counts_for_adherence": counts,
                    }
                )
                t = end
            t += timedelta(minutes=gap + 1)
    intervals = pl.DataFrame(
        states,
        schema={"agent_id": pl.String, "start": UTC_MS, "end": UTC_MS, "state": STATE_DTYPE},
    ).with_columns(
        pl.col("state").cast(pl.String).alias("status"),
        pl.lit(None, dtype=pl.String).alias("reason"),
        pl.lit(value=False).alias("open"),
        pl.lit(value=False).alias("inferred"),
    )
    schedule = pl.DataFrame(
        plan,
        schema={
            "agent_id": pl.String,
            "shift_id": pl.String,
            "start": UTC_MS,
            "end": UTC_MS,
            "activity": ACTIVITY_DTYPE,
            "counts_for_adherence": pl.Boolean,
        },
    )
    return intervals, schedule


def _figures(intervals: pl.DataFrame, schedule: pl.DataFrame, opts: MetricOptions) -> pl.DataFrame:
    return _engine.sweep(intervals, schedule, options=opts, as_of=AS_OF).figures()


@settings(max_examples=60, deadline=None)
@given(st.lists(agents, min_size=1, max_size=3), options)
def test_in_plus_out_plus_not_calculated_is_counted_time(spec: list, opts: MetricOptions) -> None:
    figures = _figures(*_tables(spec), opts)
    total = figures["in_adherence_ms"] + figures["out_of_adherence_raw_ms"]
    assert (total + figures["not_calculated_ms"] == figures["counted_scheduled_ms"]).all()
    assert (figures["out_of_adherence_charged_ms"] <= figures["out_of_adherence_raw_ms"]).all()
    numbers = figures.select(pl.exclude("agent_id", "shift_id", "local_date"))
    assert numbers.width > 10  # every figure column, not the first one only
    negative = numbers.select((pl.all() < 0).any()).row(0, named=True)
    assert not any(negative.values()), {k: v for k, v in negative.items() if v}


@settings(max_examples=40, deadline=None)
@given(st.lists(agents, min_size=1, max_size=3), options, st.randoms(use_true_random=False))
def test_figures_do_not_depend_on_row_order(spec: list, opts: MetricOptions, rnd) -> None:  # type: ignore[no-untyped-def]
    intervals, schedule = _tables(spec)
    expected = _figures(intervals, schedule, opts)
    shuffled = _figures(
        intervals.sample(fraction=1.0, shuffle=True, seed=rnd.randrange(1 << 30)),
        schedule.sample(fraction=1.0, shuffle=True, seed=rnd.randrange(1 << 30)),
        opts,
    )
    assert shuffled.equals(expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(agents, min_size=2, max_size=4), options, st.randoms(use_true_random=False))
def test_partitions_combine_into_the_same_totals(spec: list, opts: MetricOptions, rnd) -> None:  # type: ignore[no-untyped-def]
    intervals, schedule = _tables(spec)
    whole = _figures(intervals, schedule, opts)
    ids = sorted(set(schedule["agent_id"]))
    part = {agent: rnd.randrange(2) for agent in ids}
    parts = []
    for side in (0, 1):
        mine = [a for a in ids if part[a] == side]
        if mine:
            keep = pl.col("agent_id").is_in(mine)
            parts.append(_figures(intervals.filter(keep), schedule.filter(keep), opts))
    assert _engine.combine(parts).equals(whole)
    by_day = _engine.totals(whole, by=["local_date"]).collect()
    assert _engine.totals(_engine.combine(parts), by=["local_date"]).collect().equals(by_day)
