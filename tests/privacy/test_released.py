"""ReleasedTable holds released cells only, and logs every export first (G7)."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import polars as pl
import pytest

from adherence.privacy.released import ReleasedTable, format_value

SECRET = "zqx-raw-secret"


class Recorder:
    """A picklable recorder that remembers the exports (or refuses them)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail

    def __call__(self, release_id: str, export_format: str) -> None:
        if self.fail:
            raise PermissionError("log unavailable")
        self.calls.append((release_id, export_format))


def _table(recorder: Recorder | None = None) -> ReleasedTable:
    source = pl.DataFrame(
        {
            "team": ["A", "B", "C", SECRET],
            "iso_week": ["2026-W11"] * 4,
            "meal_ms": [5_400_000, None, 1_801_000, 424242],
            "status": ["released", "suppressed", "released", "released"],
            "agents": [6, None, 7, 1],
            "secret": [SECRET] * 4,
        }
    )
    released = source.filter(pl.col("team") != SECRET).drop("secret")
    return ReleasedTable(
        released, keys=["team", "iso_week"], values=["meal_ms"], metric="meal_ms", unit="ms",
        title="Time in MEAL", release_id="r-1", recorder=recorder,
    )  # fmt: skip


def test_nothing_but_the_released_cells_reaches_a_pickle_or_a_parquet_file(tmp_path: Path) -> None:
    table = _table()
    table.write_parquet(tmp_path / "t.parquet")

    for blob in (pickle.dumps(table), (tmp_path / "t.parquet").read_bytes()):
        assert SECRET.encode() not in blob
        assert b"424242" not in blob


def test_repr_formats_durations_and_marks_suppressed_cells() -> None:
    text = repr(_table())

    assert "1:30:00" in text
    assert "0:30:01" in text
    assert "suppressed" in text
    assert "not released to protect individuals" in text


def test_html_marks_suppressed_cells_and_escapes_text() -> None:
    html = _table()._repr_html_()

    assert '<td class="suppressed">' in html
    assert "<table>" in html


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [(12.25, "pct", "12.2"), (12.45, "pct", "12.4"), (12.35, "pct", "12.4"), (0.05, "pct", "0.0"), (3_723_400, "ms", "1:02:03"),
     (None, "pct", "suppressed"), (1500, "count", "1 500")],
)  # fmt: skip
def test_values_are_formatted_half_to_even(value: object, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown  # type: ignore[arg-type]


def test_every_export_is_recorded_before_it_happens(tmp_path: Path) -> None:
    recorder = Recorder()
    table = _table(recorder)

    table.to_polars()
    table.to_pandas()
    table.to_dicts()
    table.write_csv(tmp_path / "t.csv")
    table.write_parquet(tmp_path / "t.parquet")

    assert recorder.calls == [
        ("r-1", "polars"), ("r-1", "pandas"), ("r-1", "dicts"), ("r-1", "csv"), ("r-1", "parquet")
    ]  # fmt: skip


def test_a_refused_record_means_no_export(tmp_path: Path) -> None:
    table = _table(Recorder(fail=True))

    with pytest.raises(PermissionError):
        table.write_csv(tmp_path / "t.csv")

    assert not (tmp_path / "t.csv").exists()


def test_a_suppressed_cell_with_a_value_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="must be null"):
        ReleasedTable(
            pl.DataFrame({"team": ["A"], "meal_ms": [1], "status": ["suppressed"]}),
            keys=["team"], values=["meal_ms"], metric="meal_ms", unit="ms", title="t",
            release_id="r",
        )  # fmt: skip


def test_a_released_table_cannot_be_changed_and_pickles_whole() -> None:
    table = _table(Recorder())
    with pytest.raises(AttributeError):
        table._rows = ()  # type: ignore[misc]

    copy = pickle.loads(pickle.dumps(table))

    assert copy.to_dicts() == table.to_dicts()
    assert (copy.released_count, copy.suppressed_count) == (2, 1)


def test_the_plot_draws_released_cells_and_leaves_gaps_for_suppressed_ones() -> None:
    import matplotlib.pyplot as plt

    table = ReleasedTable(
        pl.DataFrame(
            {
                "day": ["2026-03-09", "2026-03-10", "2026-03-11"],
                "adherence_pct": [91.0, None, 95.5],
                "status": ["released", "suppressed", "released"],
            }
        ),
        keys=["day"], values=["adherence_pct"], metric="adherence_pct", unit="pct",
        title="Adherence", release_id="r",
    )  # fmt: skip

    ax = table.plot()

    y = list(ax.lines[0].get_ydata())
    assert y[0] == 91.0
    assert math.isnan(y[1])
    assert ax.get_ylabel() == "adherence_pct [%]"
    plt.close(ax.figure)
