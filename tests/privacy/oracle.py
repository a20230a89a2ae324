"""An exact, independent oracle for the red-team tests (privacy.md, "One release model").

Written from the model, not from the library's ledger:

- unknowns ``x[a, d, m]``: agent ``a``'s additive atom ``m`` on local day ``d``;
- a released cell is one vector per released component (a sum metric: its numerator atoms with
  coefficient 1; a rate or a mean: its numerator vector AND its denominator vector), summed
  over the cell's support: the (agent, day) pairs the cell covers, taken from the schedule and
  the roster (never from which days had data);
- ``pause_ms`` is the sum of every pause atom, including ``other_ms``: the time under a
  sensitive reason code, which is never released on its own;
- knowledge: an employee knows every atom of their own; an opened share reveals exactly
  ``sum_{d in period} x[a, d, m]`` for the shared metrics' atoms.

Isolation: a set ``S`` of agents is isolated when some vector of span(released + knowledge)
is supported on ``S``'s unknowns and is not in span(knowledge). With ``V_S`` the unknowns of
``S``: ``dim(span(V) ∩ V_S) = rank(V) - rank(V projected off V_S)``, all in exact
``Fraction`` arithmetic.

The module also holds the hand-built organisations the red-team tests use (``Person``,
``Org``): their atoms are known by construction, so the unprotected system's answer to any
cell is computed here directly (``Org.value``), and ``Org.tables`` builds the frames a
workspace is loaded with (and ``Org.write_csv`` the files the command line reads).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import polars as pl

from adherence.metrics import METRICS

__all__ = [
    "Cell",
    "Org",
    "Pause",
    "Person",
    "Span",
    "isolated_agents",
    "rank",
    "recoverable",
    "smallest_isolated_set",
]

Coord = tuple[str, date, str]
Vec = dict[Coord, Fraction]

MONDAY = date(2026, 3, 9)  # ISO week 2026-W11, before the switch to summer time
WEEKDAYS = tuple(MONDAY + timedelta(days=i) for i in range(5))
SATURDAY = MONDAY + timedelta(days=5)
MIN = 60_000
SHIFT_MS = 420 * MIN
#: Reason codes the tests configure as sensitive (the spec's default list includes them).
SENSITIVE = ("Tillitsvalgt", "Helse")
PAUSE_STATES = ("AWAY", "APPROVED", "BREAK", "MEAL", "MEETING", "OFF_QUEUE_WORK", "TRAINING")
#: Where a sensitive pause's time goes (never released on its own).
OTHER = "other"

#: Rates: each component vector a release of the rate reveals (numerator, denominator).
RATE_VECTORS: dict[str, tuple[tuple[str, ...], ...]] = {
    "adherence_pct": (("out_of_adherence_charged_ms",), ("scheduled_ms",)),
    "conformance_pct": (("conformance_actual_ms",), ("conformance_scheduled_ms",)),
    "occupancy_pct": (("occupancy_busy_ms",), ("occupancy_available_ms",)),
    "shrinkage_pct": (
        ("shrinkage_planned_ms", "shrinkage_unplanned_ms"),
        ("shrinkage_scheduled_ms",),
    ),
    "shrinkage_planned_pct": (("shrinkage_planned_ms",), ("shrinkage_scheduled_ms",)),
    "shrinkage_unplanned_pct": (("shrinkage_unplanned_ms",), ("shrinkage_scheduled_ms",)),
}


def components(metric: str) -> tuple[tuple[str, ...], ...]:
    """The atoms of each vector a released cell of ``metric`` reveals (none for quantiles)."""
    m = METRICS[metric]
    if m.kind == "rate":
        return RATE_VECTORS[metric]
    if m.kind == "quantile":
        return ()
    numerator = tuple(m.numerator)
    if metric == "pause_ms":
        numerator = (*numerator, f"{OTHER}_ms")
    if m.kind == "sum":
        return (numerator,)
    return (numerator, tuple(m.denominator))


# Linear algebra -------------------------------------------------------------------------
class Span:
    """An exact, fully reduced echelon basis: each pivot occurs in its own row only."""

    def __init__(self, vectors: Iterable[Mapping[Coord, Fraction | int]] = ()) -> None:
        self.rows: dict[Coord, Vec] = {}
        for v in vectors:
            self.add(v)

    def reduce(self, v: Mapping[Coord, Fraction | int]) -> Vec:
        """``v`` minus its component in the span (zero entries dropped)."""
        out: Vec = {c: Fraction(x) for c, x in v.items() if x}
        for pivot in [c for c in out if c in self.rows]:
            factor = out.get(pivot)
            if not factor:
                continue
            for c, x in self.rows[pivot].items():
                y = out.get(c, Fraction(0)) - factor * x
                if y:
                    out[c] = y
                else:
                    out.pop(c, None)
        return out

    def add(self, v: Mapping[Coord, Fraction | int]) -> bool:
        """Add ``v``; whether it was independent of the span."""
        r = self.reduce(v)
        if not r:
            return False
        pivot = min(r)
        scale = r[pivot]
        r = {c: x / scale for c, x in r.items()}
        for row in self.rows.values():
            factor = row.get(pivot)
            if factor:
                for c, x in r.items():
                    y = row.get(c, Fraction(0)) - factor * x
                    if y:
                        row[c] = y
                    else:
                        row.pop(c, None)
        self.rows[pivot] = r
        return True

    def contains(self, v: Mapping[Coord, Fraction | int]) -> bool:
        return not self.reduce(v)

    @property
    def rank(self) -> int:
        return len(self.rows)

    def basis(self) -> list[Vec]:
        return [dict(r) for r in self.rows.values()]


def rank(vectors: Iterable[Mapping[Coord, Fraction | int]]) -> int:
    return Span(vectors).rank


def _dim_inside(basis: Sequence[Vec], agents: frozenset[str]) -> int:
    """dim(span(basis) ∩ unknowns of ``agents``), for a basis (independent vectors)."""
    off = [{c: x for c, x in v.items() if c[0] not in agents} for v in basis]
    return len(basis) - rank(off)


def _agents(vectors: Iterable[Mapping[Coord, object]]) -> list[str]:
    return sorted({c[0] for v in vectors for c in v})


def excess(
    released: Sequence[Mapping[Coord, Fraction | int]],
    knowledge: Sequence[Mapping[Coord, Fraction | int]],
    agents: Iterable[str],
) -> int:
    """How many dimensions about ``agents`` alone the releases add to the knowledge."""
    group = frozenset(agents)
    both = Span([*knowledge, *released]).basis()
    known = Span(knowledge).basis()
    return _dim_inside(both, group) - _dim_inside(known, group)


def isolated_agents(
    released: Sequence[Mapping[Coord, Fraction | int]],
    knowledge: Sequence[Mapping[Coord, Fraction | int]] = (),
) -> list[str]:
    """(a) Every agent one of whose figures is isolated beyond the knowledge."""
    both = Span([*knowledge, *released]).basis()
    known = Span(knowledge).basis()
    return [
        a
        for a in _agents(released)
        if _dim_inside(both, frozenset([a])) > _dim_inside(known, frozenset([a]))
    ]


def smallest_isolated_set(
    released: Sequence[Mapping[Coord, Fraction | int]],
    knowledge: Sequence[Mapping[Coord, Fraction | int]] = (),
    *,
    k: int = 5,
    universe: Iterable[str] | None = None,
) -> tuple[str, ...] | None:
    """(b) The smallest set of fewer than ``k`` agents isolated beyond the knowledge, or None.

    Isolation is monotone (a superset of an isolated set is isolated), so sets of size
    ``min(k - 1, n)`` are checked first and smaller sizes only when one of them is isolated.
    Brute force: fine for the ten or so agents of one component.
    """
    agents = sorted(set(universe) if universe is not None else set(_agents(released)))
    both = Span([*knowledge, *released]).basis()
    known = Span(knowledge).basis()

    def isolated(group: tuple[str, ...]) -> bool:
        s = frozenset(group)
        return _dim_inside(both, s) > _dim_inside(known, s)

    top = min(k - 1, len(agents))
    if top <= 0 or not any(isolated(g) for g in itertools.combinations(agents, top)):
        return None
    for size in range(1, top + 1):
        for group in itertools.combinations(agents, size):
            if isolated(group):
                return group
    raise AssertionError("unreachable: isolation is monotone")


def recoverable(
    target: Mapping[Coord, Fraction | int],
    released: Sequence[Mapping[Coord, Fraction | int]],
    knowledge: Sequence[Mapping[Coord, Fraction | int]] = (),
) -> bool:
    """Whether ``target`` is a combination of released and known vectors but not known alone."""
    if Span(knowledge).contains(target):
        return False
    return Span([*knowledge, *released]).contains(target)


def reaches_atoms(
    atoms: Iterable[str],
    released: Sequence[Mapping[Coord, Fraction | int]],
    knowledge: Sequence[Mapping[Coord, Fraction | int]] = (),
) -> bool:
    """Whether some released combination is supported on ``atoms`` only (any agents), beyond
    the knowledge: the sensitive-code test of G12 (the atom is never broken out, at any level).
    """
    chosen = frozenset(atoms)

    def inside(basis: Sequence[Vec]) -> int:
        off = [{c: x for c, x in v.items() if c[2] not in chosen} for v in basis]
        return len(basis) - rank(off)

    return inside(Span([*knowledge, *released]).basis()) > inside(Span(knowledge).basis())


def solve(
    target: Mapping[Coord, Fraction | int],
    equations: Sequence[tuple[Mapping[Coord, Fraction | int], Fraction]],
) -> Fraction | None:
    """The value of ``target`` implied by ``(vector, value)`` equations, or None if not implied.

    Used to run an attack's arithmetic generically on an unprotected system's answers.
    """

    def tag(i: int) -> Coord:
        return (f"~eq{i:05d}", date.min, "")

    rows: list[Vec] = []
    for i, (v, _) in enumerate(equations):
        row: Vec = {c: Fraction(x) for c, x in v.items() if x}
        row[tag(i)] = Fraction(1)
        rows.append(row)
    rest = Span(rows).reduce(target)
    if any(not c[0].startswith("~eq") for c in rest):
        return None
    # target - sum_i c_i (v_i + e_i) = rest = -sum_i c_i e_i
    return sum(
        (
            -rest.get(tag(i), Fraction(0)) * Fraction(value)
            for i, (_, value) in enumerate(equations)
        ),
        Fraction(0),
    )


# Organisations ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Pause:
    """One pause episode after the meal: a state, a length in minutes, an optional reason."""

    state: str
    minutes: float
    reason: str | None = None

    @property
    def sensitive(self) -> bool:
        return self.reason is not None and self.reason.casefold() in {
            s.casefold() for s in SENSITIVE
        }


@dataclass(frozen=True)
class Person:
    """One agent. Works 08:00-15:00 UTC on each of ``days`` (scheduled OPEN, MEAL 11:00-11:30,
    OPEN); Ready from 07:55 except a meal of ``meal`` minutes from 11:00 (0: no meal that day)
    and the ``pauses`` (back to back from 13:00, during OPEN).
    """

    id: str
    team: str
    site: str = "Oslo"
    skill: str = "sales"
    employment_type: str = "permanent"
    work_location: str = "office"
    days: tuple[date, ...] = WEEKDAYS
    meal: float | Mapping[date, float] = 30
    pauses: tuple[Pause, ...] | Mapping[date, tuple[Pause, ...]] = ()
    valid_from: date = date(2026, 1, 1)
    valid_to: date | None = None

    def meal_on(self, day: date) -> float:
        return self.meal.get(day, 30) if isinstance(self.meal, Mapping) else self.meal

    def pauses_on(self, day: date) -> tuple[Pause, ...]:
        if isinstance(self.pauses, Mapping):
            return tuple(self.pauses.get(day, ()))
        return tuple(self.pauses)

    def on_roster(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def attribute(self, dimension: str) -> str:
        return str(getattr(self, dimension))


def _ms(minutes: float) -> int:
    return round(minutes * MIN)


def atoms(person: Person, day: date) -> dict[str, int]:
    """The true additive atoms of one agent-day (the model's ``x[a, d, ·]``)."""
    x: dict[str, int] = {"scheduled_ms": SHIFT_MS, "shifts": 1}
    for state in (*PAUSE_STATES, OTHER.upper()):
        s = state.lower()
        x[f"{s}_ms"] = x[f"{s}_episodes"] = x[f"{s}_episode_ms"] = 0
    meal = _ms(person.meal_on(day))
    if meal:
        x["meal_ms"] = x["meal_episode_ms"] = meal
        x["meal_episodes"] = 1
    extra = 0
    for p in person.pauses_on(day):
        s = OTHER if p.sensitive else p.state.lower()
        x[f"{s}_ms"] += _ms(p.minutes)
        x[f"{s}_episode_ms"] += _ms(p.minutes)
        x[f"{s}_episodes"] += 1
        if p.state != "APPROVED":  # manager-approved time is in adherence
            extra += _ms(p.minutes)
    x["out_of_adherence_charged_ms"] = abs(meal - 30 * MIN) + extra
    return x


def episodes(person: Person, day: date, state: str) -> list[int]:
    """The lengths [ms] of the agent-day's non-sensitive episodes of ``state``."""
    out = [_ms(person.meal_on(day))] if state == "MEAL" and person.meal_on(day) else []
    out += [_ms(p.minutes) for p in person.pauses_on(day) if p.state == state and not p.sensitive]
    return out


Key = Mapping[str, str]
CALENDAR = {"day": "%Y-%m-%d", "iso_week": "%G-W%V", "month": "%Y-%m"}


@dataclass
class Cell:
    """One released cell as the oracle sees it: its support, vectors and released value."""

    key: dict[str, object]
    support: frozenset[tuple[str, date]]
    vectors: list[Vec]
    value: object = None


@dataclass(frozen=True)
class Org:
    """A hand-built organisation: people, their schedule and their atoms, all known."""

    people: tuple[Person, ...]

    def __init__(self, people: Iterable[Person]) -> None:
        object.__setattr__(self, "people", tuple(people))

    def person(self, agent: str) -> Person:
        return next(p for p in self.people if p.id == agent)

    def replace(self, agent: str, **changes: object) -> Org:
        """The same organisation with one person changed."""
        return Org(replace(p, **changes) if p.id == agent else p for p in self.people)  # type: ignore[arg-type]

    def without(self, agent: str) -> Org:
        return Org(p for p in self.people if p.id != agent)

    def plus(self, *people: Person) -> Org:
        return Org([*self.people, *people])

    # Supports ------------------------------------------------------------------------
    def support(
        self,
        *,
        key: Key | None = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        period: tuple[date, date] | None = None,
        teams: Iterable[str] | None = None,
        agents: Iterable[str] | None = None,
    ) -> frozenset[tuple[str, date]]:
        """The (agent, day) pairs a cell covers: scheduled days on the roster in the period,
        of agents in ``teams`` matching the filters and the cell's key (``all`` = any)."""
        first, last = period or (date.min, date.max)
        chosen = set(agents) if agents is not None else None
        scope = set(teams) if teams is not None else None
        out = set()
        for p in self.people:
            if chosen is not None and p.id not in chosen:
                continue
            if scope is not None and p.team not in scope:
                continue
            if any(
                p.attribute(d) not in ((v,) if isinstance(v, str) else tuple(v))
                for d, v in (where or {}).items()
            ):
                continue
            for day in p.days:
                if not (first <= day <= last and p.on_roster(day)):
                    continue
                ok = True
                for d, v in (key or {}).items():
                    if v == "all" or v is None:
                        continue
                    have = day.strftime(CALENDAR[d]) if d in CALENDAR else p.attribute(d)
                    ok &= have == v
                if ok:
                    out.add((p.id, day))
        return frozenset(out)

    # Vectors and true values ----------------------------------------------------------
    @staticmethod
    def vector(support: Iterable[tuple[str, date]], atom_names: Iterable[str]) -> Vec:
        names = tuple(atom_names)
        return {(a, d, m): Fraction(1) for a, d in support for m in names}

    def vectors(self, metric: str, support: Iterable[tuple[str, date]]) -> list[Vec]:
        pairs = tuple(support)
        return [self.vector(pairs, c) for c in components(metric)]

    def truth(self, v: Mapping[Coord, Fraction | int]) -> Fraction:
        """The true value of a vector: sum of coefficient × atom."""
        return sum((c * self.atom(a, d, m) for (a, d, m), c in v.items()), Fraction(0))

    def atoms(self, person: Person, day: date) -> dict[str, int]:
        return atoms(person, day)

    def atom(self, agent: str, day: date, name: str) -> int:
        """One true atom, including the audits' breach indicators (``breach_atom``)."""
        person = self.person(agent)
        if ">" in name:
            what, limit = name.split(">")
            state, unit = what.rsplit("_", 1)
            lengths = episodes(person, day, state.upper())
            if unit == "episodes":
                return sum(e > int(limit) for e in lengths)
            return int(sum(lengths) > int(limit))  # a per-shift budget
        return atoms(person, day).get(name, 0)

    def value(  # noqa: PLR0911 (one return per kind of metric)
        self, metric: str, support: Iterable[tuple[str, date]]
    ) -> Fraction | None:
        """What an unprotected system answers for ``metric`` over ``support`` (unrounded)."""
        pairs = tuple(support)
        m = METRICS[metric]
        if m.kind == "quantile":
            values = sorted(e for a, d in pairs for e in episodes(self.person(a), d, str(m.state)))
            if not values:
                return None
            return Fraction(_quantile(values, float(m.quantile or 0.5)))
        parts = [self.truth(v) for v in self.vectors(metric, pairs)]
        if m.kind == "sum":
            return parts[0]
        if parts[1] == 0:
            return None
        if metric == "adherence_pct":
            return 100 * (1 - parts[0] / parts[1])
        if m.kind == "rate":
            return 100 * parts[0] / parts[1]
        return parts[0] / parts[1]

    def contributors(self, state: str, support: Iterable[tuple[str, date]]) -> set[str]:
        """Agents of ``support`` with at least one (non-sensitive) episode of ``state``."""
        return {a for a, d in support if episodes(self.person(a), d, state)}

    def known_agent(self, agent: str, atom_names: Iterable[str]) -> list[Vec]:
        """An employee's knowledge of themself: every atom of every day, as unit vectors."""
        p = self.person(agent)
        return [{(agent, d, m): Fraction(1)} for d in p.days for m in atom_names]

    def shared(self, agent: str, metrics: Sequence[str], period: tuple[date, date]) -> list[Vec]:
        """What opening a share reveals: per shared atom vector, the period's sum."""
        pairs = self.support(agents=[agent], period=period)
        return [v for m in metrics for v in self.vectors(m, pairs)]

    # Frames ------------------------------------------------------------------------------
    def tables(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """(intervals, schedule, roster) as a workspace takes them."""
        from adherence.schemas import UTC_MS
        from adherence.states import ACTIVITY_DTYPE, STATE_DTYPE

        states: list[dict[str, object]] = []
        plan: list[dict[str, object]] = []
        for p in self.people:
            for day in p.days:
                for start, end, activity in _plan(day):
                    plan.append(
                        {"agent_id": p.id, "shift_id": f"{p.id}@{day.isoformat()}",
                         "start": start, "end": end, "activity": activity,
                         "counts_for_adherence": True}
                    )  # fmt: skip
                for start, end, state, reason in _states(p, day):
                    states.append(
                        {"agent_id": p.id, "start": start, "end": end, "state": state,
                         "status": state.title(), "reason": reason, "open": False,
                         "inferred": False}
                    )  # fmt: skip
        intervals = pl.DataFrame(
            states,
            schema_overrides={"start": UTC_MS, "end": UTC_MS, "state": STATE_DTYPE,
                              "reason": pl.String},
        )  # fmt: skip
        schedule = pl.DataFrame(
            plan, schema_overrides={"start": UTC_MS, "end": UTC_MS, "activity": ACTIVITY_DTYPE}
        )
        roster = pl.DataFrame(
            [
                {"agent_id": p.id, "team": p.team, "site": p.site, "valid_from": p.valid_from,
                 "valid_to": p.valid_to, "employment_type": p.employment_type,
                 "work_location": p.work_location, "contract_pct": 100.0, "skill": p.skill}
                for p in self.people
            ],
            schema_overrides={"valid_to": pl.Date, "contract_pct": pl.Float64},
        )  # fmt: skip
        return intervals, schedule, roster

    def write_csv(self, folder: Path) -> tuple[Path, Path, Path]:
        """status_log.csv, schedule.csv, roster.csv as the command line reads them (Oslo local
        times; the organisations' days are in March 2026, UTC+1)."""
        folder.mkdir(parents=True, exist_ok=True)
        status = {
            "READY": "Ready", "MEAL": "Not Ready - Lunch", "BREAK": "Not Ready - Break",
            "APPROVED": "Not Ready - Manager Approved", "MEETING": "Not Ready - Meeting",
            "TRAINING": "Not Ready - Training", "OFFLINE": "Log Off",
        }  # fmt: skip

        def local(t: datetime) -> str:
            return (t + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")

        log = ["timestamp,agent_id,agent_name,team,status,reason"]
        plan = ["agent_id,shift_id,start,end,activity,counts_for_adherence"]
        for p in self.people:
            for day in p.days:
                shift = f"{p.id}-{day:%Y%m%d}"
                for start, end, activity in _plan(day):
                    plan.append(f"{p.id},{shift},{local(start)},{local(end)},{activity},true")
                for start, _end, state, reason in _states(p, day):
                    log.append(f"{local(start)},{p.id},,{p.team},{status[state]},{reason or ''}")
        roster = [
            "agent_id,agent_name,email,phone,team,site,valid_from,valid_to,employment_type,"
            "work_location,contract_pct,skill"
        ]
        for p in self.people:
            roster.append(
                f"{p.id},,,,{p.team},{p.site},{p.valid_from},{p.valid_to or ''},"
                f"{p.employment_type},{p.work_location},100.0,{p.skill}"
            )
        paths = (folder / "status_log.csv", folder / "schedule.csv", folder / "roster.csv")
        for path, lines in zip(paths, (log, plan, roster), strict=True):
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return paths


def breach_atom(state: str, limit_ms: float, *, per: str = "episodes") -> str:
    """The atom "episodes of ``state`` longer than ``limit_ms``" of a PauseLimit audit
    (``per="shift"``: "the shift's ``state`` time is longer than ``limit_ms``", a budget)."""
    return f"{state.lower()}_{per}>{int(limit_ms)}"


def _quantile(values: Sequence[int], q: float) -> float:
    """Linear-interpolated quantile (the median of an odd count is the middle value)."""
    pos = (len(values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def _at(day: date, hour: int, minute: float = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) + timedelta(minutes=minute)


def _plan(day: date) -> list[tuple[datetime, datetime, str]]:
    return [
        (_at(day, 8), _at(day, 11), "OPEN"),
        (_at(day, 11), _at(day, 11, 30), "MEAL"),
        (_at(day, 11, 30), _at(day, 15), "OPEN"),
    ]


def _states(p: Person, day: date) -> list[tuple[datetime, datetime, str, str | None]]:
    out: list[tuple[datetime, datetime, str, str | None]] = []
    meal_end = _at(day, 11, p.meal_on(day))
    out.append((_at(day, 7, 55), _at(day, 11), "READY", None))
    if meal_end > _at(day, 11):
        out.append((_at(day, 11), meal_end, "MEAL", None))
    t = max(_at(day, 13), meal_end)
    if t > meal_end:
        out.append((meal_end, t, "READY", None))
    for pause in p.pauses_on(day):
        end = t + timedelta(minutes=pause.minutes)
        out.append((t, end, pause.state, pause.reason))
        t = end
    out.append((t, _at(day, 15), "READY", None))
    out.append((_at(day, 15), _at(day, 15, 5), "OFFLINE", None))
    return out


def team(name: str, size: int, *, prefix: str | None = None, **attributes: object) -> list[Person]:
    """``size`` people of one team, ids ``<prefix>0 ..``."""
    stem = prefix or name.lower() + "-"
    return [Person(f"{stem}{i}", name, **attributes) for i in range(size)]  # type: ignore[arg-type]


def days(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


__all__ += ["MONDAY", "SATURDAY", "WEEKDAYS", "atoms", "breach_atom", "days", "solve", "team"]
