"""Door guards: every argument is checked before any data is touched (G16).

Each public door of ``Workspace`` first checks its arguments here — types and shapes — and
raises ``ConfigurationError`` (``ADH-090``) for a value of the wrong kind. Messages name the
argument and the type found, never the value (a caller may pass an agent id by mistake).
Names are checked next, against the public catalogues, by the query language
(``adherence.privacy.query``: ``ForbiddenQueryError`` with the closest names suggested),
and that refusal is logged.

``door`` wraps a door: an ``AdherenceError`` leaves it with its traceback cut at the door, an
unexpected error leaves it as ``InternalError`` (``ADH-099``) raised from the door's guard, a
frame that holds only the arguments. Neither carries a cause or a context, so a rendered
traceback (even with local variables) shows no frame where data was handled.

Examples
--------
>>> check_where({"skill": 3})
Traceback (most recent call last):
...
adherence.errors.ConfigurationError: where['skill'] must be a text or a list of texts, not a int...
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import ParamSpec, TypeVar

import polars as pl

from adherence.errors import AdherenceError, ConfigurationError, InternalError
from adherence.ingest import Ingest
from adherence.intervals import Intervals
from adherence.privacy.viewers import Auditor, Employee, Steward, TeamLead
from adherence.rules import Rule

__all__ = [
    "check_bool",
    "check_by",
    "check_instance",
    "check_keys",
    "check_metric",
    "check_metrics",
    "check_number",
    "check_path",
    "check_period",
    "check_periods",
    "check_rule",
    "check_table",
    "check_text",
    "check_timedelta",
    "check_viewer",
    "check_where",
    "door",
]

P = ParamSpec("P")
T = TypeVar("T")

#: Errors a bug inside a door may raise; each leaves the door as ``InternalError``.
_UNEXPECTED: tuple[type[BaseException], ...] = (
    ArithmeticError,
    AssertionError,
    AttributeError,
    LookupError,
    OSError,
    RuntimeError,
    TypeError,
    ValueError,
    pl.exceptions.PolarsError,
    sqlite3.Error,
)
_VIEWERS = (Steward, TeamLead, Employee, Auditor)


def door(method: Callable[P, T]) -> Callable[P, T]:
    """Guard a public door: typed errors only, raised from a frame that holds no data."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        known: AdherenceError | None = None
        failed: str | None = None
        try:
            return method(*args, **kwargs)
        except AdherenceError as err:
            known = err
        except _UNEXPECTED as err:
            failed = type(err).__name__
        # Raised here, outside the handler: the error carries no context and no frame below.
        if known is not None:
            known.__cause__ = known.__context__ = None
            raise known.with_traceback(None)
        raise InternalError(
            f"an unexpected {failed} inside Workspace.{method.__name__}; nothing was released",
            hint="this is a bug in adherence; please report it with the call (not the data)",
        )

    return guarded


def _kind(value: object) -> str:
    return type(value).__name__


def check_viewer(viewer: object, name: str = "viewer") -> None:
    """A viewer is a ``Steward``, ``TeamLead``, ``Employee`` or ``Auditor``."""
    if not isinstance(viewer, _VIEWERS):
        raise ConfigurationError(
            f"{name} must be a Steward, TeamLead, Employee or Auditor, not a {_kind(viewer)}",
            hint=f"e.g. {name}=TeamLead('tl-17', teams=['Kundeservice 1']); the host "
            "application builds it for the person it authenticated",
        )


def check_text(value: object, name: str, *, optional: bool = False) -> None:
    """A non-empty text (or ``None`` when ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            f"{name} must be a non-empty text, not a {_kind(value)}",
            hint=f"pass {name} as a str",
        )


def check_keys(value: object, name: str, *, optional: bool = False) -> None:
    """A key: text or bytes (or ``None`` when ``optional``); its length is checked later."""
    if value is None and optional:
        return
    if not isinstance(value, str | bytes):
        raise ConfigurationError(
            f"{name} must be text or bytes, not a {_kind(value)}",
            hint="pass the key the steward holds, e.g. from an environment variable",
        )


def check_bool(value: object, name: str) -> None:
    """``True`` or ``False`` (not a number or a text)."""
    if not isinstance(value, bool):
        raise ConfigurationError(
            f"{name} must be True or False, not a {_kind(value)}", hint=f"pass {name}=True"
        )


def check_number(
    value: object,
    name: str,
    *,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
) -> None:
    """A number (an ``int`` when ``integer``), not a bool, from ``low`` to ``high``."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigurationError(
            f"{name} must be {'an integer' if integer else 'a number'}, not a {_kind(value)}",
            hint=f"pass {name} as a {'int' if integer else 'float'}",
        )
    if low is not None and not value >= low:
        raise ConfigurationError(f"{name} must be at least {low}", hint=f"raise {name}")
    if high is not None and not value <= high:
        raise ConfigurationError(f"{name} must be at most {high}", hint=f"lower {name}")


def check_timedelta(value: object, name: str, *, optional: bool = False) -> None:
    """A non-negative ``timedelta`` (or ``None`` when ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ConfigurationError(
            f"{name} must be a timedelta of zero or more, not a {_kind(value)}",
            hint=f"e.g. {name}=timedelta(days=30)",
        )


def check_path(value: object, name: str) -> None:
    """A file path: ``str`` or ``pathlib.Path``."""
    if not isinstance(value, str | Path) or not str(value):
        raise ConfigurationError(
            f"{name} must be a path (str or pathlib.Path), not a {_kind(value)}",
            hint="pass the file's path",
        )


def check_instance(value: object, kind: type, name: str) -> None:
    """``value`` is ``None`` or a ``kind``."""
    if value is not None and not isinstance(value, kind):
        raise ConfigurationError(
            f"{name} must be a {kind.__name__} or None, not a {_kind(value)}",
            hint=f"pass {name}={kind.__name__}(...)",
        )


def check_table(value: object, name: str, *, intervals: bool = False) -> None:
    """A table is an ``Ingest`` or a polars frame (or ``Intervals``, for the log)."""
    kinds: tuple[type, ...] = (Ingest, pl.DataFrame, pl.LazyFrame)
    if intervals:
        kinds = (*kinds, Intervals)
    if not isinstance(value, kinds):
        raise ConfigurationError(
            f"{name} must be an Ingest (adherence.io.read_*) or a polars frame, "
            f"not a {_kind(value)}",
            hint=f"read it with adherence.io, e.g. {name}=read_schedule(path, key=...)",
        )


def check_rule(rule: object) -> None:
    """A rule is an ``adherence.rules.Rule`` (``PauseLimit``, ``PauseBudget``, ...)."""
    if not isinstance(rule, Rule):
        text = " (a rule written as text)" if isinstance(rule, str) else ""
        raise ConfigurationError(
            f"rule must be an adherence.rules.Rule, not a {_kind(rule)}{text}",
            hint="e.g. PauseLimit('MEAL', timedelta(minutes=30)), or parse_rule('MEAL<=30:00')",
        )


def check_metric(metric: object, name: str = "metric") -> None:
    """A metric name is text (whether the catalogue has it is the query language's check)."""
    check_text(metric, name)


def _names(value: object, name: str) -> tuple[str, ...]:
    """A text or a list of texts, as a tuple."""
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Sequence | frozenset | set) or isinstance(value, bytes):
        raise ConfigurationError(
            f"{name} must be a text or a list of texts, not a {_kind(value)}",
            hint=f"e.g. {name}=['team', 'iso_week']",
        )
    items = tuple(value)
    if not all(isinstance(v, str) for v in items):
        raise ConfigurationError(
            f"{name} must list texts, found a {_kind(next(v for v in items if not isinstance(v, str)))}",  # noqa: E501
            hint=f"e.g. {name}=['team', 'iso_week']",
        )
    return items


def check_metrics(metrics: object) -> None:
    """A list of metric names (a single name as text is refused: easy to mistype)."""
    if isinstance(metrics, str):
        raise ConfigurationError(
            "metrics must be a list of metric names, not one text",
            hint="pass metrics=['adherence_pct']",
        )
    _names(metrics, "metrics")


def check_by(by: object) -> None:
    """Grouping dimensions: one name, or a list of names."""
    _names(by, "by")


def check_where(where: object) -> None:
    """Filters: ``{dimension name: text or list of texts}``."""
    if where is None:
        return
    if not isinstance(where, Mapping):
        raise ConfigurationError(
            f"where must be a mapping of dimension to values, not a {_kind(where)}",
            hint="e.g. where={'skill': 'sales'}",
        )
    for dimension, allowed in where.items():
        if not isinstance(dimension, str):
            raise ConfigurationError(
                f"where's keys are dimension names, found a {_kind(dimension)}",
                hint="e.g. where={'skill': 'sales'}",
            )
        if not _names(allowed, f"where[{dimension[:40]!r}]"):
            raise ConfigurationError(
                f"where[{dimension[:40]!r}] lists no value", hint="e.g. {'skill': 'sales'}"
            )


def _period_text(value: object) -> str | None:  # noqa: PLR0911 (one return per kind)
    """Why ``value`` is not a period, or ``None`` when it is one."""
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, datetime):
        return "a datetime (a period is made of local dates)"
    if isinstance(value, date):
        return "a single date (pass (day, day) or 'YYYY-MM-DD')"
    if isinstance(value, tuple):
        if len(value) != 2:
            return f"a tuple of {len(value)} items (a period is a (first, last) pair)"
        if any(isinstance(d, datetime) for d in value):
            return "a pair holding a datetime (a period is made of local dates)"
        if not all(isinstance(d, date) for d in value):
            return "a pair of something other than dates"
        return None
    return f"a {_kind(value)}"


def check_period(period: object, name: str = "period") -> None:
    """A period: text (``'2026-W11'``, ``'2026-03'``, ``'a/b'``), a pair of dates, or None."""
    problem = _period_text(period)
    if problem is not None:
        raise ConfigurationError(
            f"{name} is {problem}",
            hint="pass '2026-W11', '2026-03', '2026-03-09', 'a/b', (date, date) or None; "
            "for a datetime, its local .date()",
        )


def check_periods(periods: object) -> None:
    """A list of periods as text (a single text is refused: easy to mistype)."""
    if isinstance(periods, str):
        raise ConfigurationError(
            "periods must be a list of periods, not one text", hint="pass periods=['2026-W11']"
        )
    _names(periods, "periods")
