"""Exports of released tables: queued by whoever holds a table, adopted by the workspace.

A released table may travel (to a team lead's notebook, pickled to a file) and each of its
exports must still be logged (G10, G13). The table cannot hold the audit log itself: that
holds the steward's audit key, and whoever holds the key can forge any record. So a table's
recorder holds only the path of an *export queue* beside the store and who was given the
table: an export appends one line there (and nothing is exported if it cannot), and the
workspace adopts the queued lines into the authenticated audit log as ``export`` records
before it verifies or lists the log. A forged queue line can only ever become an ``export``
record of a release that exists; it never reaches any other kind of record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from adherence.errors import LedgerUnavailableError
from adherence.privacy.audit_log import AuditLog

__all__ = ["AuditExport", "adopt_exports"]

_FORMATS = frozenset({"csv", "parquet", "polars", "pandas", "dicts", "arrow", "excel"})


def _unavailable() -> LedgerUnavailableError:
    return LedgerUnavailableError(
        "the export was not made: it cannot be logged",
        remedy="check that the folder of the workspace's store is writable",
    )


class AuditExport:
    """Queues the audit record of an export of a released table (picklable: a path only)."""

    def __init__(self, queue: Path, actor_role: str, actor: str, policy: str) -> None:
        self.queue, self.actor_role, self.actor, self.policy = queue, actor_role, actor, policy

    def __call__(self, release_id: str, export_format: str) -> None:
        """Queue the export's record; ``LedgerUnavailableError`` when it cannot be written."""
        line = json.dumps(
            {
                "actor": self.actor,
                "actor_role": self.actor_role,
                "format": export_format,
                "policy": self.policy,
                "release_id": release_id,
                "time": datetime.now(UTC).isoformat(),
            },
            sort_keys=True,
        )
        try:
            with self.queue.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError:
            raise _unavailable() from None


def adopt_exports(queue: Path, log: AuditLog, releases: Mapping[str, tuple[str, str, str]]) -> int:
    """Move queued export lines into ``log`` as ``export`` records; how many were adopted.

    ``releases`` maps each release id of the ledger to whom it was released (role, actor)
    and under which policy. A queued line contributes only its release id and its format:
    who and which policy are taken from the ledger, so a forged or damaged line can at most
    add an ``export`` record of a release that exists, naming whom it was released to. The
    queue is emptied afterwards.
    """
    try:
        raw = queue.read_bytes()
    except FileNotFoundError:
        return 0
    except OSError:
        raise _unavailable() from None
    adopted = 0
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(entry, dict):
            continue
        release_id, export_format = entry.get("release_id"), entry.get("format")
        if not isinstance(release_id, str) or release_id not in releases:
            continue
        if export_format not in _FORMATS:
            continue
        role, actor, policy = releases[release_id]
        log.append(
            "export",
            actor_role=role,
            actor=actor,
            policy=policy,
            release_id=release_id,
            format=export_format,
        )
        adopted += 1
    try:
        queue.write_bytes(b"")
    except OSError:
        raise _unavailable() from None
    return adopted
