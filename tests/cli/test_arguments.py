"""Every argument is checked before a data file is read; each failure is one line.

The status log and schedule here are not data at all: a check that read them would fail with
a parse error instead of the usage error the test expects, so passing these tests shows the
arguments were checked first. Only the roster is read, for a team lead's teams.
"""

from __future__ import annotations

import errno
import tomllib
from pathlib import Path

import pytest

from adherence._cli import checks
from adherence.cli import main

ROSTER = (
    "agent_id,team,site,valid_from\n"
    "ag1,Privat Harstad,Harstad,2026-01-01\n"
    "ag2,Faktura Harstad,Harstad,2026-01-01\n"
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ADHERENCE_KEY", "a command-line test key, long enough")
    monkeypatch.setenv("ADHERENCE_AUDIT_KEY", "a command-line audit key, long enough")
    data = tmp_path / "data"
    data.mkdir()
    (data / "status_log.csv").write_text("not a status log\n")
    (data / "schedule.csv").write_text("not a schedule\n")
    (data / "roster.csv").write_text(ROSTER)
    return data


def _report(folder: Path, *options: str) -> list[str]:
    tmp = folder.parent
    return ["report", "--data", str(folder), "--store", str(tmp / "a.db"),
            "--out", str(tmp / "r.html"), *options]  # fmt: skip


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    """Standard error, asserted to be exactly one line and no traceback; standard output empty."""
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.endswith("\n")
    assert "Traceback" not in captured.err
    return captured.err.removesuffix("\n")


def _nothing_written(folder: Path) -> None:
    assert not (folder.parent / "a.db").exists()
    assert not (folder.parent / "r.html").exists()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            ["--viewer", "steward:s", "--period", "2026-W60"],
            "adherence: error ADH-091: --period '2026-W60' is not a period. Hint: use an ISO "
            "week 2026-W11, a month 2026-03, a day 2026-03-09 or a range 2026-W10/2026-W12",
        ),
        (
            ["--viewer", "team_lead:tl-1"],
            "adherence: error ADH-091: a team lead must lead at least one team. Hint: name the "
            'team with --team "<team name>" (once per team) after --viewer',
        ),
        (
            ["--viewer", "tem_lead:tl-1", "--team", "Privat Harstad"],
            "adherence: error ADH-091: cannot read --viewer 'tem_lead:tl-1'. Hint: did you mean "
            "'team_lead'? write steward:ID, team_lead:ID (with --team), auditor:ID or "
            "employee:LOGIN",
        ),
        (
            ["--viewer", "steward:s", "--team", "Privat Harstad"],
            "adherence: error ADH-091: --team applies to a team lead, not to steward:s. Hint: "
            "leave out --team, or use --viewer team_lead:ID",
        ),
        (
            ["--viewer", "team_lead:tl-1", "--team", "Privat Harstad", "--team", "Privat Harstd"],
            "adherence: error ADH-091: --team 'Privat Harstd' is not a team of roster.csv. Hint: "
            "did you mean 'Privat Harstad'? the teams are: Faktura Harstad, Privat Harstad",
        ),
    ],
)
def test_report_arguments_are_usage_errors_before_the_data_is_read(
    folder: Path, capsys: pytest.CaptureFixture[str], options: list[str], expected: str
) -> None:
    code = main(_report(folder, *options))

    assert code == 2
    assert _error(capsys) == expected
    _nothing_written(folder)


def test_a_misspelled_team_in_teams_is_caught_too(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(_report(folder, "--viewer", "team_lead:t", "--teams", "Privat Harstad", "Faktura"))

    assert code == 2
    assert _error(capsys).startswith(
        "adherence: error ADH-091: --team 'Faktura' is not a team of roster.csv. Hint: did you "
        "mean 'Faktura Harstad'?"
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            ["--by", "tem"],
            "adherence: error ADH-091: --by 'tem' is not known. Hint: did you mean 'team'? "
            "group by some of: contract, day, employment_type, iso_week, month, site, skill, "
            "start_hour, team, work_location",
        ),
        (
            ["--by", "team", "team"],
            "adherence: error ADH-091: --by names a dimension twice. Hint: name each dimension "
            "once",
        ),
        (
            ["--period", "2026-02/2026-01"],
            "adherence: error ADH-091: --period '2026-02/2026-01' is not a period. Hint: use an "
            "ISO week 2026-W11, a month 2026-03, a day 2026-03-09 or a range 2026-W10/2026-W12",
        ),
    ],
)
def test_audit_arguments_are_usage_errors(
    folder: Path, capsys: pytest.CaptureFixture[str], options: list[str], expected: str
) -> None:
    code = main(["audit", "MEAL<=30:00", "--data", str(folder), "--store",
                 str(folder.parent / "a.db"), "--viewer", "auditor:u", *options])  # fmt: skip

    assert code == 2
    assert _error(capsys) == expected
    _nothing_written(folder)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            ["--metrics", "adherance_pct"],
            "adherence: error ADH-091: --metrics 'adherance_pct' is not known. Hint: did you "
            "mean 'adherence_pct'? the metrics are listed on the Metrics page of the "
            "documentation",
        ),
        (
            ["--metrics", "adherence_pct", "--days", "91"],
            "adherence: error ADH-091: --days 91 is not a validity. Hint: give --days from 1 to 90",
        ),
        (
            ["--metrics", "adherence_pct", "--periods", "2026-W11", "2026-13"],
            "adherence: error ADH-091: --periods '2026-13' is not a period. Hint: use an ISO "
            "week 2026-W11",
        ),
        (
            ["--metrics", "adherence_pct", "--to", "boss:b"],
            "adherence: error ADH-091: cannot read --to 'boss:b'. Hint: write steward:ID",
        ),
    ],
)
def test_shares_create_arguments_are_usage_errors(
    folder: Path, capsys: pytest.CaptureFixture[str], options: list[str], expected: str
) -> None:
    store = folder.parent / "a.db"
    store.write_bytes(b"")  # exists; never opened when an argument is wrong
    arguments = ["shares", "create", "--store", str(store), "--agent", "ag1",
                 "--to", "team_lead:tl-1", "--purpose", "development_plan",
                 "--periods", "2026-W11", *options]  # fmt: skip

    code = main(arguments)

    assert code == 2
    assert _error(capsys).startswith(expected)
    assert store.read_bytes() == b""


def test_a_short_key_is_a_usage_error(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADHERENCE_KEY", "short")

    code = main(_report(folder, "--viewer", "steward:s"))

    assert code == 2
    assert _error(capsys) == (
        "adherence: error ADH-091: $ADHERENCE_KEY is too short: 16 bytes at least. Hint: use a "
        "random key, e.g. the output of 'openssl rand -hex 32'"
    )
    _nothing_written(folder)


def test_validate_suggests_a_time_zone(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(folder / "status_log.csv"), "--time-zone", "Europe/Olso"])

    assert code == 2
    assert _error(capsys) == (
        "adherence: error ADH-091: --time-zone 'Europe/Olso' is not an IANA time zone. Hint: "
        "did you mean 'Europe/Oslo'? use a name such as Europe/Oslo"
    )


# Inputs that cannot be read: exit code 4.


@pytest.mark.parametrize(
    ("option", "make", "expected"),
    [
        ("--roster", None, "ADH-101: no file at {path}. Hint: check --roster"),
        ("--log", "folder", "ADH-103: {path} is a folder, not a file. Hint: give --log the path"),
        ("--data", None, "ADH-101: no folder at {path}. Hint: give --data a folder with"),
        ("--incidents", None, "ADH-101: no file at {path}. Hint: check --incidents"),
    ],
)
def test_an_input_that_cannot_be_read_exits_four(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    make: str | None,
    expected: str,
) -> None:
    path = folder.parent / "elsewhere"
    if make == "folder":
        path.mkdir()

    code = main([*_report(folder, "--viewer", "steward:s"), option, str(path)])

    assert code == 4
    assert _error(capsys).startswith("adherence: error " + expected.format(path=path))
    _nothing_written(folder)


def test_an_input_without_permission_exits_four(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Simulated: the tests may run as root, who may read anything.
    roster = folder / "roster.csv"
    opened = Path.open

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        if self == roster:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return opened(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", denied)

    code = main(_report(folder, "--viewer", "steward:s"))

    assert code == 4
    assert _error(capsys) == (
        f"adherence: error ADH-103: cannot read {roster}: permission denied. Hint: check --data "
        "and its permissions"
    )


def test_a_missing_store_exits_four(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = folder.parent / "none.db"

    code = main(["ledger", "verify", "--store", str(store)])

    assert code == 4
    assert _error(capsys) == (
        f"adherence: error ADH-101: no store at {store}. Hint: check --store; a store is made "
        "by 'adherence report' or 'adherence audit'"
    )
    assert not store.exists()


# Outputs that cannot be written: exit code 5, before anything is released.


def test_an_output_that_is_a_folder_exits_five(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = folder.parent / "r.html"
    out.mkdir()

    code = main(_report(folder, "--viewer", "steward:s"))

    assert code == 5
    assert _error(capsys) == (
        f"adherence: error ADH-104: cannot write {out}: it is a folder. Hint: give --out the "
        "path of a file"
    )
    assert not (folder.parent / "a.db").exists()


def test_an_output_in_a_missing_folder_exits_five(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = folder.parent / "no" / "r.html"

    code = main([*_report(folder, "--viewer", "steward:s"), "--out", str(out)])

    assert code == 5
    assert _error(capsys) == (
        f"adherence: error ADH-104: cannot write {out}: the folder {out.parent} does not exist. "
        "Hint: create the folder first, or choose another --out"
    )
    assert not (folder.parent / "a.db").exists()


@pytest.mark.parametrize(
    ("failure", "reason", "hint"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied"),
            "permission denied",
            "choose a writable place with --out",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device"),
            "the disk is full",
            "free some space or choose another place with --out",
        ),
    ],
)
def test_an_unwritable_output_exits_five_before_anything_is_released(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failure: OSError,
    reason: str,
    hint: str,
) -> None:
    # Simulated in the probe write (the tests may run as root, and no disk is full).
    def fails(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(checks.os, "fsync", fails)

    code = main(_report(folder, "--viewer", "steward:s"))

    assert code == 5
    out = folder.parent / "r.html"
    assert _error(capsys) == f"adherence: error ADH-104: cannot write {out}: {reason}. Hint: {hint}"
    _nothing_written(folder)


def test_a_demo_folder_that_is_a_file_exits_five(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.write_text("a file")

    code = main(["demo", "--out", str(out)])

    assert code == 5
    assert _error(capsys) == (
        f"adherence: error ADH-104: cannot write into {out}: it is a file. Hint: give --out a "
        "folder"
    )


# The rest of the command line.


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    expected = tomllib.loads(pyproject.read_text())["project"]["version"]

    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out == f"adherence {expected}\n"


def test_an_interrupt_is_one_line_and_exit_130(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("adherence.cli._validate", interrupted)

    code = main(["validate", str(folder / "roster.csv")])

    assert code == 130
    assert _error(capsys) == "adherence: interrupted"


def test_debug_shows_the_traceback(folder: Path) -> None:
    with pytest.raises(FileNotFoundError):  # SourceNotFoundError, raised as it is
        main(["validate", str(folder / "missing.csv"), "--debug"])


def test_an_existing_output_is_left_as_it_is_when_the_run_fails(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = folder.parent / "r.html"
    out.write_text("last week's report")

    code = main(_report(folder, "--viewer", "team_lead:t", "--team", "Privat Oslo"))

    assert code == 2
    assert _error(capsys).startswith("adherence: error ADH-091: --team 'Privat Oslo'")
    assert out.read_text() == "last week's report"
    assert sorted(p.name for p in folder.parent.iterdir()) == ["data", "r.html"]  # no probe left


def test_an_os_error_no_boundary_expected_is_still_one_line(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object) -> None:
        raise OSError(errno.EIO, "Input/output error", "/mnt/share/log.csv")

    monkeypatch.setattr("adherence.cli._validate", broken)

    code = main(["validate", str(folder / "roster.csv")])

    assert code == 4
    assert _error(capsys) == (
        "adherence: error ADH-103: cannot use /mnt/share/log.csv: Input/output error. Hint: "
        "check the paths given and their permissions"
    )
