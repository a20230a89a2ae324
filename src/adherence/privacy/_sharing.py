"""The share doors' work: check, store and revoke shares; open one as known vectors.

Opening a share records exactly the figures it reveals (those metrics, each period as a
whole) as vectors known to its recipient, through the release path's ``learn`` (G9).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from adherence._engine import rates
from adherence.errors import (
    ConfigurationError,
    ForbiddenQueryError,
    LedgerUnavailableError,
)
from adherence.metrics import METRICS, value_expr
from adherence.privacy._atoms import AGENT_CODE, ATOMS, DAY
from adherence.privacy._decide import Refusal
from adherence.privacy._plans import (
    metric_atoms,
)
from adherence.privacy._space import Vector
from adherence.privacy.policy import MAX_SHARE_EXPIRY
from adherence.privacy.query import parse_period
from adherence.privacy.released import ReleasedTable
from adherence.privacy.shares import INDIVIDUAL_PURPOSES, PURPOSES, OwnShare, viewer_key
from adherence.privacy.viewers import Viewer

if TYPE_CHECKING:
    from adherence.privacy.workspace import Workspace


def check_share(
    ws: Workspace, purpose: str, metrics: Sequence[str], periods: Sequence[str], lifetime: timedelta
) -> None:
    if purpose not in PURPOSES:
        raise ConfigurationError(
            f"unknown share purpose {purpose!r}",
            hint=f"use one of {', '.join(sorted(PURPOSES))}",
        )
    bad = [m for m in metrics if m not in METRICS or METRICS[m].kind == "quantile"]
    if not metrics or bad:
        raise ConfigurationError(
            f"a share lists one or more catalogue metrics (no order statistics), got {bad}",
            hint="see adherence.metrics.METRICS",
        )
    if not periods:
        raise ConfigurationError("a share lists one or more periods", hint="e.g. '2025-W10'")
    for p in periods:
        try:
            parse_period(p)
        except ForbiddenQueryError:
            raise ConfigurationError(
                f"{p!r} is not a period", hint="use e.g. '2025-W10' or '2025-03'"
            ) from None
    if not timedelta(0) < lifetime <= MAX_SHARE_EXPIRY:
        raise ConfigurationError(
            f"a share expires after at most {MAX_SHARE_EXPIRY.days} days",
            hint="shorten expires; the employee can share again later",
        )


def store_share(ws: Workspace, share: OwnShare, *, origin: str, actor: Viewer) -> None:
    try:
        with ws._ledger.transaction() as db:
            record_share(ws, db, share, origin=origin, actor=actor)
        ws._audit.flush()
    except LedgerUnavailableError:
        raise LedgerUnavailableError(
            "the share was not created: the ledger or the audit log cannot be written",
            remedy="check that the store and its folder are writable",
        ) from None


def record_share(
    ws: Workspace, db: sqlite3.Connection, share: OwnShare, *, origin: str, actor: Viewer
) -> None:
    """Store a share and log its creation, inside the caller's transaction."""
    ws._ledger.add_share(db, share.to_row(origin))
    ws._audit.append(
        "share_created",
        via=db,
        actor_role=actor.role,
        actor=ws._actor(actor),
        purpose=share.purpose,
        share_id=share.id,
        recipient=share.recipient,
        metrics=list(share.metrics),
        periods=list(share.periods),
        expires_at=share.expires_at.isoformat(),
        policy=ws.policy.hash,
        subjects=[ws._subject(share.agent_id)],
        detail=origin,
    )


def record_revoke(
    ws: Workspace, db: sqlite3.Connection, share: OwnShare, when: datetime, *, actor: Viewer
) -> None:
    """Mark a share revoked and log it, inside the caller's transaction."""
    ws._ledger.revoke_share(db, share.id, when.isoformat())
    ws._audit.append(
        "share_revoked",
        via=db,
        actor_role=actor.role,
        actor=ws._actor(actor),
        share_id=share.id,
        policy=ws.policy.hash,
        subjects=[ws._subject(share.agent_id)],
    )


def open_share(
    ws: Workspace, share_id: str, viewer: Viewer, purpose: str | None
) -> ReleasedTable | Refusal:
    tables = ws._data()
    rows = ws._ledger.shares(share_id=share_id)
    logged: dict[str, Any] = {"share_id": share_id, "purpose": purpose or ""}
    if not rows or not OwnShare.from_row(rows[0]).is_valid():
        refusal = Refusal(
            "ADH-010",
            "there is no valid share: it does not exist, has expired or was revoked",
            "ask the employee to share the figures again",
        )
        return ws._refuse(refusal, viewer, **logged)
    share = OwnShare.from_row(rows[0])
    if share.recipient != viewer_key(viewer):
        refusal = Refusal(
            "ADH-012",
            "this share is addressed to someone else",
            "only its recipient can open it; ask the employee to share with you",
        )
        return ws._refuse(refusal, viewer, **logged)
    if share.purpose not in INDIVIDUAL_PURPOSES or (purpose and purpose != share.purpose):
        refusal = Refusal(
            "ADH-011",
            "this share does not cover that purpose; team_bonus shares never open "
            "individual figures",
            "ask the employee for a share with the purpose you need",
        )
        return ws._refuse(refusal, viewer, **logged)
    own = tables.days.filter(pl.col("agent_id") == share.agent_id)
    metrics = [METRICS[name] for name in share.metrics]
    per_period = []
    knowledge: list[Vector] = []
    for p in share.periods:
        first, last = parse_period(p)
        days = own.filter(pl.col("local_date").is_between(first, last))
        support = np.column_stack(
            [days[AGENT_CODE].cast(pl.Int64).to_numpy(), days[DAY].cast(pl.Int64).to_numpy()]
        )
        knowledge += [
            Vector(tuple(sorted(combo.items())), support)
            for m in metrics
            for combo in metric_atoms(m)
        ]
        summed = days.select(pl.col(ATOMS).sum())
        per_period.append(
            rates(summed).select(
                pl.lit(p).alias("period"),
                *[value_expr(m).cast(pl.Float64 if m.unit == "pct" else pl.Int64) for m in metrics],
            )
        )
    figures = pl.concat(per_period).with_columns(pl.lit("released").alias("status"))
    outcome = ws._releaser.learn(
        knowledge,
        viewer=viewer_key(viewer),
        role=viewer.role,
        actor=ws._actor(viewer),
        event="share_opened",
        fields={
            "purpose": share.purpose,
            "share_id": share.id,
            "metrics": list(share.metrics),
            "periods": list(share.periods),
            "subjects": [ws._subject(share.agent_id)],
        },
        released=figures.height,
        possible=ws._data().possible,
    )
    if isinstance(outcome, Refusal):
        return outcome
    release_id = outcome
    return ReleasedTable(
        figures,
        keys=["period"],
        values=[m.name for m in metrics],
        metric="share",
        unit={m.name: m.unit for m in metrics},
        title=f"Figures shared with you for {share.purpose.replace('_', ' ')}",
        release_id=release_id,
        recorder=ws._exports(viewer),
        notes=[f"shared by the employee until {share.expires_at:%Y-%m-%d}; logged"],
    )
