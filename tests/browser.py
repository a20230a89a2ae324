"""Headless Chromium for tests that open an HTML file (Playwright on the system's Chromium).

Use the ``browser`` fixture (one browser per test module) and ``open_page`` to open a file at a
given viewport width; ``page_facts`` reads what most report tests check. Without Chromium the
tests are skipped, unless ``ADHERENCE_REQUIRE_BROWSER`` is set (as in CI), where they fail.

    from tests.browser import browser, open_page  # noqa: F401  (the fixture)

    def test_x(browser):
        with open_page(browser, path, width=1280) as page:
            ...
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["PageFacts", "browser", "chromium", "open_page", "page_facts"]

#: The width of the laptop screen a report must fit [px].
LAPTOP = 1280


def chromium() -> str:
    """The system's Chromium executable (skip, or fail where a browser is required)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("ADHERENCE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (install the system package 'chromium')")
        pytest.skip("no Chromium on this machine (install the system package 'chromium')")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the test module."""
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def open_page(
    browser: Browser, path: Path, *, width: int = LAPTOP, height: int = 800
) -> Iterator[Page]:
    """``path`` opened in a fresh page of ``width`` × ``height`` CSS pixels."""
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(path.as_uri())
        yield page
    finally:
        page.close()


@dataclass(frozen=True)
class PageFacts:
    """What a page looks like in the browser."""

    scroll_width: int
    scroll_height: int
    images: list[bool]
    svgs: int
    text: str
    external: list[str]


_FACTS = """() => ({
  scroll_width: document.documentElement.scrollWidth,
  scroll_height: document.documentElement.scrollHeight,
  images: Array.from(document.images).map(i => i.complete && i.naturalWidth > 0),
  svgs: Array.from(document.querySelectorAll('svg')).filter(
      s => s.getBoundingClientRect().width > 0 || s.closest('details:not([open])')).length,
  text: document.body.innerText,
  external: performance.getEntriesByType('resource').map(r => r.name),
})"""


def page_facts(page: Page) -> PageFacts:
    """Scroll size, images loaded, SVGs drawn, the text and any resource fetched."""
    facts: dict[str, Any] = page.evaluate(_FACTS)
    return PageFacts(**facts)
