"""The one release path: decide and record in one write transaction.

Every door (report, fairness audit, self view, opened share) hands a plan to
:meth:`Releaser.release`. Inside one ``BEGIN IMMEDIATE`` transaction it reads the part of
the ledger the plan connects to, decides (G1–G6, G9, G12), applies the value-dependent
rules, records the released vectors, the sums that must stay hidden and the audit record,
and commits them together (G13, G14): concurrent processes get the outcomes of some
sequential order. A refusal is logged in the same way and returned, never raised from a
frame that holds data.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from adherence.errors import LedgerUnavailableError
from adherence.privacy._decide import Decision, Refusal, decide, suppress_more
from adherence.privacy._plans import Cell
from adherence.privacy._refine import Possible
from adherence.privacy._space import Vector, knowledge_exposes
from adherence.privacy.audit_log import AuditLog, AuditValue
from adherence.privacy.ledger import Ledger
from adherence.privacy.policy import PrivacyPolicy

__all__ = ["Plan", "Released", "Releaser", "ValueRule"]

T = TypeVar("T")


@dataclass(frozen=True)
class ValueRule:
    """A value-dependent rule applied after the public decision (it only suppresses more).

    ``hide`` gives, for the released decision, which cells to hide; ``keep_hidden`` says
    whether the hidden sums must stay hidden later (dominance: yes).
    """

    hide: Callable[[Decision], Sequence[bool]]
    keep_hidden: bool


@dataclass(frozen=True)
class Plan:
    """What a door asks to release, and how the release is logged."""

    cells: Sequence[Cell]
    min_agents: int
    unprotected: frozenset[int]
    own: int | None
    """The viewer's own agent code when the viewer is an employee."""
    event: str
    purpose: str
    metric: str
    fingerprint: str
    fields: Mapping[str, AuditValue] = field(default_factory=dict)
    value_rules: Sequence[ValueRule] = ()
    possible: Possible | None = None
    """Where finer unknowns can be nonzero, from the schedule (see ``_refine``)."""


@dataclass(frozen=True)
class Released:
    """A decision that was recorded, and the id of its release."""

    decision: Decision
    release_id: str


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Releaser:
    """Decides and records releases on one store."""

    def __init__(self, ledger: Ledger, audit_log: AuditLog, policy: PrivacyPolicy) -> None:
        self._ledger = ledger
        self._audit = audit_log
        self._policy = policy

    def _policy_row(self) -> tuple[str, str]:
        return self._policy.hash, json.dumps(self._policy.to_dict(), sort_keys=True)

    def refuse(
        self, refusal: Refusal, *, role: str, actor: str, fields: Mapping[str, AuditValue]
    ) -> Refusal:
        """Log a refusal; when it cannot be logged, that is the refusal."""
        try:
            self._log_refusal(None, refusal, role=role, actor=actor, fields=fields)
        except LedgerUnavailableError as err:
            return Refusal(err.code, err.message, err.hint or "")
        return refusal

    def release(self, plan: Plan, *, role: str, actor: str) -> Released | Refusal:
        """Decide the plan and record it, in one transaction (see the module docstring)."""
        vectors = [v for c in plan.cells for v in (*c.vectors, *c.targets)]
        return self._committed(
            lambda db: self._decide_and_record(db, plan, vectors, role=role, actor=actor)
        )

    def _committed(self, work: Callable[[sqlite3.Connection], T]) -> T | Refusal:
        """Run ``work`` in one write transaction, then write its audit records to the file.

        When the ledger or the audit log cannot be written, nothing is committed and the
        failure comes back as a refusal (G13).
        """
        try:
            with self._ledger.transaction() as db:
                outcome = work(db)
            self._audit.flush()
        except LedgerUnavailableError as err:
            return Refusal(err.code, err.message, err.hint or "")
        return outcome

    def _decide_and_record(
        self,
        db: sqlite3.Connection,
        plan: Plan,
        vectors: Sequence[Vector],
        *,
        role: str,
        actor: str,
    ) -> Released | Refusal:
        """Inside the caller's write transaction: read, decide, record (or log the refusal)."""
        k = self._policy.min_group_size
        space = self._ledger.space(db, vectors)
        decision = decide(
            plan.cells,
            min_agents=plan.min_agents,
            k=k,
            unprotected=plan.unprotected,
            own=plan.own,
            old=space.released,
            knowledge=space.known,
            targets=space.hidden,
            possible=plan.possible,
        )
        if isinstance(decision, Refusal):
            self._log_refusal(db, decision, role=role, actor=actor, fields=plan.fields)
            return decision
        hidden: list[Vector] = []
        for rule in plan.value_rules:
            decision, more = suppress_more(
                plan.cells,
                decision,
                rule.hide(decision),
                keep_hidden=rule.keep_hidden,
                k=k,
                old=space.released,
                knowledge=space.known,
                targets=[*space.hidden, *hidden],
                own=plan.own,
                possible=plan.possible,
            )
            hidden += more
        shown = [c for c, r in zip(plan.cells, decision.released, strict=True) if r]
        release_id = self._log_release(
            db,
            plan.event,
            metric=plan.metric,
            fingerprint=plan.fingerprint,
            role=role,
            actor=actor,
            fields={
                "purpose": plan.purpose,
                "released": decision.released_count,
                "suppressed": decision.suppressed_count,
                **plan.fields,
            },
        )
        released = [v for c in shown for v in c.vectors]
        self._ledger.add_vectors(db, release_id, "released", released)
        self._ledger.add_vectors(
            db, release_id, "hidden", [*hidden, *(t for c in shown for t in c.targets)]
        )
        return Released(decision, release_id)

    def _log_release(
        self,
        db: sqlite3.Connection,
        event: str,
        *,
        metric: str,
        fingerprint: str | None,
        role: str,
        actor: str,
        fields: Mapping[str, AuditValue],
    ) -> str:
        """Add a release to the ledger and its audit record, in the caller's transaction."""
        release_id = uuid.uuid4().hex
        self._ledger.add_release(
            db,
            release_id=release_id,
            time=_now(),
            viewer_role=role,
            viewer=actor,
            metric=metric,
            fingerprint=fingerprint or release_id,
            policy=self._policy_row(),
        )
        self._audit.append(
            event,
            via=db,
            actor_role=role,
            actor=actor,
            policy=self._policy.hash,
            release_id=release_id,
            **fields,
        )
        return release_id

    def _log_refusal(
        self,
        db: sqlite3.Connection | None,
        refusal: Refusal,
        *,
        role: str,
        actor: str,
        fields: Mapping[str, AuditValue],
    ) -> None:
        """The audit record of a refusal (in the caller's transaction, when given one)."""
        self._audit.append(
            "refusal",
            via=db,
            actor_role=role,
            actor=actor,
            code=refusal.code,
            policy=self._policy.hash,
            **fields,
        )

    def record(
        self,
        event: str,
        *,
        metric: str,
        fields: Mapping[str, AuditValue],
        released: int,
        role: str,
        actor: str,
    ) -> str | Refusal:
        """Record a release that needs no decision, with its audit record; its id.

        An employee's own figures need no decision, but they are a release like any other:
        the ledger entry and the audit record are committed together.
        """
        return self._committed(
            lambda db: self._log_release(
                db,
                event,
                metric=metric,
                fingerprint=None,
                role=role,
                actor=actor,
                fields={"released": released, **fields},
            )
        )

    def released_naming(self, prefixes: Sequence[str]) -> list[Vector]:
        """Released vectors with an atom starting with one of ``prefixes`` (see ``Ledger``)."""
        return self._ledger.released_naming(prefixes)

    def preview(self, plan: Plan) -> Decision | Refusal:
        """What ``release`` would decide now, from public inputs only; records nothing.

        The value-dependent rules (dominance, contributors of an order statistic) are not
        applied: they can only suppress more.
        """
        vectors = [v for c in plan.cells for v in (*c.vectors, *c.targets)]
        try:
            space = self._ledger.read_space(vectors)
        except LedgerUnavailableError as err:
            return Refusal(err.code, err.message, err.hint or "")
        return decide(
            plan.cells,
            min_agents=plan.min_agents,
            k=self._policy.min_group_size,
            unprotected=plan.unprotected,
            own=plan.own,
            old=space.released,
            knowledge=space.known,
            targets=space.hidden,
            possible=plan.possible,
        )

    def learn(
        self,
        knowledge: Sequence[Vector],
        *,
        viewer: str,
        role: str,
        actor: str,
        event: str,
        fields: Mapping[str, AuditValue],
        released: int,
        possible: Possible | None = None,
    ) -> str | Refusal:
        """Record what an opened share reveals to ``viewer`` — unless it reveals others (G9).

        The share's vectors join the knowledge; if, with everything released before, they
        would let anyone work out a colleague who did not share, opening is refused.
        """
        return self._committed(
            lambda db: self._learn_in(
                db,
                knowledge,
                viewer=viewer,
                role=role,
                actor=actor,
                event=event,
                fields={"released": released, **fields},
                possible=possible,
            )
        )

    def _learn_in(
        self,
        db: sqlite3.Connection,
        knowledge: Sequence[Vector],
        *,
        viewer: str,
        role: str,
        actor: str,
        event: str,
        fields: Mapping[str, AuditValue],
        possible: Possible | None = None,
    ) -> str | Refusal:
        """Inside the caller's write transaction: test the share's vectors, record or refuse."""
        space = self._ledger.space(db, knowledge)
        if knowledge_exposes(
            space.released,
            space.known,
            knowledge,
            k=self._policy.min_group_size,
            targets=space.hidden,
            possible=possible,
        ):
            refusal = Refusal(
                "ADH-002",
                "opening this share now, together with figures released earlier, could reveal "
                "a colleague who did not share",
                "the share stays valid; ask the steward which reports overlap it",
            )
            self._log_refusal(db, refusal, role=role, actor=actor, fields=fields)
            return refusal
        release_id = self._log_release(
            db,
            event,
            metric="share",
            fingerprint=str(fields.get("share_id", "")) or None,
            role=role,
            actor=actor,
            fields=fields,
        )
        self._ledger.add_vectors(db, release_id, "known", knowledge, viewer=viewer)
        return release_id
