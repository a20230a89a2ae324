r"""Out of core: status events on disk as Parquet, in buckets of whole agents.

A year of a large contact centre (10,000 agents, 100 M to 1 B status events) does not fit
in memory. ``to_buckets`` reads the raw logs once, streaming, and writes the canonical
``StatusEvent`` rows as Parquet files, one per *bucket*; ``Workspace.add_buckets`` then works
through the buckets one at a time (or on a cluster, see ``adherence.distributed``) and adds
up their atoms.

Buckets
    An agent's bucket is a range of the first three digits of their pseudonym. The
    pseudonym is a keyed hash (``adherence.pseudonym``), so the buckets are about equally
    large, a bucket never splits an agent, and the split depends on nothing but the
    pseudonym (not on a polars version, as ``pl.Expr.hash`` would). Everything the library
    computes per agent (the ordering of their events, fall-back times settled by their own
    order, their intervals and atoms) is therefore computed within one bucket.
Order
    Events are ordered per agent by (``ts``, ``seq``), where ``seq`` is the event's place in
    the input: the row number in its file, after the rows of the files before it (one file:
    its row number, as ``read_iws`` gives it). This order is total, so the result is the
    same however many buckets there are.
Reconciliation
    Every input row ends in exactly one bucket, valid or quarantined: each bucket's
    ``IngestReport`` (per source) reconciles, and so do the totals (``BucketStore.report``).

Steps of ``to_buckets``: (1) each source is scanned with the readers of ``adherence.io``,
its agent ids pseudonymised and its raw rows written with polars' streaming
``sink_parquet(pl.PartitionBy(...))``, one folder per bucket; (2) each bucket's raw rows are
parsed, checked and quarantined exactly as ``read_iws`` does, in memory (one bucket at a
time), and written as ``events/bucket=<n>.parquet`` and ``quarantine/bucket=<n>.parquet``;
(3) ``store.json`` records the buckets, the key's fingerprint, the sources and every report.

Examples
--------
>>> import tempfile, polars as pl
>>> from adherence.buckets import to_buckets
>>> csv = (
...     "timestamp,agent_id,status\n2026-03-02 08:00:00,ag1,Ready\n"
...     "2026-03-02 08:10:00,ag2,Ready\n2026-03-02 08:20:00,,Ready\n"
... ).encode()
>>> folder = tempfile.mkdtemp()
>>> store = to_buckets([csv], folder + "/store", key="a steward's secret key", buckets=4)
>>> store.report.rows_in, store.report.rows_valid, dict(store.report.quarantine_reasons)
(3, 2, {'missing_value': 1})
>>> store.events().collect().height
2
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from adherence._timeparse import check_zone
from adherence.distributed import Progress, map_buckets
from adherence.errors import (
    ConfigurationError,
    MostlyQuarantinedWarning,
    SourceNotFoundError,
)
from adherence.ingest import Ingest, IngestReport, ingest_events, polars_errors
from adherence.io._table import Encoding, RawTable, Source, open_table
from adherence.io.iws import EVENT_COLUMNS
from adherence.mapping import StatusMapping
from adherence.pseudonym import Pseudonymiser, agent_time_order
from adherence.schemas import UTC_MS
from adherence.states import STATE_DTYPE

__all__ = ["BUCKET", "MAX_BUCKETS", "BucketStore", "bucket_expr", "bucket_of", "to_buckets"]

#: The column ``bucket_of`` adds.
BUCKET = "_bucket"
#: Pseudonym digits that decide the bucket, and so the most buckets a store can have.
_PREFIX_DIGITS = 3
MAX_BUCKETS = 32**_PREFIX_DIGITS
_FORMAT = 1
_MANIFEST = "store.json"
_RAW = "_raw"
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

_EVENT_SCHEMA = pl.Schema(
    {
        "agent_id": pl.String(),
        "ts": UTC_MS,
        "status": pl.String(),
        "reason": pl.String(),
        "state": STATE_DTYPE,
        "source": pl.String(),
        "seq": pl.Int64(),
    }
)
_QUARANTINE_SCHEMA = pl.Schema(
    {
        "row": pl.Int64(),
        "column": pl.String(),
        "reason": pl.String(),
        "value": pl.String(),
        "source": pl.String(),
    }
)


def bucket_expr(buckets: int, column: str = "agent_id") -> pl.Expr:
    """The bucket (``0 .. buckets - 1``) of each pseudonym in ``column``; null ids go to 0.

    The first three base32hex digits (``0 .. 32767``) are cut into ``buckets`` equal ranges.

    Examples
    --------
    >>> frame = pl.DataFrame({"agent_id": ["000aaaaaaaaa", "g00aaaaaaaaa", "vvvaaaaaaaaa", None]})
    >>> frame.select(bucket_expr(4))[BUCKET].to_list()
    [0, 2, 3, 0]
    """
    prefix: pl.Expr = (
        pl.col(column)
        .str.slice(0, _PREFIX_DIGITS)
        .str.to_integer(base=32, dtype=pl.Int64, strict=False)
        .fill_null(0)
    )
    bucket: pl.Expr = prefix * buckets // MAX_BUCKETS
    return bucket.cast(pl.Int32).alias(BUCKET)


def bucket_of(frame: FrameT, buckets: int, column: str = "agent_id") -> FrameT:
    """``frame`` with a ``_bucket`` column: the bucket of its pseudonymous ``column``."""
    return frame.with_columns(bucket_expr(_checked_buckets(buckets), column))


def _checked_buckets(buckets: object) -> int:
    if not isinstance(buckets, int) or isinstance(buckets, bool) or not 1 <= buckets <= MAX_BUCKETS:
        raise ConfigurationError(
            f"buckets must be a whole number from 1 to {MAX_BUCKETS}, not {buckets!r}",
            hint="about one bucket per 1-2 million events, e.g. buckets=64 for 100 M",
        )
    return buckets


@dataclass(frozen=True)
class BucketStore:
    """Canonical status events on disk, in buckets of whole agents (see the module).

    Open one that ``to_buckets`` wrote with ``BucketStore.open(folder)``.

    Attributes
    ----------
    folder
        The store's folder.
    buckets
        How many buckets.
    key_fingerprint
        The fingerprint of the key the ids were pseudonymised with (G15).
    time_zone
        The zone naive local times were read in.
    sources
        The source names, in input order.
    as_of_ms
        The last valid event's instant [ms since the epoch, UTC]; ``None`` without events.
    bucket_reports
        Per bucket, one ``IngestReport`` per source (each reconciles).
    bucket_agents
        Per bucket, its distinct agents among the valid rows.
    """

    folder: Path
    buckets: int
    key_fingerprint: str
    time_zone: str
    sources: tuple[str, ...]
    as_of_ms: int | None
    bucket_reports: tuple[tuple[IngestReport, ...], ...]
    bucket_agents: tuple[int, ...]

    @classmethod
    def open(cls, folder: str | Path) -> BucketStore:
        """Open the store in ``folder``.

        Raises
        ------
        SourceNotFoundError
            ``folder`` holds no store (no ``store.json``).
        ConfigurationError
            The store was written by an incompatible version of the library.
        """
        path = Path(folder).resolve()  # workers may start elsewhere: an absolute folder
        manifest = path / _MANIFEST
        if not manifest.is_file():
            raise SourceNotFoundError(
                f"no bucket store in {path.name!r} (no {_MANIFEST})",
                hint="write one with adherence.buckets.to_buckets(paths, folder, key=...)",
            )
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("format") != _FORMAT:
            raise ConfigurationError(
                f"the bucket store in {path.name!r} has format {data.get('format')!r}; "
                f"this version reads format {_FORMAT}",
                hint="write the store again with to_buckets",
            )
        return cls(
            folder=path,
            buckets=int(data["buckets"]),
            key_fingerprint=str(data["key_fingerprint"]),
            time_zone=str(data["time_zone"]),
            sources=tuple(data["sources"]),
            as_of_ms=data["as_of_ms"],
            bucket_reports=tuple(
                tuple(IngestReport(**r) for r in reports) for reports in data["bucket_reports"]
            ),
            bucket_agents=tuple(data["bucket_agents"]),
        )

    @property
    def as_of(self) -> datetime | None:
        """The last valid event's instant (aware, UTC), where observation ends by default."""
        if self.as_of_ms is None:
            return None
        return datetime.fromtimestamp(self.as_of_ms / 1000, tz=UTC)

    @property
    def report(self) -> IngestReport:
        """The totals over every bucket and source (they reconcile as each bucket does)."""
        reports = [r for per_bucket in self.bucket_reports for r in per_bucket]
        return _summed(reports, " + ".join(self.sources), agents=sum(self.bucket_agents))

    @property
    def reports(self) -> tuple[IngestReport, ...]:
        """One total report per source, over every bucket, in input order."""
        return tuple(
            _summed(
                [per_bucket[i] for per_bucket in self.bucket_reports],
                name,
                agents=None,
            )
            for i, name in enumerate(self.sources)
        )

    def event_path(self, bucket: int) -> Path:
        """The Parquet file of one bucket's events."""
        return self.folder / "events" / f"bucket={bucket}.parquet"

    def events(self, bucket: int | None = None) -> pl.LazyFrame:
        """One bucket's ``StatusEvent`` rows (every bucket's: ``None``), lazily.

        Rows are sorted by agent, ``ts`` and ``seq`` within a bucket.
        """
        if bucket is None:
            return pl.scan_parquet(self.folder / "events" / "*.parquet")
        return pl.scan_parquet(self.event_path(bucket))

    def quarantine(self, bucket: int | None = None) -> pl.LazyFrame:
        """The quarantined rows (``Quarantine``) of one bucket or of all, lazily."""
        name = "*" if bucket is None else f"bucket={bucket}"
        return pl.scan_parquet(self.folder / "quarantine" / f"{name}.parquet")

    def agent_ids(self) -> pl.Series:
        """Every valid event's agent id, distinct and sorted (one column of the store)."""
        return self.events().select("agent_id").unique().sort("agent_id").collect()["agent_id"]

    def __repr__(self) -> str:
        report = self.report
        return (
            f"<BucketStore {self.folder.name}: {self.buckets} buckets, "
            f"{report.rows_valid} valid, {report.rows_quarantined} quarantined>"
        )


def _summed(reports: Sequence[IngestReport], source: str, *, agents: int | None) -> IngestReport:
    """One report adding up ``reports`` (counts, reasons, repairs, unmapped statuses)."""

    def added(field: str) -> dict[str, int]:
        total: Counter[str] = Counter()
        for report in reports:
            total.update(getattr(report, field))
        return dict(sorted(total.items()))

    first = reports[0]
    return IngestReport(
        source=source,
        kind=first.kind,
        rows_in=sum(r.rows_in for r in reports),
        rows_valid=sum(r.rows_valid for r in reports),
        rows_quarantined=sum(r.rows_quarantined for r in reports),
        quarantine_reasons=added("quarantine_reasons"),
        repairs=added("repairs"),
        unmapped_statuses=added("unmapped_statuses"),
        agents=sum(r.agents for r in reports) if agents is None else agents,
        encoding=first.encoding,
        key_fingerprint=first.key_fingerprint,
    )


@dataclass(frozen=True)
class _Source:
    """One opened source: its raw table and where its rows stand in the total order."""

    raw: RawTable
    offset: int


def to_buckets(
    sources: Sequence[Source],
    folder: str | Path,
    *,
    key: bytes | str,
    buckets: int = 64,
    time_zone: str = "Europe/Oslo",
    mapping: StatusMapping | None = None,
    separator: str | None = None,
    encoding: Encoding | None = None,
    timestamp_format: str | None = None,
    progress: bool | Progress = False,
) -> BucketStore:
    """Read IWS-style event logs into a new bucket store in ``folder`` (out of core).

    Parameters
    ----------
    sources
        Event logs (paths to CSV or Parquet files, or their bytes), read as ``read_iws``
        reads one; their order is the order of their rows (``seq``).
    folder
        A new or empty folder for the store.
    key
        The steward's pseudonymisation key.
    buckets
        How many buckets (1 to 32,768); about 1-2 M events a bucket keeps memory low.
    time_zone, mapping, separator, encoding, timestamp_format
        As for ``adherence.io.read_iws``.
    progress
        ``True`` writes a line per finished bucket to standard error; a callable receives a
        ``adherence.distributed.BucketDone`` per bucket.

    Returns
    -------
    BucketStore
        The store; its ``report`` adds up every bucket's.

    Raises
    ------
    ConfigurationError
        ``folder`` is not empty, or ``buckets`` is out of range.
    ParseError, SourceNotFoundError
        A source cannot be read at all (as for ``read_iws``).
    """
    count = _checked_buckets(buckets)
    zone = check_zone(time_zone)
    target = Path(folder)
    if target.exists() and any(target.iterdir()):
        raise ConfigurationError(
            f"the folder {target.name!r} for the bucket store is not empty",
            hint="pass a new folder; a store is written once and read many times",
        )
    pseudonymiser = Pseudonymiser(key)
    opened: list[_Source] = []
    offset = 0
    for index, source in enumerate(sources):
        raw = _opened(source, separator=separator, encoding=encoding)
        part = target / _RAW / f"source={index}"
        with polars_errors(raw.name, "iws"):
            raw.frame.with_columns(pseudonymiser.expr("agent_id")).with_columns(
                bucket_expr(count)
            ).sink_parquet(
                pl.PartitionBy(part, key=BUCKET, include_key=False),
                # Written once and read once: fast to write beats small.
                compression="lz4",
                mkdir=True,
                engine="streaming",
            )
        opened.append(_Source(raw, offset))
        offset += _rows(part)

    def one_bucket(bucket: int) -> tuple[list[IngestReport], int, int | None]:
        return _ingest_bucket(
            target,
            bucket,
            opened,
            key=key,
            time_zone=zone,
            mapping=mapping,
            timestamp_format=timestamp_format,
        )

    # The key stays in this process: buckets are ingested here, one at a time.
    done = map_buckets(one_bucket, range(count), progress=progress)
    shutil.rmtree(target / _RAW, ignore_errors=True)
    latest = [t for _, _, t in done if t is not None]
    manifest = {
        "format": _FORMAT,
        "buckets": count,
        "key_fingerprint": pseudonymiser.fingerprint,
        "time_zone": zone,
        "sources": [s.raw.name for s in opened],
        "as_of_ms": max(latest) if latest else None,
        "bucket_reports": [[_plain(r) for r in reports] for reports, _, _ in done],
        "bucket_agents": [agents for _, agents, _ in done],
    }
    (target / _MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    store = BucketStore.open(target)
    total = store.report
    if total.rows_quarantined * 2 > total.rows_in:
        warnings.warn(
            MostlyQuarantinedWarning(
                f"{total.source}: {total.rows_quarantined} of {total.rows_in} rows "
                f"quarantined ({dict(total.quarantine_reasons)}); check the separator, "
                "encoding, time zone and timestamp format"
            ),
            stacklevel=2,
        )
    return store


def _opened(source: Source, *, separator: str | None, encoding: Encoding | None) -> RawTable:
    """``source`` opened as an event log; text that the fast parser misreads, line by line."""
    raw = open_table(
        source,
        aliases=EVENT_COLUMNS,
        required=("timestamp", "agent_id", "status"),
        separator=separator,
        encoding=encoding,
    )
    if raw.lines is None or raw.by_lines is None:
        return raw
    # As ``LazyIngest`` does: a stray quote makes the fast parser merge or break lines.
    try:
        rows, lines = pl.collect_all([raw.frame.select(pl.len()), raw.lines], engine="streaming")
    except pl.exceptions.PolarsError:
        return raw.by_lines()
    return raw if rows.item() == lines.item() else raw.by_lines()


def _rows(part: Path) -> int:
    """Rows written under ``part`` (from the Parquet footers)."""
    files = list(part.glob("*/*.parquet"))
    if not files:
        return 0
    return int(pl.scan_parquet(files).select(pl.len()).collect().item())


def _ingest_bucket(
    target: Path,
    bucket: int,
    sources: Sequence[_Source],
    *,
    key: bytes | str,
    time_zone: str,
    mapping: StatusMapping | None,
    timestamp_format: str | None,
) -> tuple[list[IngestReport], int, int | None]:
    """Ingest one bucket's raw rows of every source; write its events and quarantine.

    Returns the reports (one per source), the bucket's distinct agents and its last valid
    instant [ms].
    """
    reports: list[IngestReport] = []
    valid: list[pl.DataFrame] = []
    quarantined: list[pl.DataFrame] = []
    for index, source in enumerate(sources):
        files = sorted((target / _RAW / f"source={index}" / f"{BUCKET}={bucket}").glob("*.parquet"))
        result = _ingest_part(
            source,
            files,
            key=key,
            time_zone=time_zone,
            mapping=mapping,
            timestamp_format=timestamp_format,
        )
        reports.append(result.report)
        valid.append(result.valid.with_columns(pl.col("seq") + source.offset))
        quarantined.append(result.quarantine)
    events = pl.concat([_EVENT_SCHEMA.to_frame(), *valid], how="vertical_relaxed").cast(
        _EVENT_SCHEMA
    )
    if len(valid) > 1:  # each source's rows are in this order already
        events = events.sort(agent_time_order("ts"), "seq")
    quarantine = pl.concat([_QUARANTINE_SCHEMA.to_frame(), *quarantined], how="vertical_relaxed")
    for name, frame in (("events", events), ("quarantine", quarantine)):
        (target / name).mkdir(exist_ok=True)
        frame.write_parquet(target / name / f"bucket={bucket}.parquet", compression="lz4")
    latest = events["ts"].max()
    last_ms = None if latest is None else int(latest.timestamp() * 1000)  # type: ignore[union-attr]
    return reports, events["agent_id"].n_unique(), last_ms


def _ingest_part(
    source: _Source,
    files: Sequence[Path],
    *,
    key: bytes | str,
    time_zone: str,
    mapping: StatusMapping | None,
    timestamp_format: str | None,
) -> Ingest:
    """One source's rows of one bucket, ingested as ``read_iws`` would (ids already hashed)."""
    raw = source.raw
    if files:
        frame = pl.scan_parquet(list(files))
    else:
        schema = raw.frame.collect_schema()
        frame = pl.LazyFrame(schema={n: t for n, t in schema.items() if n != BUCKET})
    part = RawTable(frame, raw.name, raw.dtypes, encoding=raw.encoding)
    lazy = ingest_events(
        part,
        key=key,
        time_zone=time_zone,
        mapping=mapping,
        timestamp_format=timestamp_format,
        pseudonymised=True,
    )
    return lazy._collect()


def _plain(report: IngestReport) -> dict[str, Any]:
    """Every field of ``report`` as JSON-ready data (the whole report, not ``to_dict``)."""
    fields = asdict(report)
    return {k: dict(v) if isinstance(v, Mapping) else v for k, v in fields.items()}
