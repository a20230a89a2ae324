"""``ReleasedTable``: the only kind of object through which figures leave the library (G7).

A released table holds the released cells of one report and nothing else: key columns
(public dimensions), value columns (null where suppressed), a ``status`` column
(``released`` or ``suppressed``; all suppressions look alike) and, for team reports, the
number of ``agents`` in each released cell. Its data is copied through Python values when it
is made, so it shares no memory with the frames it came from, and a pickle or a Parquet
export cannot carry anything else. Exports are audit-logged before they happen.

Examples
--------
>>> import polars as pl
>>> table = ReleasedTable(
...     pl.DataFrame({"team": ["A", "B"], "adherence_pct": [91.25, None],
...                   "status": ["released", "suppressed"]}),
...     keys=["team"], values=["adherence_pct"], metric="adherence_pct", unit="pct",
...     title="Schedule adherence", release_id="r1",
... )
>>> table.released_count, table.suppressed_count
(1, 1)
>>> print(table)  # doctest: +NORMALIZE_WHITESPACE
Schedule adherence
team  adherence_pct  status
A     91.2           released
B     suppressed     suppressed
suppressed: not released to protect individuals (too few people, or a cell that would
reveal another)
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import polars as pl

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["LEGEND", "ExportRecorder", "ReleasedTable", "Unit"]

Unit = Literal["pct", "ms", "count"]
STATUSES = ("released", "suppressed")
LEGEND = (
    "suppressed: not released to protect individuals "
    "(too few people, or a cell that would\nreveal another)"
)
_TIME_KEYS = ("day", "iso_week", "month", "period")


class ExportRecorder(Protocol):
    """Writes the audit record of an export; raises when it cannot (then nothing is exported)."""

    def __call__(self, release_id: str, export_format: str) -> None:
        """Record that ``release_id`` is exported as ``export_format``."""


def format_value(value: object, unit: Unit) -> str:
    """A released value as a reader sees it: ``pct`` with 1 decimal, ``ms`` as h:mm:ss.

    Percentages round half to even on the decimal value.

    Examples
    --------
    >>> format_value(12.25, "pct"), format_value(3_723_400, "ms"), format_value(None, "ms")
    ('12.2', '1:02:03', 'suppressed')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "suppressed"
    if not isinstance(value, int | float):
        return str(value)
    if unit == "pct":
        if math.isinf(value):
            return "inf"
        return str(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))
    if unit == "ms":
        seconds = round(value / 1000)
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{value:,}".replace(",", " ")


class ReleasedTable:
    """The released cells of one report; nothing else.

    Parameters
    ----------
    data
        Keys, values, ``status`` and optionally ``agents``; copied, never referenced.
    keys, values
        The key and value column names.
    metric
        What the values are (a catalogue name, or ``self_view`` / ``share``).
    unit
        The unit of every value column, or one unit per value column.
    title
        A one-line description for displays and plots.
    release_id
        The ledger's id of the release; exports are logged under it.
    recorder
        Called before every export; the workspace passes one that writes the audit log.
    notes
        Lines shown under the table (filters, the suppression rule in force).
    """

    __slots__ = (
        "_keys", "_metric", "_notes", "_recorder", "_release_id", "_rows", "_schema",
        "_title", "_units", "_values",
    )  # fmt: skip
    _rows: tuple[tuple[Any, ...], ...]
    _schema: tuple[tuple[str, pl.DataType], ...]
    _keys: tuple[str, ...]
    _values: tuple[str, ...]
    _metric: str
    _units: dict[str, Unit]
    _title: str
    _release_id: str
    _recorder: ExportRecorder | None
    _notes: tuple[str, ...]

    def __init__(
        self,
        data: pl.DataFrame,
        *,
        keys: Sequence[str],
        values: Sequence[str],
        metric: str,
        unit: Unit | Mapping[str, Unit],
        title: str,
        release_id: str,
        recorder: ExportRecorder | None = None,
        notes: Sequence[str] = (),
    ) -> None:
        expected = [*keys, *values, "status"]
        extra = [c for c in data.columns if c not in expected]
        if extra not in ([], ["agents"]) or any(c not in data.columns for c in expected):
            raise ValueError(f"a released table has the columns {expected} (+ agents)")
        statuses = set(data["status"].to_list())
        if not statuses <= set(STATUSES):
            raise ValueError(f"status must be one of {STATUSES}")
        hidden = data.filter(pl.col("status") == "suppressed")
        for column in [*values, *extra]:
            if hidden[column].null_count() != hidden.height:
                raise ValueError(f"suppressed cells of {column!r} must be null")
        units = dict(unit) if isinstance(unit, Mapping) else dict.fromkeys(values, unit)
        columns = [*expected, *extra]
        ordered = data.select(columns)
        setter = object.__setattr__
        setter(self, "_rows", tuple(ordered.rows()))  # plain Python values: no shared buffers
        setter(self, "_schema", tuple((c, ordered.schema[c]) for c in columns))
        setter(self, "_keys", tuple(keys))
        setter(self, "_values", tuple(values))
        setter(self, "_metric", metric)
        setter(self, "_units", units)
        setter(self, "_title", title)
        setter(self, "_release_id", release_id)
        setter(self, "_recorder", recorder)
        setter(self, "_notes", tuple(notes))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a released table cannot be changed")

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    # Read-only description -------------------------------------------------------
    @property
    def keys(self) -> tuple[str, ...]:
        """The key columns (public dimensions)."""
        return self._keys

    @property
    def values(self) -> tuple[str, ...]:
        """The value columns."""
        return self._values

    @property
    def columns(self) -> list[str]:
        """Every column, in order."""
        return [c for c, _ in self._schema]

    @property
    def metric(self) -> str:
        """What the values are."""
        return self._metric

    @property
    def unit(self) -> Mapping[str, Unit]:
        """The unit of each value column."""
        return dict(self._units)

    @property
    def title(self) -> str:
        """The one-line description."""
        return self._title

    @property
    def release_id(self) -> str:
        """The ledger's id of this release."""
        return self._release_id

    @property
    def notes(self) -> tuple[str, ...]:
        """Lines shown under the table."""
        return self._notes

    @property
    def released_count(self) -> int:
        """How many cells were released."""
        return sum(1 for r in self._rows if r[len(self._keys) + len(self._values)] == "released")

    @property
    def suppressed_count(self) -> int:
        """How many cells were suppressed."""
        return len(self._rows) - self.released_count

    @property
    def height(self) -> int:
        """The number of rows."""
        return len(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    # Exports (each one logged first) ------------------------------------------------
    def _frame(self) -> pl.DataFrame:
        return pl.DataFrame(list(self._rows), schema=list(self._schema), orient="row")

    def _record(self, export_format: str) -> None:
        if self._recorder is not None:
            self._recorder(self._release_id, export_format)

    def to_polars(self) -> pl.DataFrame:
        """The released cells as a new polars DataFrame (logged as an export)."""
        self._record("polars")
        return self._frame()

    def to_pandas(self) -> Any:
        """The released cells as a pandas DataFrame (needs pandas; logged as an export)."""
        self._record("pandas")
        return self._frame().to_pandas()

    def to_dicts(self) -> list[dict[str, Any]]:
        """The released cells as a list of dicts (logged as an export)."""
        self._record("dicts")
        return self._frame().to_dicts()

    def write_csv(self, path: str | Path) -> None:
        """Write the released cells as CSV (logged first)."""
        self._record("csv")
        self._frame().write_csv(path)

    def write_parquet(self, path: str | Path) -> None:
        """Write the released cells as Parquet (logged first)."""
        self._record("parquet")
        self._frame().write_parquet(path)

    # Displays ---------------------------------------------------------------------
    def _display_rows(self) -> list[list[str]]:
        units = self._units
        shown = []
        status = self.columns.index("status")
        for row in self._rows:
            cells = []
            for (name, _), value in zip(self._schema, row, strict=True):
                if name in units and value is None and row[status] == "released":
                    cells.append("-")  # released, but there is no value (e.g. 0/0)
                elif name in units:
                    cells.append(format_value(value, units[name]))
                elif value is None:
                    cells.append("" if name == "agents" else "(none)")
                else:
                    cells.append(str(value))
            shown.append(cells)
        return shown

    def __repr__(self) -> str:
        header = self.columns
        rows = self._display_rows()
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines = [self._title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        lines += [*self._notes, LEGEND] if self.suppressed_count else list(self._notes)
        return "\n".join(line.rstrip() for line in lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = []
        for row in self._display_rows():
            cells = "".join(
                '<td class="suppressed">suppressed<sup>*</sup></td>'
                if value == "suppressed"
                else f"<td>{html.escape(value)}</td>"
                for value in row
            )
            body.append(f"<tr>{cells}</tr>")
        notes = [*self._notes, f"* {LEGEND}"] if self.suppressed_count else list(self._notes)
        foot = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes)
        return (
            f"<div class='adherence-released'><p><b>{html.escape(self._title)}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"{foot}</div>"
        )

    def plot(self, *, ax: Axes | None = None) -> Axes:
        """Draw the released values: lines over a time key, else bars; suppressed cells are gaps.

        Returns the matplotlib ``Axes`` drawn on (a new figure's when ``ax`` is None).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 4))
        frame = self._frame()
        value = self._values[0]
        unit = self._units[value]
        time_key = next((k for k in _TIME_KEYS if k in self._keys), None)
        others = [k for k in self._keys if k != time_key]
        label = pl.concat_str([pl.col(k).cast(pl.String) for k in others], separator=" / ")
        frame = frame.with_columns(
            (label if others else pl.lit(self._title)).alias("_series"),
            pl.col(value).cast(pl.Float64).fill_null(float("nan")).alias("_y"),
        )
        if time_key is not None:
            for name, part in frame.group_by("_series", maintain_order=True):
                ax.plot(part[time_key].cast(pl.String).to_list(), part["_y"].to_list(),
                        marker="o", label=str(name[0]))  # fmt: skip
            if others:
                ax.legend(fontsize="small")
            ax.set_xlabel(time_key)
        else:
            ax.bar(frame["_series"].to_list(), frame["_y"].to_list())
        ax.set_ylabel({"pct": f"{value} [%]", "ms": f"{value} [ms]", "count": value}[unit])
        ax.set_title(self._title)
        if self.suppressed_count:
            ax.annotate("gaps: suppressed cells", xy=(1, 0), xycoords="axes fraction",
                        ha="right", va="bottom", fontsize="small")  # fmt: skip
        return ax
