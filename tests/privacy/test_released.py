"""ReleasedTable holds released cells only, and records every export first (G7, G13)."""

from __future__ import annotations

import datetime as dt
import math
import pickle
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from adherence.errors import LedgerUnavailableError, OptionalDependencyError
from adherence.privacy.released import LEGEND, ReleasedTable, format_value

SECRET = "zqx-raw-secret-zqx"
HIDDEN_MS = 4_242_424  # the real value of the suppressed cell: it must never reach the table
HIDDEN_PCT = 42.4242


class Recorder:
    """A picklable recorder that remembers the exports, or refuses them like a full disk."""

    def __init__(self, *, fail: bool = False, watch: Path | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail
        self.watch = watch
        self.existed: list[bool] = []

    def __call__(self, release_id: str, export_format: str) -> None:
        if self.watch is not None:
            self.existed.append(self.watch.exists())
        if self.fail:
            raise LedgerUnavailableError("the audit log cannot be written", remedy="free space")
        self.calls.append((release_id, export_format))


class FileRecorder:
    """A picklable recorder that appends one line per export to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, release_id: str, export_format: str) -> None:
        with self.path.open("a") as log:
            log.write(f"{release_id} {export_format}\n")


def _raw() -> pl.DataFrame:
    """A larger frame than is released: a secret team row and a column of raw values."""
    return pl.DataFrame(
        {
            "team": ["A", "B", "C", SECRET],
            "iso_week": ["2026-W11"] * 4,
            "raw_ms": [5_400_000, HIDDEN_MS, 1_801_000, 424_242],
            "released": [True, False, True, True],
            "agents": [6, 2, 7, 1],
            "note": [SECRET] * 4,
        }
    )


def _released(raw: pl.DataFrame) -> pl.DataFrame:
    """What the privacy layer hands over: released values only, the secret row filtered out."""
    shown = pl.col("released")
    return raw.filter(pl.col("team") != SECRET).select(
        "team",
        "iso_week",
        pl.when(shown).then(pl.col("raw_ms")).alias("meal_ms"),
        pl.when(shown).then(pl.lit("released")).otherwise(pl.lit("suppressed")).alias("status"),
        pl.when(shown).then(pl.col("agents")).alias("agents"),
    )


def _table(recorder: Any = None, data: pl.DataFrame | None = None) -> ReleasedTable:
    return ReleasedTable(
        _released(_raw()) if data is None else data,
        keys=["team", "iso_week"],
        values=["meal_ms"],
        metric="meal_ms",
        unit="ms",
        title="Time in MEAL",
        release_id="r-1",
        recorder=recorder,
        notes=["filtered: site in ['Oslo']"],
    )


def _pct_table(recorder: Any = None) -> ReleasedTable:
    return ReleasedTable(
        pl.DataFrame(
            {
                "team": ["A", "A", "A", "B", "B", "B"],
                "iso_week": ["2026-W11", "2026-W12", "2026-W13"] * 2,
                "adherence_pct": [91.25, None, 95.5, 88.35, 90.0, None],
                "status": [
                    "released",
                    "suppressed",
                    "released",
                    "released",
                    "released",
                    "suppressed",
                ],
            }
        ),
        keys=["team", "iso_week"],
        values=["adherence_pct"],
        metric="adherence_pct",
        unit="pct",
        title="Schedule adherence",
        release_id="r-2",
        recorder=recorder,
    )


# Construction copies -----------------------------------------------------------------


def test_changing_or_dropping_the_source_frame_does_not_change_the_table() -> None:
    source = _released(_raw())
    table = _table(data=source)
    before = table.to_dicts()

    source.replace_column(2, pl.Series("meal_ms", [1, 2, 3]))
    source.drop_in_place("team")
    del source

    assert table.to_dicts() == before
    assert before[0] == {
        "team": "A", "iso_week": "2026-W11", "meal_ms": 5_400_000, "status": "released", "agents": 6,
    }  # fmt: skip


def test_the_exported_frame_is_a_fresh_copy() -> None:
    table = _table()
    frame = table.to_polars()

    frame.replace_column(2, pl.Series("meal_ms", [0, 0, 0]))

    assert table.to_polars()["meal_ms"].to_list() == [5_400_000, None, 1_801_000]


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(_released, id="filter+select"),
        pytest.param(lambda raw: _released(raw.head(3)), id="slice"),
        pytest.param(lambda raw: _released(raw.slice(0, 3).drop("note")), id="slice+drop"),
    ],
)
def test_nothing_but_the_released_cells_reaches_a_pickle_or_a_parquet_file(
    tmp_path: Path, cut: Callable[[pl.DataFrame], pl.DataFrame]
) -> None:
    table = _table(data=cut(_raw()))
    table.write_parquet(tmp_path / "t.parquet")
    blob = pickle.dumps(table)
    parquet = (tmp_path / "t.parquet").read_bytes()

    assert struct.pack("<i", 1_801_000) in blob  # control: a released int is visible like this
    for data in (blob, parquet):
        assert SECRET.encode() not in data
        assert struct.pack("<i", HIDDEN_MS) not in data
        assert struct.pack("<q", HIDDEN_MS) not in data
        assert struct.pack("<i", 424_242) not in data
    assert pl.read_parquet(tmp_path / "t.parquet")["meal_ms"].to_list() == [
        5_400_000,
        None,
        1_801_000,
    ]


def test_a_hidden_float_value_reaches_neither_pickle_nor_parquet(tmp_path: Path) -> None:
    raw = pl.DataFrame(
        {"team": ["A", "B"], "raw_pct": [91.5, HIDDEN_PCT], "released": [True, False]}
    )
    data = raw.select(
        "team",
        pl.when("released").then("raw_pct").alias("adherence_pct"),
        pl.when("released")
        .then(pl.lit("released"))
        .otherwise(pl.lit("suppressed"))
        .alias("status"),
    )
    table = ReleasedTable(
        data, keys=["team"], values=["adherence_pct"], metric="adherence_pct", unit="pct",
        title="Adherence", release_id="r",
    )  # fmt: skip
    table.write_parquet(tmp_path / "t.parquet")
    blob = pickle.dumps(table)

    assert struct.pack(">d", 91.5) in blob  # control: pickle stores floats big-endian
    assert struct.pack(">d", HIDDEN_PCT) not in blob
    assert struct.pack("<d", HIDDEN_PCT) not in (tmp_path / "t.parquet").read_bytes()
    assert "42.4" not in repr(table)
    assert "42.4" not in table._repr_html_()


def test_category_lists_of_key_columns_are_dropped(tmp_path: Path) -> None:
    teams = pl.Enum(["A", "B", SECRET])
    data = pl.DataFrame(
        {"team": ["A", "B"], "meal_ms": [1_000, None], "status": ["released", "suppressed"]},
        schema_overrides={"team": teams},
    )
    assert SECRET.encode() in pickle.dumps(data)  # control: polars pickles the category list

    table = ReleasedTable(
        data, keys=["team"], values=["meal_ms"], metric="meal_ms", unit="ms", title="t",
        release_id="r",
    )  # fmt: skip
    table.write_parquet(tmp_path / "t.parquet")

    assert table.schema["team"] == pl.String
    assert SECRET.encode() not in pickle.dumps(table)
    assert SECRET.encode() not in (tmp_path / "t.parquet").read_bytes()


def test_the_state_holds_only_python_values_and_metadata() -> None:
    state = _table(Recorder()).__getstate__()

    assert set(state) == {
        "_keys", "_metric", "_notes", "_recorder", "_release_id", "_rows", "_schema", "_title",
        "_units", "_values",
    }  # fmt: skip
    assert state["_rows"] == (
        ("A", "2026-W11", 5_400_000, "released", 6),
        ("B", "2026-W11", None, "suppressed", None),
        ("C", "2026-W11", 1_801_000, "released", 7),
    )
    assert all(type(v) in {str, int, type(None)} for row in state["_rows"] for v in row)


# Validation --------------------------------------------------------------------------

GOOD = {"team": ["A", "B"], "meal_ms": [1_000, None], "status": ["released", "suppressed"]}


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        pytest.param({**GOOD, "meal_ms": [1_000, 2_000]}, {}, "suppressed cells of 'meal_ms' must be null", id="suppressed-value"),
        pytest.param({**GOOD, "agents": [6, 2]}, {}, "suppressed cells of 'agents' must be null", id="suppressed-agents"),
        pytest.param({k: v for k, v in GOOD.items() if k != "status"}, {}, "missing \\['status'\\]", id="no-status"),
        pytest.param({**GOOD, "raw": [1, 2]}, {}, "unexpected \\['raw'\\]", id="extra-column"),
        pytest.param({"team": ["A", "B"], "status": GOOD["status"]}, {}, "missing \\['meal_ms'\\]", id="no-value"),
        pytest.param({**GOOD, "status": ["released", "hidden"]}, {}, "every status must be one of", id="bad-status"),
        pytest.param({**GOOD, "status": ["released", None]}, {}, "every status must be one of", id="null-status"),
        pytest.param({**GOOD, "status": [1, 0]}, {}, "'status' column must be text", id="numeric-status"),
        pytest.param(GOOD, {"unit": {"other_ms": "ms"}}, "one unit for every value column", id="unit-mapping"),
        pytest.param(GOOD, {"unit": "hours"}, "must be one of", id="bad-unit"),
        pytest.param(GOOD, {"keys": ["team", "meal_ms"]}, "distinct column names", id="key-is-value"),
        pytest.param({**GOOD, "agents": [6, None]}, {"keys": ["agents"]}, "other than 'status'", id="reserved-key"),
        pytest.param(GOOD, {"values": []}, "at least one value column", id="no-values"),
        pytest.param({**GOOD, "meal_ms": [True, None]}, {}, "must be numeric", id="boolean-value"),
        pytest.param({**GOOD, "agents": [6.0, None]}, {}, "integer count", id="float-agents"),
        pytest.param({**GOOD, "team": [["A"], ["B"]]}, {}, "public dimension values", id="list-key"),
    ],
)  # fmt: skip
def test_a_malformed_table_is_a_programming_error(
    data: dict[str, list[object]], options: dict[str, object], message: str
) -> None:
    arguments: dict[str, Any] = {
        "keys": ["team"], "values": ["meal_ms"], "metric": "meal_ms", "unit": "ms", "title": "t",
        "release_id": "r",
    } | options  # fmt: skip

    with pytest.raises(ValueError, match=message):
        ReleasedTable(pl.DataFrame(data), **arguments)


def test_a_validation_error_never_shows_the_hidden_value() -> None:
    data = pl.DataFrame({"team": ["B"], "meal_ms": [HIDDEN_MS], "status": ["suppressed"]})

    with pytest.raises(ValueError, match="must be null") as caught:
        ReleasedTable(data, keys=["team"], values=["meal_ms"], metric="meal_ms", unit="ms",
                      title="t", release_id="r")  # fmt: skip

    assert str(HIDDEN_MS) not in str(caught.value)


def test_only_a_polars_data_frame_is_accepted() -> None:
    with pytest.raises(TypeError, match="polars DataFrame"):
        ReleasedTable(pl.DataFrame(GOOD).lazy(), keys=["team"], values=["meal_ms"],  # type: ignore[arg-type]
                      metric="m", unit="ms", title="t", release_id="r")  # fmt: skip


def test_columns_are_stored_in_order_and_all_null_values_become_floats() -> None:
    data = pl.DataFrame(
        {
            "status": ["suppressed"],
            "day": [dt.date(2026, 3, 9)],
            "meal_ms": [None],
            "team": pl.Series(["A"], dtype=pl.Categorical),
        }
    )

    table = ReleasedTable(data, keys=["team", "day"], values=["meal_ms"], metric="meal_ms",
                          unit="ms", title="t", release_id="r")  # fmt: skip

    assert table.schema == {
        "team": pl.String,
        "day": pl.Date,
        "meal_ms": pl.Float64,
        "status": pl.String,
    }
    assert table.to_polars().row(0) == ("A", dt.date(2026, 3, 9), None, "suppressed")


def test_the_description_is_read_only_and_complete() -> None:
    table = _table()

    assert table.keys == ("team", "iso_week")
    assert table.values == ("meal_ms",)
    assert table.columns == ["team", "iso_week", "meal_ms", "status", "agents"]
    assert (table.metric, table.unit, table.units) == ("meal_ms", "ms", {"meal_ms": "ms"})
    assert (table.title, table.release_id) == ("Time in MEAL", "r-1")
    assert table.notes == ("filtered: site in ['Oslo']",)
    assert (table.released_count, table.suppressed_count, table.height, len(table)) == (2, 1, 3, 3)


def test_one_unit_per_value_column() -> None:
    table = ReleasedTable(
        pl.DataFrame({"day": ["2026-03-09"], "adherence_pct": [92.0], "meal_ms": [1_800_000],
                      "status": ["released"]}),
        keys=["day"], values=["adherence_pct", "meal_ms"], metric="self_view",
        unit={"meal_ms": "ms", "adherence_pct": "pct"}, title="Your figures", release_id="r",
    )  # fmt: skip

    assert table.unit == {"adherence_pct": "pct", "meal_ms": "ms"}
    assert "92.0" in repr(table)
    assert "0:30:00" in repr(table)


@pytest.mark.parametrize("name", ["_rows", "title", "anything"])
def test_a_released_table_cannot_be_changed(name: str) -> None:
    table = _table()

    with pytest.raises(AttributeError):
        setattr(table, name, ())
    with pytest.raises(AttributeError):
        delattr(table, name)
    assert not hasattr(table, "__dict__")


# Displays ----------------------------------------------------------------------------


def test_repr_formats_durations_and_marks_suppressed_cells() -> None:
    text = repr(_table())

    assert text.splitlines()[0] == "Time in MEAL"
    assert "1:30:00" in text
    assert "0:30:01" in text
    assert "│ B    ┆ 2026-W11 ┆ suppressed ┆ suppressed ┆ suppressed │" in text
    assert "filtered: site in ['Oslo']" in text
    assert text.splitlines()[-1] == LEGEND
    assert "1:10:42" not in text  # HIDDEN_MS as a duration
    assert SECRET not in text


def test_repr_rounds_percentages_half_to_even_on_the_decimal_value() -> None:
    text = repr(_pct_table())

    assert "91.2 " in text  # 91.25 -> 91.2
    assert "88.4 " in text  # 88.35 -> 88.4, although format(88.35, ".1f") == "88.3"
    assert "95.5 " in text
    assert "90.0 " in text
    assert text.count("suppressed") == 4 + 1  # two value cells, two status cells, the legend


def test_no_legend_when_nothing_is_suppressed() -> None:
    table = ReleasedTable(
        pl.DataFrame({"team": ["A"], "adherence_pct": [90.0], "status": ["released"]}),
        keys=["team"], values=["adherence_pct"], metric="adherence_pct", unit="pct", title="t",
        release_id="r",
    )  # fmt: skip

    assert LEGEND not in repr(table)
    assert LEGEND not in table._repr_html_()


def test_a_long_table_is_abbreviated_and_says_how_long_it_is() -> None:
    data = pl.DataFrame(
        {
            "day": [f"d{i:03d}" for i in range(100)],
            "n": list(range(100)),
            "status": ["released"] * 100,
        }
    )
    table = ReleasedTable(data, keys=["day"], values=["n"], metric="n", unit="count", title="t",
                          release_id="r")  # fmt: skip

    text = repr(table)

    assert "shape: (100, 3)" in text
    assert "…" in text
    assert "d099" in text


def test_a_released_cell_without_a_value_is_not_called_suppressed() -> None:
    table = ReleasedTable(
        pl.DataFrame({"team": ["A"], "adherence_pct": [None], "status": ["released"]},
                     schema_overrides={"adherence_pct": pl.Float64}),
        keys=["team"], values=["adherence_pct"], metric="adherence_pct", unit="pct", title="t",
        release_id="r",
    )  # fmt: skip

    assert "n/a" in repr(table)
    assert "suppressed" not in repr(table).replace("status", "")


def test_html_marks_suppressed_cells_escapes_text_and_needs_no_assets() -> None:
    data = pl.DataFrame(
        {
            "team": ["<b>A&B</b>", "C"],
            "meal_ms": [5_400_000, None],
            "status": ["released", "suppressed"],
        }
    )
    table = ReleasedTable(data, keys=["team"], values=["meal_ms"], metric="meal_ms", unit="ms",
                          title="Time <in> MEAL", release_id="r", notes=["a & b"])  # fmt: skip

    page = table._repr_html_()

    assert "<caption>Time &lt;in&gt; MEAL</caption>" in page
    assert "<td>&lt;b&gt;A&amp;B&lt;/b&gt;</td>" in page
    assert "<b>A&B</b>" not in page
    assert '<td class="figure">1:30:00</td>' in page
    assert (
        '<tr class="suppressed"><td>C</td><td class="suppressed">suppressed<sup>*</sup></td>'
        in page
    )
    assert f"<sup>*</sup> {LEGEND}" in page
    assert "a &amp; b" in page
    for asset in ("src=", "href=", "<script", "<link", "http"):
        assert asset not in page


def test_html_never_holds_the_hidden_value() -> None:
    page = _table()._repr_html_()

    assert "1:10:42" not in page
    assert str(HIDDEN_MS) not in page
    assert SECRET not in page


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (12.25, "pct", "12.2"),
        (12.35, "pct", "12.4"),
        (12.45, "pct", "12.4"),
        (0.05, "pct", "0.0"),
        (0.15, "pct", "0.2"),
        (-0.04, "pct", "0.0"),
        (100, "pct", "100.0"),
        (3_723_400, "ms", "1:02:03"),
        (3_723_500, "ms", "1:02:04"),
        (2_500, "ms", "0:00:02"),
        (90_000_000, "ms", "25:00:00"),
        (-61_000, "ms", "-0:01:01"),
        (1_800_000.0, "ms", "0:30:00"),
        (1_500, "count", "1 500"),
        (2.25, "count", "2.2"),
        (None, "pct", "n/a"),
        (math.nan, "pct", "n/a"),
        ("yes", "count", "yes"),
    ],
)
def test_values_are_formatted_half_to_even(value: object, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown  # type: ignore[arg-type]


# Exports -----------------------------------------------------------------------------

EXPORTS: list[tuple[str, Callable[[ReleasedTable, Path], object]]] = [
    ("polars", lambda t, _: t.to_polars()),
    ("pandas", lambda t, _: t.to_pandas()),
    ("dicts", lambda t, _: t.to_dicts()),
    ("csv", lambda t, p: t.write_csv(p)),
    ("parquet", lambda t, p: t.write_parquet(p)),
    ("csv", lambda t, p: t.write_csv(p, excel=True)),
    ("excel", lambda t, p: t.write_excel(p)),
    ("arrow", lambda t, _: pl.DataFrame(t)),
    ("arrow", lambda t, _: pa.table(t)),
    ("arrow", lambda t, _: duckdb.sql("select * from t").fetchall()),
]
_EXPORT_IDS = [
    "polars", "pandas", "dicts", "csv", "parquet", "csv-excel", "excel", "arrow-polars",
    "arrow-pyarrow", "arrow-duckdb",
]  # fmt: skip


@pytest.mark.parametrize(("export_format", "export"), EXPORTS, ids=_EXPORT_IDS)
def test_every_export_is_recorded_once_before_it_happens(
    tmp_path: Path, export_format: str, export: Callable[[ReleasedTable, Path], object]
) -> None:
    path = tmp_path / "out"
    recorder = Recorder(watch=path)

    export(_table(recorder), path)

    assert recorder.calls == [("r-1", export_format)]
    assert recorder.existed == [False]


@pytest.mark.parametrize(("export_format", "export"), EXPORTS[:-1], ids=_EXPORT_IDS[:-1])
def test_a_refused_record_means_no_export(
    tmp_path: Path, export_format: str, export: Callable[[ReleasedTable, Path], object]
) -> None:
    path = tmp_path / "out"
    result: list[object] = []

    with pytest.raises(LedgerUnavailableError):
        result.append(export(_table(Recorder(fail=True)), path))

    assert result == []
    assert not path.exists()


def test_duckdb_gets_no_rows_when_the_record_is_refused() -> None:
    # DuckDB wraps the recorder's error in its own; the message still names it.
    released = _table(Recorder(fail=True))  # noqa: F841 (DuckDB finds it by this name)
    rows: list[object] = []

    with pytest.raises(duckdb.InvalidInputException, match="LedgerUnavailableError"):
        rows.extend(duckdb.sql("select * from released").fetchall())

    assert rows == []


def test_displays_and_plots_are_not_exports() -> None:
    import matplotlib.pyplot as plt

    recorder = Recorder()
    table = _table(recorder)

    repr(table)
    table._repr_html_()
    plt.close(table.plot().figure)

    assert recorder.calls == []


def test_the_exports_hold_the_released_cells(tmp_path: Path) -> None:
    expected = pl.DataFrame(
        {
            "team": ["A", "B", "C"],
            "iso_week": ["2026-W11"] * 3,
            "meal_ms": [5_400_000, None, 1_801_000],
            "status": ["released", "suppressed", "released"],
            "agents": [6, None, 7],
        }
    )
    table = _table()
    table.write_csv(tmp_path / "t.csv")
    table.write_parquet(tmp_path / "t.parquet")

    assert_frame_equal(table.to_polars(), expected)
    assert_frame_equal(pl.read_parquet(tmp_path / "t.parquet"), expected)
    assert (tmp_path / "t.csv").read_text().splitlines() == [
        "team,iso_week,meal_ms,status,agents",
        "A,2026-W11,5400000,released,6",
        "B,2026-W11,,suppressed,",
        "C,2026-W11,1801000,released,7",
    ]
    assert table.to_dicts() == expected.to_dicts()


def _mixed(recorder: Any = None) -> ReleasedTable:
    """A table with a duration, a percentage, a text flag and a date key."""
    return ReleasedTable(
        pl.DataFrame(
            {
                "day": [dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)],
                "team": ["Bodø", "Ål", "Øst"],
                "meal_ms": [5_400_000, None, 1_801_400],
                "adherence_pct": [91.25, None, -0.04],
                "flag": ["yes", None, "no"],
                "status": ["released", "suppressed", "released"],
                "agents": [1_234, None, 7],
            }
        ),
        keys=["day", "team"],
        values=["meal_ms", "adherence_pct", "flag"],
        metric="mixed",
        unit={"meal_ms": "ms", "adherence_pct": "pct", "flag": "count"},
        title="Mixed",
        release_id="r-3",
        recorder=recorder,
    )


def test_csv_for_excel_has_a_bom_semicolons_and_the_displayed_precision(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"

    _mixed().write_csv(path, excel=True)

    assert (
        path.read_bytes()
        == (
            "\ufeffday;team;meal_ms;adherence_pct;flag;status;agents\n"
            "2026-03-02;Bodø;1:30:00;91,2;yes;released;1234\n"
            "2026-03-03;Ål;;;;suppressed;\n"
            "2026-03-04;Øst;0:30:01;0,0;no;released;7\n"
        ).encode()
    )


def test_excel_workbook_holds_the_released_cells_with_their_formats(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    recorder = Recorder()

    _mixed(recorder).write_excel(path)

    frame = pl.read_excel(path, sheet_name="released")
    assert frame.columns == ["day", "team", "meal_ms", "adherence_pct", "flag", "status", "agents"]
    assert frame["meal_ms"].to_list() == [
        dt.timedelta(hours=1, minutes=30), None, dt.timedelta(minutes=30, seconds=1),
    ]  # fmt: skip
    assert frame["adherence_pct"].to_list()[:2] == [91.2, None]
    assert frame["status"].to_list() == ["released", "suppressed", "released"]
    assert frame["agents"].to_list() == [1_234, None, 7]
    assert recorder.calls == [("r-3", "excel")]


def test_excel_without_xlsxwriter_is_a_typed_error_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "xlsxwriter" else found(name, *a),
    )
    recorder = Recorder()

    with pytest.raises(OptionalDependencyError, match=r"adherence\[excel\]") as missing:
        _mixed(recorder).write_excel(tmp_path / "t.xlsx")

    assert missing.value.code == "ADH-102"
    assert recorder.calls == []
    assert not (tmp_path / "t.xlsx").exists()


def test_arrow_readers_get_the_released_cells_one_record_each() -> None:
    recorder = Recorder()
    released = _table(recorder)
    expected = [
        ("A", "2026-W11", 5_400_000, "released", 6),
        ("B", "2026-W11", None, "suppressed", None),
        ("C", "2026-W11", 1_801_000, "released", 7),
    ]

    from_polars = pl.DataFrame(released)
    from_arrow = pa.table(released)
    from_duckdb = duckdb.sql("select * from released order by team").fetchall()

    assert from_polars.rows() == expected
    assert from_polars.schema == released.schema
    assert [tuple(r.values()) for r in from_arrow.to_pylist()] == expected
    assert from_arrow.column_names == released.columns
    assert from_duckdb == expected
    assert recorder.calls == [("r-1", "arrow")] * 3


def test_the_arrow_schema_alone_is_not_an_export() -> None:
    recorder = Recorder()
    table = _table(recorder)

    schema = pa.schema(table)

    assert schema.names == ["team", "iso_week", "meal_ms", "status", "agents"]
    assert recorder.calls == []


def test_to_pandas_gives_the_released_cells() -> None:
    frame = _table().to_pandas()

    assert type(frame).__module__.startswith("pandas")
    assert list(frame.columns) == ["team", "iso_week", "meal_ms", "status", "agents"]
    assert frame["team"].tolist() == ["A", "B", "C"]
    assert frame["status"].tolist() == ["released", "suppressed", "released"]
    assert frame["meal_ms"].isna().tolist() == [False, True, False]


# Pickling ----------------------------------------------------------------------------


def test_an_unpickled_table_works_identically(tmp_path: Path) -> None:
    log = tmp_path / "exports.log"
    table = _table(FileRecorder(log))

    copy = pickle.loads(pickle.dumps(table))
    copy.write_csv(tmp_path / "copy.csv")
    table.write_csv(tmp_path / "table.csv")

    assert isinstance(copy, ReleasedTable)
    assert repr(copy) == repr(table)
    assert copy._repr_html_() == table._repr_html_()
    assert (copy.keys, copy.values, copy.metric, copy.unit, copy.title, copy.release_id) == (
        table.keys, table.values, table.metric, table.unit, table.title, table.release_id,
    )  # fmt: skip
    assert (copy.notes, copy.columns, copy.schema) == (table.notes, table.columns, table.schema)
    assert (copy.released_count, copy.suppressed_count, len(copy)) == (2, 1, 3)
    assert (tmp_path / "copy.csv").read_bytes() == (tmp_path / "table.csv").read_bytes()
    assert log.read_text().splitlines() == ["r-1 csv", "r-1 csv"]
    with pytest.raises(AttributeError):
        copy.title = "changed"


# Plots -------------------------------------------------------------------------------


@pytest.fixture
def no_show(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("plot must not call plt.show()")

    monkeypatch.setattr(plt, "show", refuse)


@pytest.mark.usefixtures("no_show")
def test_lines_over_time_with_gaps_for_suppressed_cells() -> None:
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    style = dict(mpl.rcParams)

    ax = _pct_table().plot()

    assert [line.get_label() for line in ax.lines] == ["A", "B"]
    first, second = ([float(y) for y in line.get_ydata()] for line in ax.lines)
    assert [first[0], first[2]] == [91.2, 95.5]  # released to 0.1 point (G17)
    assert math.isnan(first[1])
    assert second[:2] == [88.4, 90.0]
    assert math.isnan(second[2])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026-W11", "2026-W12", "2026-W13"]
    assert ax.get_ylabel() == "adherence [%]"
    assert ax.get_xlabel() == "iso week"
    assert ax.get_title() == "Schedule adherence"
    assert [t.get_text() for t in ax.texts] == ["gaps: suppressed cells"]
    assert dict(mpl.rcParams) == style
    plt.close(ax.figure)


def test_a_series_without_a_row_for_a_period_stays_aligned() -> None:
    import matplotlib.pyplot as plt

    table = ReleasedTable(
        pl.DataFrame(
            {
                "team": ["A", "A", "B"],
                "day": [dt.date(2026, 3, 9), dt.date(2026, 3, 10), dt.date(2026, 3, 10)],
                "meal_ms": [1_800_000, 2_700_000, 600_000],
                "status": ["released"] * 3,
            }
        ),
        keys=["team", "day"], values=["meal_ms"], metric="meal_ms", unit="ms", title="MEAL",
        release_id="r",
    )  # fmt: skip

    ax = table.plot()

    b = ax.lines[1]
    assert list(b.get_xdata()) == [dt.date(2026, 3, 9), dt.date(2026, 3, 10)]
    assert math.isnan(b.get_ydata()[0])
    assert b.get_ydata()[1] == 10.0  # minutes
    assert ax.get_ylabel() == "meal [min]"
    assert len(ax.texts) == 0  # nothing suppressed, no note
    plt.close(ax.figure)


@pytest.mark.usefixtures("no_show")
def test_bars_without_a_time_key_and_no_bar_for_a_suppressed_cell() -> None:
    import matplotlib.pyplot as plt

    _, given = plt.subplots()
    table = ReleasedTable(
        _released(_raw()).drop("iso_week"), keys=["team"], values=["meal_ms"], metric="meal_ms",
        unit="ms", title="Time in MEAL", release_id="r",
    )  # fmt: skip

    ax = table.plot(ax=given)

    assert ax is given
    heights = [bar.get_height() for bar in ax.patches]
    assert heights[0] == 90.0
    assert math.isnan(heights[1])
    assert heights[2] == pytest.approx(1_801_000 / 60_000)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B", "C"]
    assert ax.get_ylabel() == "meal [min]"
    assert "gaps: suppressed cells" in [t.get_text() for t in ax.texts]
    plt.close(ax.figure)


def test_plot_draws_the_chosen_numeric_value_column() -> None:
    import matplotlib.pyplot as plt

    table = ReleasedTable(
        pl.DataFrame({"group": ["all"], "breaches": [3], "flag": ["yes"], "status": ["released"]}),
        keys=["group"], values=["breaches", "flag"], metric="audit", unit="count", title="Audit",
        release_id="r",
    )  # fmt: skip

    ax = table.plot(value="breaches")

    assert [bar.get_height() for bar in ax.patches] == [3.0]
    assert ax.get_ylabel() == "breaches [count]"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="numeric"):
        table.plot(value="flag")
    with pytest.raises(ValueError, match="one of"):
        table.plot(value="meal_ms")
