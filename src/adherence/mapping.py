"""Mapping raw source statuses onto canonical ``State``.

Raw statuses are matched case-, whitespace-, underscore- and dash-insensitively:
``"Not Ready – Break"`` (en dash), ``"NotReady-Break"`` and ``"not ready - break"`` are one status.
When a row also has a reason code, ``"<status> - <reason>"`` is looked up first, so an export
that writes status ``Not Ready`` with reason ``Lunch`` maps like ``Not Ready - Lunch``.

A site adds its own reason codes by extending the mapping (``extend``, ``from_csv``), never by
editing code. Statuses the mapping does not know become ``UNMAPPED`` and are counted.

Examples
--------
>>> from adherence.mapping import StatusMapping
>>> m = StatusMapping.default()
>>> m.state_of("Not Ready – Break")
<State.BREAK: 'BREAK'>
>>> m.state_of("Not Ready", reason="Lunch")
<State.MEAL: 'MEAL'>
>>> m.state_of("Not Ready - Tillitsvalgt")
<State.UNMAPPED: 'UNMAPPED'>
>>> site = m.extend({"Not Ready - Tillitsvalgt": "APPROVED"})
>>> site.state_of("not ready-tillitsvalgt")
<State.APPROVED: 'APPROVED'>
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from adherence.errors import MappingError
from adherence.states import STATE_DTYPE, State

__all__ = [
    "DEFAULT_STATUSES",
    "HEARTBEAT_STATUSES",
    "StatusMapping",
    "normalise_expr",
    "normalise_status",
    "tidy_status_expr",
]

#: Default raw IWS statuses per canonical state (metrics.md §1, plus common spellings).
DEFAULT_STATUSES: Mapping[State, tuple[str, ...]] = {
    State.READY: ("Ready", "WaitForNextCall"),
    State.ON_CONTACT: ("Talking", "Talk", "Busy", "On Call", "Dialing", "Inbound", "Outbound"),
    State.AFTER_CONTACT_WORK: ("After Call Work", "ACW", "Wrap Up"),
    State.BREAK: ("Not Ready - Break",),
    State.MEAL: ("Not Ready - Lunch",),
    State.MEETING: ("Not Ready - Meeting",),
    State.TRAINING: ("Not Ready - Training",),
    State.APPROVED: ("Not Ready - Manager Approved",),
    State.OFF_QUEUE_WORK: ("Not Ready - Deferred Transaction",),
    # Logged in but not (yet) ready counts as away: not productive, not a pause code.
    State.AWAY: (
        "Not Ready",
        "Away",
        "Idle",
        "Not Responding",
        "Log On",
        "Logged On",
        "Logged In",
        "LoggedOnOnly",
    ),
    State.OFFLINE: ("Log Off", "Logged Out", "Log Out", "Logout", "Offline"),
}

#: Raw statuses that are heartbeats: they never change state (metrics.md §2.8).
HEARTBEAT_STATUSES: tuple[str, ...] = ("Heart Beat",)

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DASH_PATTERN = f"[{_DASHES}]"
_SPACE_PATTERN = r"[\s_]+"


def normalise_status(raw: str) -> str:
    """Return the matching key of a raw status: lower case, ASCII dashes, no blanks.

    Parameters
    ----------
    raw
        A raw status as the source wrote it.

    Returns
    -------
    str
        The key under which the status is looked up.

    Examples
    --------
    >>> normalise_status("  Not Ready – Break ")
    'notready-break'
    """
    text = unicodedata.normalize("NFKC", raw).lower()
    text = re.sub(_DASH_PATTERN, "-", text)
    return re.sub(_SPACE_PATTERN, "", text)


def normalise_expr(expr: pl.Expr) -> pl.Expr:
    """The polars twin of ``normalise_status`` (NFKC aside, which sources do not need)."""
    return (
        expr.str.to_lowercase()
        .str.replace_all(_DASH_PATTERN, "-")
        .str.replace_all(_SPACE_PATTERN, "")
    )


#: The text columns ``annotate`` tidies.
_TEXT = ["status", "reason"]


def tidy_status_expr(expr: pl.Expr) -> pl.Expr:
    """Raw status text with every dash an ASCII ``-`` and runs of blanks one space.

    Case and words are kept, so the text still reads as the source wrote it, but one status
    exported with an en dash or with a hyphen is one status.
    """
    return (
        expr.str.replace_all(_DASH_PATTERN, "-")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .replace("", None)
    )


@dataclass(frozen=True)
class StatusMapping:
    """Which canonical state each raw status means.

    Parameters
    ----------
    states
        Normalised raw status (see ``normalise_status``) to canonical state.
    heartbeats
        Normalised raw statuses that are heartbeats and never change state.

    Examples
    --------
    >>> StatusMapping.default().state_of("AFTER_CALL_WORK")
    <State.AFTER_CONTACT_WORK: 'AFTER_CONTACT_WORK'>
    """

    states: Mapping[str, State]
    heartbeats: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def default(cls) -> StatusMapping:
        """Return the default mapping of metrics.md §1."""
        states = {
            normalise_status(raw): state for state, raws in DEFAULT_STATUSES.items() for raw in raws
        }
        return cls(states, frozenset(normalise_status(raw) for raw in HEARTBEAT_STATUSES))

    def extend(self, extra: Mapping[str, State | str]) -> StatusMapping:
        """Return a copy with site-specific statuses added or overridden.

        Parameters
        ----------
        extra
            Raw status (any spelling) to a canonical state or its name.

        Raises
        ------
        MappingError
            If a target is not a canonical state name.
        """
        added = {normalise_status(raw): _as_state(target, raw) for raw, target in extra.items()}
        return StatusMapping({**self.states, **added}, self.heartbeats)

    @classmethod
    def from_csv(cls, path: str | Path, *, base: StatusMapping | None = None) -> StatusMapping:
        """Extend ``base`` (default: the default mapping) from a two-column CSV ``status,state``.

        Parameters
        ----------
        path
            A UTF-8 CSV file with a header row naming the columns ``status`` and ``state``.
        base
            The mapping to extend.
        """
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            rows: Iterable[dict[str, str]] = csv.DictReader(handle)
            extra = {row["status"]: row["state"] for row in rows}
        return (base or cls.default()).extend(extra)

    def state_of(self, status: str, reason: str | None = None) -> State:
        """Return the canonical state of one raw status (and optional reason code)."""
        if reason:
            combined = self.states.get(normalise_status(f"{status}-{reason}"))
            if combined is not None:
                return combined
        return self.states.get(normalise_status(status), State.UNMAPPED)

    def annotate(self, frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
        """Tidy ``status`` (see ``tidy_status_expr``) and ``reason``, and add ``state``.

        ``reason`` is trimmed, an empty one becomes null. Row order is kept.

        The text work and the lookup are done once per distinct (status, reason) pair, so the
        cost of the mapping hardly grows with the rows. A ``LazyFrame`` stays lazy: the pairs
        are joined back. A ``DataFrame`` (data in memory) is faster: its distinct pairs are
        worked out first and looked up by one integer per row, and clean text is not copied.

        Examples
        --------
        >>> frame = pl.DataFrame({"status": ["Not Ready – Break", "Not Ready"],
        ...                       "reason": [" ", " Lunch"]})
        >>> StatusMapping.default().annotate(frame).collect().rows()
        [('Not Ready - Break', None, 'BREAK'), ('Not Ready', 'Lunch', 'MEAL')]
        """
        # Categorical codes are 32-bit (and far below 2^32 - 1): one 64-bit integer names the
        # (status, reason) pair, each part its code + 1, or 0 for none.
        codes = {
            name: (pl.col(f"_{name}").to_physical().cast(pl.UInt64) + 1).fill_null(0)
            for name in _TEXT
        }
        pair = codes["status"] * (1 << 32) + codes["reason"]
        coded = (
            frame.lazy()
            .with_columns(pl.col(name).cast(pl.Categorical).alias(f"_{name}") for name in _TEXT)
            .with_columns(pair.alias("_pair"))
        )
        internal = ["_status", "_reason", "_pair"]
        if isinstance(frame, pl.LazyFrame):
            return (
                coded.drop(_TEXT)
                .join(
                    self._pairs(coded).drop("_status", "_reason"),
                    on="_pair",
                    how="left",
                    maintain_order="left",
                )
                .drop(internal)
            )
        data = coded.collect(engine="in-memory")
        pairs = self._pairs(data.lazy()).collect(engine="in-memory")

        def looked_up(column: str, dtype: pl.DataType) -> pl.Expr:
            if pairs.is_empty():  # no rows: a lookup in nothing would keep the key's dtype
                return pl.lit(None, dtype=dtype).alias(column)
            looked = pl.col("_pair").replace_strict(
                pairs["_pair"], pairs[column], return_dtype=dtype
            )
            return looked.alias(column)

        # Clean text (the usual case) stays as it is; only otherwise is it looked up.
        tidied = [
            pl.col(name).cast(pl.String)
            if pairs[f"_{name}"].eq_missing(pairs[name]).all()
            else looked_up(name, pl.String())
            for name in _TEXT
        ]
        return data.lazy().with_columns(*tidied, looked_up("state", STATE_DTYPE)).drop(internal)

    def _pairs(self, coded: pl.LazyFrame) -> pl.LazyFrame:
        """The distinct pairs of ``coded`` (see ``annotate``): raw, tidy text and state."""
        return (
            coded.select("_pair", *[pl.col(f"_{name}").cast(pl.String) for name in _TEXT])
            .unique(subset="_pair")
            .with_columns(
                tidy_status_expr(pl.col("_status")).alias("status"),
                pl.col("_reason").str.strip_chars().replace("", None).alias("reason"),
            )
            .with_columns(self.state_expr(pl.col("status"), pl.col("reason")).alias("state"))
        )

    def state_expr(self, status: pl.Expr, reason: pl.Expr) -> pl.Expr:
        """Return a polars expression giving the state of each row.

        Heartbeat rows get a null state (they never change state); unknown statuses get
        ``UNMAPPED``.
        """
        table = {key: state.value for key, state in self.states.items()}
        key = normalise_expr(status)
        with_reason = normalise_expr(pl.concat_str(status, pl.lit("-"), reason))
        by_status = key.replace_strict(table, default=State.UNMAPPED.value, return_dtype=pl.String)
        by_both = with_reason.replace_strict(table, default=None, return_dtype=pl.String)
        state = pl.coalesce(by_both, by_status)
        return (
            pl.when(key.is_in(list(self.heartbeats))).then(None).otherwise(state).cast(STATE_DTYPE)
        )


def _as_state(target: State | str, raw: str) -> State:
    try:
        return State(str(target).strip().upper())
    except ValueError:
        names = ", ".join(s.value for s in State)
        raise MappingError(
            f"status {raw!r} is mapped to {target!r}, which is not a canonical state",
            hint=f"use one of {names}",
        ) from None
