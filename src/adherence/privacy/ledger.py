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
from typing import Literal

import numpy as np

from adherence.errors import LedgerUnavailableError
from adherence.privacy._refine import root_of
from adherence.privacy._space import Vector
from adherence.privacy._storage import unavailable

__all__ = ["Ledger", "Space", "VectorKind", "day_number"]

_EPOCH = date(1970, 1, 1).toordinal()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (code INTEGER PRIMARY KEY, agent_id TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS releases (
    id TEXT PRIMARY KEY, time TEXT NOT NULL, viewer_role TEXT NOT NULL, viewer TEXT NOT NULL,
    metric TEXT NOT NULL, fingerprint TEXT NOT NULL, policy TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vectors (
    id INTEGER PRIMARY KEY, release_id TEXT NOT NULL, kind TEXT NOT NULL, viewer TEXT,
    atoms TEXT NOT NULL, first_day INTEGER NOT NULL, last_day INTEGER NOT NULL,
    support BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS vectors_by_days ON vectors (first_day, last_day);
CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, recipient TEXT NOT NULL,
    purpose TEXT NOT NULL, metrics TEXT NOT NULL, periods TEXT NOT NULL,
    granted_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT, origin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS policies (hash TEXT PRIMARY KEY, policy TEXT NOT NULL,
    first_used TEXT NOT NULL);
"""


def day_number(day: date) -> int:
    """Days since 1970-01-01.

    Examples
    --------
    >>> day_number(date(1970, 1, 2))
    1
    """
    return day.toordinal() - _EPOCH


#: What a stored vector is: released to someone, known through a share, or to stay hidden.
VectorKind = Literal["released", "known", "hidden"]


def _pack(vector: Vector) -> tuple[str, int, int, bytes]:
    days = vector.support[:, 1]
    first, last = (int(days.min()), int(days.max())) if len(days) else (0, -1)
    atoms = json.dumps(vector.atoms, separators=(",", ":"))
    return atoms, first, last, vector.support.astype(np.int32).tobytes()


def _unpack(atoms: str, blob: bytes) -> Vector:
    pairs = np.frombuffer(blob, dtype=np.int32).reshape(-1, 2).astype(np.int64)
    return Vector(tuple((str(a), int(c)) for a, c in json.loads(atoms)), pairs)


@dataclass(frozen=True)
class Space:
    """The stored vectors connected to a request: released, known and hidden ones."""

    released: list[Vector]
    known: list[Vector]
    hidden: list[Vector]


class Ledger:
    """The SQLite store behind a workspace.

    Parameters
    ----------
    path
        The store file; created when missing (unless ``read_only``).
    read_only
        Open for reading only: every write raises ``LedgerUnavailableError``.
    timeout
        How long to wait for another connection's lock before giving up [s].
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.read_only = read_only
        try:
            if read_only:
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout)
                self._db.row_factory = sqlite3.Row
            else:
                self._db = sqlite3.connect(self.path, isolation_level=None, timeout=timeout)
                self._db.row_factory = sqlite3.Row
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('subject_salt', ?)",
                    (secrets.token_hex(16),),
                )
        except sqlite3.Error as err:
            raise unavailable(err, folder=self.path.parent) from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def unavailable(self, err: sqlite3.Error | OSError | None = None) -> LedgerUnavailableError:
        """The fail-closed error (``ADH-040``) for ``err``, naming its cause."""
        return unavailable(err, folder=self.path.parent)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside is committed together or not at all.

        Any failure rolls back what the transaction wrote (when SQLite has not already done
        so: a full disk ends the transaction by itself) and raises ``LedgerUnavailableError``
        naming the cause; other errors roll back and pass through.
        """
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise self.unavailable(err) from None
        try:
            yield self._db
            self._db.execute("COMMIT")
        except sqlite3.Error as err:
            self._rollback()
            raise self.unavailable(err) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Undo an open transaction; one SQLite already ended (or cannot end) is left alone."""
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the connection is unusable; SQLite rolls the journal back on next open

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        try:
            rows: list[sqlite3.Row] = self._db.execute(sql, params).fetchall()
            return rows
        except sqlite3.Error as err:
            raise self.unavailable(err) from None

    @property
    def subject_salt(self) -> str:
        """A random salt of this store: audit records name subjects by a salted hash."""
        rows = self._read("SELECT value FROM meta WHERE key = 'subject_salt'")
        return str(rows[0][0]) if rows else ""

    # Pseudonymisation key -----------------------------------------------------------
    def key_fingerprint(self, db: sqlite3.Connection | None = None) -> str | None:
        """The fingerprint of the pseudonymisation key the store is bound to, if any.

        ``db``: read inside that transaction.
        """
        sql = "SELECT value FROM meta WHERE key = 'key_fingerprint'"
        rows = self._read(sql) if db is None else db.execute(sql).fetchall()
        return str(rows[0]["value"]) if rows else None

    def bind_key(self, fingerprint: str) -> str:
        """Bind an unbound store to ``fingerprint``; return the fingerprint it is bound to."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('key_fingerprint', ?)", (fingerprint,))
            row = db.execute("SELECT value FROM meta WHERE key = 'key_fingerprint'").fetchone()
        return str(row["value"])

    def agent_pseudonyms(self, db: sqlite3.Connection | None = None) -> list[str]:
        """Every pseudonym the store holds: of agents with a code, and of sharing employees.

        ``db``: read inside that transaction.
        """
        sql = "SELECT agent_id FROM agents UNION SELECT agent_id FROM shares ORDER BY agent_id"
        rows = self._read(sql) if db is None else db.execute(sql).fetchall()
        return [str(row["agent_id"]) for row in rows]

    def rekey(self, db: sqlite3.Connection, renamed: dict[str, str], fingerprint: str) -> None:
        """Rename every pseudonym (agents and shares) and bind the store to ``fingerprint``.

        Inside ``transaction()``; ``renamed`` covers ``agent_pseudonyms()``. Codes stay, so
        every stored vector keeps its meaning.
        """
        pairs = [(new, f"~{old}") for old, new in renamed.items()]
        for table in ("agents", "shares"):
            # Two steps: a new pseudonym may equal another's old one (agent ids are unique).
            # The table names are the two fixed ones above, never input.
            db.execute(f"UPDATE {table} SET agent_id = '~' || agent_id")
            db.executemany(f"UPDATE {table} SET agent_id = ? WHERE agent_id = ?", pairs)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('key_fingerprint', ?)", (fingerprint,))

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
            raise self.unavailable()
        return codes

    def knows_agent(self, agent_id: str) -> bool:
        """Whether ``agent_id`` (a pseudonym) was ever added to this store."""
        return bool(self._read("SELECT 1 FROM agents WHERE agent_id = ?", (agent_id,)))

    # Vectors ------------------------------------------------------------------------
    def space(self, db: sqlite3.Connection, vectors: Sequence[Vector]) -> Space:
        """Every stored vector connected to ``vectors`` through shared days and atoms.

        Starting from the days and atoms of ``vectors``, a stored vector whose days overlap
        and which shares an atom joins, widening the days and atoms looked at, until nothing
        more joins: that is the whole part of the space a release can combine with. Repeats
        are dropped.
        """
        # Parts of one refinable quantity (a kind, a half hour of the charged time) are tied
        # to it by identities: they connect through their root (see ``_refine``).
        atoms = {root_of(a) for v in vectors for a, _ in v.atoms}
        spans = [
            (int(v.support[:, 1].min()), int(v.support[:, 1].max())) for v in vectors if len(v)
        ]
        if not spans:
            return Space([], [], [])
        lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
        found: dict[int, tuple[str, Vector]] = {}
        seen: set[int] = set()
        while True:
            rows = db.execute(
                "SELECT id, kind, atoms, first_day, last_day, support FROM vectors "
                "WHERE first_day <= ? AND last_day >= ?",
                (hi, lo),
            ).fetchall()
            grew = False
            for row in rows:
                if row["id"] in seen:
                    continue
                names = {root_of(a) for a, _ in json.loads(row["atoms"])}
                if not names & atoms:
                    continue
                seen.add(row["id"])
                found[row["id"]] = (row["kind"], _unpack(row["atoms"], row["support"]))
                atoms |= names
                lo, hi = min(lo, row["first_day"]), max(hi, row["last_day"])
                grew = True
            if not grew:
                break
        unique: dict[tuple[str, object], Vector] = {}
        for kind, vector in found.values():
            unique.setdefault((kind, vector.key), vector)
        by_kind: dict[str, list[Vector]] = {"released": [], "known": [], "hidden": []}
        for (kind, _), vector in unique.items():
            by_kind[kind].append(vector)
        return Space(by_kind["released"], by_kind["known"], by_kind["hidden"])

    def released_naming(self, prefixes: Sequence[str]) -> list[Vector]:
        """Every released vector with an atom that starts with one of ``prefixes``.

        Inside a transaction (the same connection) this reads what the transaction sees.
        """
        found: list[Vector] = []
        for prefix in prefixes:
            rows = self._read(
                "SELECT atoms, support FROM vectors WHERE kind = 'released' AND atoms LIKE ?",
                (f'%"{prefix}%',),
            )
            found += [_unpack(r["atoms"], r["support"]) for r in rows]
        return found

    def read_space(self, vectors: Sequence[Vector]) -> Space:
        """``space`` outside a write transaction (for a dry run: nothing is decided on it)."""
        try:
            return self.space(self._db, vectors)
        except sqlite3.Error as err:
            raise self.unavailable(err) from None

    def add_vectors(
        self,
        db: sqlite3.Connection,
        release_id: str,
        kind: VectorKind,
        vectors: Iterable[Vector],
        *,
        viewer: str | None = None,
    ) -> None:
        """Record vectors of a release (inside ``transaction()``); ``viewer`` for known ones."""
        db.executemany(
            "INSERT INTO vectors (release_id, kind, viewer, atoms, first_day, last_day, support) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(release_id, kind, viewer, *_pack(v)) for v in vectors if len(v)],
        )

    def known_agents(self, viewer: str) -> frozenset[int]:
        """Agents whose figures ``viewer`` holds through an opened share."""
        rows = self._read(
            "SELECT support FROM vectors WHERE kind = 'known' AND viewer = ?", (viewer,)
        )
        return frozenset(
            int(a) for row in rows for a in np.frombuffer(row[0], dtype=np.int32)[::2].tolist()
        )

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
    ) -> None:
        """Record a release (inside ``transaction()``)."""
        db.execute(
            "INSERT INTO releases VALUES (?, ?, ?, ?, ?, ?, ?)",
            (release_id, time, viewer_role, viewer, metric, fingerprint, policy[0]),
        )
        db.execute("INSERT OR IGNORE INTO policies VALUES (?, ?, ?)", (*policy, time))

    def meta(self, name: str) -> str | None:
        """A value of the store's ``meta`` table (``None`` when unset)."""
        rows = self._read("SELECT value FROM meta WHERE key = ?", (name,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, name: str, value: str) -> None:
        """Set a value of the store's ``meta`` table (its own transaction)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def released_agents(self, first_day: int, last_day: int) -> set[int]:
        """Codes of the agents a released vector counts on some day in the range."""
        rows = self._read(
            "SELECT support FROM vectors WHERE kind = 'released' AND first_day <= ? "
            "AND last_day >= ?",
            (last_day, first_day),
        )
        found: set[int] = set()
        for row in rows:
            pairs = np.frombuffer(row[0], dtype=np.int32).reshape(-1, 2)
            inside = (pairs[:, 1] >= first_day) & (pairs[:, 1] <= last_day)
            found.update(pairs[inside, 0].tolist())
        return found

    def known_agent_ids(self) -> set[str]:
        """The pseudonymous id of every agent the store has seen."""
        return {str(row[0]) for row in self._read("SELECT agent_id FROM agents")}

    def release_viewers(self) -> dict[str, tuple[str, str, str]]:
        """Per release id: the role and the viewer it was released to, and the policy."""
        rows = self._read("SELECT id, viewer_role, viewer, policy FROM releases")
        return {str(r[0]): (str(r[1]), str(r[2]), str(r[3])) for r in rows}

    def release_ids(self) -> set[str]:
        """The id of every release in the ledger."""
        return {str(row[0]) for row in self._read("SELECT id FROM releases")}

    def releases_concerning(self, code: int) -> set[str]:
        """Ids of the releases with a released vector that counts agent ``code``."""
        rows = self._read("SELECT release_id, support FROM vectors WHERE kind = 'released'")
        return {str(rid) for rid, blob in rows if code in np.frombuffer(blob, dtype=np.int32)[::2]}

    def policies(self) -> list[tuple[str, dict[str, object], str]]:
        """Every policy used for a release: (hash, settings, first used)."""
        rows = self._read("SELECT hash, policy, first_used FROM policies ORDER BY first_used")
        return [(str(h), json.loads(str(p)), str(t)) for h, p, t in rows]

    # Shares ---------------------------------------------------------------------------
    def add_share(self, db: sqlite3.Connection, row: tuple[object, ...]) -> None:
        """Store a share (inside ``transaction()``)."""
        db.execute("INSERT INTO shares VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

    def revoke_share(self, db: sqlite3.Connection, share_id: str, when: str) -> None:
        """Mark a share revoked (inside ``transaction()``)."""
        db.execute(
            "UPDATE shares SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (when, share_id)
        )

    def shares(self, *, share_id: str | None = None) -> list[sqlite3.Row]:
        """Stored shares (all, or the one with ``share_id``), oldest first; rows by name."""
        columns = (
            "SELECT id, agent_id, recipient, purpose, metrics, periods, granted_at, expires_at, "
            "revoked_at, origin FROM shares"
        )
        if share_id is None:
            rows = self._read(f"{columns} ORDER BY granted_at, id")
        else:
            rows = self._read(f"{columns} WHERE id = ?", (share_id,))
        return rows
