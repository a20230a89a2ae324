"""Tolerance rules the fairness audit checks (fairness.md).

A rule says which *units* it judges — pause episodes, shifts or ISO weeks of one agent — how
to measure each unit, and the limit. A unit breaches a ``max`` rule when its measure is above
the limit, a ``min`` rule when below. A rule may also say when a breach is *system-induced*
(not attributable to the agent): a login that took longer than the grace, a pause that
started late because a contact was still running.

The four rules of the spec are ready-made; a site adds its own by building a ``Rule`` from
polars expressions over the unit table (columns listed in ``Rule``).

Examples
--------
>>> from datetime import timedelta
>>> from adherence.rules import LoginGrace, PauseBudget, PauseLimit
>>> PauseLimit("MEAL", timedelta(minutes=30)).name
'MEAL episode ≤ 30:00'
>>> PauseBudget(["MEAL"], timedelta(minutes=150), per="week").name
'MEAL per week ≤ 2:30:00'
>>> LoginGrace(timedelta(minutes=2)).with_limit(180_000).name
'login ≤ 3:00 late'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import polars as pl

from adherence.errors import ConfigurationError
from adherence.states import NON_PRODUCTIVE_STATES, State

__all__ = [
    "AdherenceTarget",
    "LoginGrace",
    "PauseBudget",
    "PauseLimit",
    "Rule",
    "Unit",
    "parse_rule",
    "rebuilt",
]

#: What a rule judges: one pause episode, one shift, or one agent's ISO week.
Unit = Literal["episode", "shift", "week"]
_PAUSES = {s.value for s in NON_PRODUCTIVE_STATES}


def clock(ms: float) -> str:
    """A duration as ``m:ss`` (under an hour) or ``h:mm:ss``.

    Examples
    --------
    >>> clock(1_872_000), clock(5_400_000)
    ('31:12', '1:30:00')
    """
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _state(state: State | str) -> str:
    # Plain values only: a subclass of str could read as one state and match as another.
    if isinstance(state, State):
        value = state.value
    elif type(state) is str:
        value = state.upper()
    else:
        raise ConfigurationError(
            f"a state is a State or plain text, got a {type(state).__name__}",
            hint="e.g. 'MEAL' or State.MEAL",
        )
    if value not in _PAUSES:
        raise ConfigurationError(
            f"{state!r} is not a pause state",
            hint=f"use one of {', '.join(sorted(_PAUSES))}",
        )
    return value


#: The longest limit a duration rule takes (a week's budget at most).
MAX_LIMIT = timedelta(days=7)


def _ms(limit: timedelta) -> int:
    # A plain timedelta only: a subclass could show one limit and compare as another.
    if type(limit) is not timedelta or not timedelta(0) < limit <= MAX_LIMIT:
        raise ConfigurationError(
            f"a limit is a positive timedelta of at most {MAX_LIMIT.days} days, got {limit!r}",
            hint="e.g. timedelta(minutes=30)",
        )
    return int(limit // timedelta(milliseconds=1))  # integer arithmetic: no float rounding


@dataclass(frozen=True)
class Rule:
    """A tolerance rule over one kind of unit.

    Columns the expressions may use: for ``episode`` units ``state``, ``duration_ms``,
    ``late_start`` and ``system_reason``; for ``shift`` and ``week`` units every additive
    figure of the engine (``lateness_ms``, ``login_to_ready_ms``, ``meal_episode_ms``,
    ``scheduled_ms``, ...).

    Attributes
    ----------
    label
        How reports name the rule; ``{limit}`` is replaced by the limit as people read it.
    unit
        What one judged unit is.
    measure
        The measured quantity of a unit [ms, or % for targets].
    limit
        The tolerance, in the unit of ``measure``.
    direction
        ``max``: a breach is above the limit; ``min``: below it.
    applies
        Which units the rule judges at all.
    system
        The part of ``measure`` not attributable to the agent [same unit], or ``None``. A
        breach is system-induced when the measure without that part would not breach.
    curve
        Limits for the sensitivity curve (the rule's own limit is always added).
    delay
        The system delay whose median the audit reports [ms], or ``None`` for ``system``
        (the login-to-Ready time of every shift with a login for ``LoginGrace``).
    measure_unit
        ``ms`` or ``pct``.
    """

    label: str
    unit: Unit
    measure: pl.Expr
    limit: float
    direction: Literal["max", "min"] = "max"
    applies: pl.Expr = dataclasses.field(default_factory=lambda: pl.lit(value=True))
    system: pl.Expr | None = None
    curve: tuple[float, ...] = ()
    measure_unit: Literal["ms", "pct"] = "ms"
    delay: pl.Expr | None = None

    def breach(self, limit: float | None = None) -> pl.Expr:
        """Whether a unit breaches the rule (at ``limit``, default the rule's)."""
        at = self.limit if limit is None else limit
        return self.measure > at if self.direction == "max" else self.measure < at

    def system_induced(self, limit: float | None = None) -> pl.Expr:
        """Whether a unit breaches only because of the system's part of the measure."""
        if self.system is None:
            return pl.lit(value=False)
        at = self.limit if limit is None else limit
        rest = self.measure - self.system
        within = rest <= at if self.direction == "max" else rest >= at
        return self.breach(at) & within

    def margin(self) -> pl.Expr:
        """How far a unit's measure is beyond the limit (0 when it does not breach)."""
        over = self.measure - self.limit if self.direction == "max" else self.limit - self.measure
        return pl.max_horizontal(over, pl.lit(0))

    def __post_init__(self) -> None:
        # The curve always holds the rule's own limit, in increasing order.
        object.__setattr__(self, "curve", tuple(sorted({*self.curve, float(self.limit)})))

    @property
    def name(self) -> str:
        """The rule as reports name it, with its limit."""
        return self.label.format(limit=self.describe_limit())

    def with_limit(self, limit: float) -> Rule:
        """The same rule with another limit (for the sensitivity curve)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(Rule)}
        return Rule(**{**fields, "limit": limit})

    def describe_limit(self, limit: float | None = None) -> str:
        """A limit as people read it: ``30:00`` or ``90.0 %``."""
        at = self.limit if limit is None else limit
        return clock(at) if self.measure_unit == "ms" else f"{at:.1f} %"


#: The most limits a rule's sensitivity curve holds (the step widens for long limits).
MAX_CURVE = 60


def _grid(limit_ms: int, low: float, high: float, step_ms: int) -> tuple[float, ...]:
    start = int(limit_ms * low) // step_ms * step_ms
    stop = int(limit_ms * high)
    while (stop - max(step_ms, start)) // step_ms + 1 > MAX_CURVE:
        step_ms *= 2
        start = start // step_ms * step_ms
    return tuple(float(v) for v in range(max(step_ms, start), stop + 1, step_ms))


class PauseLimit(Rule):
    """Each episode of one pause state at most ``max`` long (e.g. ``MEAL`` ≤ 30:00).

    A breach is system-induced when the pause started late because a contact or
    after-contact work was still running when it was due (the call ran into the break), or
    when a system reason code (``MetricOptions.system_reason_codes``) occurs in it.
    """

    def __init__(self, state: State | str, max: timedelta, *, per: Literal["episode"] = "episode"):
        if per != "episode":
            raise ConfigurationError(
                "PauseLimit judges each episode", hint="use PauseBudget for per shift or week"
            )
        value, limit = _state(state), _ms(max)
        super().__init__(
            label=f"{value} episode ≤ {{limit}}",
            unit="episode",
            measure=pl.col("duration_ms"),
            limit=limit,
            applies=pl.col("state") == value,
            system=pl.when(pl.col("late_start") | pl.col("system_reason"))
            .then(pl.col("duration_ms"))
            .otherwise(0),
            curve=_grid(limit, 0.8, 1.35, 60_000),
        )
        object.__setattr__(self, "_spec", ((value, max), {"per": per}))


class PauseBudget(Rule):
    """The total of some pause states per shift or per ISO week at most ``max``.

    A week of lunches of 31:12, 27:55 and three of 30:00 breaches a 30:00 per-episode limit
    once but stays within a 5 × 30:00 weekly budget. Pause time counts for the shift (and
    week) its episode starts in.
    """

    def __init__(
        self,
        states: State | str | Sequence[State | str],
        max: timedelta,
        *,
        per: Literal["shift", "week"] = "shift",
    ):
        if per not in ("shift", "week"):
            raise ConfigurationError(f"per must be 'shift' or 'week', got {per!r}", hint="")
        chosen = [states] if isinstance(states, State | str) else list(states)
        values = sorted({_state(s) for s in chosen})
        limit = _ms(max)
        super().__init__(
            label=f"{'+'.join(values)} per {per} ≤ {{limit}}",
            unit=per,
            measure=pl.sum_horizontal(pl.col(f"{v.lower()}_episode_ms") for v in values),
            limit=limit,
            curve=_grid(limit, 0.8, 1.35, 60_000 if per == "shift" else 300_000),
        )
        object.__setattr__(self, "_spec", ((values, max), {"per": per}))


class LoginGrace(Rule):
    """Lateness at shift start at most ``max`` (e.g. ≤ 2:00).

    Lateness is the first productive instant minus the start of the first counted activity,
    for shifts with a login. The system's part is the login-to-Ready time: a breach is
    system-induced when the agent would have been on time without it.
    """

    def __init__(self, max: timedelta):
        limit = _ms(max)
        super().__init__(
            label="login ≤ {limit} late",
            unit="shift",
            measure=pl.col("lateness_ms"),
            limit=limit,
            applies=pl.col("lateness_shifts") > 0,
            system=pl.min_horizontal("login_to_ready_ms", "lateness_ms"),
            curve=_grid(limit, 0.5, 4.0, 30_000),
            delay=pl.col("login_to_ready_ms"),
        )
        object.__setattr__(self, "_spec", ((max,), {}))


class AdherenceTarget(Rule):
    """Shift adherence at or above ``min_pct``."""

    def __init__(self, min_pct: float):
        if type(min_pct) not in (int, float) or not 0 < min_pct <= 100:
            raise ConfigurationError(f"min_pct must be in (0, 100], got {min_pct}", hint="e.g. 90")
        charged, scheduled = pl.col("out_of_adherence_charged_ms"), pl.col("scheduled_ms")
        super().__init__(
            label="adherence ≥ {limit}",
            unit="shift",
            measure=(100 * (1 - charged / scheduled)).clip(0, 100),
            limit=float(min_pct),
            direction="min",
            applies=(scheduled > 0) & (pl.col("observed_state_ms") > 0),
            curve=tuple(float(v) for v in range(max(50, int(min_pct) - 15), 101, 1)),
            measure_unit="pct",
        )
        object.__setattr__(self, "_spec", ((min_pct,), {}))


_RULE_TEXT = re.compile(
    r"^\s*(?P<what>[A-Za-z_]+)(?:/(?P<per>episode|shift|week))?\s*(?P<op><=|>=)\s*(?P<limit>[\d:.]+)\s*%?\s*$"
)


def rebuilt(rule: Rule) -> Rule:
    """A built-in rule made anew from the arguments it was built with.

    What an auditor hands in is rebuilt, so that a rule changed in place (its filter, its
    curve, its measure) is audited as the built-in rule it claims to be, or refused when
    its arguments do not make one.

    Raises
    ------
    ConfigurationError
        The rule is not one of the built-in rules, or its arguments make none.
    """
    spec = getattr(rule, "_spec", None)
    builtin = (PauseLimit, PauseBudget, LoginGrace, AdherenceTarget)
    if type(rule) not in builtin or not isinstance(spec, tuple) or len(spec) != 2:
        raise ConfigurationError(
            "only the built-in rules can be rebuilt", hint="use PauseLimit, PauseBudget, ..."
        )
    args, kwargs = spec
    if not all(_plain(a) for a in (*args, *kwargs.values())):
        raise ConfigurationError(
            "a built-in rule's arguments are plain texts, numbers and timedeltas",
            hint="build the rule again from plain values",
        )
    return type(rule)(*args, **kwargs)


def _plain(value: object) -> bool:
    """Whether ``value`` is of an exact built-in type (no subclass can pose as another)."""
    if type(value) in (list, tuple):
        return all(_plain(v) for v in value)  # type: ignore[attr-defined]
    return isinstance(value, State) or type(value) in (str, int, float, timedelta)


def _duration(text: str) -> timedelta:
    parts = [float(p) for p in text.split(":")]
    if len(parts) > 3 or not parts:
        raise ValueError(text)
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    if len(parts) == 1:  # a bare number is minutes
        seconds *= 60
    return timedelta(seconds=seconds)


def parse_rule(text: str) -> Rule:
    """A rule from its short form, as the command line takes it.

    ``MEAL<=30:00`` (each episode), ``MEAL/shift<=45:00`` or ``MEAL/week<=2:30:00`` (a
    budget), ``login<=2:00`` (login grace) and ``adherence>=90`` (a target). Durations are
    ``m:ss``, ``h:mm:ss`` or whole minutes.

    Examples
    --------
    >>> parse_rule("MEAL<=30:00").name, parse_rule("login<=2:00").name
    ('MEAL episode ≤ 30:00', 'login ≤ 2:00 late')
    >>> parse_rule("meal/week<=150").name, parse_rule("adherence>=90").name
    ('MEAL per week ≤ 2:30:00', 'adherence ≥ 90.0 %')
    """
    match = _RULE_TEXT.match(text)
    hint = "write e.g. MEAL<=30:00, MEAL/week<=2:30:00, login<=2:00 or adherence>=90"
    if match is None:
        raise ConfigurationError(f"cannot read the rule {text!r}", hint=hint)
    what, per, op, limit = match["what"].lower(), match["per"], match["op"], match["limit"]
    try:
        if what == "adherence" and op == ">=" and per is None:
            return AdherenceTarget(float(limit))
        if what == "login" and op == "<=" and per is None:
            return LoginGrace(_duration(limit))
        if op == "<=" and per in (None, "episode"):
            return PauseLimit(what, _duration(limit))
        if op == "<=" and per in ("shift", "week"):
            return PauseBudget(what, _duration(limit), per="week" if per == "week" else "shift")
    except (ValueError, OverflowError):
        raise ConfigurationError(f"cannot read the limit of {text!r}", hint=hint) from None
    raise ConfigurationError(f"cannot read the rule {text!r}", hint=hint)
