"""The release ledger: a persistent record of every released cell, share and known figure.

The ledger lives in an embedded SQLite file. It holds, per released cell, the metric family,
the period and the exact contributor set — the (agent, day) pairs whose figures the cell sums
— so that later releases can be checked against everything released before (G3), across
notebook restarts and across the people who produce reports. It also holds the cells that
were suppressed (they must stay hidden), what each viewer learned by opening a share (G9),
the shares themselves and every policy in force.

Agents are stored as small integer codes and days as day numbers (days since 1970-01-01);
nothing in the ledger is a metric value.

Every write goes through ``transaction()``; any failure to write raises
``LedgerUnavailableError`` (ADH-040) and nothing is released (G13).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from adherence.errors import LedgerUnavailableError

__all__ = ["Ledger", "StoredCell", "day_number"]

_EPOCH = date(1970, 1, 1).toordinal()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (code INTEGER PRIMARY KEY, agent_id TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS releases (
    id TEXT PRIMARY KEY, time TEXT NOT NULL, viewer_role TEXT NOT NULL, viewer TEXT NOT NULL,
    metric TEXT NOT NULL, fingerprint TEXT NOT NULL, policy TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cells (
    id INTEGER PRIMARY KEY, release_id TEXT NOT NULL, family TEXT NOT NULL,
    first_day INTEGER NOT NULL, last_day INTEGER NOT NULL, released INTEGER NOT NULL,
    members BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS cells_by_period ON cells (family, first_day, last_day);
CREATE TABLE IF NOT EXISTS knowledge (
    viewer TEXT NOT NULL, agent INTEGER NOT NULL, family TEXT NOT NULL,
    first_day INTEGER NOT NULL, last_day INTEGER NOT NULL, share_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS knowledge_by_family ON knowledge (family, first_day, last_day);
CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, recipient TEXT NOT NULL,
    purpose TEXT NOT NULL, metrics TEXT NOT NULL, periods TEXT NOT NULL,
    granted_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT, origin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS policies (hash TEXT PRIMARY KEY, policy TEXT NOT NULL,
    first_used TEXT NOT NULL);
"""

_UNAVAILABLE = (
    "nothing is released when the ledger cannot be written",
    "check that the store file and its folder are writable and have space, or open the "
    "workspace without read_only",
)


def _unavailable() -> LedgerUnavailableError:
    return LedgerUnavailableError(_UNAVAILABLE[0], remedy=_UNAVAILABLE[1])


def day_number(day: date) -> int:
    """Days since 1970-01-01.

    Examples
    --------
    >>> day_number(date(1970, 1, 2))
    1
    """
    return day.toordinal() - _EPOCH


@dataclass(frozen=True)
class StoredCell:
    """One cell in the ledger: a released sum, or a suppressed one that must stay hidden."""

    first_day: int
    last_day: int
    released: bool
    members: frozenset[tuple[int, int]]

    @property
    def agents(self) -> frozenset[int]:
        """The contributing agents' codes."""
        return frozenset(a for a, _ in self.members)


def pack(members: Iterable[tuple[int, int]]) -> bytes:
    """(agent, day) pairs as compact bytes."""
    return np.asarray(sorted(members), dtype=np.int32).reshape(-1).tobytes()


def unpack(blob: bytes) -> frozenset[tuple[int, int]]:
    """The (agent, day) pairs of ``pack``."""
    pairs = np.frombuffer(blob, dtype=np.int32).reshape(-1, 2)
    return frozenset(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=True))


class Ledger:
    """The SQLite store behind a workspace.

    Parameters
    ----------
    path
        The store file; created when missing (unless ``read_only``).
    read_only
        Open for reading only: every write raises ``LedgerUnavailableError``.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        try:
            if read_only:
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None)
            else:
                self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('subject_salt', ?)",
                    (secrets.token_hex(16),),
                )
        except sqlite3.Error:
            raise _unavailable() from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside is committed together or not at all."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            raise _unavailable() from None
        try:
            yield self._db
        except sqlite3.Error:
            self._db.execute("ROLLBACK")
            raise _unavailable() from None
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error:
            self._db.execute("ROLLBACK")
            raise _unavailable() from None

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error:
            raise _unavailable() from None

    @property
    def subject_salt(self) -> str:
        """A random salt of this store: audit records name subjects by a salted hash."""
        rows = self._read("SELECT value FROM meta WHERE key = 'subject_salt'")
        return str(rows[0][0]) if rows else ""

    # Agents -------------------------------------------------------------------------
    def agent_codes(self, agent_ids: Sequence[str]) -> dict[str, int]:
        """Stable integer codes of ``agent_ids``, created on first sight."""
        if not self.read_only:
            with self.transaction() as db:
                db.executemany(
                    "INSERT OR IGNORE INTO agents (agent_id) VALUES (?)", [(a,) for a in agent_ids]
                )
        rows = self._read("SELECT agent_id, code FROM agents")
        codes = {str(a): int(c) for a, c in rows}
        missing = [a for a in agent_ids if a not in codes]
        if missing:
            raise _unavailable()
        return codes

    # Cells ----------------------------------------------------------------------------
    def cells(self, family: str, first_day: int, last_day: int) -> list[StoredCell]:
        """Every stored cell of ``family`` connected to the days ``first_day..last_day``.

        A cell whose period overlaps widens the span looked at, until no further cell
        overlaps: that is the whole system of unknowns a new release can combine with.
        """
        found: dict[int, StoredCell] = {}
        lo, hi = first_day, last_day
        while True:
            rows = self._read(
                "SELECT id, first_day, last_day, released, members FROM cells "
                "WHERE family = ? AND first_day <= ? AND last_day >= ?",
                (family, hi, lo),
            )
            new = [r for r in rows if r[0] not in found]
            for cid, first, last, released, members in new:
                found[int(cid)] = StoredCell(
                    int(first),
                    int(last),
                    bool(released),
                    unpack(members),
                )
            if not new:
                return list(found.values())
            lo = min(lo, *(c.first_day for c in found.values()))
            hi = max(hi, *(c.last_day for c in found.values()))

    def add_release(
        self,
        db: sqlite3.Connection,
        *,
        release_id: str,
        time: str,
        viewer_role: str,
        viewer: str,
        metric: str,
        fingerprint: str,
        policy: tuple[str, str],
        family: str,
        cells: Iterable[tuple[int, int, bool, Iterable[tuple[int, int]]]],
    ) -> None:
        """Record a release and its cells (inside ``transaction()``)."""
        db.execute(
            "INSERT INTO releases VALUES (?, ?, ?, ?, ?, ?, ?)",
            (release_id, time, viewer_role, viewer, metric, fingerprint, policy[0]),
        )
        db.execute("INSERT OR IGNORE INTO policies VALUES (?, ?, ?)", (*policy, time))
        db.executemany(
            "INSERT INTO cells (release_id, family, first_day, last_day, released, members) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (release_id, family, first, last, int(released), pack(members))
                for first, last, released, members in cells
            ],
        )

    def releases_concerning(self, code: int) -> set[str]:
        """Ids of the releases with a cell that counts agent ``code``."""
        rows = self._read("SELECT release_id, members FROM cells")
        return {str(rid) for rid, blob in rows if code in np.frombuffer(blob, dtype=np.int32)[::2]}

    def policies(self) -> list[tuple[str, dict[str, object], str]]:
        """Every policy used for a release: (hash, settings, first used)."""
        rows = self._read("SELECT hash, policy, first_used FROM policies ORDER BY first_used")
        return [(str(h), json.loads(str(p)), str(t)) for h, p, t in rows]

    # Knowledge ------------------------------------------------------------------------
    def add_knowledge(
        self,
        db: sqlite3.Connection,
        rows: Iterable[tuple[str, int, str, int, int, str]],
    ) -> None:
        """Note (inside ``transaction()``) that viewers know agents' figures (G9)."""
        db.executemany("INSERT INTO knowledge VALUES (?, ?, ?, ?, ?, ?)", list(rows))

    def knowledge(
        self, family: str, first_day: int, last_day: int, *, viewer: str | None = None
    ) -> list[tuple[int, int, int]]:
        """(agent, first day, last day) known for ``family`` overlapping the span.

        With ``viewer``, only what that viewer knows; without, what anybody knows (the
        differencing test assumes viewers talk).
        """
        sql = (
            "SELECT agent, first_day, last_day FROM knowledge "
            "WHERE family = ? AND first_day <= ? AND last_day >= ?"
        )
        params: list[object] = [family, last_day, first_day]
        if viewer is not None:
            sql += " AND viewer = ?"
            params.append(viewer)
        return [(int(a), int(f), int(t)) for a, f, t in self._read(sql, params)]

    # Shares ---------------------------------------------------------------------------
    def add_share(self, db: sqlite3.Connection, row: tuple[object, ...]) -> None:
        """Store a share (inside ``transaction()``)."""
        db.execute("INSERT INTO shares VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

    def revoke_share(self, db: sqlite3.Connection, share_id: str, when: str) -> None:
        """Mark a share revoked (inside ``transaction()``)."""
        db.execute(
            "UPDATE shares SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (when, share_id)
        )

    def shares(self, *, share_id: str | None = None) -> list[tuple[Any, ...]]:
        """Stored shares (all, or the one with ``share_id``), oldest first."""
        if share_id is None:
            return self._read("SELECT * FROM shares ORDER BY granted_at, id")
        return self._read("SELECT * FROM shares WHERE id = ?", (share_id,))
