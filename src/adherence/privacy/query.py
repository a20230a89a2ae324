"""The restricted query language of reports (G4): public dimensions only.

A report groups by and filters on public dimensions — team, site, skill, employment type,
work location, and the calendar (day, ISO week, month) — and asks for one metric of the
catalogue. There is no filter on a metric's value, no top-k, no min or max; order statistics
exist only as the catalogue's median and p90 metrics, and need more agents.

Examples
--------
>>> from adherence.privacy.query import Query, parse_period
>>> q = Query.parse("adherence_pct", by=["team", "iso_week"], period="2025-W10")
>>> q.first_day, q.last_day
(datetime.date(2025, 3, 3), datetime.date(2025, 3, 9))
>>> parse_period("2025-03")
(datetime.date(2025, 3, 1), datetime.date(2025, 3, 31))
>>> Query.parse("adherence_pct", by=["agent_id"])
Traceback (most recent call last):
...
adherence.errors.ForbiddenQueryError: reports group only by public dimensions. Hint: ...
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from adherence.errors import ForbiddenQueryError
from adherence.metrics import METRICS, Metric

__all__ = [
    "CALENDAR",
    "DIMENSIONS",
    "INTRADAY",
    "ORG_DIMENSIONS",
    "ROSTER_DIMENSIONS",
    "Period",
    "Query",
    "check_by",
    "check_where",
    "did_you_mean",
    "parse_period",
]

#: Roster attributes a report may group or filter by, as the roster has them.
ROSTER_DIMENSIONS = ("team", "site", "skill", "employment_type", "work_location")
#: Every organisational dimension: the roster's, ``contract`` (``full_time`` or ``part_time``,
#: from ``contract_pct``) and ``start_hour`` (the local hour a shift starts, from the schedule).
ORG_DIMENSIONS = (*ROSTER_DIMENSIONS, "contract", "start_hour")
#: Calendar dimensions, from the local date a shift belongs to.
CALENDAR = ("day", "iso_week", "month")
#: Intraday dimensions: ``half_hour``, the local wall-clock half hour (``"08:00"``, ``"08:30"``,
#: ...) in the workspace's time zone. Only figures kept per half hour may use it.
INTRADAY = ("half_hour",)
#: Every public dimension.
DIMENSIONS = ORG_DIMENSIONS + CALENDAR + INTRADAY

Period = str | tuple[date, date] | None

_FAR_PAST = date(1900, 1, 1)
_FAR_FUTURE = date(2999, 12, 31)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"did you mean x? "`` for the closest of ``choices`` (up to three), or ``""``.

    Examples
    --------
    >>> did_you_mean("adherance_pct", ["adherence_pct", "meal_ms"])
    'did you mean adherence_pct? '
    """
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.75)
    return f"did you mean {' or '.join(close)}? " if close else ""


def _forbidden(rule: str, remedy: str) -> ForbiddenQueryError:
    return ForbiddenQueryError(rule, remedy=remedy)


def parse_period(period: Period) -> tuple[date, date]:
    """The first and last local date (inclusive) of a period.

    ``period`` is an ISO week (``"2025-W10"``), a month (``"2025-03"``), a day
    (``"2025-03-04"``), a range of two of those joined by ``/`` (``"2025-W10/2025-W12"``), a
    ``(first, last)`` pair of dates, or ``None`` for all data.
    """
    if period is None:
        return _FAR_PAST, _FAR_FUTURE
    if isinstance(period, tuple):
        first, last = period
        if not (isinstance(first, date) and isinstance(last, date)) or last < first:
            raise _forbidden(
                "a period is a (first, last) pair of dates with first <= last",
                "pass e.g. (date(2025, 3, 3), date(2025, 3, 9))",
            )
        return first, last
    if "/" in period:
        start, _, end = period.partition("/")
        first, _ = parse_period(start)
        _, last = parse_period(end)
        if last < first:
            raise _forbidden("a period range must not end before it starts", "swap the ends")
        return first, last
    if match := _WEEK.match(period):
        year, week = int(match[1]), int(match[2])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise _forbidden(f"{period!r} is not an ISO week", "use e.g. '2025-W10'") from None
        return monday, monday + timedelta(days=6)
    if match := _MONTH.match(period):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise _forbidden(f"{period!r} is not a month", "use e.g. '2025-03'")
        following = date(year + month // 12, month % 12 + 1, 1)
        return date(year, month, 1), following - timedelta(days=1)
    if _DAY.match(period):
        try:
            day = date.fromisoformat(period)
        except ValueError:
            raise _forbidden(f"{period!r} is not a date", "use e.g. '2025-03-04'") from None
        return day, day
    raise _forbidden(
        f"{period!r} is not a period",
        "use an ISO week '2025-W10', a month '2025-03', a day '2025-03-04' or a range 'a/b'",
    )


def check_by(by: str | Sequence[str], *, intraday: bool = True) -> tuple[str, ...]:
    """The grouping dimensions, if all are public and none repeats (else ``ADH-003``).

    Without ``intraday`` (fairness audits: their units are shifts and days) ``half_hour`` is
    not among them.
    """
    groups = (by,) if isinstance(by, str) else tuple(by)
    allowed = DIMENSIONS if intraday else ORG_DIMENSIONS + CALENDAR
    unknown = [d for d in groups if d not in allowed]
    if unknown:
        raise _forbidden(
            "reports group only by public dimensions",
            f"{did_you_mean(unknown[0], allowed)}group by some of {', '.join(allowed)}; "
            "individual figures need a share from the employee",
        )
    if len(set(groups)) != len(groups):
        raise _forbidden("a dimension appears twice in by", "name each dimension once")
    return groups


def check_where(
    where: Mapping[str, str | Sequence[str]] | None,
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The filters as sorted (dimension, values) pairs, if all are on roster dimensions."""
    filters: list[tuple[str, tuple[str, ...]]] = []
    for dimension, allowed in sorted((where or {}).items()):
        if dimension not in ORG_DIMENSIONS:
            raise _forbidden(
                "reports filter only on roster dimensions; metric values cannot be filtered",
                f"{did_you_mean(dimension, ORG_DIMENSIONS)}filter on some of "
                f"{', '.join(ORG_DIMENSIONS)}, and use period= for time",
            )
        values = (allowed,) if isinstance(allowed, str) else tuple(allowed)
        if not values or not all(isinstance(v, str) for v in values):
            raise _forbidden("a filter lists one or more text values", "e.g. {'skill': 'sales'}")
        filters.append((dimension, tuple(sorted(set(values)))))
    return tuple(filters)


@dataclass(frozen=True)
class Query:
    """One checked report request.

    Attributes
    ----------
    metric
        The catalogue entry asked for.
    by
        Public dimensions to group by, in order.
    first_day, last_day
        The local dates the report covers (inclusive).
    where
        Filters on roster dimensions: dimension → allowed values.
    margins
        Whether total rows over each grouping dimension are asked for too.
    """

    metric: Metric
    by: tuple[str, ...]
    first_day: date
    last_day: date
    where: tuple[tuple[str, tuple[str, ...]], ...]
    margins: bool

    @classmethod
    def parse(
        cls,
        metric: str,
        *,
        by: Sequence[str] = (),
        period: Period = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        margins: bool = False,
        intraday: bool = True,
    ) -> Query:
        """Check a request against the query language; raise ``ForbiddenQueryError`` (ADH-003).

        ``intraday=False`` leaves ``half_hour`` out of the dimensions (fairness audits).
        """
        if not isinstance(metric, str) or metric not in METRICS:
            close = did_you_mean(metric, METRICS) if isinstance(metric, str) else ""
            raise _forbidden(
                "reports ask for one metric of the catalogue; value filters, top-k, minimum "
                "and maximum are not part of the query language",
                f"{close}see adherence.metrics.METRICS for the figures a report can give",
            )
        first, last = parse_period(period)
        return cls(
            METRICS[metric],
            check_by(by, intraday=intraday),
            first,
            last,
            check_where(where),
            margins,
        )

    def to_dict(self) -> dict[str, object]:
        """The query as plain values (for its fingerprint)."""
        return {
            "metric": self.metric.name,
            "by": list(self.by),
            "period": [self.first_day.isoformat(), self.last_day.isoformat()],
            "where": {d: list(v) for d, v in self.where},
            "margins": self.margins,
        }

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical query: the same question, the same fingerprint."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def period_label(self) -> str:
        """The period as text (``all`` when unbounded)."""
        if (self.first_day, self.last_day) == (_FAR_PAST, _FAR_FUTURE):
            return "all"
        return f"{self.first_day.isoformat()}/{self.last_day.isoformat()}"
