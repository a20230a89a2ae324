"""Ingest: from an opened source to valid canonical rows, a quarantine and a report.

Every input row ends in exactly one place: the valid table, or the quarantine with the first
reason found (see ``QuarantineReason``). ``rows_in`` is counted from the
source independently, and ``IngestReport`` refuses to exist unless
``rows_in == rows_valid + rows_quarantined``.

At ingest agent ids become keyed pseudonyms (``pseudonym``) and only canonical
columns survive, so names, phone numbers and e-mail addresses never enter a canonical table.

Readers in ``io`` return a ``LazyIngest`` (``scan_*``) or an ``Ingest``
(``read_*``, the same plan collected).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import polars as pl

from adherence._timeparse import (
    AMBIGUOUS,
    EXACT,
    NONEXISTENT,
    TWO_DIGIT_YEAR,
    UNPARSEABLE,
    parse_instants,
    resolve_ambiguous,
)
from adherence.errors import AdherenceError, MostlyQuarantinedWarning, ParseError
from adherence.io._table import ISSUE, ISSUE_COLUMN, ISSUE_VALUE, RawTable
from adherence.mapping import StatusMapping
from adherence.pseudonym import Pseudonymiser, agent_time_order
from adherence.reasons import QuarantineReason, RepairKind
from adherence.schemas import UTC_MS, CanonicalModel, Quarantine, StatusEvent, validate
from adherence.states import State

__all__ = [
    "Check",
    "Ingest",
    "IngestReport",
    "Kind",
    "LazyIngest",
    "ingest_events",
    "interval_instants",
    "reopenable",
    "resolved_times",
    "split_rows",
    "text_column",
    "time_checks",
]

#: How many unmapped statuses a report's ``to_dict`` lists, and how long each may be.
REPORT_MAX_STATUSES, REPORT_MAX_CHARS = 100, 100

#: What an ingest read.
Kind = Literal["iws", "iws_state_detail", "schedule", "roster"]


@dataclass(frozen=True)
class IngestReport:
    """What happened to every row of one source.

    Attributes
    ----------
    source
        The source's file name.
    kind
        Which table the rows were read into.
    rows_in, rows_valid, rows_quarantined
        Row counts; ``rows_in == rows_valid + rows_quarantined`` always.
    quarantine_reasons
        Quarantined rows by reason code.
    repairs
        Corrections by ``RepairKind`` (only non-zero kinds).
    unmapped_statuses
        Raw statuses the mapping did not know, with their row counts: extend the mapping.
    agents
        Distinct (pseudonymous) agents among the valid rows.
    encoding
        The text encoding the source was read in (``None`` for Parquet, Excel and frames).
    key_fingerprint
        The fingerprint of the pseudonymisation key the ids were hashed with
        (``adherence.pseudonym.key_fingerprint``; a keyed hash, never the key). A workspace
        refuses data whose fingerprint is not its store's (G15).
    """

    source: str
    kind: Kind
    rows_in: int
    rows_valid: int
    rows_quarantined: int
    quarantine_reasons: Mapping[str, int] = field(default_factory=dict)
    repairs: Mapping[str, int] = field(default_factory=dict)
    unmapped_statuses: Mapping[str, int] = field(default_factory=dict)
    agents: int = 0
    encoding: str | None = None
    key_fingerprint: str | None = None

    def __post_init__(self) -> None:
        if self.rows_in != self.rows_valid + self.rows_quarantined:
            raise AdherenceError(
                f"{self.source}: {self.rows_in} rows in, but {self.rows_valid} valid and "
                f"{self.rows_quarantined} quarantined",
                hint="this is a bug in adherence; please report it with the file's shape",
            )

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data, bounded in size.

        ``unmapped_statuses`` lists at most ``REPORT_MAX_STATUSES`` statuses, the most
        frequent, each cut to ``REPORT_MAX_CHARS`` characters; ``unmapped_statuses_omitted``
        counts the others. A file of garbage statuses cannot make the report huge.
        """
        ranked = sorted(self.unmapped_statuses.items(), key=lambda kv: (-kv[1], kv[0]))
        shown: dict[str, int] = {}
        for status, count in ranked[:REPORT_MAX_STATUSES]:
            cut = status[:REPORT_MAX_CHARS]
            shown[cut] = shown.get(cut, 0) + count
        return {
            "source": self.source,
            "kind": self.kind,
            "rows_in": self.rows_in,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "quarantine_reasons": dict(self.quarantine_reasons),
            "repairs": dict(self.repairs),
            "unmapped_statuses": shown,
            "unmapped_statuses_omitted": max(0, len(ranked) - REPORT_MAX_STATUSES),
            "agents": self.agents,
            "encoding": self.encoding,
            "key_fingerprint": self.key_fingerprint,
        }

    def to_json(self) -> str:
        """Return ``to_dict`` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def __str__(self) -> str:
        lines = [
            f"{self.source} ({self.kind}): {self.rows_in} rows in, {self.rows_valid} valid, "
            f"{self.rows_quarantined} quarantined, {self.agents} agents"
            + ("" if self.encoding is None else f", read as {self.encoding}"),
        ]
        lines += [f"  quarantined {k}: {v}" for k, v in sorted(self.quarantine_reasons.items())]
        lines += [f"  repaired {k}: {v}" for k, v in sorted(self.repairs.items())]
        shown = self.to_dict()
        lines += [
            f"  unmapped status {k!r}: {v}" for k, v in sorted(shown["unmapped_statuses"].items())
        ]
        if shown["unmapped_statuses_omitted"]:
            lines.append(f"  ... and {shown['unmapped_statuses_omitted']} more unmapped statuses")
        return "\n".join(lines)


@dataclass(frozen=True)
class Ingest:
    """A source read eagerly: its valid rows, its quarantine and the report.

    Attributes
    ----------
    valid
        The valid rows as the canonical table (validated against its pandera model).
    quarantine
        One row per unusable input row (the ``Quarantine`` table).
    report
        Counts that reconcile.
    """

    valid: pl.DataFrame
    quarantine: pl.DataFrame
    report: IngestReport

    @property
    def key_fingerprint(self) -> str | None:
        """The fingerprint of the pseudonymisation key of the ids (see ``IngestReport``)."""
        return self.report.key_fingerprint

    def __repr__(self) -> str:
        return (
            f"<Ingest {self.report.kind} {self.report.source}: {self.valid.height} valid, "
            f"{self.quarantine.height} quarantined>"
        )


@dataclass(frozen=True)
class LazyIngest:
    """A source opened lazily; nothing is read until ``collect``.

    ``valid`` and ``quarantine`` are lazy frames to compose with further lazy work.
    ``collect`` reads and parses the source once, classifies every row of that
    materialised frame, and derives the valid rows, the quarantine and every count of the
    report from the classified frame.
    """

    source: str
    kind: Kind
    model: type[CanonicalModel]
    _parsed: pl.LazyFrame
    _classify: Callable[[pl.LazyFrame | pl.DataFrame], pl.LazyFrame]
    _rows_in: pl.LazyFrame
    _valid_columns: Sequence[pl.Expr]
    _sort_by: Sequence[str | pl.Expr]
    _checks: Sequence[Check]
    _repairs: Mapping[str, pl.Expr]
    _unmapped: pl.Expr | None = None
    _finish: Callable[[pl.LazyFrame], pl.LazyFrame] | None = None
    encoding: str | None = None
    key_fingerprint: str | None = None
    _lines: pl.LazyFrame | None = None
    _by_lines: Callable[[], LazyIngest] | None = None

    @property
    def valid(self) -> pl.LazyFrame:
        """The valid rows as the canonical table, sorted by its keys.

        For delimited text this first counts the file's records and lines (a quick pass) to
        choose between the fast parser and the line-by-line one (see ``io``).
        """
        chosen = self._chosen()
        return chosen._valid_from(chosen._classify(chosen._parsed).pipe(chosen._moved))

    @property
    def quarantine(self) -> pl.LazyFrame:
        """One row per unusable input row, sorted by ``row`` (see ``valid``)."""
        chosen = self._chosen()
        return chosen._quarantine_from(chosen._classify(chosen._parsed))

    def _chosen(self) -> LazyIngest:
        """Return this plan, or the line-by-line one if the fast parser merged or broke lines."""
        if self._lines is None or self._by_lines is None:
            return self
        try:
            rows_in, lines = pl.collect_all([self._rows_in, self._lines], engine="in-memory")
        except pl.exceptions.PolarsError:
            return self._by_lines()
        return self if rows_in.item() == lines.item() else self._by_lines()

    def _constant(self) -> list[bool]:
        # Constant columns (the source's name) are added after the sort: not moved by it.
        return [e.meta.is_literal(allow_aliasing=True) for e in self._valid_columns]

    def _moved(self, classified: pl.LazyFrame) -> pl.LazyFrame:
        """The valid rows' columns that vary, unsorted."""
        moved = [e for e, c in zip(self._valid_columns, self._constant(), strict=True) if not c]
        return classified.filter(pl.col("_reason").is_null()).select(moved)

    def _valid_from(self, moved: pl.LazyFrame) -> pl.LazyFrame:
        """The canonical table from ``_moved``: sorted, constants added, finished."""
        columns = self._valid_columns
        constant = [e for e, c in zip(columns, self._constant(), strict=True) if c]
        valid = (
            moved.sort(self._sort_by)
            .with_columns(constant)
            .select(e.meta.output_name() for e in columns)
        )
        return valid if self._finish is None else self._finish(valid)

    def _quarantine_from(self, classified: pl.LazyFrame) -> pl.LazyFrame:
        # Which column and value to report is worked out for quarantined rows only.
        column: pl.Expr = pl.lit(None, dtype=pl.String)
        value: pl.Expr = pl.lit(None, dtype=pl.String)
        for check in reversed(self._checks):
            shown = pl.lit(None, dtype=pl.String) if check.value is None else check.value
            named = check.column if isinstance(check.column, pl.Expr) else pl.lit(check.column)
            column = pl.when(check.failed).then(named).otherwise(column)
            value = pl.when(check.failed).then(shown.cast(pl.String)).otherwise(value)
        return (
            classified.filter(pl.col("_reason").is_not_null())
            .select(
                pl.col("row"),
                column.alias("column"),
                pl.col("_reason").alias("reason"),
                value.alias("value"),
                pl.lit(self.source).alias("source"),
            )
            .sort("row")
        )

    def collect(self) -> Ingest:
        """Read the source once and return the eager ``Ingest``.

        Warns ``MostlyQuarantinedWarning`` when more than half of the rows are quarantined.

        Raises
        ------
        ParseError
            If the source cannot be read at all (bad rows are quarantined, not raised).
        """
        chosen = self._chosen()
        try:
            result = chosen._collect()
        except ParseError:
            if chosen is not self or self._by_lines is None:
                raise
            result = self._by_lines()._collect()  # the fast parser failed: read line by line
        report = result.report
        if report.rows_quarantined * 2 > report.rows_in:
            warnings.warn(
                MostlyQuarantinedWarning(
                    f"{report.source}: {report.rows_quarantined} of {report.rows_in} rows "
                    f"quarantined ({dict(report.quarantine_reasons)}); check the separator, "
                    "encoding, time zone and timestamp format"
                ),
                stacklevel=2,
            )
        return result

    def _collect(self) -> Ingest:
        with polars_errors(self.source, self.kind):
            return self._collect_unchecked()

    def _collect_unchecked(self) -> Ingest:
        parsed, rows_in = pl.collect_all([self._parsed, self._rows_in], engine="in-memory")
        classified = self._classify(parsed).collect(engine="in-memory")
        del parsed  # the classified frame holds what is still needed
        in_memory = classified.lazy()
        good = in_memory.filter(pl.col("_reason").is_null())
        counted = dict(self._repairs)
        unmapped_plan = pl.LazyFrame(schema={"status": pl.String, "len": pl.UInt32})
        if self._unmapped is not None:
            counted[RepairKind.UNMAPPED_STATUS.value] = self._unmapped
            unmapped_plan = good.filter(self._unmapped).group_by("status").len().sort("status")
        valid, quarantine, repairs, unmapped_statuses = pl.collect_all(
            [
                self._valid_from(in_memory.pipe(self._moved)),
                self._quarantine_from(in_memory),
                good.select(
                    pl.lit(0).alias("_none"),  # keeps the frame one row when nothing is counted
                    *[e.sum().cast(pl.Int64).alias(k) for k, e in counted.items()],
                ),
                unmapped_plan,
            ],
            # The data is in memory already; the in-memory engine sorts it about twice as
            # fast as the streaming one.
            engine="in-memory",
        )
        validate(valid, self.model)
        validate(quarantine, Quarantine)
        reasons = quarantine.group_by("reason").len().sort("reason")
        report = IngestReport(
            source=self.source,
            kind=self.kind,
            rows_in=int(rows_in.item()),
            rows_valid=valid.height,
            rows_quarantined=quarantine.height,
            quarantine_reasons=dict(zip(reasons["reason"], reasons["len"], strict=True)),
            repairs={
                k: int(v) for k, v in repairs.row(0, named=True).items() if k != "_none" and v
            },
            unmapped_statuses=dict(
                zip(unmapped_statuses["status"], unmapped_statuses["len"], strict=True)
            ),
            agents=valid["agent_id"].n_unique(),
            encoding=self.encoding,
            key_fingerprint=self.key_fingerprint,
        )
        return Ingest(valid, quarantine, report)


@contextmanager
def polars_errors(source: str, kind: str) -> Iterator[None]:
    """Raise a polars error from reading ``source`` as ``ParseError`` (our boundary)."""
    try:
        yield
    except pl.exceptions.PolarsError as err:
        # Only the error's type: polars quotes the offending values, login ids among them.
        raise ParseError(
            f"{source}: cannot be read as a {kind} table ({type(err).__name__})",
            hint="check the delimiter, quoting and encoding; pass separator=/encoding= "
            "to override what was detected",
        ) from None


def reopenable(raw: RawTable, kind: Kind, build: Callable[[RawTable], LazyIngest]) -> LazyIngest:
    """``build(raw)``, able to read delimited text again line by line (see ``io``).

    Polars errors while the plan is built (the schema of a damaged file) are ``ParseError``s.
    """
    with polars_errors(raw.name, kind):
        lazy = build(raw)
    if raw.lines is None or raw.by_lines is None:
        return lazy
    by_lines = raw.by_lines

    def rebuilt() -> LazyIngest:
        with polars_errors(raw.name, kind):
            return build(by_lines())

    return replace(lazy, _lines=raw.lines, _by_lines=rebuilt)


@dataclass(frozen=True)
class Check:
    """One reason a row may be quarantined; checks apply in order, the first failing wins.

    Attributes
    ----------
    column
        The canonical column at fault (``None`` for the whole row; an expression where it
        differs from row to row).
    reason
        The quarantine reason code.
    failed
        True where the row fails.
    value
        The raw text to report (``None``: report nothing, e.g. for agent ids).
    """

    column: str | pl.Expr | None
    reason: QuarantineReason
    failed: pl.Expr
    value: pl.Expr | None = None


def split_rows(
    frame: pl.LazyFrame,
    checks: Sequence[Check],
    *,
    raw: RawTable,
    kind: Kind,
    model: type[CanonicalModel],
    valid_columns: Sequence[pl.Expr],
    sort_by: Sequence[str | pl.Expr],
    repairs: Mapping[RepairKind, pl.Expr] | None = None,
    unmapped: pl.Expr | None = None,
    finish: Callable[[pl.LazyFrame], pl.LazyFrame] | None = None,
    prepare: Callable[[pl.LazyFrame | pl.DataFrame], pl.LazyFrame] | None = None,
    key_fingerprint: str | None = None,
) -> LazyIngest:
    """Classify every row of ``frame`` by ``checks`` and build the lazy result.

    ``prepare`` runs on the parsed frame before the checks (at ``collect`` on the
    materialised parse, a ``DataFrame``; for the lazy ``valid`` and ``quarantine`` on the
    plan); ``repairs`` are boolean expressions over the valid rows,
    counted; ``unmapped`` marks valid rows whose raw ``status`` the mapping did not know;
    ``finish`` completes the sorted valid table (e.g. naming shifts); ``key_fingerprint``
    names the pseudonymisation key the ids were hashed with.
    """
    checks = [*_row_issue_checks(), *checks]
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    for check in reversed(checks):
        reason = pl.when(check.failed).then(pl.lit(check.reason.value)).otherwise(reason)

    def classify(parsed: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
        return (parsed.lazy() if prepare is None else prepare(parsed)).with_columns(
            reason.alias("_reason")
        )

    return LazyIngest(
        source=raw.name,
        kind=kind,
        model=model,
        _parsed=frame,
        _classify=classify,
        _rows_in=raw.frame.select(pl.len()),
        _valid_columns=valid_columns,
        _sort_by=sort_by,
        _checks=checks,
        _repairs={k.value: e for k, e in (repairs or {}).items()},
        _unmapped=unmapped,
        _finish=finish,
        encoding=raw.encoding,
        key_fingerprint=key_fingerprint,
    )


def _row_issue_checks() -> list[Check]:
    """Checks of what ``open_table`` found wrong with a row before any field was parsed."""
    return [
        Check(
            pl.col(ISSUE_COLUMN),
            reason,
            pl.col(ISSUE) == reason.value,
            pl.col(ISSUE_VALUE),
        )
        for reason in (
            QuarantineReason.MALFORMED_ROW,
            QuarantineReason.INVALID_ENCODING,
            QuarantineReason.FIELD_TOO_LONG,
        )
    ]


def _missing(column: str) -> Check:
    return Check(column, QuarantineReason.MISSING_VALUE, pl.col(column).is_null())


def time_checks(column: str, prefix: str) -> list[Check]:
    """Checks for a parsed time column (see ``parse_instants``)."""
    kind = pl.col(f"{prefix}_kind")
    raw_text = pl.col(column).cast(pl.String)
    return [
        _missing(column),
        Check(column, QuarantineReason.UNPARSEABLE_TIMESTAMP, kind == UNPARSEABLE, raw_text),
        Check(column, QuarantineReason.TWO_DIGIT_YEAR, kind == TWO_DIGIT_YEAR, raw_text),
        Check(column, QuarantineReason.NONEXISTENT_LOCAL_TIME, kind == NONEXISTENT, raw_text),
    ]


def ingest_events(
    raw: RawTable,
    *,
    key: bytes | str,
    time_zone: str,
    mapping: StatusMapping | None,
    timestamp_format: str | None = None,
    pseudonymised: bool = False,
) -> LazyIngest:
    """Turn an opened event-shaped source into ``StatusEvent`` rows.

    The ``raw`` frame must have ``row``, ``timestamp``, ``agent_id``, ``status`` and may have
    ``reason``. ``pseudonymised``: its ``agent_id`` already holds the pseudonyms under ``key``
    (a bucket of ``adherence.buckets.to_buckets``), so they are not hashed again.
    """
    mapping = mapping or StatusMapping.default()
    pseudonymiser = Pseudonymiser(key)
    frame = raw.frame
    if "reason" not in raw.dtypes:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("reason"))
    if not pseudonymised:
        frame = frame.with_columns(pseudonymiser.expr("agent_id"))
    # The checks run after ``prepare``, which tidies ``status``: a blank one is null by then.
    no_status = Check("status", QuarantineReason.MISSING_VALUE, pl.col("status").is_null())
    base_checks = [*time_checks("timestamp", "_ts"), _missing("agent_id"), no_status]
    usable = pl.lit(value=True)
    for check in base_checks:
        usable = usable & ~check.failed

    def prepare(read: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
        # Data in memory stays in memory: the fast paths of the time parser and the mapping.
        # (resolve_ambiguous reads its input twice: collected, the work before runs once.)
        def materialised(frame: pl.LazyFrame) -> pl.LazyFrame | pl.DataFrame:
            return frame.collect(engine="in-memory") if isinstance(read, pl.DataFrame) else frame

        parsed = parse_instants(
            read,
            "timestamp",
            time_zone=time_zone,
            dtype=raw.dtypes["timestamp"],
            prefix="_ts",
            timestamp_format=timestamp_format,
        )
        mapped = materialised(mapping.annotate(materialised(parsed)))
        return resolve_ambiguous(
            mapped.lazy(), agent="agent_id", order="row", prefix="_ts", usable=usable
        ).drop("_ts_early", "_ts_late")

    checks = [
        *base_checks,
        Check(
            "timestamp",
            QuarantineReason.AMBIGUOUS_LOCAL_TIME,
            (pl.col("_ts_kind") == AMBIGUOUS) & pl.col("_ts").is_null(),
            pl.col("timestamp").cast(pl.String),
        ),
    ]
    valid_columns = [
        pl.col("agent_id"),
        pl.col("_ts").alias("ts"),
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
        kind="iws",
        model=StatusEvent,
        valid_columns=valid_columns,
        sort_by=[agent_time_order("ts"), "seq"],
        repairs={RepairKind.AMBIGUOUS_TIME_RESOLVED: pl.col("_ts_resolved")},
        unmapped=pl.col("state") == State.UNMAPPED.value,
        prepare=prepare,
        key_fingerprint=pseudonymiser.fingerprint,
    )


def interval_instants(
    frame: pl.LazyFrame,
    raw: RawTable,
    *,
    time_zone: str,
    duration: tuple[pl.Expr, pl.Expr] | None = None,
    timestamp_format: str | None = None,
) -> tuple[pl.LazyFrame, list[Check]]:
    """Add ``_start``/``_end`` (UTC) for ``start`` and ``end`` (or ``start + duration``).

    ``duration`` is the raw duration text and its value in milliseconds (null: unreadable).

    Fall-back (ambiguous) starts *and* ends are settled together by the agent's own order:
    each row contributes its start and then its end to one sequence per agent, in file order,
    and ``resolve_ambiguous`` keeps that sequence non-decreasing (an end after its start and
    not after the next row's start). A time no order settles stays unsettled and its row is
    quarantined (``ambiguous_local_time``). Adds ``_s_resolved`` and ``_e_resolved``. Returns
    the frame and the checks that quarantine bad rows, in order. ``frame`` must already hold
    pseudonymous ``agent_id``s.
    """
    end_dtype = raw.dtypes.get("end", pl.String())
    frame = parse_instants(
        frame,
        "start",
        time_zone=time_zone,
        dtype=raw.dtypes["start"],
        prefix="_s",
        timestamp_format=timestamp_format,
    )
    frame = parse_instants(
        frame,
        "end",
        time_zone=time_zone,
        dtype=end_dtype,
        prefix="_e",
        timestamp_format=timestamp_format,
    )
    frame = _resolve_start_and_end(frame)
    start, end = pl.col("_s"), pl.col("_e")
    if duration is not None:
        end = pl.coalesce(end, start + pl.duration(milliseconds=duration[1]))
    frame = frame.with_columns(start.alias("_start"), end.cast(UTC_MS).alias("_end"))
    raw_end = pl.col("end").cast(pl.String)
    end_missing = pl.col("end").is_null()
    duration_checks = []
    if duration is not None:
        end_missing = end_missing & duration[0].is_null()
        duration_checks.append(
            Check(
                "duration",
                QuarantineReason.UNPARSEABLE_DURATION,
                pl.col("end").is_null() & duration[1].is_null(),
                duration[0],
            )
        )
    checks = [
        *time_checks("start", "_s"),
        Check(
            "start",
            QuarantineReason.AMBIGUOUS_LOCAL_TIME,
            (pl.col("_s_kind") == AMBIGUOUS) & start.is_null(),
            pl.col("start").cast(pl.String),
        ),
        Check("end", QuarantineReason.MISSING_VALUE, end_missing),
        *duration_checks,
        Check(
            "end",
            QuarantineReason.UNPARSEABLE_TIMESTAMP,
            pl.col("end").is_not_null() & (pl.col("_e_kind") == UNPARSEABLE),
            raw_end,
        ),
        Check(
            "end",
            QuarantineReason.TWO_DIGIT_YEAR,
            pl.col("end").is_not_null() & (pl.col("_e_kind") == TWO_DIGIT_YEAR),
            raw_end,
        ),
        Check(
            "end",
            QuarantineReason.NONEXISTENT_LOCAL_TIME,
            pl.col("end").is_not_null() & (pl.col("_e_kind") == NONEXISTENT),
            raw_end,
        ),
        Check(
            "end",
            QuarantineReason.AMBIGUOUS_LOCAL_TIME,
            pl.col("end").is_not_null() & (pl.col("_e_kind") == AMBIGUOUS) & pl.col("_e").is_null(),
            raw_end,
        ),
        Check("end", QuarantineReason.INVALID_INTERVAL, pl.col("_end") < pl.col("_start"), raw_end),
    ]
    return frame, checks


def _resolve_start_and_end(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``_s``/``_e`` (UTC, null where unsettled) and ``_s_resolved``/``_e_resolved``.

    Starts and ends go into one sequence per agent (row ``r`` gives positions ``2r`` and
    ``2r + 1``) and are settled together by ``resolve_ambiguous``; the two halves are joined
    back by row.
    """
    usable = pl.col("agent_id").is_not_null() & pl.col("_t_kind").is_in([EXACT, AMBIGUOUS])
    times = pl.concat(
        [
            frame.select(
                "row",
                "agent_id",
                (pl.col("row") * 2 + offset).alias("_seq_pos"),
                *[pl.col(f"_{side}_{part}").alias(f"_t_{part}") for part in _PARTS],
            )
            for offset, side in ((0, "s"), (1, "e"))
        ]
    )
    settled = resolve_ambiguous(
        times, agent="agent_id", order="_seq_pos", prefix="_t", usable=usable
    )
    halves = [
        settled.filter((pl.col("_seq_pos") % 2) == side).select(
            "row", pl.col("_t").alias(f"_{name}"), pl.col("_t_resolved").alias(f"_{name}_resolved")
        )
        for side, name in ((0, "s"), (1, "e"))
    ]
    return frame.join(halves[0], on="row", how="left").join(halves[1], on="row", how="left")


_PARTS = ("early", "late", "kind")


def resolved_times() -> pl.Expr:
    """How many fall-back times of an interval row (start, end) its order settled: 0 to 2."""
    return pl.sum_horizontal(
        pl.col("_s_resolved").fill_null(value=False).cast(pl.Int64),
        pl.col("_e_resolved").fill_null(value=False).cast(pl.Int64),
    )


def text_column(column: str) -> pl.Expr:
    """``column`` as trimmed text, empty text as null."""
    return pl.col(column).cast(pl.String).str.strip_chars().replace("", None)
