"""End to end: generated exports in every variant read into the same canonical tables."""

from __future__ import annotations

from datetime import date

import pytest
from tests.conftest import KEY

from adherence.intervals import from_events
from adherence.io import read_iws, read_schedule
from adherence.synth import generate, write_iws_csv, write_parquet, write_schedule_csv


@pytest.fixture(scope="module")
def both_dst_weeks():
    # Two weeks around each 2026 DST night; the night team works both nights.
    return [
        generate(n_agents=12, start=date(2026, 3, 23), weeks=1, seed=7),
        generate(n_agents=12, start=date(2026, 10, 19), weeks=1, seed=7),
    ]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_comma_utf8_and_norwegian_semicolon_variants_give_identical_events(
    tmp_path, both_dst_weeks, encoding: str
) -> None:
    for i, data in enumerate(both_dst_weeks):
        plain = write_iws_csv(data, tmp_path / f"plain{i}.csv", variant="iws")
        norwegian = write_iws_csv(
            data,
            tmp_path / f"no{i}.csv",
            variant="no",
            encoding=encoding,  # type: ignore[arg-type]
        )
        raw = norwegian.read_bytes()
        assert b";" in raw
        assert b"\r\n" in raw
        assert "–".encode(encoding.replace("-sig", "")) in raw  # the en dash
        a = read_iws(plain, key=KEY)
        b = read_iws(norwegian, key=KEY)
        assert a.report.rows_in == b.report.rows_in == data.events.height
        assert a.valid.drop("source").equals(b.valid.drop("source"))
        assert a.quarantine.drop("source", "value").equals(b.quarantine.drop("source", "value"))


def test_csv_with_local_times_and_parquet_with_utc_instants_agree(tmp_path, both_dst_weeks) -> None:
    for i, data in enumerate(both_dst_weeks):
        folder = tmp_path / str(i)
        folder.mkdir()
        csv = read_iws(write_iws_csv(data, folder / "log.csv"), key=KEY)
        parquet = read_iws(write_parquet(data, folder), key=KEY)
        # Every naive local time is read back to its true instant, fall-back hour included.
        assert csv.report.rows_quarantined == 0
        assert csv.valid.drop("source").equals(parquet.valid.drop("source"))
        if i == 1:  # the fall-back week: the night team's 02:00-03:00 happens twice
            assert csv.report.repairs["ambiguous_time_resolved"] > 10
        schedule = read_schedule(write_schedule_csv(data, folder), key=KEY)
        assert schedule.report.rows_quarantined == 0
        built = from_events(csv.valid, schedule=schedule.valid)
        assert built.intervals.height > 0
