r"""Genesys Interaction Workspace (IWS) style status logs.

What contact centres on Genesys Engage export (Stat Server, CCPulse+ or an Info Mart query)
when they want the statuses agents pick in Interaction Workspace. Two shapes:

**Event rows** (``scan_iws``, ``read_iws``): one row per status change.

| column | aliases (case-insensitive) |
| --- | --- |
| ``timestamp`` | ``time``, ``ts``, ``event_time``, ``tidspunkt``, ``dato_tid`` |
| ``agent_id`` | ``agent``, ``login``, ``employee_id``, ``ansattnr`` |
| ``status`` | ``state``, ``agent_state``, ``tilstand`` |
| ``reason`` (optional) | ``reason_code``, ``aarsak``, ``årsak`` |

**State detail rows** (``scan_iws_state_detail``, ``read_iws_state_detail``): one row
per state with ``start`` and either ``duration`` (seconds, or ``[h:]mm:ss``) or ``end``.

Any other column (``agent_name``, ``team``, phone, e-mail, ...) is not read.

Time semantics: a timestamp with an offset or ``Z`` is exact; a naive one (ISO 8601 or
``dd.mm.yyyy HH:MM[:SS]``) is a local wall-clock time in ``time_zone`` (default
``Europe/Oslo``). A local time in the spring-forward gap is quarantined
(``nonexistent_local_time``); one in the fall-back hour is read by the agent's own row order
when exactly one reading keeps that agent's times non-decreasing, else quarantined
(``ambiguous_local_time``).

Malformed rows: a row with an empty or unreadable time, agent or status is quarantined with a
reason code, never dropped; a row with fewer fields than the header has its missing fields
empty, one with more has the extra fields ignored. Delimiter (``,`` ``;`` tab ``|``),
encoding (decided on the whole file: UTF-8 with or without BOM, UTF-16 with BOM, else
``charset-normalizer``, Windows-1252 where it ties), LF, CRLF or CR-only line ends and quotes
are detected; a stray quote, bytes the encoding cannot decode or a field over 1,000
characters quarantine their row, not the file (see ``io._table``). Valid UTF-8 files are
scanned lazily; other files are transcoded to UTF-8 in memory first, so for very large
exports prefer UTF-8 or Parquet. A date with a two-digit year is quarantined unless
``timestamp_format=`` names the format.

Examples
--------
>>> from adherence.io import read_iws
>>> csv = (
...     "tidspunkt;ansattnr;navn;tilstand\r\n"
...     "29.03.2026 07:58:00;ag1;Kari;Log On\r\n"
...     "29.03.2026 08:01:30;ag1;Kari;Ready\r\n"
...     "29.03.2026 02:30:00;ag2;Ola;Ready\r\n"
... ).encode("cp1252")
>>> log = read_iws(csv, key="a steward's secret key")
>>> log.report.rows_in, log.report.rows_valid, dict(log.report.quarantine_reasons)
(3, 2, {'nonexistent_local_time': 1})
>>> log.valid["state"].to_list()
['AWAY', 'READY']
>>> "navn" in log.valid.columns or "Kari" in str(log.valid)
False
"""

from __future__ import annotations

import polars as pl

from adherence._timeparse import check_zone
from adherence.ingest import (
    Check,
    Ingest,
    LazyIngest,
    ingest_events,
    interval_instants,
    reopenable,
    resolved_times,
    split_rows,
    text_column,
)
from adherence.io._table import Encoding, RawTable, Source, open_table
from adherence.mapping import StatusMapping
from adherence.pseudonym import Pseudonymiser, agent_time_order, key_fingerprint
from adherence.reasons import QuarantineReason, RepairKind
from adherence.schemas import SourceInterval
from adherence.states import State

__all__ = [
    "EVENT_COLUMNS",
    "STATE_DETAIL_COLUMNS",
    "read_iws",
    "read_iws_state_detail",
    "scan_iws",
    "scan_iws_state_detail",
]

#: Canonical column to the header names that mean it (event rows).
EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "timestamp": ("time", "ts", "event_time", "tidspunkt", "dato_tid"),
    "agent_id": ("agent", "login", "employee_id", "ansattnr"),
    "status": ("state", "agent_state", "tilstand"),
    "reason": ("reason_code", "aarsak", "årsak"),
}

#: Canonical column to the header names that mean it (state detail rows).
STATE_DETAIL_COLUMNS: dict[str, tuple[str, ...]] = {
    "start": ("start_time", "starttid", "fra", "start_ts"),
    "end": ("end_time", "sluttid", "til", "end_ts"),
    "duration": ("duration_s", "varighet", "total_duration"),
    "agent_id": EVENT_COLUMNS["agent_id"],
    "status": EVENT_COLUMNS["status"],
    "reason": EVENT_COLUMNS["reason"],
}


def scan_iws(
    source: Source,
    *,
    key: bytes | str,
    time_zone: str = "Europe/Oslo",
    mapping: StatusMapping | None = None,
    separator: str | None = None,
    encoding: Encoding | None = None,
    timestamp_format: str | None = None,
) -> LazyIngest:
    """Open an IWS-style event log lazily as ``StatusEvent`` rows.

    Parameters
    ----------
    source
        A CSV (any delimiter and encoding above) or Parquet file, or its bytes.
    key
        The steward's pseudonymisation key (at least 16 bytes).
    time_zone
        The IANA zone of naive local timestamps.
    mapping
        Raw status to canonical state; default ``default``.
    separator, encoding
        Override what is detected.
    timestamp_format
        The one ``strftime`` format of every time (e.g. ``"%d.%m.%y %H:%M"``, with ``%z`` for an
        offset); default: the accepted formats, where a two-digit year is quarantined
        (``two_digit_year``).

    Returns
    -------
    LazyIngest
        ``.valid`` and ``.quarantine`` lazy frames; ``.collect()`` reads the file once.
    """
    raw = open_table(
        source,
        aliases=EVENT_COLUMNS,
        required=("timestamp", "agent_id", "status"),
        separator=separator,
        encoding=encoding,
    )
    zone = check_zone(time_zone)
    return reopenable(
        raw,
        "iws",
        lambda raw: ingest_events(
            raw, key=key, time_zone=zone, mapping=mapping, timestamp_format=timestamp_format
        ),
    )


def read_iws(
    source: Source,
    *,
    key: bytes | str,
    time_zone: str = "Europe/Oslo",
    mapping: StatusMapping | None = None,
    separator: str | None = None,
    encoding: Encoding | None = None,
    timestamp_format: str | None = None,
) -> Ingest:
    """Read an IWS-style event log eagerly; see ``scan_iws`` for the parameters."""
    return scan_iws(
        source,
        key=key,
        time_zone=time_zone,
        mapping=mapping,
        separator=separator,
        encoding=encoding,
        timestamp_format=timestamp_format,
    ).collect()


_DURATION_HMS = r"^(?:(\d+):)?(\d{1,2}):(\d{2})$"


#: The longest duration a state detail row may have [s]; a longer one is unreadable.
MAX_DURATION_S = 31 * 24 * 3600


def _duration_ms(column: str) -> pl.Expr:
    """Seconds (``754``, ``754.5``) or ``[h:]mm:ss`` text to integer milliseconds.

    Null where unreadable: not finite (``inf``, ``NaN``) or longer than ``MAX_DURATION_S``.
    """
    text = pl.col(column).cast(pl.String).str.strip_chars()
    seconds = text.cast(pl.Float64, strict=False)
    seconds = pl.when(seconds.is_finite() & (seconds.abs() <= MAX_DURATION_S)).then(seconds)
    parts = text.str.extract_groups(_DURATION_HMS)
    hms = (
        parts.struct[0].cast(pl.Int64, strict=False).fill_null(0) * 3600
        + parts.struct[1].cast(pl.Int64, strict=False) * 60
        + parts.struct[2].cast(pl.Int64, strict=False)
    )
    hms = pl.when(hms <= MAX_DURATION_S).then(hms)
    return (pl.coalesce(seconds, hms.cast(pl.Float64)) * 1000).round().cast(pl.Int64)


def scan_iws_state_detail(
    source: Source,
    *,
    key: bytes | str,
    time_zone: str = "Europe/Oslo",
    mapping: StatusMapping | None = None,
    separator: str | None = None,
    encoding: Encoding | None = None,
    timestamp_format: str | None = None,
) -> LazyIngest:
    """Open an IWS state detail report lazily as source intervals.

    The valid rows have ``agent_id``, ``start``, ``end``, ``status``, ``reason``, ``state``,
    ``source`` and ``seq``: feed them to ``from_state_detail``, which
    resolves overlaps and merges runs. Parameters as ``scan_iws``. A row needs ``start``
    and either ``end`` or ``duration``; if both are given, ``end`` is used.
    """
    zone = check_zone(time_zone)
    mapping = mapping or StatusMapping.default()
    raw = open_table(
        source,
        aliases=STATE_DETAIL_COLUMNS,
        required=("start", "agent_id", "status"),
        separator=separator,
        encoding=encoding,
    )

    def build(raw: RawTable) -> LazyIngest:
        frame = raw.frame
        for optional in ("end", "duration", "reason"):
            if optional not in raw.dtypes:
                frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(optional))
        frame = frame.with_columns(
            Pseudonymiser(key).expr("agent_id"),
            _duration_ms("duration").alias("_duration_ms"),
        )
        frame, time_checks = interval_instants(
            frame,
            raw,
            time_zone=zone,
            duration=(text_column("duration"), pl.col("_duration_ms")),
            timestamp_format=timestamp_format,
        )
        checks = [
            *time_checks,
            Check("agent_id", QuarantineReason.MISSING_VALUE, pl.col("agent_id").is_null()),
            Check("status", QuarantineReason.MISSING_VALUE, pl.col("status").is_null()),
        ]
        valid_columns = [
            pl.col("agent_id"),
            pl.col("_start").alias("start"),
            pl.col("_end").alias("end"),
            pl.col("status"),
            pl.col("reason"),
            pl.col("state"),
            pl.lit(raw.name).alias("source"),
            pl.col("row").alias("seq"),
        ]
        return split_rows(
            frame,
            checks,
            raw=raw,
            kind="iws_state_detail",
            model=SourceInterval,
            valid_columns=valid_columns,
            sort_by=[agent_time_order("start"), "seq"],
            repairs={RepairKind.AMBIGUOUS_TIME_RESOLVED: resolved_times()},
            unmapped=pl.col("state") == State.UNMAPPED.value,
            prepare=mapping.annotate,
            key_fingerprint=key_fingerprint(key),
        )

    return reopenable(raw, "iws_state_detail", build)


def read_iws_state_detail(
    source: Source,
    *,
    key: bytes | str,
    time_zone: str = "Europe/Oslo",
    mapping: StatusMapping | None = None,
    separator: str | None = None,
    encoding: Encoding | None = None,
    timestamp_format: str | None = None,
) -> Ingest:
    """Read an IWS state detail report eagerly; see ``scan_iws_state_detail``."""
    return scan_iws_state_detail(
        source,
        key=key,
        time_zone=time_zone,
        mapping=mapping,
        separator=separator,
        encoding=encoding,
        timestamp_format=timestamp_format,
    ).collect()
