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
from adherence.privacy.query import ORG_DIMENSIONS
from adherence.schemas import Roster, ScheduledActivity, StateInterval, validate

__all__ = ["Tables", "build_tables"]

AGENT_CODE = "_agent"
DAY = "_day"


@dataclass(frozen=True)
class Tables:
    """Private tables of one workspace (never released as they are)."""

    figures: pl.DataFrame
    """Per agent and shift: codes, local date, calendar and roster dimensions, sums."""
    episodes: pl.DataFrame
    """Per pause episode: codes, local date, dimensions, ``state`` and ``duration_ms``."""
    exceptions: pl.DataFrame
    """Per adherence exception: agent id, shift, local date, times and lengths."""
    sensitive_states: frozenset[str]
    """Pause states in which a sensitive reason code occurs (G12)."""


def _membership(
    schedule: pl.DataFrame, roster: pl.DataFrame, codes: dict[str, int], zone: str
) -> pl.DataFrame:
    """One row per agent and shift: local date and roster attributes on that date."""
    shifts = (
        schedule.group_by("agent_id", "shift_id")
        .agg(pl.col("start").min())
        .with_columns(local_date=pl.col("start").dt.convert_time_zone(zone).dt.date())
        .drop("start")
    )
    on_date = (pl.col("valid_from") <= pl.col("local_date")) & (
        pl.col("valid_to").is_null() | (pl.col("local_date") <= pl.col("valid_to"))
    )
    attributes = roster.select("agent_id", "valid_from", "valid_to", *ORG_DIMENSIONS)
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
    episodes = run.pause_episodes().select("agent_id", "shift_id", "state", "duration_ms")
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
