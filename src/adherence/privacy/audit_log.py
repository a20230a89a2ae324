"""The tamper-evident audit log (G10, G13, G15): JSON Lines, each record chained and keyed.

Format
------
One record per line. A line is the record's canonical JSON — keys sorted, no spaces, every
non-ASCII character escaped, as ``json.dumps(record, sort_keys=True, separators=(",", ":"))``
writes it — followed by a newline. A record holds:

- ``seq``: its number, from 1;
- ``time``: when it was written [UTC, ISO 8601 with milliseconds and ``Z``];
- ``event``: what happened, one short word (``release``, ``refusal``, ``share_created``,
  ``share_opened``, ``share_revoked``, ``export``, ``self_view``, ``fairness_audit``);
- its fields (see below);
- ``prev``: the ``mac`` of the record before it, or ``GENESIS`` (64 zeros) for the first;
- ``mac``: the HMAC-SHA256 (hex), under the *audit key*, of the canonical JSON of the record
  without ``mac``.

Whoever holds the audit key can check a log without this library: recompute each MAC with
HMAC-SHA256 and follow the chain. Without the key nobody can write a record that verifies,
so nobody can forge, edit, remove and re-chain, or append one.

Logs written before the audit key existed (records with a plain SHA-256 ``hash``) are not read
as records: ``verify`` reports their lines as ``unparseable`` and ``append`` refuses to go on
after them, so such a log is archived and a new store and log are started.

The audit key
-------------
The steward holds the audit key apart from the store (text or bytes, at least 16 bytes). The
store keeps only a keyed fingerprint of it (HMAC of a fixed text under the key), never the
key; opening a log whose store was written under another key raises ``AuditKeyError``
(``ADH-042``). A pickled ``AuditLog`` carries no key: the copy reads records, but appending
or verifying raises ``AuditKeyError``, so that no object handed to a viewer carries the key.

A release and its record commit together
----------------------------------------
With a head store (the workspace's SQLite store) the store holds the log's head — the number
of records and the last MAC, authenticated with the key — the key's fingerprint, and the
records not yet in the file
(table ``audit_pending``). ``append(event, via=db, ...)`` runs inside the caller's write
transaction: it checks that the file ends where the store says, adds the record to
``audit_pending`` and moves the head. The record therefore commits or rolls back with the
caller's ledger rows: a release and its record are stored together or not at all, and a
failed release leaves no record behind. After the commit the caller calls ``flush()``, which
moves pending records to the file (and syncs it to disk); until then ``records()`` and
``verify()`` read them from the store, and the next ``append`` or ``flush`` writes them.
``append`` without ``via`` does both steps itself. A write cut short by a crash during a flush
is completed by the next flush.

What ``verify`` detects
-----------------------
An edited or forged line (its MAC does not match, or it is not in canonical form), a removed,
inserted or moved line (the chain or the sequence breaks), a line that is not a record, a log
that ends before its recorded head (records cut off the end, or the file deleted), a record
past the recorded head (appended outside the library, or an older store restored beside a
newer log: such records are reported, never adopted), a log with records whose store has
no head (the store is missing or was replaced), and a head edited in the store (to hide a cut,
say). Given the ledger's release ids it also checks
that every release has exactly one record and every release record has its release.
``append`` and ``flush`` refuse to write after a file end that does not match the store
(``AuditIntegrityError``, ``ADH-041``).

Without a head store only the lines themselves are checked: cutting lines off the end is not
detected, and ``via`` is refused. Whoever holds the audit key can rewrite history, and
restoring an old copy of *both* the store and the log together is not visible in them: keep
``head()`` somewhere else (the steward's notes) to detect that.

What may be logged
------------------
Only the fields in ``ALLOWED_FIELDS``, each holding a text, an integer, a boolean, ``None`` or a
list of texts. The list of fields is closed, and floats are refused, so that no metric value, no
name and no raw status event can be written to the log by accident: such a call raises
``ValueError`` (a field that is not on the list) or ``TypeError`` (a value of another type).

Failing closed
--------------
When the log or its head store cannot be written (or read to find where to append),
``append`` raises ``LedgerUnavailableError`` (``ADH-040``), and the caller releases nothing.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> key = "the steward's audit key"
>>> log = AuditLog(folder / "audit.jsonl", key=key, head_store=folder / "store.db")
>>> record = log.append("release", actor_role="team_lead", released=3, suppressed=1)
>>> record.seq, record.fields["released"], record.prev == GENESIS
(1, 3, True)
>>> log.verify()
AuditVerification(ok=True, records=1, problems=())
>>> log.append("release", released=97.5)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
TypeError: audit field 'released' takes text, an integer, a boolean, None or a list of texts...
>>> AuditLog(folder / "audit.jsonl", key="another key, not the steward's",
...          head_store=folder / "store.db")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
adherence.errors.AuditKeyError: this is not the audit key the log was written with...
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, Literal, TypeAlias, TypeVar

from adherence.errors import AuditIntegrityError, AuditKeyError, LedgerUnavailableError
from adherence.privacy._storage import unavailable

__all__ = [
    "ALLOWED_FIELDS",
    "GENESIS",
    "RELEASE_EVENTS",
    "AuditLog",
    "AuditProblem",
    "AuditRecord",
    "AuditValue",
    "AuditVerification",
    "ProblemKind",
]

#: A value a record's field may hold. No float: a float is how a metric value would sneak in.
AuditValue: TypeAlias = str | int | bool | list[str] | tuple[str, ...] | None

#: The ``prev`` of the first record: 64 zeros.
GENESIS = "0" * 64

#: The only fields a record may carry, so that nobody logs a value, a name or a raw event.
ALLOWED_FIELDS: frozenset[str] = frozenset(
    {
        "actor_role", "actor", "purpose", "query", "metric", "by", "period", "released",
        "suppressed", "policy", "code", "release_id", "share_id", "subjects", "metrics",
        "periods", "format", "recipient", "expires_at", "detail",
    }
)  # fmt: skip

#: The events that give figures out: each names its ``release_id``, one record per release.
RELEASE_EVENTS: frozenset[str] = frozenset(
    {"release", "fairness_audit", "share_opened", "self_view"}
)

#: What ``verify`` can find wrong (see ``AuditProblem``).
ProblemKind: TypeAlias = Literal[
    "unparseable",
    "mac",
    "chain",
    "sequence",
    "past_head",
    "truncated",
    "head",
    "orphan",
    "duplicate",
    "missing",
]

MIN_KEY_BYTES = 16
_FINGERPRINT_TEXT = b"adherence audit key fingerprint"
_RESERVED = frozenset({"seq", "time", "event", "prev", "mac"})
_EVENT = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CHUNK_BYTES = 8192
_TIMEOUT_S = 30.0
_CREATE = (
    "CREATE TABLE IF NOT EXISTS audit_chain (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "count INTEGER NOT NULL, mac TEXT NOT NULL, head_mac TEXT NOT NULL, "
    "key_fingerprint TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit_pending (seq INTEGER PRIMARY KEY, line TEXT NOT NULL)",
)
_SET_CHAIN = (
    "INSERT INTO audit_chain (id, count, mac, head_mac, key_fingerprint) VALUES (1, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET count = excluded.count, mac = excluded.mac, "
    "head_mac = excluded.head_mac"
)
_HAS_TABLE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"

Head: TypeAlias = tuple[int, str]
T = TypeVar("T")


def _unavailable(
    err: sqlite3.Error | OSError | None = None,
    *,
    reading: bool = False,
    folder: Path | None = None,
) -> LedgerUnavailableError:
    """The fail-closed error; it names the cause and a remedy, never a record's content."""
    if err is not None and not reading:
        return unavailable(err, folder=folder)
    if reading:
        return LedgerUnavailableError(
            "the audit log cannot be read",
            remedy="check that the log and its head store are files that can be read",
        )
    return LedgerUnavailableError(
        "nothing is released when the audit log cannot be written",
        remedy="check that the store's folder is writable and has space",
    )


def _wrong_key() -> AuditKeyError:
    return AuditKeyError(
        "this is not the audit key the log was written with",
        remedy="open the store with the audit key the steward holds for it",
    )


def _no_key() -> AuditKeyError:
    return AuditKeyError(
        "this copy of the audit log holds no audit key (a pickled log never carries it)",
        remedy="open the log with AuditLog(path, key=...) where the steward holds the key",
    )


def _broken_tail() -> AuditIntegrityError:
    return AuditIntegrityError(
        "the audit log does not end where its head store says, so nothing more is appended",
        remedy="run 'adherence ledger verify' and have the steward restore the log and store",
    )


def _key_bytes(key: object) -> bytes:
    """The audit key as bytes, or ``AuditKeyError`` when it is not a usable key."""
    if isinstance(key, str):
        raw = key.encode("utf-8")
    elif isinstance(key, bytes | bytearray):
        raw = bytes(key)
    else:
        raise AuditKeyError(
            f"the audit key is text or bytes, not {type(key).__name__}",
            remedy="pass the audit key the steward holds apart from the store",
        )
    if len(raw) < MIN_KEY_BYTES:
        raise AuditKeyError(
            f"the audit key is too short; at least {MIN_KEY_BYTES} bytes are needed",
            remedy="use a long random key the steward holds apart from the store",
        )
    return raw


def _now() -> str:
    """The current time [UTC] as ISO 8601 with milliseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # built once, not per call


def _canonical(record: Mapping[str, object]) -> bytes:
    """The canonical JSON of a record: sorted keys, no spaces, ASCII only."""
    return _ENCODER.encode(record).encode("ascii")


def _mac(key: bytes, record: Mapping[str, object]) -> str:
    """HMAC-SHA256 (hex) under ``key`` of the canonical JSON of ``record`` without its ``mac``."""
    body = {k: v for k, v in record.items() if k != "mac"}
    return hmac.new(key, _canonical(body), hashlib.sha256).hexdigest()


def _head_mac(key: bytes, count: int, mac: str) -> str:
    """HMAC-SHA256 (hex) of the head (number of records, last MAC) under ``key``."""
    return hmac.new(key, f"adherence audit head:{count}:{mac}".encode(), hashlib.sha256).hexdigest()


def _authentic(key: bytes, data: Mapping[str, Any]) -> bool:
    return hmac.compare_digest(str(data["mac"]), _mac(key, data))


def _checked_event(event: object) -> str:
    if not isinstance(event, str):
        raise TypeError(f"an audit event is text, not {type(event).__name__}")
    if not _EVENT.fullmatch(event):
        raise ValueError(
            "an audit event is one short lower-case word such as 'release' or 'share_created'"
        )
    return str.__str__(event)


def _checked(name: str, value: object) -> AuditValue:
    """``value`` as plain builtins, or an error when the field or its type is not allowed."""
    if name not in ALLOWED_FIELDS:
        raise ValueError(
            f"{name!r} is not an audit field; allowed: {', '.join(sorted(ALLOWED_FIELDS))}"
        )
    if value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [str.__str__(v) for v in value]
    raise TypeError(
        f"audit field {name!r} takes text, an integer, a boolean, None or a list of texts, "
        f"not {type(value).__name__} (no floats, so that no metric value is logged)"
    )


def _is_record(data: object) -> bool:
    """Whether ``data`` has the reserved keys of a record, with their types."""
    if not isinstance(data, dict):
        return False
    seq = data.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int):
        return False
    return all(isinstance(data.get(key), str) for key in ("time", "event", "prev", "mac"))


def _parse(line: bytes) -> dict[str, Any] | None:
    """The JSON object of a line, or ``None`` when the line is not a well-formed record."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, absurd nesting
        return None
    return data if _is_record(data) else None


def _lines_from_end(handle: BinaryIO, end: int) -> Iterator[bytes]:
    """The lines of ``handle[:end]``, last first, read backwards in small chunks."""
    position, rest = end, b""
    while position > 0:
        step = min(_CHUNK_BYTES, position)
        position -= step
        handle.seek(position)
        parts = (handle.read(step) + rest).split(b"\n")
        rest = parts[0]
        yield from reversed(parts[1:])
    yield rest


@dataclass(frozen=True)
class _Chain:
    """The head kept in the head store, and the fingerprint of the key it was written with."""

    count: int
    mac: str
    head_mac: str
    fingerprint: str

    def authentic(self, key: bytes) -> bool:
        """Whether the head was written with ``key`` (and not edited since)."""
        return hmac.compare_digest(self.head_mac, _head_mac(key, self.count, self.mac))


@dataclass(frozen=True)
class _Pending:
    """A record committed in the head store and not yet written to the file."""

    seq: int
    prev: str
    mac: str
    line: bytes


@dataclass(frozen=True)
class _Tail:
    """The end of the file.

    Its last complete record (``None`` when that line is not an authentic record), the bytes
    after its last newline (a write cut short), and its size [bytes].
    """

    head: Head | None
    fragment: bytes
    size: int


def _table_exists(db: sqlite3.Connection, name: str) -> bool:
    return db.execute(_HAS_TABLE, (name,)).fetchone() is not None


def _read_chain(db: sqlite3.Connection) -> _Chain | None:
    if not _table_exists(db, "audit_chain"):
        return None
    cursor = db.cursor()
    cursor.row_factory = sqlite3.Row
    row = cursor.execute(
        "SELECT count, mac, head_mac, key_fingerprint FROM audit_chain WHERE id = 1"
    )
    found = row.fetchone()
    if found is None:
        return None
    return _Chain(
        int(found["count"]),
        str(found["mac"]),
        str(found["head_mac"]),
        str(found["key_fingerprint"]),
    )


def _read_pending(db: sqlite3.Connection) -> list[_Pending]:
    if not _table_exists(db, "audit_pending"):
        return []
    cursor = db.cursor()
    cursor.row_factory = sqlite3.Row
    pending = []
    for row in cursor.execute("SELECT seq, line FROM audit_pending ORDER BY seq"):
        line = str(row["line"]).encode("ascii")
        data = _parse(line)
        if data is None or data["seq"] != row["seq"]:
            raise _broken_tail()
        pending.append(_Pending(int(data["seq"]), str(data["prev"]), str(data["mac"]), line))
    return pending


def _in_transaction(store: Path, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work(db)`` in a write transaction of its own on the head store ``store``."""
    try:
        with closing(sqlite3.connect(store, timeout=_TIMEOUT_S, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time, across processes too
            try:
                result = work(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # a full disk ends the transaction by itself
                    db.execute("ROLLBACK")
                raise
    except sqlite3.Error as err:
        raise _unavailable(err, folder=store.parent) from None
    return result


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit log (read-only).

    Parameters
    ----------
    seq
        The record's number, from 1.
    time
        When it was written [UTC, ISO 8601 with milliseconds and ``Z``].
    event
        What happened (``release``, ``refusal``, ``share_created``, ...).
    fields
        The other fields, read-only; lists of texts are held as tuples.
    prev
        The MAC of the record before (``GENESIS`` for the first).
    mac
        HMAC-SHA256 (hex), under the audit key, of the record's canonical JSON without ``mac``.

    Examples
    --------
    >>> record = AuditRecord(1, "2025-03-10T08:00:00.000Z", "export", {"format": "csv"},
    ...                      GENESIS, "ab" * 32)
    >>> record.fields["format"], sorted(record.to_dict())
    ('csv', ['event', 'format', 'mac', 'prev', 'seq', 'time'])
    """

    seq: int
    time: str
    event: str
    fields: Mapping[str, AuditValue]
    prev: str
    mac: str

    def __post_init__(self) -> None:
        frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in self.fields.items()}
        object.__setattr__(self, "fields", MappingProxyType(dict(sorted(frozen.items()))))

    def __hash__(self) -> int:
        return hash((self.seq, self.mac))

    def __reduce__(self) -> tuple[type[AuditRecord], tuple[Any, ...]]:
        fields = dict(self.fields)
        return (type(self), (self.seq, self.time, self.event, fields, self.prev, self.mac))

    def to_dict(self) -> dict[str, Any]:
        """The record as the JSON object of its line (keys sorted, lists as lists)."""
        fields = {k: list(v) if isinstance(v, tuple) else v for k, v in self.fields.items()}
        data = {
            "seq": self.seq,
            "time": self.time,
            "event": self.event,
            "prev": self.prev,
            "mac": self.mac,
            **fields,
        }
        return dict(sorted(data.items()))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditRecord:
        """A record from the JSON object of its line (not verified).

        Raises
        ------
        ValueError
            When ``data`` lacks a reserved key or holds one of the wrong type.
        """
        if not _is_record(data):
            raise ValueError("not an audit record: seq, time, event, prev or mac is missing")
        return _record(data)


def _record(data: Mapping[str, Any]) -> AuditRecord:
    """The record of a parsed line (already checked by ``_parse``)."""
    fields = {k: v for k, v in data.items() if k not in _RESERVED}
    return AuditRecord(data["seq"], data["time"], data["event"], fields, data["prev"], data["mac"])


@dataclass(frozen=True)
class AuditProblem:
    """What ``verify`` found wrong, and on which line (1-based).

    ``kind`` is one of:

    - ``unparseable``: the line is not a record;
    - ``mac``: its MAC does not match (edited, or written without the audit key), or the line
      is not in canonical form;
    - ``chain``: it does not follow the record before it;
    - ``sequence``: its number is out of order;
    - ``past_head``: a record past the recorded head (added outside this log, or the store is
      older than the log); never adopted;
    - ``truncated``: the log ends before its recorded head (``line`` is where the missing
      records would start);
    - ``head``: the record at the head's number is not the one the head store recorded, the
      log has records but the store has no head (missing or replaced), or the head in the
      store is not authenticated by the audit key (edited; ``line`` is 0);
    - ``orphan``: a release record whose release the ledger does not hold;
    - ``duplicate``: a second record of the same release;
    - ``missing``: a release in the ledger without a record (``line`` is 0).

    ``message`` says what is wrong and where, never what a record says.
    """

    line: int
    kind: ProblemKind
    message: str


@dataclass(frozen=True)
class AuditVerification:
    """The result of ``AuditLog.verify``; true when the log is intact.

    ``records`` counts the lines that are records (intact or not); ``problems`` lists what is
    wrong, in line order, then the end-of-log check, then releases without a record.
    """

    ok: bool
    records: int
    problems: tuple[AuditProblem, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


def _keyless(path: Path, head_store: Path | None) -> AuditLog:
    """An unpickled ``AuditLog``: it reads records, but holds no key."""
    log = AuditLog.__new__(AuditLog)
    log._path, log._head_store, log._key, log._fingerprint = path, head_store, None, None
    return log


class AuditLog:
    """Append-only JSON Lines file; each record is chained to the one before and keyed.

    Several objects (in one process or several) on the same file and head store keep one
    chain: every append reads the current head inside a write transaction on the store.

    Parameters
    ----------
    path
        The log file. Its folder must exist; a missing file is an empty log.
    key
        The audit key (text or bytes, at least 16 bytes), held by the steward apart from the
        store. Each record's MAC is computed under it.
    head_store
        A SQLite file that keeps the log's head, the key's fingerprint and the records not yet
        written to the file (usually the workspace's store). Without it, lines cut off the end
        are not detected and ``append`` cannot join a caller's transaction.

    Raises
    ------
    AuditKeyError
        ``ADH-042``: ``key`` is not text or bytes, is too short, or the head store records
        another key's fingerprint.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> log = AuditLog(folder / "audit.jsonl", key=b"0123456789abcdef", head_store=folder / "s.db")
    >>> _ = log.append("share_created", actor_role="employee", subjects=["3f9a"])
    >>> _ = log.append("export", actor_role="team_lead", format="csv")
    >>> [r.event for r in log.records()], [r.seq for r in log.records_about("3f9a")]
    (['share_created', 'export'], [1])
    >>> log.head()[0], bool(log.verify())
    (2, True)
    """

    _path: Path
    _head_store: Path | None
    _key: bytes | None
    _fingerprint: str | None

    def __init__(
        self, path: str | Path, *, key: str | bytes, head_store: str | Path | None = None
    ) -> None:
        self._path = Path(path)
        self._head_store = None if head_store is None else Path(head_store)
        self._key = _key_bytes(key)
        self._fingerprint = hmac.new(self._key, _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()
        try:
            chain, _ = self._stored()
        except LedgerUnavailableError:  # an unreadable store fails at the first use instead
            return
        self._check_fingerprint(chain)

    def __reduce__(self) -> tuple[Any, tuple[Path, Path | None]]:
        """A pickle holds the paths only, never the key (the copy cannot append)."""
        return (_keyless, (self._path, self._head_store))

    @property
    def path(self) -> Path:
        """The log file."""
        return self._path

    @property
    def head_store(self) -> Path | None:
        """The SQLite file that keeps the log's head, if any."""
        return self._head_store

    def __repr__(self) -> str:
        count = self._count_lines()
        shown = "unreadable" if count is None else f"{count} records"
        return f"AuditLog({str(self._path)!r}, {shown})"

    def _count_lines(self) -> int | None:
        """The number of lines, counted without parsing (``repr`` must be cheap and not fail)."""
        count, last = 0, b"\n"
        try:
            with self._path.open("rb") as f:
                while block := f.read(1 << 20):
                    count += block.count(b"\n")
                    last = block[-1:]
        except FileNotFoundError:
            return 0
        except OSError:
            return None
        return count + (last != b"\n")

    def _require_key(self) -> bytes:
        if self._key is None:
            raise _no_key()
        return self._key

    def _check_fingerprint(self, chain: _Chain | None) -> None:
        if chain is None or self._fingerprint is None:
            return
        if not hmac.compare_digest(chain.fingerprint, self._fingerprint):
            raise _wrong_key()

    # Appending --------------------------------------------------------------------------
    def append(
        self, event: str, *, via: sqlite3.Connection | None = None, **fields: AuditValue
    ) -> AuditRecord:
        """Append one record, chained onto the recorded head.

        Parameters
        ----------
        event
            What happened: one short lower-case word (``release``, ``refusal``, ``export``...).
        via
            An open write transaction on the head store (the caller's): the record is stored
            in it and commits or rolls back with the caller's other writes. Call ``flush()``
            after the commit to write it to the file.
        **fields
            Fields from ``ALLOWED_FIELDS``; each a text, an integer, a boolean, ``None`` or a
            list of texts.

        Returns
        -------
        AuditRecord
            The record as stored.

        Raises
        ------
        ValueError
            A field that is not in ``ALLOWED_FIELDS``, an event that is not a short word, or
            ``via`` on a log without a head store.
        TypeError
            A value of another type (a float, a dict, ...).
        AuditIntegrityError
            ``ADH-041``: the file does not end where the head store says (records past the
            recorded head, a cut, a missing or replaced store); nothing is appended.
        AuditKeyError
            ``ADH-042``: the store was written under another audit key, or this copy has none.
        LedgerUnavailableError
            ``ADH-040``: the log or its head store cannot be written or read; the caller must
            release nothing.
        """
        event = _checked_event(event)
        values = {name: _checked(name, value) for name, value in fields.items()}
        key = self._require_key()
        if self._head_store is None:
            if via is not None:
                raise ValueError("`via` is a transaction on the head store; this log has none")
            return self._append_to_file(key, event, values)
        if via is not None:
            return self._append_pending(via, key, event, values)
        record = _in_transaction(
            self._head_store, lambda db: self._append_pending(db, key, event, values)
        )
        self.flush()
        return record

    def _append_pending(
        self, db: sqlite3.Connection, key: bytes, event: str, values: dict[str, AuditValue]
    ) -> AuditRecord:
        """Store a record in ``audit_pending`` and move the head (inside ``db``'s transaction)."""
        try:
            for statement in _CREATE:
                db.execute(statement)
            chain = _read_chain(db)
            pending = _read_pending(db)
        except sqlite3.Error as err:
            raise _unavailable(err) from None
        self._check_fingerprint(chain)
        if chain is not None and not chain.authentic(key):
            raise _broken_tail()
        self._resume(self._tail(), chain, pending)
        count, previous = (0, GENESIS) if chain is None else (chain.count, chain.mac)
        record = self._new_record(key, count, previous, event, values)
        try:
            db.execute(
                "INSERT INTO audit_pending (seq, line) VALUES (?, ?)",
                (record["seq"], _canonical(record).decode("ascii")),
            )
            head_mac = _head_mac(key, record["seq"], record["mac"])
            db.execute(_SET_CHAIN, (record["seq"], record["mac"], head_mac, self._fingerprint))
        except sqlite3.Error as err:
            raise _unavailable(err) from None
        return _record(record)

    def _append_to_file(self, key: bytes, event: str, values: dict[str, AuditValue]) -> AuditRecord:
        """Without a head store: chain onto the file's last record and write the line."""
        tail = self._tail()
        if tail.head is None or tail.fragment:
            raise _broken_tail()
        record = self._new_record(key, *tail.head, event, values)
        self._write(_canonical(record) + b"\n", cut=0)
        return _record(record)

    @staticmethod
    def _new_record(
        key: bytes, count: int, previous: str, event: str, values: dict[str, AuditValue]
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "seq": count + 1,
            "time": _now(),
            "event": event,
            **values,
            "prev": previous,
        }
        record["mac"] = _mac(key, record)
        return record

    def _write(self, data: bytes, *, cut: int) -> None:
        """Append ``data`` to the file after cutting ``cut`` bytes off its end; sync to disk."""
        try:
            with self._path.open("ab") as f:
                if cut:
                    f.truncate(f.seek(0, os.SEEK_END) - cut)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as err:
            raise _unavailable(err, folder=self._path.parent) from None

    def flush(self) -> None:
        """Write the records committed in the head store but not yet in the file.

        Call it after committing a transaction passed to ``append`` as ``via``. Without a head
        store, or with nothing pending, it does nothing.

        Raises
        ------
        AuditIntegrityError
            ``ADH-041``: the file does not end where the head store says; nothing is written.
        AuditKeyError
            ``ADH-042``: the store was written under another audit key, or this copy has none.
        LedgerUnavailableError
            ``ADH-040``: the log or its head store cannot be written.
        """
        if self._head_store is None or not self._head_store.exists():
            return
        self._require_key()
        _in_transaction(self._head_store, self._flush_pending)

    def _flush_pending(self, db: sqlite3.Connection) -> None:
        try:
            chain = _read_chain(db)
            pending = _read_pending(db)
        except sqlite3.Error as err:
            raise _unavailable(err) from None
        if not pending:
            return
        self._check_fingerprint(chain)
        if chain is not None and not chain.authentic(self._require_key()):
            raise _broken_tail()
        tail = self._tail()
        written = self._resume(tail, chain, pending)
        lines = b"".join(p.line + b"\n" for p in pending[written:])
        self._write(lines, cut=len(tail.fragment))
        try:
            db.execute("DELETE FROM audit_pending")
        except sqlite3.Error as err:
            raise _unavailable(err) from None

    def _tail(self) -> _Tail:
        """The end of the file; only its last line is read and checked."""
        key = self._require_key()
        try:
            with self._path.open("rb") as f:
                size = f.seek(0, os.SEEK_END)
                lines = _lines_from_end(f, size)
                fragment = next(lines)
                last = next(lines, None)
        except FileNotFoundError:
            return _Tail((0, GENESIS), b"", 0)
        except OSError as err:
            raise _unavailable(err, folder=self._path.parent) from None
        if last is None:  # no complete line at all
            return _Tail((0, GENESIS), fragment, size)
        data = _parse(last)
        if data is None or not _authentic(key, data) or last != _canonical(data):
            return _Tail(None, fragment, size)
        return _Tail((data["seq"], data["mac"]), fragment, size)

    @staticmethod
    def _resume(tail: _Tail, chain: _Chain | None, pending: list[_Pending]) -> int:
        """How many pending records the file already holds.

        Raises ``AuditIntegrityError`` when the file does not end where the store says: what
        is past the recorded head is never adopted.
        """
        if tail.head is None:
            raise _broken_tail()
        if not pending:
            expected = (0, GENESIS) if chain is None else (chain.count, chain.mac)
            if tail.head != expected or tail.fragment:
                raise _broken_tail()
            return 0
        if tail.head == (pending[0].seq - 1, pending[0].prev):
            written = 0
        else:  # a flush wrote some of them, then its transaction did not commit
            done = [i + 1 for i, p in enumerate(pending) if tail.head == (p.seq, p.mac)]
            if not done:
                raise _broken_tail()
            written = done[0]
        # A line cut short by a crash is the start of the next pending line: completed later.
        if tail.fragment and not (
            written < len(pending) and pending[written].line.startswith(tail.fragment)
        ):
            raise _broken_tail()
        return written

    # Reading ----------------------------------------------------------------------------
    def _stored(self) -> tuple[_Chain | None, list[_Pending]]:
        """The head and the pending records in the head store (none without a store)."""
        if self._head_store is None or not self._head_store.exists():
            return None, []
        try:
            uri = f"{self._head_store.resolve().as_uri()}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True, timeout=_TIMEOUT_S)) as db:
                db.execute("BEGIN")  # one snapshot of head and pending records
                chain, pending = _read_chain(db), _read_pending(db)
                db.execute("COMMIT")
        except sqlite3.Error:
            raise _unavailable(reading=True) from None
        return chain, pending

    def head(self) -> tuple[int, str]:
        """The head the next record chains onto: (number of records, MAC of the last).

        ``(0, GENESIS)`` for an empty log. With a head store this is the stored head, which
        stays put when lines are cut off the end of the file or added past it.

        Raises
        ------
        LedgerUnavailableError
            ``ADH-040``: the log or its head store cannot be read.
        """
        if self._head_store is not None:
            chain, _ = self._stored()
            return (0, GENESIS) if chain is None else (chain.count, chain.mac)
        last: Head = (0, GENESIS)
        for _, line in self._view([]):
            data = _parse(line)
            if data is not None:
                last = (data["seq"], data["mac"])
        return last

    def _lines(self) -> Iterator[bytes]:
        """The file's lines without their newlines, streamed (a missing file has none)."""
        try:
            with self._path.open("rb") as f:
                for raw in f:
                    yield raw.removesuffix(b"\n")
        except FileNotFoundError:
            return
        except OSError:
            raise _unavailable(reading=True) from None

    def _view(self, pending: list[_Pending]) -> Iterator[tuple[int, bytes]]:
        """(line number, line) of the file, then of the pending records it does not hold yet."""
        number, highest = 0, 0
        for number, line in enumerate(self._lines(), start=1):
            data = _parse(line)
            if data is not None:
                highest = max(highest, data["seq"])
            yield number, line
        for record in pending:
            if record.seq > highest:
                number += 1
                yield number, record.line

    def records(self) -> list[AuditRecord]:
        """Every record, in order; not verified, and lines that are not records skipped.

        Records committed in the head store and not yet written to the file come last.

        Raises
        ------
        LedgerUnavailableError
            ``ADH-040``: the log cannot be read.
        """
        _, pending = self._stored()
        parsed = (_parse(line) for _, line in self._view(pending))
        return [_record(data) for data in parsed if data is not None]

    def records_about(self, subject: str) -> list[AuditRecord]:
        """The records whose ``subjects`` field names ``subject`` (an employee's own listing).

        Raises
        ------
        LedgerUnavailableError
            ``ADH-040``: the log cannot be read.
        """
        found = []
        for record in self.records():
            subjects = record.fields.get("subjects")
            if isinstance(subjects, tuple) and subject in subjects:
                found.append(record)
        return found

    def verify(self, release_ids: Collection[str] | None = None) -> AuditVerification:
        """Check every record's MAC, the chain, the sequence and the recorded head.

        Parameters
        ----------
        release_ids
            The ledger's release ids. When given, every id must have exactly one record of a
            release event (``RELEASE_EVENTS``), and every such record's ``release_id`` must be
            one of them.

        Returns
        -------
        AuditVerification
            True when the log is intact; otherwise the problems, each with its line.

        Raises
        ------
        AuditKeyError
            ``ADH-042``: the store was written under another audit key, or this copy has none.
        LedgerUnavailableError
            ``ADH-040``: the log or its head store cannot be read.
        """
        key = self._require_key()
        chain, pending = self._stored()  # the store first: a flush in between loses nothing
        self._check_fingerprint(chain)
        problems: list[AuditProblem] = []
        releases: list[tuple[int, object]] = []
        previous, expected, count, lines, highest = GENESIS, 1, 0, 0, 0
        for number, line in self._view(pending):
            lines = number
            data = _parse(line)
            if data is None:
                problems.append(
                    AuditProblem(number, "unparseable", f"line {number} is not an audit record")
                )
                continue
            count += 1
            problems.extend(
                _line_problems(
                    key,
                    number,
                    line=line,
                    data=data,
                    previous=previous,
                    expected=expected,
                    chain=chain,
                )
            )
            previous, expected = data["mac"], data["seq"] + 1
            highest = max(highest, data["seq"])
            if data["event"] in RELEASE_EVENTS:
                releases.append((number, data.get("release_id")))
        problems.extend(self._end_problems(chain, highest, count, lines))
        if chain is not None and not chain.authentic(key):
            problems.append(
                AuditProblem(
                    0,
                    "head",
                    "the head kept in the store is not authenticated by the audit key: it was "
                    "edited",
                )
            )
        if release_ids is not None:
            problems.extend(_release_problems(releases, release_ids))
        return AuditVerification(not problems, count, tuple(problems))

    def _end_problems(
        self, chain: _Chain | None, highest: int, count: int, lines: int
    ) -> list[AuditProblem]:
        """How the end of the log differs from the recorded head."""
        if self._head_store is None:
            return []
        if chain is None:
            if count == 0:
                return []
            return [
                AuditProblem(
                    1,
                    "head",
                    f"the log holds {count} records from line 1, but its head store records "
                    "none: the store is missing or was replaced",
                )
            ]
        if highest < chain.count:  # the recorded head's record is nowhere in the log
            return [
                AuditProblem(
                    lines + 1,
                    "truncated",
                    f"line {lines + 1} is missing: the log holds records up to {highest}, but "
                    f"its head store records {chain.count}: records were removed from the end",
                )
            ]
        return []


def _line_problems(
    key: bytes,
    number: int,
    *,
    line: bytes,
    data: dict[str, Any],
    previous: str,
    expected: int,
    chain: _Chain | None,
) -> Iterator[AuditProblem]:
    """What is wrong with one record line, given the record before it and the stored head."""
    if not _authentic(key, data):
        yield AuditProblem(
            number,
            "mac",
            f"line {number} fails its MAC: it was edited, or written without the audit key",
        )
    elif line != _canonical(data):
        yield AuditProblem(
            number, "mac", f"line {number} was rewritten: it is not in canonical form"
        )
    if data["prev"] != previous:
        yield AuditProblem(number, "chain", f"line {number} does not follow the record before it")
    if data["seq"] != expected:
        yield AuditProblem(
            number,
            "sequence",
            f"line {number} holds record {data['seq']} where {expected} was due",
        )
    if chain is None:
        return
    if data["seq"] > chain.count:
        yield AuditProblem(
            number,
            "past_head",
            f"line {number} is a record past the recorded head ({chain.count} records): added "
            "outside this log, or the store is older than the log",
        )
    elif data["seq"] == chain.count and not hmac.compare_digest(str(data["mac"]), chain.mac):
        yield AuditProblem(
            number,
            "head",
            f"line {number} is not the record its head store recorded as record {chain.count}",
        )


def _release_problems(
    releases: list[tuple[int, object]], release_ids: Collection[str]
) -> Iterator[AuditProblem]:
    """Release records without their release, releases recorded twice or not at all."""
    wanted = set(release_ids)
    first: dict[str, int] = {}
    for number, release in releases:
        if not isinstance(release, str) or release not in wanted:
            yield AuditProblem(
                number, "orphan", f"line {number} records a release the ledger does not hold"
            )
        elif release in first:
            yield AuditProblem(
                number,
                "duplicate",
                f"line {number} records release {release} again (first on line {first[release]})",
            )
        else:
            first[release] = number
    for release in sorted(wanted - first.keys()):
        yield AuditProblem(0, "missing", f"release {release} of the ledger has no audit record")
