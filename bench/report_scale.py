"""The team report at scale: render time and page size for 200 teams, one line of JSON.

Usage::

    python bench/report_scale.py [--teams 200] [--weeks 2] [--out report.html]

Generates the seeded synthetic centre with enough agents for ``--teams`` teams
(``adherence.synth``), adds it to a fresh workspace, renders the steward's report
(``adherence.report.render_html``) and opens it in headless Chromium at 1,280 px.

Output (stdout, one line): ``teams``, ``agents``, ``seconds`` per stage (``generate``,
``add``, ``render``, informative), the file size, the page's ``scroll_width`` and
``scroll_height`` in CSS pixels (grid blocks closed, as the page opens) and
``scroll_height_open`` (every block opened, as in print).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import adherence as adh
from adherence.report import render_html
from adherence.synth._roster import plan_teams

KEY = "the benchmark's pseudonymisation key"
AUDIT_KEY = "the benchmark's audit key, long enough"


def agents_for(teams: int) -> int:
    """The fewest agents for which the generator plans ``teams`` teams."""
    n = 9 + round((teams - 2) * 12.75)
    while len(plan_teams(n)) < teams:
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    n_agents = agents_for(args.teams)
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        start = time.perf_counter()
        sample = adh.synth.load_sample(key=KEY, n_agents=n_agents, weeks=args.weeks)
        seconds["generate"] = time.perf_counter() - start
        start = time.perf_counter()
        ws = adh.Workspace.open(where / "a.db", audit_key=AUDIT_KEY)
        ws.add(sample.log, schedule=sample.schedule, roster=sample.roster)
        seconds["add"] = time.perf_counter() - start
        start = time.perf_counter()
        path = render_html(ws, where / "report.html", viewer=adh.Steward("wfm"))
        seconds["render"] = time.perf_counter() - start
        sizes = measure(path)
        if args.out is not None:
            shutil.copy(path, args.out)
        size = path.stat().st_size
    summary = {
        "teams": len(plan_teams(n_agents)),
        "agents": n_agents,
        "weeks": args.weeks,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "bytes": size,
        **sizes,
    }
    print(json.dumps(summary))


def measure(path: Path) -> dict[str, int]:
    """Scroll width and height at 1,280 px, as opened and with every block open."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(path.as_uri())
        closed = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        opened = page.evaluate("document.documentElement.scrollHeight")
        browser.close()
    return {"scroll_width": closed[0], "scroll_height": closed[1], "scroll_height_open": opened}


if __name__ == "__main__":
    main()
