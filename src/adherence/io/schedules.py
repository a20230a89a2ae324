r"""Schedules: one row per planned activity of one agent.

| column | aliases (case-insensitive) |
| --- | --- |
| ``agent_id`` | ``agent``, ``login``, ``employee_id``, ``ansattnr`` |
| ``start`` | ``start_time``, ``starttid``, ``fra`` |
| ``end`` | ``end_time``, ``sluttid``, ``til`` |
| ``activity`` | ``activity_name``, ``aktivitet``, ``type`` |
| ``shift_id`` (optional) | ``shift``, ``vakt``, ``vakt_id`` |
| ``counts_for_adherence`` (optional) | ``counts``, ``teller`` |

Activities are matched case- and blank-insensitively against the canonical names (``OPEN``,
``BREAK``, ``MEAL``, ``MEETING``, ``TRAINING``, ``OFF_QUEUE_WORK``, ``TIME_OFF``) and
``DEFAULT_ACTIVITY_NAMES``; a site adds its own names with ``activity_names=``. An unknown
activity is quarantined (``unknown_activity``).

A ``shift_id`` is often built from a login id (``ag2832-20260309``): like ``agent_id`` it
becomes a keyed pseudonym at ingest (privacy.md G11), the same for every row of the shift.
Without ``shift_id``, each agent's activities that follow one another without a gap form one
shift, named after its (pseudonymous) agent and start instant. Without
``counts_for_adherence``, every activity but ``TIME_OFF`` counts. Times follow the rules of
``iws`` (naive local times in ``time_zone``; a start or end in the spring-forward gap is
quarantined; starts and ends in the fall-back hour are settled together by the agent's row
order, and one no order settles is quarantined as ``ambiguous_local_time``).

Examples
--------
>>> from adherence.io import read_schedule
>>> csv = b"agent_id,start,end,activity\n" \
...       b"ag9,2026-03-29T00:00:00,2026-03-29T06:00:00,Telefon\n" \
...       b"ag9,2026-10-25T00:00:00,2026-10-25T06:00:00,Telefon\n"
>>> plan = read_schedule(csv, key="a steward's secret key")
>>> hours = (plan.valid["end"] - plan.valid["start"]).dt.total_hours().to_list()
>>> hours
[5, 7]
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from adherence._timeparse import check_zone
from adherence.ingest import (
    Check,
    Ingest,
    LazyIngest,
    interval_instants,
    reopenable,
    resolved_times,
    split_rows,
    text_column,
)
from adherence.io._table import Encoding, RawTable, Source, open_table
from adherence.mapping import normalise_status
from adherence.pseudonym import Pseudonymiser, agent_time_order, key_fingerprint
from adherence.reasons import QuarantineReason, RepairKind
from adherence.schemas import ScheduledActivity
from adherence.states import ACTIVITY_DTYPE, Activity

__all__ = ["DEFAULT_ACTIVITY_NAMES", "SCHEDULE_COLUMNS", "read_schedule", "scan_schedule"]

#: Canonical column to the header names that mean it.
SCHEDULE_COLUMNS: dict[str, tuple[str, ...]] = {
    "agent_id": ("agent", "login", "employee_id", "ansattnr"),
    "start": ("start_time", "starttid", "fra"),
    "end": ("end_time", "sluttid", "til"),
    "activity": ("activity_name", "aktivitet", "type"),
    "shift_id": ("shift", "vakt", "vakt_id"),
    "counts_for_adherence": ("counts", "teller"),
}

#: Common site names for activities (English and Norwegian WFM exports).
DEFAULT_ACTIVITY_NAMES: Mapping[str, Activity] = {
    "phone": Activity.OPEN,
    "telefon": Activity.OPEN,
    "open": Activity.OPEN,
    "on queue": Activity.OPEN,
    "chat": Activity.OPEN,
    "pause": Activity.BREAK,
    "break": Activity.BREAK,
    "lunch": Activity.MEAL,
    "lunsj": Activity.MEAL,
    "meal": Activity.MEAL,
    "møte": Activity.MEETING,
    "meeting": Activity.MEETING,
    "opplæring": Activity.TRAINING,
    "kurs": Activity.TRAINING,
    "training": Activity.TRAINING,
    "back office": Activity.OFF_QUEUE_WORK,
    "etterarbeid": Activity.OFF_QUEUE_WORK,
    "fri": Activity.TIME_OFF,
    "ferie": Activity.TIME_OFF,
    "time off": Activity.TIME_OFF,
}

_TRUE = ("true", "1", "yes", "y", "ja", "j", "t")
_FALSE = ("false", "0", "no", "n", "nei", "f")


def scan_schedule(
    source: Source,
    *,
    key: bytes | str,
    time_zone: str = "Europe/Oslo",
    activity_names: Mapping[str, Activity | str] | None = None,
    separator: str | None = None,
    encoding: Encoding | None = None,
    timestamp_format: str | None = None,
) -> LazyIngest:
    """Open a schedule lazily as ``ScheduledActivity`` rows.

    Parameters
    ----------
    source
        A CSV or Parquet file, or its bytes.
    key
        The steward's pseudonymisation key (the same as for the status logs).
    time_zone
        The IANA zone of naive local times.
    activity_names
        Site activity names to canonical activities, added to ``DEFAULT_ACTIVITY_NAMES``.
    separator, encoding
        Override what is detected.
    timestamp_format
        The one ``strftime`` format of every time (e.g. ``"%d.%m.%y %H:%M"``); default: the
        accepted formats, where a two-digit year is quarantined (``two_digit_year``).
    """
    zone = check_zone(time_zone)
    raw = open_table(
        source,
        aliases=SCHEDULE_COLUMNS,
        required=("agent_id", "start", "end", "activity"),
        separator=separator,
        encoding=encoding,
    )

    def build(raw: RawTable) -> LazyIngest:
        names = {**DEFAULT_ACTIVITY_NAMES, **(activity_names or {})}
        table = {normalise_status(a.value): a.value for a in Activity}
        table |= {
            normalise_status(name): Activity(str(a).upper()).value for name, a in names.items()
        }
        frame = raw.frame
        for optional in ("shift_id", "counts_for_adherence"):
            if optional not in raw.dtypes:
                frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(optional))
        counts_text = text_column("counts_for_adherence").str.to_lowercase()
        pseudonymiser = Pseudonymiser(key)
        frame = frame.with_columns(
            pseudonymiser.expr("agent_id"),
            # A shift id built from a login id is an identifier too (G11).
            text_column("shift_id").map_batches(
                pseudonymiser.series, return_dtype=pl.String, is_elementwise=True
            ),
            text_column("activity")
            .str.to_lowercase()
            .str.replace_all(r"[\s_]+", "")
            .replace_strict(table, default=None, return_dtype=pl.String)
            .alias("_activity"),
            pl.when(counts_text.is_in(_TRUE))
            .then(pl.lit(value=True))
            .when(counts_text.is_in(_FALSE))
            .then(pl.lit(value=False))
            .alias("_counts"),
        )
        frame, time_checks = interval_instants(
            frame, raw, time_zone=zone, timestamp_format=timestamp_format
        )
        checks = [
            Check("agent_id", QuarantineReason.MISSING_VALUE, pl.col("agent_id").is_null()),
            *time_checks,
            Check(
                "end",
                QuarantineReason.INVALID_INTERVAL,
                pl.col("_end") == pl.col("_start"),
                pl.col("end").cast(pl.String),
            ),
            Check("activity", QuarantineReason.MISSING_VALUE, pl.col("activity").is_null()),
            Check(
                "activity",
                QuarantineReason.UNKNOWN_ACTIVITY,
                pl.col("_activity").is_null(),
                pl.col("activity").cast(pl.String),
            ),
            Check(
                "counts_for_adherence",
                QuarantineReason.INVALID_VALUE,
                pl.col("counts_for_adherence").is_not_null() & pl.col("_counts").is_null(),
                pl.col("counts_for_adherence").cast(pl.String),
            ),
        ]
        return split_rows(
            frame,
            checks,
            raw=raw,
            kind="schedule",
            model=ScheduledActivity,
            valid_columns=[
                pl.col("agent_id"),
                text_column("shift_id").alias("shift_id"),
                pl.col("_start").alias("start"),
                pl.col("_end").alias("end"),
                pl.col("_activity").cast(ACTIVITY_DTYPE).alias("activity"),
                pl.col("_counts")
                .fill_null(pl.col("_activity") != Activity.TIME_OFF.value)
                .alias("counts_for_adherence"),
            ],
            sort_by=[agent_time_order("start")],
            repairs={RepairKind.AMBIGUOUS_TIME_RESOLVED: resolved_times()},
            finish=_with_shift_ids,
            key_fingerprint=key_fingerprint(key),
        )

    return reopenable(raw, "schedule", build)


def _with_shift_ids(activities: pl.LazyFrame) -> pl.LazyFrame:
    """Name missing shift ids: activities of one agent without a gap between them are a shift."""
    ordered = activities.sort("agent_id", "start")
    new_block = (pl.col("start") > pl.col("end").shift(1)).over("agent_id").fill_null(value=True)
    derived = pl.concat_str(
        pl.col("agent_id"),
        pl.lit("@"),
        pl.col("_block_start").dt.strftime("%Y-%m-%dT%H:%MZ"),
    )
    return (
        ordered.with_columns(
            pl.when(new_block)
            .then(pl.col("start"))
            .forward_fill()
            .over("agent_id")
            .alias("_block_start")
        )
        .with_columns(pl.coalesce(pl.col("shift_id"), derived).alias("shift_id"))
        .drop("_block_start")
    )


def read_schedule(
    source: Source,
    *,
    key: bytes | str,
    time_zone: str = "Europe/Oslo",
    activity_names: Mapping[str, Activity | str] | None = None,
    separator: str | None = None,
    encoding: Encoding | None = None,
    timestamp_format: str | None = None,
) -> Ingest:
    """Read a schedule eagerly; see ``scan_schedule`` for the parameters."""
    return scan_schedule(
        source,
        key=key,
        time_zone=time_zone,
        activity_names=activity_names,
        separator=separator,
        encoding=encoding,
        timestamp_format=timestamp_format,
    ).collect()
