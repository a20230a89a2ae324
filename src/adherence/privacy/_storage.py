"""Why the store or the audit log cannot be used: one place that names the cause (G13).

SQLite and the operating system report a failure by a code; a steward needs to read what
happened (a full disk, a read-only file, a lock another process holds, a workspace used from
another thread) and what to do. ``unavailable`` turns either kind of failure into the one
``LedgerUnavailableError`` (``ADH-040``) whose message names the cause. No message holds a
path, a value or anything read from the store.

A write cut short by a file size limit (``ulimit -f``) and one cut short by a full disk both
reach SQLite as an input/output error; the limit and the free space are looked at to tell
them apart.

Examples
--------
>>> import sqlite3
>>> err = unavailable(sqlite3.ProgrammingError("Cannot operate on a closed database."))
>>> err.code, err.message
('ADH-040', 'nothing is released: the workspace is closed')
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import sys
from pathlib import Path

from adherence.errors import LedgerUnavailableError

__all__ = ["unavailable"]

#: Free space [bytes] below which a failed write is put down to a full disk.
_NEARLY_FULL = 1 << 20

_FULL = (
    "the disk holding the store or its audit log is full",
    "free space on that disk (or move the store), then ask again; nothing was recorded",
)
_SIZE_LIMIT = (
    "the store or its audit log reached this process's file size limit",
    "raise the file size limit (ulimit -f) of the process, then ask again",
)
_READ_ONLY = (
    "the store, its audit log or their folder is read-only",
    "make them writable for this user, or open the workspace with read_only=True to read only",
)
_LOCKED = (
    "another connection holds a lock on the store and did not release it in time",
    "wait for the other process to finish, or open the workspace with a longer timeout",
)
_THREAD = (
    "the workspace was used from another thread than the one that opened it",
    "open a workspace in each thread that uses one (decisions stay serialised by the store)",
)
_CLOSED = ("the workspace is closed", "open it again with Workspace.open")
_DAMAGED = (
    "the store is not a SQLite database or is damaged",
    "restore the store and its audit log together from a backup",
)
_CANNOT_OPEN = (
    "the store cannot be opened as a file (its folder is missing, or the path is a folder "
    "or may not be read)",
    "check the path of the store and the permissions of its folder",
)
_MISSING = (
    "the folder of the store or of its audit log does not exist",
    "create the folder, or open the workspace on a path in an existing one",
)
_FOLDER = (
    "the path of the store or of its audit log is a folder, not a file",
    "pass the path of a file (it is created when missing)",
)
_IO = (
    "the disk reported an input/output error while writing",
    "check the disk and the file system the store lives on",
)
_OTHER = (
    "the store or its audit log cannot be written",
    "check that the store file and its folder are writable and have space",
)


def _size_limited() -> bool:
    """Whether this process runs under a file size limit."""
    if sys.platform == "win32":  # pragma: no cover - no file size limits there
        return False
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return soft != resource.RLIM_INFINITY


def _nearly_full(folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL
    except OSError:
        return False


def _write_failed(folder: Path | None) -> tuple[str, str]:
    """A write cut short without a precise code: a full disk, a size limit, or the device."""
    if _nearly_full(folder):
        return _FULL
    if _size_limited():
        return _SIZE_LIMIT
    return _IO


def _sqlite_cause(err: sqlite3.Error, folder: Path | None) -> tuple[str, str]:
    text = str(err)
    if isinstance(err, sqlite3.ProgrammingError):
        if "thread" in text:
            return _THREAD
        if "closed" in text:
            return _CLOSED
        return _OTHER
    name = str(getattr(err, "sqlite_errorname", ""))
    causes = (
        ("SQLITE_FULL", _FULL),
        ("SQLITE_READONLY", _READ_ONLY),
        ("SQLITE_BUSY", _LOCKED),
        ("SQLITE_LOCKED", _LOCKED),
        ("SQLITE_CORRUPT", _DAMAGED),
        ("SQLITE_NOTADB", _DAMAGED),
        ("SQLITE_CANTOPEN", _CANNOT_OPEN),
    )
    for prefix, cause in causes:
        if name.startswith(prefix):
            return cause
    if name.startswith("SQLITE_IOERR"):
        return _write_failed(folder)
    return _OTHER


#: Operating-system error numbers to their cause (EIO is told apart in ``_write_failed``).
_OS_CAUSES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: _FULL,
    errno.EDQUOT: _FULL,
    errno.EFBIG: _SIZE_LIMIT,
    errno.EROFS: _READ_ONLY,
    errno.EACCES: _READ_ONLY,
    errno.EPERM: _READ_ONLY,
    errno.ENOENT: _MISSING,
    errno.ENOTDIR: _MISSING,
    errno.EISDIR: _FOLDER,
}


def _os_cause(err: OSError, folder: Path | None) -> tuple[str, str]:
    if err.errno == errno.EIO:
        return _write_failed(folder)
    return _OS_CAUSES.get(err.errno or 0, _OTHER)


def unavailable(
    err: sqlite3.Error | OSError | None = None, *, folder: Path | None = None
) -> LedgerUnavailableError:
    """The fail-closed error for ``err``, its message naming the cause.

    Parameters
    ----------
    err
        What SQLite or the operating system raised (``None``: the cause is not known).
    folder
        The folder of the store, to tell a full disk from a size limit.
    """
    if err is None:
        cause = _OTHER
    elif isinstance(err, sqlite3.Error):
        cause = _sqlite_cause(err, folder)
    else:
        cause = _os_cause(err, folder)
    return LedgerUnavailableError(f"nothing is released: {cause[0]}", remedy=cause[1])
