"""The ``adherence`` command line.

``adherence demo [--data DIR] [--out DIR]``
    The main job on the bundled sample (``data/samples``, or a freshly generated copy of it):
    ingest, open a privacy workspace in ``--out``, write the team report and the fairness
    audit of "lunch ≤ 30:00" and "login ≤ 2:00 late", and end with what to open and try next.

``adherence report --store DB --viewer ROLE:ID [--team NAME ...] [--period P] --out FILE``
    The team-lead HTML report of the data (``--data DIR`` or ``--log/--schedule/--roster``;
    ``--incidents FILE``: a CSV of site or team outages whose time is neutral).

``adherence audit RULE --store DB --viewer ROLE:ID [--by DIM ...] [--period P] [--json]``
    The tolerance-fairness audit of one rule (``MEAL<=30:00``, ``MEAL/week<=2:30:00``,
    ``login<=2:00``, ``adherence>=90``): the verdict and the group table.

``adherence validate PATH [--kind iws|iws_state_detail|schedule|roster] [--json]
[--time-zone ZONE] [--timestamp-format FMT]``
    Read one file and print its ingest report: rows in, valid and quarantined (by reason),
    repairs (by kind), agents, and for status logs the number of state intervals.

``adherence shares {create,list,revoke,import} --store DB ...``
    Employee-initiated shares: create (as the employee), list, revoke, or import a consent
    register CSV (as the steward).

``adherence ledger verify --store DB``
    Check the audit log: every record's MAC, the chain and the head kept in the store; print
    each problem with its line.

Every argument is checked before any data file is read: periods, metrics, dimensions, rules,
viewers, keys, the paths read and written, and a team lead's teams against the roster (a
cheap read of the roster alone). A failure is one line on standard error (``--debug`` shows
the traceback), with a hint in command-line syntax and a stable exit code: 0 success
(quarantined rows are not a failure); 1 the data or the privacy layer refused or failed (a
privacy refusal, a file whose content cannot be read, a tampered audit log); 2 wrong usage;
3 ``validate`` read the file but quarantined more than half of its rows (likely a wrong
``--kind``, separator, time zone or timestamp format), reported as usual plus one line on
standard error; 4 an input cannot be read (missing, a folder, no permission); 5 an output
cannot be written (no permission, a folder in the way, a full disk) — checked before anything
is released; 130 interrupted.

While it works, each phase shows a spinner and its time on standard error when that is a
terminal (``--quiet`` turns it off); standard output holds only the result, for piping.

The pseudonymisation key comes from the environment variable ``ADHERENCE_KEY``. ``validate``
and ``demo`` use a random key without it (they show no agent ids and use a fresh store);
``report``, ``audit`` and ``shares import`` need it, because the ledger only protects people
across runs if their pseudonyms stay the same.

The audit key, which authenticates every audit record, comes from ``ADHERENCE_AUDIT_KEY``; the
steward keeps it apart from the store. Every command that opens a store needs it, except
``demo``, which without it uses a fixed demonstration key (never use it for real data).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import secrets
import shlex
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import polars as pl

from adherence._cli import checks
from adherence._cli.failures import Exit, exit_code, line, reading, writing
from adherence._cli.progress import Phases
from adherence._timeparse import parse_instants
from adherence.errors import (
    AdherenceError,
    ConfigurationError,
    MostlyQuarantinedWarning,
    OutputError,
    SourceNotFoundError,
    SourceUnreadableError,
    UsageError,
)
from adherence.ingest import Ingest
from adherence.intervals import from_events, from_state_detail
from adherence.io import read_iws, read_iws_state_detail, read_roster, read_schedule
from adherence.locale import Language, number
from adherence.privacy import Auditor, Employee, Steward, Viewer, Workspace
from adherence.privacy.policy import MAX_SHARE_EXPIRY
from adherence.report import DEFAULT_RULES, render_html
from adherence.summary import write_fairness_summary

__all__ = ["main"]

KEY_VARIABLE = "ADHERENCE_KEY"
#: ``validate`` read the file but quarantined more than half of its rows.
EXIT_MOSTLY_QUARANTINED = Exit.MOSTLY_QUARANTINED
AUDIT_KEY_VARIABLE = "ADHERENCE_AUDIT_KEY"
#: The audit key of ``adherence demo`` when none is set: fixed, so a demo folder can be reopened.
DEMO_AUDIT_KEY = "adherence demo audit key (not for real data)"
SAMPLE_FILES = ("status_log.csv", "schedule.csv", "roster.csv")
#: The language of what the command line prints for people to read.
LANGUAGE: Language = "en"


def _key() -> str:
    return os.environ.get(KEY_VARIABLE) or secrets.token_hex(32)


_QUIET = "show no progress on standard error (it shows only on a terminal anyway)"


class _Command(argparse.ArgumentParser):
    """A command's parser: it also takes ``--quiet`` and ``--debug`` after the command's name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # SUPPRESS: a command's default does not undo the option given before the command.
        self.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                          help=_QUIET)  # fmt: skip
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="show tracebacks on errors")  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adherence",
        description="Privacy-first contact-centre agent-state analytics.",
        epilog="Exit codes: 0 ok; 1 refused or failed (privacy refusal, unreadable content, "
        "tampered log); 2 usage; 3 validate quarantined more than half of the rows; "
        "4 an input cannot be read; 5 an output cannot be written; 130 interrupted. "
        f"The pseudonymisation key is read from ${KEY_VARIABLE}, the audit key from "
        f"${AUDIT_KEY_VARIABLE}.",
    )
    parser.add_argument("--version", action="version", version=f"adherence {version('adherence')}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("-q", "--quiet", action="store_true", help=_QUIET)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Command
    )

    validate = commands.add_parser(
        "validate",
        help="read one file and print its ingest report",
        description="Read one file and print its ingest report. Exits 0 when the file could "
        "be read, also if rows were quarantined; 3 when more than half of its rows were "
        "quarantined; 1 when it cannot be read.",
    )
    validate.add_argument(
        "path", type=Path, help="a CSV, Parquet or Excel file (Excel needs the excel extra)"
    )
    validate.add_argument(
        "--kind",
        choices=("iws", "iws_state_detail", "schedule", "roster"),
        default="iws",
        help="what the file holds (default: iws, an event-shaped status log)",
    )
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.add_argument(
        "--time-zone",
        default="Europe/Oslo",
        help="zone of naive local times (default: Europe/Oslo)",
    )
    validate.add_argument(
        "--timestamp-format",
        default=None,
        help="the one strftime format of every time, e.g. '%%d.%%m.%%y %%H:%%M' for two-digit "
        "years (default: the accepted formats; not for rosters)",
    )

    demo = commands.add_parser(
        "demo",
        help="run the main job on the bundled sample",
        description="Ingest the sample status log, schedule and roster, open a privacy "
        "workspace, write the team report and the fairness audit of lunch <= 30:00 and "
        "login <= 2:00 late, and print where they are.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the report, the audit, the ledger and the audit log "
        "(default: a new temporary folder)",
    )
    demo.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder with status_log.csv, schedule.csv, roster.csv "
        "(default: data/samples, else a generated copy)",
    )

    _add_workspace_commands(commands)
    _add_share_commands(commands)
    return parser


def _add_workspace_commands(commands: Any) -> None:
    """The report and audit commands, which read data into a workspace."""

    def data_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--store", type=Path, required=True, help="the ledger (SQLite)")
        command.add_argument(
            "--data", type=Path, default=None,
            help="folder with status_log.csv, schedule.csv and roster.csv (default: data/samples)",
        )  # fmt: skip
        command.add_argument("--log", type=Path, help="the status log (instead of --data)")
        command.add_argument("--schedule", type=Path, help="the schedule (instead of --data)")
        command.add_argument("--roster", type=Path, help="the roster (instead of --data)")
        command.add_argument(
            "--incidents", type=Path, default=None,
            help="a CSV of incidents (site or team, start, end, reason): neutral time",
        )  # fmt: skip
        command.add_argument("--period", default=None, help="e.g. 2026-W11, 2026-03, a/b")
        command.add_argument(
            "--viewer", required=True, help="who asks: steward:ID, team_lead:ID, auditor:ID"
        )
        command.add_argument(
            "--team", "--teams", dest="teams", action="extend", nargs="+", default=[],
            metavar="NAME", help="a team the team lead leads (repeat for more teams)",
        )  # fmt: skip

    report = commands.add_parser(
        "report",
        help="write the team-lead HTML report",
        description="Write the self-contained team-lead report (figures, tables, trend, "
        "fairness audit, methods, privacy note) for one viewer and period.",
    )
    data_options(report)
    report.add_argument("--out", type=Path, required=True, help="the HTML file to write")

    audit = commands.add_parser(
        "audit",
        help="audit one tolerance rule by group",
        description="The tolerance-fairness audit of one rule: breach rates by group, "
        "disparity, margins, system-induced share, a suggested tolerance and a verdict.",
    )
    audit.add_argument("rule", help="MEAL<=30:00, MEAL/week<=2:30:00, login<=2:00, adherence>=90")
    data_options(audit)
    audit.add_argument("--by", nargs="+", default=["employment_type"], help="public dimensions")
    audit.add_argument("--json", action="store_true", help="print the audit as JSON")


def _add_share_commands(commands: Any) -> None:
    """The shares and ledger commands, which work on the store alone."""
    shares = commands.add_parser("shares", help="create, list, revoke or import shares")
    share_commands = shares.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = share_commands.add_parser("create", help="share figures (as the employee)")
    create.add_argument("--store", type=Path, required=True)
    create.add_argument(
        "--agent", required=True, help="your own login id (resolved with $ADHERENCE_KEY)"
    )
    create.add_argument("--to", required=True, help="the recipient, e.g. team_lead:tl-17")
    create.add_argument(
        "--purpose", required=True, choices=("development_plan", "quality_feedback", "team_bonus")
    )
    create.add_argument("--metrics", nargs="+", required=True)
    create.add_argument("--periods", nargs="+", required=True)
    create.add_argument("--days", type=int, default=None, help="valid for (default 14, max 90)")
    listing = share_commands.add_parser("list", help="list the shares a viewer may see")
    listing.add_argument("--store", type=Path, required=True)
    listing.add_argument("--viewer", required=True)
    revoke = share_commands.add_parser("revoke", help="revoke a share")
    revoke.add_argument("share_id")
    revoke.add_argument("--store", type=Path, required=True)
    revoke.add_argument("--viewer", required=True, help="employee:LOGIN or steward:ID")
    register = share_commands.add_parser("import", help="import a consent register CSV")
    register.add_argument("path", type=Path)
    register.add_argument("--store", type=Path, required=True)
    register.add_argument("--viewer", required=True, help="steward:ID")
    register.add_argument(
        "--pseudonymous", action="store_true", help="the agent column already holds pseudonyms"
    )

    ledger = commands.add_parser("ledger", help="check the audit log")
    ledger_commands = ledger.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = ledger_commands.add_parser(
        "verify", help="verify the audit log's MACs, chain and head"
    )
    verify.add_argument("--store", type=Path, required=True)


def _validate(args: argparse.Namespace, phases: Phases) -> dict[str, Any]:
    checks.input_file(args.path, "PATH")
    if args.kind != "roster":
        checks.time_zone(args.time_zone)
    key, zone, fmt = _key(), args.time_zone, args.timestamp_format
    intervals: int | None = None
    repairs: Counter[str] = Counter()
    with phases.phase(f"reading {args.path.name}"), reading(args.path, "PATH"):
        if args.kind == "iws":
            ingest: Ingest = read_iws(args.path, key=key, time_zone=zone, timestamp_format=fmt)
            built = from_events(ingest.valid)
            intervals = built.intervals.height
            repairs.update(built.repairs)
        elif args.kind == "iws_state_detail":
            ingest = read_iws_state_detail(args.path, key=key, time_zone=zone, timestamp_format=fmt)
            built = from_state_detail(ingest.valid)
            intervals = built.intervals.height
            repairs.update(built.repairs)
        elif args.kind == "schedule":
            ingest = read_schedule(args.path, key=key, time_zone=zone, timestamp_format=fmt)
        else:
            ingest = read_roster(args.path, key=key)
    report = ingest.report.to_dict()
    repairs.update(report["repairs"])
    report["repairs"] = dict(sorted(repairs.items()))
    report["intervals"] = intervals
    return report


def _count(value: int, width: int) -> str:
    return number(value, LANGUAGE).rjust(width)


def _print_report(report: dict[str, Any]) -> None:
    print(f"{report['source']} ({report['kind']})")
    print(f"  rows in          {_count(report['rows_in'], 10)}")
    print(f"  valid            {_count(report['rows_valid'], 10)}")
    print(f"  quarantined      {_count(report['rows_quarantined'], 10)}")
    for reason, count in sorted(report["quarantine_reasons"].items()):
        print(f"    {reason:<28}{_count(count, 8)}")
    print(f"  agents           {_count(report['agents'], 10)}")
    if report["intervals"] is not None:
        print(f"  intervals        {_count(report['intervals'], 10)}")
    for kind, count in report["repairs"].items():
        print(f"  repaired {kind:<24}{_count(count, 8)}")
    for status, count in sorted(report["unmapped_statuses"].items()):
        rows = number(count, LANGUAGE)
        print(f"  unmapped status {status!r}: {rows} rows (extend the StatusMapping)")
    if report.get("unmapped_statuses_omitted"):
        more = number(report["unmapped_statuses_omitted"], LANGUAGE)
        print(f"  ... and {more} more unmapped statuses")


def _sample_folder(data: Path | None, phases: Phases) -> Path:
    if data is not None:
        checks.input_folder(data, "--data", SAMPLE_FILES)
        return data
    bundled = Path("data/samples")
    if all((bundled / name).is_file() for name in SAMPLE_FILES):
        return bundled
    from adherence.synth import write_sample

    folder = Path(tempfile.mkdtemp(prefix="adherence-sample-"))
    with phases.phase("generating the sample (no data/samples here)"):
        write_sample(folder, formats=("csv",))
    return folder


def _demo(args: argparse.Namespace, phases: Phases) -> None:
    out = args.out or Path(tempfile.mkdtemp(prefix="adherence-demo-"))
    checks.output_folder(out, "--out")
    folder = _sample_folder(args.data, phases)
    audit_key = os.environ.get(AUDIT_KEY_VARIABLE)
    if not audit_key:
        audit_key = DEMO_AUDIT_KEY
        phases.say(
            f"adherence: note: no ${AUDIT_KEY_VARIABLE}: the audit log uses the fixed "
            "demonstration key"
        )
    key = _key()
    people = _roster(folder / "roster.csv", key=key, phases=phases, option="--data")
    with writing(out, "--out"):
        workspace = Workspace.open(out / "adherence.db", audit_key=audit_key, key=key)
    _load(workspace, folder / "status_log.csv", folder / "schedule.csv", people, key=key,
          phases=phases)  # fmt: skip
    steward = Steward("demo")
    with phases.phase("privacy checks, writing report.html"), writing(out, "--out"):
        report = render_html(workspace, out / "report.html", viewer=steward)
    with phases.phase("privacy checks, auditing lunch and login"):
        audits = [
            workspace.audit_tolerance(rule, by=["employment_type"], viewer=Auditor("demo"))
            for rule in DEFAULT_RULES
        ]
    with writing(out, "--out"):
        summary_paths = write_fairness_summary(audits, out)  # the union summary (bokmål)
    verified = workspace.verify()  # raises when the log does not hold
    workspace.close()
    phases.stop()
    data = None if folder == Path("data/samples") else folder
    print(f"Wrote {out}; its audit log holds {verified.records} records, verified intact")
    _next_steps(report, summary_paths, data=data, team=_largest_team(people))


def _largest_team(people: Ingest) -> str:
    """The team with the most agents (the first by name among equals): the one to try."""
    largest = (
        people.valid.lazy()
        .drop_nulls("team")
        .group_by("team")
        .agg(pl.col("agent_id").n_unique().alias("agents"))
        .sort(["agents", "team"], descending=[True, False])
        .head(1)
        .collect()
    )
    return str(largest["team"][0]) if largest.height else "<team name>"


def _next_steps(report: Path, fairness: Sequence[Path], *, data: Path | None, team: str) -> None:
    """The demo's ending: what to open and what to try next."""
    data_option = "" if data is None else f" --data {shlex.quote(str(data))}"
    print(f"Open  {report}")
    names = ", ".join(path.name for path in fairness)
    print(f"Read  {names} beside it: is each rule fair to every group?")
    print(
        f"Try   adherence report{data_option} --viewer team_lead:tl-1 --team {shlex.quote(team)} "
        f"--store team.db --out team.html  (with ${KEY_VARIABLE} and ${AUDIT_KEY_VARIABLE} set)"
    )
    print("Run   the notebooks in notebooks/, e.g. jupyter lab notebooks/")


def _read_incidents(path: Path, *, time_zone: str) -> pl.DataFrame:
    """An incidents CSV (``site`` or ``team``, ``start``, ``end``, ``reason``) as a table.

    Times are read like the schedule's (naive ones are local in ``time_zone``); a fall-back
    time is read so that the window is the wider one. An unreadable time is left empty, and
    the workspace then refuses the table with a schema error naming the column.
    """
    frame = pl.read_csv(path, infer_schema=False)
    for optional in ("site", "team"):
        if optional not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(optional))
    for column, prefix in (("start", "_s"), ("end", "_e")):
        if column not in frame.columns:
            raise ConfigurationError(
                f"the incidents file has no {column!r} column",
                hint="its columns are site or team, start, end and reason",
            )
        frame = parse_instants(
            frame, column, time_zone=time_zone, dtype=pl.String(), prefix=prefix
        ).collect()
    blank = pl.col("site", "team").str.strip_chars().replace("", None)
    return frame.select(
        blank,
        pl.col("_s_early").alias("start"),
        pl.col("_e_late").alias("end"),
        pl.col("reason") if "reason" in frame.columns else pl.lit(None, pl.String).alias("reason"),
    )


def _roster(path: Path, *, key: str, phases: Phases, option: str) -> Ingest:
    """The roster, read first: it is small, and a team lead's teams are checked against it."""
    with phases.phase(f"reading {path.name}"), reading(path, option):
        return read_roster(path, key=key)


def _load(
    workspace: Workspace,
    log: Path,
    schedule: Path,
    people: Ingest,
    *,
    key: str,
    phases: Phases,
    incidents: Path | None = None,
) -> None:
    """Ingest the files into ``workspace`` (``people``, the roster, is read already)."""
    with phases.phase(f"reading {log.name}"), reading(log, "--log"):
        events = read_iws(log, key=key)
    valid, quarantined = events.report.rows_valid, events.report.rows_quarantined
    phases.note(f"{number(valid, LANGUAGE)} events valid, "
                f"{number(quarantined, LANGUAGE)} quarantined")  # fmt: skip
    with phases.phase(f"reading {schedule.name}"), reading(schedule, "--schedule"):
        plan = read_schedule(schedule, key=key)
    outages = None
    if incidents is not None:
        with reading(incidents, "--incidents"):
            outages = _read_incidents(incidents, time_zone=workspace.options.time_zone)
        phases.note(f"{number(outages.height, LANGUAGE)} incidents")
    with phases.phase("computing figures"):
        workspace.add(events, schedule=plan, roster=people, incidents=outages)


def _viewer(text: str, teams: Sequence[str] = (), *, option: str = "--viewer") -> Viewer:
    return checks.viewer(text, teams, option=option)


def _anyone(text: str, option: str) -> Viewer:
    """A viewer named as a recipient or a listing's owner (a team lead with any teams)."""
    return _viewer(text, ["(any)"] if text.startswith("team_lead:") else [], option=option)


def _required_key() -> str:
    return checks.env_key(
        KEY_VARIABLE,
        what="pseudonymisation key",
        why="the ledger protects people across runs only if their pseudonyms stay the same",
    )


def _audit_key() -> str:
    return checks.env_key(
        AUDIT_KEY_VARIABLE,
        what="audit key",
        why="the audit key authenticates the audit log; the steward keeps it apart from the store",
    )


def _workspace(args: argparse.Namespace, phases: Phases) -> Workspace:
    """Check the keys, the files and the teams; then open the store and read the data in."""
    key, audit_key = _required_key(), _audit_key()
    if args.data is not None:
        checks.input_folder(args.data, "--data", [
            name for option, name in zip(("log", "schedule", "roster"), SAMPLE_FILES, strict=True)
            if getattr(args, option) is None
        ])  # fmt: skip
    folder = args.data or Path("data/samples")
    files = [
        getattr(args, name) or folder / default
        for name, default in zip(("log", "schedule", "roster"), SAMPLE_FILES, strict=True)
    ]
    for name, path in zip(("log", "schedule", "roster"), files, strict=True):
        checks.input_file(path, f"--{name}" if getattr(args, name) else "--data")
    if args.incidents is not None:
        checks.input_file(args.incidents, "--incidents")
    checks.store(args.store, existing=False)
    people = _roster(files[2], key=key, phases=phases, option="--roster")
    checks.teams(args.teams, people.valid["team"].drop_nulls(), source=files[2])
    with writing(args.store, "--store"):
        workspace = Workspace.open(args.store, audit_key=audit_key, key=key)
    _load(workspace, files[0], files[1], people, key=key, phases=phases,
          incidents=args.incidents)  # fmt: skip
    return workspace


def _report(args: argparse.Namespace, phases: Phases) -> None:
    viewer = _viewer(args.viewer, args.teams)
    checks.period(args.period)
    checks.output_file(args.out, "--out")
    workspace = _workspace(args, phases)
    with phases.phase(f"privacy checks, writing {args.out.name}"), writing(args.out, "--out"):
        path = render_html(workspace, args.out, viewer=viewer, period=args.period)
    phases.stop()
    print(path)


def _audit(args: argparse.Namespace, phases: Phases) -> None:
    rule = checks.rule(args.rule)
    checks.dimensions(args.by)
    viewer = _viewer(args.viewer, args.teams)
    checks.period(args.period)
    workspace = _workspace(args, phases)
    with phases.phase(f"privacy checks, auditing {rule.name}"):
        audit = workspace.audit_tolerance(rule, by=args.by, period=args.period, viewer=viewer)
    phases.stop()
    if args.json:
        document = {
            "rule": rule.name,
            "verdict": audit.verdict,
            "p_value": audit.p_value,
            "suggested_limit": audit.suggested_limit,
            "groups": audit.groups.to_dicts(),
            "sensitivity": audit.sensitivity.to_dicts(),
        }
        print(json.dumps(document, indent=2, ensure_ascii=False, default=str))
    else:
        print(audit)


def _resolved(workspace: Workspace, viewer: Viewer) -> Viewer:
    """An ``employee:LOGIN`` viewer as the workspace knows them (by pseudonym)."""
    if isinstance(viewer, Employee):
        return workspace.employee(viewer.agent_id, key=_required_key())
    return viewer


def _check_shares(args: argparse.Namespace) -> None:
    """Check a shares command's arguments (before the store is opened)."""
    checks.store(args.store, existing=True)
    if args.action == "create":
        _anyone(args.to, "--to")
        checks.metrics(args.metrics)
        for period in args.periods:
            checks.period(period, "--periods")
        if args.days is not None and not 1 <= args.days <= MAX_SHARE_EXPIRY.days:
            raise UsageError(
                f"--days {args.days} is not a validity",
                hint=f"give --days from 1 to {MAX_SHARE_EXPIRY.days}",
            )
        _required_key()
    elif args.action == "list":
        _anyone(args.viewer, "--viewer")
    elif args.action == "revoke":
        _viewer(args.viewer)
    else:
        checks.input_file(args.path, "PATH")
        _viewer(args.viewer)
        if not args.pseudonymous:
            _required_key()


def _shares(args: argparse.Namespace, phases: Phases) -> None:
    _check_shares(args)
    workspace = Workspace.open(args.store, audit_key=_audit_key())
    if args.action == "create":
        me = workspace.employee(args.agent, key=_required_key())
        created = workspace.share(
            agent=me.agent_id,
            to=_anyone(args.to, "--to"),
            purpose=args.purpose,
            metrics=args.metrics,
            periods=args.periods,
            expires=None if args.days is None else timedelta(days=args.days),
            viewer=me,
        )
        print(created.id)
    elif args.action == "list":
        viewer = _resolved(workspace, _anyone(args.viewer, "--viewer"))
        for share in workspace.shares(viewer=viewer):
            state = "revoked" if share.revoked_at else "valid" if share.is_valid() else "expired"
            periods = ",".join(share.periods)
            print(
                f"{share.id}  {share.purpose:<17} to {share.recipient:<20} {periods:<16} "
                f"until {share.expires_at:%Y-%m-%d}  {state}"
            )
    elif args.action == "revoke":
        workspace.revoke_share(args.share_id, viewer=_resolved(workspace, _viewer(args.viewer)))
        print(f"revoked {args.share_id}")
    else:
        key = None if args.pseudonymous else _required_key()
        with reading(args.path, "PATH"):
            imported = workspace.import_consents(args.path, viewer=_viewer(args.viewer), key=key)
        print(f"{len(imported)} shares in the register")


def _ledger(args: argparse.Namespace, phases: Phases) -> int:
    checks.store(args.store, existing=True)
    audit_key = _audit_key()
    with phases.phase("verifying the audit log"):
        workspace = Workspace.open(args.store, audit_key=audit_key, read_only=True)
        result = workspace.verify()
    phases.stop()
    for problem in result.problems:
        where = f"line {problem.line}" if problem.line else "ledger"
        print(f"{where}: {problem.kind}: {problem.message}")
    print(f"{result.records} records; {'intact' if result.ok else 'TAMPERED'}")
    return Exit.OK if result.ok else Exit.FAILED


def _run(args: argparse.Namespace, phases: Phases) -> int:
    """Run the command; return its exit code (failures raise)."""
    if args.command == "validate":
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MostlyQuarantinedWarning)
            report = _validate(args, phases)
        phases.stop()
        if args.json:
            print(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            _print_report(report)
        mostly = [w for w in caught if issubclass(w.category, MostlyQuarantinedWarning)]
        for warning in mostly:
            print(f"adherence: warning: {warning.message}", file=sys.stderr)
        return EXIT_MOSTLY_QUARANTINED if mostly else Exit.OK
    if args.command == "ledger":
        return _ledger(args, phases)
    {"demo": _demo, "report": _report, "audit": _audit, "shares": _shares}[args.command](
        args, phases
    )
    return Exit.OK


def _os_error(err: OSError) -> AdherenceError:
    """An ``OSError`` no boundary turned into a typed error, as one."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return OutputError(f"cannot write {err.filename or 'a file'}: {err.strerror}",
                           hint="free some space or choose another output")  # fmt: skip
    if isinstance(err, FileNotFoundError):
        return SourceNotFoundError(f"no file at {err.filename}", hint="check the paths given")
    return SourceUnreadableError(f"cannot use {err.filename or 'a file'}: {err.strerror}",
                                 hint="check the paths given and their permissions")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    phases = Phases(enabled=False if args.quiet else None)
    try:
        try:
            return int(_run(args, phases))
        except AdherenceError:
            raise
        except OSError as err:
            raise _os_error(err) from err
    except AdherenceError as err:
        phases.stop()
        if args.debug:
            raise
        print(line(err, args.command), file=sys.stderr)
        return int(exit_code(err))
    except KeyboardInterrupt:
        phases.stop()
        print("adherence: interrupted", file=sys.stderr)
        return int(Exit.INTERRUPTED)
    finally:
        phases.stop()


if __name__ == "__main__":
    sys.exit(main())
