from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from adherence.cli import AUDIT_KEY_VARIABLE, DEMO_AUDIT_KEY, main

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


def test_a_mostly_quarantined_file_exits_three_with_a_warning(tmp_path, capsys) -> None:
    # Two-digit years: 3 of 4 rows quarantined. The report is printed as usual.
    path = tmp_path / "log.csv"
    path.write_bytes(
        b"timestamp,agent_id,status\n"
        b"01.04.26 08:00,ag1,Ready\n01.04.26 08:30,ag1,Ready\n01.04.26 09:00,ag1,Log Off\n"
        b"2026-04-01 09:30:00,ag1,Ready\n"
    )
    assert main(["validate", str(path), "--json"]) == 3
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert (report["rows_quarantined"], report["quarantine_reasons"]) == (3, {"two_digit_year": 3})
    assert captured.err.startswith("adherence: warning: ")
    assert "3 of 4 rows quarantined" in captured.err
    # Naming the format reads the two-digit years; the last row then no longer fits it.
    assert main(["validate", str(path), "--json", "--timestamp-format", "%d.%m.%y %H:%M"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["rows_valid"], report["quarantine_reasons"]) == (3, {"unparseable_timestamp": 1})


def test_usage_errors_exit_two() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from adherence.synth import write_sample

    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, n_agents=30, weeks=1, formats=["csv"])
    return folder


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = "a command-line test key, long enough"
    monkeypatch.setenv("ADHERENCE_KEY", value)
    monkeypatch.setenv(AUDIT_KEY_VARIABLE, "a command-line audit key, long enough")
    return value


def test_demo_writes_the_report_and_the_audit_and_prints_the_folder(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--data", str(sample), "--out", str(tmp_path / "out")])

    out = capsys.readouterr().out
    assert code == 0
    assert out.strip().splitlines()[-1] == str(tmp_path / "out")
    assert "MEAL episode ≤ 30:00:" in out
    assert "login ≤ 2:00 late:" in out
    assert "Team report" in (tmp_path / "out" / "report.html").read_text()
    assert "Regel: MEAL episode ≤ 30:00" in (tmp_path / "out" / "fairness_summary.txt").read_text()
    assert '<html lang="nb">' in (tmp_path / "out" / "fairness_summary.html").read_text()


def test_report_writes_html_for_a_team_lead(
    sample: Path, tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    code = main(
        ["report", "--data", str(sample), "--store", str(tmp_path / "a.db"),
         "--viewer", "team_lead:tl-1", "--teams", "Privat Harstad", "Faktura Harstad", "--out", str(out)]
    )  # fmt: skip

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.strip() == str(out)
    assert "reading status_log.csv" in captured.err  # progress on standard error
    assert "Privat Harstad" in out.read_text()


def test_report_applies_an_incidents_file_and_names_it(
    sample: Path, tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    incidents = tmp_path / "incidents.csv"
    incidents.write_text(
        "site,team,start,end,reason\n,Privat Harstad,2026-03-09 09:00,2026-03-09 09:40,"
        "telephony outage\n"
    )
    out = tmp_path / "r.html"

    code = main(["report", "--data", str(sample), "--store", str(tmp_path / "a.db"),
                 "--viewer", "steward:s", "--incidents", str(incidents), "--out", str(out)])  # fmt: skip

    assert code == 0
    assert "1 incidents" in capsys.readouterr().err
    # Naive times are local (Oslo), and shown local.
    assert (
        "incident applied: telephony outage, 2026-03-09 09:00 to 2026-03-09 09:40 "
        "(team Privat Harstad)"
    ) in out.read_text()


def test_a_bad_incidents_file_is_one_line(
    sample: Path, tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("site,team,start,end,reason\nOslo,,2026-03-09 09:40,2026-03-09 09:00,x\n")

    code = main(["report", "--data", str(sample), "--store", str(tmp_path / "a.db"),
                 "--viewer", "steward:s", "--incidents", str(incidents),
                 "--out", str(tmp_path / "r.html")])  # fmt: skip

    assert code == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("adherence: error ADH-110")


def test_audit_prints_json_and_refusals_are_one_line(
    sample: Path, tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "a.db")
    common = ["--data", str(sample), "--store", store]

    ok = main(["audit", "login<=2:00", *common, "--viewer", "auditor:u", "--by", "site", "--json"])
    document = json.loads(capsys.readouterr().out)
    small = main(["audit", "MEAL<=30:00", *common, "--viewer", "team_lead:t",
                  "--teams", "Natt Oslo", "--by", "team"])  # fmt: skip
    refused = capsys.readouterr().err.strip().splitlines()[-1]
    bad = main(["audit", "lunch=30", *common, "--viewer", "auditor:u"])
    unreadable = capsys.readouterr().err.strip().splitlines()[-1]

    assert ok == 0
    assert document["rule"] == "login ≤ 2:00 late"
    assert {g["site"] for g in document["groups"]} == {"Harstad", "Oslo"}
    assert small == 1
    assert refused.startswith("adherence: error ADH-001")
    assert bad == 1
    assert "cannot read the rule" in unreadable


def test_audit_needs_the_steward_key(
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ADHERENCE_KEY", raising=False)

    code = main(["audit", "MEAL<=30:00", "--data", str(sample), "--store", str(tmp_path / "a.db"),
                 "--viewer", "auditor:u"])  # fmt: skip

    assert code == 1
    assert "ADHERENCE_KEY" in capsys.readouterr().err


def test_shares_create_list_revoke_and_import(
    sample: Path, tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(tmp_path / "a.db")]
    # A report loads the sample into the store: from then on it knows its agents.
    main(["report", "--data", str(sample), *store, "--viewer", "steward:s",
          "--out", str(tmp_path / "r.html")])  # fmt: skip
    login = pl.read_csv(sample / "roster.csv")["agent_id"][0]
    capsys.readouterr()
    created = main(["shares", "create", *store, "--agent", login, "--to", "team_lead:tl-1",
                    "--purpose", "development_plan", "--metrics", "adherence_pct",
                    "--periods", "2026-W11"])  # fmt: skip
    share_id = capsys.readouterr().out.strip()
    listed = main(["shares", "list", *store, "--viewer", f"employee:{login}"])
    listing = capsys.readouterr().out
    revoked = main(["shares", "revoke", share_id, *store, "--viewer", f"employee:{login}"])
    capsys.readouterr()
    register = tmp_path / "consents.csv"
    register.write_text(
        "agent,purpose,recipient,metrics,period,granted_at,expires_at,revoked_at\n"
        "raw-7,quality_feedback,tl-1,meal_ms,2026-W11,2026-03-01T00:00,2026-03-10T00:00,\n"
    )
    imported = main(["shares", "import", str(register), *store, "--viewer", "steward:s"])

    assert (created, listed, revoked, imported) == (0, 0, 0, 0)
    assert share_id in listing
    assert "valid" in listing
    assert capsys.readouterr().out.strip() == "1 shares in the register"


def test_shares_create_refuses_a_login_id_the_store_does_not_know(
    tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["shares", "create", "--store", str(tmp_path / "a.db"), "--agent", "ag0000",
                 "--to", "team_lead:tl-1", "--purpose", "development_plan",
                 "--metrics", "adherence_pct", "--periods", "2026-W11"])  # fmt: skip

    error = capsys.readouterr().err
    assert code == 1
    assert error.startswith("adherence: error ADH-150")
    assert "ag0000" not in error


def test_ledger_verify_exits_one_on_a_tampered_log_and_names_each_line(
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv(AUDIT_KEY_VARIABLE, raising=False)
    main(["demo", "--data", str(sample), "--out", str(tmp_path)])  # the demo key, unset
    capsys.readouterr()
    store = ["--store", str(tmp_path / "adherence.db")]
    monkeypatch.setenv(AUDIT_KEY_VARIABLE, DEMO_AUDIT_KEY)

    intact = main(["ledger", "verify", *store])
    intact_out = capsys.readouterr().out
    log = tmp_path / "adherence.audit.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join([lines[1], lines[0], *lines[2:]]))
    tampered = main(["ledger", "verify", *store])
    tampered_out = capsys.readouterr().out.splitlines()

    assert intact == 0
    assert intact_out.strip().endswith("intact")
    assert tampered == 1
    assert [line.split(":")[:2] for line in tampered_out[:6]] == [
        ["line 1", " chain"], ["line 1", " sequence"],
        ["line 2", " chain"], ["line 2", " sequence"],
        ["line 3", " chain"], ["line 3", " sequence"],
    ]  # fmt: skip
    assert "TAMPERED" in tampered_out[-1]


def test_ledger_verify_needs_the_audit_key_and_refuses_another(
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv(AUDIT_KEY_VARIABLE, raising=False)
    main(["demo", "--data", str(sample), "--out", str(tmp_path)])
    capsys.readouterr()
    store = ["--store", str(tmp_path / "adherence.db")]

    unset = main(["ledger", "verify", *store])
    unset_err = capsys.readouterr().err
    monkeypatch.setenv(AUDIT_KEY_VARIABLE, "not the key this store was written with")
    other = main(["ledger", "verify", *store])
    other_err = capsys.readouterr().err

    assert (unset, other) == (1, 1)
    assert AUDIT_KEY_VARIABLE in unset_err
    assert other_err.startswith("adherence: error ADH-042")


def test_demo_from_the_repository_uses_the_bundled_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)

    code = main(["demo", "--out", str(tmp_path)])

    assert code == 0
    assert "reading status_log.csv" in capsys.readouterr().err
    assert (tmp_path / "report.html").stat().st_size > 10_000
