"""Fail closed with the cause named (G13): a full disk, a read-only store, a lock, a thread.

Each failure raises ``LedgerUnavailableError`` (ADH-040) whose message names what happened;
nothing is released, nothing of the attempt stays in the ledger or the audit log, and the
same release succeeds once the cause is gone.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import sqlite3
import struct
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from tests.privacy.org import AUDIT_KEY, tables
from tests.privacy.processes import racers, report_under_a_size_limit

from adherence.errors import AdherenceError, LedgerUnavailableError
from adherence.privacy import Steward, Workspace

STEWARD = Steward("wfm")


def _open(folder: Path, **options: object) -> Workspace:
    intervals, schedule, roster = tables(racers())
    ws = Workspace.open(folder / "adherence.db", audit_key=AUDIT_KEY, **options)  # type: ignore[arg-type]
    ws.add(intervals, schedule=schedule, roster=roster)
    return ws


def _report(ws: Workspace) -> object:
    return ws.report("adherence_pct", by=["team"], viewer=STEWARD)


def _released(folder: Path) -> tuple[int, int, list[str]]:
    """(releases, vectors, audit events) as stored."""
    with closing(sqlite3.connect(folder / "adherence.db")) as db:
        releases = db.execute("SELECT count(*) FROM releases").fetchone()[0]
        vectors = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    log = Workspace.open(folder / "adherence.db", audit_key=AUDIT_KEY, read_only=True)
    try:
        assert log.audit_log.verify()
        events = [r.event for r in log.audit_log.records()]
    finally:
        log.close()
    return releases, vectors, events


def _assert_recovers(folder: Path) -> None:
    """Nothing of the failed attempt stayed: the same release now goes through, once."""
    assert _released(folder) == (0, 0, [])
    ws = _open(folder)
    _report(ws)
    ws.close()
    releases, vectors, events = _released(folder)
    assert (releases, events) == (1, ["release"])
    assert vectors > 0


def test_a_file_size_limit_releases_nothing_and_says_so(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        code, message = pool.apply(report_under_a_size_limit, (str(tmp_path),))

    assert code == "ADH-040"
    assert message.startswith("nothing is released: the store or its audit log reached")
    assert "file size limit" in message
    _assert_recovers(tmp_path)


def test_a_read_only_store_releases_nothing_and_says_so(tmp_path: Path) -> None:
    _open(tmp_path).close()
    ws = _open(tmp_path, read_only=True)

    with pytest.raises(LedgerUnavailableError) as refused:
        _report(ws)

    assert refused.value.message == (
        "nothing is released: the store, its audit log or their folder is read-only"
    )
    ws.close()
    _assert_recovers(tmp_path)


# Linux's "immutable" inode flag (linux/fs.h): it binds the superuser too, unlike permissions.
_FS_IOC_GETFLAGS, _FS_IOC_SETFLAGS, _FS_IMMUTABLE_FL = 0x80086601, 0x40086602, 0x10


def _set_flags(path: Path, *, immutable: bool) -> None:
    with path.open("rb") as f:
        (flags,) = struct.unpack("i", fcntl.ioctl(f.fileno(), _FS_IOC_GETFLAGS, b"\0" * 4))
        flags = flags | _FS_IMMUTABLE_FL if immutable else flags & ~_FS_IMMUTABLE_FL
        fcntl.ioctl(f.fileno(), _FS_IOC_SETFLAGS, struct.pack("i", flags))


@contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """``path`` cannot be written, not even by the superuser, while inside."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    try:
        _set_flags(path, immutable=True)
    except OSError:
        pytest.skip("as the superuser, a file is made read-only by the immutable flag, not here")
    try:
        yield
    finally:
        _set_flags(path, immutable=False)


def test_a_store_file_that_cannot_be_written_releases_nothing(tmp_path: Path) -> None:
    _open(tmp_path).close()
    with _read_only(tmp_path / "adherence.db"), pytest.raises(LedgerUnavailableError) as refused:
        _open(tmp_path)

    assert refused.value.message == (
        "nothing is released: the store, its audit log or their folder is read-only"
    )
    _assert_recovers(tmp_path)


def test_a_lock_held_elsewhere_releases_nothing_and_says_so(tmp_path: Path) -> None:
    ws = _open(tmp_path, timeout=0.1)
    with closing(sqlite3.connect(tmp_path / "adherence.db", isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(LedgerUnavailableError) as refused:
            _report(ws)
        other.execute("ROLLBACK")

    assert refused.value.message == (
        "nothing is released: another connection holds a lock on the store and did not "
        "release it in time"
    )
    assert "longer timeout" in (refused.value.hint or "")
    ws.close()
    _assert_recovers(tmp_path)


def test_a_workspace_used_from_another_thread_releases_nothing(tmp_path: Path) -> None:
    ws = _open(tmp_path)
    caught: list[AdherenceError] = []

    def work() -> None:
        try:
            _report(ws)
        except AdherenceError as err:
            caught.append(err)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()

    assert [type(e) for e in caught] == [LedgerUnavailableError]
    assert caught[0].message == (
        "nothing is released: the workspace was used from another thread than the one that "
        "opened it"
    )
    ws.close()
    _assert_recovers(tmp_path)


def test_a_closed_workspace_releases_nothing(tmp_path: Path) -> None:
    ws = _open(tmp_path)
    ws.close()

    with pytest.raises(LedgerUnavailableError) as refused:
        _report(ws)

    assert refused.value.message == "nothing is released: the workspace is closed"
    _assert_recovers(tmp_path)
