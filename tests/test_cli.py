from __future__ import annotations

import json

import pytest

from adherence.cli import main

LOG = (
    b"timestamp,agent_id,agent_name,status\n"
    b"2026-04-01 08:00:00,ag1,Kari,Log On\n"
    b"2026-04-01 08:02:00,ag1,Kari,Ready\n"
    b"2026-04-01 08:02:00,ag1,Kari,Ready\n"
    b"2026-03-29 02:30:00,ag1,Kari,Ready\n"
    b"2026-04-01 09:00:00,ag1,Kari,Log Off\n"
)


def test_validate_json_reports_counts_and_exits_zero(tmp_path, capsys) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(LOG)
    assert main(["validate", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_in"] == 5
    assert report["rows_valid"] == 4
    assert report["rows_quarantined"] == 1
    assert report["quarantine_reasons"] == {"nonexistent_local_time": 1}
    assert report["repairs"] == {"duplicate": 1}
    assert report["agents"] == 1
    assert report["intervals"] == 2
    assert "Kari" not in json.dumps(report)


def test_validate_text_output_is_readable(tmp_path, capsys) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(LOG)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "nonexistent_local_time" in out
    assert "quarantined" in out


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("schedule", b"agent_id,start,end,activity\na,2026-04-01T08:00,2026-04-01T16:00,OPEN\n"),
        ("roster", b"agent_id,team,site,valid_from\na,T,S,2026-01-01\n"),
        ("iws_state_detail", b"agent,start,duration,status\na,2026-04-01T08:00,60,Ready\n"),
    ],
)
def test_validate_other_kinds(tmp_path, capsys, kind: str, content: bytes) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    assert main(["validate", str(path), "--kind", kind, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["kind"], report["rows_valid"]) == (kind, 1)


def test_unreadable_file_is_one_clear_line_and_exit_one(tmp_path, capsys) -> None:
    path = tmp_path / "nothing.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("adherence: error ADH-100:")
    assert "\n" not in err
    assert main(["validate", str(tmp_path / "missing.csv")]) == 1
    assert "ADH-101" in capsys.readouterr().err


def test_usage_errors_exit_two() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2


def test_demo_prints_team_figures_through_the_privacy_layer(tmp_path, capsys) -> None:
    from adherence.synth import write_sample

    write_sample(tmp_path / "data", n_agents=30, weeks=1, formats=["csv"])

    code = main(["demo", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out")])

    out = capsys.readouterr().out
    assert code == 0
    assert "schedule adherence" in out
    assert "Natt Oslo" in out  # the night team of four ...
    assert "suppressed" in out  # ... is suppressed
    assert "intact: True" in out
    assert (tmp_path / "out" / "adherence.db").is_file()
