"""Reason codes for quarantined rows and kinds of repair (metrics.md §2).

These are the stable, machine-readable words of every ingest and interval report.

Examples
--------
>>> from adherence.reasons import QuarantineReason
>>> QuarantineReason.NONEXISTENT_LOCAL_TIME.value
'nonexistent_local_time'
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["QuarantineReason", "RepairKind"]


class QuarantineReason(StrEnum):
    """Why an input row could not be used. One reason per quarantined row."""

    MALFORMED_ROW = "malformed_row"
    """A line of delimited text whose quotes do not pair up (a stray quote), or one line of a
    record that a line break inside quotes spread over several lines."""
    INVALID_ENCODING = "invalid_encoding"
    """A field holds bytes the file's encoding cannot decode (a few broken rows in UTF-8)."""
    FIELD_TOO_LONG = "field_too_long"
    """A text field is longer than ``io.MAX_FIELD_CHARS`` characters (1,000)."""
    MISSING_VALUE = "missing_value"
    """A required field (timestamp, agent, status, start, end, ...) is empty."""
    UNPARSEABLE_TIMESTAMP = "unparseable_timestamp"
    """A time is in none of the accepted formats."""
    TWO_DIGIT_YEAR = "two_digit_year"
    """A date written with a two-digit year (``09.03.26``); pass ``timestamp_format=`` to read
    such dates on purpose."""
    NONEXISTENT_LOCAL_TIME = "nonexistent_local_time"
    """A naive local time falls in the spring-forward gap of the zone."""
    AMBIGUOUS_LOCAL_TIME = "ambiguous_local_time"
    """A naive local time falls in the fall-back hour and the agent's own event order does not
    settle which reading is meant."""
    UNPARSEABLE_DURATION = "unparseable_duration"
    """A duration is neither seconds nor ``[h:]mm:ss``."""
    INVALID_INTERVAL = "invalid_interval"
    """An interval ends before it starts."""
    UNKNOWN_ACTIVITY = "unknown_activity"
    """A schedule names an activity the activity mapping does not know."""
    INVALID_VALUE = "invalid_value"
    """A value outside its allowed set (an unknown employment type, a bad number, ...)."""


class RepairKind(StrEnum):
    """A correction made while normalising data; each one is counted and reported."""

    AMBIGUOUS_TIME_RESOLVED = "ambiguous_time_resolved"
    """A fall-back local time settled by the agent's own event order."""
    UNMAPPED_STATUS = "unmapped_status"
    """An event whose raw status the mapping does not know (state ``UNMAPPED``)."""
    OUT_OF_ORDER = "out_of_order"
    """An event the file lists after a row of the same agent with a later timestamp."""
    DUPLICATE = "duplicate"
    """An exact duplicate (agent, ts, status, reason) collapsed into one event."""
    SAME_INSTANT_CONFLICT = "same_instant_conflict"
    """Events of one agent at one instant with different statuses; the last in the file wins."""
    HEARTBEAT = "heartbeat"
    """A heartbeat event, which never changes state."""
    MERGED = "merged"
    """An interval merged into the one before because state and reason were the same."""
    OVERLAP_SPLIT = "overlap_split"
    """Overlapping source intervals split at every boundary; the later-starting one wins."""
    OPEN_CLIPPED = "open_clipped"
    """An agent's last interval clipped at ``as_of`` and marked ``open``."""
    INFERRED_OFFLINE = "inferred_offline"
    """An ``OFFLINE`` interval inferred for a missing Log Off."""
    ZERO_LENGTH = "zero_length"
    """A source interval that ends where it starts, which holds no time."""
    AFTER_AS_OF = "after_as_of"
    """An event or interval after ``as_of``, which is not used."""
