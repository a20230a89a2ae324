"""The tamper-evident audit log (G10, G13): append-only JSON Lines, each record hash-chained.

Format
------
One record per line. A line is the record's canonical JSON — keys sorted, no spaces, every
non-ASCII character escaped, as ``json.dumps(record, sort_keys=True, separators=(",", ":"))``
writes it — followed by a newline. A record holds:

- ``seq``: its number, from 1;
- ``time``: when it was written [UTC, ISO 8601 with milliseconds and ``Z``];
- ``event``: what happened, one short word (``release``, ``refusal``, ``share_created``,
  ``share_opened``, ``share_revoked``, ``export``, ``self_view``);
- its fields (see below);
- ``prev``: the ``hash`` of the record before it, or ``GENESIS`` (64 zeros) for the first;
- ``hash``: the SHA-256 (hex) of the canonical JSON of the record without ``hash``.

Anyone can check a log without this library: recompute each hash and follow the chain.

What may be logged
------------------
Only the fields in ``ALLOWED_FIELDS``, each holding a text, an integer, a boolean, ``None`` or a
list of texts. The list of fields is closed, and floats are refused, so that no metric value, no
name and no raw status event can be written to the log by accident: such a call raises
``ValueError`` (a field that is not on the list) or ``TypeError`` (a value of another type).

What ``verify`` detects
-----------------------
An edited line (its hash no longer matches its content, or it is no longer in canonical form),
a removed, inserted or moved line (the chain or the sequence breaks), and a line that is not a
record. Cutting lines off the *end* leaves a valid chain; for that the log keeps its head (the
number of records and the last hash) in a SQLite head store, updated at every append, and
``verify`` compares the end of the file with it. Without a head store a cut at the end is not
detected. Anyone who can rewrite both the file and the head store can rewrite history: the log
makes tampering visible, it does not prevent it.

Failing closed
--------------
When the log or its head store cannot be written (or read to find where to append),
``append`` raises ``LedgerUnavailableError`` (``ADH-040``), and the caller releases nothing.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = tempfile.TemporaryDirectory()
>>> log = AuditLog(Path(folder.name) / "audit.jsonl", head_store=Path(folder.name) / "store.db")
>>> record = log.append("release", actor_role="team_lead", released=3, suppressed=1)
>>> record.seq, record.fields["released"], record.prev == GENESIS
(1, 3, True)
>>> log.verify()
AuditVerification(ok=True, records=1, problems=())
>>> log.append("release", released=97.5)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
TypeError: audit field 'released' takes text, an integer, a boolean, None or a list of texts...
>>> folder.cleanup()
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, Literal, TypeAlias

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

_RESERVED = frozenset({"seq", "time", "event", "prev", "hash"})
_EVENT = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CHUNK_BYTES = 8192
#: At most this many records after the stored head are taken as written-but-not-recorded.
_ADOPT_LIMIT = 64
_TIMEOUT_S = 30.0
_CREATE_HEAD = (
    "CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "count INTEGER NOT NULL, hash TEXT NOT NULL)"
)
_SET_HEAD = (
    "INSERT INTO audit_head (id, count, hash) VALUES (1, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET count = excluded.count, hash = excluded.hash"
)
_GET_HEAD = "SELECT count, hash FROM audit_head WHERE id = 1"
_HAS_HEAD = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_head'"

Head: TypeAlias = tuple[int, str]


def _unavailable(*, reading: bool = False) -> LedgerUnavailableError:
    """The fail-closed error; it names the rule and a remedy, never a record's content."""
    if reading:
        return LedgerUnavailableError(
            "the audit log cannot be read",
            remedy="check that the log and its head store are files that can be read",
        )
    return LedgerUnavailableError(
        "nothing is released when the audit log cannot be written",
        remedy="check that the store's folder is writable and has space",
    )


def _now() -> str:
    """The current time [UTC] as ISO 8601 with milliseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # built once, not per call


def _canonical(record: Mapping[str, object]) -> bytes:
    """The canonical JSON of a record: sorted keys, no spaces, ASCII only."""
    return _ENCODER.encode(record).encode("ascii")


def _digest(record: Mapping[str, object]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``record`` without its ``hash``."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


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
    return all(isinstance(data.get(key), str) for key in ("time", "event", "prev", "hash"))


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


def _continuation(lines: Iterator[bytes], stored: Head) -> Head:
    """Where the file ends, if it continues the stored head by intact chained records.

    That is the mark of a record written while its head update failed (or was rolled back
    with the caller's transaction). Anything else — a file that ends before the stored head,
    or that does not reach it by intact records — keeps the stored head, so that the next
    record breaks the chain visibly instead of hiding the gap.
    """
    later: list[dict[str, Any]] = []
    for line in lines:
        data = _parse(line)
        if data is None or data["hash"] != _digest(data):
            return stored
        if (data["seq"], data["hash"]) == stored:
            break
        later.append(data)
        if len(later) > _ADOPT_LIMIT:
            return stored
    else:  # the start of the file, and the stored head is not in it
        return stored
    count, previous = stored
    for data in reversed(later):
        if data["seq"] != count + 1 or data["prev"] != previous:
            return stored
        count, previous = data["seq"], data["hash"]
    return count, previous


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
        The hash of the record before (``GENESIS`` for the first).
    hash
        SHA-256 (hex) of the record's canonical JSON without ``hash``.

    Examples
    --------
    >>> record = AuditRecord(1, "2025-03-10T08:00:00.000Z", "export", {"format": "csv"},
    ...                      GENESIS, "ab" * 32)
    >>> record.fields["format"], sorted(record.to_dict())
    ('csv', ['event', 'format', 'hash', 'prev', 'seq', 'time'])
    """

    seq: int
    time: str
    event: str
    fields: Mapping[str, AuditValue]
    prev: str
    hash: str

    def __post_init__(self) -> None:
        frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in self.fields.items()}
        object.__setattr__(self, "fields", MappingProxyType(dict(sorted(frozen.items()))))

    def __hash__(self) -> int:
        return hash((self.seq, self.hash))

    def __reduce__(self) -> tuple[type[AuditRecord], tuple[Any, ...]]:
        fields = dict(self.fields)
        return (type(self), (self.seq, self.time, self.event, fields, self.prev, self.hash))

    def to_dict(self) -> dict[str, Any]:
        """The record as the JSON object of its line (keys sorted, lists as lists)."""
        fields = {k: list(v) if isinstance(v, tuple) else v for k, v in self.fields.items()}
        data = {
            "seq": self.seq,
            "time": self.time,
            "event": self.event,
            "prev": self.prev,
            "hash": self.hash,
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
            raise ValueError("not an audit record: seq, time, event, prev or hash is missing")
        fields = {k: v for k, v in data.items() if k not in _RESERVED}
        return cls(data["seq"], data["time"], data["event"], fields, data["prev"], data["hash"])


def _record(data: Mapping[str, Any]) -> AuditRecord:
    """The record of a parsed line (already checked by ``_parse``)."""
    fields = {k: v for k, v in data.items() if k not in _RESERVED}
    return AuditRecord(data["seq"], data["time"], data["event"], fields, data["prev"], data["hash"])


@dataclass(frozen=True)
class AuditProblem:
    """What ``verify`` found wrong, and on which line (1-based).

    ``kind`` is ``unparseable`` (not a record), ``hash`` (edited), ``chain`` (does not follow
    the line before), ``sequence`` (out of order) or ``truncated`` (the end of the log does not
    match its recorded head). ``message`` says what is wrong and where, never what a record says.
    """

    line: int
    kind: Literal["unparseable", "hash", "chain", "sequence", "truncated"]
    message: str


@dataclass(frozen=True)
class AuditVerification:
    """The result of ``AuditLog.verify``; true when the log is intact.

    ``records`` counts the lines that are records (intact or not); ``problems`` lists what is
    wrong, in line order, with the end-of-log check last.
    """

    ok: bool
    records: int
    problems: tuple[AuditProblem, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


class AuditLog:
    """Append-only JSON Lines file; each record is hash-chained to the one before.

    The object holds only the two paths: it pickles, and several objects (or unpickled copies)
    on the same file keep one chain, because every append reads the current head.

    Parameters
    ----------
    path
        The log file. Its folder must exist; a missing file is an empty log.
    head_store
        A SQLite file that keeps the log's head (number of records, last hash) in a table
        ``audit_head``, updated at every append, so that ``verify`` also detects lines cut off
        the end. Usually the workspace's store. Without it, such a cut is not detected.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> log = AuditLog(Path(folder.name) / "audit.jsonl", head_store=Path(folder.name) / "s.db")
    >>> _ = log.append("share_created", actor_role="employee", subjects=["3f9a"])
    >>> _ = log.append("export", actor_role="team_lead", format="csv")
    >>> [r.event for r in log.records()], [r.seq for r in log.records_about("3f9a")]
    (['share_created', 'export'], [1])
    >>> log.head()[0], bool(log.verify())
    (2, True)
    >>> folder.cleanup()
    """

    def __init__(self, path: str | Path, *, head_store: str | Path | None = None) -> None:
        self._path = Path(path)
        self._head_store = None if head_store is None else Path(head_store)

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

    # Appending --------------------------------------------------------------------------
    def append(
        self, event: str, *, via: sqlite3.Connection | None = None, **fields: AuditValue
    ) -> AuditRecord:
        """Append one record: write its line, flush it to disk, then update the head store.

        Parameters
        ----------
        event
            What happened: one short lower-case word (``release``, ``refusal``, ``export``...).
        via
            An open write transaction on the head store (the caller's): the head is read and
            updated inside it, so it commits or rolls back with the caller's other writes.
        **fields
            Fields from ``ALLOWED_FIELDS``; each a text, an integer, a boolean, ``None`` or a
            list of texts.

        Returns
        -------
        AuditRecord
            The record as written.

        Raises
        ------
        ValueError
            A field that is not in ``ALLOWED_FIELDS``, an event that is not a short word, or
            ``via`` on a log without a head store.
        TypeError
            A value of another type (a float, a dict, ...).
        LedgerUnavailableError
            ``ADH-040``: the log or its head store cannot be written or read; the caller must
            release nothing. If the line was written but the head could not be, the next
            append takes the line up as its predecessor.
        """
        event = _checked_event(event)
        values = {name: _checked(name, value) for name, value in fields.items()}
        if self._head_store is None:
            if via is not None:
                raise ValueError("`via` is a transaction on the head store; this log has none")
            return self._write(event, values, stored=None)
        if via is not None:
            return self._append_with_head(via, event, values)
        try:
            with closing(
                sqlite3.connect(self._head_store, timeout=_TIMEOUT_S, isolation_level=None)
            ) as db:
                db.execute("BEGIN IMMEDIATE")  # one appender at a time, across processes too
                try:
                    record = self._append_with_head(db, event, values)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        except sqlite3.Error:
            raise _unavailable() from None
        return record

    def _append_with_head(
        self, db: sqlite3.Connection, event: str, values: dict[str, AuditValue]
    ) -> AuditRecord:
        try:
            db.execute(_CREATE_HEAD)
            row = db.execute(_GET_HEAD).fetchone()
        except sqlite3.Error:
            raise _unavailable() from None
        stored = None if row is None else (int(row[0]), str(row[1]))
        record = self._write(event, values, stored=stored)
        try:
            db.execute(_SET_HEAD, (record.seq, record.hash))
        except sqlite3.Error:
            raise _unavailable() from None
        return record

    def _write(
        self, event: str, values: dict[str, AuditValue], *, stored: Head | None
    ) -> AuditRecord:
        (count, previous), newline_missing = self._file_head(stored)
        record: dict[str, Any] = {
            "seq": count + 1,
            "time": _now(),
            "event": event,
            **values,
            "prev": previous,
        }
        record["hash"] = _digest(record)
        # A line cut short (a crash mid-write) stays a line of its own, flagged by verify.
        line = (b"\n" if newline_missing else b"") + _canonical(record) + b"\n"
        try:
            with self._path.open("ab") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            raise _unavailable() from None
        return _record(record)

    def _file_head(self, stored: Head | None, *, reading: bool = False) -> tuple[Head, bool]:
        """The head the next record chains onto, and whether the file lacks its last newline.

        With a stored head: that head, or the file's end if the file continues it by intact
        records. Without one: the last record in the file. Only the tail of the file is read.
        """
        empty = stored if stored is not None else (0, GENESIS)
        try:
            with self._path.open("rb") as f:
                size = f.seek(0, os.SEEK_END)
                if size == 0:
                    return empty, False
                f.seek(size - 1)
                newline_missing = f.read(1) != b"\n"
                lines = _lines_from_end(f, size if newline_missing else size - 1)
                if stored is not None:
                    return _continuation(lines, stored), newline_missing
                for line in lines:
                    data = _parse(line)
                    if data is not None:
                        return (data["seq"], data["hash"]), newline_missing
                return empty, newline_missing
        except FileNotFoundError:
            return empty, False
        except OSError:
            raise _unavailable(reading=reading) from None

    def _stored_head(self) -> Head | None:
        """The head kept in the head store; ``None`` when there is no store or no head yet."""
        if self._head_store is None or not self._head_store.exists():
            return None
        try:
            with closing(sqlite3.connect(self._head_store, timeout=_TIMEOUT_S)) as db:
                if db.execute(_HAS_HEAD).fetchone() is None:
                    return None
                row = db.execute(_GET_HEAD).fetchone()
        except sqlite3.Error:
            raise _unavailable(reading=True) from None
        return None if row is None else (int(row[0]), str(row[1]))

    def head(self) -> tuple[int, str]:
        """The head the next record chains onto: (number of records, hash of the last).

        ``(0, GENESIS)`` for an empty log. With a head store this is the stored head, which
        stays put when lines are cut off the end of the file.

        Raises
        ------
        LedgerUnavailableError
            ``ADH-040``: the log or its head store cannot be read.
        """
        return self._file_head(self._stored_head(), reading=True)[0]

    # Reading ----------------------------------------------------------------------------
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

    def records(self) -> list[AuditRecord]:
        """Every record, in file order; not verified, and lines that are not records skipped.

        Raises
        ------
        LedgerUnavailableError
            ``ADH-040``: the log cannot be read.
        """
        parsed = (_parse(line) for line in self._lines())
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

    def verify(self) -> AuditVerification:
        """Check every line's hash, the chain, the sequence and the stored head.

        Returns
        -------
        AuditVerification
            True when the log is intact; otherwise the problems, each with its line.

        Raises
        ------
        LedgerUnavailableError
            ``ADH-040``: the log or its head store cannot be read.
        """
        stored = self._stored_head()
        problems: list[AuditProblem] = []
        previous, expected, count, lines = GENESIS, 1, 0, 0
        beyond: int | None = None  # the first line past the stored head
        for number, line in enumerate(self._lines(), start=1):
            lines = number
            data = _parse(line)
            if data is None:
                problems.append(
                    AuditProblem(number, "unparseable", f"line {number} is not an audit record")
                )
                continue
            count += 1
            if data["hash"] != _digest(data):
                problems.append(
                    AuditProblem(
                        number, "hash", f"line {number} was edited: its hash does not match"
                    )
                )
            elif line != _canonical(data):
                problems.append(
                    AuditProblem(
                        number, "hash", f"line {number} was rewritten: it is not in canonical form"
                    )
                )
            if data["prev"] != previous:
                problems.append(
                    AuditProblem(
                        number, "chain", f"line {number} does not follow the record before it"
                    )
                )
            if data["seq"] != expected:
                problems.append(
                    AuditProblem(
                        number,
                        "sequence",
                        f"line {number} holds record {data['seq']} where {expected} was due",
                    )
                )
            previous, expected = data["hash"], data["seq"] + 1
            if stored is not None and beyond is None and data["seq"] > stored[0]:
                beyond = number
        if stored is not None and stored != (expected - 1, previous):
            problems.append(_end_problem(stored, expected - 1, lines, beyond))
        return AuditVerification(not problems, count, tuple(problems))


def _end_problem(stored: Head, last_seq: int, lines: int, beyond: int | None) -> AuditProblem:
    """How the end of the file differs from the stored head."""
    if last_seq < stored[0]:
        return AuditProblem(
            lines + 1,
            "truncated",
            f"the log ends after line {lines} with record {last_seq}, but its head store "
            f"records {stored[0]}: records were removed from the end",
        )
    if last_seq == stored[0]:
        return AuditProblem(
            lines,
            "truncated",
            f"line {lines} is not the last record its head store recorded: the end was replaced",
        )
    line = beyond if beyond is not None else lines
    return AuditProblem(
        line,
        "truncated",
        f"the log goes on past its recorded head from line {line}: records were added "
        "outside this log, or their head could not be stored",
    )
