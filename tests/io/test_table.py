"""What analysts hold: encodings, line ends, broken quoting, long fields, tables in memory."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import KEY

import adherence as adh
from adherence.io import (
    MAX_FIELD_CHARS,
    read_iws,
    read_iws_state_detail,
    read_roster,
    read_schedule,
    scan_iws,
    scan_schedule,
)

# (local Oslo time on 2026-04-01, agent, name, status); summer time, UTC+2.
ROWS = [
    ("08:00:00", "ag1", "Kari Nordmann", "Ready"),
    ("08:10:00", "ag2", "Øyvind Ås", "Not Ready – Break"),
    ("08:20:00", "ag1", "Kari Nordmann", "Not Ready – Lunch"),
    ("08:30:00", "ag2", "Øyvind Ås", "Ready"),
]
# The same events as (UTC instant, state), in file order.
EXPECTED = [
    (datetime(2026, 4, 1, 6, 0, tzinfo=UTC), "READY"),
    (datetime(2026, 4, 1, 6, 10, tzinfo=UTC), "BREAK"),
    (datetime(2026, 4, 1, 6, 20, tzinfo=UTC), "MEAL"),
    (datetime(2026, 4, 1, 6, 30, tzinfo=UTC), "READY"),
]


def export(rows=ROWS, *, sep: str = ",", eol: str = "\n", quote_names: bool = False) -> str:
    lines = [sep.join(["timestamp", "agent_id", "agent_name", "status"])]
    for t, a, n, s in rows:
        name = f'"{n}"' if quote_names else n
        lines.append(sep.join([f"2026-04-01T{t}", a, name, s]))
    return eol.join(lines) + eol


def events(log: adh.Ingest) -> list[tuple]:
    return log.valid.sort("seq").select("ts", "state").rows()


def test_one_windows_1252_byte_does_not_turn_a_utf8_file_into_mojibake() -> None:
    # UTF-8 with en dashes, plus one row whose status holds a lone Windows-1252 "é" (0xE9).
    data = export().encode() + b"2026-04-01T08:40:00,ag3,X,Caf\xe9\n"
    log = read_iws(data, key=KEY)
    assert log.report.encoding == "utf-8"
    assert events(log) == EXPECTED
    assert log.quarantine.select("row", "column", "reason", "value").rows() == [
        (5, "status", "invalid_encoding", "Caf\ufffd")
    ]
    assert "read as utf-8" in str(log.report)
    assert log.report.to_dict()["encoding"] == "utf-8"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (export(sep=";", eol="\r\n").encode("cp1252"), "cp1252"),
        (export().encode("utf-8-sig"), "utf-8-sig"),
        # Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated.
        (export(sep="\t", eol="\r\n").encode("utf-16"), "utf-16"),
        # Excel for Mac: CR-only line ends.
        (export(eol="\r").encode(), "utf-8"),
        (export(sep=";", eol="\r").encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_and_line_ends_analysts_meet_read_the_same_events(
    data: bytes, encoding: str
) -> None:
    log = read_iws(data, key=KEY)
    assert log.report.encoding == encoding
    assert events(log) == EXPECTED
    assert log.report.rows_quarantined == 0


def test_cr_only_files_read_for_every_reader(tmp_path) -> None:
    plan = read_schedule(
        b"agent_id,start,end,activity\rag1,2026-04-01T08:00,2026-04-01T16:00,OPEN\r", key=KEY
    )
    assert plan.valid.select("start", "end").rows() == [
        (datetime(2026, 4, 1, 6, tzinfo=UTC), datetime(2026, 4, 1, 14, tzinfo=UTC))
    ]
    detail = read_iws_state_detail(
        b"start,duration,agent_id,status\r2026-04-01 08:00:00,90,a,Ready\r", key=KEY
    )
    assert detail.valid.select("start", "end").rows() == [
        (datetime(2026, 4, 1, 6, tzinfo=UTC), datetime(2026, 4, 1, 6, 1, 30, tzinfo=UTC))
    ]
    path = tmp_path / "roster.csv"
    path.write_bytes(b"agent_id,team,site,valid_from\rag1,T,S,2026-01-01\r")
    assert read_roster(path, key=KEY).report.rows_valid == 1
    lazy = scan_schedule(
        b"agent_id,start,end,activity\rag1,2026-04-01T08:00,2026-04-01T16:00,OPEN\r", key=KEY
    )
    assert lazy.valid.collect().height == 1


@pytest.mark.parametrize(
    "broken",
    [
        # A quote that opens a field and never closes: the fast parser fails on the file.
        '2026-04-01T08:40:00,ag3,"Kari,Ready',
        # One that opens here and is closed on the next line, which has text after a closing
        # quote: the fast parser would merge the two lines into one record.
        '2026-04-01T08:40:00,ag3,"Kari,Ready\n2026-04-01T08:45:00,ag3,"Ola"x,Ready',
    ],
)
def test_a_stray_quote_quarantines_its_rows_not_the_file(broken: str) -> None:
    clean = export(quote_names=True)
    head, *rest = clean.splitlines(keepends=True)
    data = (head + rest[0] + rest[1] + broken + "\n" + rest[2] + rest[3]).encode()
    log = read_iws(data, key=KEY)
    n_broken = broken.count("\n") + 1
    assert events(log) == EXPECTED
    assert log.quarantine["reason"].to_list() == ["malformed_row"] * n_broken
    assert log.quarantine["row"].to_list() == list(range(3, 3 + n_broken))
    assert log.quarantine["value"].to_list() == [None] * n_broken
    lazy = scan_iws(data, key=KEY)
    assert lazy.valid.collect().equals(log.valid)
    assert lazy.quarantine.collect().equals(log.quarantine)


def test_a_quote_inside_an_unquoted_field_is_text() -> None:
    data = export([("08:00:00", "ag1", 'Kari "K" Nordmann', "Ready")]).encode()
    log = read_iws(data, key=KEY)
    assert events(log) == EXPECTED[:1]


@pytest.mark.parametrize("duration", ["inf", "NaN", "-inf", "1e30", "99999999:00:00"])
def test_an_impossible_duration_quarantines_its_row(duration: str) -> None:
    csv = (
        "start,duration,agent_id,status\n"
        "2026-04-01 08:00:00,60,a,Ready\n"
        f"2026-04-01 08:01:00,{duration},a,Ready\n"
    ).encode()
    detail = read_iws_state_detail(csv, key=KEY)
    assert detail.report.rows_valid == 1
    assert detail.quarantine.select("row", "column", "reason", "value").rows() == [
        (2, "duration", "unparseable_duration", duration)
    ]


def test_a_huge_field_quarantines_its_row_and_keeps_only_a_prefix() -> None:
    huge = "Ready" + "x" * 5_000
    data = export([*ROWS, ("08:40:00", "ag3", "X", huge)]).encode()
    data += ("2026-04-01T08:50:00," + "a" * 2_000 + ",X,Ready\n").encode()
    log = read_iws(data, key=KEY)
    assert events(log) == EXPECTED
    assert log.quarantine.select("row", "column", "reason").rows() == [
        (5, "status", "field_too_long"),
        (6, "agent_id", "field_too_long"),
    ]
    assert log.quarantine["value"].to_list() == [huge[:100], None]
    assert MAX_FIELD_CHARS == 1_000


def test_the_report_lists_a_bounded_number_of_unmapped_statuses() -> None:
    rows = [(f"08:{m:02d}:00", "ag1", "X", f"Custom {m} " + "y" * 900) for m in range(60)]
    rows += [(f"09:{m:02d}:00", "ag1", "X", f"Other {m}") for m in range(60)]
    report = read_iws(export(rows).encode(), key=KEY).report
    shown = report.to_dict()
    assert len(report.unmapped_statuses) == 120
    assert len(shown["unmapped_statuses"]) == 100
    assert shown["unmapped_statuses_omitted"] == 20
    assert max(len(k) for k in shown["unmapped_statuses"]) == 100
    assert len(report.to_json()) < 20_000


def test_tables_in_memory_read_like_the_file() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pl.read_csv(export().encode(), infer_schema=False)
    from_csv = read_iws(export().encode(), key=KEY)
    for table in (frame, frame.lazy(), frame.to_pandas(), frame.to_arrow()):
        log = read_iws(table, key=KEY)
        assert log.valid.drop("source").equals(from_csv.valid.drop("source"))
    assert (
        read_iws(pandas.DataFrame(frame.to_dict(as_series=False)), key=KEY).report.rows_valid == 4
    )
    assert read_iws(frame, key=KEY).report.source == "<DataFrame>"
    with pytest.raises(adh.ParseError, match="cannot read a dict"):
        read_iws({"timestamp": []}, key=KEY)  # type: ignore[arg-type]


def test_excel_workbooks_read_like_the_file(tmp_path) -> None:
    pytest.importorskip("fastexcel")
    pytest.importorskip("xlsxwriter")
    path = tmp_path / "log.xlsx"
    pl.read_csv(export().encode(), infer_schema=False).write_excel(path)
    log = read_iws(path, key=KEY)
    assert events(log) == EXPECTED


def test_excel_without_the_extra_is_a_typed_error_with_a_hint(tmp_path, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "fastexcel" else real(name, *a),
    )
    path = tmp_path / "log.xlsx"
    path.write_bytes(b"not really a workbook")
    with pytest.raises(
        adh.OptionalDependencyError, match=r"Hint: pip install 'adherence\[excel\]'"
    ):
        read_iws(path, key=KEY)


def test_values_of_an_unexpected_type_quarantine_their_rows_in_the_lazy_api_too() -> None:
    # Integer timestamps are read as text ("1", "2"): unparseable, so quarantined; the lazy
    # frames collect without a polars error.
    frame = pl.DataFrame({"timestamp": [1, 2], "agent_id": [7, 8], "status": ["Ready"] * 2})
    lazy = scan_iws(frame, key=KEY)
    assert lazy.valid.collect().height == 0
    assert lazy.quarantine.collect().select("row", "reason", "value").rows() == [
        (1, "unparseable_timestamp", "1"),
        (2, "unparseable_timestamp", "2"),
    ]
    with pytest.warns(adh.MostlyQuarantinedWarning):
        assert lazy.collect().report.rows_quarantined == 2


def test_a_mostly_quarantined_file_warns() -> None:
    data = export().encode().replace(b"2026-04-01T", b"01.04.26 ")
    with pytest.warns(adh.MostlyQuarantinedWarning, match="4 of 4 rows quarantined"):
        log = read_iws(data, key=KEY)
    assert log.report.quarantine_reasons == {"two_digit_year": 4}


# Property: exports written with any line end, quoting and delimiter, with garbage cells in an
# ignored column and garbage rows mixed in, read into exactly the clean events.
GARBAGE = st.text(alphabet=st.sampled_from(list("\"';,\t x\\\r")), min_size=0, max_size=12).filter(
    lambda t: "\r" not in t
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    sep=st.sampled_from([",", ";", "\t"]),
    quote=st.booleans(),
    garbage=st.lists(GARBAGE, min_size=len(ROWS), max_size=len(ROWS)),
    junk_rows=st.lists(GARBAGE, max_size=4),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_generated_exports_read_into_the_clean_events(
    eol: str, sep: str, quote: bool, garbage: list[str], junk_rows: list[str], encoding: str
) -> None:
    rows = []
    for (t, a, _, s), cell in zip(ROWS, garbage, strict=True):
        # A garbage name cell, quoted (quotes doubled) so the row itself stays well formed.
        rows.append((t, a, '"' + cell.replace('"', '""') + '"' if quote else "x", s))
    lines = export(rows, sep=sep, eol=eol).splitlines(keepends=True)
    junk = [j.replace("\n", " ") + eol for j in junk_rows]
    data = "".join(lines + junk).encode(encoding)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", adh.MostlyQuarantinedWarning)
        log = read_iws(data, key=KEY)  # only typed errors may escape; none is expected here
    report = log.report
    assert report.rows_in == report.rows_valid + report.rows_quarantined
    assert report.rows_in == log.valid.height + log.quarantine.height
    assert events(log) == EXPECTED
    assert sorted(log.quarantine["row"]) == list(range(len(ROWS) + 1, report.rows_in + 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    durations=st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.integers(min_value=-(10**20), max_value=10**20).map(str),
            st.text(alphabet=st.sampled_from(list("0123456789:.-eE naif")), max_size=12),
        ),
        min_size=1,
        max_size=8,
    ),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_state_detail_durations_never_fail_the_file(durations: list[str], eol: str) -> None:
    lines = ["start,duration,agent_id,status"]
    lines += [f"2026-04-01 08:{i:02d}:00,{d},a,Ready" for i, d in enumerate(durations)]
    data = (eol.join(lines) + eol).encode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", adh.MostlyQuarantinedWarning)
        detail = read_iws_state_detail(data, key=KEY)
    report = detail.report
    assert report.rows_in == len(durations) == report.rows_valid + report.rows_quarantined
    assert set(detail.quarantine["reason"]) <= {
        "unparseable_duration",
        "invalid_interval",
        "missing_value",  # an empty duration and no end
    }
