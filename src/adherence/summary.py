"""The union summary of tolerance audits: a page and a plain-text twin, in bokmål or English.

Union representatives, HR and the working-environment committee read the fairness audit
(``Workspace.audit_tolerance``) to decide whether a pause or login rule is fair. This module
writes what they read: for each audited rule, the rule in words, the period and the people
it covers, the breach rate of each group in words, how many breaches are within the
measurement margin and how many the system caused, whether the groups differ beyond chance
(without statistical jargon) and the suggested tolerance with its reason.

Only the *released* audit goes in: the figures of the released groups, the released
p-value and conclusions. Nothing here sees an agent, a pseudonym or a suppressed figure, and
the text is the same for the same data whatever the pseudonymisation key (the audit's
permutation test orders agents by their figures, not by their pseudonyms). Sentences live in
Jinja2 templates (``adherence/templates``), one file of phrases per language; numbers,
durations and dates are formatted by ``adherence.locale``.

Examples
--------
>>> import tempfile, pathlib
>>> from datetime import timedelta
>>> import adherence as adh
>>> sample = adh.synth.load_sample(key="the steward's key", n_agents=30, weeks=1)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> ws = adh.Workspace.open(folder / "adherence.db", audit_key="the steward's audit key")
>>> ws.add(sample.log, schedule=sample.schedule, roster=sample.roster)
>>> audit = ws.audit_tolerance(adh.rules.PauseLimit("MEAL", timedelta(minutes=30)),
...                            by=["site"], viewer=adh.Auditor("union-rep"))
>>> print(fairness_summary_text(audit, "en").splitlines()[0])
Fairness of pause and login rules: summary for union representatives
>>> html_path, text_path = write_fairness_summary(audit, folder, language="nb")
>>> html_path.name, text_path.name
('fairness_summary.html', 'fairness_summary.txt')
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from os import PathLike
from pathlib import Path
from typing import Any

import jinja2

from adherence import locale
from adherence.errors import ConfigurationError
from adherence.fairness import MARGINS_MS, FairnessAudit
from adherence.locale import Language
from adherence.rules import AdherenceTarget, LoginGrace, PauseBudget, PauseLimit, Rule

__all__ = ["fairness_summary_html", "fairness_summary_text", "write_fairness_summary"]

#: The file names ``write_fairness_summary`` writes into a folder.
HTML_NAME = "fairness_summary.html"
TEXT_NAME = "fairness_summary.txt"

#: Below this p-value a difference "rarely arises by chance alone".
_RARE = 0.05

#: Words for the public dimensions and their usual values, per language.
_WORDS: dict[Language, dict[str, str]] = {
    "nb": {
        "team": "team",
        "site": "arbeidssted",
        "employment_type": "ansettelsesform",
        "work_location": "arbeidsplass",
        "contract_pct": "stillingsprosent",
        "skill": "kompetanse",
        "group": "gruppe",
        "permanent": "fast ansatt",
        "temporary": "midlertidig ansatt",
        "home": "hjemme",
        "office": "kontor",
        "hybrid": "hybrid",
        "all": "alle",
    },
    "en": {
        "team": "team",
        "site": "site",
        "employment_type": "employment type",
        "work_location": "work location",
        "contract_pct": "contract share",
        "skill": "skill",
        "group": "group",
        "permanent": "permanent",
        "temporary": "temporary",
        "home": "home",
        "office": "office",
        "hybrid": "hybrid",
        "all": "everyone",
    },
}

#: Pause states in words: (one, several) per language.
_STATES: dict[Language, dict[str, tuple[str, str]]] = {
    "nb": {
        "MEAL": ("lunsjpause", "lunsjpauser"),
        "BREAK": ("pause", "pauser"),
        "MEETING": ("møte", "møter"),
        "TRAINING": ("opplæringsøkt", "opplæringsøkter"),
    },
    "en": {
        "MEAL": ("lunch break", "lunch breaks"),
        "BREAK": ("break", "breaks"),
        "MEETING": ("meeting", "meetings"),
        "TRAINING": ("training session", "training sessions"),
    },
}


@dataclass(frozen=True)
class _Group:
    """One group of an audit as the summary shows it (formatted, released figures only)."""

    name: str
    released: bool
    agents: str
    units: str
    breaches: str
    breach_pct: str
    margin_pct: str
    system_pct: str
    median_login: str
    below_four_fifths: bool


def _fmt_pct(value: float | None, language: Language) -> str:
    return "" if value is None or math.isnan(value) else locale.percent(value, language)


def _rule_words(rule: Rule, language: Language) -> dict[str, Any]:
    """What a rule judges and its limit, in words (for the phrase templates)."""
    unit_words = {
        "nb": {"shift": ("vakt", "vakter"), "week": ("uke", "uker")},
        "en": {"shift": ("shift", "shifts"), "week": ("week", "weeks")},
    }[language]
    kind = {
        PauseLimit: "pause_limit",
        PauseBudget: "pause_budget",
        LoginGrace: "login_grace",
        AdherenceTarget: "adherence_target",
    }.get(type(rule), "custom")
    states = rule.label.split(" ", 1)[0].split("+")
    state_words = [_STATES[language].get(s, (s.lower(), s.lower())) for s in states]

    def limit_words(limit: float) -> str:
        if rule.measure_unit == "pct":
            return locale.percent(limit, language)
        return locale.duration(limit, language)

    if kind == "pause_limit":
        one, many = state_words[0]
    elif kind == "custom":
        one, many = {"nb": ("enhet", "enheter"), "en": ("unit", "units")}[language]
    else:
        one, many = unit_words[rule.unit]
    return {
        "kind": kind,
        "label": rule.name,
        "states": locale.listing([w[1] for w in state_words], language),
        "per": rule.unit,
        "limit": limit_words(rule.limit),
        "one": one,
        "many": many,
        "limit_of": limit_words,
        "curve_low": limit_words(min(rule.curve)),
        "curve_high": limit_words(max(rule.curve)),
    }


def _value_name(value: object, language: Language) -> str:
    words = _WORDS[language]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return words.get(text, text)


def _margin_column(margin_ms: float) -> tuple[str, float]:
    """The within-margin column that matches the audit's measurement margin (or lies under it)."""
    fitting = [m for m in MARGINS_MS if m <= margin_ms] or [MARGINS_MS[0]]
    chosen = max(fitting)
    return f"within_{chosen // 1000}s_pct", float(chosen)


def _audit_view(audit: FairnessAudit, language: Language) -> dict[str, Any]:
    """Everything the templates show of one audit, formatted; released values only."""
    table = audit.groups
    rows = table._frame().to_dicts()  # a display of released cells, not an export
    keys = list(table.keys)
    margin_column, margin_ms = _margin_column(audit.measurement_margin_ms or 60_000.0)
    margins = audit.rule.measure_unit == "ms"
    groups: list[_Group] = []
    units = breaches = system = within = agents = 0
    within_known = True
    for row in rows:
        name = " / ".join(_value_name(row[k], language) for k in keys)
        if row["status"] != "released":
            groups.append(_Group(name, False, "", "", "", "", "", "", "", False))
            continue
        n, b = int(row["units"] or 0), int(row["breaches"] or 0)
        units, breaches, agents = units + n, breaches + b, agents + int(row["agents"] or 0)
        # Counts back from the released shares (0.1 point): exact below 1,000 breaches a group.
        system += round(b * (row["system_pct"] or 0.0) / 100)
        within += round(b * (row[margin_column] or 0.0) / 100) if margins else 0
        # A count at the limit plus the margin is withheld when few people lie between.
        within_known = within_known and row[margin_column] is not None
        median = row["median_system_ms"]
        groups.append(
            _Group(
                name=name,
                released=True,
                agents=locale.number(int(row["agents"] or 0), language),
                units=locale.number(n, language),
                breaches=locale.number(b, language),
                breach_pct=_fmt_pct(row["breach_pct"], language),
                margin_pct=_fmt_pct(row[margin_column], language) if margins else "",
                system_pct=_fmt_pct(row["system_pct"], language),
                median_login=locale.clock(median) if median is not None else "",
                below_four_fifths=row["below_four_fifths"] == "yes",
            )
        )
    shown = [g for g in groups if g.released]
    p_value = audit.p_value
    chance: dict[str, Any] = {"known": not math.isnan(p_value) and len(shown) >= 2}
    if chance["known"]:
        chance |= {"in_100": round(100 * p_value), "rare": p_value < _RARE}
    suggested = audit.suggested_limit
    rule = _rule_words(audit.rule, language)
    return {
        "rule": rule,
        "first_day": locale.day(audit.first_day, language) if audit.first_day else "",
        "last_day": locale.day(audit.last_day, language) if audit.last_day else "",
        "dimension": locale.listing([_WORDS[language].get(k, k) for k in keys], language)
        or _WORDS[language]["group"],
        "groups": groups,
        "shown": shown,
        "hidden": [g.name for g in groups if not g.released],
        "hidden_names": locale.listing([g.name for g in groups if not g.released], language),
        "shown_names": locale.listing([g.name for g in shown], language),
        "agents": locale.number(agents, language),
        "units": locale.number(units, language),
        "breaches": locale.number(breaches, language),
        "breach_pct": _fmt_pct(100 * breaches / units if units else None, language),
        "margins": margins,
        "margin": locale.duration(margin_ms, language),
        "within_known": within_known,
        "within": locale.number(within, language),
        "within_pct": _fmt_pct(100 * within / breaches if breaches else None, language),
        "system_applies": audit.rule.system is not None,
        "system": locale.number(system, language),
        "system_pct": _fmt_pct(100 * system / breaches if breaches else None, language),
        "four_fifths": locale.percent(80, language, digits=0),
        "flagged": locale.listing([g.name for g in shown if g.below_four_fifths], language),
        "chance": chance,
        "suggested": None if suggested is None else rule["limit_of"](suggested),
        "suggested_is_limit": suggested is not None and suggested == audit.rule.limit,
        "level": locale.percent(100 * audit.level, language, digits=0),
        "login": isinstance(audit.rule, LoginGrace),
        "min_group": "" if audit.min_group_size is None else str(audit.min_group_size),
    }


def _words(text: object) -> str:
    """A phrase on one line: runs of spaces and newlines become one space (never markup)."""
    return re.sub(r"[ \t\n]+", " ", str(text)).strip()


def _upper_first(text: object) -> str:
    """``text`` with its first letter in upper case and the rest as it is."""
    value = str(text)
    return value[:1].upper() + value[1:]


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("adherence", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["words"] = _words
    environment.filters["upper_first"] = _upper_first
    return environment


def _as_list(audits: FairnessAudit | Sequence[FairnessAudit]) -> list[FairnessAudit]:
    chosen = [audits] if isinstance(audits, FairnessAudit) else list(audits)
    if not chosen or not all(isinstance(a, FairnessAudit) for a in chosen):
        raise ConfigurationError(
            "audits must be one FairnessAudit or a non-empty sequence of them",
            hint="pass what Workspace.audit_tolerance returns",
        )
    return chosen


def _render(
    template: str, audits: FairnessAudit | Sequence[FairnessAudit], language: Language
) -> str:
    try:
        chosen = locale.check_language(language)
    except ValueError as err:
        raise ConfigurationError(str(err), hint="use 'nb' (bokmål) or 'en' (English)") from err
    views = [_audit_view(a, chosen) for a in _as_list(audits)]
    return _environment().get_template(template).render(language=chosen, audits=views)


def fairness_summary_text(
    audits: FairnessAudit | Sequence[FairnessAudit], language: Language = "nb"
) -> str:
    """The summary as plain text (UTF-8, lines of at most 88 characters).

    Parameters
    ----------
    audits
        One audit or several, as ``Workspace.audit_tolerance`` returns them.
    language
        ``nb`` (Norwegian bokmål) or ``en`` (English).

    Returns
    -------
    str
        The text, ending with a newline.

    Raises
    ------
    ConfigurationError
        ``language`` is not ``nb`` or ``en``, or ``audits`` holds no audit.
    """
    return _render("fairness_summary.txt", audits, language)


def fairness_summary_html(
    audits: FairnessAudit | Sequence[FairnessAudit], language: Language = "nb"
) -> str:
    """The summary as one self-contained HTML page (no scripts, no external assets).

    Parameters and errors as for ``fairness_summary_text``.
    """
    return _render("fairness_summary.html", audits, language)


def write_fairness_summary(
    audits: FairnessAudit | Sequence[FairnessAudit],
    folder_or_path: str | PathLike[str],
    *,
    language: Language = "nb",
) -> tuple[Path, Path]:
    """Write the summary page and its plain-text twin.

    Parameters
    ----------
    audits
        One audit or several, as ``Workspace.audit_tolerance`` returns them.
    folder_or_path
        A folder (``fairness_summary.html`` and ``fairness_summary.txt`` are written into
        it) or the path of the ``.html`` file (the text goes beside it, as ``.txt``).
    language
        ``nb`` (Norwegian bokmål) or ``en`` (English).

    Returns
    -------
    tuple of Path
        The page and the text file.

    Raises
    ------
    ConfigurationError
        As for ``fairness_summary_text``.
    """
    target = Path(folder_or_path)
    if target.suffix.lower() in (".html", ".htm"):
        html_path, text_path = target, target.with_suffix(".txt")
    else:
        html_path, text_path = target / HTML_NAME, target / TEXT_NAME
    page = fairness_summary_html(audits, language)
    text = fairness_summary_text(audits, language)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    text_path.write_text(text, encoding="utf-8")
    return html_path, text_path
