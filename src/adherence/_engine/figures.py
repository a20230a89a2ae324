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

__all__ = [
    "ADDITIVE",
    "HALF_HOURS",
    "KEYS",
    "OUT_KINDS",
    "OUT_PLACES",
    "SLOT_FIGURES",
    "Sweep",
    "combine",
    "rates",
    "sweep",
    "totals",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PLANNED = [Activity.BREAK, Activity.MEAL, Activity.MEETING, Activity.TRAINING, Activity.TIME_OFF]
_BUSY = [State.ON_CONTACT, State.AFTER_CONTACT_WORK]
_PAUSES = sorted(NON_PRODUCTIVE_STATES)
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
#: The keys of one figures row.
KEYS = [AGENT, "shift_id", "local_date"]


def _lower(state: State) -> str:
    return state.value.lower()


#: The kinds charged out-of-adherence time is split into (docs/concepts/metrics.md), in the
#: order their rules are tried: the first that holds names a segment's kind.
OUT_KINDS = (
    "late_start",
    "early_end",
    "long_meal",
    "late_from_break",
    "unscheduled_pause",
    "other",
)
#: Where charged out-of-adherence time lies: in a scheduled activity, or outside the shift
#: (productive work outside it, with ``count_work_outside_shift``).
OUT_PLACES = (*(a.value.lower() for a in Activity), "outside_shift")
_KIND_COLUMNS = [f"out_of_adherence_{k}_ms" for k in OUT_KINDS]
_PLACE_COLUMNS = [
    f"out_of_adherence_in_{p}_ms" if p != "outside_shift" else f"out_of_adherence_{p}_ms"
    for p in OUT_PLACES
]
_HALF_HOUR_MS = 30 * 60_000
#: The local half hours of a day, as their wall-clock labels.
HALF_HOURS = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30))
#: The additive figures kept per local half hour (``Sweep.slots``).
SLOT_FIGURES = ["out_of_adherence_charged_ms", "scheduled_ms", "observed_state_ms"]

#: Every additive column of a figures row, in order.
ADDITIVE = [
    "counted_scheduled_ms",
    "not_calculated_ms",
    "scheduled_ms",
    "in_adherence_ms",
    "out_of_adherence_raw_ms",
    "out_of_adherence_charged_ms",
    "exception_count",
    *_KIND_COLUMNS,
    *_PLACE_COLUMNS,
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
    schedule: pl.DataFrame | None = None
    """The coded schedule the sweep ran against (``agent_id``, ``shift_id``, ``_a_start``,
    ``_a_end``, ``activity``, ``_counts``)."""

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
        kind, place = pl.col("_kind"), pl.col("_place")
        charged_parts = (
            self._with_day(self._charged_segments(), "_t")
            .group_by(self._group)
            .agg(
                *[
                    pl.col("_charged").filter(kind == k).sum().alias(c)
                    for k, c in zip(OUT_KINDS, _KIND_COLUMNS, strict=True)
                ],
                *[
                    pl.col("_charged").filter(place == p).sum().alias(c)
                    for p, c in zip(OUT_PLACES, _PLACE_COLUMNS, strict=True)
                ],
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
            .join(charged_parts, on=self._group, how="left")
            .join(episodes, on=self._group, how="left")
            .join(self._lateness(), on=self._group, how="left")
            .with_columns(
                (pl.col("counted_scheduled_ms") - pl.col("not_calculated_ms")).alias("scheduled_ms")
            )
            .select(*self._group, *[pl.col(c).fill_null(0).cast(pl.Int64) for c in ADDITIVE])
        )
        return self._keyed(figures).select(*KEYS, *ADDITIVE).sort(KEYS)

    def _charged_segments(self) -> pl.LazyFrame:
        """Every out-of-adherence segment with its charged part, kind and place.

        Columns: the segment's (``_shift``, ``_t``, ``_t_end``, ``state``, ``activity``),
        ``_c_start`` (where its charged part starts), ``_charged`` (ms), ``_kind`` (one of
        ``OUT_KINDS``) and ``_place`` (one of ``OUT_PLACES``). The exception threshold is
        taken from the start of each run: a run's charged time is its time after its first
        ``exception_threshold`` ms, so the charged parts of its segments sum exactly to
        ``max(0, raw - threshold)``.
        """
        threshold = self.options.exception_threshold_ms
        out = self.segments.lazy().filter(pl.col("_out") | pl.col("_outside_work"))
        # As in ``_exceptions``: segments in (agent, time) order, a run is a chain of out
        # segments of one shift (and day) that touch.
        grouped_same = [
            pl.col(k) == pl.col(k).shift(1)
            for k in (["_shift"] if not self.options.split_at_midnight else ["_shift", "_day_of_t"])
        ]
        day_of_t = pl.col("_t").cast(UTC_MS).dt.convert_time_zone(self.options.time_zone).dt.date()
        if self.options.split_at_midnight:
            out = out.with_columns(day_of_t.alias("_day_of_t"))
        continues = (
            (pl.col("_t_end").shift(1) == pl.col("_t")) & pl.all_horizontal(grouped_same)
        ).fill_null(value=False)
        c_start = pl.when(~continues).then(pl.col("_t")).forward_fill() + threshold
        charged = pl.max_horizontal(
            pl.col("_t_end") - pl.max_horizontal(pl.col("_t"), pl.col("_c_start")), 0
        )
        state = pl.col("state")
        logged_in = state.is_not_null() & (state != State.OFFLINE.value)
        logins = (
            self.segments.lazy()
            .group_by("_shift")
            .agg(
                pl.col("_t").filter(logged_in).min().alias("_first_login"),
                pl.col("_t_end").filter(logged_in).max().alias("_last_login_end"),
            )
        )
        intervals = self.intervals
        same_run = (
            (pl.col(AGENT) == pl.col(AGENT).shift(1))
            & (pl.col("state") == pl.col("state").shift(1))
            & (pl.col("_i_start") == pl.col("_i_end").shift(1))
        ).fill_null(value=False)
        since = intervals.select(
            pl.when(~same_run).then(pl.col("_i_start")).forward_fill().alias("_since")
        ).to_series()
        fold = (
            intervals["_fold"]
            if "_fold" in intervals.columns
            else pl.Series("_fold", [False] * intervals.height)
        )
        if intervals.height:
            since_at = column_at(since, "_interval")
            fold_at = column_at(fold.cast(pl.Boolean), "_interval").fill_null(value=False)
        else:  # nothing to gather from (a gather from an empty column panics in polars 2.1)
            since_at, fold_at = pl.lit(None, dtype=pl.Int64), pl.lit(value=False)
        marked = (
            out.with_columns(c_start.alias("_c_start"))
            .with_columns(
                charged.alias("_charged"), since_at.alias("_since"), fold_at.alias("_fold")
            )
            .join(logins, on="_shift", how="left")
        )
        pauses = self._scheduled_pauses()
        # Both sides are sorted by (shift, time): segments in (agent, time) order carry shift
        # codes in order (see ``sweep``), and the pauses are sorted where they are built.
        ended = marked.join_asof(
            pauses,
            left_on="_t",
            right_on="_p_end",
            by="_shift",
            strategy="backward",
            check_sortedness=False,
        )
        t = pl.col("_t")
        absent = state.is_null() | (state == State.OFFLINE.value)
        continued = state.is_in([State.BREAK.value, State.MEAL.value]).fill_null(value=False) & (
            pl.col("_since") < pl.col("_p_end")
        ).fill_null(value=False)
        pause_state = state.is_in([s.value for s in _PAUSES]).fill_null(value=False)
        kind = (
            pl.when(pl.col("_fold"))
            .then(pl.lit("other"))
            .when(absent & (t < pl.col("_first_login")).fill_null(value=False))
            .then(pl.lit("late_start"))
            .when(absent & (t >= pl.col("_last_login_end")).fill_null(value=False))
            .then(pl.lit("early_end"))
            .when(continued & (pl.col("_p_activity") == Activity.MEAL.value))
            .then(pl.lit("long_meal"))
            .when(continued & (pl.col("_p_activity") == Activity.BREAK.value))
            .then(pl.lit("late_from_break"))
            .when(pause_state & (pl.col("activity") == Activity.OPEN.value).fill_null(value=False))
            .then(pl.lit("unscheduled_pause"))
            .otherwise(pl.lit("other"))
        )
        place = (
            pl.when(pl.col("activity").is_null())
            .then(pl.lit("outside_shift"))
            .otherwise(pl.col("activity").cast(pl.String).str.to_lowercase())
        )
        return ended.select(
            "_shift",
            "_t",
            "_t_end",
            "state",
            "activity",
            "_c_start",
            "_charged",
            kind.alias("_kind"),
            place.alias("_place"),
        )

    def _scheduled_pauses(self) -> pl.LazyFrame:
        """Scheduled, counted ``BREAK`` and ``MEAL`` activities, sorted by shift and end.

        Columns: ``_shift``, ``_p_end`` and ``_p_activity``.
        """
        if self.schedule is None:
            return pl.LazyFrame(
                schema={"_shift": pl.UInt32, "_p_end": pl.Int64, "_p_activity": pl.String}
            )
        codes = self.shifts.lazy().select(AGENT, "shift_id", "_shift")
        planned = [Activity.BREAK.value, Activity.MEAL.value]
        return (
            self.schedule.lazy()
            .filter(pl.col("activity").is_in(planned) & pl.col("_counts"))
            .join(codes, on=[AGENT, "shift_id"])
            .select(
                pl.col("_shift").cast(pl.UInt32),
                pl.col("_a_end").alias("_p_end"),
                pl.col("activity").cast(pl.String).alias("_p_activity"),
            )
            .sort("_shift", "_p_end")
        )

    def slots(self) -> pl.DataFrame:
        """Per agent, shift, local date and local half hour: ``SLOT_FIGURES``.

        ``half_hour`` is the wall-clock label of the half hour in ``options.time_zone``
        (``"08:00"``, ``"08:30"``, ...): on the night clocks go back, both readings of the
        repeated hour go to the same labels; on the night they go forward the skipped labels
        have no time. A row exists for every half hour that holds counted scheduled time (with
        ``count_work_outside_shift``: any time in a shift's conformance window), whatever the
        agent did: which rows exist depends on the schedule only. The figures of a day's
        rows sum to its ``figures()`` row.
        """
        zone = self.options.time_zone
        seg = self.segments.lazy()
        possible = (
            pl.lit(value=True) if self.options.count_work_outside_shift else pl.col("_counts_any")
        )
        counted = pl.col("_counted") | pl.col("_outside_work")
        base = seg.with_columns(
            (pl.col("_counted") | pl.col("_unobserved")).alias("_counts_any")
        ).filter(possible)
        plain = _pieces(base, "_t", "_t_end", zone).select(
            *self._group_source,
            "_slot",
            pl.col("_counts_any"),
            pl.when(counted & ~pl.col("_not_calculated"))
            .then(pl.col("_p_ms"))
            .otherwise(0)
            .alias("scheduled_ms"),
            pl.when(pl.col("state").is_not_null())
            .then(pl.col("_p_ms"))
            .otherwise(0)
            .alias("observed_state_ms"),
            pl.lit(0, dtype=pl.Int64).alias("out_of_adherence_charged_ms"),
        )
        out = (
            self._charged_segments()
            .filter(pl.col("_charged") > 0)
            .with_columns(pl.max_horizontal("_t", "_c_start").alias("_c_start"))
        )
        charged = _pieces(out, "_c_start", "_t_end", zone).select(
            *self._group_source,
            "_slot",
            pl.lit(value=False).alias("_counts_any"),
            pl.lit(0, dtype=pl.Int64).alias("scheduled_ms"),
            pl.lit(0, dtype=pl.Int64).alias("observed_state_ms"),
            pl.col("_p_ms").alias("out_of_adherence_charged_ms"),
        )
        pieces = self._with_day(pl.concat([plain, charged]), "_t")
        summed = (
            pieces.group_by([*self._group, "_slot"])
            .agg(pl.col("_counts_any").any(), *[pl.col(c).sum() for c in SLOT_FIGURES])
            .filter(possible if self.options.count_work_outside_shift else pl.col("_counts_any"))
            .drop("_counts_any")
        )
        labels = pl.Series(HALF_HOURS)
        keyed = self._keyed(summed).with_columns(
            pl.lit(labels).gather(pl.col("_slot")).alias("half_hour")
        )
        return keyed.select(*KEYS, "half_hour", *SLOT_FIGURES).sort(*KEYS, "half_hour")

    @property
    def _group_source(self) -> list[str]:
        """The columns a piece keeps to be grouped like a segment (its day comes from ``_t``)."""
        return ["_shift", "_t"]

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
    fold: pl.Expr | None = None,
) -> Sweep:
    """Validate both tables and run the sweep; its outputs derive from its segments.

    This is where the engine collects (with the in-memory engine, which sorts faster than the
    streaming one): every output derives from the segments, and a lazy plan would run the
    sweep once per output. ``as_of`` defaults to the latest interval end. Partial
    computations that are to be combined must share one ``as_of``. ``fold`` (an expression
    over the intervals' columns) marks intervals whose out-of-adherence time counts under
    the kind ``other`` whatever it was (sensitive reason codes, privacy.md G12).
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
            (fold if fold is not None else pl.lit(value=False))
            .fill_null(value=False)
            .alias("_fold"),
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
    return Sweep(cut, shifts, states, as_of_ms, options, agent_ids, shift_ids, plan)


def _pieces(frame: pl.LazyFrame, start: str, end: str, zone: str) -> pl.LazyFrame:
    """``[start, end)`` of every row cut at the local half hours of ``zone``.

    Adds ``_p_ms`` (the piece's length) and ``_slot`` (its local half hour, 0-47) and sets
    ``_t`` to the piece's start. Local half hours are found from each instant's own UTC
    offset, so both readings of a repeated hour land on the same slots.
    """
    local = pl.col(start).cast(UTC_MS).dt.convert_time_zone(zone)
    phase = (local.dt.replace_time_zone(None).dt.epoch("ms") - pl.col(start)) % _HALF_HOUR_MS
    first = (pl.col(start) + phase) // _HALF_HOUR_MS * _HALF_HOUR_MS - phase + _HALF_HOUR_MS
    cuts = pl.int_ranges(first, pl.col(end), _HALF_HOUR_MS, dtype=pl.Int64)
    starts = pl.concat_list(pl.col(start), cuts)
    ends = pl.concat_list(cuts, pl.col(end))
    exploded = (
        frame.filter(pl.col(end) > pl.col(start))
        .with_columns(starts.alias("_ps"), ends.alias("_pe"))
        .explode("_ps", "_pe")
    )
    piece_local = pl.col("_ps").cast(UTC_MS).dt.convert_time_zone(zone)
    return exploded.with_columns(
        (pl.col("_pe") - pl.col("_ps")).alias("_p_ms"),
        (
            piece_local.dt.hour().cast(pl.Int32) * 2 + piece_local.dt.minute().cast(pl.Int32) // 30
        ).alias("_slot"),
        pl.col("_ps").alias("_t"),
    )


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
