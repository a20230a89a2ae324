"""Reading a consent register: shares recorded outside the library (G8).

HR or the union may keep employees' consents in a register. Its CSV has one row per share,
with the columns

``agent``
    The employee's id (the raw id when a ``key`` is given, which pseudonymises it exactly as
    ingest does; else the pseudonymous id).
``purpose``
    ``development_plan``, ``quality_feedback`` or ``team_bonus``.
``recipient``
    ``role:id`` of the one viewer who may open it, e.g. ``team_lead:tl-17`` (a bare id means
    a team lead).
``metrics``, ``period``
    Catalogue metrics and periods, several separated by ``;``.
``granted_at``, ``expires_at``, ``revoked_at``
    ISO 8601 times; with an offset or ``Z``, or naive local time in the workspace's zone.
    ``revoked_at`` is empty while the share stands.

A register is consent: it is read whole or not at all. A row that cannot be read stops the
import with a ``ConfigurationError`` naming the row and the column.

Examples
--------
>>> import io
>>> lines = [
...     "agent,purpose,recipient,metrics,period,granted_at,expires_at,revoked_at",
...     "a1,development_plan,tl-17,adherence_pct;meal_ms,2026-W11,"
...     "2026-03-16T09:00:00,2026-03-30T09:00:00,",
... ]
>>> register = io.BytesIO(chr(10).join(lines).encode())
>>> rows = read_register(register, time_zone="Europe/Oslo")
>>> rows[0].recipient, rows[0].metrics, rows[0].expires_at.isoformat()
('team_lead:tl-17', ('adherence_pct', 'meal_ms'), '2026-03-30T07:00:00+00:00')
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import polars as pl

from adherence.errors import ConfigurationError
from adherence.privacy.shares import OwnShare
from adherence.pseudonym import Pseudonymiser

__all__ = ["COLUMNS", "read_register"]

COLUMNS = (
    "agent", "purpose", "recipient", "metrics", "period", "granted_at", "expires_at", "revoked_at",
)  # fmt: skip
_ROLES = ("steward", "team_lead", "employee", "auditor")


def _bad(row: int, column: str, what: str) -> ConfigurationError:
    return ConfigurationError(
        f"consent register row {row}, column {column!r}: {what}",
        hint="correct the register and import it again; nothing was imported",
    )


def _instant(text: str | None, row: int, column: str, zone: ZoneInfo) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _bad(row, column, "not an ISO 8601 time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(";") if p.strip())


def read_register(
    source: str | Path | IO[bytes], *, time_zone: str, key: bytes | str | None = None
) -> list[OwnShare]:
    """Read a consent register CSV as shares, checking ids, recipients and times.

    Purposes, metrics, periods and lifetimes are checked by the workspace that imports it.

    Parameters
    ----------
    source
        The CSV file.
    time_zone
        The zone of naive times.
    key
        The steward's pseudonymisation key when ``agent`` holds raw ids.
    """
    frame = pl.read_csv(source, infer_schema=False)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigurationError(
            f"a consent register needs the columns {list(COLUMNS)}; missing {missing}",
            hint="add the columns (revoked_at may be empty)",
        )
    zone = ZoneInfo(time_zone)
    pseudonyms = Pseudonymiser(key) if key is not None else None
    rows = []
    for number, record in enumerate(frame.select(COLUMNS).iter_rows(named=True), start=1):
        agent = (record["agent"] or "").strip()
        if not agent:
            raise _bad(number, "agent", "empty")
        recipient = (record["recipient"] or "").strip()
        if ":" not in recipient:
            recipient = f"team_lead:{recipient}"
        if recipient.split(":", 1)[0] not in _ROLES or not recipient.split(":", 1)[1]:
            raise _bad(number, "recipient", f"write it as role:id, role one of {_ROLES}")
        granted = _instant(record["granted_at"], number, "granted_at", zone)
        expires = _instant(record["expires_at"], number, "expires_at", zone)
        if granted is None or expires is None:
            raise _bad(number, "granted_at" if granted is None else "expires_at", "empty")
        fingerprint = "|".join(str(record[c] or "") for c in COLUMNS[:6])
        rows.append(
            OwnShare(
                id="reg-" + hashlib.sha256(fingerprint.encode()).hexdigest()[:24],
                agent_id=pseudonyms.pseudonym(agent) if pseudonyms else agent,
                recipient=recipient,
                purpose=(record["purpose"] or "").strip(),
                metrics=_split(record["metrics"]),
                periods=_split(record["period"]),
                granted_at=granted,
                expires_at=expires,
                revoked_at=_instant(record["revoked_at"], number, "revoked_at", zone),
            )
        )
    return rows
