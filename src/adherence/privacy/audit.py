"""The tamper-evident audit log (G10, G13): append-only JSON Lines, hash-chained.

Each line is one record with sorted keys: ``seq`` (1-based), ``time`` (UTC, ms), ``event``,
the record's fields, ``prev`` (the hash of the record before; 64 zeros for the first) and
``hash`` (SHA-256 of the record's canonical JSON without ``hash``). Editing, removing or
reordering a line breaks the chain, and ``verify()`` says where. Removing the *last* lines
leaves a valid chain; the head (count and last hash), kept in the workspace's SQLite store
at every append, catches that.

Only a fixed set of fields may be logged, each a text, an integer, a boolean or a list of
texts — never a float — so that no metric value, name or raw event can end up in the log.

Examples
--------
>>> import tempfile, pathlib
>>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
>>> record = log.append("release", actor_role="team_lead", released=3, suppressed=1)
>>> record.seq, record.fields["released"]
(1, 3)
>>> bool(log.verify())
True
>>> log.append("release", released=0.5)
Traceback (most recent call last):
...
TypeError: audit field 'released' must be text, an integer, a boolean or a list of texts
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from adherence.errors import LedgerUnavailableError

__all__ = [
    "ALLOWED_FIELDS",
    "GENESIS",
    "AuditLog",
    "AuditProblem",
    "AuditRecord",
    "AuditValue",
    "AuditVerification",
]

AuditValue = str | int | bool | None | list[str] | tuple[str, ...]
GENESIS = "0" * 64
#: The fields a record may carry; nothing else can be logged.
ALLOWED_FIELDS = frozenset(
    {
        "actor_role", "actor", "purpose", "query", "metric", "by", "period", "released",
        "suppressed", "policy", "code", "release_id", "share_id", "subjects", "metrics",
        "periods", "format", "recipient", "expires_at", "detail",
    }
)  # fmt: skip
_RESERVED = ("seq", "time", "event", "prev", "hash")
_TAIL_BYTES = 64 * 1024


def _unavailable() -> LedgerUnavailableError:
    return LedgerUnavailableError(
        "nothing is released when the audit log cannot be written",
        remedy="check that the store's folder is writable and has space",
    )


def _canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def _checked(name: str, value: object) -> AuditValue:
    if name not in ALLOWED_FIELDS:
        raise ValueError(f"{name!r} is not an audit field; allowed: {sorted(ALLOWED_FIELDS)}")
    ok = value is None or isinstance(value, str | int)
    if isinstance(value, list | tuple):
        ok = all(isinstance(v, str) for v in value)
        value = list(value)
    if not ok:
        raise TypeError(
            f"audit field {name!r} must be text, an integer, a boolean or a list of texts"
        )
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit log."""

    seq: int
    time: str
    event: str
    fields: Mapping[str, Any]
    prev: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """The record as the JSON object of its line."""
        return {
            "seq": self.seq,
            "time": self.time,
            "event": self.event,
            **self.fields,
            "prev": self.prev,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditRecord:
        """A record from the JSON object of its line."""
        fields = {k: v for k, v in data.items() if k not in _RESERVED}
        return cls(
            int(data["seq"]), str(data["time"]), str(data["event"]), fields,
            str(data["prev"]), str(data["hash"]),
        )  # fmt: skip


@dataclass(frozen=True)
class AuditProblem:
    """What ``verify`` found wrong, and on which line (1-based)."""

    line: int
    kind: Literal["unparseable", "hash", "chain", "sequence", "truncated"]
    message: str


@dataclass(frozen=True)
class AuditVerification:
    """The result of ``AuditLog.verify``: true when the log is intact."""

    ok: bool
    records: int
    problems: tuple[AuditProblem, ...] = field(default=())

    def __bool__(self) -> bool:
        return self.ok


class AuditLog:
    """An append-only, hash-chained JSON Lines file.

    Parameters
    ----------
    path
        The log file; its folder must exist. A missing file is an empty log.
    head_store
        A SQLite file in which the head (count and last hash) is kept at every append, so
        that removing the last lines is detected too.
    """

    def __init__(self, path: str | Path, *, head_store: str | Path | None = None) -> None:
        self._path = Path(path)
        self._head_store = None if head_store is None else Path(head_store)

    @property
    def path(self) -> Path:
        """The log file."""
        return self._path

    def __repr__(self) -> str:
        return f"AuditLog({str(self._path)!r}, {len(self.records())} records)"

    def _last_line(self) -> dict[str, Any] | None:
        """The last record, read from the end of the file (not the whole file)."""
        try:
            with self._path.open("rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                chunk = b""
                while size > 0:
                    step = min(_TAIL_BYTES, size)
                    size -= step
                    f.seek(size)
                    chunk = f.read(step) + chunk
                    lines = chunk.rstrip(b"\n").split(b"\n")
                    if len(lines) > 1 or size == 0:
                        last = lines[-1]
                        return json.loads(last) if last.strip() else None
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            raise _unavailable() from None
        return None

    def head(self) -> tuple[int, str]:
        """(number of records, hash of the last record), from the file itself."""
        last = self._last_line()
        return (0, GENESIS) if last is None else (int(last["seq"]), str(last["hash"]))

    def _stored_head(self) -> tuple[int, str] | None:
        if self._head_store is None or not self._head_store.exists():
            return None
        try:
            with sqlite3.connect(self._head_store, timeout=30) as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 1),"
                    " count INTEGER NOT NULL, hash TEXT NOT NULL)"
                )
                row = db.execute("SELECT count, hash FROM audit_head WHERE id = 1").fetchone()
            db.close()
        except sqlite3.Error:
            return None
        return None if row is None else (int(row[0]), str(row[1]))

    def _store_head(self, count: int, digest: str, via: sqlite3.Connection | None) -> None:
        if self._head_store is None:
            return
        statements = (
            "CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 1),"
            " count INTEGER NOT NULL, hash TEXT NOT NULL)",
            "INSERT INTO audit_head VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET count = excluded.count, hash = excluded.hash",
        )
        try:
            if via is not None:  # inside the caller's transaction on the same store
                via.execute(statements[0])
                via.execute(statements[1], (count, digest))
                return
            db = sqlite3.connect(self._head_store, timeout=30)
            with db:
                db.execute(statements[0])
                db.execute(statements[1], (count, digest))
            db.close()
        except sqlite3.Error:
            raise _unavailable() from None

    def append(
        self, event: str, *, via: sqlite3.Connection | None = None, **fields: AuditValue
    ) -> AuditRecord:
        """Append one record; raise ``LedgerUnavailableError`` if it cannot be written.

        ``via`` is an open transaction on the head store: the head is then updated inside it,
        so it commits (or rolls back) together with the caller's ledger writes.
        """
        values = {name: _checked(name, value) for name, value in fields.items()}
        count, previous = self.head()
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record: dict[str, Any] = {
            "seq": count + 1,
            "time": now,
            "event": event,
            **values,
            "prev": previous,
        }
        record["hash"] = _digest(record)
        try:
            with self._path.open("a", encoding="utf-8") as f:
                f.write(_canonical(record) + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            raise _unavailable() from None
        self._store_head(record["seq"], record["hash"], via)
        return AuditRecord.from_dict(record)

    def records(self) -> list[AuditRecord]:
        """Every record, in file order (unverified; lines that do not parse are skipped)."""
        found = []
        for line in self._lines():
            try:
                found.append(AuditRecord.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def records_about(self, subject: str) -> list[AuditRecord]:
        """Records whose ``subjects`` name ``subject``."""
        return [r for r in self.records() if subject in r.fields.get("subjects", ())]

    def _lines(self) -> list[str]:
        try:
            return self._path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        except OSError:
            raise _unavailable() from None

    def verify(self) -> AuditVerification:
        """Check every line's hash, the chain and the sequence, and the stored head."""
        problems: list[AuditProblem] = []
        previous, expected_seq, count = GENESIS, 1, 0
        for number, line in enumerate(self._lines(), start=1):
            try:
                data = json.loads(line)
                record = AuditRecord.from_dict(data)
            except (ValueError, KeyError, TypeError):
                problems.append(
                    AuditProblem(number, "unparseable", f"line {number} is not a record")
                )
                continue
            count += 1
            if _digest(data) != record.hash:
                problems.append(AuditProblem(number, "hash", f"line {number} was edited"))
            if record.prev != previous:
                problems.append(
                    AuditProblem(number, "chain", f"line {number} does not follow the line before")
                )
            if record.seq != expected_seq:
                problems.append(
                    AuditProblem(number, "sequence", f"line {number} is out of sequence")
                )
            previous, expected_seq = record.hash, record.seq + 1
        stored = self._stored_head()
        if stored is not None and stored != (expected_seq - 1, previous):
            problems.append(
                AuditProblem(
                    count, "truncated", "the log does not end where the store says it should"
                )
            )
        return AuditVerification(not problems, count, tuple(problems))
