"""The boundary sweep: an agent's time cut into segments, each with its state and activity.

Every instant where anything changes for an agent (an interval or an activity starts or ends,
a tolerance zone or a conformance window begins or ends, ``as_of``, a local midnight when
days are split) is a boundary. Between consecutive boundaries nothing changes, so each
segment carries one state, one activity and one shift, found by ``join_asof`` on the sorted
boundaries: no cross join, no per-row Python.
"""

from __future__ import annotations

import polars as pl

from adherence.options import MetricOptions
from adherence.states import ACTIVITY_DTYPE, STATE_DTYPE, Activity, State

__all__ = [
    "AGENT",
    "agent_time_key",
    "attribute",
    "column_at",
    "instants_ms",
    "segments",
    "shift_table",
    "sort_key",
]

#: In the engine ``agent_id`` holds a dense integer code of the agent (see ``figures.sweep``).
AGENT = "agent_id"
_MS = pl.Int64
#: An instant before any data: the start of every agent's first zone.
_BEFORE_ALL = -(1 << 62)


def agent_time_key(time: str) -> pl.Expr:
    """One 128-bit sort key: the agent's code above the instant (ms).

    A single-key sort runs several times faster than one by the two columns.
    """
    return pl.col(AGENT).cast(pl.Int128) * (1 << 64) + pl.col(time).cast(pl.Int128)


def instants_ms(column: str, quantum_ms: int) -> pl.Expr:
    """``column`` (UTC instants) as integer milliseconds, floored to ``quantum_ms``."""
    ms = pl.col(column).dt.epoch("ms")
    return ms if quantum_ms == 1 else (ms // quantum_ms) * quantum_ms


def shift_table(schedule: pl.LazyFrame, options: MetricOptions) -> pl.LazyFrame:
    """One row per agent and shift, sorted by agent and start, with its zone.

    Columns: ``_shift`` (the shift's code), ``_s_start``, ``_s_end``, ``_first_counted``,
    ``_shift_date`` and ``_zone_start``. ``schedule`` holds ``_a_start``/``_a_end`` (ms)
    and ``_counts`` (see ``segments``). An agent's time is tiled by the zones of their
    shifts: each instant belongs to the nearer shift (the halfway point between two shifts
    goes to the earlier one), and an instant inside a shift's span to that shift.
    """
    start_local = pl.col("_s_start").cast(pl.Datetime("ms", "UTC"))
    previous_end = pl.when(pl.col(AGENT) == pl.col(AGENT).shift(1)).then(pl.col("_s_end").shift(1))
    # A millisecond [x, x + 1) is nearer the previous shift while x - end <= start - (x + 1).
    zone_start = (previous_end + pl.col("_s_start") - 1) // 2 + 1
    return (
        schedule.group_by(AGENT, "shift_id")
        .agg(
            pl.col("_a_start").min().alias("_s_start"),
            pl.col("_a_end").max().alias("_s_end"),
            pl.col("_a_start").filter(pl.col("_counts")).min().alias("_first_counted"),
        )
        .sort(AGENT, "_s_start")
        .with_columns(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("_shift"),
            start_local.dt.convert_time_zone(options.time_zone).dt.date().alias("_shift_date"),
            zone_start.fill_null(_BEFORE_ALL).alias("_zone_start"),
        )
    )


def _allowed(options: MetricOptions) -> pl.Expr:
    """True where the segment's state is allowed for its activity (metrics.md §3)."""
    state, activity = pl.col("state"), pl.col("activity")
    open_states = [State.READY, State.ON_CONTACT]
    if options.acw_is_productive:
        open_states.append(State.AFTER_CONTACT_WORK)
    allowed_states: dict[Activity, list[State]] = {
        Activity.OPEN: open_states,
        Activity.BREAK: [State.BREAK],
        Activity.MEAL: [State.MEAL],
        Activity.MEETING: [State.MEETING],
        Activity.TRAINING: [State.TRAINING],
        Activity.OFF_QUEUE_WORK: [State.OFF_QUEUE_WORK],
    }
    if options.non_productive_equivalence:
        allowed_states[Activity.BREAK] = allowed_states[Activity.MEAL] = [State.BREAK, State.MEAL]
    # One lookup of the (activity, state) pair, on the enums' integer codes, never on text.
    activities, states = list(Activity), list(State)
    pairs = [
        activities.index(planned) * len(states) + states.index(allowed)
        for planned, allowed_here in allowed_states.items()
        for allowed in allowed_here
    ]
    pair = activity.to_physical().cast(pl.Int32) * len(states) + state.to_physical().cast(pl.Int32)
    return (pair.is_in(pairs) | (state == State.APPROVED.value)).fill_null(value=False)


def segments(
    intervals: pl.DataFrame,
    schedule: pl.DataFrame,
    shifts: pl.DataFrame,
    *,
    n_agents: int,
    as_of_ms: int,
    options: MetricOptions,
) -> pl.DataFrame:
    """Cut each agent's time into segments and classify them.

    Parameters
    ----------
    intervals
        ``agent_id``, ``_i_start``, ``_i_end`` (ms), ``state``, ``inferred``; sorted by agent and
        start, not overlapping.
    schedule
        ``agent_id``, ``shift_id``, ``_a_start``, ``_a_end`` (ms), ``activity``, ``_counts``;
        sorted by agent and start, not overlapping.
    shifts
        From ``shift_table``.
    n_agents
        How many agents there are: ``agent_id`` holds codes ``0 .. n_agents - 1``.
    as_of_ms
        Where observation ends (ms since the epoch, UTC).
    options
        The metric options.

    Returns
    -------
    pl.DataFrame
        One row per segment, sorted by agent and start: ``_t``, ``_t_end``, ``_ms``, ``state``,
        ``_interval`` (the row of ``intervals`` the state comes from, if any), ``activity``,
        ``_shift``
        (the code of the shift it belongs to) and the classification flags ``_observed``,
        ``_counted``,
        ``_unobserved``, ``_in``, ``_out``, ``_not_calculated``, ``_outside_work``,
        ``_in_span``, ``_productive``. Only segments inside a shift's conformance window are
        kept: no figure uses the others.

    Notes
    -----
    The sweep proper: the boundaries of all agents are put in one (agent, time) order. A
    boundary where an interval, an activity or a shift's zone starts carries its row; one
    where an interval or activity ends with nothing after it carries one past the last row.
    Intervals of one agent never overlap, nor do activities or zones, so a forward fill of
    those columns gives at every boundary the rows in force there. No join is needed.
    """
    points = _cut_points(
        intervals, schedule, shifts, n_agents=n_agents, as_of_ms=as_of_ms, options=options
    )
    starts = _boundaries(
        intervals.lazy(), "_i_start", interval=pl.int_range(pl.len(), dtype=_ROW)
    ).collect()
    # Every agent's first zone is in force from the first instant on: it starts at the
    # earliest boundary of all (and an agent without shifts has none).
    low, key = sort_key(pl.concat([starts.select("_t"), points.select("_t")]), n_agents)
    first_zones = _first_zones(shifts, n_agents, low)
    # The many interval starts are already in order; the few other boundaries are sorted by
    # one key (agent above time) and merged into them: no sort of the whole set.
    others = pl.concat([points, first_zones]).lazy().with_columns(key).sort("_key")
    boundaries = (
        starts.lazy()
        .with_columns(key)
        .set_sorted("_key")
        .merge_sorted(others, key="_key")
        .drop("_key")
    )
    same_agent_next = pl.col(AGENT) == pl.col(AGENT).shift(-1)
    # Repeated boundaries give empty segments, dropped here (cheaper than a unique()). The last
    # row of a repeated boundary is kept, so every row started or ended there has been seen.
    cuts = boundaries.with_columns(
        pl.when(same_agent_next).then(pl.col("_t").shift(-1)).alias("_t_end"),
        pl.col("_interval", "_activity", "_zone").forward_fill(),
    ).filter(pl.col("_t_end") > pl.col("_t"))
    tolerance_columns = ["_a_start", "_a_end"] if options.boundary_tolerance_ms else []
    coded = cuts.select(
        AGENT,
        "_t",
        "_t_end",
        "_interval",
        pl.when(pl.col("_zone") < shifts.height).then(pl.col("_zone")).alias("_shift"),
        _code_at(intervals, "state", "inferred", at="_interval"),
        _code_at(schedule, "activity", "_counts", at="_activity"),
        *[column_at(schedule[c], "_activity").alias(c) for c in tolerance_columns],
    )
    attributed = coded.with_columns(
        *_decoded(STATE_DTYPE, "state", "inferred"),
        *_decoded(ACTIVITY_DTYPE, "activity", "_counts"),
        *[column_at(shifts[c], "_shift").alias(c) for c in ("_s_start", "_s_end")],
    )
    return _classify(attributed, as_of_ms=as_of_ms, options=options).collect(engine="in-memory")


_ROW = pl.UInt32


def column_at(values: pl.Series, row: str) -> pl.Expr:
    """``values`` at the positions in column ``row``; null at null or one past the end."""
    return pl.lit(values.extend_constant(None, 1)).gather(pl.col(row))


def _code_at(table: pl.DataFrame, enum: str, flag: str, *, at: str) -> pl.Expr:
    """Columns ``enum`` and ``flag`` of ``table`` at the positions in column ``at``, as one code.

    The code is one byte, the enum's index twice plus the flag, so that a single gather of
    the long column carries both (see ``_decoded``).
    """
    both = pl.col(enum).to_physical().cast(pl.UInt8) * 2 + pl.col(flag).cast(pl.UInt8)
    return column_at(table.select(both).to_series(), at).alias(f"_{enum}_code")


def _decoded(dtype: pl.Enum, enum: str, flag: str) -> list[pl.Expr]:
    """``enum`` (of type ``dtype``) and ``flag`` from the code of ``_code_at``.

    Where the code is null (nothing in force) they are null and ``False``.
    """
    code = pl.col(f"_{enum}_code")
    values = pl.Series(values=dtype.categories, dtype=dtype)
    return [
        pl.lit(values).gather(code // 2).alias(enum),
        (code % 2 == 1).fill_null(value=False).alias(flag),
    ]


def _boundaries(
    rows: pl.LazyFrame,
    time: str | pl.Expr,
    *,
    interval: pl.Expr | int | None = None,
    activity: pl.Expr | int | None = None,
    zone: pl.Expr | int | None = None,
) -> pl.LazyFrame:
    """Boundaries at ``time`` of ``rows``: ``agent_id``, ``_t`` and the rows they start.

    ``interval``, ``activity`` and ``zone`` are the rows (of ``intervals``, ``schedule`` and
    ``shifts``) that start there; the table's length where one ends with nothing after it,
    null where nothing changes.
    """
    at = pl.col(time) if isinstance(time, str) else time
    return rows.select(
        AGENT,
        at.alias("_t"),
        *[
            (pl.lit(value, dtype=_ROW) if not isinstance(value, pl.Expr) else value)
            .cast(_ROW)
            .alias(name)
            for name, value in (("_interval", interval), ("_activity", activity), ("_zone", zone))
        ],
    )


def _first_zones(shifts: pl.DataFrame, n_agents: int, low: int) -> pl.DataFrame:
    """For every agent a boundary at ``low`` starting their first shift's zone (or none)."""
    agents = pl.LazyFrame({AGENT: pl.int_range(n_agents, dtype=pl.UInt32, eager=True)})
    first = shifts.lazy().group_by(AGENT).agg(pl.col("_shift").min())
    zone = pl.col("_shift").fill_null(shifts.height)
    with_first = agents.join(first, on=AGENT, how="left")
    return _boundaries(with_first, pl.lit(low, dtype=_MS), zone=zone).collect()


def _cut_points(
    intervals: pl.DataFrame,
    schedule: pl.DataFrame,
    shifts: pl.DataFrame,
    *,
    n_agents: int,
    as_of_ms: int,
    options: MetricOptions,
) -> pl.DataFrame:
    """Every boundary but the interval starts and the first zones (see ``_boundaries``)."""
    tol = options.boundary_tolerance_ms
    window = options.conformance_window_ms
    plan = schedule.lazy().with_columns(pl.int_range(pl.len(), dtype=_ROW).alias("_row"))
    zones = shifts.lazy()
    agents = pl.LazyFrame({AGENT: pl.int_range(n_agents, dtype=pl.UInt32, eager=True)})
    points = [
        _boundaries(
            _ends(intervals.lazy(), "_i_start", "_i_end"), "_i_end", interval=intervals.height
        ),
        _boundaries(plan, "_a_start", activity=pl.col("_row")),
        _boundaries(_ends(plan, "_a_start", "_a_end"), "_a_end", activity=schedule.height),
        _boundaries(zones, pl.col("_s_start") - window),
        _boundaries(zones, pl.col("_s_end") + window),
        _boundaries(
            zones.filter(pl.col("_zone_start") > _BEFORE_ALL), "_zone_start", zone=pl.col("_shift")
        ),
        _boundaries(agents, pl.lit(as_of_ms, dtype=_MS)),
    ]
    if tol:
        inside = pl.col("_t").is_between("_a_start", "_a_end", closed="none")
        for edge in (pl.col("_a_start") + tol, pl.col("_a_end") - tol):
            edges = plan.with_columns(edge.alias("_t")).filter(inside)
            points.append(_boundaries(edges, "_t"))
    if options.split_at_midnight:
        points.append(_boundaries(_midnights(zones, window, options.time_zone), "_t"))
    return pl.concat(points).collect(engine="in-memory")


def _ends(rows: pl.LazyFrame, start: str, end: str) -> pl.LazyFrame:
    """The rows of ``rows`` (sorted by agent and start) whose end is a boundary of its own.

    An end where the agent's next row starts is that row's start; the others (a gap, or the
    agent's last row) are kept.
    """
    continued = (pl.col(AGENT) == pl.col(AGENT).shift(-1)) & (
        pl.col(start).shift(-1) == pl.col(end)
    )
    return rows.filter(~continued.fill_null(value=False))


def sort_key(boundaries: pl.DataFrame, n_agents: int) -> tuple[int, pl.Expr]:
    """The earliest instant, and one sort key: the agent's code above the instant.

    The key has 64 bits when they fit, else 128. A single-key sort runs several times faster
    than one by the two columns, and a 64-bit key sorts and merges about twice as fast as a
    128-bit one. ``boundaries`` holds every ``_t`` the key will be computed for.
    """
    bounds = boundaries.select(pl.col("_t").min().alias("low"), pl.col("_t").max().alias("high"))
    low, high = (int(v) if v is not None else 0 for v in bounds.row(0))
    if (high - low + 1) * max(n_agents, 1) >= 1 << 63:
        return low, agent_time_key("_t").alias("_key")
    span = high - low + 1
    return low, (pl.col(AGENT).cast(pl.Int64) * span + (pl.col("_t") - low)).alias("_key")


def _asof(
    left: pl.LazyFrame, right: pl.LazyFrame, right_on: str, *, forward: bool = False
) -> pl.LazyFrame:
    """For each row of ``left`` the right row of the same agent at or before (after) ``_t``."""
    # Both sides are sorted by (agent, time) where they are built: that sort is the guarantee
    # join_asof needs, so its own check is skipped.
    return left.join_asof(
        right,
        left_on="_t",
        right_on=right_on,
        by=AGENT,
        strategy="forward" if forward else "backward",
        check_sortedness=False,
    )


def _midnights(shifts: pl.LazyFrame, window: int, time_zone: str) -> pl.LazyFrame:
    """Local midnights within each shift's conformance window, as boundaries."""
    local = pl.Datetime("ms", "UTC")
    first = (pl.col("_s_start") - window).cast(local).dt.convert_time_zone(time_zone).dt.date()
    last = (pl.col("_s_end") + window).cast(local).dt.convert_time_zone(time_zone).dt.date()
    days = pl.date_ranges(first, last, interval="1d")
    midnight = (
        pl.col("_day")
        .cast(pl.Datetime("ms"))
        .dt.replace_time_zone(time_zone, ambiguous="earliest", non_existent="null")
        .dt.epoch("ms")
    )
    return (
        shifts.select(AGENT, days.alias("_day"))
        .explode("_day")
        .select(AGENT, midnight.alias("_t"))
        .drop_nulls()
    )


def attribute(frame: pl.LazyFrame, shifts: pl.LazyFrame) -> pl.LazyFrame:
    """Give every row of ``frame`` the shift whose zone holds its ``_t``.

    ``frame`` is sorted by agent and ``_t``; the shift's columns (see ``shift_table``) are
    added and row order is kept.
    """
    zones = shifts.select(
        AGENT, "_zone_start", "_shift", "_s_start", "_s_end", "_first_counted", "_shift_date"
    )
    return _asof(frame, zones, "_zone_start").drop("_zone_start")


def _classify(frame: pl.LazyFrame, *, as_of_ms: int, options: MetricOptions) -> pl.LazyFrame:
    state = pl.col("state")
    window = options.conformance_window_ms
    tol = options.boundary_tolerance_ms
    productive = state.is_in(list(options.productive_states)).fill_null(value=False) & ~pl.col(
        "inferred"
    )
    observed = pl.col("_t") < as_of_ms
    counted = pl.col("_counts") & observed
    not_calculated = counted & (state == State.UNMAPPED.value).fill_null(value=False)
    tolerated = (pl.col("_t") < pl.col("_a_start") + tol) | (pl.col("_t") >= pl.col("_a_end") - tol)
    allowed = _allowed(options) | (tolerated if tol else pl.lit(value=False))
    in_window = (
        pl.col("_t")
        .is_between(pl.col("_s_start") - window, pl.col("_s_end") + window, closed="left")
        .fill_null(value=False)
    )
    in_span = pl.col("_t").is_between("_s_start", "_s_end", closed="left").fill_null(value=False)
    outside_work = (
        pl.lit(options.count_work_outside_shift)
        & pl.col("activity").is_null()
        & ~in_span
        & in_window
        & productive
        & observed
    )
    # Only segments inside some shift's window feed any figure: the rest is dropped here, and
    # only the columns the figures need are kept.
    return frame.filter(in_window).select(
        "_shift",
        "_t",
        "_t_end",
        (pl.col("_t_end") - pl.col("_t")).alias("_ms"),
        "state",
        pl.when(state.is_not_null()).then(pl.col("_interval")).alias("_interval"),
        pl.col("activity").cast(ACTIVITY_DTYPE),
        observed.alias("_observed"),
        counted.alias("_counted"),
        (pl.col("_counts") & ~observed).alias("_unobserved"),
        not_calculated.alias("_not_calculated"),
        (counted & ~not_calculated & allowed).alias("_in"),
        (counted & ~not_calculated & ~allowed).alias("_out"),
        outside_work.alias("_outside_work"),
        in_span.alias("_in_span"),
        productive.alias("_productive"),
    )
