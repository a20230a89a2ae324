"""Incidents: windows in which nobody at a site or in a team could work as scheduled.

A telephony outage, a fire drill, a system down: the scheduled time of every agent at that
site or in that team inside the window is neutral, like ``TIME_OFF`` — out of the adherence
denominator and never charged. The schedule's activities are cut at the incident's edges and
the parts inside it are marked ``counts_for_adherence=False`` before the engine runs, so every
figure downstream (atoms, self views, reports, audits) sees the same neutral time.

An agent is affected when the roster places them at the site or in the team on the local date
the incident starts. The windows are public inputs (where, when, why; never who).
"""

from __future__ import annotations

import polars as pl

from adherence.schemas import UTC_MS, Incident, validate

__all__ = ["incident_notes", "neutral_schedule", "no_incidents", "validated_incidents"]

_WINDOW = ["_n_start", "_n_end"]


def no_incidents() -> pl.DataFrame:
    """An empty table of the ``Incident`` model."""
    return pl.DataFrame(
        schema={"site": pl.String, "team": pl.String, "start": UTC_MS, "end": UTC_MS,
                "reason": pl.String}
    )  # fmt: skip


def validated_incidents(incidents: pl.DataFrame) -> pl.DataFrame:
    """``incidents`` checked against the ``Incident`` model, sorted by start.

    Columns may come in any order; they are put in the model's before the check.
    """
    order = list(Incident.to_schema().columns)
    rank = {c: i for i, c in enumerate(order)}
    columns = sorted(incidents.columns, key=lambda c: rank.get(c, len(order)))
    return validate(incidents.select(columns), Incident).sort("start", "end")


def _windows(incidents: pl.DataFrame, roster: pl.DataFrame, time_zone: str) -> pl.DataFrame:
    """Per affected agent: the incident windows (``_n_start``, ``_n_end``)."""
    day = pl.col("start").dt.convert_time_zone(time_zone).dt.date().alias("_day")
    dated = incidents.with_columns(day)
    on_date = (pl.col("valid_from") <= pl.col("_day")) & (
        pl.col("valid_to").is_null() | (pl.col("_day") <= pl.col("valid_to"))
    )
    people = roster.select("agent_id", "site", "team", "valid_from", "valid_to")
    matched = [
        dated.filter(pl.col(unit).is_not_null())
        .select("start", "end", "_day", unit)
        .join(people.drop("team" if unit == "site" else "site"), on=unit)
        .filter(on_date)
        .select("agent_id", pl.col("start").alias("_n_start"), pl.col("end").alias("_n_end"))
        for unit in ("site", "team")
    ]
    return pl.concat(matched).unique()


def neutral_schedule(
    schedule: pl.DataFrame, incidents: pl.DataFrame, roster: pl.DataFrame, *, time_zone: str
) -> pl.DataFrame:
    """``schedule`` with the time inside incidents neutral for the agents they affect.

    Each activity is cut at every incident edge strictly inside it; a part inside an incident
    (the parts never straddle an edge) gets ``counts_for_adherence=False``. Returned sorted
    by agent and start, with the ``ScheduledActivity`` columns. Both tables are validated
    ones (``ScheduledActivity``, ``Incident``); the result needs no new check.
    """
    columns = schedule.columns
    if incidents.is_empty():
        return schedule
    windows = _windows(incidents, roster, time_zone)
    rows = schedule.with_row_index("_row")
    edges = pl.concat(
        [windows.select("agent_id", pl.col(c).alias("_edge")) for c in _WINDOW]
    ).unique()
    inside = (pl.col("_edge") > pl.col("start")) & (pl.col("_edge") < pl.col("end"))
    cuts = rows.select("_row", "agent_id", "start", "end").join(edges, on="agent_id").filter(inside)
    points = pl.concat(
        [
            rows.select("_row", pl.col("start").alias("_edge")),
            rows.select("_row", pl.col("end").alias("_edge")),
            cuts.select("_row", "_edge"),
        ]
    ).sort("_row", "_edge")
    pieces = (
        points.with_columns(pl.col("_edge").shift(-1).over("_row").alias("_next"))
        .filter(pl.col("_next").is_not_null())
        .join(rows.drop("start", "end"), on="_row")
        .rename({"_edge": "start", "_next": "end"})
        .with_row_index("_piece")
    )
    within = (pl.col("_n_start") <= pl.col("start")) & (pl.col("end") <= pl.col("_n_end"))
    neutral = (
        pieces.select("_piece", "agent_id", "start", "end")
        .join(windows, on="agent_id")
        .filter(within)
        .select("_piece", pl.lit(value=True).alias("_neutral"))
        .unique()
    )
    marked = pieces.join(neutral, on="_piece", how="left").with_columns(
        (pl.col("counts_for_adherence") & ~pl.col("_neutral").fill_null(value=False)).alias(
            "counts_for_adherence"
        )
    )
    return marked.select(columns).sort("agent_id", "start")


def incident_notes(
    incidents: pl.DataFrame, *, time_zone: str, first: object = None, last: object = None
) -> list[str]:
    """One line per incident (reason, local window, where) overlapping ``[first, last]``.

    ``first`` and ``last`` are local dates (``None``: unbounded).
    """
    local = {c: pl.col(c).dt.convert_time_zone(time_zone) for c in ("start", "end")}
    keep = pl.lit(value=True)
    if first is not None:
        keep &= local["end"].dt.date() >= pl.lit(first)
    if last is not None:
        keep &= local["start"].dt.date() <= pl.lit(last)
    where = (
        pl.when(pl.col("site").is_not_null())
        .then(pl.lit("site ") + pl.col("site"))
        .otherwise(pl.lit("team ") + pl.col("team"))
    )
    text = pl.format(
        "incident applied: {}, {} to {} ({}); that time is neutral for everyone scheduled there",
        pl.col("reason"),
        local["start"].dt.strftime("%Y-%m-%d %H:%M"),
        local["end"].dt.strftime("%Y-%m-%d %H:%M"),
        where,
    )
    return incidents.filter(keep).select(text).to_series().to_list()
