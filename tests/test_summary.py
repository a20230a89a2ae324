"""The union summary: golden texts, key independence, hand-made figures, the page in Chromium.

Regenerate the golden texts (and the screenshot in the docs) after an intended change with
``UPDATE_GOLDEN=1 python -m pytest tests/test_summary.py`` and review the diff.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

import adherence as adh
from adherence.errors import ConfigurationError
from adherence.fairness import GROUP_UNITS, FairnessAudit
from adherence.privacy.released import ReleasedTable
from adherence.rules import LoginGrace, PauseLimit
from adherence.summary import (
    fairness_summary_html,
    fairness_summary_text,
    write_fairness_summary,
)

GOLDEN = Path(__file__).parent / "golden"
SCREENSHOT = Path(__file__).parent.parent / "docs" / "images" / "fairness_summary.png"
KEY = "the steward's key for the summary tests"
OTHER_KEY = "another steward's key, same data"
AUDIT_KEY = "the steward's audit key for the summary tests"
LUNCH = PauseLimit("MEAL", timedelta(minutes=30))
LOGIN = LoginGrace(timedelta(minutes=2))


@dataclass(frozen=True)
class Audited:
    """Two audits of one small fixed-seed synthetic sample, and the ids behind them."""

    audits: list[FairnessAudit]
    pseudonyms: list[str]


def _audited(folder: Path, key: str) -> Audited:
    # 48 agents over two weeks (seed 7): big enough for every site and work location to be
    # released (k = 5), small enough to build in about a second.
    sample = adh.synth.load_sample(key=key, n_agents=48, weeks=2, seed=7)
    ws = adh.Workspace.open(folder / "adherence.db", audit_key=AUDIT_KEY, key=key)
    ws.add(sample.log, schedule=sample.schedule, roster=sample.roster)
    union = adh.Auditor("union-rep")
    # 999 permutations: a p-value on a grid of 0.001 whose chance error (about 0.015) shows
    # in the released two decimals, so a key-dependent order would change it.
    audits = [
        ws.audit_tolerance(LUNCH, by=["work_location"], viewer=union, permutations=999),
        ws.audit_tolerance(LOGIN, by=["site"], viewer=union, permutations=999),
    ]
    return Audited(audits, sample.roster.valid["agent_id"].to_list())


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    return _audited(tmp_path_factory.mktemp("summary"), KEY)


@pytest.fixture(scope="module")
def audited_other_key(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    return _audited(tmp_path_factory.mktemp("summary-other"), OTHER_KEY)


# Golden texts --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_summary_text_matches_the_golden_file(audited: Audited, language: str) -> None:
    text = fairness_summary_text(audited.audits, language)  # type: ignore[arg-type]
    path = GOLDEN / f"fairness_summary_{language}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")

    assert text == path.read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= 88


def test_the_summary_is_the_same_under_another_pseudonymisation_key(
    audited: Audited, audited_other_key: Audited
) -> None:
    # The permutation test once shuffled agents in the order of their pseudonyms, so its
    # p-value (and the summary) changed with the key. Now it orders them by their figures.
    first, second = audited.audits, audited_other_key.audits

    assert set(audited.pseudonyms).isdisjoint(audited_other_key.pseudonyms)
    assert [a.p_value for a in first] == [a.p_value for a in second]
    assert not any(math.isnan(a.p_value) for a in first)
    for language in ("nb", "en"):
        assert fairness_summary_text(first, language) == fairness_summary_text(second, language)
        assert fairness_summary_html(first, language) == fairness_summary_html(second, language)


def test_the_summary_names_no_agent(audited: Audited) -> None:
    pages = [
        render(audited.audits, language)
        for render in (fairness_summary_text, fairness_summary_html)
        for language in ("nb", "en")
    ]

    assert audited.pseudonyms
    for page in pages:
        assert not [p for p in audited.pseudonyms if p in page]
        assert not [a.groups.release_id for a in audited.audits if a.groups.release_id in page]


# Hand-made audit: every figure below is computed by hand ---------------------------------


def _hand_made() -> FairnessAudit:
    """Oslo <b>: 20 of 40 lunches breach; Harstad: 2 of 20; Bodø suppressed; p = 0.03."""
    values = dict.fromkeys(GROUP_UNITS)
    rows = [
        {**values, "site": "Oslo <b>", "units": 40, "breaches": 20, "breach_pct": 50.0,
         "ci_low_pct": 35.2, "ci_high_pct": 64.8, "system_pct": 25.0, "within_30s_pct": 10.0,
         "within_60s_pct": 40.0, "within_120s_pct": 60.0, "pass_ratio_pct": 55.6,
         "below_four_fifths": "yes", "status": "released", "agents": 10},
        {**values, "site": "Harstad", "units": 20, "breaches": 2, "breach_pct": 10.0,
         "ci_low_pct": 2.8, "ci_high_pct": 30.1, "system_pct": 50.0, "within_30s_pct": 0.0,
         "within_60s_pct": 0.0, "within_120s_pct": 50.0, "pass_ratio_pct": 100.0,
         "below_four_fifths": "no", "status": "released", "agents": 6},
        {**values, "site": "Bodø", "status": "suppressed", "agents": None},
    ]  # fmt: skip
    schema = (
        {"site": pl.String}
        | {c: (pl.Int64 if u == "count" else pl.Float64) for c, u in GROUP_UNITS.items()}
        | {"below_four_fifths": pl.String, "status": pl.String, "agents": pl.Int64}
    )
    groups = ReleasedTable(
        pl.DataFrame(rows, schema=schema),
        keys=["site"],
        values=list(GROUP_UNITS),
        metric="fairness",
        unit=GROUP_UNITS,
        title="hand-made",
        release_id="release-0001",
    )
    sensitivity = ReleasedTable(
        pl.DataFrame({"site": ["Oslo <b>"], "limit": ["30:00"], "breach_pct": [50.0],
                      "status": ["released"]}),
        keys=["site", "limit"], values=["breach_pct"], metric="fairness", unit="pct",
        title="hand-made", release_id="release-0001",
    )  # fmt: skip
    return FairnessAudit(
        rule=LUNCH,
        groups=groups,
        sensitivity=sensitivity,
        p_value=0.03,
        suggested_limit=1_920_000.0,
        verdict="(not shown in the summary)",
        first_day=date(2026, 3, 2),
        last_day=date(2026, 3, 29),
        level=0.05,
        measurement_margin_ms=60_000.0,
        min_group_size=5,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split(" \n")).replace("\n  ", " ").replace("\n", " ")


def test_the_hand_made_audit_reads_as_computed_by_hand_in_english() -> None:
    text = _one_line(fairness_summary_text(_hand_made(), "en"))

    for sentence in [
        "Groups of fewer than 5 people are not shown.",
        "Each lunch break may last at most 30 minutes.",
        "The period is from 2 March 2026 to 29 March 2026. The summary covers 16 employees in "
        "2 groups by site (Oslo <b> and Harstad), with 60 lunch breaks in all. Bodø: too few "
        "people, not shown.",
        "- Oslo <b> (10 employees): 20 of 40 lunch breaks breached the rule, that is 50.0%.",
        "- Harstad (6 employees): 2 of 20 lunch breaks breached the rule, that is 10.0%.",
        "- Bodø: not shown (too few people).",
        "In all, 22 of 60 lunch breaks breached the rule (36.7%).",
        "The share of lunch breaks without a breach in Oslo <b> is below four fifths (80%)",
        # 40 % of Oslo's 20 and none of Harstad's 2: 8 of 22 breaches within 1 minute.
        "Within the measurement margin: 8 of 22 breaches (36.4%) were at most 1 minute beyond",
        # 25 % of 20 and 50 % of 2: 5 + 1 = 6 of 22 caused by the system.
        "Caused by the system: 6 of 22 breaches (27.3%).",
        "arose in about 3 in 100 divisions. A difference this large rarely arises by chance",
        "32 minutes, instead of the current 30 minutes. It is the strictest limit at which "
        "breaches the system or the measurement can explain are below 5% of all lunch breaks;",
    ]:
        assert sentence in text
    assert "p =" not in text
    assert "ci_low" not in text


def test_the_hand_made_audit_reads_as_computed_by_hand_in_bokmal() -> None:
    text = _one_line(fairness_summary_text(_hand_made(), "nb"))

    for sentence in [
        "Hver lunsjpause skal vare høyst 30 minutter.",
        "Perioden er fra 2. mars 2026 til 29. mars 2026. Oppsummeringen omfatter 16 ansatte i "
        "2 grupper etter arbeidssted (Oslo <b> og Harstad), med 60 lunsjpauser til sammen.",
        "- Oslo <b> (10 ansatte): 20 av 40 lunsjpauser brøt regelen, det vil si 50,0\xa0%.",
        "Til sammen brøt 22 av 60 lunsjpauser regelen (36,7\xa0%).",
        "Innenfor målemarginen: 8 av 22 brudd (36,4\xa0%) var på høyst 1 minutt over grensen",
        "Forårsaket av systemet: 6 av 22 brudd (27,3\xa0%).",
        "oppsto i omtrent 3 av 100 fordelinger. En så stor forskjell oppstår altså sjelden",
        "32 minutter, i stedet for dagens 30 minutter.",
    ]:
        assert sentence in text


def test_the_page_escapes_what_it_shows() -> None:
    page = fairness_summary_html(_hand_made(), "en")

    assert "Oslo &lt;b&gt;" in page
    assert "<b>" not in page
    assert '<html lang="en">' in page
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page


def test_write_takes_a_folder_or_the_page_path(tmp_path: Path) -> None:
    audit = _hand_made()

    in_folder = write_fairness_summary(audit, tmp_path / "out", language="en")
    beside = write_fairness_summary([audit], tmp_path / "union.html", language="nb")

    assert in_folder == (
        tmp_path / "out/fairness_summary.html",
        tmp_path / "out/fairness_summary.txt",
    )
    assert beside == (tmp_path / "union.html", tmp_path / "union.txt")
    assert in_folder[1].read_text(encoding="utf-8") == fairness_summary_text(audit, "en")
    assert beside[0].read_text(encoding="utf-8") == fairness_summary_html(audit, "nb")


@pytest.mark.parametrize("bad", [{"language": "nn"}, {"audits": []}, {"audits": ["audit"]}])
def test_a_bad_language_or_no_audit_is_a_configuration_error(bad: dict[str, object]) -> None:
    arguments: dict[str, object] = {"audits": _hand_made(), "language": "en"} | bad

    with pytest.raises(ConfigurationError) as refused:
        fairness_summary_text(**arguments)  # type: ignore[arg-type]

    assert refused.value.code == "ADH-090"


# The page in a real browser ------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("ADHERENCE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (install the system package 'chromium')")
        pytest.skip("no Chromium on this machine (install the system package 'chromium')")
    return found


def test_the_page_fits_1280_pixels_and_shows_no_id(audited: Audited, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_path, _ = write_fairness_summary(audited.audits, tmp_path, language="en")
    shot = SCREENSHOT if os.environ.get("UPDATE_GOLDEN") else tmp_path / "summary.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_path.as_uri())
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            text = page.inner_text("body")
            markup = page.content()
            headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    assert widths[0] <= widths[1] == 1280
    assert headings == ["Rule: MEAL episode ≤ 30:00", "Rule: login ≤ 2:00 late"]
    assert "Is the difference between the groups chance?" in text
    for shown in (text, markup):
        assert not [p for p in audited.pseudonyms if p in shown]
        assert not [a for a in audited.audits if a.groups.release_id in shown]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
