"""At which limits a fairness audit may count a group's breaches (G4 for counts).

A count of breaches at a limit is a count of the units beyond it. Counts at two limits give
the units between them: with counts at many limits (audits at one limit after another, or a
sensitivity curve) a group's units fall into narrow bins, and a bin that holds the units of
one agent, or of a few, tells what they are (a weekly lunch time to 30 s, the longest lunch
of a group). This is the count analogue of the dominance rule, and like it depends on the
values.

The rule: every bin between two of the limits ever counted at on a group — the limits of
earlier audits of any rule that measures the same pause states whose groups overlap it,
read from the ledger inside the release's transaction, and this audit's — holds the units of
no agent or of at least ``k``, among all units, the system-induced ones and the others.
The units beyond a single limit are the group's own figure (how many breached) and are not
bins. An
audit adds its limits in order of need (the rule's own limit, its measurement margins, then
the sensitivity curve from the limit outwards) and leaves out those that would break the
rule; without its own limit a group is withheld.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from adherence.privacy._space import Vector

__all__ = ["Bins", "limits_released"]

_COUNTED = re.compile(r"^rule:(?P<key>[0-9a-f]+):(?P<what>[a-z]+)(?P<by>[0-9.e+]*)@(?P<at>.+)$")


def limits_released(
    vectors: Iterable[Vector], *, keys: frozenset[str], support: np.ndarray, sign: int
) -> set[float]:
    """The limits earlier releases counted breaches at, on supports overlapping ``support``."""
    mine = _keys(support)
    found: set[float] = set()
    for vector in vectors:
        for atom, _ in vector.atoms:
            match = _COUNTED.match(atom)
            if match is None or match["key"] not in keys or match["what"] == "units":
                continue
            if not np.intersect1d(_keys(vector.support), mine).size:
                continue
            at = float(match["at"])
            found.add(at)
            if match["by"]:  # within{m}@L, explained{m}@t: also the limit m beyond
                found.add(at + sign * float(match["by"]))
    return found


def _keys(support: np.ndarray) -> np.ndarray:
    return support[:, 0].astype(np.int64) * (1 << 32) + support[:, 1].astype(np.int64)


class Bins:
    """One group's units and the limits counted at on it so far."""

    def __init__(
        self,
        units: pl.DataFrame,
        *,
        value: pl.Expr,
        agent: str,
        system: str | None,
        direction: str,
        k: int,
        limits: Iterable[float],
    ) -> None:
        found = units.filter(value.is_not_null())
        self._values = found.select(value.cast(pl.Float64)).to_series().to_numpy()
        flag = pl.col(system) if system is not None else pl.lit(value=False)
        self._frame = found.select(pl.col(agent).alias("_agent"), flag.alias("_sys"))
        self._subsets = ("all", "sys", "rest") if system is not None else ("all",)
        self._max = direction == "max"
        self._k = k
        self.limits: set[float] = set(limits)

    def _fine(self, limits: Sequence[float]) -> bool:
        edges = np.asarray(sorted(limits), dtype=np.float64)
        # "max" breaches lie above a limit: a unit at exactly the limit is below it.
        bins = (
            np.searchsorted(edges, self._values, side="left")
            if self._max
            else np.searchsorted(edges, self._values, side="right")
        )
        # Only bins between two limits: a count beyond one limit is the group's own figure.
        inner = (bins > 0) & (bins < len(edges))
        counts = (
            self._frame.with_columns(pl.Series("_bin", bins))
            .filter(pl.Series(inner))
            .group_by("_bin")
            .agg(
                pl.col("_agent").n_unique().alias("all"),
                pl.col("_agent").filter(pl.col("_sys")).n_unique().alias("sys"),
                pl.col("_agent").filter(~pl.col("_sys")).n_unique().alias("rest"),
            )
        )
        small = pl.any_horizontal(
            (pl.col(c) > 0) & (pl.col(c) < self._k) for c in ("all", "sys", "rest")
        )
        return counts.filter(small).is_empty()

    def add(self, limits: Sequence[float]) -> bool:
        """Count at ``limits`` too, if every bin stays fine; whether they were added."""
        wanted = self.limits | set(limits)
        if wanted == self.limits:
            return True
        if not self._fine(sorted(wanted)):
            return False
        self.limits = wanted
        return True
