from __future__ import annotations

import json
import shlex
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


def test_demo_ends_with_what_to_open_and_try_and_the_try_line_runs(
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ADHERENCE_KEY", raising=False)
    monkeypatch.setenv(AUDIT_KEY_VARIABLE, "a command-line audit key, long enough")
    out = tmp_path / "out"

    code = main(["demo", "--data", str(sample), "--out", str(out)])

    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert code == 0
    assert captured.err == ""  # no progress without a terminal
    assert lines[0].startswith(f"Wrote {out}; its audit log holds ")
    assert lines[0].endswith(" records, verified intact")
    lines = lines[1:]
    assert [text[:6] for text in lines] == ["Open  ", "Read  ", "Try   ", "Run   "]
    assert lines[0] == f"Open  {out / 'report.html'}"
    assert lines[1] == (
        "Read  fairness_summary.html, fairness_summary.txt beside it: "
        "is each rule fair to every group?"
    )
    assert lines[2] == (
        f"Try   adherence report --data {sample} --viewer team_lead:tl-1 --team 'Privat Harstad' "
        "--store team.db --out team.html  (with $ADHERENCE_KEY and $ADHERENCE_AUDIT_KEY set)"
    )
    assert lines[3] == "Run   the notebooks in notebooks/, e.g. jupyter lab notebooks/"
    assert "Team report" in (out / "report.html").read_text()
    assert "Regel: MEAL episode ≤ 30:00" in (out / "fairness_summary.txt").read_text()
    assert '<html lang="nb">' in (out / "fairness_summary.html").read_text()
    # The command the demo suggests works as printed, once the keys are set.
    monkeypatch.setenv("ADHERENCE_KEY", "a command-line test key, long enough")
    monkeypatch.chdir(tmp_path)
    suggested = shlex.split(lines[2].removeprefix("Try   ").partition("  (")[0])
    assert main(suggested[1:]) == 0
    assert "Privat Harstad" in (tmp_path / "team.html").read_text()


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
    assert captured.err == ""  # standard error is no terminal here: no progress
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

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("adherence: error ADH-110")
    assert err.count("\n") == 1


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_full_disk_while_writing_is_one_line_and_exit_five(
    sample: Path, tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # /dev/full takes the file open and fails each write with "no space left on device".
    code = main(["report", "--data", str(sample), "--store", str(tmp_path / "a.db"),
                 "--viewer", "steward:s", "--out", "/dev/full"])  # fmt: skip

    captured = capsys.readouterr()
    assert code == 5
    assert captured.out == ""
    assert captured.err == (
        "adherence: error ADH-104: cannot write /dev/full: the disk is full. Hint: free some "
        "space or choose another place with --out\n"
    )


def test_audit_prints_json_and_refusals_are_one_line(
    sample: Path, tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "a.db")
    common = ["--data", str(sample), "--store", store]

    ok = main(["audit", "login<=2:00", *common, "--viewer", "auditor:u", "--by", "site", "--json"])
    document = json.loads(capsys.readouterr().out)
    small = main(["audit", "MEAL<=30:00", *common, "--viewer", "team_lead:t",
                  "--teams", "Natt Oslo", "--by", "team"])  # fmt: skip
    refused = capsys.readouterr().err
    bad = main(["audit", "lunch=30", *common, "--viewer", "auditor:u"])
    unreadable = capsys.readouterr().err

    assert ok == 0
    assert document["rule"] == "login ≤ 2:00 late"
    assert {g["site"] for g in document["groups"]} == {"Harstad", "Oslo"}
    assert small == 1
    assert refused == (
        "adherence: error ADH-001: every cell has too few protected agents to be released. "
        "Hint: widen --period (e.g. --period 2026-03), group by fewer dimensions, or ask about "
        "more teams\n"
    )
    assert bad == 2
    assert unreadable.startswith("adherence: error ADH-091: cannot read the rule 'lunch=30'")
    assert unreadable.count("\n") == 1


def test_audit_needs_the_steward_key(
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ADHERENCE_KEY", raising=False)

    code = main(["audit", "MEAL<=30:00", "--data", str(sample), "--store", str(tmp_path / "a.db"),
                 "--viewer", "auditor:u"])  # fmt: skip

    assert code == 2
    assert capsys.readouterr().err == (
        "adherence: error ADH-091: set $ADHERENCE_KEY to the steward's pseudonymisation key. "
        "Hint: the ledger protects people across runs only if their pseudonyms stay the same\n"
    )


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


def test_shares_refuse_a_login_id_or_a_share_the_store_does_not_know(
    sample: Path, tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(tmp_path / "a.db")]
    main(["report", "--data", str(sample), *store, "--viewer", "steward:s",
          "--out", str(tmp_path / "r.html")])  # fmt: skip
    capsys.readouterr()

    code = main(["shares", "create", *store, "--agent", "ag0000",
                 "--to", "team_lead:tl-1", "--purpose", "development_plan",
                 "--metrics", "adherence_pct", "--periods", "2026-W11"])  # fmt: skip

    error = capsys.readouterr().err
    assert code == 1
    assert error == (
        "adherence: error ADH-150: no agent of this workspace has that login id. Hint: check "
        "the login id (--agent, or --viewer employee:LOGIN), and that $ADHERENCE_KEY is the key "
        "the data was read with\n"
    )
    revoked = main(["shares", "revoke", "no-such-share", *store, "--viewer", "steward:s"])
    assert revoked == 1
    assert capsys.readouterr().err == (
        "adherence: error ADH-010: there is no such share. Hint: list the shares with "
        "'adherence shares list'\n"
    )


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

    assert (unset, other) == (2, 1)
    assert AUDIT_KEY_VARIABLE in unset_err
    assert other_err.startswith("adherence: error ADH-042")


def test_demo_from_the_repository_uses_the_bundled_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)

    code = main(["demo", "--out", str(tmp_path)])

    assert code == 0
    assert "reading" not in capsys.readouterr().err
    assert (tmp_path / "report.html").stat().st_size > 10_000
