"""The fairness audit's plan: its groups, units and breaches as atoms over public supports.

Groups come from the ``days`` table (scheduled agent-days, roster attributes), so whether a
group's row exists never depends on a value. Each unit a rule judges (an episode, a shift, an
agent's week) adds to atoms of the agent-day it belongs to: one unit, a breach at each limit
of the rule's curve, a breach explained by the system or the measurement at each limit, and
so on. The atoms are named by what the rule measures, not by its label, so a relabelled copy
of a rule and a report's episode counts meet the audit in the same space.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import polars as pl

from adherence.fairness import MARGINS_MS, unit_flags
from adherence.privacy._atoms import AGENT_CODE, ATOMS, DAY, OTHER, Tables
from adherence.privacy._plans import Cell, cells_for, grouped
from adherence.privacy._space import Vector
from adherence.privacy.query import CALENDAR, ORG_DIMENSIONS
from adherence.rules import AdherenceTarget, LoginGrace, PauseBudget, PauseLimit, Rule

__all__ = ["BUILT_IN", "AuditPlan", "audit_plan", "family_keys", "limit_name", "rule_key"]

#: Rules any viewer may audit; any other ``Rule`` is the steward's alone.
BUILT_IN = (PauseLimit, PauseBudget, LoginGrace, AdherenceTarget)


#: The dimensions of a unit (a shift, a day or a week): no intraday ones.
_DIMENSIONS = ORG_DIMENSIONS + CALENDAR


def rule_key(rule: Rule) -> str:
    """What a rule measures, whatever its label: its unit, measure, filter and direction."""
    text = f"{rule.unit}|{rule.measure}|{rule.applies}|{rule.direction}|{rule.system}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def family_keys(rule: Rule) -> frozenset[str]:
    """The keys of every built-in rule that can measure the same values as ``rule``.

    A per-episode limit and a per-shift budget of the same pause state judge the same
    values when a shift has one such pause: their audits count at limits on one scale.
    """
    keys = {rule_key(rule)}
    spec = getattr(rule, "_spec", None)
    if type(rule) not in (PauseLimit, PauseBudget) or spec is None:
        return frozenset(keys)
    first = spec[0][0]
    states = [first] if isinstance(first, str) else list(first)
    one = timedelta(minutes=1)
    for per in ("shift", "week"):
        keys.add(rule_key(PauseBudget(states, one, per=per)))
        for state in states:
            keys.add(rule_key(PauseBudget(state, one, per=per)))
    for state in states:
        keys.add(rule_key(PauseLimit(state, one)))
    return frozenset(keys)


def limit_name(limit: float) -> str:
    """A limit as part of an atom name."""
    return f"{limit:g}"


def _units_atom(rule: Rule, key: str) -> str:
    if type(rule) is PauseLimit:  # rebuilt from its arguments: its label is its state's
        state = rule.label.split(" ", 1)[0]
        return f"{state.lower()}_episodes"
    if isinstance(rule, LoginGrace):
        return "lateness_shifts"
    if isinstance(rule, PauseBudget) and rule.unit == "shift":
        return "shifts"
    return f"rule:{key}:units"


class AuditPlan:
    """The audit's frame of groups, its cells and the judged units."""

    def __init__(
        self,
        frame: pl.DataFrame,
        cells: list[Cell],
        flagged: pl.DataFrame,
        columns: dict[str, str],
        verdict: list[Cell],
    ) -> None:
        self.verdict = verdict
        """The p-value as a cell of its own over everyone audited (none without groups)."""
        self.frame = frame
        self.cells = cells
        self.flagged = flagged
        self.columns = columns
        """Audit count column → atom name."""


def _units(tables: Tables, rows: pl.DataFrame, unit: str) -> pl.DataFrame:
    """The units a rule judges, on the covered agent-days, keyed by agent code and day.

    No rule sees an identifier (only the agent's code, for grouping) nor the folded
    sensitive time: episodes under ``OTHER`` and the ``other_*`` atoms are left out (G12).
    """
    ids = ["agent_id", "shift_id"]
    return _judged(tables, rows, unit).drop(ids, strict=False)


def _judged(tables: Tables, rows: pl.DataFrame, unit: str) -> pl.DataFrame:
    keys = rows.select("agent_id", "local_date", AGENT_CODE, DAY, *_DIMENSIONS)
    if unit == "episode":
        episode = ["state", "duration_ms", "late_start", "system_reason"]
        return (
            tables.episodes.filter(pl.col("state") != OTHER)
            .select("agent_id", "local_date", *episode)
            .join(keys, on=["agent_id", "local_date"])
        )
    additive = [c for c in ATOMS if c in tables.shifts.columns and not c.startswith("other_")]
    # A shift is one unit, on the day it starts, also when its days are split at midnight.
    whole = tables.shifts.group_by(
        "agent_id", "shift_id", pl.col("shift_date").alias("local_date")
    ).agg(pl.col(additive).sum())
    shifts = whole.join(keys, on=["agent_id", "local_date"])
    if unit == "shift":
        return shifts
    week = pl.col("local_date").dt.strftime("%G-W%V")
    return (
        shifts.with_columns(week.alias("_week"))
        .sort("local_date")
        .group_by("agent_id", "_week")
        .agg(
            pl.col("local_date").first(),
            pl.col(AGENT_CODE).first(),
            pl.col(DAY).first(),
            *[pl.col(d).first() for d in _DIMENSIONS],
            pl.col(additive).sum(),
        )
    )


def audit_plan(
    tables: Tables, rows: pl.DataFrame, rule: Rule, by: Sequence[str], *, measurement: float
) -> AuditPlan:
    """Groups of the covered agent-days ``rows``, with the rule's atoms summed per group."""
    key = rule_key(rule)
    units = _units(tables, rows, rule.unit)
    flagged = unit_flags(units, rule, limits=rule.curve, measurement=measurement)
    at_limit = rule.curve.index(float(rule.limit))
    columns: dict[str, str] = {"units": _units_atom(rule, key)}
    exprs = [pl.len().cast(pl.Int64).alias("units")]
    named = {
        "breaches": (f"rule:{key}:breach@{limit_name(rule.limit)}", pl.col("_breach")),
        "system": (
            f"rule:{key}:system@{limit_name(rule.limit)}",
            pl.col("_breach") & pl.col("_system"),
        ),
        **{
            f"within_{m // 1000}s": (
                f"rule:{key}:within{m}@{limit_name(rule.limit)}",
                pl.col("_breach") & (pl.col("_margin") <= m),
            )
            for m in MARGINS_MS
        },
        **{
            f"_at_{i}": (f"rule:{key}:breach@{limit_name(limit)}", pl.col(f"_at_{i}"))
            for i, limit in enumerate(rule.curve)
            if i != at_limit
        },
        **{
            f"_sys_at_{i}": (
                f"rule:{key}:explained{measurement:g}@{limit_name(limit)}",
                pl.col(f"_sys_at_{i}"),
            )
            for i, limit in enumerate(rule.curve)
        },
    }
    for column, (atom, flag) in named.items():
        columns[column] = atom
        exprs.append(flag.cast(pl.Int64).sum().alias(column))
    per_day = flagged.group_by(AGENT_CODE, DAY).agg(exprs)
    counts = list(columns)
    with_counts = rows.join(per_day, on=[AGENT_CODE, DAY], how="left").with_columns(
        pl.col(counts).fill_null(0)
    )
    frame = grouped(with_counts, by, margins=False, sums=counts).with_columns(
        pl.col("breaches").alias(f"_at_{at_limit}")
    )
    atoms = {columns[c]: 1 for c in counts}
    combos = [{atom: 1} for atom in atoms]
    if isinstance(rule, LoginGrace):
        combos.append({f"quantile:rule:{key}:system": 1})
    cells = cells_for(frame, by, combos)
    # The verdict's p-value is a function of every group's units: its own entry over the
    # whole population audited, so that an audit of a population and of the same one minus
    # a few people meet in the space like any other pair of releases.
    verdict: list[Cell] = []
    if cells:
        everyone = np.unique(np.concatenate([c.vectors[0].support for c in cells]), axis=0)
        vector = Vector(((f"rule:{key}:p_value", 1),), everyone)
        agents = frozenset(a for c in cells for a in c.agents)
        verdict.append(Cell(("p_value",), (vector,), agents))
    return AuditPlan(frame, cells, flagged, columns, verdict)
