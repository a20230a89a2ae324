"""A store bound to its pseudonymisation key and to its history (G15).

The store keeps a keyed fingerprint of the key its data was pseudonymised with
(``adherence.pseudonym.key_fingerprint``), never the key: tables read under another key are
refused, for their pseudonyms would bring the same people into the ledger again as
strangers. And it keeps the head of its audit log: a store that is missing while its log
holds records, or that knows fewer records than its log holds (a replaced store, an older copy
restored beside a newer log), is refused rather than started afresh.

Key rotation renames every stored pseudonym to the one under the new key. The library never
keeps login ids, so the steward hands them in; the new pseudonyms are computed from them.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from pathlib import Path

from adherence.errors import AuditIntegrityError, ConfigurationError, KeyMismatchError
from adherence.privacy.audit_log import AuditLog
from adherence.privacy.ledger import Ledger
from adherence.pseudonym import Pseudonymiser

__all__ = ["bind_key", "check_history", "check_log_head", "renames", "wrong_key"]


def _complete_lines(path: Path) -> int:
    """Complete lines of an audit log, counted, not parsed.

    0 when there is none, or when it cannot be read: an unreadable log fails at its first
    use instead, with the cause named.
    """
    count = 0
    try:
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                count += block.count(b"\n")
    except OSError:
        return 0
    return count


def _no_history() -> AuditIntegrityError:
    return AuditIntegrityError(
        "the store does not hold the history of its audit log: it is missing, was replaced, "
        "or is older than the log",
        remedy="restore the store that belongs to the log (run 'adherence ledger verify'), or "
        "archive both and start a new store in a new place",
    )


def wrong_key() -> KeyMismatchError:
    """The refusal of a key, or of data read under a key, that is not the store's."""
    return KeyMismatchError(
        "this is not the pseudonymisation key the store is bound to: its pseudonyms would "
        "enter the ledger as new people",
        remedy="read the data with the store's key, or move the store to the new key with "
        "Workspace.rotate_key",
    )


def check_history(store: Path, log: Path) -> None:
    """Before a store is opened (or created): refuse a missing store beside a log with records."""
    if not store.exists() and _complete_lines(log):
        raise _no_history()


def check_log_head(log: AuditLog) -> None:
    """Refuse a store that knows fewer records than its audit log holds."""
    if _complete_lines(log.path) > log.head()[0]:
        raise _no_history()


def bind_key(ledger: Ledger, fingerprint: str) -> None:
    """Bind an unbound store to ``fingerprint``; refuse one bound to another key."""
    stored = ledger.key_fingerprint()
    if stored is None and not ledger.read_only:
        stored = ledger.bind_key(fingerprint)
    if stored is not None and not hmac.compare_digest(stored, fingerprint):
        raise wrong_key()


def renames(
    old: Pseudonymiser, new: Pseudonymiser, agent_ids: Iterable[object], stored: Iterable[str]
) -> dict[str, str]:
    """Each ``stored`` pseudonym under ``old`` to its pseudonym under ``new``.

    ``agent_ids`` are raw login ids; every stored pseudonym must be among theirs, else
    ``ConfigurationError`` (naming how many are missing, never which).
    """
    if hmac.compare_digest(old.fingerprint, new.fingerprint):
        raise ConfigurationError(
            "the new key is the key the store is bound to", hint="generate a new key"
        )
    renamed: dict[str, str] = {}
    for raw in agent_ids:
        if not isinstance(raw, str):
            raise ConfigurationError(
                f"agent_ids holds raw login ids as text, found a {type(raw).__name__}",
                hint="pass the roster's agent ids",
            )
        renamed[old.pseudonym(raw)] = new.pseudonym(raw)
    wanted = list(stored)
    missing = sum(p not in renamed for p in wanted)
    if missing:
        raise ConfigurationError(
            f"{missing} agents known to the store have no raw id among agent_ids; "
            "nothing was changed",
            hint="pass the login ids of every agent ever added, e.g. from all raw rosters",
        )
    return {p: renamed[p] for p in wanted}
