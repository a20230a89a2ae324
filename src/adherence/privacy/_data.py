"""The workspace's private tables: who worked when and where, and what they did.

``membership`` is built from public inputs only (schedule and roster): one row per agent and
shift with the shift's local date and the agent's roster attributes on that date. The
privacy decisions use nothing else (G6). ``figures`` adds the engine's additive sums to those
rows; ``episodes`` holds the pause episodes for order statistics. None of these tables ever
leaves the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from adherence._engine import ADDITIVE, sweep
from adherence.mapping import normalise_expr
from adherence.options import MetricOptions
from adherence.privacy.policy import normalise_reason
from adherence.privacy.query import ORG_DIMENSIONS, ROSTER_DIMENSIONS
from adherence.schemas import Roster, ScheduledActivity, StateInterval, validate
from adherence.states import Activity, State

__all__ = ["Tables", "build_tables"]

AGENT_CODE = "_agent"
DAY = "_day"


@dataclass(frozen=True)
class Tables:
    """Private tables of one workspace (never released as they are)."""

    figures: pl.DataFrame
    """Per agent and shift: codes, local date, calendar and roster dimensions, sums."""
    episodes: pl.DataFrame
    """Per pause episode: codes, local date, dimensions, ``state``, ``duration_ms``,
    ``late_start`` (the agent was busy when the pause was due) and ``system_reason``."""
    exceptions: pl.DataFrame
    """Per adherence exception: agent id, shift, local date, times and lengths."""
    sensitive_states: frozenset[str]
    """Pause states in which a sensitive reason code occurs (G12)."""


def _membership(
    schedule: pl.DataFrame, roster: pl.DataFrame, codes: dict[str, int], zone: str
) -> pl.DataFrame:
    """One row per agent and shift: local date, start hour and roster attributes on that date.

    ``contract`` is ``full_time`` (``contract_pct`` 100) or ``part_time``; ``start_hour`` is
    the local hour the shift starts (``"08"``).
    """
    local_start = pl.col("start").dt.convert_time_zone(zone)
    shifts = (
        schedule.group_by("agent_id", "shift_id")
        .agg(pl.col("start").min())
        .with_columns(local_date=local_start.dt.date(), start_hour=local_start.dt.strftime("%H"))
        .drop("start")
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
        .unique(["agent_id", "shift_id"], keep="first")
        .drop("valid_from", "valid_to")
    )
    unmatched = shifts.join(matched, on=["agent_id", "shift_id"], how="anti")
    rows = pl.concat([matched, unmatched], how="diagonal_relaxed")
    day = pl.col("local_date")
    return rows.with_columns(
        pl.col("agent_id").replace_strict(codes, return_dtype=pl.Int32).alias(AGENT_CODE),
        (day.cast(pl.Int32)).alias(DAY),
        day.dt.strftime("%Y-%m-%d").alias("day"),
        day.dt.strftime("%G-W%V").alias("iso_week"),
        day.dt.strftime("%Y-%m").alias("month"),
        *[pl.col(d).cast(pl.String) for d in ORG_DIMENSIONS],
    ).sort(AGENT_CODE, "local_date", "shift_id")


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


def build_tables(
    intervals: pl.DataFrame,
    schedule: pl.DataFrame,
    roster: pl.DataFrame,
    *,
    codes: dict[str, int],
    options: MetricOptions,
    sensitive_reasons: frozenset[str],
) -> Tables:
    """Validate the inputs, run the engine and key its figures by shift membership."""
    intervals = validate(intervals, StateInterval)
    schedule = validate(schedule, ScheduledActivity)
    roster = validate(roster, Roster)
    membership = _membership(schedule, roster, codes, options.time_zone)
    run = sweep(intervals, schedule, options=options)
    per_shift = run.figures().group_by("agent_id", "shift_id").agg(pl.col(ADDITIVE).sum())
    figures = membership.join(per_shift, on=["agent_id", "shift_id"], how="left").with_columns(
        pl.col(ADDITIVE).fill_null(0)
    )
    dimensions = membership.drop("local_date")
    episodes = _with_late_start(run.pause_episodes(), intervals, schedule).select(
        "agent_id", "shift_id", "state", "duration_ms", "late_start", "system_reason"
    )
    episodes = episodes.join(dimensions, on=["agent_id", "shift_id"]).with_columns(
        pl.col("state").cast(pl.String)
    )
    reasons = normalise_expr(pl.col("reason"))
    sensitive = (
        intervals.filter(reasons.is_in(sorted(normalise_reason(r) for r in sensitive_reasons)))
        .select(pl.col("state").cast(pl.String).unique())
        .to_series()
        .to_list()
    )
    return Tables(
        figures=figures,
        episodes=episodes,
        exceptions=run.exceptions(),
        sensitive_states=frozenset(sensitive),
    )


def unit_table(tables: Tables, unit: str) -> pl.DataFrame:
    """The units a rule judges: pause episodes, shifts, or each agent's ISO weeks.

    Week units sum every additive figure of the agent's shifts that start in the week and
    take the roster attributes of the week's first shift.
    """
    if unit == "episode":
        return tables.episodes
    if unit == "shift":
        return tables.figures
    first = [pl.col(c).sort_by(DAY).first() for c in (*ORG_DIMENSIONS, "month")]
    return (
        tables.figures.group_by("agent_id", AGENT_CODE, "iso_week")
        .agg(*first, pl.col(DAY).min(), pl.col(ADDITIVE).sum())
        .sort(AGENT_CODE, "iso_week")
    )
