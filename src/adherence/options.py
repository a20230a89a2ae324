"""Every option of the metric definitions (metrics.md §3–7), with its default.

One ``MetricOptions`` travels with every computation; the defaults lean towards what is fair
to the agent. Changing an option changes the figures exactly as the docs' metric pages say.

Examples
--------
>>> from datetime import timedelta
>>> from adherence import MetricOptions
>>> options = MetricOptions(boundary_tolerance=timedelta(minutes=2))
>>> options.boundary_tolerance_ms, options.exception_threshold_ms
(120000, 0)
>>> options.replace(split_at_midnight=True).split_at_midnight
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from adherence._timeparse import check_zone
from adherence.errors import ConfigurationError
from adherence.states import PRODUCTIVE_STATES, State

__all__ = ["MetricOptions", "Quantize"]

#: Granularity instants are floored to before any figure is computed.
Quantize = Literal["millisecond", "second", "minute"]

_QUANTUM_MS: dict[str, int] = {"millisecond": 1, "second": 1_000, "minute": 60_000}


@dataclass(frozen=True, kw_only=True)
class MetricOptions:
    """The options of every figure, with their defaults (metrics.md).

    Parameters
    ----------
    non_productive_equivalence
        A scheduled ``BREAK`` may be taken as ``MEAL`` and vice versa (default ``True``: a pause
        is a pause; ``False``: exact match).
    count_work_outside_shift
        Productive time outside the shift, within its conformance window, is added to the
        scheduled time and counted out of adherence (default ``False``: ignored).
    exception_threshold
        Each out-of-adherence run of length ``d`` is charged ``max(0, d - threshold)``; runs no
        longer than the threshold are not listed (default 0).
    boundary_tolerance
        Out-of-adherence time within this long after the start and before the end of each
        scheduled activity counts as in adherence (default 0).
    acw_is_productive
        After-contact work is productive and allowed during ``OPEN`` (default ``True``).
    off_queue_counts_as_work
        ``OFF_QUEUE_WORK`` counts as productive for conformance and shrinkage (default ``False``).
    conformance_window
        Productive time counts for conformance from this long before a shift starts until this
        long after it ends (default 2 h).
    auto_logoff_after
        An agent still logged in this long past the end of a shift, with no further event, gets
        an inferred ``OFFLINE`` from the shift's end (default 60 min).
    split_at_midnight
        Attribute time to local calendar days instead of to the date on which the shift starts
        (default ``False``).
    quantize
        Floor every instant to this granularity first, to reproduce systems that store whole
        minutes (default ``"millisecond"``: no change).
    time_zone
        The zone of local dates (default ``"Europe/Oslo"``).
    system_reason_codes
        Reason codes the contact-centre system sets by itself; a pause under one is not the
        agent's doing (the fairness audit's system-induced share). Default: Cisco UCCX
        32750–32767 except 32763 (ring-no-answer, which follows the agent's own miss).

    Raises
    ------
    ConfigurationError
        If a duration is negative, ``quantize`` is unknown or the zone does not exist.
    """

    non_productive_equivalence: bool = True
    count_work_outside_shift: bool = False
    exception_threshold: timedelta = timedelta(0)
    boundary_tolerance: timedelta = timedelta(0)
    acw_is_productive: bool = True
    off_queue_counts_as_work: bool = False
    conformance_window: timedelta = timedelta(hours=2)
    auto_logoff_after: timedelta = timedelta(minutes=60)
    split_at_midnight: bool = False
    quantize: Quantize = "millisecond"
    time_zone: str = "Europe/Oslo"
    system_reason_codes: frozenset[str] = frozenset(
        str(code) for code in range(32750, 32768) if code != 32763
    )

    def __post_init__(self) -> None:
        for name in (
            "exception_threshold",
            "boundary_tolerance",
            "conformance_window",
            "auto_logoff_after",
        ):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise ConfigurationError(
                    f"{name}={value!r} is not a non-negative duration",
                    hint=f"pass a datetime.timedelta, e.g. {name}=timedelta(minutes=2)",
                )
        if self.quantize not in _QUANTUM_MS:
            raise ConfigurationError(
                f"quantize={self.quantize!r} is not one of {', '.join(_QUANTUM_MS)}",
                hint='use quantize="minute" to reproduce systems that store whole minutes',
            )
        check_zone(self.time_zone)

    def replace(self, **changes: Any) -> MetricOptions:
        """Return a copy with ``changes`` applied (and checked)."""
        return dataclasses.replace(self, **changes)

    @property
    def exception_threshold_ms(self) -> int:
        """``exception_threshold`` in milliseconds."""
        return _ms(self.exception_threshold)

    @property
    def boundary_tolerance_ms(self) -> int:
        """``boundary_tolerance`` in milliseconds."""
        return _ms(self.boundary_tolerance)

    @property
    def conformance_window_ms(self) -> int:
        """``conformance_window`` in milliseconds."""
        return _ms(self.conformance_window)

    @property
    def quantum_ms(self) -> int:
        """The ``quantize`` granularity in milliseconds."""
        return _QUANTUM_MS[self.quantize]

    @property
    def productive_states(self) -> frozenset[State]:
        """States that are productive for conformance, occupancy's base and shrinkage."""
        states = set(PRODUCTIVE_STATES)
        if not self.acw_is_productive:
            states.discard(State.AFTER_CONTACT_WORK)
        if self.off_queue_counts_as_work:
            states.add(State.OFF_QUEUE_WORK)
        return frozenset(states)


def _ms(value: timedelta) -> int:
    return value // timedelta(milliseconds=1)
