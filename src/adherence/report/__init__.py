"""The team-lead report: one self-contained HTML file of released figures.

``render_html`` asks a ``Workspace`` for everything it shows, as the given viewer, so every
number in the file went through the privacy layer and is in the ledger and the audit log. A
request the privacy layer refuses becomes a short note in its section; the rest of the report
is still written.

The page is built from a Jinja2 template (autoescaped) with tables from great_tables and charts
as inline SVG from matplotlib (text kept as text); numbers, dates and times are formatted for
the reader's language by ``adherence.locale`` (bokmål or English). The file has no external
assets and no scripts, fits a 1,280 px wide screen and prints on A4 landscape.

Sections: the period (dates with shifts) and the population (teams and agents in the figures);
headline figures with the change against the previous period of equal length and red / amber /
green against ``Targets``; a team × ISO-week grid of adherence, one block per site, with the
sites and the whole centre for comparison; small multiples of the weekly trend per site with
the best and weakest teams highlighted; conformance and planned / unplanned shrinkage by week;
adherence by local half hour; minutes out of adherence by kind and by scheduled activity per
team; the fairness audit of the tolerance rules; the methods (every option in force) and the
privacy note. A suppressed figure is shown as ``•`` everywhere, explained once at the top.

Examples
--------
>>> import tempfile, pathlib
>>> import adherence as adh
>>> sample = adh.synth.load_sample(key="the steward's key", n_agents=30, weeks=1)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> ws = adh.Workspace.open(folder / "adherence.db", audit_key="the steward's audit key")
>>> ws.add(sample.log, schedule=sample.schedule, roster=sample.roster)
>>> path = render_html(ws, folder / "report.html", viewer=adh.Steward("wfm"), language="nb")
>>> page = path.read_text()
>>> "Planetterlevelse per team og uke" in page, "<svg" in page, "https://" in page
(True, True, False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import polars as pl

from adherence.errors import ConfigurationError
from adherence.locale import (
    Language,
    change,
    check_language,
    days,
    moment,
    number,
    percent,
)
from adherence.report import _charts, _gather, _tables
from adherence.report._gather import HEADLINE, Asked, Withheld
from adherence.report._text import SUPPRESSED_MARK, Words, words
from adherence.rules import LoginGrace, PauseLimit, Rule

if TYPE_CHECKING:
    from pathlib import Path

    from adherence.fairness import FairnessAudit
    from adherence.privacy.query import Period
    from adherence.privacy.viewers import Viewer
    from adherence.privacy.workspace import Workspace

__all__ = ["DEFAULT_RULES", "HEADLINE", "Targets", "render_html"]

#: The rules the report audits unless told otherwise.
DEFAULT_RULES: tuple[Rule, ...] = (
    PauseLimit("MEAL", timedelta(minutes=30)),
    LoginGrace(timedelta(minutes=2)),
)
#: Up to this many teams, every site's block of the grid is open; above it, closed.
OPEN_TEAMS = 24
#: Up to this many teams, minutes out of adherence by kind and by activity are per team;
#: above it, per site (see ``_minutes``).
TEAM_MINUTES = 12
#: How many of the best and of the weakest teams a site's trend panel highlights.
HIGHLIGHT = 2
_PERIOD = "__period"


@dataclass(frozen=True)
class Targets:
    """What the report's red / amber / green colours compare against [%].

    A figure on the right side of its target is green; one within ``amber_points``
    percentage points on the wrong side is amber; anything further off is red. Adherence and
    conformance should be at least their targets, shrinkage at most its target. Minutes out
    of adherence have no target (their change is shown).

    Parameters
    ----------
    adherence_pct
        Schedule adherence target (default 90).
    conformance_pct
        Conformance target (default 95).
    shrinkage_pct
        Highest acceptable shrinkage (default 35).
    amber_points
        Width of the amber band in percentage points (default 5).

    Examples
    --------
    >>> Targets(adherence_pct=92).amber_points
    5.0
    >>> Targets(amber_points=0)
    Traceback (most recent call last):
    ...
    adherence.errors.ConfigurationError: amber_points must be a number in (0, 100]; got 0. Hint: ...
    """

    adherence_pct: float = 90.0
    conformance_pct: float = 95.0
    shrinkage_pct: float = 35.0
    amber_points: float = 5.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            low_open = field.name == "amber_points"
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (0 < value <= 100 if low_open else 0 <= value <= 100)
            ):
                bounds = "(0, 100]" if low_open else "[0, 100]"
                raise ConfigurationError(
                    f"{field.name} must be a number in {bounds}; got {value!r}",
                    hint="targets are percentages, e.g. Targets(adherence_pct=92)",
                )
            object.__setattr__(self, field.name, float(value))

    def rag(self, metric: str) -> Callable[[pl.Expr], pl.Expr] | None:
        """``green`` / ``amber`` / ``red`` of a column of ``metric`` (``None``: no target).

        A missing figure (null or NaN) has no colour.
        """
        band = self.amber_points
        if metric in ("adherence_pct", "conformance_pct"):
            target = getattr(self, metric)
            return lambda x: (
                pl.when(x.is_null() | x.is_nan())
                .then(pl.lit(None, pl.String))
                .when(x >= target)
                .then(pl.lit("green"))
                .when(x >= target - band)
                .then(pl.lit("amber"))
                .otherwise(pl.lit("red"))
            )
        if metric == "shrinkage_pct":
            target = self.shrinkage_pct
            return lambda x: (
                pl.when(x.is_null() | x.is_nan())
                .then(pl.lit(None, pl.String))
                .when(x <= target)
                .then(pl.lit("green"))
                .when(x <= target + band)
                .then(pl.lit("amber"))
                .otherwise(pl.lit("red"))
            )
        return None


def _rag_of(targets: Targets, metric: str, value: float | None) -> str | None:
    """The colour of one headline figure (the same rule as the grid's cells)."""
    rule = targets.rag(metric)
    if rule is None or value is None:
        return None
    return str(pl.select(rule(pl.lit(value, pl.Float64))).item())


class _Page:
    """Formats and words of one report in one language."""

    def __init__(self, language: Language, workspace: Workspace, targets: Targets) -> None:
        self.language = language
        self.words: Words = words(language)
        self.workspace = workspace
        self.targets = targets
        self.k = workspace.policy.min_group_size
        self._ids = 0

    def pct(self, value: float) -> str:
        return percent(value, self.language)

    def target(self, value: float) -> str:
        """A target as set: ``90 %`` rather than ``90.0 %``."""
        return percent(value, self.language, digits=0 if value.is_integer() else 1)

    def minutes(self, ms: float) -> str:
        return number(ms / 60_000, self.language)

    def withheld(self, refused: Withheld) -> str:
        reason = self.words.get(refused.code, self.words["other_refusal"])
        return self.words["withheld"].format(code=refused.code, reason=reason)

    def table_id(self, name: str) -> str:
        self._ids += 1
        return f"adh-{name}-{self._ids}"

    def week_labels(self, weeks: Sequence[str]) -> dict[str, str]:
        labels = {w: w.partition("-W")[2].lstrip("0") for w in weeks}
        labels[_PERIOD] = self.words["whole_period"]
        return labels

    def spanner(self, weeks: Sequence[str]) -> str:
        years = sorted({w.partition("-W")[0] for w in weeks})
        return f"{self.words['week']} ({'–'.join(dict.fromkeys([years[0], years[-1]]))})"


def _headline(asked: Asked, page: _Page, previous: tuple[date, date] | None) -> dict[str, Any]:
    current = _gather.headline(asked)
    if isinstance(current, Withheld):
        return {"withheld": page.withheld(current), "cards": []}
    before: dict[str, float | None] | Withheld | None = None
    if previous is not None:
        before = _gather.headline(dataclasses.replace(asked, period=previous))
    t = page.targets
    cards = []
    for metric in HEADLINE:
        value = current[metric]
        is_ms = metric.endswith("_ms")
        shown = SUPPRESSED_MARK if value is None else (
            page.minutes(value) if is_ms else page.pct(value)
        )  # fmt: skip
        old = None if before is None or isinstance(before, Withheld) else before[metric]
        if value is not None and old is not None:
            delta = (value - old) / 60_000 if is_ms else value - old
            moved = change(delta, page.language, digits=0 if is_ms else 1,
                           unit="min" if is_ms else "pp")  # fmt: skip
            moved = f"{moved} {page.words['vs_previous'].format(n=_length(previous))}"
        else:
            moved = page.words["no_previous"] if previous is not None else ""
        target = getattr(t, metric, None)
        rag = _rag_of(t, metric, value)
        cards.append(
            {
                "metric": metric,
                "label": page.words[metric],
                "value": shown,
                "change": moved,
                "rag": rag,
                "rag_text": page.words[rag] if rag else "",
                "target": (
                    f"{page.words['target']} {page.target(target)}"
                    if target is not None
                    else page.words["no_target"]
                ),
            }
        )
    return {"withheld": None, "cards": cards}


def _length(span: tuple[date, date] | None) -> int:
    return 0 if span is None else (span[1] - span[0]).days + 1


def _grid(asked: Asked, page: _Page) -> dict[str, Any]:
    """The team × week grid per site, the sites and the centre, and the trend charts."""
    metric = "adherence_pct"
    frames = asked.many(
        [
            (metric, ["site", "team", "iso_week"]),
            (metric, ["site", "team"]),
            (metric, ["site", "iso_week"]),
            (metric, ["site"]),
            (metric, ["iso_week"]),
            (metric, []),
        ]
    )
    if isinstance(frames, Withheld):
        return {"withheld": page.withheld(frames), "population": None}
    team_week, team_all, site_week, site_all, centre_week, centre_all = frames
    weeks = sorted(set(centre_week["iso_week"].to_list()) | set(team_week["iso_week"]))
    columns = [*weeks, _PERIOD]
    labels = page.week_labels(weeks)
    whole = pl.lit(_PERIOD).alias("iso_week")
    centre_name = page.words["centre"]
    teams = pl.concat([team_week, team_all.with_columns(whole)], how="diagonal")
    overview = pl.concat(
        [
            site_week,
            site_all.with_columns(whole),
            centre_week.with_columns(pl.lit(centre_name).alias("site")),
            centre_all.with_columns(whole, pl.lit(centre_name).alias("site")),
        ],
        how="diagonal",
    )
    draw = partial(
        _tables.grid,
        x="iso_week",
        xs=columns,
        labels=labels,
        value=metric,
        show=page.pct,
        rag=page.targets.rag(metric),
        spanner=page.spanner(weeks),
    )
    sites_table = draw(
        overview, rows="site", stub=page.words["site"], table_id=page.table_id("sites")
    )
    site_names = sorted(teams["site"].unique().to_list())
    n_teams = teams["team"].n_unique()
    blocks = []
    for site in site_names:
        mine = teams.filter(pl.col("site") == site)
        blocks.append(
            {
                "title": page.words["teams_in"].format(site=site, n=mine["team"].n_unique()),
                "open": n_teams <= OPEN_TEAMS,
                "html": draw(
                    mine, rows="team", stub=page.words["team"], table_id=page.table_id("teams")
                ),
            }
        )
    ranks = _ranks(team_all, metric, site_names)
    tick_labels = [labels[w] for w in weeks]
    trend = _charts.lines_by_site(
        team_week, site_week, ranks, x="iso_week", xs=weeks, tick_labels=tick_labels,
        value=metric, target=page.targets.adherence_pct, language=page.language,
        label=page.words["trend"],
    )  # fmt: skip
    return {
        "withheld": None,
        "sites": sites_table,
        "blocks": blocks,
        "trend": trend,
        "population": _gather.population(centre_all, team_all),
        "weeks": weeks,
        "teams": n_teams,
    }


def _ranks(team_all: pl.DataFrame, metric: str, sites: Sequence[str]) -> dict[str, list[str]]:
    """Per site, the best then the weakest teams of the period (all of them in a small site)."""
    released = team_all.filter(pl.col("status") == "released").sort(
        ["site", metric, "team"], descending=[False, True, False]
    )
    ranks: dict[str, list[str]] = {}
    for site in sites:
        names = released.filter(pl.col("site") == site)["team"].to_list()
        if len(names) <= 2 * HIGHLIGHT:
            ranks[site] = names
        else:
            ranks[site] = [*names[:HIGHLIGHT], *names[-HIGHLIGHT:]]
    return ranks


def _trends(asked: Asked, page: _Page, weeks: Sequence[str]) -> dict[str, Any]:
    """Conformance and planned / unplanned shrinkage by week: the centre and each site."""
    metrics = ("conformance_pct", "shrinkage_planned_pct", "shrinkage_unplanned_pct")
    frames = asked.many([(m, by) for m in metrics for by in (["iso_week"], ["site", "iso_week"])])
    if isinstance(frames, Withheld):
        return {"withheld": page.withheld(frames), "svg": None}
    panels = []
    titles = (page.words["conformance_pct"], page.words["planned"], page.words["unplanned"])
    for i, (metric, title) in enumerate(zip(metrics, titles, strict=True)):
        centre, by_site = frames[2 * i], frames[2 * i + 1]
        lines = {page.words["centre"]: centre.rename({metric: "value"})}
        for site in sorted(by_site["site"].unique().to_list()):
            lines[site] = by_site.filter(pl.col("site") == site).rename({metric: "value"})
        panels.append((title, lines))
    labels = page.week_labels(weeks)
    chart = _charts.series_panels(
        panels, x="iso_week", xs=weeks, tick_labels=[labels[w] for w in weeks], value="value",
        language=page.language, label=page.words["conformance_shrinkage"],
    )  # fmt: skip
    return {"withheld": None, "svg": chart}


def _minutes(
    asked: Asked, page: _Page, metrics: Sequence[str], name: str, *, per_team: bool
) -> dict[str, Any]:
    """Minutes out of adherence split by ``metrics`` (and the total).

    Per team and for the centre when ``per_team`` (a team lead's few teams); otherwise per
    site and for the centre: the privacy layer's test of these finer sums grows steeply with
    the number of cells (about a minute for 40 teams), and each team lead's own report has
    their teams' rows.
    """
    w = page.words
    total = "out_of_adherence_ms"
    columns = [*metrics, total]
    rows = ["site", "team"] if per_team else ["site"]
    frames = asked.many([(m, by) for m in columns for by in (rows, [])])
    if isinstance(frames, Withheld):
        return {"withheld": page.withheld(frames), "sites": None, "blocks": []}

    def long(index: int) -> pl.DataFrame:
        """One grouping's cells of every metric, as (keys, metric, value, status)."""
        parts = [
            frames[2 * i + index].rename({m: "value"}).with_columns(pl.lit(m).alias("metric"))
            for i, m in enumerate(columns)
        ]
        return pl.concat(parts, how="diagonal")

    groups, centre = long(0), long(1)
    labels = {m: w.get(m) or w[m.removeprefix("out_of_adherence_").removesuffix("_ms")]
              for m in metrics}  # fmt: skip
    labels[total] = w["total"]
    draw = partial(
        _tables.grid, x="metric", xs=columns, labels=labels, value="value",
        show=page.minutes, rag=None, spanner=None,
    )  # fmt: skip
    centre = centre.with_columns(pl.lit(w["centre"]).alias("site"))
    if not per_team:
        overview = pl.concat([groups, centre], how="diagonal")
        return {
            "withheld": None,
            "sites": draw(overview, rows="site", stub=w["site"], table_id=page.table_id(name)),
            "blocks": [],
        }
    blocks = []
    for site in sorted(groups["site"].unique().to_list()):
        mine = groups.filter(pl.col("site") == site)
        blocks.append(
            {
                "title": w["teams_in"].format(site=site, n=mine["team"].n_unique()),
                "open": True,
                "html": draw(mine, rows="team", stub=w["team"], table_id=page.table_id(name)),
            }
        )
    return {
        "withheld": None,
        "sites": draw(centre, rows="site", stub=w["site"], table_id=page.table_id(name)),
        "blocks": blocks,
    }


def _intraday(asked: Asked, page: _Page) -> dict[str, Any]:
    """Adherence by local half hour over the period: the centre and each site."""
    metric = "adherence_pct"
    frames = asked.many([(metric, ["half_hour"]), (metric, ["site", "half_hour"])])
    if isinstance(frames, Withheld):
        return {"withheld": page.withheld(frames), "svg": None}
    centre, by_site = frames
    slots = sorted(set(centre["half_hour"].to_list()) | set(by_site["half_hour"].to_list()))
    lines = {page.words["centre"]: centre.rename({metric: "value"})}
    for site in sorted(by_site["site"].unique().to_list()):
        lines[site] = by_site.filter(pl.col("site") == site).rename({metric: "value"})
    chart = _charts.series_panels(
        [(page.words["adherence_pct"], lines)], x="half_hour", xs=slots, tick_labels=slots,
        value="value", language=page.language, label=page.words["intraday"], tick_every=4,
        columns=1, target=page.targets.adherence_pct,
    )  # fmt: skip
    return {"withheld": None, "svg": chart}


def _audits(asked: Asked, page: _Page, rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """Each rule's verdict and a narrow table of its groups."""
    w = page.words
    audits: list[dict[str, Any]] = []
    for rule in rules:
        audit: FairnessAudit | Withheld = asked.audit(rule, ["employment_type"])
        if isinstance(audit, Withheld):
            audits.append({"name": rule.name, "withheld": page.withheld(audit)})
            continue
        groups = audit.groups._frame()  # drawing, not exporting
        key = audit.groups.keys[0]
        frame = groups.select(
            key, "units", "breach_pct", "ci_low_pct", "ci_high_pct", "system_pct",
            "within_60s_pct", "pass_ratio_pct",
            pl.col("below_four_fifths").replace_strict({"yes": w["yes"], "no": w["no"]},
                                                       default=None),
        )  # fmt: skip
        pct = page.pct
        html = _tables.plain(
            frame,
            rows=key,
            stub=w["group"],
            labels={c: w[c] for c in ("units", "breach_pct", "system_pct", "within_60s_pct",
                                      "pass_ratio_pct", "below_four_fifths")}
            | {"ci_low_pct": w["interval"]},
            formats={"units": partial(number, language=page.language), "breach_pct": pct,
                     "ci_low_pct": pct, "ci_high_pct": pct, "system_pct": pct,
                     "within_60s_pct": pct, "pass_ratio_pct": pct},
            merge=[("ci_low_pct", "ci_high_pct")],
            table_id=page.table_id("fairness"),
        )  # fmt: skip
        audits.append({"name": rule.name, "withheld": None, "verdict": audit.verdict,
                       "html": html})  # fmt: skip
    return audits


def _option(value: object) -> str:
    """An option's value as a reader reads it (a set as its sorted members)."""
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("adherence", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(
    workspace: Workspace,
    path: str | Path,
    *,
    viewer: Viewer,
    period: Period = None,
    rules: Sequence[Rule] = DEFAULT_RULES,
    target: float = 90.0,
    targets: Targets | None = None,
    language: Language = "en",
) -> Path:
    """Write the team-lead report for ``viewer`` and ``period`` to ``path``.

    Parameters
    ----------
    workspace
        Where every figure comes from (and is logged).
    path
        The HTML file to write (UTF-8).
    viewer
        Who the report is for; a team lead's report covers their teams (the sites and the
        centre rows then cover those teams too).
    period
        As for ``Workspace.report`` (default: all data). The header names the first and last
        day in it with scheduled shifts; the headline compares with the same number of days
        right before it (no comparison for all data).
    rules
        The tolerance rules to audit (default: lunch ≤ 30:00 and login ≤ 2:00 late).
    target
        The adherence target [%] (default 90); ignored when ``targets`` is given.
    targets
        All targets of the red / amber / green colours (default ``Targets(adherence_pct=target)``).
    language
        ``"en"`` (default, like the rest of the library's output) or ``"nb"`` (bokmål): the
        words and the number, date and time formats.

    Returns
    -------
    Path
        The file written. A section the privacy layer refuses says so, with the refusal's code.

    Raises
    ------
    ConfigurationError
        ``ADH-090``: an unknown ``language`` or a target off its range.
    """
    from pathlib import Path

    try:
        language = check_language(language)
    except ValueError as err:
        raise ConfigurationError(str(err), hint='pass language="nb" or language="en"') from None
    targets = targets if targets is not None else Targets(adherence_pct=target)
    if not isinstance(targets, Targets):
        raise ConfigurationError(
            f"targets must be a Targets; got {type(targets).__name__}",
            hint="pass targets=Targets(adherence_pct=92, ...)",
        )
    page = _Page(language, workspace, targets)
    asked = Asked(workspace, viewer, period)
    w = page.words
    covered = _gather.covered_days(asked)
    headline = _headline(asked, page, _gather.previous_period(period))
    grid = _grid(asked, page)
    weeks = grid.get("weeks", [])
    trends = _trends(asked, page, weeks) if weeks else {"withheld": None, "svg": None}
    population = grid["population"]
    per_team = grid.get("teams", TEAM_MINUTES + 1) <= TEAM_MINUTES
    by_kind = _minutes(asked, page, _gather.KIND_METRICS, "kinds", per_team=per_team)
    by_activity = _minutes(asked, page, _gather.ACTIVITY_METRICS, "activities", per_team=per_team)
    # Last: after the half-hour figures the privacy test of the minutes' finer sums takes
    # many times longer than before them.
    intraday = _intraday(asked, page)
    context = {
        "lang": language,
        "w": w,
        "viewer": f"{viewer.role.replace('_', ' ')} {viewer.id}",
        "period": w["no_dates"] if covered is None else days(*covered, language),
        "population": (
            w["population_text"].format(
                teams=number(population[0], language), agents=number(population[1], language)
            )
            if population
            else "–"
        ),
        "made": moment(datetime.now(UTC), workspace.options.time_zone, language),
        "legend": w["legend"].format(mark=SUPPRESSED_MARK, k=page.k),
        "headline": headline,
        "grid": grid,
        "grid_intro": w["grid_intro"].format(
            target=page.target(targets.adherence_pct),
            band=change(targets.amber_points, language, unit="pp").lstrip("+"),
        ),
        "trend_intro": w["trend_intro"].format(k=HIGHLIGHT),
        "trends": trends,
        "intraday": intraday,
        "by_kind": by_kind,
        "by_activity": by_activity,
        "audits": _audits(asked, page, rules),
        "options": [
            (f.name, _option(getattr(workspace.options, f.name)))
            for f in dataclasses.fields(workspace.options)
        ],
        "incidents": list(workspace.incidents),
        "policy": workspace.policy,
        "policy_hash": workspace.policy.hash[:12],
        "legend_mark": SUPPRESSED_MARK,
    }
    html = _environment().get_template("report.html.j2").render(**context)
    target_path = Path(path)
    target_path.write_text(html, encoding="utf-8")
    return target_path
