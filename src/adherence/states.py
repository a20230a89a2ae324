"""Canonical agent states and scheduled activities (metrics.md §1).

Every source's raw statuses are mapped onto ``State``; every schedule's activity names
onto ``Activity``. The enums are ``StrEnum`` so their members compare equal to the plain
strings stored in polars columns.

Examples
--------
>>> from adherence.states import State, PRODUCTIVE_STATES
>>> State.READY == "READY"
True
>>> State.AFTER_CONTACT_WORK in PRODUCTIVE_STATES
True
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl

__all__ = [
    "ACTIVITY_DTYPE",
    "NON_PRODUCTIVE_STATES",
    "PRODUCTIVE_STATES",
    "STATE_DTYPE",
    "Activity",
    "State",
]


class State(StrEnum):
    """A canonical agent state.

    ``UNMAPPED`` holds raw statuses the mapping does not know: never silently mapped, always
    reported, and its time is "not calculated" in adherence.
    """

    READY = "READY"
    ON_CONTACT = "ON_CONTACT"
    AFTER_CONTACT_WORK = "AFTER_CONTACT_WORK"
    BREAK = "BREAK"
    MEAL = "MEAL"
    MEETING = "MEETING"
    TRAINING = "TRAINING"
    APPROVED = "APPROVED"
    OFF_QUEUE_WORK = "OFF_QUEUE_WORK"
    AWAY = "AWAY"
    OFFLINE = "OFFLINE"
    UNMAPPED = "UNMAPPED"


class Activity(StrEnum):
    """A canonical scheduled activity.

    ``TIME_OFF`` (and any activity flagged ``counts_for_adherence=False``) is neutral: it
    leaves the adherence denominator.
    """

    OPEN = "OPEN"
    BREAK = "BREAK"
    MEAL = "MEAL"
    MEETING = "MEETING"
    TRAINING = "TRAINING"
    OFF_QUEUE_WORK = "OFF_QUEUE_WORK"
    TIME_OFF = "TIME_OFF"


#: States that count as productive by default (``acw_is_productive=True``).
PRODUCTIVE_STATES: frozenset[State] = frozenset(
    {State.READY, State.ON_CONTACT, State.AFTER_CONTACT_WORK}
)

#: States that form pause episodes.
NON_PRODUCTIVE_STATES: frozenset[State] = frozenset(
    {
        State.BREAK,
        State.MEAL,
        State.MEETING,
        State.TRAINING,
        State.APPROVED,
        State.OFF_QUEUE_WORK,
        State.AWAY,
    }
)

#: The polars dtype of every ``state`` column.
STATE_DTYPE = pl.Enum([s.value for s in State])

#: The polars dtype of every ``activity`` column.
ACTIVITY_DTYPE = pl.Enum([a.value for a in Activity])
