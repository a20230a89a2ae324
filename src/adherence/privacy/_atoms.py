"""The workspace's private tables: the atoms every released figure is made of.

``membership`` is built from public inputs only (schedule and roster): one row per agent and
local day with a scheduled shift, with the agent's roster attributes on that date. The
privacy decisions use nothing else (G6): a cell's *support* is the set of these (agent, day)
pairs it covers. ``days`` adds the *atoms* — the engine's additive sums per agent and day —
to those rows; ``episodes`` holds the pause episodes for order statistics and the fairness
audit. None of these tables ever leaves the workspace.

Sensitive reason codes (G12) are folded before anything else sees the figures: the time an
agent spent under such a code leaves its state's atom for the ``other_ms`` atom, and its
pause episodes are counted under ``OTHER``. No catalogue metric breaks ``OTHER`` out; it
exists only inside ``pause_ms``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from adherence._engine import ADDITIVE, SLOT_FIGURES, sweep
from adherence.options import MetricOptions
from adherence.privacy._incidents import neutral_schedule
from adherence.privacy._refine import Possible
from adherence.privacy.policy import sensitive_expr
from adherence.privacy.query import ORG_DIMENSIONS, ROSTER_DIMENSIONS
from adherence.schemas import Roster, ScheduledActivity, StateInterval, validate
from adherence.states import NON_PRODUCTIVE_STATES, Activity, State

__all__ = [
    "AGENT_CODE",
    "ATOMS",
    "DAY",
    "OTHER",
    "SLOT_ATOMS",
    "Tables",
    "agent_ids",
    "build_tables",
]

AGENT_CODE = "_agent"
DAY = "_day"
#: The state under which time with a sensitive reason code is counted (never broken out).
OTHER = "OTHER"
#: Every atom of a ``days`` row: the engine's additive figures, the folded sensitive time
#: and the number of shifts starting that day.
ATOMS = [*ADDITIVE, "other_ms", "other_episodes", "other_episode_ms", "shifts"]
_STATE_ATOMS = [f"{s.value.lower()}_ms" for s in State]
#: The atoms of a ``slots`` row (per agent, local day and local half hour).
SLOT_ATOMS = list(SLOT_FIGURES)
_KEYS = ["agent_id", "shift_id", "local_date"]


@dataclass(frozen=True)
class Tables:
    """Private tables of one workspace (never released as they are)."""

    days: pl.DataFrame
    """Per agent and local day with a scheduled shift: codes, calendar and roster
    dimensions, and every atom (``ATOMS``)."""
    episodes: pl.DataFrame
    """Per pause episode: codes, local day, dimensions, ``state`` (``OTHER`` for sensitive
    ones), ``duration_ms``, ``late_start`` and ``system_reason``."""
    exceptions: pl.DataFrame
    """Per out-of-adherence run: agent id, shift, local date, times and lengths; runs no
    longer than the exception threshold too (``under_threshold``, charged 0)."""
    shifts: pl.DataFrame
    """Per agent, shift and local day: ``shift_date`` and every atom (the employee's own
    view); one row per shift unless days are split at midnight."""
    slots: pl.DataFrame
    """Per agent, local day and local half hour (``half_hour``) with counted scheduled time:
    the ``days`` row's codes and dimensions, and ``SLOT_ATOMS``. Which rows exist depends on
    the schedule only."""
    scheduled: pl.DataFrame
    """Per agent code and day number (``_agent``, ``_day``): the counted activities of the
    day's shifts (``activities``, lower case), from the schedule: where an atom can be
    nonzero (see ``_refine``)."""
    possible: Possible
    """Where finer unknowns can be nonzero (from ``slots`` and ``scheduled``)."""


def _shift_days(schedule: pl.DataFrame, options: MetricOptions) -> pl.DataFrame:
    """Per agent, shift and local day the shift's figures are attributed to.

    Columns ``agent_id``, ``shift_id``, ``local_date``, ``start`` (the shift's start) and
    ``first_day`` / ``last_day`` (the shift's first and last such day). Without
    ``split_at_midnight`` a shift has one day, the local date it starts on (metrics.md §5);
    with it, every local day one of its activities touches (an activity ending at midnight
    does not touch the next day).
    """
    zone = options.time_zone
    local_day = pl.col("start").dt.convert_time_zone(zone).dt.date()
    spans = schedule.group_by("agent_id", "shift_id").agg(pl.col("start").min())
    if options.split_at_midnight:
        last_instant = pl.col("end") - pl.duration(milliseconds=1)
        touched = pl.date_ranges(local_day, last_instant.dt.convert_time_zone(zone).dt.date())
        days = (
            schedule.select("agent_id", "shift_id", touched.alias("local_date"))
            .explode("local_date")
            .unique()
            .join(spans, on=["agent_id", "shift_id"])
        )
    else:
        days = spans.with_columns(local_day.alias("local_date"))
    shift = ["agent_id", "shift_id"]
    return days.with_columns(
        pl.col("local_date").min().over(shift).alias("first_day"),
        pl.col("local_date").max().over(shift).alias("last_day"),
    ).sort("agent_id", "start", "local_date")


def _membership(
    shift_days: pl.DataFrame, roster: pl.DataFrame, codes: dict[str, int], zone: str
) -> pl.DataFrame:
    """One row per agent and local day with a shift: roster attributes on that date.

    ``contract`` is ``full_time`` (``contract_pct`` 100) or ``part_time``; ``start_hour`` is
    the local hour the first shift of the day starts (``"08"``; for a day a night shift only
    continues into, that shift's); ``shifts`` counts the shifts starting that day.
    """
    local_start = pl.col("start").dt.convert_time_zone(zone)
    starts_here = pl.col("local_date") == pl.col("first_day")
    shifts = (
        shift_days.with_columns(start_hour=local_start.dt.strftime("%H"), _starts=starts_here)
        .sort("agent_id", "_starts", "start", descending=[False, True, False])
        .group_by("agent_id", "local_date", maintain_order=True)
        .agg(pl.col("start_hour").first(), pl.col("_starts").sum().cast(pl.Int64).alias("shifts"))
    )
    on_date = (pl.col("valid_from") <= pl.col("local_date")) & (
        pl.col("valid_to").is_null() | (pl.col("local_date") <= pl.col("valid_to"))
    )
    full_time = pl.col("contract_pct") >= 100
    attributes = roster.select(
        "agent_id",
        "valid_from",
        "valid_to",
        *ROSTER_DIMENSIONS,
        pl.when(full_time)
        .then(pl.lit("full_time"))
        .when(pl.col("contract_pct").is_not_null())
        .then(pl.lit("part_time"))
        .alias("contract"),
    )
    matched = (
        shifts.join(attributes, on="agent_id")
        .filter(on_date)
        .sort("valid_from", descending=True)
        .unique(["agent_id", "local_date"], keep="first")
        .drop("valid_from", "valid_to")
    )
    unmatched = shifts.join(matched, on=["agent_id", "local_date"], how="anti")
    rows = pl.concat([matched, unmatched], how="diagonal_relaxed")
    day = pl.col("local_date")
    return rows.with_columns(
        pl.col("agent_id").replace_strict(codes, return_dtype=pl.Int32).alias(AGENT_CODE),
        (day.cast(pl.Int32)).alias(DAY),
        day.dt.strftime("%Y-%m-%d").alias("day"),
        day.dt.strftime("%G-W%V").alias("iso_week"),
        day.dt.strftime("%Y-%m").alias("month"),
        *[pl.col(d).cast(pl.String) for d in ORG_DIMENSIONS],
    ).sort(AGENT_CODE, "local_date")


def _with_late_start(
    episodes: pl.DataFrame, intervals: pl.DataFrame, schedule: pl.DataFrame
) -> pl.DataFrame:
    """Flag pause episodes that started late because the agent was busy when the pause was due.

    ``late_start`` is true when the episode starts inside a scheduled ``BREAK`` or ``MEAL``,
    after its start, and at that start the agent was on a contact or in after-contact work
    (the call ran into the break: not attributable to the agent).
    """
    busy = [State.ON_CONTACT.value, State.AFTER_CONTACT_WORK.value]
    # join_asof needs each side sorted by (agent, time); the sorts below are the guarantee.
    planned = (
        schedule.filter(pl.col("activity").is_in([Activity.BREAK.value, Activity.MEAL.value]))
        .select("agent_id", pl.col("start").alias("_p_start"), pl.col("end").alias("_p_end"))
        .sort("agent_id", "_p_start")
    )
    states = intervals.select(
        "agent_id", pl.col("start").alias("_s_start"), pl.col("end").alias("_s_end"), "state"
    ).sort("agent_id", "_s_start")
    due = planned.join_asof(
        states,
        left_on="_p_start",
        right_on="_s_start",
        by="agent_id",
        strategy="backward",
        check_sortedness=False,
    ).select(
        "agent_id",
        "_p_start",
        "_p_end",
        (pl.col("state").is_in(busy) & (pl.col("_s_end") > pl.col("_p_start"))).alias("_busy"),
    )
    matched = episodes.sort("agent_id", "start").join_asof(
        due,
        left_on="start",
        right_on="_p_start",
        by="agent_id",
        strategy="backward",
        check_sortedness=False,
    )
    late = (
        pl.col("_busy")
        & (pl.col("start") > pl.col("_p_start"))
        & (pl.col("start") < pl.col("_p_end"))
    )
    return matched.with_columns(late.fill_null(value=False).alias("late_start")).drop(
        "_p_start", "_p_end", "_busy"
    )


def agent_ids(intervals: pl.DataFrame, schedule: pl.DataFrame, roster: pl.DataFrame) -> list[str]:
    """Every agent id of the three tables, sorted."""
    ids = pl.concat([t.select("agent_id") for t in (intervals, schedule, roster)])
    return ids.unique().sort("agent_id").to_series().to_list()


def _sensitive(intervals: pl.DataFrame, reasons: frozenset[str]) -> pl.Expr:
    # Normalising text is slow per row (NFKC, a regex) and a log has few distinct reasons:
    # decide per distinct reason, then look the rows up.
    distinct = intervals.select(pl.col("reason").unique())
    found = distinct.filter(sensitive_expr(pl.col("reason"), reasons)).to_series()
    return pl.col("reason").is_in(found.implode()).fill_null(value=False)


def _fold_episodes(episodes: pl.DataFrame, sensitive: pl.DataFrame) -> pl.DataFrame:
    """Episodes that overlap a sensitive interval are counted under ``OTHER``."""
    if sensitive.is_empty():
        return episodes.with_columns(pl.col("state").cast(pl.String))
    # join_asof needs both sides sorted by (agent, time); the sorts are the guarantee.
    spans = sensitive.select(
        "agent_id", pl.col("start").alias("_x_start"), pl.col("end").alias("_x_end")
    ).sort("agent_id", "_x_start")
    matched = episodes.sort("agent_id", "end").join_asof(
        spans,
        left_on="end",
        right_on="_x_start",
        by="agent_id",
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    overlaps = (pl.col("_x_end") > pl.col("start")).fill_null(value=False)
    return matched.with_columns(
        pl.when(overlaps)
        .then(pl.lit(OTHER))
        .otherwise(pl.col("state").cast(pl.String))
        .alias("state")
    ).drop("_x_start", "_x_end")


def _episode_atoms(episodes: pl.DataFrame) -> pl.DataFrame:
    """Per agent, shift and day: episode counts and time per pause state, ``OTHER`` included."""
    states = [*(s.value for s in sorted(NON_PRODUCTIVE_STATES)), OTHER]
    return episodes.group_by(_KEYS).agg(
        expr
        for state in states
        for expr in (
            (pl.col("state") == state).sum().cast(pl.Int64).alias(f"{state.lower()}_episodes"),
            pl.col("duration_ms")
            .filter(pl.col("state") == state)
            .sum()
            .cast(pl.Int64)
            .alias(f"{state.lower()}_episode_ms"),
        )
    )


def _on_shift_days(frame: pl.DataFrame, shift_days: pl.DataFrame) -> pl.DataFrame:
    """``frame``'s ``local_date`` moved onto its shift's days (``_shift_days``).

    The engine gives time in a shift's conformance window before its first or after its
    last day to that day; it belongs to the nearest day of the shift. Without
    ``split_at_midnight`` every row lands on the day the shift starts. Adds ``shift_date``.
    """
    spans = shift_days.select("agent_id", "shift_id", "first_day", "last_day").unique()
    return (
        frame.join(spans, on=["agent_id", "shift_id"], how="left")
        .with_columns(
            pl.col("local_date").clip(pl.col("first_day"), pl.col("last_day")),
            pl.col("first_day").alias("shift_date"),
        )
        .drop("first_day", "last_day")
    )


def build_tables(
    intervals: pl.DataFrame,
    schedule: pl.DataFrame,
    roster: pl.DataFrame,
    *,
    codes: dict[str, int],
    options: MetricOptions,
    sensitive_reasons: frozenset[str],
    incidents: pl.DataFrame | None = None,
    as_of: datetime | None = None,
) -> Tables:
    """Validate the inputs, run the engine, fold sensitive time and key atoms by day.

    Figures are attributed to local days as ``options.split_at_midnight`` says (metrics.md
    §5): the day a shift starts on, or each local day its activities touch. Scheduled time
    inside ``incidents`` (validated ``Incident`` rows) is neutral for the agents there.
    ``as_of`` ends observation (default: the latest interval end); the buckets of one data
    set share one, so that their tables add up to the whole's.
    """
    intervals = validate(intervals, StateInterval)
    schedule = validate(schedule, ScheduledActivity)
    roster = validate(roster, Roster)
    if incidents is not None and not incidents.is_empty():
        schedule = neutral_schedule(schedule, incidents, roster, time_zone=options.time_zone)
    shift_days = _shift_days(schedule, options)
    membership = _membership(shift_days, roster, codes, options.time_zone)
    fold = _sensitive(intervals, sensitive_reasons)
    run = sweep(intervals, schedule, options=options, as_of=as_of, fold=fold)
    per_shift = run.figures()
    flagged = intervals.with_columns(_sensitive(intervals, sensitive_reasons).alias("_sensitive"))
    sensitive = flagged.filter(pl.col("_sensitive")).drop("_sensitive")
    episodes = _with_late_start(run.pause_episodes(), intervals, schedule)
    episodes = _on_shift_days(_fold_episodes(episodes, sensitive), shift_days)
    episode_atoms = _episode_atoms(episodes)
    other = pl.lit(0, dtype=pl.Int64).alias("other_ms")
    if not sensitive.is_empty():
        as_of = datetime.fromtimestamp(run.as_of_ms / 1000, tz=UTC)
        folded = (
            sweep(sensitive, schedule, options=options, as_of=as_of)
            .figures()
            .select(*_KEYS, *[pl.col(c).alias(f"_x_{c}") for c in _STATE_ATOMS])
        )
        per_shift = per_shift.join(folded, on=_KEYS, how="left")
        other = pl.sum_horizontal(pl.col(f"_x_{c}").fill_null(0) for c in _STATE_ATOMS)
        per_shift = per_shift.with_columns(
            *[pl.col(c) - pl.col(f"_x_{c}").fill_null(0) for c in _STATE_ATOMS],
            other.alias("other_ms"),
        ).drop(f"_x_{c}" for c in _STATE_ATOMS)
    else:
        per_shift = per_shift.with_columns(other)
    episode_columns = [c for c in episode_atoms.columns if c not in _KEYS]
    summed = [c for c in ATOMS if c != "shifts"]
    engine_columns = [c for c in summed if c not in episode_columns]
    per_shift = (
        _on_shift_days(per_shift, shift_days)
        .group_by(*_KEYS, "shift_date")
        .agg(pl.col(engine_columns).sum())
        .join(episode_atoms, on=_KEYS, how="left")
        .with_columns(pl.col(episode_columns).fill_null(0))
        .select(*_KEYS, "shift_date", *summed)
        .sort(_KEYS)
    )
    per_day = per_shift.group_by("agent_id", "local_date").agg(pl.col(summed).sum())
    days = membership.join(per_day, on=["agent_id", "local_date"], how="left").with_columns(
        pl.col(summed).fill_null(0)
    )
    dimensions = membership.drop("shifts", *ATOMS, strict=False)
    episodes = episodes.select(
        "agent_id", "shift_id", "local_date", "state", "duration_ms", "late_start",
        "system_reason",
    ).join(dimensions, on=["agent_id", "local_date"])  # fmt: skip
    threshold = options.exception_threshold_ms
    exceptions = _on_shift_days(run.exceptions(short=True), shift_days).with_columns(
        (pl.col("raw_ms") <= threshold).alias("under_threshold")
    )
    slot_rows = (
        _on_shift_days(run.slots(), shift_days)
        .group_by("agent_id", "local_date", "half_hour")
        .agg(pl.col(SLOT_ATOMS).sum())
    )
    slots = dimensions.join(slot_rows, on=["agent_id", "local_date"]).sort(
        AGENT_CODE, DAY, "half_hour"
    )
    scheduled = _scheduled(schedule, shift_days, membership)
    return Tables(
        days=days,
        episodes=episodes,
        exceptions=exceptions,
        shifts=per_shift,
        slots=slots,
        scheduled=scheduled,
        possible=Possible.of(slots, scheduled, outside_shift=options.count_work_outside_shift),
    )


def _scheduled(
    schedule: pl.DataFrame, shift_days: pl.DataFrame, membership: pl.DataFrame
) -> pl.DataFrame:
    """Per (agent, day) pair: the counted activities of the shifts attributed to it."""
    counted = pl.col("counts_for_adherence") & (pl.col("activity") != Activity.TIME_OFF.value)
    per_shift = (
        schedule.filter(counted)
        .group_by("agent_id", "shift_id")
        .agg(pl.col("activity").cast(pl.String).str.to_lowercase().unique().alias("activities"))
    )
    return (
        shift_days.select("agent_id", "shift_id", "local_date")
        .join(per_shift, on=["agent_id", "shift_id"])
        .explode("activities")
        .join(
            membership.select("agent_id", "local_date", AGENT_CODE, DAY),
            on=["agent_id", "local_date"],
        )
        .group_by(AGENT_CODE, DAY)
        .agg(pl.col("activities").unique().sort())
        .sort(AGENT_CODE, DAY)
    )
