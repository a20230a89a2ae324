"""Per agent × shift figures, the exceptions list and pause episodes, from one sweep.

Every figure is an additive sum (milliseconds or a count), so figures of any partition of the
agents combine by addition into team and period totals (``totals``); percentages are formed
from the summed numerators and denominators only at the end (``rates``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import polars as pl

from adherence._engine.sweep import (
    AGENT,
    agent_time_key,
    attribute,
    column_at,
    instants_ms,
    segments,
    shift_table,
)
from adherence._timeparse import check_aware
from adherence.errors import ConfigurationError
from adherence.options import MetricOptions
from adherence.schemas import UTC_MS, ScheduledActivity, StateInterval, validate
from adherence.states import NON_PRODUCTIVE_STATES, Activity, State

__all__ = ["ADDITIVE", "KEYS", "Sweep", "combine", "rates", "sweep", "totals"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PLANNED = [Activity.BREAK, Activity.MEAL, Activity.MEETING, Activity.TRAINING, Activity.TIME_OFF]
_BUSY = [State.ON_CONTACT, State.AFTER_CONTACT_WORK]
_PAUSES = sorted(NON_PRODUCTIVE_STATES)
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
#: The keys of one figures row.
KEYS = [AGENT, "shift_id", "local_date"]


def _lower(state: State) -> str:
    return state.value.lower()


#: Every additive column of a figures row, in order.
ADDITIVE = [
    "counted_scheduled_ms",
    "not_calculated_ms",
    "scheduled_ms",
    "in_adherence_ms",
    "out_of_adherence_raw_ms",
    "out_of_adherence_charged_ms",
    "exception_count",
    "unobserved_ms",
    "observed_state_ms",
    "conformance_scheduled_ms",
    "conformance_actual_ms",
    *[f"{_lower(s)}_ms" for s in State],
    *[f"{_lower(s)}_{part}" for s in _PAUSES for part in ("episodes", "episode_ms")],
    "lateness_ms",
    "lateness_shifts",
    "login_to_ready_ms",
    "login_to_ready_shifts",
    "occupancy_busy_ms",
    "occupancy_available_ms",
    "shrinkage_scheduled_ms",
    "shrinkage_planned_ms",
    "shrinkage_unplanned_ms",
]


@dataclass(frozen=True)
class Sweep:
    """One sweep of intervals against a schedule; every output derives from its segments."""

    segments: pl.DataFrame
    shifts: pl.DataFrame
    intervals: pl.DataFrame
    as_of_ms: int
    options: MetricOptions
    agent_ids: pl.Series
    """The agents' ids; the engine's ``agent_id`` column holds positions in this series."""
    shift_ids: pl.Series
    """The shifts' ids; the engine's ``shift_id`` column holds positions in this series."""

    @property
    def _group(self) -> list[str]:
        """The internal keys of one figures row: the shift's code, and the day if split."""
        return ["_shift", "local_date"] if self.options.split_at_midnight else ["_shift"]

    def _with_day(self, frame: pl.LazyFrame, column: str) -> pl.LazyFrame:
        """``frame`` with ``local_date`` from ``column`` when days are split at midnight."""
        if not self.options.split_at_midnight:
            return frame
        local = pl.col(column).cast(UTC_MS).dt.convert_time_zone(self.options.time_zone)
        return frame.with_columns(local.dt.date().alias("local_date"))

    def _keyed(self, frame: pl.LazyFrame) -> pl.DataFrame:
        """``frame`` collected with the public keys: agent, shift and local date as ids."""
        shifts = self.shifts.lazy().select("_shift", AGENT, "shift_id", "_shift_date")
        keyed = frame.join(shifts, on="_shift", how="left")
        day = pl.col("local_date") if self.options.split_at_midnight else pl.col("_shift_date")
        return (
            keyed.with_columns(
                pl.lit(self.agent_ids).gather(pl.col(AGENT)).alias(AGENT),
                pl.lit(self.shift_ids).gather(pl.col("shift_id")).alias("shift_id"),
                day.alias("local_date"),
            )
            .drop("_shift", "_shift_date")
            .collect(engine="in-memory")
        )

    def exceptions(self, *, short: bool = False) -> pl.DataFrame:
        """Each maximal out-of-adherence run per shift (and per day when days are split).

        Columns: ``agent_id``, ``shift_id``, ``local_date``, ``start``, ``end``, ``raw_ms``,
        ``charged_ms``, ``activities`` and ``states`` (in order of appearance; a null state is
        time without any state, e.g. not logged in). Runs no longer than the threshold are
        not exceptions and are left out, unless ``short`` (then they are charged 0).
        """
        columns = ["start", "end", "raw_ms", "charged_ms", "activities", "states"]
        runs = self._exceptions(short=short)
        return self._keyed(runs).select(*KEYS, *columns).sort(AGENT, "start")

    def _exceptions(self, *, short: bool = False) -> pl.LazyFrame:
        threshold = self.options.exception_threshold_ms
        out = self.segments.lazy().filter(pl.col("_out") | pl.col("_outside_work"))
        # The segments are in (agent, time) order and never overlap, so an out segment that
        # ends where the next out segment of the same shift (and day) starts is the one just
        # before it: the two are one run.
        previous_continues = (
            (pl.col("_t_end").shift(1) == pl.col("_t"))
            & pl.all_horizontal((pl.col(k) == pl.col(k).shift(1)) for k in self._group)
        ).fill_null(value=False)
        run = (~previous_continues).cum_sum().set_sorted()  # a running count: sorted
        runs = self._with_day(out, "_t").with_columns(run.alias("_run"))
        return (
            runs.group_by("_run")
            .agg(
                *[pl.col(k).first() for k in self._group],
                pl.col("_t").min().cast(UTC_MS).alias("start"),
                pl.col("_t_end").max().cast(UTC_MS).alias("end"),
                pl.col("_ms").sum().alias("raw_ms"),
                pl.col("activity").unique(maintain_order=True).alias("activities"),
                pl.col("state").unique(maintain_order=True).alias("states"),
            )
            .filter(pl.lit(short) | (pl.col("raw_ms") > threshold))
            .with_columns(pl.max_horizontal(pl.col("raw_ms") - threshold, 0).alias("charged_ms"))
            .drop("_run")
        )

    def pause_episodes(self) -> pl.DataFrame:
        """Maximal runs of one non-productive state, each given to the shift it starts in.

        Consecutive intervals of one state merge (a reason change inside a break is one
        break). Columns: ``agent_id``, ``shift_id``, ``local_date``, ``state``, ``start``,
        ``end``, ``duration_ms``, ``open`` (clipped at ``as_of``) and ``system_reason`` (a
        reason code of ``system_reason_codes`` occurs in it). Episodes that start outside
        every shift's conformance window are left out.
        """
        columns = ["state", "start", "end", "duration_ms", "open", "system_reason"]
        return self._keyed(self._pause_episodes()).select(*KEYS, *columns).sort(AGENT, "start")

    def _pause_episodes(self) -> pl.LazyFrame:
        # The intervals are in (agent, start) order and never overlap, so a pause interval
        # that ends where the next pause interval of the agent starts is the one just before
        # it: of one state, the two are one episode.
        paused = self.intervals.lazy().filter(pl.col("state").is_in(_PAUSES))
        same_as_previous = (
            (pl.col(AGENT) == pl.col(AGENT).shift(1))
            & (pl.col("state") == pl.col("state").shift(1))
            & (pl.col("_i_start") == pl.col("_i_end").shift(1))
        ).fill_null(value=False)
        episodes = (
            paused.with_columns((~same_as_previous).cum_sum().set_sorted().alias("_episode"))
            .filter(~pl.col("inferred"))
            .group_by("_episode")
            .agg(
                pl.col(AGENT).first(),
                pl.col("state").first(),
                pl.col("_i_start").min().alias("_t"),
                pl.col("_i_end").max().alias("_t_end"),
                pl.col("open").any(),
                pl.col("_system_reason").any().alias("system_reason"),
            )
            .sort(AGENT, "_t")
        )
        window = self.options.conformance_window_ms
        attributed = attribute(episodes, self.shifts.lazy()).filter(
            pl.col("_t").is_between(
                pl.col("_s_start") - window, pl.col("_s_end") + window, closed="left"
            )
        )
        return self._with_day(attributed, "_t").select(
            *self._group,
            "state",
            pl.col("_t").cast(UTC_MS).alias("start"),
            pl.col("_t_end").cast(UTC_MS).alias("end"),
            (pl.col("_t_end") - pl.col("_t")).alias("duration_ms"),
            "open",
            "system_reason",
        )

    def figures(self) -> pl.DataFrame:
        """One row per agent, shift and local date: every additive figure (``ADDITIVE``)."""
        seg = self._with_day(self.segments.lazy(), "_t")
        ms, state, activity = pl.col("_ms"), pl.col("state"), pl.col("activity")

        def total(where: pl.Expr) -> pl.Expr:
            return pl.when(where).then(ms).otherwise(0).sum()

        productive = pl.col("_productive")
        observed = pl.col("_observed")
        counted = pl.col("_counted") | pl.col("_outside_work")
        scheduled = activity.is_not_null() & observed
        summed = seg.group_by(self._group).agg(
            total(counted).alias("counted_scheduled_ms"),
            total(pl.col("_not_calculated")).alias("not_calculated_ms"),
            total(pl.col("_in")).alias("in_adherence_ms"),
            total(pl.col("_out") | pl.col("_outside_work")).alias("out_of_adherence_raw_ms"),
            total(pl.col("_unobserved")).alias("unobserved_ms"),
            total(state.is_not_null()).alias("observed_state_ms"),
            total((activity == Activity.OPEN.value) & observed).alias("conformance_scheduled_ms"),
            total(productive).alias("conformance_actual_ms"),
            *[total(state == s.value).alias(f"{_lower(s)}_ms") for s in State],
            total(state.is_in(_BUSY)).alias("occupancy_busy_ms"),
            total(state.is_in([State.READY, *_BUSY])).alias("occupancy_available_ms"),
            total(scheduled).alias("shrinkage_scheduled_ms"),
            total(scheduled & ~productive & activity.is_in(_PLANNED)).alias("shrinkage_planned_ms"),
            total(scheduled & ~productive & ~activity.is_in(_PLANNED)).alias(
                "shrinkage_unplanned_ms"
            ),
        )
        charged = (
            self._exceptions()
            .group_by(self._group)
            .agg(
                pl.col("charged_ms").sum().alias("out_of_adherence_charged_ms"),
                pl.len().cast(pl.Int64).alias("exception_count"),
            )
        )
        is_state = {s: pl.col("state") == s.value for s in _PAUSES}
        episodes = (
            self._pause_episodes()
            .group_by(self._group)
            .agg(
                expr
                for s in _PAUSES
                for expr in (
                    is_state[s].sum().cast(pl.Int64).alias(f"{_lower(s)}_episodes"),
                    pl.col("duration_ms")
                    .filter(is_state[s])
                    .sum()
                    .alias(f"{_lower(s)}_episode_ms"),
                )
            )
        )
        figures = (
            summed.join(charged, on=self._group, how="left")
            .join(episodes, on=self._group, how="left")
            .join(self._lateness(), on=self._group, how="left")
            .with_columns(
                (pl.col("counted_scheduled_ms") - pl.col("not_calculated_ms")).alias("scheduled_ms")
            )
            .select(*self._group, *[pl.col(c).fill_null(0).cast(pl.Int64) for c in ADDITIVE])
        )
        return self._keyed(figures).select(*KEYS, *ADDITIVE).sort(KEYS)

    def _lateness(self) -> pl.LazyFrame:
        """Lateness and login-to-Ready per shift, on the row of the shift's start date."""
        window = self.options.conformance_window_ms
        state = pl.col("state")
        logged_in = state.is_not_null() & (state != State.OFFLINE.value)
        first_productive = pl.col("_t").filter(pl.col("_productive")).min()
        shifts = self.shifts.lazy().select("_shift", "_s_start", "_first_counted", "_shift_date")
        per_shift = (
            self.segments.lazy()
            .group_by("_shift")
            .agg(
                (logged_in & pl.col("_in_span")).any().alias("_logged_in"),
                first_productive.alias("_first_productive"),
                # Intervals are in start order: the first row is the earliest start.
                pl.col("_interval").filter(logged_in).min().alias("_first_interval"),
            )
            .filter(pl.col("_logged_in") & pl.col("_first_productive").is_not_null())
            .join(shifts, on="_shift")
            .with_columns(
                column_at(self.intervals["_i_start"], "_first_interval").alias("_first_login")
            )
            .with_columns(
                # A login before the window counts from the window's start.
                pl.max_horizontal("_first_login", pl.col("_s_start") - window),
                pl.col("_shift_date").alias("local_date"),
            )
        )
        late = pl.max_horizontal(pl.col("_first_productive") - pl.col("_first_counted"), 0)
        to_ready = pl.max_horizontal(pl.col("_first_productive") - pl.col("_first_login"), 0)
        return per_shift.select(
            *self._group,
            late.fill_null(0).alias("lateness_ms"),
            pl.col("_first_counted").is_not_null().cast(pl.Int64).alias("lateness_shifts"),
            to_ready.fill_null(0).alias("login_to_ready_ms"),
            pl.col("_first_login").is_not_null().cast(pl.Int64).alias("login_to_ready_shifts"),
        )


def sweep(
    intervals: pl.DataFrame | pl.LazyFrame,
    schedule: pl.DataFrame | pl.LazyFrame,
    *,
    options: MetricOptions | None = None,
    as_of: datetime | None = None,
) -> Sweep:
    """Validate both tables and run the sweep; its outputs derive from its segments.

    This is where the engine collects (with the in-memory engine, which sorts faster than the
    streaming one): every output derives from the segments, and a lazy plan would run the
    sweep once per output. ``as_of`` defaults to the latest interval end. Partial
    computations that are to be combined must share one ``as_of``.
    """
    options = options or MetricOptions()
    q = options.quantum_ms
    checked_states = validate(intervals.lazy(), StateInterval)
    checked_plan = validate(schedule.lazy(), ScheduledActivity)
    # Agents and shifts become dense integer codes: integer joins, group-bys and sort keys.
    states_by_agent = _by_agent(
        checked_states.select(
            AGENT,
            instants_ms("start", q).alias("_i_start"),
            instants_ms("end", q).alias("_i_end"),
            "state",
            "open",
            "inferred",
            # Reasons are trimmed at ingest; one hash lookup per row.
            pl.col("reason")
            .is_in(sorted(options.system_reason_codes))
            .fill_null(value=False)
            .alias("_system_reason"),
        )
        .filter(pl.col("_i_end") > pl.col("_i_start"))
        .collect(engine="in-memory")
    )
    run_start = pl.col(AGENT) != pl.col(AGENT).shift(1)
    interval_agents = states_by_agent.filter(run_start.fill_null(value=True))[AGENT]
    plan_agents, shift_ids = (
        checked_plan.select(c).unique().sort(c).collect(engine="in-memory").to_series()
        for c in (AGENT, "shift_id")
    )
    agent_ids = pl.concat([interval_agents, plan_agents]).unique().sort()
    # The intervals are in agent order: each run of one agent takes that agent's code, found
    # once per agent, not once per row.
    run_code = interval_agents.replace_strict(
        agent_ids, pl.Series(range(agent_ids.len()), dtype=pl.UInt32), return_dtype=pl.UInt32
    )
    run = run_start.fill_null(value=True).cum_sum() - 1
    states = states_by_agent.with_columns(pl.lit(run_code).gather(run).alias(AGENT))
    counts = pl.col("counts_for_adherence") & (pl.col("activity") != Activity.TIME_OFF.value)
    plan = _sorted(
        checked_plan.select(
            _code(AGENT, agent_ids),
            _code("shift_id", shift_ids),
            instants_ms("start", q).alias("_a_start"),
            instants_ms("end", q).alias("_a_end"),
            "activity",
            counts.alias("_counts"),
        ).filter(pl.col("_a_end") > pl.col("_a_start")),
        "_a_start",
    )
    shifts = shift_table(plan.lazy(), options).collect(engine="in-memory")
    _check_no_overlap(plan, "_a_start", "_a_end", "activities")
    _check_no_overlap(shifts, "_s_start", "_s_end", "shifts")
    if as_of is None:
        latest = states.select(pl.col("_i_end").max()).item()
        as_of_ms = int(latest) if latest is not None else 0
    else:
        since_epoch = check_aware(as_of, "as_of") - _EPOCH
        as_of_ms = (since_epoch // timedelta(milliseconds=1) // q) * q
    cut = segments(
        states, plan, shifts, n_agents=agent_ids.len(), as_of_ms=as_of_ms, options=options
    )
    # Shift codes follow (agent, start) and zones tile each agent's time, so the segments,
    # in (agent, time) order, are in shift order too; flagged, the group-bys run faster.
    if cut["_shift"].is_sorted():
        cut = cut.with_columns(pl.col("_shift").set_sorted())
    return Sweep(cut, shifts, states, as_of_ms, options, agent_ids, shift_ids)


def _by_agent(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by agent id and ``_i_start`` (a check skips a sorted one)."""
    agent, start = pl.col(AGENT), pl.col("_i_start")
    in_order = (agent > agent.shift(1)) | ((agent == agent.shift(1)) & (start >= start.shift(1)))
    if frame.height > 1 and not frame.select(in_order.slice(1).all()).item():
        frame = frame.sort(AGENT, "_i_start")
    return frame


def _code(column: str, values: pl.Series) -> pl.Expr:
    """``column`` as positions in the sorted distinct ``values``."""
    positions = pl.Series(range(values.len()), dtype=pl.UInt32)
    return pl.col(column).replace_strict(values, positions).alias(column)


def _sorted(frame: pl.LazyFrame, time: str) -> pl.DataFrame:
    """``frame`` collected and sorted by agent code and ``time`` (a check skips a sorted one)."""
    data = frame.collect(engine="in-memory")
    key = agent_time_key(time)
    if data.height > 1 and not data.select(key.diff().min() >= 0).item():
        data = data.sort(key)
    return data


def _check_no_overlap(frame: pl.DataFrame, start: str, end: str, what: str) -> None:
    """Raise when an agent's rows (sorted by agent and ``start``) overlap."""
    overlapping = frame.select(
        ((pl.col(AGENT) == pl.col(AGENT).shift(1)) & (pl.col(start) < pl.col(end).shift(1))).sum()
    ).item()
    if overlapping:
        raise ConfigurationError(
            f"the schedule has {overlapping} {what} that overlap an earlier one of the same agent",
            hint="give each instant of an agent at most one activity and one shift: cut a shift "
            "row around the breaks and meetings inside it",
        )


def combine(parts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """Figures computed on separate partitions of the agents, as one table."""
    return pl.concat(list(parts)).sort(KEYS)


def totals(figures: pl.DataFrame | pl.LazyFrame, by: Sequence[str]) -> pl.LazyFrame:
    """Sum every additive figure over the rows of each ``by`` group."""
    return figures.lazy().group_by(list(by)).agg(pl.col(ADDITIVE).sum()).sort(list(by))


def rates(summed: FrameT) -> FrameT:
    """Add the percentages (metrics.md §3–5) to summed figures.

    ``adherence_pct`` is clamped to [0, 100] and null without scheduled time or state data;
    ``conformance_pct`` is null without state data or for 0/0, and infinite for x/0.
    """
    scheduled, charged = pl.col("scheduled_ms"), pl.col("out_of_adherence_charged_ms")
    no_data = pl.col("observed_state_ms") == 0
    adherence = (100 * (1 - charged / scheduled)).clip(0, 100)
    actual, planned = pl.col("conformance_actual_ms"), pl.col("conformance_scheduled_ms")
    conformance = (
        pl.when(no_data | ((actual == 0) & (planned == 0)))
        .then(None)
        .when(planned == 0)
        .then(float("inf"))
        .otherwise(100 * actual / planned)
    )
    shrink = pl.col("shrinkage_scheduled_ms")
    return summed.with_columns(
        pl.when(no_data | (scheduled == 0)).then(None).otherwise(adherence).alias("adherence_pct"),
        conformance.alias("conformance_pct"),
        pl.when(pl.col("occupancy_available_ms") > 0)
        .then(100 * pl.col("occupancy_busy_ms") / pl.col("occupancy_available_ms"))
        .alias("occupancy_pct"),
        pl.when(shrink > 0)
        .then(100 * pl.col("shrinkage_planned_ms") / shrink)
        .alias("shrinkage_planned_pct"),
        pl.when(shrink > 0)
        .then(100 * pl.col("shrinkage_unplanned_ms") / shrink)
        .alias("shrinkage_unplanned_pct"),
    )
