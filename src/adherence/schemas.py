"""The canonical tables of ``adherence`` as pandera (``pandera.polars``) models.

One ``DataFrameModel`` per table; every reader validates its output against these and every
public function that accepts a table validates it at the boundary (``validate``). Times are
UTC instants in milliseconds; intervals are half-open ``[start, end)``.

Examples
--------
>>> import polars as pl
>>> from adherence.schemas import Quarantine, validate
>>> empty = Quarantine.empty()
>>> validate(empty, Quarantine).columns
['row', 'column', 'reason', 'value', 'source']
"""

from __future__ import annotations

from typing import Any, TypeVar

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaError, SchemaErrors

from adherence.errors import SchemaValidationError
from adherence.reasons import QuarantineReason
from adherence.states import ACTIVITY_DTYPE, STATE_DTYPE

__all__ = [
    "UTC_MS",
    "CanonicalModel",
    "Incident",
    "Quarantine",
    "Roster",
    "ScheduledActivity",
    "SourceInterval",
    "StateInterval",
    "StatusEvent",
    "validate",
]

#: The dtype of every instant column: UTC, millisecond precision.
UTC_MS = pl.Datetime("ms", "UTC")

_Frame = TypeVar("_Frame", pl.DataFrame, pl.LazyFrame)


class CanonicalModel(pa.DataFrameModel):
    """Base of the canonical models: strict columns, ordered as declared."""

    class Config:
        """Reject unknown columns; keep declared order."""

        strict = True
        ordered = True


class StatusEvent(CanonicalModel):
    """One status change as the source logged it, after ingest.

    ``state`` is null only for heartbeat rows, which never change state.
    """

    agent_id: str = pa.Field(nullable=False, str_length={"min_value": 1})
    ts: UTC_MS = pa.Field(nullable=False)  # type: ignore[valid-type]
    status: str = pa.Field(nullable=False)
    reason: str = pa.Field(nullable=True)
    state: STATE_DTYPE = pa.Field(nullable=True)  # type: ignore[valid-type]
    source: str = pa.Field(nullable=False)
    seq: pl.Int64 = pa.Field(nullable=False, ge=1)


class StateInterval(CanonicalModel):
    """One maximal run of one state of one agent, ``[start, end)``."""

    agent_id: str = pa.Field(nullable=False, str_length={"min_value": 1})
    start: UTC_MS = pa.Field(nullable=False)  # type: ignore[valid-type]
    end: UTC_MS = pa.Field(nullable=False)  # type: ignore[valid-type]
    state: STATE_DTYPE = pa.Field(nullable=False)  # type: ignore[valid-type]
    status: str = pa.Field(nullable=True)
    reason: str = pa.Field(nullable=True)
    open: bool = pa.Field(nullable=False)
    inferred: bool = pa.Field(nullable=False)

    @pa.dataframe_check
    @classmethod
    def starts_before_end(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Every interval has a positive length."""
        return data.lazyframe.select(pl.col("start") < pl.col("end"))


class SourceInterval(CanonicalModel):
    """One state row of an interval source (a state detail report) before normalising.

    Unlike ``StateInterval`` these may overlap, touch with equal states or have zero
    length; ``from_state_detail`` turns them into state intervals.
    """

    agent_id: str = pa.Field(nullable=False, str_length={"min_value": 1})
    start: UTC_MS = pa.Field(nullable=False)  # type: ignore[valid-type]
    end: UTC_MS = pa.Field(nullable=False)  # type: ignore[valid-type]
    status: str = pa.Field(nullable=False)
    reason: str = pa.Field(nullable=True)
    state: STATE_DTYPE = pa.Field(nullable=True)  # type: ignore[valid-type]
    source: str = pa.Field(nullable=False)
    seq: pl.Int64 = pa.Field(nullable=False, ge=1)

    @pa.dataframe_check
    @classmethod
    def end_not_before_start(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """No interval ends before it starts."""
        return data.lazyframe.select(pl.col("start") <= pl.col("end"))


class ScheduledActivity(CanonicalModel):
    """One planned activity of one agent, ``[start, end)``, within one shift."""

    agent_id: str = pa.Field(nullable=False, str_length={"min_value": 1})
    shift_id: str = pa.Field(nullable=False)
    start: UTC_MS = pa.Field(nullable=False)  # type: ignore[valid-type]
    end: UTC_MS = pa.Field(nullable=False)  # type: ignore[valid-type]
    activity: ACTIVITY_DTYPE = pa.Field(nullable=False)  # type: ignore[valid-type]
    counts_for_adherence: bool = pa.Field(nullable=False)

    @pa.dataframe_check
    @classmethod
    def starts_before_end(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Every activity has a positive length."""
        return data.lazyframe.select(pl.col("start") < pl.col("end"))


class Roster(CanonicalModel):
    """One agent in one org unit for a validity period (``valid_to`` inclusive, null: open)."""

    agent_id: str = pa.Field(nullable=False, str_length={"min_value": 1})
    team: str = pa.Field(nullable=False)
    site: str = pa.Field(nullable=False)
    valid_from: pl.Date = pa.Field(nullable=False)
    valid_to: pl.Date = pa.Field(nullable=True)
    employment_type: str = pa.Field(nullable=True, isin=["permanent", "temporary"])
    work_location: str = pa.Field(nullable=True, isin=["office", "home", "hybrid"])
    contract_pct: pl.Float64 = pa.Field(nullable=True, ge=0, le=100)
    skill: str = pa.Field(nullable=True)


class Incident(CanonicalModel):
    """A window ``[start, end)`` in which a site or a team could not work as scheduled.

    Exactly one of ``site`` and ``team`` names where; ``reason`` says why (shown in reports'
    notes). The scheduled time of every agent there inside the window is neutral.
    """

    site: str = pa.Field(nullable=True)
    team: str = pa.Field(nullable=True)
    start: UTC_MS = pa.Field(nullable=False)  # type: ignore[valid-type]
    end: UTC_MS = pa.Field(nullable=False)  # type: ignore[valid-type]
    reason: str = pa.Field(nullable=False, str_length={"min_value": 1})

    @pa.dataframe_check
    @classmethod
    def starts_before_end(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Every incident has a positive length."""
        return data.lazyframe.select(pl.col("start") < pl.col("end"))

    @pa.dataframe_check
    @classmethod
    def one_site_or_team(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Exactly one of ``site`` and ``team`` is given."""
        return data.lazyframe.select(pl.col("site").is_null() != pl.col("team").is_null())


class Quarantine(CanonicalModel):
    """One input row that could not be used, with the first reason found.

    ``row`` is the 1-based data-record number in the source (the header is not counted); it is
    also the ``seq`` the row would have had as an event. ``value`` is the offending raw text,
    never an agent identifier.
    """

    row: pl.Int64 = pa.Field(nullable=False, ge=1)
    column: str = pa.Field(nullable=True)
    reason: str = pa.Field(nullable=False, isin=[r.value for r in QuarantineReason])
    value: str = pa.Field(nullable=True)
    source: str = pa.Field(nullable=False)


def validate(data: _Frame, model: type[CanonicalModel], *, lazy: bool = True) -> _Frame:
    """Validate ``data`` against ``model`` and return it unchanged; raise on failure.

    Parameters
    ----------
    data
        The table. A ``LazyFrame`` is checked for column names and dtypes only (pandera's
        default depth), a ``DataFrame`` for every value check too.
    model
        One of the canonical models.
    lazy
        Collect every failure before raising (``True``) or stop at the first.

    Raises
    ------
    SchemaValidationError
        With pandera's failure report as the message.
    """
    try:
        return model.validate(data, lazy=lazy)
    except (SchemaError, SchemaErrors) as err:
        raise SchemaValidationError(
            f"table does not satisfy the {model.__name__} schema: {_summary(err)}",
            hint=f"compare its columns with adherence.schemas.{model.__name__}",
        ) from err


def _summary(err: Any) -> str:
    text = str(err).strip().splitlines()
    return " ".join(line.strip() for line in text[:12])
