"""A library error's hint, shown in command-line syntax; exit codes by kind of failure."""

from __future__ import annotations

import pytest

from adherence._cli.failures import Exit, exit_code, line
from adherence.errors import (
    AdherenceError,
    ConfigurationError,
    ConsentError,
    ForbiddenQueryError,
    KeyMismatchError,
    OutputError,
    ParseError,
    SmallGroupError,
    SourceNotFoundError,
    SourceUnreadableError,
    UsageError,
)
from adherence.privacy import TeamLead
from adherence.privacy.query import check_by


def test_a_team_lead_without_teams_gets_the_cli_option_not_python() -> None:
    with pytest.raises(ConfigurationError) as raised:
        TeamLead("tl-1", teams=[])  # the library's own message and hint

    shown = line(raised.value, "report")

    assert "teams=[" in str(raised.value)
    assert shown == (
        "adherence: error ADH-090: a team lead must lead at least one team. Hint: name the "
        'team with --team "<team name>"'
    )


def test_a_grouping_refusal_names_the_by_option() -> None:
    with pytest.raises(ForbiddenQueryError) as raised:
        check_by(["agent_id"])

    assert line(raised.value, "audit") == (
        "adherence: error ADH-003: reports group only by public dimensions. Hint: group with "
        "--by by public dimensions only"
    )


@pytest.mark.parametrize(
    ("hint", "shown"),
    [
        ("call add(log, schedule=..., roster=...)", "see 'adherence report --help'"),
        ("e.g. where={'skill': 'sales'}", "see 'adherence report --help'"),
        ("pass metrics=['adherence_pct']", "see 'adherence report --help'"),
        ("name it 'timestamp' (e.g. a week)", "name it 'timestamp' (e.g. a week)"),
    ],
)
def test_a_hint_in_python_syntax_is_not_shown(hint: str, shown: str) -> None:
    assert line(ParseError("the message", hint=hint), "report") == (
        f"adherence: error ADH-100: the message. Hint: {shown}"
    )


def test_a_refusal_keeps_its_rule_and_gets_cli_words() -> None:
    refusal = SmallGroupError("every cell has too few protected agents", remedy="widen it")

    assert line(refusal, "audit") == (
        "adherence: error ADH-001: every cell has too few protected agents. Hint: widen "
        "--period (e.g. --period 2026-03), group by fewer dimensions, or ask about more teams"
    )


@pytest.mark.parametrize(
    ("command", "hint"),
    [
        ("report", "set $ADHERENCE_KEY to the key the store was made with, or use a new --store"),
        ("demo", "give the demo a new --out folder (a demo's store keeps the key of its first "
         "run), or set $ADHERENCE_KEY to that key"),
    ],
)  # fmt: skip
def test_a_hint_names_the_options_of_its_command(command: str, hint: str) -> None:
    mismatch = KeyMismatchError("not the key the store is bound to", remedy="rotate_key(...)")

    assert line(mismatch, command) == (
        f"adherence: error ADH-043: not the key the store is bound to. Hint: {hint}"
    )


def test_revoking_an_unknown_share_points_to_the_listing() -> None:
    unknown = ConsentError("there is no such share", remedy="list shares with shares()")

    assert line(unknown, "shares") == (
        "adherence: error ADH-010: there is no such share. Hint: list the shares with "
        "'adherence shares list'"
    )


def test_a_message_over_lines_is_one_line() -> None:
    assert line(ParseError("row 3:\nbad\tvalue"), "validate") == (
        "adherence: error ADH-100: row 3: bad value"
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("x"), Exit.USAGE),
        (SourceNotFoundError("x"), Exit.INPUT),
        (SourceUnreadableError("x"), Exit.INPUT),
        (OutputError("x"), Exit.OUTPUT),
        (ParseError("x"), Exit.FAILED),
        (SmallGroupError("x", remedy="y"), Exit.FAILED),
    ],
)
def test_exit_codes(error: AdherenceError, code: Exit) -> None:
    assert exit_code(error) == code


def test_exit_codes_are_stable() -> None:
    assert {e.name: int(e) for e in Exit} == {
        "OK": 0, "FAILED": 1, "USAGE": 2, "MOSTLY_QUARANTINED": 3, "INPUT": 4, "OUTPUT": 5,
        "INTERRUPTED": 130,
    }  # fmt: skip
