"""Exit codes and the one line the command line prints for a failure.

A library error's hint is written for Python callers (``pass teams=[...]``); on the command
line the same failure gets a hint in command-line syntax (``--team "<team name>"``). The
decision behind the error is never changed here, only the words of its hint.

Operating-system errors (a missing file, no permission, a folder where a file belongs, a full
disk) become typed errors at the boundary where a file is read or written, so every failure
is one line with a stable code and exit code.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path

from adherence.errors import (
    AdherenceError,
    OutputError,
    SourceNotFoundError,
    SourceUnreadableError,
    UsageError,
)

__all__ = ["Exit", "exit_code", "line", "reading", "writing"]


class Exit(IntEnum):
    """The exit codes of ``adherence`` (stable; documented in the CLI reference)."""

    OK = 0
    #: The data or the privacy layer refused or failed: a privacy refusal, a file whose
    #: content cannot be read, a tampered audit log, a store bound to another key.
    FAILED = 1
    #: Wrong usage: an argument or environment variable the command cannot use.
    USAGE = 2
    #: ``validate`` read the file but quarantined more than half of its rows.
    MOSTLY_QUARANTINED = 3
    #: An input cannot be read: missing, a folder, no permission.
    INPUT = 4
    #: An output cannot be written: no permission, a folder in the way, a full disk.
    OUTPUT = 5
    #: Interrupted (Ctrl-C).
    INTERRUPTED = 130


#: Command-line hints by error code, and by the start of the message where one code has
#: several causes; the first match wins.
_HINTS: tuple[tuple[str, str, str], ...] = (
    ("ADH-001", "", "widen --period (e.g. --period 2026-03), group by fewer dimensions, or "
     "ask about more teams"),
    ("ADH-002", "", "ask for the same --by and --period as the earlier reports, or a wider "
     "--period; individual figures need a share (adherence shares create)"),
    ("ADH-003", "reports group only", "group with --by by public dimensions only"),
    ("ADH-003", "a rule's limit", "round the limit, e.g. MEAL<=30:00 or login<=2:00"),
    ("ADH-003", "a custom rule", "audit a built-in rule such as MEAL<=30:00 or ask the steward"),
    ("ADH-004", "", "name only your own teams with --team, or ask the steward or an auditor"),
    ("ADH-005", "", "run the command with a --viewer whose role may do this"),
    ("ADH-010", "there is no such share", "list the shares with 'adherence shares list'"),
    ("ADH-010", "", "ask the employee to share the figures again (adherence shares create)"),
    ("ADH-041", "", "run 'adherence ledger verify --store STORE' and have the steward restore "
     "the log and the store"),
    ("ADH-042", "", "set $ADHERENCE_AUDIT_KEY to the key the audit log was written with"),
    ("ADH-043", "", "set $ADHERENCE_KEY to the key the store was made with, or use a new "
     "--store"),
    ("ADH-090", "a team lead must lead", 'name the team with --team "<team name>"'),
    ("ADH-140", "", "set $ADHERENCE_KEY to at least 16 bytes, e.g. the output of "
     "'openssl rand -hex 32', and keep it with the data steward"),
    ("ADH-150", "", "check the login id (--agent, or --viewer employee:LOGIN), and that "
     "$ADHERENCE_KEY is the key the data was read with"),
)  # fmt: skip

#: Hints of ``adherence demo``, which has no ``--store``: its store is in ``--out``.
_DEMO_HINTS = {
    "ADH-043": "give the demo a new --out folder (a demo's store keeps the key of its first "
    "run), or set $ADHERENCE_KEY to that key",
}

#: Python call syntax in a hint: ``name=...``, ``f(...)``, ``['a', ...]``, ``{'k': ...}``.
_PYTHON = re.compile(r"\w=|\w\(|\[['\"]|\{['\"]")


def cli_hint(err: AdherenceError, command: str) -> str | None:
    """The hint for ``err`` in command-line syntax (``None`` when it has none)."""
    if command == "demo" and err.code in _DEMO_HINTS:
        return _DEMO_HINTS[err.code]
    for code, start, hint in _HINTS:
        if err.code == code and err.message.startswith(start):
            return hint
    if err.hint and _PYTHON.search(err.hint):
        return f"see 'adherence {command} --help'"
    return err.hint or None


def line(err: AdherenceError, command: str) -> str:
    """The one line printed on standard error for ``err``."""
    hint = err.hint if isinstance(err, UsageError) else cli_hint(err, command)
    text = err.message if hint is None else f"{err.message}. Hint: {hint}"
    return f"adherence: error {err.code}: {' '.join(text.split())}"


def exit_code(err: AdherenceError) -> Exit:
    """The exit code of a failure."""
    if isinstance(err, UsageError):
        return Exit.USAGE
    if isinstance(err, SourceNotFoundError | SourceUnreadableError):
        return Exit.INPUT
    if isinstance(err, OutputError):
        return Exit.OUTPUT
    return Exit.FAILED


def _reason(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "the disk is full"
    if isinstance(err, IsADirectoryError):
        return "it is a folder"
    if isinstance(err, PermissionError):
        return "permission denied"
    return (err.strerror or type(err).__name__).lower()


@contextmanager
def reading(path: Path, option: str) -> Iterator[None]:
    """Turn an ``OSError`` while reading ``path`` into a one-line input error."""
    try:
        yield
    except AdherenceError:  # some derive from OSError (privacy refusals: PermissionError)
        raise
    except FileNotFoundError as err:
        raise SourceNotFoundError(f"no file at {path}", hint=f"check {option}") from err
    except OSError as err:
        raise SourceUnreadableError(
            f"cannot read {path}: {_reason(err)}", hint=f"check {option} and its permissions"
        ) from err


@contextmanager
def writing(path: Path, option: str) -> Iterator[None]:
    """Turn an ``OSError`` while writing ``path`` into a one-line output error."""
    try:
        yield
    except AdherenceError:  # some derive from OSError (privacy refusals: PermissionError)
        raise
    except OSError as err:
        hint = (
            "free some space or choose another place with " + option
            if err.errno == errno.ENOSPC
            else f"choose a writable place with {option}"
        )
        raise OutputError(f"cannot write {path}: {_reason(err)}", hint=hint) from err
