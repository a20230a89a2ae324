"""The team-lead report: one self-contained HTML file of released figures.

``render_html`` asks a ``Workspace`` for everything it shows, as the given viewer, so every
number in the file went through the privacy layer and is in the ledger and the audit log.
The file has no external assets: figures are embedded PNG images, styles are inline.

Sections: headline figures; per-team tables with suppressed cells marked and a legend; the
trend of adherence; the fairness audit of the configured rules; the methods (definitions and
every option in force); and a privacy note.

Examples
--------
>>> import tempfile, pathlib
>>> import adherence as adh
>>> sample = adh.synth.load_sample(key="the steward's key", n_agents=30, weeks=1)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> ws = adh.Workspace.open(folder / "adherence.db", audit_key="the steward's audit key")
>>> ws.add(sample.log, schedule=sample.schedule, roster=sample.roster)
>>> path = render_html(ws, folder / "report.html", viewer=adh.Steward("wfm"))
>>> "Schedule adherence" in path.read_text()
True
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from adherence.errors import PrivacyError
from adherence.format import LEGEND, format_value
from adherence.privacy.query import Period, parse_period
from adherence.rules import LoginGrace, PauseLimit, Rule

if TYPE_CHECKING:
    from adherence.fairness import FairnessAudit
    from adherence.privacy.viewers import Viewer
    from adherence.privacy.workspace import Workspace

__all__ = ["DEFAULT_RULES", "HEADLINE", "render_html"]

#: The rules the report audits unless told otherwise.
DEFAULT_RULES: tuple[Rule, ...] = (
    PauseLimit("MEAL", timedelta(minutes=30)),
    LoginGrace(timedelta(minutes=2)),
)
#: The headline figures, by metric name.
HEADLINE = ("adherence_pct", "conformance_pct", "occupancy_pct", "shrinkage_pct")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #555; margin-top: 0; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 0.8rem 1.2rem; min-width: 10rem; }
.card .value { font-size: 1.8rem; font-weight: 600; } .card .label { color: #555; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f3f3f3; } td.suppressed { background: #eee; color: #777; font-style: italic; }
.legend { border-left: 4px solid #999; padding-left: 0.8rem; color: #444; }
.withheld { color: #8a4b00; } .verdict { font-size: 1.05rem; }
img { max-width: 100%; }
"""


def _png(draw: Callable[..., object]) -> str:
    """A figure drawn by ``draw`` as an embedded PNG ``<img>``."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    try:
        draw(ax=ax)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
    finally:
        plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def _withheld(err: PrivacyError) -> str:
    return f'<p class="withheld">Withheld ({html.escape(err.code)}): {html.escape(str(err))}</p>'


def _headline(ws: Workspace, viewer: Viewer, period: Period) -> str:
    cards = []
    for metric in HEADLINE:
        try:
            table = ws.report(metric, period=period, viewer=viewer)
        except PrivacyError:
            shown = "withheld"
        else:
            row = table._frame().row(0, named=True)  # drawing, not exporting
            shown = (
                format_value(row[metric], "pct") if row["status"] == "released" else "suppressed"
            )
        label = metric.removesuffix("_pct").replace("_", " ")
        cards.append(
            f'<div class="card"><div class="value" data-metric="{metric}">{shown}'
            f'{" %" if shown[0].isdigit() else ""}</div><div class="label">{label}</div></div>'
        )
    return f'<section><h2>Headline figures</h2><div class="cards">{"".join(cards)}</div></section>'


def _teams(ws: Workspace, viewer: Viewer, period: Period, target: float) -> str:
    from adherence.plot import plot_adherence_over_time

    parts = ["<section><h2>Teams</h2>"]
    try:
        weekly = ws.report("adherence_pct", by=["team", "iso_week"], period=period, viewer=viewer)
    except PrivacyError as err:
        parts.append(_withheld(err))
    else:
        parts.append(weekly._repr_html_())
        parts.append("<h3>Trend</h3>")
        parts.append(_png(partial(plot_adherence_over_time, weekly, target=target)))
    for metric in ("conformance_pct", "login_to_ready_mean_ms", "meal_ms"):
        try:
            parts.append(ws.report(metric, by=["team"], period=period, viewer=viewer)._repr_html_())
        except PrivacyError as err:
            parts.append(_withheld(err))
    parts.append(f'<p class="legend" id="legend">{html.escape(LEGEND)}.</p></section>')
    return "".join(parts)


def _audits(ws: Workspace, viewer: Viewer, period: Period, rules: Sequence[Rule]) -> str:
    from adherence.plot import plot_breach_margins, plot_login_to_ready, plot_sensitivity

    parts = ["<section><h2>Fairness of the tolerance rules</h2>"]
    for rule in rules:
        parts.append(f"<h3>{html.escape(rule.name)}</h3>")
        try:
            audit: FairnessAudit = ws.audit_tolerance(
                rule, by=["employment_type"], period=period, viewer=viewer
            )
        except PrivacyError as err:
            parts.append(_withheld(err))
            continue
        parts.append(f'<p class="verdict">{html.escape(audit.verdict)}</p>')
        parts.append(audit.groups._repr_html_())
        parts.append(_png(partial(plot_sensitivity, audit)))
        if rule.measure_unit == "ms":
            parts.append(_png(partial(plot_breach_margins, audit)))
        if isinstance(rule, LoginGrace):
            parts.append(_png(partial(plot_login_to_ready, audit)))
    parts.append("</section>")
    return "".join(parts)


def _methods(ws: Workspace) -> str:
    options = "".join(
        f"<tr><td>{f.name}</td><td>{html.escape(str(getattr(ws.options, f.name)))}</td></tr>"
        for f in dataclasses.fields(ws.options)
    )
    return (
        "<section><h2>Methods</h2>"
        "<p>All time is computed in UTC milliseconds on half-open intervals. <b>Schedule "
        "adherence</b> is the share of counted scheduled time in which the agent's state was "
        "allowed for the scheduled activity; team figures are time-weighted sums, never means "
        "of agent percentages. <b>Conformance</b> is productive time in the shift window over "
        "scheduled on-queue time. <b>Occupancy</b> is contact and after-contact time over "
        "available time. <b>Shrinkage</b> is scheduled time not spent productive. Lateness is "
        "the first productive instant after the first counted activity starts; login to Ready "
        "is the time from the first event of a shift to the first productive state.</p>"
        f"<h3>Options in force</h3><table><tr><th>option</th><th>value</th></tr>{options}</table>"
        f"{_incidents(ws)}</section>"
    )


def _incidents(ws: Workspace) -> str:
    """The incidents applied (reason, window, where), if any."""
    if not ws.incidents:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in ws.incidents)
    return (
        "<h3>Incidents</h3><p>Scheduled time inside these windows is neutral for everyone "
        f"scheduled there: out of the adherence denominator and never charged.</p><ul>{items}</ul>"
    )


def _privacy(ws: Workspace) -> str:
    k = ws.policy.min_group_size
    return (
        '<section><h2 id="privacy">Privacy</h2>'
        f"<p>Every figure in this report covers at least {k} people. A cell with fewer, or one "
        "that together with figures released earlier could reveal a smaller group or one "
        "person, is shown as <i>suppressed</i>; all suppressions look alike. Medians need at "
        f"least {ws.policy.min_quantile_agents} people. No individual figure is in this "
        "report.</p><p>Each employee can see all of their own figures, can share chosen "
        "figures with one person for their development plan or quality feedback (and revoke "
        "the share at any time), and can list every record in the audit log that concerns "
        f"them — including who saw what. Policy {ws.policy.hash[:12]}.</p></section>"
    )


def render_html(
    workspace: Workspace,
    path: str | Path,
    *,
    viewer: Viewer,
    period: Period = None,
    rules: Sequence[Rule] = DEFAULT_RULES,
    target: float = 90.0,
) -> Path:
    """Write the team-lead report for ``viewer`` and ``period`` to ``path``.

    Parameters
    ----------
    workspace
        Where every figure comes from (and is logged).
    path
        The HTML file to write.
    viewer
        Who the report is for; a team lead's report covers their teams.
    period
        As for ``Workspace.report`` (default: all data).
    rules
        The tolerance rules to audit (default: lunch ≤ 30:00 and login ≤ 2:00 late).
    target
        The adherence target drawn on the trend [%].

    Returns
    -------
    Path
        The file written. A section the privacy layer refuses says so, with the rule.
    """
    first, last = parse_period(period)
    span = "all data" if period is None else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    who = html.escape(f"{viewer.role.replace('_', ' ')} {viewer.id}")
    body = "".join(
        (
            f"<h1>Team report</h1><p class='meta'>For {who}; {span}; made "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.</p>",
            _headline(workspace, viewer, period),
            _teams(workspace, viewer, period, target),
            _audits(workspace, viewer, period, rules),
            _methods(workspace),
            _privacy(workspace),
        )
    )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Team report</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    target_path = Path(path)
    target_path.write_text(page, encoding="utf-8")
    return target_path
