"""Parsing source timestamps into UTC instants, with the DST rules of metrics.md §2.

Accepted text: ISO 8601 with an offset or ``Z`` (exact), ISO 8601 without an offset and
``dd.mm.yyyy HH:MM[:SS]`` (naive local wall-clock times in the configured zone). A typed
``Datetime`` column (Parquet) is used as it is: aware columns are exact, naive ones are local.

A naive time is read twice, as the earlier and as the later of its possible instants:

* both readings null: the time does not exist (spring-forward gap);
* readings differ: the time is ambiguous (fall-back hour) and ``resolve_ambiguous`` settles
  it from the agent's own event order, or leaves it unresolved;
* otherwise the time is exact.

A year must be written with four digits: ``09.03.26 08:00`` or ``26-03-09T08:00:00`` would be
read as the year 26 (or guessed as 2026 or 1926), so such a time is its own kind,
``two_digit_year``, and its row is quarantined, unless the caller names the format
(``timestamp_format="%d.%m.%y %H:%M"``), which is then the only format tried.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from adherence.errors import ConfigurationError, TimeZoneError
from adherence.schemas import UTC_MS

__all__ = [
    "AMBIGUOUS",
    "EXACT",
    "NONEXISTENT",
    "TWO_DIGIT_YEAR",
    "UNPARSEABLE",
    "check_aware",
    "check_zone",
    "parse_instants",
    "resolve_ambiguous",
]

#: Values of the ``kind`` column ``parse_instants`` adds.
EXACT, AMBIGUOUS, NONEXISTENT, UNPARSEABLE = "exact", "ambiguous", "nonexistent", "unparseable"
TWO_DIGIT_YEAR = "two_digit_year"
#: Its type: comparing an enum is comparing small integers.
_KIND = pl.Enum([EXACT, AMBIGUOUS, NONEXISTENT, UNPARSEABLE, TWO_DIGIT_YEAR])
#: A date with a two-digit year at the start of a time: ``09.03.26 ...``, ``26-03-09T...``.
_TWO_DIGIT_YEAR = r"^(?:\d{1,2}[./]\d{1,2}[./]\d{2}|\d{2}-\d{1,2}-\d{1,2})(?:[T\s]|$)"
#: Format directives that carry an offset.
_OFFSET_DIRECTIVES = ("%z", "%:z", "%#z")

_AWARE_FORMATS = ("%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%d %H:%M%#z")
# Plain formats polars parses on a fast path; one of them usually fits a whole export.
# (format, has an offset)
_FAST_FORMATS = (
    ("%Y-%m-%dT%H:%M:%S", False),
    ("%Y-%m-%d %H:%M:%S", False),
    ("%d.%m.%Y %H:%M:%S", False),
    ("%d.%m.%Y %H:%M", False),
    ("%Y-%m-%dT%H:%M:%S%z", True),
    ("%Y-%m-%dT%H:%M:%SZ", True),
)
_SNIFF_ROWS = 1000
_NAIVE_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M",
)


def check_zone(time_zone: str) -> str:
    """Return ``time_zone`` if the IANA database knows it, else raise ``TimeZoneError``."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeZoneError(
            f"unknown time zone {time_zone!r}",
            hint="use an IANA name such as 'Europe/Oslo' (tzdata is a dependency)",
        ) from None
    return time_zone


def check_aware(value: datetime, name: str) -> datetime:
    """Return ``value`` if it carries a time zone, else raise ``ConfigurationError``."""
    if value.tzinfo is None:
        raise ConfigurationError(
            f"{name}={value!r} has no time zone",
            hint=f"pass an aware datetime, e.g. {name}=datetime(2026, 4, 1, 12, tzinfo=UTC)",
        )
    return value


def _normalised_text(column: str) -> pl.Expr:
    return (
        pl.col(column)
        .str.strip_chars()
        .str.replace("T", " ", literal=True, n=1)
        .str.replace(r"[Zz]$", "+00:00")
    )


def _parse_any(text: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    return pl.coalesce([text.str.to_datetime(fmt, time_unit="ms", strict=False) for fmt in formats])


def parse_instants(
    frame: pl.LazyFrame | pl.DataFrame,
    column: str,
    *,
    time_zone: str,
    dtype: pl.DataType,
    prefix: str,
    timestamp_format: str | None = None,
) -> pl.LazyFrame:
    """Add ``{prefix}_early``, ``{prefix}_late`` (UTC) and ``{prefix}_kind`` for ``column``.

    ``_early == _late`` for exact instants; both null for unparseable or nonexistent times and
    for two-digit years. ``timestamp_format`` (a ``strftime`` format, with ``%z`` for an
    offset) replaces the accepted formats and the two-digit year check for text.

    Text is parsed in two passes: the plain format that fits most of the first 1,000 values
    (read from the head of the source) is applied to every row, and only the rows it does not
    fit go through every accepted format. For a ``DataFrame`` where it fits every row (the
    usual export) the second pass is skipped. Row order is not kept.
    """
    if timestamp_format is not None and dtype == pl.String():
        return _parse_with_format(
            frame.lazy(), column, timestamp_format, time_zone=time_zone, prefix=prefix
        )
    fast = _sniff_format(frame.lazy(), column) if dtype == pl.String() else None
    if fast is None:
        return _parse_instants(
            frame.lazy(), column, time_zone=time_zone, dtype=dtype, prefix=prefix
        )
    fmt, has_offset = fast
    parsed = pl.col(column).str.to_datetime(fmt, time_unit="ms", strict=False)
    # A two-digit year fits %Y as the year 26: leave it to the general pass, which names it.
    parsed = pl.when(parsed.dt.year() >= 1000).then(parsed)
    first_pass = frame.lazy().with_columns(parsed.alias("_fast"))
    misfit = pl.col("_fast").is_null() & pl.col(column).is_not_null()
    fast_dtype = pl.Datetime("ms", "UTC" if has_offset else None)
    if isinstance(frame, pl.DataFrame):
        first_pass = first_pass.collect(engine="in-memory").lazy()
        if not first_pass.select(misfit.any()).collect().item():
            # A null time is unparseable either way.
            return _parse_instants(
                first_pass, "_fast", time_zone=time_zone, dtype=fast_dtype, prefix=prefix
            ).drop("_fast")
    fitted = _parse_instants(
        first_pass.filter(~misfit), "_fast", time_zone=time_zone, dtype=fast_dtype, prefix=prefix
    )
    rest = _parse_instants(
        first_pass.filter(misfit), column, time_zone=time_zone, dtype=dtype, prefix=prefix
    )
    return pl.concat([fitted, rest]).drop("_fast")


def _sniff_format(frame: pl.LazyFrame, column: str) -> tuple[str, bool] | None:
    """The plain format that parses most of the column's first values, if any parses one."""
    try:
        head = frame.select(pl.col(column)).head(_SNIFF_ROWS).collect().to_series().drop_nulls()
    except pl.exceptions.PolarsError:
        return None  # unreadable head: the general parser reports it when the data is read
    if head.is_empty():
        return None
    fits = [
        int(head.str.to_datetime(fmt, time_unit="ms", strict=False).is_not_null().sum())
        for fmt, _ in _FAST_FORMATS
    ]
    best = max(range(len(fits)), key=fits.__getitem__)
    return _FAST_FORMATS[best] if fits[best] else None


def _parse_instants(
    frame: pl.LazyFrame, column: str, *, time_zone: str, dtype: pl.DataType, prefix: str
) -> pl.LazyFrame:
    early, late, kind = f"{prefix}_early", f"{prefix}_late", f"{prefix}_kind"
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        exact = pl.col(column).dt.convert_time_zone("UTC").dt.cast_time_unit("ms")
        return frame.with_columns(
            exact.alias(early),
            exact.alias(late),
            pl.when(exact.is_null())
            .then(pl.lit(UNPARSEABLE))
            .otherwise(pl.lit(EXACT))
            .cast(_KIND)
            .alias(kind),
        )
    two_digit_year: pl.Expr = pl.lit(value=False)
    if isinstance(dtype, pl.Datetime):
        aware = pl.lit(None, dtype=UTC_MS)
        naive = pl.col(column).dt.cast_time_unit("ms")
    else:
        text = _normalised_text(column)
        two_digit_year = pl.col(column).str.strip_chars().str.contains(_TWO_DIGIT_YEAR)
        aware = _parse_any(text, _AWARE_FORMATS).dt.convert_time_zone("UTC")
        naive = _parse_any(text, _NAIVE_FORMATS)
        aware = pl.when(~two_digit_year).then(aware)
        naive = pl.when(~two_digit_year).then(naive)
    return _localised(frame, aware, naive, two_digit_year, time_zone=time_zone, prefix=prefix)


def _parse_with_format(
    frame: pl.LazyFrame, column: str, timestamp_format: str, *, time_zone: str, prefix: str
) -> pl.LazyFrame:
    """Parse text with the caller's one format (aware if it has an offset directive)."""
    parsed = (
        pl.col(column)
        .str.strip_chars()
        .str.to_datetime(timestamp_format, time_unit="ms", strict=False)
    )
    if any(d in timestamp_format for d in _OFFSET_DIRECTIVES):
        aware = parsed.dt.convert_time_zone("UTC")
        naive = pl.lit(None, dtype=pl.Datetime("ms"))
    else:
        aware = pl.lit(None, dtype=UTC_MS)
        naive = parsed
    return _localised(frame, aware, naive, pl.lit(value=False), time_zone=time_zone, prefix=prefix)


def _localised(
    frame: pl.LazyFrame,
    aware: pl.Expr,
    naive: pl.Expr,
    two_digit_year: pl.Expr,
    *,
    time_zone: str,
    prefix: str,
) -> pl.LazyFrame:
    """Add the early and late readings and the kind from an exact and a naive parse."""
    early, late, kind = f"{prefix}_early", f"{prefix}_late", f"{prefix}_kind"
    localised = {
        side: naive.dt.replace_time_zone(
            time_zone, ambiguous=side, non_existent="null"
        ).dt.convert_time_zone("UTC")
        for side in ("earliest", "latest")
    }
    return frame.with_columns(
        pl.coalesce(aware, localised["earliest"]).alias(early),
        pl.coalesce(aware, localised["latest"]).alias(late),
        pl.when(aware.is_not_null())
        .then(pl.lit(EXACT))
        .when(two_digit_year)
        .then(pl.lit(TWO_DIGIT_YEAR))
        .when(naive.is_null())
        .then(pl.lit(UNPARSEABLE))
        .when(localised["earliest"].is_null())
        .then(pl.lit(NONEXISTENT))
        .when(localised["earliest"] != localised["latest"])
        .then(pl.lit(AMBIGUOUS))
        .otherwise(pl.lit(EXACT))
        .cast(_KIND)
        .alias(kind),
    )


def resolve_ambiguous(
    frame: pl.LazyFrame, *, agent: str, order: str, prefix: str, usable: pl.Expr
) -> pl.LazyFrame:
    """Settle ambiguous readings by the agent's own order.

    Adds ``{prefix}`` (the UTC instant, null where unsettled) and ``{prefix}_resolved`` (bool:
    an ambiguous time was settled).

    Among ``usable`` rows of one agent in ``order``, each run of ambiguous times between two
    exact times (or the ends of the data) is read as a prefix of earlier readings followed by
    a suffix of later ones. The valid split points are those that keep the whole run, with its
    exact neighbours, non-decreasing. A time is settled when every valid split puts it on the
    same side; otherwise it stays null (quarantined as ambiguous).

    Only the rows of agents with an ambiguous time take part (a few per DST night), and the
    run-level work is done on their ambiguous rows alone. Row order is not kept.
    """
    early, late, kind = pl.col(f"{prefix}_early"), pl.col(f"{prefix}_late"), f"{prefix}_kind"
    is_amb = (pl.col(kind) == AMBIGUOUS) & usable
    exact_ts = pl.when((pl.col(kind) == EXACT) & usable).then(early)
    marked = frame.with_columns(is_amb.alias("_amb")).with_columns(
        pl.col(agent)
        .is_in(pl.col(agent).filter(pl.col("_amb")).unique().implode())
        .fill_null(value=False)  # a row without an agent is never settled by order
        .alias("_affected")
    )
    untouched = marked.filter(~pl.col("_affected")).with_columns(
        exact_ts.alias(prefix), pl.lit(value=False).alias(f"{prefix}_resolved")
    )
    # File order is ``order``: the windows below follow it within each agent.
    with_neighbours = (
        marked.filter(pl.col("_affected"))
        .sort(agent, order)
        .with_columns(
            _run=exact_ts.is_not_null().cum_sum().over(agent),
            _prev=exact_ts.forward_fill().shift(1).over(agent),
            _next=exact_ts.backward_fill().shift(-1).over(agent),
        )
    )
    exact_rows = with_neighbours.filter(~pl.col("_amb")).with_columns(
        exact_ts.alias(prefix), pl.lit(value=False).alias(f"{prefix}_resolved")
    )
    run = [agent, "_run"]
    amb_rows = with_neighbours.filter(pl.col("_amb")).with_columns(
        pl.int_range(1, pl.len() + 1).over(run).alias("_pos"),
        pl.len().over(run).alias("_m"),
    )
    # Descent: an ambiguous time earlier than the previous ambiguous time of the run.
    descent = pl.when(early < early.shift(1).over(run)).then(pl.col("_pos"))
    amb_rows = amb_rows.with_columns(
        descent.min().over(run).fill_null(1 << 40).alias("_first_desc"),
        descent.max().over(run).fill_null(0).alias("_last_desc"),
        early.first().over(run).alias("_first_early"),
        late.first().over(run).alias("_first_late"),
        early.last().over(run).alias("_last_early"),
        late.last().over(run).alias("_last_late"),
    )
    m, pos = pl.col("_m"), pl.col("_pos")
    prev_, next_ = pl.col("_prev"), pl.col("_next")
    lo = pl.max_horizontal(pl.lit(0), pl.col("_last_desc") - 1)
    lo = pl.when(next_.is_not_null() & (pl.col("_last_late") > next_)).then(m).otherwise(lo)
    hi = pl.min_horizontal(m, pl.col("_first_desc") - 1)
    hi = pl.when(prev_.is_not_null() & (prev_ > pl.col("_first_early"))).then(0).otherwise(hi)
    impossible = (
        (prev_.is_not_null() & (prev_ > pl.col("_first_late")))
        | (next_.is_not_null() & (pl.col("_last_early") > next_))
        | (lo > hi)
    )
    settled = (
        pl.when(impossible)
        .then(None)
        .when(lo >= pos)
        .then(early)
        .when(hi < pos)
        .then(late)
        .otherwise(None)
    )
    amb_rows = amb_rows.with_columns(settled.alias(prefix)).with_columns(
        pl.col(prefix).is_not_null().alias(f"{prefix}_resolved")
    )
    columns = [*frame.collect_schema().names(), prefix, f"{prefix}_resolved"]
    return pl.concat(
        [untouched.select(columns), exact_rows.select(columns), amb_rows.select(columns)]
    )
