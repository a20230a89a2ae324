from __future__ import annotations

import warnings
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import KEY

import adherence as adh
from adherence.io import read_iws, read_iws_state_detail, scan_iws
from adherence.schemas import Quarantine, StatusEvent, validate

ROWS = [
    # (local naive time, agent, name, status, reason)
    ("2026-04-01 07:58:10", "ag1", "Kari Nordmann", "Log On", ""),
    ("2026-04-01 08:01:00", "ag1", "Kari Nordmann", "Ready", ""),
    ("2026-04-01 08:03:00", "ag2", "Øyvind Ås", "Log On", ""),
    ("2026-04-01 09:30:00", "ag1", "Kari Nordmann", "Not Ready - Break", ""),
    ("2026-04-01 09:45:00", "ag1", "Kari Nordmann", "Ready", ""),
    ("2026-04-01 11:00:00", "ag2", "Øyvind Ås", "Not Ready - Lunch", ""),
    ("2026-04-01 11:31:12", "ag2", "Øyvind Ås", "Ready", ""),
    ("2026-04-01 12:00:00", "ag2", "Øyvind Ås", "Not Ready", "Tillitsvalgt"),
]


def comma_utf8(rows=ROWS) -> bytes:
    lines = ["timestamp,agent_id,agent_name,status,reason"]
    lines += [f"{t.replace(' ', 'T')},{a},{n},{s},{r}" for t, a, n, s, r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def semicolon_norwegian(rows=ROWS, encoding: str = "cp1252", bom: bool = False) -> bytes:
    lines = ["tidspunkt;ansattnr;navn;tilstand;årsak;"]
    for t, a, n, s, r in rows:
        day = datetime.strptime(t, "%Y-%m-%d %H:%M:%S").strftime("%d.%m.%Y %H:%M:%S")
        lines.append(f'{day};{a};"{n}";"{s.replace("-", "–")}";{r};')
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def test_comma_utf8_and_semicolon_cp1252_en_dash_give_identical_events() -> None:
    plain = read_iws(comma_utf8(), key=KEY)
    cp1252 = read_iws(semicolon_norwegian(), key=KEY)
    bom = read_iws(semicolon_norwegian(encoding="utf-8", bom=True), key=KEY)
    assert b"\x96" in semicolon_norwegian()  # the en dash in Windows-1252
    assert plain.report.rows_valid == len(ROWS)
    assert plain.valid.drop("source").equals(cp1252.valid.drop("source"))
    assert plain.valid.drop("source").equals(bom.valid.drop("source"))
    assert cp1252.valid.filter(pl.col("seq") == 4)["status"].item() == "Not Ready - Break"


def test_output_validates_and_holds_no_raw_id_or_name() -> None:
    log = read_iws(semicolon_norwegian(), key=KEY)
    validate(log.valid, StatusEvent)
    validate(log.quarantine, Quarantine)
    text = log.valid.write_csv() + log.quarantine.write_csv()
    for raw in ("ag1", "ag2", "Kari", "Nordmann", "Øyvind"):
        assert raw not in text
    assert set(log.valid.columns) == set(StatusEvent.to_schema().columns)


def test_times_are_utc_milliseconds_from_local_oslo_time() -> None:
    log = read_iws(comma_utf8(), key=KEY)
    # 2026-04-01 is summer time (UTC+2): 07:58:10 local is 05:58:10 UTC.
    first = log.valid.filter(pl.col("seq") == 1)["ts"].item()
    assert first == datetime(2026, 4, 1, 5, 58, 10, tzinfo=UTC)
    assert log.valid.schema["ts"] == pl.Datetime("ms", "UTC")


def test_offsets_are_exact_whatever_the_zone() -> None:
    csv = b"ts,agent,state\n2026-04-01T08:00:00+02:00,a,Ready\n2026-04-01T06:00:00Z,b,Ready\n"
    log = read_iws(csv, key=KEY, time_zone="America/New_York")
    assert set(log.valid["ts"]) == {datetime(2026, 4, 1, 6, tzinfo=UTC)}


def test_spring_forward_gap_time_is_quarantined() -> None:
    csv = b"timestamp,agent_id,status\n2026-03-29 01:59:00,a,Ready\n2026-03-29 02:30:00,a,Log Off\n"
    log = read_iws(csv, key=KEY)
    assert log.quarantine.select("row", "column", "reason", "value").rows() == [
        (2, "timestamp", "nonexistent_local_time", "2026-03-29 02:30:00")
    ]
    assert log.report.rows_in == 2
    assert log.report.rows_valid == 1


def test_fall_back_time_resolved_by_the_agents_own_order() -> None:
    csv = (
        b"timestamp,agent_id,status\n"
        b"2026-10-25 02:40:00,a,Ready\n"  # before the repeat: CEST, 00:40 UTC
        b"2026-10-25 02:10:00,a,Not Ready - Break\n"  # after it: CET, 01:10 UTC
        b"2026-10-25 02:20:00,b,Ready\n"  # alone between nothing: both readings fit
    )
    log = read_iws(csv, key=KEY)
    assert sorted(log.valid["ts"].to_list()) == [
        datetime(2026, 10, 25, 0, 40, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 10, tzinfo=UTC),
    ]
    assert log.quarantine.select("row", "reason").rows() == [(3, "ambiguous_local_time")]
    assert log.report.repairs == {"ambiguous_time_resolved": 2}


def test_bad_rows_are_quarantined_with_reasons_and_counts_reconcile() -> None:
    csv = (
        b"timestamp,agent_id,status,reason\n"
        b"2026-04-01 08:00:00,a,Ready,\n"
        b"not a time,a,Ready,\n"
        b",a,Ready,\n"
        b"2026-04-01 08:05:00,,Ready,\n"
        b"2026-04-01 08:06:00,a,,\n"
        b"2026-04-01 08:07:00,a,Ikke klar - Annet,\n"
    )
    with pytest.warns(adh.MostlyQuarantinedWarning, match="4 of 6 rows"):
        log = read_iws(csv, key=KEY)
    assert log.quarantine.select("row", "column", "reason", "value").rows() == [
        (2, "timestamp", "unparseable_timestamp", "not a time"),
        (3, "timestamp", "missing_value", None),
        (4, "agent_id", "missing_value", None),
        (5, "status", "missing_value", None),
    ]
    report = log.report
    assert (report.rows_in, report.rows_valid, report.rows_quarantined) == (6, 2, 4)
    assert report.quarantine_reasons == {"missing_value": 3, "unparseable_timestamp": 1}
    assert report.unmapped_statuses == {"Ikke klar - Annet": 1}
    assert report.repairs == {"unmapped_status": 1}


def test_scan_is_lazy_and_collects_to_the_same_result() -> None:
    lazy = scan_iws(comma_utf8(), key=KEY)
    assert isinstance(lazy.valid, pl.LazyFrame)
    assert lazy.collect().valid.equals(read_iws(comma_utf8(), key=KEY).valid)


def test_parquet_with_aware_timestamps(tmp_path) -> None:
    frame = pl.DataFrame(
        {
            "timestamp": [datetime(2026, 4, 1, 6, tzinfo=UTC)],
            "agent_id": ["ag1"],
            "agent_name": ["Kari"],
            "status": ["Ready"],
        },
        schema_overrides={"timestamp": pl.Datetime("ms", "UTC")},
    )
    path = tmp_path / "log.parquet"
    frame.write_parquet(path)
    log = read_iws(path, key=KEY)
    assert log.valid["ts"].to_list() == [datetime(2026, 4, 1, 6, tzinfo=UTC)]
    assert log.valid["source"].to_list() == ["log.parquet"]


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", adh.ParseError, "header"),
        (b"when,who\n1,2\n", adh.ParseError, "required column"),
    ],
)
def test_unreadable_files_raise_typed_errors(data: bytes, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        read_iws(data, key=KEY)


def test_missing_file_and_unknown_zone_raise_typed_errors(tmp_path) -> None:
    with pytest.raises(adh.SourceNotFoundError):
        read_iws(tmp_path / "nope.csv", key=KEY)
    with pytest.raises(adh.TimeZoneError):
        read_iws(comma_utf8(), key=KEY, time_zone="Europe/Atlantis")


FIELD = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(FIELD, min_size=0, max_size=6), min_size=1, max_size=12),
    keep=st.lists(st.integers(min_value=0, max_value=len(ROWS) - 1), max_size=8),
    separator=st.sampled_from([",", ";"]),
)
def test_garbage_rows_never_raise_untyped_errors_and_counts_reconcile(
    rows: list[list[str]], keep: list[int], separator: str
) -> None:
    good = [ROWS[i] for i in keep]
    lines = [separator.join(["timestamp", "agent_id", "agent_name", "status", "reason"])]
    lines += [separator.join(r) for r in good]
    lines += [separator.join(r) for r in rows]
    data = "\n".join(lines).encode("utf-8")
    # Garbage rows are quarantined, never raised: no error at all may escape.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", adh.MostlyQuarantinedWarning)
        log = read_iws(data, key=KEY)
    assert log.report.rows_in == log.report.rows_valid + log.report.rows_quarantined
    assert log.report.rows_in == log.valid.height + log.quarantine.height
    assert log.quarantine["row"].is_unique().all()
    assert not set(log.valid["seq"]) & set(log.quarantine["row"])


def test_rows_with_bad_utf8_are_quarantined_and_the_file_stays_utf8(tmp_path) -> None:
    # A UTF-8 file (en dashes) with a broken byte sequence far past the first MiB, and one cut
    # off at the very end: the file is still read as UTF-8, and only those two rows are
    # quarantined (invalid_encoding), the agent id's text never shown.
    good = "2026-03-02 08:00:00,ag1,Not Ready – Break\n".encode() * 40_000
    bad = b"2026-03-02 09:00:00,ag\xff2,Ready\n2026-03-02 09:01:00,ag3,Not Ready \xe2\x80"
    path = tmp_path / "log.csv"
    path.write_bytes(b"timestamp,agent_id,status\n" + good + bad)
    log = read_iws(path, key=KEY)
    assert (log.report.rows_in, log.report.rows_valid) == (40_002, 40_000)
    assert log.report.encoding == "utf-8"
    assert log.quarantine.select("row", "column", "reason", "value").rows() == [
        (40_001, "agent_id", "invalid_encoding", None),
        (40_002, "status", "invalid_encoding", "Not Ready \ufffd"),
    ]
    assert log.valid["state"].unique().to_list() == ["BREAK"]


def test_state_detail_fall_back_ends_follow_the_agents_order() -> None:
    # 2026-10-25 in Oslo: 02:40–02:10 can only be 02:40 CEST (00:40Z) to 02:10 CET (01:10Z);
    # a lone 01:00–02:00 (an end of 00:00Z or 01:00Z) is quarantined, not read as the earlier.
    csv = (
        b"agent_id,start,end,status\n"
        b"a,2026-10-25 02:40:00,2026-10-25 02:10:00,Ready\n"
        b"b,2026-10-25 01:00:00,2026-10-25 02:00:00,Ready\n"
    )
    detail = read_iws_state_detail(csv, key=KEY)
    assert detail.valid.select("start", "end").rows() == [
        (datetime(2026, 10, 25, 0, 40, tzinfo=UTC), datetime(2026, 10, 25, 1, 10, tzinfo=UTC))
    ]
    assert detail.quarantine.select("row", "column", "reason").rows() == [
        (2, "end", "ambiguous_local_time")
    ]
    assert detail.report.repairs == {"ambiguous_time_resolved": 2}
