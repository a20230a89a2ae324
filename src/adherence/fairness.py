"""The tolerance-fairness audit (fairness.md): whether a pause rule is fair, and to whom.

Everything here works on *units* (pause episodes, shifts or ISO weeks of one agent, as the
rule says) of the groups the privacy layer released; the workspace decides which groups
those are (``Workspace.audit_tolerance``) and wraps the results in released tables.

- **Breach rate** per group: breaching units over units, with a 95 % Wilson interval.
- **Disparity**: each group's pass rate (1 − breach rate) over the best group's, flagged
  below four fifths; and an agent-clustered permutation test: agents, not units, are
  shuffled between groups, because the shifts of one agent are not independent.
- **Sensitivity**: the breach rate per group at every limit of the rule's curve.
- **Margins**: the share of breaches within 30 s, 60 s and 120 s of the limit.
- **System-induced share**: breaches the agent did not cause (login-to-Ready time, a call
  running into the break).
- **Suggested tolerance**: the strictest limit of the curve at which breaches explained by the
  system or by measurement (within ``measurement_margin`` of the limit) fall below ``level``.

Examples
--------
>>> wilson(3, 10)
(10.8, 60.3)
>>> round(permutation_p([4, 0, 0, 0], [4, 4, 4, 4], ["a", "a", "b", "b"], seed=1), 2)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from adherence.rules import LoginGrace, Rule, clock

if TYPE_CHECKING:
    from adherence.privacy.released import ReleasedTable

__all__ = [
    "GROUP_UNITS",
    "MARGINS_MS",
    "AuditTables",
    "FairnessAudit",
    "audit_tables",
    "group_figures",
    "permutation_p",
    "suggest_limit",
    "unit_flags",
    "verdict",
    "wilson",
]

#: The breach margins reported [ms].
MARGINS_MS = (30_000, 60_000, 120_000)
_Z = 1.959963984540054


def wilson(breaches: int, units: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of a breach rate [%], rounded to 0.1.

    Examples
    --------
    >>> wilson(0, 20)
    (0.0, 16.1)
    """
    if units == 0:
        return (math.nan, math.nan)
    p = breaches / units
    z2 = _Z * _Z
    centre = (p + z2 / (2 * units)) / (1 + z2 / units)
    half = _Z * math.sqrt(p * (1 - p) / units + z2 / (4 * units * units)) / (1 + z2 / units)
    return (round(100 * max(0.0, centre - half), 1), round(100 * min(1.0, centre + half), 1))


def unit_flags(
    units: pl.DataFrame, rule: Rule, *, limits: Sequence[float] = (), measurement: float = 0
) -> pl.DataFrame:
    """The units a rule applies to, with their breach flags.

    Adds ``_breach``, ``_system`` (system-induced breach), ``_margin`` (how far beyond the
    limit) and, per limit ``i`` of ``limits``, ``_at_i`` (breach at that limit) and
    ``_sys_at_i`` (a breach there that the system or the measurement explains: system-induced,
    or no further beyond that limit than ``measurement``).
    """
    delay = rule.delay if rule.delay is not None else rule.system
    return units.filter(rule.applies).with_columns(
        rule.breach().fill_null(value=False).alias("_breach"),
        (delay if delay is not None else pl.lit(None, dtype=pl.Float64)).alias("_system_ms"),
        rule.system_induced().fill_null(value=False).alias("_system"),
        rule.margin().fill_null(0).alias("_margin"),
        *[
            rule.breach(limit).fill_null(value=False).alias(f"_at_{i}")
            for i, limit in enumerate(limits)
        ],
        *[
            (
                rule.system_induced(limit)
                | (rule.breach(limit) & (rule.with_limit(limit).margin() <= measurement))
            )
            .fill_null(value=False)
            .alias(f"_sys_at_{i}")
            for i, limit in enumerate(limits)
        ],
    )


def group_figures(
    flagged: pl.DataFrame, by: Sequence[str], *, agent: str, limits: Sequence[float]
) -> pl.DataFrame:
    """Per group: the counts the audit's figures are made of.

    Agents, units, breaches, system-induced and within-margin breaches, the median of the
    system part, and the breaches at each limit of the curve.
    """
    breach = pl.col("_breach")
    keys: list[str | pl.Expr] = [*by] if by else [pl.lit("all").alias("_all")]
    return (
        flagged.group_by(keys)
        .agg(
            pl.col(agent).n_unique().alias("agents"),
            pl.len().alias("units"),
            breach.sum().alias("breaches"),
            (breach & pl.col("_system")).sum().alias("system"),
            *[
                (breach & (pl.col("_margin") <= m)).sum().alias(f"within_{m // 1000}s")
                for m in MARGINS_MS
            ],
            pl.col("_system_ms").median().alias("median_system_ms"),
            *[pl.col(f"_at_{i}").sum().alias(f"_at_{i}") for i in range(len(limits))],
        )
        .sort(list(by) or "_all")
    )


def permutation_p(
    breaches: Sequence[int],
    units: Sequence[int],
    groups: Sequence[str],
    *,
    permutations: int = 9_999,
    seed: int = 2026,
) -> float:
    """p-value of the spread of breach rates between groups, shuffling agents.

    Each position is one agent: their breaches, their units and their group. The statistic is
    the largest minus the smallest group breach rate; agents keep their own units and
    breaches and only change group, so an outlier agent moves as a whole.
    """
    b = np.asarray(breaches, dtype=np.float64)
    n = np.asarray(units, dtype=np.float64)
    labels, codes = np.unique(np.asarray(groups), return_inverse=True)
    if len(labels) < 2 or n.sum() == 0:
        return math.nan

    def spread(assignment: np.ndarray) -> np.ndarray:
        # assignment: permutations × agents group codes
        k = len(labels)
        rows = np.arange(assignment.shape[0])[:, None]
        totals_b = np.zeros((assignment.shape[0], k))
        totals_n = np.zeros((assignment.shape[0], k))
        np.add.at(totals_b, (rows, assignment), b)
        np.add.at(totals_n, (rows, assignment), n)
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = np.where(totals_n > 0, totals_b / totals_n, np.nan)
        spreads: np.ndarray = np.nanmax(rates, axis=1) - np.nanmin(rates, axis=1)
        return spreads

    observed = spread(codes[None, :])[0]
    rng = np.random.default_rng(seed)
    shuffled = np.argsort(rng.random((permutations, len(codes))), axis=1)
    permuted = spread(codes[shuffled])
    return float((1 + np.sum(permuted >= observed - 1e-12)) / (1 + permutations))


def suggest_limit(
    flagged: pl.DataFrame,
    rule: Rule,
    limits: Sequence[float],
    *,
    level: float,
    allowed: Sequence[bool] | None = None,
) -> tuple[float | None, float | None]:
    """The strictest limit, no stricter than the rule's, whose explained breach rate < ``level``.

    A breach is explained when it is system-induced or within the measurement margin (the
    ``_sys_at_i`` flags of ``unit_flags``). Returns the limit and that rate [%], or
    ``(None, None)`` when no limit of the curve gets there. ``allowed`` leaves out limits
    whose counts are not released (a suggestion there would tell what they are).
    """
    total = flagged.height
    if total == 0:
        return None, None
    lenient = rule.direction == "min"
    candidates = [
        i
        for i in range(len(limits))
        if (limits[i] <= rule.limit if lenient else limits[i] >= rule.limit)
        and (allowed is None or allowed[i])
    ]
    for i in sorted(candidates, key=lambda i: limits[i], reverse=lenient):
        rate = flagged[f"_sys_at_{i}"].sum() / total
        if rate < level:
            return limits[i], round(100 * float(rate), 1)
    return None, None


def verdict(
    rule: Rule,
    *,
    breach_pct: float,
    system_pct: float,
    within_60s_pct: float,
    p_value: float,
    flagged_groups: Sequence[str],
    median_system_ms: float | None,
    suggested: float | None,
) -> str:
    """A plain-language verdict from released group-level figures only."""
    unit = {"episode": "episodes", "shift": "shifts", "week": "weeks"}[rule.unit]
    parts = [f"{breach_pct:.0f} % of {unit} breach the rule '{rule.name}'."]
    if isinstance(rule, LoginGrace) and median_system_ms is not None:
        parts.append(
            f"The median time from the first login event to Ready is {clock(median_system_ms)}"
            + (
                ", longer than the rule allows; the rule as measured flags system delay, not "
                "lateness."
                if median_system_ms > rule.limit
                else "."
            )
        )
    if system_pct > 0:
        parts.append(f"{system_pct:.0f} % of the breaches are system-induced, not the agent's.")
    if within_60s_pct > 0:
        parts.append(
            f"{within_60s_pct:.0f} % of the breaches are within 60 s of the limit, within what "
            "the measurement itself can account for."
        )
    p_value = round(p_value, 2)  # the precision the p-value is released at (G17)
    if flagged_groups:
        below = f"Below four fifths of the best group's pass rate: {', '.join(flagged_groups)}"
        if math.isnan(p_value):
            parts.append(f"{below}.")
        elif p_value < 0.05:
            parts.append(
                f"{below}; the difference is significant (agent-clustered permutation test, "
                f"p = {p_value:.2f})."
            )
        else:
            parts.append(
                f"{below}; but the difference is not significant when agents, not shifts, are "
                f"compared (p = {p_value:.2f})."
            )
    elif not math.isnan(p_value):
        parts.append(f"No group falls below four fifths of the best (p = {p_value:.2f}).")
    if suggested is not None and suggested != rule.limit:
        parts.append(
            f"Suggested tolerance: {rule.describe_limit(suggested)}, the strictest limit at "
            "which breaches explained by the system or the measurement stay below 5 %."
        )
    elif suggested is not None:
        parts.append("Breaches explained by the system or the measurement stay below 5 %.")
    return " ".join(parts)


@dataclass(frozen=True)
class FairnessAudit:
    """The audit of one rule: released group tables and group-level conclusions.

    Attributes
    ----------
    rule
        The rule audited.
    groups
        Per group: units, breaches, breach rate with its Wilson interval, system-induced and
        within-margin shares of the breaches, the pass-rate ratio to the best group and the
        four-fifths flag (released cells only).
    sensitivity
        The breach rate per group at each limit of the rule's curve.
    p_value
        The agent-clustered permutation test of the spread between released groups.
    suggested_limit
        The strictest limit of the curve at which breaches explained by the system or the
        measurement fall below ``level`` (in the rule's measure unit), or ``None``.
    verdict
        The conclusion in plain language.
    first_day, last_day
        The first and the last scheduled day the audit covers (local dates; public, from the
        schedule), or ``None`` when not known.
    level
        The share of units [0-1] that breaches explained by the system or the measurement must
        stay below for ``suggested_limit``.
    measurement_margin_ms
        A breach no larger than this is within what the measurement can account for [ms];
        0 for percentage rules.
    min_group_size
        Groups with fewer people than this are suppressed (the policy's ``k``), or ``None``.
    """

    rule: Rule
    groups: ReleasedTable
    sensitivity: ReleasedTable
    p_value: float
    suggested_limit: float | None
    verdict: str
    first_day: date | None = None
    last_day: date | None = None
    level: float = 0.05
    measurement_margin_ms: float = 60_000.0
    min_group_size: int | None = None

    def __repr__(self) -> str:
        return f"FairnessAudit({self.rule.name!r})\n{self.verdict}\n\n{self.groups!r}"


#: The value columns of the audit's group table, with their units.
GROUP_UNITS: dict[str, Literal["pct", "ms", "count"]] = {
    "units": "count",
    "breaches": "count",
    "breach_pct": "pct",
    "ci_low_pct": "pct",
    "ci_high_pct": "pct",
    "system_pct": "pct",
    **{f"within_{m // 1000}s_pct": "pct" for m in MARGINS_MS},
    "median_system_ms": "ms",
    "pass_ratio_pct": "pct",
    "below_four_fifths": "count",
}


@dataclass(frozen=True)
class AuditTables:
    """The audit's figures before they are wrapped as released tables."""

    groups: pl.DataFrame
    sensitivity: pl.DataFrame
    p_value: float
    suggested: float | None
    verdict: str


def _group_values(
    record: dict[str, Any], rule: Rule, *, best_pass: float, median_allowed: bool
) -> dict[str, object]:
    """The released figures of one group from its counts (``group_figures``)."""
    n, b = record["units"], record["breaches"]
    if n == 0:  # a scheduled group in which no unit occurred: nothing to rate
        return {**dict.fromkeys(GROUP_UNITS), "units": 0, "breaches": 0, "below_four_fifths": "no"}
    low, high = wilson(b, n)
    pass_ratio = 100 * (1 - b / n) / best_pass if best_pass > 0 else None

    def share_of_breaches(count: int | None) -> float | None:
        if count is None:  # not counted: a limit of it is not safe on this group
            return None
        return 100 * count / b if b else 0.0

    margins_apply = rule.measure_unit == "ms"
    return {
        "units": n,
        "breaches": b,
        "breach_pct": 100 * b / n,
        "ci_low_pct": low,
        "ci_high_pct": high,
        "system_pct": share_of_breaches(record["system"]),
        **{
            f"within_{m // 1000}s_pct": share_of_breaches(record[f"within_{m // 1000}s"])
            if margins_apply
            else None
            for m in MARGINS_MS
        },
        "median_system_ms": record["median_system_ms"] if median_allowed else None,
        "pass_ratio_pct": pass_ratio,
        "below_four_fifths": "yes" if pass_ratio is not None and pass_ratio < 80 else "no",
    }


def _label_expr(by: Sequence[str]) -> pl.Expr:
    """A group's name: its key values joined by `` / `` (``all`` without keys)."""
    if not by:
        return pl.lit("all")
    return pl.concat_str([pl.col(k).cast(pl.String) for k in by], separator=" / ")


def audit_tables(
    figures: pl.DataFrame,
    flagged: pl.DataFrame,
    rule: Rule,
    *,
    by: Sequence[str],
    agent: str,
    released: Sequence[bool],
    quantile_ok: Sequence[bool],
    quantile_agents: int,
    level: float,
    permutations: int,
    seed: int,
    p_shown: bool = True,
    curve_counted: Sequence[bool] | None = None,
    withheld: frozenset[str] = frozenset(),
) -> AuditTables:
    """Every figure of the audit, from released groups only; suppressed groups are null.

    ``figures`` are the per-group counts (``group_figures``), in the order of ``released``
    and ``quantile_ok`` (whether a group has enough protected agents for a median);
    ``flagged`` are the units (``unit_flags``). ``p_shown`` is whether the p-value is
    released; the verdict speaks of it only then. ``curve_counted`` says which curve limits
    are counted on every group (the suggestion is made among those) and ``withheld`` which
    count columns some group withholds (the verdict's totals leave them out).
    """
    keys = list(by) or ["group"]
    login = isinstance(rule, LoginGrace)
    labels = figures.select(_label_expr(by)).to_series().to_list()
    records = list(figures.iter_rows(named=True))
    best_pass = max(
        (
            1 - r["breaches"] / r["units"]
            for r, ok in zip(records, released, strict=True)
            if ok and r["units"]
        ),
        default=math.nan,
    )
    rows: list[dict[str, object]] = []
    curve: list[dict[str, object]] = []
    for record, ok, quantiles in zip(records, released, quantile_ok, strict=True):
        key = {k: record[k] for k in by} if by else {"group": "all"}
        status = "released" if ok else "suppressed"
        values = (
            _group_values(record, rule, best_pass=best_pass, median_allowed=quantiles and login)
            if ok
            else dict.fromkeys(GROUP_UNITS)
        )
        rows.append({**key, **values, "status": status, "agents": record["agents"] if ok else None})
        curve += [
            {
                **key,
                "limit": rule.describe_limit(limit),
                "breach_pct": 100 * record[f"_at_{i}"] / record["units"]
                if ok and record["units"] and record[f"_at_{i}"] is not None
                else None,
                "status": status if record[f"_at_{i}"] is not None else "suppressed",
            }
            for i, limit in enumerate(rule.curve)
        ]
    open_groups = sorted(label for label, ok in zip(labels, released, strict=True) if ok)
    kept = flagged.with_columns(_label_expr(by).alias("_group")).filter(
        pl.col("_group").is_in(open_groups)
    )
    # The permutations depend on the order of the agents: order them by what they are
    # (group, breaches, units), never by their code, which follows the pseudonyms and so the
    # key. Agents that tie on all three are interchangeable, so the p-value is the same for
    # the same data under any key.
    clusters = (
        kept.group_by(agent, "_group")
        .agg(pl.col("_breach").sum().alias("b"), pl.len().alias("n"))
        .sort("_group", "b", "n")
    )
    p_value = permutation_p(
        clusters["b"].to_list(), clusters["n"].to_list(), clusters["_group"].to_list(),
        permutations=permutations, seed=seed,
    )  # fmt: skip
    suggested, _ = suggest_limit(kept, rule, rule.curve, level=level, allowed=curve_counted)
    overall = _group_values(
        {
            "units": max(kept.height, 1),
            "breaches": int(kept["_breach"].sum()),
            "system": int((kept["_breach"] & kept["_system"]).sum()),
            **{
                f"within_{m // 1000}s": int((kept["_breach"] & (kept["_margin"] <= m)).sum())
                for m in MARGINS_MS
            },
            "median_system_ms": kept["_system_ms"].median(),
        },
        rule,
        best_pass=math.nan,
        median_allowed=login and kept[agent].n_unique() >= quantile_agents,
    )
    for column in withheld:  # a count some group withholds is not in the totals either
        if column.startswith("within_"):
            overall[f"{column}_pct"] = None
    median = overall["median_system_ms"]
    text = verdict(
        rule,
        breach_pct=float(overall["breach_pct"]),  # type: ignore[arg-type]
        system_pct=float(overall["system_pct"]),  # type: ignore[arg-type]
        within_60s_pct=float(overall["within_60s_pct"] or 0.0),  # type: ignore[arg-type]
        p_value=p_value if p_shown else math.nan,
        flagged_groups=[
            label for label, r in zip(labels, rows, strict=True) if r["below_four_fifths"] == "yes"
        ],
        median_system_ms=float(median) if isinstance(median, int | float) else None,
        suggested=suggested,
    )
    types = {"count": pl.Int64, "pct": pl.Float64, "ms": pl.Float64}
    group_schema = (
        dict.fromkeys(keys, pl.String)
        | {c: types[u] for c, u in GROUP_UNITS.items()}
        | {"below_four_fifths": pl.String, "status": pl.String, "agents": pl.Int64}
    )
    curve_schema = dict.fromkeys([*keys, "limit"], pl.String) | {
        "breach_pct": pl.Float64,
        "status": pl.String,
    }
    return AuditTables(
        groups=pl.DataFrame(rows, schema=group_schema),
        sensitivity=pl.DataFrame(curve, schema=curve_schema),
        p_value=p_value,
        suggested=suggested,
        verdict=text,
    )
