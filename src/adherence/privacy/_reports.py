"""The report doors' work: plan tables over public supports, release them together.

``Workspace.report``, ``report_many`` and ``dry_run`` hand their arguments here; every table
becomes cells of atom combinations over (agent, day) supports, and all cells of one request
go to the one release path at once (one suppression pattern).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from adherence.errors import (
    ConfigurationError,
    ForbiddenQueryError,
)
from adherence.metrics import METRICS, Metric
from adherence.privacy._atoms import ATOMS, SLOT_ATOMS
from adherence.privacy._decide import Refusal
from adherence.privacy._incidents import incident_notes
from adherence.privacy._plans import (
    Cell,
    cell_values,
    cells_for,
    covered,
    dominated,
    few_contributors,
    grouped,
    metric_atoms,
    slot_cells,
)
from adherence.privacy._release import Plan, ValueRule
from adherence.privacy.query import Period, Query, did_you_mean
from adherence.privacy.released import DryRun, ReleasedTable
from adherence.privacy.viewers import Viewer

if TYPE_CHECKING:
    from adherence.privacy.workspace import Workspace


#: Atoms of folded sensitive time: only ever inside totals (G12).
_OTHER_ATOMS = frozenset({"other_ms", "other_episodes", "other_episode_ms"})


@dataclass(frozen=True)
class _ReportPart:
    """One planned table of a report: cells, values and value-dependent flags (private)."""

    query: Query
    frame: pl.DataFrame
    cells: list[Cell]
    values: pl.Series
    dominated: list[bool]
    few: list[bool]
    logged: dict[str, Any]


def _by_half_hour(m: Metric) -> bool:
    """Whether ``m`` is computed from figures kept per half hour only."""
    return m.kind != "quantile" and set(m.numerator + m.denominator) <= set(SLOT_ATOMS)


_HALF_HOURLY = frozenset(n for n, m in METRICS.items() if _by_half_hour(m))
#: The parts of the charged out-of-adherence time (by kind, by scheduled activity).
_CHARGED_PARTS = tuple(
    n for n in METRICS if n.startswith("out_of_adherence_") and n != "out_of_adherence_ms"
)
#: The time in each pause state: the parts of ``pause_ms`` (with the folded sensitive time).
_PAUSE_PARTS = tuple(c for c in METRICS["pause_ms"].numerator if c in METRICS)
#: The remainders of ``pause_ms`` once all but one state is known: that state with the folded
#: sensitive time (never released alone), and the folded time alone.
_PAUSE_REST = (*((state, "other_ms") for state in _PAUSE_PARTS), ("other_ms",))
#: Per figure that reveals a total or one of its parts: the parts. Releasing one on a
#: support lets the rest be differenced against it, so every dominated part stays hidden (G5).
_PARTS_OF: dict[str, tuple[tuple[str, ...], ...]] = {
    **dict.fromkeys(
        ("adherence_pct", "out_of_adherence_ms", *_CHARGED_PARTS),
        tuple(METRICS[n].numerator for n in _CHARGED_PARTS),
    ),
    **dict.fromkeys(("pause_ms", *_PAUSE_PARTS), _PAUSE_REST),
}


def outside_scope(
    filters: Sequence[tuple[str, Sequence[str]]], scope: frozenset[str] | None
) -> Refusal | None:
    """Refuse (ADH-004) a team filter that reaches beyond the viewer's own teams."""
    asked = dict(filters).get("team", ())
    if scope is None or set(asked) <= scope:
        return None
    close = did_you_mean(next(t for t in asked if t not in scope), scope)
    return Refusal(
        "ADH-004",
        "a viewer may ask only about their own teams",
        f"{close}leave out the team filter, or ask the steward or an auditor",
    )


def _forbidden(
    query: Query, scope: frozenset[str] | None, sensitive: frozenset[str]
) -> Refusal | None:
    """Refuse a filter beyond the viewer's teams (ADH-004) or a sensitive breakdown (ADH-003)."""
    outside = outside_scope(query.where, scope)
    if outside is not None:
        return outside
    m = query.metric
    if "half_hour" in query.by and not _by_half_hour(m):
        return Refusal(
            "ADH-003",
            f"{m.name} is not kept per half hour",
            f"group by half_hour only with {', '.join(sorted(_HALF_HOURLY))}",
        )
    if query.metric.state in sensitive:
        return Refusal(
            "ADH-003",
            "this pause state carries a sensitive reason code and is only reported within totals",
            "ask for pause_ms, which includes it",
        )
    return None


def report(
    ws: Workspace,
    metric: str,
    *,
    by: Sequence[str],
    period: Period,
    where: Mapping[str, str | Sequence[str]] | None,
    margins: bool,
    viewer: Viewer,
) -> ReleasedTable | Refusal:
    part = report_part(
        ws, metric, by=by, period=period, where=where, margins=margins, viewer=viewer
    )
    if isinstance(part, Refusal):
        return part
    released = release_parts(ws, [part], viewer)
    return released if isinstance(released, Refusal) else released[0]


def report_part(
    ws: Workspace,
    metric: str,
    *,
    by: Sequence[str],
    period: Period,
    where: Mapping[str, str | Sequence[str]] | None,
    margins: bool,
    viewer: Viewer,
    log_refusal: bool = True,
) -> _ReportPart | Refusal:
    """Plan one table: its cells over public supports, and its values (not released)."""
    tables = ws._data()

    def refuse(refusal: Refusal, **fields: Any) -> Refusal:
        return ws._refuse(refusal, viewer, **fields) if log_refusal else refusal

    try:
        query = Query.parse(metric, by=by, period=period, where=where, margins=margins)
    except ForbiddenQueryError as err:
        return refuse(Refusal(err.code, err.message, err.hint or ""), metric=str(metric))
    logged: dict[str, Any] = {
        "query": query.fingerprint,
        "metric": query.metric.name,
        "by": list(query.by),
        "period": query.period_label,
    }
    scope = ws._scope(viewer)
    refusal = _forbidden(query, scope, ws.policy.sensitive_states)
    if refusal is not None:
        return refuse(refusal, **logged)
    m = query.metric
    quantile = m.kind == "quantile"
    intraday = "half_hour" in query.by
    rows = covered(tables.slots if intraday else tables.days, query, scope)
    frame = grouped(rows, query.by, margins=query.margins, sums=SLOT_ATOMS if intraday else ATOMS)
    if intraday:
        cells = slot_cells(frame, query.by, metric_atoms(m))
    else:
        cells = cells_for(
            frame,
            query.by,
            metric_atoms(m),
            sensitive_atoms=_OTHER_ATOMS,
            need=ws.policy.min_quantile_agents if quantile else 0,
            possible=tables.possible,
        )
    if not cells:
        refusal = Refusal(
            "ADH-001",
            "no scheduled work matches this report",
            "check the period and the filters",
        )
        return refuse(refusal, **logged)
    policy = ws.policy
    few = (
        few_contributors(
            tables.episodes,
            rows,
            frame,
            query,
            policy.min_quantile_agents,
            agents=policy.dominance_agents,
            share=policy.dominance_share,
        )
        if quantile
        else [False] * len(cells)
    )
    if m.name in _PARTS_OF and not intraday:
        cells = _with_dominated_parts(cells, rows, frame, query, ws, parts=_PARTS_OF[m.name])
    return _ReportPart(
        query=query,
        frame=frame,
        cells=cells,
        values=cell_values(tables.episodes, rows, frame, query),
        dominated=dominated(
            rows, frame, query, agents=policy.dominance_agents, share=policy.dominance_share
        ),
        few=few,
        logged=logged,
    )


def _with_dominated_parts(
    cells: list[Cell],
    rows: pl.DataFrame,
    frame: pl.DataFrame,
    query: Query,
    ws: Workspace,
    *,
    parts: Sequence[tuple[str, ...]],
) -> list[Cell]:
    """``cells`` with every dominated one of ``parts`` (sums of atoms) as a sum to keep hidden.

    A total is the sum of its parts — charged time of its kinds (and of its activities),
    ``pause_ms`` of the pause states: a cell of the total, or of some parts, and the other
    parts of the same support determine the one part never asked for. Dominance is checked
    on asked-for cells only, so the parts a cell could be differenced into are checked here:
    each dominated one becomes a target of the cell, kept hidden now and later (G5).
    """
    policy = ws.policy
    for columns in parts:
        summed = dataclasses.replace(
            METRICS["out_of_adherence_ms"], name="+".join(columns), numerator=columns
        )
        part = dataclasses.replace(query, metric=summed)
        flags = dominated(
            rows, frame, part, agents=policy.dominance_agents, share=policy.dominance_share
        )
        if not any(flags):
            continue
        part_cells = cells_for(
            frame, query.by, metric_atoms(part.metric), possible=ws._data().possible
        )
        cells = [
            dataclasses.replace(cell, targets=(*cell.targets, part_cell.vectors[0]))
            if flag
            else cell
            for cell, part_cell, flag in zip(cells, part_cells, flags, strict=True)
        ]
    return cells


def plan_of(ws: Workspace, parts: Sequence[_ReportPart], viewer: Viewer) -> Plan:
    """One plan for the cells of every part: one consistent suppression pattern."""
    logged: dict[str, Any] = dict(parts[0].logged) if len(parts) == 1 else {
        "query": hashlib.sha256(
            "".join(p.query.fingerprint for p in parts).encode()
        ).hexdigest(),
        "metric": ",".join(p.query.metric.name for p in parts),
        "by": sorted({d for p in parts for d in p.query.by}),
        "period": ",".join(sorted({p.query.period_label for p in parts})),
    }  # fmt: skip
    dominance = [d for p in parts for d in p.dominated]
    few = [f for p in parts for f in p.few]
    return Plan(
        cells=[c for p in parts for c in p.cells],
        min_agents=ws.policy.min_group_size,
        unprotected=ws._unprotected(viewer),
        own=ws._own_code(viewer),
        event="release",
        purpose="team_report",
        metric=str(logged["metric"]),
        fingerprint=str(logged["query"]),
        fields=logged,
        value_rules=[
            ValueRule(lambda _: dominance, keep_hidden=True),
            ValueRule(lambda _: few, keep_hidden=False),
        ],
        possible=ws._data().possible,
    )


def release_parts(
    ws: Workspace, parts: Sequence[_ReportPart], viewer: Viewer
) -> list[ReleasedTable] | Refusal:
    outcome = ws._releaser.release(
        plan_of(ws, parts, viewer), role=viewer.role, actor=ws._actor(viewer)
    )
    if isinstance(outcome, Refusal):
        return outcome
    shown = list(outcome.decision.released)
    tables = []
    for part in parts:
        mine, shown = shown[: len(part.cells)], shown[len(part.cells) :]
        tables.append(
            released(
                ws,
                part.frame,
                values=part.values,
                shown=mine,
                query=part.query,
                release_id=outcome.release_id,
                viewer=viewer,
            )
        )
    return tables


def report_many(
    ws: Workspace,
    requests: Sequence[tuple[str, Sequence[str]]],
    *,
    period: Period,
    where: Mapping[str, str | Sequence[str]] | None,
    margins: bool,
    viewer: Viewer,
) -> list[ReleasedTable] | Refusal:
    if not requests:
        raise ConfigurationError(
            "report_many takes one or more (metric, by) pairs",
            hint="e.g. [('adherence_pct', ['team', 'iso_week'])]",
        )
    parts = []
    for metric, by in requests:
        part = report_part(
            ws, metric, by=by, period=period, where=where, margins=margins, viewer=viewer
        )
        if isinstance(part, Refusal):
            return part
        parts.append(part)
    return release_parts(ws, parts, viewer)


def dry_run(
    ws: Workspace,
    metric: str,
    *,
    by: Sequence[str],
    period: Period,
    where: Mapping[str, str | Sequence[str]] | None,
    margins: bool,
    viewer: Viewer,
) -> DryRun | Refusal:
    part = report_part(
        ws,
        metric,
        by=by,
        period=period,
        where=where,
        margins=margins,
        viewer=viewer,
        log_refusal=False,
    )
    if isinstance(part, Refusal):
        return part
    decision = ws._releaser.preview(plan_of(ws, [part], viewer))
    if isinstance(decision, Refusal):
        return decision
    cells = part.frame.select(*part.query.by).with_columns(
        pl.Series(
            "status",
            ["released" if r else "suppressed" for r in decision.released],
            dtype=pl.String,
        )
    )
    return DryRun(True, None, "allowed", "", cells)


def released(
    ws: Workspace,
    grouped: pl.DataFrame,
    *,
    values: pl.Series,
    shown: Sequence[bool],
    query: Query,
    release_id: str,
    viewer: Viewer,
) -> ReleasedTable:
    m = query.metric
    status = pl.Series("status", ["released" if s else "suppressed" for s in shown])
    mask = pl.Series(list(shown), dtype=pl.Boolean)
    agents = grouped["_agents"].list.n_unique().cast(pl.Int64)
    dtype = pl.Float64 if m.unit == "pct" or m.kind == "quantile" else pl.Int64
    value = values.cast(pl.Float64)
    if dtype == pl.Int64:
        value = value.round(0)
    data = grouped.select(
        *query.by,
        pl.when(mask).then(pl.lit(value)).cast(dtype).alias(m.name),
        pl.lit(status),
        pl.when(mask).then(pl.lit(agents)).alias("agents"),
    )
    where = ", ".join(f"{d} in {list(v)}" for d, v in query.where)
    title = f"{m.description}, by {', '.join(query.by) or 'nothing'} ({query.period_label})"
    notes = [f"filtered: {where}"] if where else []
    notes.append(
        f"cells with fewer than {ws.policy.min_group_size} people, or that would reveal "
        "another cell, are suppressed"
    )
    notes += incident_notes(
        ws._incidents,
        time_zone=ws.options.time_zone,
        first=query.first_day,
        last=query.last_day,
    )
    return ReleasedTable(
        data,
        keys=list(query.by),
        values=[m.name],
        metric=m.name,
        unit=m.unit,
        title=title,
        release_id=release_id,
        recorder=ws._exports(viewer),
        notes=notes,
    )
