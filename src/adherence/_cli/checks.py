"""Checks of command-line arguments, made before any data file is read.

Each check raises ``UsageError`` (exit code 2) with a hint in command-line syntax, or an input
or output error (exit codes 4 and 5) for a path that cannot be read or written. Close misses
of a name get a "did you mean" (``difflib``).
"""

from __future__ import annotations

import difflib
import os
import tempfile
import zoneinfo
from collections.abc import Iterable, Sequence
from pathlib import Path

from adherence.errors import (
    ConfigurationError,
    ForbiddenQueryError,
    OutputError,
    SourceNotFoundError,
    SourceUnreadableError,
    UsageError,
)
from adherence.metrics import METRICS
from adherence.privacy import Auditor, Employee, Steward, TeamLead, Viewer
from adherence.privacy.query import DIMENSIONS, INTRADAY, parse_period
from adherence.pseudonym import MIN_KEY_BYTES
from adherence.rules import Rule, parse_rule

from .failures import reading, writing

__all__ = [
    "dimensions",
    "env_key",
    "input_file",
    "input_folder",
    "metrics",
    "output_file",
    "output_folder",
    "period",
    "rule",
    "store",
    "teams",
    "time_zone",
    "viewer",
]

_PERIODS = "an ISO week 2026-W11, a month 2026-03, a day 2026-03-09 or a range 2026-W10/2026-W12"
_ROLES = "steward:ID, team_lead:ID (with --team), auditor:ID or employee:LOGIN"
_CATALOGUE = "the metrics are listed on the Metrics page of the documentation"
#: Bytes written to probe that a folder takes a new file (a full disk fails here).
_PROBE = b"\0" * 4096


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` for the closest of ``choices`` (up to three), or ``""``.

    Close spellings first (``difflib``, those about as close as the closest); failing those,
    the names that hold ``name`` (a team given by the first word of its name).

    Examples
    --------
    >>> did_you_mean("Privat Harstd", ["Privat Harstad", "Faktura Harstad"])
    "did you mean 'Privat Harstad'? "
    >>> did_you_mean("faktura", ["Privat Harstad", "Faktura Harstad"])
    "did you mean 'Faktura Harstad'? "
    >>> did_you_mean("zzz", ["Privat Harstad"])
    ''
    """
    names = sorted(choices)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.75)
    if close:  # only those about as close as the closest
        best = difflib.SequenceMatcher(None, name, close[0]).ratio()
        close = [c for c in close if difflib.SequenceMatcher(None, name, c).ratio() > best - 0.1]
    if not close and name.strip():
        close = [c for c in names if name.strip().casefold() in c.casefold()][:3]
    return f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""


def _unknown(option: str, given: str, known: Iterable[str], listing: str) -> UsageError:
    """``given`` is none of ``known``; ``listing`` introduces them (or says where they are)."""
    known = sorted(known)
    names = f": {', '.join(known)}" if listing.endswith(("of", "are")) else ""
    return UsageError(
        f"{option} {given!r} is not known", hint=f"{did_you_mean(given, known)}{listing}{names}"
    )


def period(text: str | None, option: str = "--period") -> None:
    """A period the query language reads (``None``: all data)."""
    if text is None:
        return
    try:
        parse_period(text)
    except ForbiddenQueryError:
        raise UsageError(f"{option} {text!r} is not a period", hint=f"use {_PERIODS}") from None


def metrics(names: Sequence[str]) -> None:
    """Metric names of the catalogue."""
    for name in names:
        if name not in METRICS:
            raise _unknown("--metrics", name, METRICS, _CATALOGUE)


#: What an audit groups by: the public dimensions of (agent, day) pairs, not ``half_hour``.
_AUDIT_DIMENSIONS = tuple(d for d in DIMENSIONS if d not in INTRADAY)


def dimensions(names: Sequence[str]) -> None:
    """Public dimensions an audit groups by, each named once."""
    for name in names:
        if name not in _AUDIT_DIMENSIONS:
            raise _unknown("--by", name, _AUDIT_DIMENSIONS, "group by some of")
    if len(set(names)) != len(names):
        raise UsageError("--by names a dimension twice", hint="name each dimension once")


def rule(text: str) -> Rule:
    """A tolerance rule from its short form."""
    try:
        return parse_rule(text)
    except ConfigurationError as err:
        raise UsageError(err.message, hint=err.hint) from None


def time_zone(name: str) -> None:
    """An IANA time zone name."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = did_you_mean(name, zoneinfo.available_timezones())
        raise UsageError(
            f"--time-zone {name!r} is not an IANA time zone",
            hint=f"{close}use a name such as Europe/Oslo",
        ) from None


def viewer(text: str, teams: Sequence[str] = (), *, option: str = "--viewer") -> Viewer:
    """A viewer from ``ROLE:ID``; a team lead leads ``teams`` (and only a team lead has any)."""
    role, _, ident = text.partition(":")
    ident = ident.strip()
    kinds: dict[str, type[Steward | Auditor | Employee]] = {
        "steward": Steward,
        "auditor": Auditor,
        "employee": Employee,
    }
    if role not in (*kinds, "team_lead") or not ident:
        close = did_you_mean(role, (*kinds, "team_lead")) if ident else ""
        raise UsageError(f"cannot read {option} {text!r}", hint=f"{close}write {_ROLES}")
    if role == "team_lead":
        if not teams:
            raise UsageError(
                "a team lead must lead at least one team",
                hint=f'name the team with --team "<team name>" (once per team) after {option}',
            )
        return TeamLead(ident, teams=teams)
    if teams:
        raise UsageError(
            f"--team applies to a team lead, not to {role}:{ident}",
            hint="leave out --team, or use --viewer team_lead:ID",
        )
    return kinds[role](ident)


def _listing(what: str, names: Iterable[str], most: int = 12) -> str:
    """``"the teams are: a, b"``, or how many there are when they are many.

    Examples
    --------
    >>> _listing("teams", ["b", "a"]), _listing("teams", map(str, range(20)))
    ('the teams are: a, b', 'the roster has 20 teams')
    """
    names = sorted(names)
    if len(names) > most:
        return f"the roster has {len(names)} {what}"
    return f"the {what} are: {', '.join(names)}"


def teams(asked: Sequence[str], known: Iterable[str], *, source: Path) -> None:
    """Every team asked for is a team of the roster."""
    known = set(known)
    for team in asked:
        if team not in known:
            raise UsageError(
                f"--team {team!r} is not a team of {source.name}",
                hint=f"{did_you_mean(team, known)}{_listing('teams', known)}",
            )


def env_key(variable: str, *, what: str, why: str) -> str:
    """A key from the environment variable ``variable``, long enough to be one."""
    value = os.environ.get(variable, "")
    if not value:
        raise UsageError(f"set ${variable} to the steward's {what}", hint=why)
    if len(value.encode()) < MIN_KEY_BYTES:
        raise UsageError(
            f"${variable} is too short: {MIN_KEY_BYTES} bytes at least",
            hint="use a random key, e.g. the output of 'openssl rand -hex 32'",
        )
    return value


def input_file(path: Path, option: str) -> None:
    """``path`` is a file that can be read."""
    if not path.exists():
        raise SourceNotFoundError(f"no file at {path}", hint=f"check {option}")
    if path.is_dir():
        raise SourceUnreadableError(
            f"{path} is a folder, not a file", hint=f"give {option} the path of a file"
        )
    with reading(path, option), path.open("rb") as handle:
        handle.read(1)


def input_folder(path: Path, option: str, names: Sequence[str]) -> None:
    """``path`` is a folder holding the files ``names``, each readable."""
    if not path.is_dir():
        raise SourceNotFoundError(
            f"no folder at {path}",
            hint=f"give {option} a folder with {', '.join(names)}",
        )
    for name in names:
        input_file(path / name, option)


def _probe(folder: Path) -> None:
    """Write and remove a small file in ``folder``: permission and free space, checked."""
    with tempfile.TemporaryFile(dir=folder) as handle:
        handle.write(_PROBE)
        handle.flush()
        os.fsync(handle.fileno())


def output_file(path: Path, option: str) -> None:
    """``path`` can be written (an existing file is left as it is)."""
    if path.is_dir():
        raise OutputError(
            f"cannot write {path}: it is a folder", hint=f"give {option} the path of a file"
        )
    if not path.parent.is_dir():
        raise OutputError(
            f"cannot write {path}: the folder {path.parent} does not exist",
            hint=f"create the folder first, or choose another {option}",
        )
    with writing(path, option):
        if path.exists():
            with path.open("ab"):  # permission, without changing the file
                pass
        if not path.exists() or path.is_file():
            _probe(path.parent)


def output_folder(path: Path, option: str) -> None:
    """``path`` is a folder (made if missing) that takes new files."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"cannot write into {path}: it is a file", hint=f"give {option} a folder")
    with writing(path, option):
        path.mkdir(parents=True, exist_ok=True)
        _probe(path)


def store(path: Path, *, existing: bool) -> None:
    """The ledger ``path``: an existing store when ``existing``, else one that can be written."""
    if existing:
        if not path.exists():
            raise SourceNotFoundError(
                f"no store at {path}",
                hint="check --store; a store is made by 'adherence report' or 'adherence audit'",
            )
        input_file(path, "--store")
        return
    output_file(path, "--store")
