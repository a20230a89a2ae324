"""The adherence engine (private): schedule against actual states, per agent and shift.

Nothing here is exported from ``adherence``: per-agent figures leave the library only through
the privacy layer. ``sweep`` sets up one boundary sweep; its ``figures``, ``slots``,
``exceptions`` and ``pause_episodes`` derive from the same segments; ``totals`` and ``rates``
aggregate.
"""

from __future__ import annotations

from adherence._engine.figures import (
    ADDITIVE,
    HALF_HOURS,
    KEYS,
    OUT_KINDS,
    OUT_PLACES,
    SLOT_FIGURES,
    Sweep,
    combine,
    rates,
    sweep,
    totals,
)

__all__ = [
    "ADDITIVE",
    "HALF_HOURS",
    "KEYS",
    "OUT_KINDS",
    "OUT_PLACES",
    "SLOT_FIGURES",
    "Sweep",
    "combine",
    "rates",
    "sweep",
    "totals",
]
