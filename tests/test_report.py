"""The team-lead HTML report, opened in a real headless browser."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests.sample import sample_agent_ids, sample_workspace

import adherence as adh
from adherence.report import HEADLINE, render_html

LEAD = adh.TeamLead("tl-1", teams=["Natt Oslo", "Bedrift Oslo", "Chat Oslo", "Privat Oslo"])


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("ADHERENCE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (install the system package 'chromium')")
        pytest.skip("no Chromium on this machine (install the system package 'chromium')")
    return found


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("report")
    path = render_html(
        sample_workspace(folder / "a.db"), folder / "report.html", viewer=LEAD, period="2026-03"
    )
    # The same headline figures, asked of a fresh workspace.
    fresh = sample_workspace(folder / "b.db")
    expected = {}
    for metric in HEADLINE:
        value = fresh.report(metric, period="2026-03", viewer=LEAD).to_dicts()[0][metric]
        expected[metric] = f"{value:.1f} %"
    return path, expected


def test_the_report_renders_in_a_browser_with_headline_legend_images_and_no_ids(
    report: tuple[Path, dict[str, str]],
) -> None:
    from playwright.sync_api import sync_playwright

    path, expected = report
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(path.as_uri())
            headline = {metric: page.inner_text(f'[data-metric="{metric}"]') for metric in HEADLINE}
            legend = page.inner_text("#legend")
            images = page.evaluate(
                "Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"
            )
            text = page.inner_text("body")
        finally:
            browser.close()

    assert headline == expected
    assert "suppressed: not released to protect individuals" in legend
    assert "suppressed" in text  # the night team of four
    assert len(images) >= 4
    assert all(images)
    assert not [a for a in sample_agent_ids() if a in text]


def test_the_report_file_is_self_contained(report: tuple[Path, dict[str, str]]) -> None:
    page = report[0].read_text()

    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    assert page.count("data:image/png;base64,") >= 4
    assert "Options in force" in page
    assert "Privacy" in page
