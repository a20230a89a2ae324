"""The fairness-audit door's work: a rule's groups and breaches through the release path.

Groups come from public supports; the audit's counts are atoms (``_fairness``); the
statistics (``adherence.fairness``) run on released groups only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from adherence.errors import (
    ConfigurationError,
    ForbiddenQueryError,
)
from adherence.fairness import GROUP_UNITS, FairnessAudit, audit_tables
from adherence.privacy._atoms import AGENT_CODE
from adherence.privacy._decide import Refusal
from adherence.privacy._fairness import BUILT_IN, AuditPlan, audit_plan, family_keys
from adherence.privacy._plans import Cell, covered
from adherence.privacy._release import Plan, ValueRule
from adherence.privacy._reports import outside_scope
from adherence.privacy._space import Vector
from adherence.privacy._thresholds import Bins, limits_released
from adherence.privacy.query import Period, Query
from adherence.privacy.released import ReleasedTable
from adherence.privacy.viewers import Steward, Viewer
from adherence.rules import Rule, rebuilt

if TYPE_CHECKING:
    from adherence.privacy.workspace import Workspace

#: The levels an audit's suggested tolerance may be computed at (a public grid).
AUDIT_LEVELS = (0.01, 0.02, 0.05, 0.1)


_MARGIN_STEP = timedelta(seconds=30)


_MAX_MARGIN = timedelta(minutes=5)


#: Rule limits on durations are whole multiples of this [ms] (the public grid).
_LIMIT_GRID_MS = 30_000


def check_audit_grid(level: object, margin: object) -> None:
    """Refuse an audit level or measurement margin off its public grid."""
    if type(level) is not float or level not in AUDIT_LEVELS:
        raise ConfigurationError(
            f"level must be one of {', '.join(map(str, AUDIT_LEVELS))}, got {level!r}",
            hint="the default 0.05 keeps explained breaches below 5 %",
        )
    if not (
        type(margin) is timedelta
        and timedelta(0) <= margin <= _MAX_MARGIN
        and margin % _MARGIN_STEP == timedelta(0)
    ):
        raise ConfigurationError(
            f"measurement_margin must be a whole number of 30 s up to 5 minutes, got {margin!r}",
            hint="e.g. timedelta(seconds=60), the default",
        )


def _audit_figures(
    frame: pl.DataFrame, flagged: pl.DataFrame, by: Sequence[str], rule: Rule
) -> pl.DataFrame:
    """Per group (in the frame's order): the counts ``audit_tables`` reads."""
    medians = (
        flagged.group_by([*by] if by else pl.lit("all").alias("_all"))
        .agg(pl.col("_system_ms").median().alias("median_system_ms"))
        .with_columns(pl.col(d).cast(pl.String) for d in by)
    )
    base = frame.with_columns(pl.col("_agents").list.n_unique().cast(pl.Int64).alias("agents"))
    if by:
        base = base.join(medians, on=list(by), how="left", maintain_order="left")
    else:
        base = base.with_columns(
            pl.lit(medians["median_system_ms"].first()).alias("median_system_ms")
        )
    return base


@dataclass(frozen=True)
class _Counted:
    """An audit's group cells with breaches counted at safe limits only."""

    cells: list[Cell]
    hidden: list[bool]
    """Groups whose rule limit is not safe: withheld whole."""
    unsafe: dict[str, list[bool]]
    """Per count column, the groups where it is withheld (a limit of it is not safe)."""
    recheck: Callable[[], list[bool]]
    """Inside the release's transaction: the groups whose limits are no longer safe against
    the ledger as it is then (an audit committed in between)."""
    safe_curve: list[bool]
    """Per curve limit: whether the suggestion may be made there (on the pooled units)."""
    pooled_withheld: frozenset[str]
    """Count columns the verdict's totals (pooled units) leave out."""


def _limits_of(column: str, rule: Rule, measurement: float) -> tuple[float, ...]:
    """The limits a count column of the audit counts at (none for ``units``)."""
    limit, sign = float(rule.limit), 1 if rule.direction == "max" else -1
    if column in ("breaches", "system"):
        return (limit,)
    if column.startswith("within_"):
        return (limit, limit + sign * 1000 * int(column.removeprefix("within_")[:-1]))
    if column.startswith("_sys_at_"):
        at = rule.curve[int(column.removeprefix("_sys_at_"))]
        return (at, at + sign * measurement)
    if column.startswith("_at_"):
        return (rule.curve[int(column.removeprefix("_at_"))],)
    return ()


def _at_safe_limits(
    ws: Workspace,
    plan: AuditPlan,
    rule: Rule,
    by: Sequence[str],
    measurement: float,
    *,
    level: float,
) -> _Counted:
    """Each group's cell without the counts at limits it may not count at (``_thresholds``).

    A group whose rule limit may not be counted at is withheld. The earlier limits are read
    now to plan, and again inside the release's transaction (``recheck``), where no other
    release can come in between.
    """
    keys = family_keys(rule)
    prefixes = [f"rule:{key}:" for key in sorted(keys)]
    sign = 1 if rule.direction == "max" else -1
    units = plan.flagged.with_columns(pl.col(d).cast(pl.String) for d in by)
    parts = units.partition_by(list(by), as_dict=True) if by else {(): units}
    names = plan.frame.select(pl.col(d).cast(pl.String) for d in by).rows() if by else [()]
    order = sorted(plan.columns, key=lambda c: _need(c, rule, measurement, float(rule.limit)))

    def bins_of(prior: list[Vector]) -> list[Bins]:
        return [
            Bins(
                parts.get(tuple(name), units.clear()),
                value=rule.measure,
                agent=AGENT_CODE,
                system="_system",
                direction=rule.direction,
                k=ws.policy.min_group_size,
                limits=limits_released(
                    prior, keys=keys, support=cell.vectors[0].support, sign=sign
                ),
            )
            for cell, name in zip(plan.cells, names, strict=True)
        ]

    prior = ws._releaser.released_naming(prefixes)
    cells, hidden, counted = [], [], []
    unsafe: dict[str, list[bool]] = {c: [] for c in plan.columns}
    for cell, bins in zip(plan.cells, bins_of(prior), strict=True):
        dropped: set[str] = set()
        mine: set[float] = set()
        for column in order:
            limits = _limits_of(column, rule, measurement)
            withheld = not bins.add(limits)
            unsafe[column].append(withheld)
            if withheld:
                dropped.add(plan.columns[column])
            else:
                mine.update(limits)
        hidden.append(plan.columns["breaches"] in dropped)
        counted.append(mine)
        cells.append(
            dataclasses.replace(
                cell, vectors=tuple(v for v in cell.vectors if v.atoms[0][0] not in dropped)
            )
        )

    def recheck() -> list[bool]:
        now = bins_of(ws._releaser.released_naming(prefixes))
        return [not b.add(sorted(m)) for b, m in zip(now, counted, strict=True)]

    # The suggestion and the verdict's totals are figures of every group's units together: a
    # count compared with a share of them, or a share of their breaches. Their limits obey the
    # rule on the pooled units; and the suggestion needs its threshold share to be at least
    # k units, or it would say where a few units lie.
    everyone = np.unique(np.concatenate([c.vectors[0].support for c in plan.cells]), axis=0)
    pooled = Bins(
        units,
        value=rule.measure,
        agent=AGENT_CODE,
        system=None,
        direction=rule.direction,
        k=ws.policy.min_group_size,
        limits=limits_released(prior, keys=keys, support=everyone, sign=sign),
    )
    left_out = {c for c in order if not pooled.add(_limits_of(c, rule, measurement))}
    enough = level * units.height >= ws.policy.min_group_size
    safe_curve = [
        enough and f"_at_{i}" not in left_out and f"_sys_at_{i}" not in left_out
        for i in range(len(rule.curve))
    ]
    by_group = {c: u for c, u in unsafe.items() if any(u)}
    return _Counted(cells, hidden, by_group, recheck, safe_curve, frozenset(left_out))


def _need(column: str, rule: Rule, measurement: float, at_limit: float) -> tuple[int, float]:
    """The order an audit adds its counts in: its limit, its margins, then outwards."""
    if column in ("units", "breaches", "system"):
        return (0, 0.0)
    if column.startswith("within_"):
        return (1, 0.0)
    return (2, max(abs(t - at_limit) for t in _limits_of(column, rule, measurement)))


def audit_tolerance(  # noqa: PLR0911 (each early return is one refusal, logged)
    ws: Workspace,
    rule: Rule,
    *,
    by: Sequence[str],
    period: Period,
    where: Mapping[str, str | Sequence[str]] | None,
    viewer: Viewer,
    level: float,
    measurement: timedelta,
    permutations: int,
    seed: int,
) -> FairnessAudit | Refusal:
    tables = ws._data()
    try:
        query = Query.parse("exception_count", by=by, period=period, where=where, intraday=False)
    except ForbiddenQueryError as err:
        refusal = Refusal(err.code, err.message, err.hint or "")
        return ws._refuse(refusal, viewer, metric="fairness")
    logged: dict[str, Any] = {
        "metric": f"fairness:{rule.name}",
        "by": list(query.by),
        "period": query.period_label,
    }
    if not isinstance(viewer, Steward):
        # Anyone but the steward audits a built-in rule, made anew from its arguments: a
        # rule changed in place (its filter, its curve) is audited as what it claims to be.
        try:
            if type(rule) not in BUILT_IN:
                raise ConfigurationError("a custom rule", hint="")
            rule = rebuilt(rule)
        except ConfigurationError:
            refusal = Refusal(
                "ADH-003",
                "a custom rule computes over private rows and is the steward's alone",
                "audit one of the built-in rules (PauseLimit, PauseBudget, LoginGrace, "
                "AdherenceTarget), or ask the steward",
            )
            return ws._refuse(refusal, viewer, **logged)
    step = 1.0 if rule.measure_unit == "pct" else float(_LIMIT_GRID_MS)
    if float(rule.limit) % step:
        refusal = Refusal(
            "ADH-003",
            "a rule's limit lies on the public grid (whole 30 s for durations, whole "
            "percentage points for targets)",
            "round the limit, e.g. 30:00 or 2:30",
        )
        return ws._refuse(refusal, viewer, **logged)
    scope = ws._scope(viewer)
    outside = outside_scope(query.where, scope)
    if outside is not None:
        return ws._refuse(outside, viewer, **logged)
    if any(state.lower() in rule.label.lower() for state in ws.policy.sensitive_states):
        refusal = Refusal(
            "ADH-003",
            "this rule judges a pause state the policy marks sensitive",
            "audit pause_ms-wide rules instead; sensitive states are never broken out",
        )
        return ws._refuse(refusal, viewer, **logged)
    rows = covered(tables.days, query, scope)
    margin = measurement.total_seconds() * 1000 if rule.measure_unit == "ms" else 0.0
    plan = audit_plan(tables, rows, rule, query.by, measurement=margin)
    if not plan.cells:
        refusal = Refusal("ADH-001", "no unit matches this audit", "check period and filters")
        return ws._refuse(refusal, viewer, **logged)
    groups = list(query.by)
    counted = _at_safe_limits(ws, plan, rule, groups, margin, level=level)
    outcome = ws._releaser.release(
        Plan(
            cells=[*counted.cells, *plan.verdict],
            min_agents=ws.policy.min_group_size,
            unprotected=ws._unprotected(viewer),
            own=ws._own_code(viewer),
            event="fairness_audit",
            purpose="fairness_audit",
            metric=f"fairness:{rule.name}",
            fingerprint=hashlib.sha256(json.dumps(logged, sort_keys=True).encode()).hexdigest(),
            fields=logged,
            value_rules=[
                ValueRule(
                    lambda _: [
                        *(a or b for a, b in zip(counted.hidden, counted.recheck(), strict=True)),
                        *[False] * len(plan.verdict),
                    ],
                    keep_hidden=False,
                )
            ],
        ),
        role=viewer.role,
        actor=ws._actor(viewer),
    )
    if isinstance(outcome, Refusal):
        return outcome
    released = outcome.decision.released[: len(plan.cells)]
    verdict_shown = all(outcome.decision.released[len(plan.cells) :])
    figures = _audit_figures(plan.frame, plan.flagged, groups, rule).with_columns(
        pl.when(pl.Series(unsafe, dtype=pl.Boolean))
        .then(None)
        .otherwise(pl.col(column))
        .alias(column)
        for column, unsafe in counted.unsafe.items()
    )
    audit = audit_tables(
        figures,
        plan.flagged,
        rule,
        by=groups,
        agent=AGENT_CODE,
        released=list(released),
        quantile_ok=[len(c.agents) >= ws.policy.min_quantile_agents for c in plan.cells],
        quantile_agents=ws.policy.min_quantile_agents,
        level=level,
        permutations=permutations,
        seed=seed,
        p_shown=verdict_shown,
        curve_counted=counted.safe_curve,
        withheld=counted.pooled_withheld,
    )
    notes = [f"groups with fewer than {ws.policy.min_group_size} people are suppressed"]
    return FairnessAudit(
        rule=rule,
        groups=ReleasedTable(
            audit.groups,
            keys=groups or ["group"],
            values=list(GROUP_UNITS),
            metric="fairness",
            unit=GROUP_UNITS,
            title=f"Breaches of '{rule.name}' by {', '.join(groups) or 'all'}",
            release_id=outcome.release_id,
            recorder=ws._exports(viewer),
            notes=notes,
        ),
        sensitivity=ReleasedTable(
            audit.sensitivity,
            keys=[*(groups or ["group"]), "limit"],
            values=["breach_pct"],
            metric="fairness",
            unit="pct",
            title=f"Breach rate of '{rule.label.format(limit='…')}' at other limits",
            release_id=outcome.release_id,
            recorder=ws._exports(viewer),
        ),
        p_value=round(audit.p_value, 2) if verdict_shown else math.nan,
        suggested_limit=audit.suggested,
        verdict=audit.verdict,
        first_day=rows["local_date"].min(),  # type: ignore[arg-type]
        last_day=rows["local_date"].max(),  # type: ignore[arg-type]
        level=level,
        measurement_margin_ms=margin,
        min_group_size=ws.policy.min_group_size,
    )
