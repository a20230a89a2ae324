"""From events to state intervals, exactly as metrics.md §2 says; every repair counted.

``from_events`` turns ``StatusEvent`` rows into
``StateInterval`` rows:

1. events are ordered per agent by (``ts``, ``seq``); out-of-order input is accepted, and each
   row that the file lists after a row of the same agent with a later timestamp (a late
   arrival) is counted (``out_of_order``);
2. exact duplicates (agent, ts, status, reason) collapse to one (``duplicate``);
3. of one agent's events at one instant with different statuses the last in the file wins
   (``same_instant_conflict``);
4. heartbeats never change state (``heartbeat``);
5. consecutive events with the same (state, reason) merge into one interval (``merged``),
   after rule 7;
6. an agent's last interval is clipped at ``as_of`` (default: the last timestamp in the data)
   and marked ``open`` (``open_clipped``); nothing is extrapolated beyond ``as_of`` and events
   after it are not used (``after_as_of``);
7. with a schedule, an agent still logged in more than ``auto_logoff_after`` past the end of
   their shift with no further event gets an inferred ``OFFLINE`` from the end of that shift
   until their next event, marked ``inferred`` (``inferred_offline``); inferred time is never
   productive. This is decided on each event's own span, before runs merge, so a next-day
   login that repeats the last state of the day before starts its own interval.

So each agent's intervals tile ``[first event, as_of)`` with no gap and no overlap.

``from_state_detail`` does the same for interval sources (IWS state detail reports):
overlapping rows of one agent are split at every boundary and the later-starting one wins
inside an overlap (``overlap_split``); gaps between rows stay gaps (no state is known there).

The work is sorted sweeps over change points (shift, cumulative sums, ``join_asof``): no
per-row Python, no cross joins. Lazy in, lazy out: a ``LazyFrame`` gives a
``LazyIntervals`` whose ``collect()`` runs the plan once.

Examples
--------
>>> import polars as pl
>>> from datetime import datetime, UTC
>>> from adherence.intervals import from_events
>>> t = lambda hh, mm: datetime(2026, 4, 1, hh, mm, tzinfo=UTC)
>>> events = pl.DataFrame(
...     {
...         "agent_id": ["p1"] * 4,
...         "ts": [t(8, 0), t(8, 2), t(8, 2), t(8, 30)],
...         "status": ["Log On", "Ready", "Ready", "Talking"],
...         "reason": [None] * 4,
...         "state": ["AWAY", "READY", "READY", "ON_CONTACT"],
...         "source": ["log.csv"] * 4,
...         "seq": [1, 2, 3, 4],
...     },
...     schema_overrides={
...         "ts": pl.Datetime("ms", "UTC"), "state": STATE_DTYPE, "reason": pl.String
...     },
... )
>>> result = from_events(events, as_of=t(8, 40))
>>> result.intervals.select("state", "open").rows()
[('AWAY', False), ('READY', False), ('ON_CONTACT', True)]
>>> dict(result.repairs)
{'duplicate': 1, 'open_clipped': 1}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import overload

import polars as pl

from adherence._timeparse import check_aware
from adherence.reasons import RepairKind
from adherence.schemas import (
    UTC_MS,
    CanonicalModel,
    ScheduledActivity,
    SourceInterval,
    StateInterval,
    StatusEvent,
    validate,
)
from adherence.states import STATE_DTYPE, State

__all__ = [
    "STATE_DTYPE",
    "Intervals",
    "LazyIntervals",
    "RepairReport",
    "from_events",
    "from_state_detail",
]

_AGENT = "agent_id"
# The model's column names, read without building a frame: nothing runs polars at import.
_COLUMNS = list(StateInterval.to_schema().columns)


class RepairReport(Mapping[str, int]):
    """Counts of repairs by ``RepairKind`` (only kinds that occurred).

    Examples
    --------
    >>> r = RepairReport({"duplicate": 2, "merged": 0})
    >>> dict(r), r["merged"]
    ({'duplicate': 2}, 0)
    """

    def __init__(self, counts: Mapping[str, int]) -> None:
        self._counts = {str(k): int(v) for k, v in sorted(counts.items()) if v}

    def __getitem__(self, kind: str) -> int:
        if kind not in RepairKind.__members__.values() and kind not in self._counts:
            raise KeyError(kind)
        return self._counts.get(kind, 0)

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        return f"RepairReport({self._counts!r})"


@dataclass(frozen=True)
class Intervals:
    """State intervals (validated ``StateInterval``) and their repairs."""

    intervals: pl.DataFrame
    repairs: RepairReport


@dataclass(frozen=True)
class LazyIntervals:
    """The lazy plan of ``Intervals``.

    ``intervals`` is a lazy frame to compose with further lazy work; ``collect`` prepares
    the input once (validated, sorted, flagged) and derives the intervals and every repair
    count from that one materialised frame.
    """

    _prepared: pl.LazyFrame
    _build: Callable[[pl.LazyFrame], pl.LazyFrame]
    _count: Callable[[pl.LazyFrame, pl.LazyFrame], pl.LazyFrame]

    @property
    def intervals(self) -> pl.LazyFrame:
        """The state intervals, sorted by agent and start."""
        return self._build(self._prepared).select(_COLUMNS)

    def collect(self) -> Intervals:
        """Run the plan and return validated intervals with the repair counts."""
        # The sweeps sort: the in-memory engine does that faster than the streaming one.
        prepared = self._prepared.collect(engine="in-memory").lazy()
        built = self._build(prepared).collect(engine="in-memory")
        repairs = self._count(prepared, built.lazy()).collect(engine="in-memory")
        intervals = validate(built.select(_COLUMNS), StateInterval)
        return Intervals(intervals, RepairReport(repairs.row(0, named=True)))


def _checked(data: pl.DataFrame | pl.LazyFrame, model: type[CanonicalModel]) -> pl.LazyFrame:
    """Validate at the boundary (values too for a DataFrame, the schema for a LazyFrame)."""
    if isinstance(data, pl.DataFrame):
        return validate(data, model).lazy()
    return validate(data, model)


def _as_of_expr(as_of: datetime | None, column: str) -> pl.Expr:
    if as_of is None:
        return pl.col(column).max()
    return pl.lit(check_aware(as_of, "as_of")).cast(UTC_MS)


@overload
def from_events(
    events: pl.DataFrame,
    *,
    as_of: datetime | None = ...,
    schedule: pl.DataFrame | pl.LazyFrame | None = ...,
    auto_logoff_after: timedelta = ...,
) -> Intervals: ...
@overload
def from_events(
    events: pl.LazyFrame,
    *,
    as_of: datetime | None = ...,
    schedule: pl.DataFrame | pl.LazyFrame | None = ...,
    auto_logoff_after: timedelta = ...,
) -> LazyIntervals: ...
def from_events(
    events: pl.DataFrame | pl.LazyFrame,
    *,
    as_of: datetime | None = None,
    schedule: pl.DataFrame | pl.LazyFrame | None = None,
    auto_logoff_after: timedelta = timedelta(minutes=60),
) -> Intervals | LazyIntervals:
    """Turn status events into state intervals (metrics.md §2).

    Parameters
    ----------
    events
        ``StatusEvent`` rows (e.g. ``read_iws(...).valid``).
    as_of
        Where observation ends [aware datetime]; default: the last event's timestamp.
    schedule
        ``ScheduledActivity`` rows; needed to infer a missing Log Off.
    auto_logoff_after
        How long past the end of a shift an agent may stay logged in without an event before
        an ``OFFLINE`` is inferred from the shift's end (metrics.md option, default 60 min).

    Returns
    -------
    Intervals | LazyIntervals
        Eager for a ``DataFrame``, lazy for a ``LazyFrame``.
    """
    checked = _checked(events, StatusEvent)
    shifts = None if schedule is None else _shift_windows(_checked(schedule, ScheduledActivity))
    keys = [_AGENT, "ts", "seq"]
    ordered = checked if _is_sorted(events, keys) else checked.sort(keys)
    same_agent_next = pl.col(_AGENT) == pl.col(_AGENT).shift(-1)
    same_instant_next = same_agent_next & (pl.col("ts") == pl.col("ts").shift(-1))
    same_instant_prev = (pl.col(_AGENT) == pl.col(_AGENT).shift(1)) & (
        pl.col("ts") == pl.col("ts").shift(1)
    )
    shares_instant = (same_instant_next | same_instant_prev).fill_null(value=False)
    # In (agent, ts, seq) order a row arrived late in the file when a later row of the agent
    # (a later ts) has a smaller seq, i.e. stood before it in the file. Offsetting seq by the
    # agent's block makes one reverse running minimum over the whole frame respect agent
    # boundaries: no per-agent window needed.
    block = (pl.col(_AGENT) != pl.col(_AGENT).shift(1)).fill_null(value=True).cum_sum()
    blocked_seq = block.cast(pl.Int64) * (pl.col("seq").max() + 1) + pl.col("seq")
    later_min = blocked_seq.cum_min(reverse=True).shift(-1)
    prepared = ordered.with_columns(
        _as_of_expr(as_of, "ts").alias("_as_of"),
        (blocked_seq > later_min).fill_null(value=False).alias("_late_in_file"),
        pl.col("state").is_null().alias("_heartbeat"),
    )

    def kept_rows(prepared: pl.LazyFrame) -> pl.LazyFrame:
        """Heartbeats out; of each (agent, instant) the last row by seq wins."""
        observed = prepared.filter(~pl.col("_heartbeat"))
        return observed.filter(~same_instant_next.fill_null(value=False))

    def build(prepared: pl.LazyFrame) -> pl.LazyFrame:
        # Every kept event is a piece that ends at the agent's next event, clipped at as_of,
        # where it stays open unless that next event is exactly at as_of. A missing Log Off
        # is inferred on these pieces, before runs of one (state, reason) merge: merged first,
        # a next-day login that repeats the last state would vanish into the inferred OFFLINE.
        next_event = pl.when(same_agent_next).then(pl.col("ts").shift(-1))
        pieces = (
            kept_rows(prepared)
            .with_columns(next_event.alias("_next"))
            .filter(pl.col("ts") < pl.col("_as_of"))
            .select(
                pl.col(_AGENT),
                pl.col("ts").alias("start"),
                pl.min_horizontal("_next", "_as_of").alias("end"),
                pl.col("state"),
                pl.col("status"),
                pl.col("reason"),
                (pl.col("_next").is_null() | (pl.col("_next") > pl.col("_as_of"))).alias("open"),
                pl.lit(value=False).alias("inferred"),
            )
        )
        if shifts is not None:
            pieces = _infer_offline(pieces, shifts, auto_logoff_after)
        return _merge_runs(pieces)  # pieces are in (agent, start) order

    def count(prepared: pl.LazyFrame, intervals: pl.LazyFrame) -> pl.LazyFrame:
        # Only rows that share an instant with another row can be duplicates or conflicts.
        crowded = prepared.filter(~pl.col("_heartbeat")).filter(shares_instant)
        distinct_events = pl.struct(_AGENT, "ts", "status", "reason").n_unique()
        distinct_instants = pl.struct(_AGENT, "ts").n_unique()
        return pl.concat(
            [
                prepared.select(
                    pl.col("_late_in_file").sum().alias(RepairKind.OUT_OF_ORDER.value),
                    pl.col("_heartbeat").sum().alias(RepairKind.HEARTBEAT.value),
                    (pl.col("ts") > pl.col("_as_of")).sum().alias(RepairKind.AFTER_AS_OF.value),
                ),
                crowded.select(
                    (pl.len() - distinct_events).alias(RepairKind.DUPLICATE.value),
                    (distinct_events - distinct_instants).alias(
                        RepairKind.SAME_INSTANT_CONFLICT.value
                    ),
                ),
                intervals.select(
                    (pl.col("_pieces") - 1).sum().alias(RepairKind.MERGED.value),
                    pl.col("open").sum().alias(RepairKind.OPEN_CLIPPED.value),
                    pl.col("inferred").sum().alias(RepairKind.INFERRED_OFFLINE.value),
                ),
            ],
            how="horizontal",
        ).select(pl.all().cast(pl.Int64))

    result = LazyIntervals(prepared, build, count)
    return result if isinstance(events, pl.LazyFrame) else result.collect()


def _merge_runs(pieces: pl.LazyFrame) -> pl.LazyFrame:
    """Merge consecutive pieces of one agent with the same (state, reason, inferred).

    ``pieces`` are sorted by (agent, start) and tile each agent's observed span, so a run ends
    where the next run of the agent starts, and the agent's last run where its last piece ends
    (and is open if that piece is). Shifts with an explicit agent boundary, no window. Adds
    ``_pieces``: how many pieces each interval merged (counted as ``merged`` repairs).
    """
    last_of_agent = (pl.col(_AGENT) != pl.col(_AGENT).shift(-1)).fill_null(value=True)
    starts_run = (
        (pl.col(_AGENT) != pl.col(_AGENT).shift(1))
        | (pl.col("state") != pl.col("state").shift(1))
        | pl.col("reason").ne_missing(pl.col("reason").shift(1))
        | (pl.col("inferred") != pl.col("inferred").shift(1))
    ).fill_null(value=True)
    # Each agent's rows are contiguous and its last row carries the value: a backward fill
    # never crosses into another agent.
    runs = (
        pieces.with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("_piece"),
            pl.len().cast(pl.Int64).alias("_total"),
            pl.when(last_of_agent).then(pl.col("end")).backward_fill().alias("_agent_end"),
            pl.when(last_of_agent).then(pl.col("open")).backward_fill().alias("_agent_open"),
        )
        .filter(starts_run)
        .with_columns(
            pl.when(pl.col(_AGENT) == pl.col(_AGENT).shift(-1))
            .then(pl.col("start").shift(-1))
            .otherwise(pl.col("_agent_end"))
            .alias("end"),
            pl.when(pl.col(_AGENT) == pl.col(_AGENT).shift(-1))
            .then(pl.lit(value=False))
            .otherwise(pl.col("_agent_open"))
            .alias("open"),
            (pl.col("_piece").shift(-1).fill_null(pl.col("_total")) - pl.col("_piece")).alias(
                "_pieces"
            ),
        )
    )
    return runs.select(*_COLUMNS, "_pieces")


def _is_sorted(data: pl.DataFrame | pl.LazyFrame, keys: list[str]) -> bool:
    """Whether an eager frame is already in ``keys`` order, as ingest output is.

    One cheap pass saves a sort on string keys; a lazy frame is never assumed sorted.
    """
    if not isinstance(data, pl.DataFrame):
        return False
    if data.height < 2:
        return True
    later = pl.lit(value=False)
    for key in reversed(keys):
        later = (pl.col(key) > pl.col(key).shift(1)) | (
            (pl.col(key) == pl.col(key).shift(1)) & later
        )
    return bool(data.select(later.slice(1).all()).item())


def _shift_windows(schedule: pl.LazyFrame) -> pl.LazyFrame:
    """Each shift of each agent as one window: its first start and last end."""
    return (
        schedule.group_by(_AGENT, "shift_id")
        .agg(pl.col("start").min().alias("_shift_start"), pl.col("end").max().alias("_shift_end"))
        .select(_AGENT, "_shift_start", "_shift_end")
    )


def _infer_offline(
    pieces: pl.LazyFrame, shifts: pl.LazyFrame, auto_logoff_after: timedelta
) -> pl.LazyFrame:
    """Cut pieces that run more than ``auto_logoff_after`` past a shift's end (rule 7).

    Each piece (one event's state, up to the agent's next event) meets the first shift of its
    agent whose deadline (end + ``auto_logoff_after``) lies after the piece's start. A piece
    that is not ``OFFLINE`` and runs past that deadline is cut at the shift's end (or at its own
    start, if it began after the end); an inferred ``OFFLINE`` covers the rest of the piece, up
    to the agent's next event, whatever that event is. A piece that starts after a deadline
    (a login hours after the shift) is judged against the agent's next shift only.
    """
    deadlines = shifts.with_columns(
        (pl.col("_shift_end") + auto_logoff_after).alias("_deadline")
    ).sort(_AGENT, "_deadline")
    # The pieces come in (agent, start) order (``from_events`` sorts the events) and the
    # deadlines are sorted just above: that is the guarantee join_asof needs, so its own
    # check is skipped. Each piece keeps its place (``_piece``): a piece cut in two gives its
    # kept part and its inferred OFFLINE the places 2p and 2p + 1, so one integer sort, not
    # a sort by agent and time, puts the result back in (agent, start) order.
    with_shift = pieces.with_row_index("_piece").join_asof(
        deadlines,
        left_on="start",
        right_on="_deadline",
        by=_AGENT,
        strategy="forward",
        allow_exact_matches=False,
        check_sortedness=False,
    )
    cut = pl.max_horizontal("start", "_shift_end")
    forgotten = (
        (pl.col("state") != State.OFFLINE.value) & (pl.col("end") > pl.col("_deadline"))
    ).fill_null(value=False)
    place = pl.col("_piece").cast(pl.Int64) * 2
    kept = with_shift.filter(~forgotten | (cut > pl.col("start"))).with_columns(
        pl.when(forgotten).then(cut).otherwise(pl.col("end")).alias("end"),
        pl.when(forgotten).then(pl.lit(value=False)).otherwise(pl.col("open")).alias("open"),
        place.alias("_place"),
    )
    offline = with_shift.filter(forgotten).with_columns(
        cut.alias("start"),
        pl.lit(State.OFFLINE.value, dtype=STATE_DTYPE).alias("state"),
        pl.lit(None, dtype=pl.String).alias("status"),
        pl.lit(None, dtype=pl.String).alias("reason"),
        pl.lit(value=True).alias("inferred"),
        (place + 1).alias("_place"),
    )
    return pl.concat([kept, offline]).sort("_place").select(_COLUMNS)


@overload
def from_state_detail(rows: pl.DataFrame, *, as_of: datetime | None = ...) -> Intervals: ...
@overload
def from_state_detail(rows: pl.LazyFrame, *, as_of: datetime | None = ...) -> LazyIntervals: ...
def from_state_detail(
    rows: pl.DataFrame | pl.LazyFrame, *, as_of: datetime | None = None
) -> Intervals | LazyIntervals:
    """Turn interval-source rows (a state detail report) into state intervals.

    Parameters
    ----------
    rows
        ``SourceInterval`` rows (``read_iws_state_detail(...).valid``).
    as_of
        Where observation ends [aware datetime]; default: the last row's end. Rows from
        ``as_of`` on are dropped, a row across it is clipped and marked ``open``.

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime, UTC
    >>> t = lambda mm: datetime(2026, 4, 1, 8, mm, tzinfo=UTC)
    >>> rows = pl.DataFrame(
    ...     {"agent_id": ["p1", "p1"], "start": [t(0), t(5)], "end": [t(30), t(10)],
    ...      "status": ["Ready", "Not Ready - Break"], "reason": [None, None],
    ...      "state": ["READY", "BREAK"], "source": ["sd.csv"] * 2, "seq": [1, 2]},
    ...     schema_overrides={"start": pl.Datetime("ms", "UTC"), "end": pl.Datetime("ms", "UTC"),
    ...                       "state": STATE_DTYPE, "reason": pl.String},
    ... )
    >>> out = from_state_detail(rows).intervals
    >>> [(s.minute, e.minute, st) for s, e, st in out.select("start", "end", "state").rows()]
    [(0, 5, 'READY'), (5, 10, 'BREAK'), (10, 30, 'READY')]
    """
    prepared = _checked(rows, SourceInterval).with_columns(
        _as_of_expr(as_of, "end").alias("_as_of")
    )
    usable = (
        pl.col("state").is_not_null()
        & (pl.col("end") > pl.col("start"))
        & (pl.col("start") < pl.col("_as_of"))
    )

    def build(prepared: pl.LazyFrame) -> pl.LazyFrame:
        clipped = prepared.filter(usable).with_columns(
            (pl.col("end") > pl.col("_as_of")).alias("_clipped"),
            pl.min_horizontal("end", "_as_of").alias("end"),
        )
        pieces = _resolve_overlaps(_clustered(clipped)).sort(_AGENT, "start")
        # Merge touching pieces of the same (state, reason): a run starts at a change or gap.
        starts_run = (
            (pl.col(_AGENT) != pl.col(_AGENT).shift(1))
            | (pl.col("start") != pl.col("end").shift(1))
            | (pl.col("state") != pl.col("state").shift(1))
            | pl.col("reason").ne_missing(pl.col("reason").shift(1))
        ).fill_null(value=True)
        return (
            pieces.with_columns(starts_run.cum_sum().alias("_run"))
            .group_by("_run")
            .agg(
                pl.col(_AGENT).first(),
                pl.col("start").first(),
                pl.col("end").last(),
                pl.col("state").first(),
                pl.col("status").first(),
                pl.col("reason").first(),
                pl.col("_clipped").last().alias("open"),
                pl.lit(value=False).alias("inferred"),
                pl.len().alias("_pieces"),
            )
            .sort(_AGENT, "start")
        )

    def count(prepared: pl.LazyFrame, intervals: pl.LazyFrame) -> pl.LazyFrame:
        return pl.concat(
            [
                prepared.select(
                    pl.col("state").is_null().sum().alias(RepairKind.HEARTBEAT.value),
                    (pl.col("end") == pl.col("start")).sum().alias(RepairKind.ZERO_LENGTH.value),
                    ((pl.col("start") >= pl.col("_as_of")) & (pl.col("end") > pl.col("start")))
                    .sum()
                    .alias(RepairKind.AFTER_AS_OF.value),
                ),
                _clustered(prepared.filter(usable)).select(
                    pl.col("_overlapping").sum().alias(RepairKind.OVERLAP_SPLIT.value)
                ),
                intervals.select(
                    (pl.col("_pieces") - 1).sum().alias(RepairKind.MERGED.value),
                    pl.col("open").sum().alias(RepairKind.OPEN_CLIPPED.value),
                ),
            ],
            how="horizontal",
        ).select(pl.all().cast(pl.Int64))

    result = LazyIntervals(prepared, build, count)
    return result if isinstance(rows, pl.LazyFrame) else result.collect()


def _clustered(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Sort rows by (agent, start, seq) and number clusters of mutually overlapping rows.

    A sweep over the running maximum end: a row starts a new cluster when it starts at or after
    every earlier row of the agent has ended. Adds ``_cluster`` and ``_overlapping`` (the row
    shares its cluster).
    """
    ordered = rows.sort(_AGENT, "start", "seq")
    reach = pl.col("end").cum_max().shift(1).over(_AGENT)
    new_cluster = (pl.col("start") >= reach).fill_null(value=True)
    return ordered.with_columns(
        new_cluster.cast(pl.Int64).cum_sum().over(_AGENT).alias("_cluster")
    ).with_columns((pl.len().over(_AGENT, "_cluster") > 1).alias("_overlapping"))


def _resolve_overlaps(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Split overlapping rows of one agent at every boundary; the later start wins.

    ``rows`` come from ``_clustered``. A cluster of one row passes through; inside a
    larger cluster (rare: a repair) every elementary segment between consecutive boundaries
    takes the row with the latest (start, seq) that covers it. The join is within one cluster
    only, never across an agent's whole history.
    """
    keep = [_AGENT, "start", "end", "state", "status", "reason", "seq", "_clipped"]
    single = rows.filter(~pl.col("_overlapping")).select(keep)
    multi = rows.filter(pl.col("_overlapping"))
    bounds = (
        pl.concat(
            [
                multi.select(_AGENT, "_cluster", pl.col("start").alias("_b")),
                multi.select(_AGENT, "_cluster", pl.col("end").alias("_b")),
            ]
        )
        .unique()
        .sort(_AGENT, "_cluster", "_b")
        .with_columns(pl.col("_b").shift(-1).over(_AGENT, "_cluster").alias("_b_next"))
        .filter(pl.col("_b_next").is_not_null())
    )
    segments = (
        bounds.join(multi, on=[_AGENT, "_cluster"])
        .filter((pl.col("start") <= pl.col("_b")) & (pl.col("_b") < pl.col("end")))
        .sort(_AGENT, "_b", "start", "seq")
        .group_by(_AGENT, "_b")
        .agg(pl.all().last())
        .with_columns(pl.col("_b").alias("start"), pl.col("_b_next").alias("end"))
        .select(keep)
    )
    return pl.concat([single, segments])
