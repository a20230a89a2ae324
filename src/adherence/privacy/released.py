"""``ReleasedTable``: the only kind of object through which figures leave the library (G7).

A released table holds the released cells of one report and nothing else:

- key columns: public dimensions such as ``team``, ``site`` or ``iso_week`` (strings,
  integers, dates);
- one or more value columns: null where a cell is suppressed;
- a ``status`` column, ``"released"`` or ``"suppressed"``. All suppressions look alike: why a
  cell was suppressed is in the steward's log, never in the table;
- optionally an ``agents`` column: how many people a released cell covers (null where
  suppressed).

The data is copied through plain Python values when the table is made, and rebuilt with an
explicit schema whenever it is shown or exported, so the table shares no memory with the
frame it came from, keeps no reference to it or to the object that made it, and a pickle or
a Parquet file of it cannot carry anything but the released cells. Category lists
(``Categorical`` / ``Enum`` key columns) are dropped for the same reason: the keys become
plain strings.

Every export (``to_polars``, ``to_pandas``, ``to_dicts``, ``write_csv``, ``write_parquet``,
``write_excel`` and the Arrow stream ``__arrow_c_stream__`` that ``pl.DataFrame(table)``,
``pyarrow.table(table)`` and DuckDB read) first calls the table's recorder, which writes the
audit record; when the recorder raises, nothing is exported (G13). Displays (``repr``, the
HTML repr), plots and the Arrow *schema* (``__arrow_c_schema__``: column names and types,
public like ``schema``) are not exports.

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
>>> table  # doctest: +NORMALIZE_WHITESPACE
Schedule adherence
┌──────┬───────────────┬────────────┐
│ team ┆ adherence_pct ┆ status     │
╞══════╪═══════════════╪════════════╡
│ A    ┆ 91.2          ┆ released   │
│ B    ┆ suppressed    ┆ suppressed │
└──────┴───────────────┴────────────┘
suppressed: not released to protect individuals (too few people, or a cell that would
reveal another)
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, final

import polars as pl

from adherence.errors import OptionalDependencyError
from adherence.format import (
    LEGEND,
    SUPPRESSED,
    display_rows,
    format_value,
    table_html,
    table_text,
)
from adherence.metrics import Unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "LEGEND",
    "STATUSES",
    "DryRun",
    "ExportRecorder",
    "ReleasedTable",
    "Unit",
    "format_value",
]

#: The only values of the ``status`` column.
STATUSES = ("released", "suppressed")

_UNITS: tuple[Unit, ...] = ("pct", "ms", "count")
_RESERVED = ("status", "agents")


class ExportRecorder(Protocol):
    """Writes the audit record of an export; raises when it cannot (then nothing is exported).

    The workspace passes a picklable recorder that appends to the audit log and raises
    ``LedgerUnavailableError`` when the log cannot be written.
    """

    def __call__(self, release_id: str, export_format: str) -> None:
        """Record that release ``release_id`` is exported as ``export_format``."""


def _key_dtype(name: str, dtype: pl.DataType) -> pl.DataType:
    """The stored type of a key column: scalars only, category lists dropped."""
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return pl.String()
    if dtype.is_nested() or isinstance(dtype, pl.Object | pl.Binary):
        raise ValueError(
            f"key column {name!r} must hold public dimension values (text, numbers, dates), "
            f"found {dtype}"
        )
    return dtype


def _value_dtype(name: str, dtype: pl.DataType) -> pl.DataType:
    """The stored type of a value column: numbers (or a text flag); all-null becomes Float64."""
    if isinstance(dtype, pl.Null):
        return pl.Float64()
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return pl.String()
    if isinstance(dtype, pl.String) or (dtype.is_numeric() and not isinstance(dtype, pl.Boolean)):
        return dtype
    raise ValueError(f"value column {name!r} must be numeric, found {dtype}")


def _agents_dtype(dtype: pl.DataType) -> pl.DataType:
    if isinstance(dtype, pl.Null):
        return pl.Int64()
    if dtype.is_integer():
        return dtype
    raise ValueError(f"the 'agents' column must be an integer count, found {dtype}")


def _units(unit: Unit | Mapping[str, Unit], values: Sequence[str]) -> dict[str, Unit]:
    units: dict[str, Unit] = (
        dict(unit) if isinstance(unit, Mapping) else dict.fromkeys(values, unit)
    )
    if set(units) != set(values):
        raise ValueError(
            f"unit must give one unit for every value column {list(values)}, "
            f"found units for {sorted(units)}"
        )
    for column, name in units.items():
        if name not in _UNITS:
            raise ValueError(f"the unit of {column!r} must be one of {_UNITS}, found {name!r}")
    return {column: units[column] for column in values}


def _validated_schema(
    data: pl.DataFrame, keys: tuple[str, ...], values: tuple[str, ...]
) -> dict[str, pl.DataType]:
    """The stored schema of a released table, in column order, after checking ``data``."""
    named = [*keys, *values]
    if not values:
        raise ValueError("a released table needs at least one value column")
    if len(set(named)) != len(named) or any(c in _RESERVED for c in named):
        raise ValueError(
            "keys and values must be distinct column names, other than 'status' and 'agents'"
        )
    expected = [*named, "status"]
    missing = [c for c in expected if c not in data.columns]
    extra = [c for c in data.columns if c not in (*expected, "agents")]
    if missing or extra:
        raise ValueError(
            f"a released table has exactly the columns {expected} (and optionally "
            f"'agents'); missing {missing}, unexpected {extra}"
        )
    if not isinstance(data.schema["status"], pl.String | pl.Categorical | pl.Enum):
        raise ValueError("the 'status' column must be text: 'released' or 'suppressed'")
    status = data.get_column("status").cast(pl.String)
    if status.null_count() or not status.is_in(STATUSES).all():
        raise ValueError(f"every status must be one of {STATUSES}")
    schema = {c: _key_dtype(c, data.schema[c]) for c in keys}
    schema |= {c: _value_dtype(c, data.schema[c]) for c in values}
    schema["status"] = pl.String()
    figures = list(values)
    if "agents" in data.columns:
        schema["agents"] = _agents_dtype(data.schema["agents"])
        figures.append("agents")
    hidden = data.filter(status == SUPPRESSED)
    for column in figures:
        if hidden.get_column(column).null_count() != hidden.height:
            raise ValueError(
                f"suppressed cells of {column!r} must be null: a suppressed cell holds no "
                "figure. Hint: null the figures where status is 'suppressed'"
            )
    return schema


@dataclass(frozen=True)
class DryRun:
    """What a report would give now, answered from public inputs only (nothing released).

    Attributes
    ----------
    allowed
        Whether the report would be released at all.
    code, rule, remedy
        When not allowed: the refusal's code (``ADH-001``...), the rule and what to do.
    cells
        When allowed: the report's keys and, per cell, ``released`` or ``suppressed``.
        The dominance rule may still suppress a ``released`` cell (it depends on values).
    """

    allowed: bool
    code: str | None
    rule: str
    remedy: str
    cells: pl.DataFrame

    def __repr__(self) -> str:
        if not self.allowed:
            return f"DryRun(refused {self.code}: {self.rule}. Hint: {self.remedy})"
        shown = int((self.cells["status"] == "released").sum()) if self.cells.height else 0
        return f"DryRun(allowed: {shown} of {self.cells.height} cells would be released)"


#: One day [ms]: Excel keeps durations as fractions of a day.
_DAY_MS = 86_400_000

#: Released precision (G17): percentages to 0.1 point, durations to whole seconds [ms].
PRECISION: dict[str, float] = {"pct": 0.1, "ms": 1000.0}


def _rounded(column: pl.Expr, unit: str | None) -> pl.Expr:
    """A value column rounded to its released precision (counts stay exact)."""
    if unit == "pct":
        return column.cast(pl.Float64).round(1)
    if unit == "ms":
        return (column.cast(pl.Float64) / 1000).round(0) * 1000
    return column


def _no_negative_zero(value: pl.Expr) -> pl.Expr:
    """``value`` with ``-0.0`` written as ``0.0`` (as ``format_value`` shows it)."""
    return pl.when(value == 0).then(pl.lit(0.0)).otherwise(value)


def _clock(ms: pl.Expr) -> pl.Expr:
    """Durations [ms] as ``h:mm:ss`` text, rounded to the second (as ``format_value``)."""
    seconds = (ms.cast(pl.Float64) / 1000).round(0).cast(pl.Int64)
    size = seconds.abs()

    def two(part: pl.Expr) -> pl.Expr:
        return part.cast(pl.String).str.zfill(2)

    return pl.concat_str(
        pl.when(seconds < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (size // 3600).cast(pl.String),
        pl.lit(":"),
        two(size % 3600 // 60),
        pl.lit(":"),
        two(size % 60),
    )


@final
class ReleasedTable:
    """The released cells of one report; nothing else.

    Parameters
    ----------
    data
        Exactly the ``keys``, the ``values``, ``status`` and optionally ``agents``, in any
        order. Copied through Python values, never referenced.
    keys
        The key columns (public dimensions), in order; may be empty for an overall figure.
    values
        The value columns, in order (at least one).
    metric
        What the values are (a catalogue name, or ``self_view`` / ``share``).
    unit
        The unit of every value column, or one unit per value column.
    title
        A one-line description for displays and plots.
    release_id
        The ledger's id of the release; exports are recorded under it.
    recorder
        Called before every export with the release id and the export format; the
        workspace passes one that writes the audit log. ``None`` records nothing.
    notes
        Lines shown under the table (filters, the suppression rule in force).

    Raises
    ------
    ValueError
        The columns are not exactly keys + values + ``status`` (+ ``agents``); a status is
        not ``released`` or ``suppressed``; a suppressed cell has a value or an agent count;
        a column has a type a released table cannot hold; or the units do not match the
        value columns. These are programming errors in the privacy layer: messages name
        columns, never values.

    Examples
    --------
    >>> import polars as pl
    >>> calls = []
    >>> table = ReleasedTable(
    ...     pl.DataFrame({"team": ["A", "B", "C"], "meal_ms": [5_400_000, None, 1_801_000],
    ...                   "status": ["released", "suppressed", "released"],
    ...                   "agents": [6, None, 7]}),
    ...     keys=["team"], values=["meal_ms"], metric="meal_ms", unit="ms",
    ...     title="Time in MEAL", release_id="r1",
    ...     recorder=lambda release, fmt: calls.append((release, fmt)),
    ... )
    >>> print(table)  # doctest: +NORMALIZE_WHITESPACE
    Time in MEAL
    ┌──────┬────────────┬────────────┬────────────┐
    │ team ┆ meal_ms    ┆ status     ┆ agents     │
    ╞══════╪════════════╪════════════╪════════════╡
    │ A    ┆ 1:30:00    ┆ released   ┆ 6          │
    │ B    ┆ suppressed ┆ suppressed ┆ suppressed │
    │ C    ┆ 0:30:01    ┆ released   ┆ 7          │
    └──────┴────────────┴────────────┴────────────┘
    suppressed: not released to protect individuals (too few people, or a cell that would
    reveal another)
    >>> table.to_dicts()[1]
    {'team': 'B', 'meal_ms': None, 'status': 'suppressed', 'agents': None}
    >>> calls
    [('r1', 'dicts')]
    >>> table.title = "changed"
    Traceback (most recent call last):
    ...
    AttributeError: a released table cannot be changed
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
        if not isinstance(data, pl.DataFrame):
            raise TypeError(f"data must be a polars DataFrame, found {type(data).__name__}")
        if recorder is not None and not callable(recorder):
            raise TypeError("recorder must be callable (release_id, export_format) or None")
        keys, values = tuple(keys), tuple(values)
        units = _units(unit, values)
        schema = _validated_schema(data, keys, values)
        columns = list(schema)
        ordered = data.select(
            _rounded(pl.col(c), units.get(c)).cast(schema[c]) if c in values else pl.col(c)
            for c in columns
        )
        setter = object.__setattr__
        # Plain Python values: nothing here shares a buffer with the caller's frame.
        setter(self, "_rows", tuple(ordered.rows()))
        setter(self, "_schema", tuple((c, schema[c]) for c in columns))
        setter(self, "_keys", keys)
        setter(self, "_values", values)
        setter(self, "_metric", str(metric))
        setter(self, "_units", units)
        setter(self, "_title", str(title))
        setter(self, "_release_id", str(release_id))
        setter(self, "_recorder", recorder)
        setter(self, "_notes", tuple(str(n) for n in notes))

    # Immutability and pickling -------------------------------------------------------
    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a released table cannot be changed")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a released table cannot be changed")

    def __getstate__(self) -> dict[str, Any]:
        """The released rows, the schema, the metadata and the recorder; nothing else."""
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        if set(state) != set(self.__slots__):
            raise TypeError("not the state of a ReleasedTable")
        for name in self.__slots__:
            object.__setattr__(self, name, state[name])

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
        """Every column, in order: keys, values, ``status`` and (if present) ``agents``."""
        return [c for c, _ in self._schema]

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """The polars type of each column."""
        return dict(self._schema)

    @property
    def metric(self) -> str:
        """What the values are."""
        return self._metric

    @property
    def unit(self) -> Unit | dict[str, Unit]:
        """The unit of the values: one unit if all value columns share it, else one per column."""
        distinct = set(self._units.values())
        return distinct.pop() if len(distinct) == 1 else dict(self._units)

    @property
    def units(self) -> dict[str, Unit]:
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
        """How many cells (rows) were released."""
        return sum(1 for released in self._released_mask() if released)

    @property
    def suppressed_count(self) -> int:
        """How many cells (rows) were suppressed."""
        return len(self._rows) - self.released_count

    @property
    def height(self) -> int:
        """The number of rows (released and suppressed)."""
        return len(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def _released_mask(self) -> list[bool]:
        at = len(self._keys) + len(self._values)
        return [row[at] == "released" for row in self._rows]

    # Exports (each one recorded first) -----------------------------------------------
    def _frame(self) -> pl.DataFrame:
        """A new frame of the released cells (for the package's own drawing; not logged)."""
        return pl.DataFrame(list(self._rows), schema=list(self._schema), orient="row")

    def _record(self, export_format: str) -> None:
        if self._recorder is not None:
            self._recorder(self._release_id, export_format)

    def to_polars(self) -> pl.DataFrame:
        """The released cells as a new polars DataFrame (recorded as an export first).

        Returns
        -------
        polars.DataFrame
            A fresh frame; changing it does not change the table.
        """
        self._record("polars")
        return self._frame()

    def to_pandas(self) -> Any:
        """The released cells as a pandas DataFrame (recorded as an export first).

        Needs pandas (the ``pandas`` extra); when it is missing, nothing is recorded.

        Returns
        -------
        pandas.DataFrame
            A fresh frame.
        """
        if importlib.util.find_spec("pandas") is None:
            raise ModuleNotFoundError(
                "to_pandas needs pandas. Hint: pip install 'adherence[pandas]'", name="pandas"
            )
        self._record("pandas")
        return self._frame().to_pandas()

    def to_dicts(self) -> list[dict[str, Any]]:
        """The released cells as one dict per row (recorded as an export first).

        Returns
        -------
        list of dict
            Column name to value; suppressed values are ``None``.
        """
        self._record("dicts")
        columns = self.columns
        return [dict(zip(columns, row, strict=True)) for row in self._rows]

    def write_csv(self, path: str | PathLike[str], *, excel: bool = False) -> None:
        """Write the released cells as CSV (recorded as an export first).

        When the recorder refuses, no file is created. Suppressed values are empty fields.

        With ``excel=True`` the file is made for Excel in a Norwegian locale, which reads
        ``;`` as the field separator and ``,`` as the decimal mark: a UTF-8 byte order mark
        (so Excel reads æ, ø and å), ``;`` between fields, and values as tables show them,
        in a form Excel reads as numbers: percentages with one decimal and a decimal comma
        and no ``%`` sign (``91,2``; the column name says ``_pct``), durations as
        ``h:mm:ss`` (``1:30:00``, which Excel reads as a time), counts as plain whole numbers
        without thousands separators (a space would make Excel read text). Key columns are
        written as they are (dates as ``2026-03-02``).

        Parameters
        ----------
        path
            The file to write.
        excel
            Write for Excel in a Norwegian locale (see above) instead of plain CSV.

        Examples
        --------
        >>> import tempfile, pathlib, polars as pl
        >>> table = ReleasedTable(
        ...     pl.DataFrame({"team": ["A", "B"], "adherence_pct": [91.25, None],
        ...                   "status": ["released", "suppressed"]}),
        ...     keys=["team"], values=["adherence_pct"], metric="adherence_pct",
        ...     unit="pct", title="Schedule adherence", release_id="r1",
        ... )
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "adherence.csv"
        >>> table.write_csv(path)
        >>> print(path.read_text().strip())
        team,adherence_pct,status
        A,91.2,released
        B,,suppressed
        >>> table.write_csv(path, excel=True)
        >>> path.read_bytes()[:3] == "\ufeff".encode()
        True
        >>> print(path.read_text(encoding="utf-8-sig").strip())
        team;adherence_pct;status
        A;91,2;released
        B;;suppressed
        """
        if not excel:
            self._record("csv")
            self._frame().write_csv(Path(path))
            return
        pct = [c for c, unit in self._units.items() if unit == "pct"]
        durations = [c for c, unit in self._units.items() if unit == "ms"]
        frame = self._frame().with_columns(
            *[_no_negative_zero(pl.col(c).cast(pl.Float64).round(1)).alias(c) for c in pct],
            *[_clock(pl.col(c)).alias(c) for c in durations],
        )
        self._record("csv")
        frame.write_csv(
            Path(path), separator=";", include_bom=True, decimal_comma=True, float_precision=1
        )

    def write_parquet(self, path: str | PathLike[str]) -> None:
        """Write the released cells as Parquet (recorded as an export first).

        When the recorder refuses, no file is created.

        Parameters
        ----------
        path
            The file to write.
        """
        self._record("parquet")
        self._frame().write_parquet(Path(path))

    def write_excel(self, path: str | PathLike[str]) -> None:
        """Write the released cells as an Excel workbook (recorded as an export first).

        One worksheet with a header row; suppressed values are empty cells. Percentages are
        numbers shown with one decimal, durations are Excel durations shown as ``[h]:mm:ss``,
        counts are whole numbers; Excel shows them in the reader's own locale. Needs
        ``xlsxwriter`` (the ``excel`` extra); when it is missing, nothing is recorded.

        Parameters
        ----------
        path
            The ``.xlsx`` file to write.

        Raises
        ------
        OptionalDependencyError
            ``xlsxwriter`` is not installed.
        """
        if importlib.util.find_spec("xlsxwriter") is None:
            raise OptionalDependencyError(
                "write_excel needs the package 'xlsxwriter', which is not installed",
                hint="pip install 'adherence[excel]', or use write_csv(path, excel=True)",
            )
        formats = {"pct": "0.0", "ms": "[h]:mm:ss", "count": "0"}
        frame = self._frame().with_columns(
            (pl.col(c).cast(pl.Float64) / _DAY_MS).alias(c)
            for c, unit in self._units.items()
            if unit == "ms"
        )
        numeric = {c for c, dtype in frame.schema.items() if dtype.is_numeric()}
        column_formats: dict[str, str] = {
            c: formats[unit] for c, unit in self._units.items() if c in numeric
        }
        self._record("excel")
        frame.write_excel(
            Path(path),
            worksheet="released",
            column_formats=column_formats,  # type: ignore[arg-type]
            autofit=True,
            table_style=None,
        )

    # Arrow PyCapsule interface -------------------------------------------------------
    def __arrow_c_schema__(self) -> object:
        """The Arrow schema of the table as a PyCapsule (names and types only; not an export)."""
        return self._arrow(self._empty()).schema.__arrow_c_schema__()

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The released cells as an Arrow C stream (recorded as an export first).

        This is the Arrow PyCapsule interface: ``pl.DataFrame(table)``,
        ``pyarrow.table(table)`` and ``duckdb.sql("select * from table")`` read the table
        through it, each read one recorded export. When the recorder refuses, no stream is
        made.

        Parameters
        ----------
        requested_schema
            A schema capsule the consumer asks for, passed on to pyarrow (which casts when
            it can); ``None`` for the table's own schema.

        Returns
        -------
        PyCapsule
            An ``arrow_array_stream`` capsule.
        """
        self._record("arrow")
        return self._arrow(self._frame()).__arrow_c_stream__(requested_schema)

    def _empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=list(self._schema))

    @staticmethod
    def _arrow(frame: pl.DataFrame) -> Any:
        """A pyarrow table with plain (not view) string types, which every reader accepts."""
        return frame.to_arrow(compat_level=pl.CompatLevel.oldest())

    # Displays (not exports): drawn by adherence.format and adherence.plot ---------------
    def _figures(self) -> dict[str, Unit]:
        return {c: self._units.get(c, "count") for c in self.columns[len(self._keys) :]}

    def _shown(self) -> list[list[object]]:
        figures = {c: u for c, u in self._figures().items() if c != "status"}
        return display_rows(self._rows, self._released_mask(), self.columns, figures)

    def __repr__(self) -> str:
        schema = {c: (dtype if c in self._keys else pl.String()) for c, dtype in self._schema}
        return table_text(
            self._title, schema, self._shown(), self._notes, suppressed=self.suppressed_count
        )

    def _repr_html_(self) -> str:
        """An HTML table: all text escaped, suppressed cells marked, a legend; no assets."""
        figures = [c for c in self._figures() if c != "status"]
        return table_html(
            self._title,
            self.columns,
            figures,
            self._shown(),
            released=self._released_mask(),
            notes=self._notes,
        )

    def plot(self, *, value: str | None = None, ax: Axes | None = None) -> Axes:
        """Draw the released values; suppressed cells are gaps (``adherence.plot``).

        With a time key (``day``, ``iso_week``, ``month`` or ``period``) one line is drawn
        per group of the other keys over it; otherwise one bar per row. Suppressed (and
        missing) cells are NaN, so lines break and bars are absent there, and a note
        ``gaps: suppressed cells`` says so. Durations are drawn in minutes. Neither
        ``plt.show()`` nor matplotlib's global style is touched.

        Parameters
        ----------
        value
            The value column to draw; the first one when ``None``.
        ax
            The axes to draw on; a new figure's when ``None``.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.

        Examples
        --------
        >>> import polars as pl
        >>> table = ReleasedTable(
        ...     pl.DataFrame({"iso_week": ["2026-W11", "2026-W12", "2026-W13"],
        ...                   "adherence_pct": [91.0, None, 95.5],
        ...                   "status": ["released", "suppressed", "released"]}),
        ...     keys=["iso_week"], values=["adherence_pct"], metric="adherence_pct",
        ...     unit="pct", title="Adherence", release_id="r1",
        ... )
        >>> ax = table.plot()
        >>> ax.get_ylabel(), [float(y) for y in ax.lines[0].get_ydata()]
        ('adherence [%]', [91.0, nan, 95.5])
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        from adherence.plot import plot_released_cells

        column = self._values[0] if value is None else value
        if column not in self._values:
            raise ValueError(f"value must be one of {list(self._values)}, found {column!r}")
        if not self.schema[column].is_numeric():
            raise ValueError(
                f"only numeric value columns can be drawn; {column!r} is {self.schema[column]}"
            )
        at = self.columns.index(column)
        ys = [
            None if not released else row[at]
            for row, released in zip(self._rows, self._released_mask(), strict=True)
        ]
        return plot_released_cells(
            [row[: len(self._keys)] for row in self._rows],
            ys,
            keys=self._keys,
            key_types=[self.schema[k] for k in self._keys],
            column=column,
            unit=self._units[column],
            title=self._title,
            gaps=self.suppressed_count > 0,
            ax=ax,
        )
