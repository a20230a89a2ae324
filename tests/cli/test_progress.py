"""Progress shows on standard error only when it is a terminal, and never with --quiet."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from adherence._cli.progress import Phases
from adherence.cli import main

LOG = (
    "timestamp,agent_id,status\n"
    "2026-04-01 08:00:00,ag1,Log On\n"
    "2026-04-01 08:02:00,ag1,Ready\n"
    "2026-04-01 09:00:00,ag1,Log Off\n"
)


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(LOG)
    return path


def test_no_progress_when_standard_error_is_not_a_terminal(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", str(log), "--json"])

    captured = capsys.readouterr()
    assert code == 0
    assert captured.err == ""
    assert json.loads(captured.out)["rows_valid"] == 3


def test_progress_on_a_terminal_and_standard_output_stays_clean(
    log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    code = main(["validate", str(log), "--json"])

    shown = terminal.getvalue()
    assert code == 0
    assert "reading log.csv" in shown
    assert "✓" in shown  # the phase ended
    assert json.loads(capsys.readouterr().out)["rows_valid"] == 3  # nothing else on stdout


@pytest.mark.parametrize("argv", [["-q", "validate", "{log}"], ["validate", "{log}", "--quiet"]])
def test_quiet_turns_progress_off_before_or_after_the_command(
    log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    code = main([a.format(log=log) for a in argv])

    assert code == 0
    assert terminal.getvalue() == ""
    assert "rows in" in capsys.readouterr().out


def test_a_failed_phase_leaves_no_finished_mark() -> None:
    terminal = Terminal()
    phases = Phases(stream=terminal)

    with phases.phase("reading a.csv"):
        pass
    with pytest.raises(OSError, match="gone"), phases.phase("reading b.csv"):
        raise OSError("gone")
    phases.stop()

    shown = terminal.getvalue()
    assert "reading a.csv" in shown
    finished = [line for line in shown.splitlines() if "✓" in line]
    assert all("b.csv" not in line for line in finished)
