"""The report's charts as inline SVG (matplotlib, text kept as text, no pyplot state).

Each function takes small long frames of released cells (``status`` ``released`` or
``suppressed``; suppressed cells are gaps) and returns one ``<svg>`` element as text. Figures
are made with ``matplotlib.figure.Figure`` directly, so nothing touches pyplot's global state
and nothing is shown; the SVG is deterministic (fixed hash salt, no date).
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from adherence.locale import Language, percent

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["lines_by_site", "series_panels", "svg"]

_INK = "#222222"
_GREY = "#c8c8c8"
_TARGET = "#6b6b6b"
#: Colours of highlighted lines (Okabe-Ito: distinguishable with colour-blindness).
_HIGH = ("#0072B2", "#009E73", "#56B4E9")
_LOW = ("#D55E00", "#E69F00", "#CC79A7")
_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="[^"]*"')
_METADATA = ("Creator", "Date", "Format", "Type")
_WIDTH_IN = 11.0
_MIN_SPAN = 4.0


def svg(fig: Figure, label: str) -> str:
    """``fig`` as an inline ``<svg>`` element with an accessible ``label``."""
    import matplotlib as mpl

    buffer = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "adherence-report"}):
        # No metadata block: it names the creator's web site and the date.
        fig.savefig(buffer, format="svg", metadata=dict.fromkeys(_METADATA))
    # Inline SVG in HTML needs neither the XML prolog nor namespace declarations (and the
    # file must name no external address).
    text = _NAMESPACES.sub("", _PROLOG.sub("", buffer.getvalue(), count=1))
    escaped = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return text.replace("<svg", f'<svg role="img" aria-label="{escaped}"', 1)


def _figure(
    panels: int, *, height: float, columns: int = 3, sharey: bool = True
) -> tuple[Figure, list[Axes]]:
    from matplotlib.figure import Figure

    ncols = max(1, min(columns, panels))
    nrows = math.ceil(panels / ncols)
    fig = Figure(figsize=(_WIDTH_IN, height * nrows), layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False, sharey=sharey)
    axes = [ax for row in grid for ax in row]
    for extra in axes[panels:]:
        extra.set_visible(False)
    fig.set_facecolor("white")
    return fig, axes[:panels]


def _style(ax: Axes, language: Language) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#eeeeee", linewidth=0.8)
    ax.set_axisbelow(True)
    # Whole points on the ticks (no two ticks may read the same).
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: percent(v, language, digits=0)))
    ax.tick_params(labelsize=9, colors="#444444")


def _values(frame: pl.DataFrame, key: str, value: str, xs: Sequence[str]) -> list[float]:
    """``value`` at each of ``xs`` (NaN where suppressed or absent: a gap in the line)."""
    released = frame.filter(pl.col("status") == "released")
    lookup = dict(zip(released[key].to_list(), released[value].to_list(), strict=True))
    return [math.nan if lookup.get(x) is None else float(lookup[x]) for x in xs]


def _last(ys: Sequence[float]) -> tuple[int, float] | None:
    for i in range(len(ys) - 1, -1, -1):
        if not math.isnan(ys[i]):
            return i, ys[i]
    return None


def _spread(positions: list[float], gap: float) -> list[float]:
    """Label heights no closer than ``gap`` (in data units), in the order given."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = list(positions)
    for before, after in itertools.pairwise(order):
        placed[after] = max(placed[after], placed[before] + gap)
    return placed


def _label_ends(ax: Axes, ends: list[tuple[str, int, float, str]], gap: float) -> None:
    """Write each line's name right of its last point (no legend over the lines)."""
    heights = _spread([y for _, _, y, _ in ends], gap)
    for (name, x, y, colour), ly in zip(ends, heights, strict=True):
        ax.annotate(name, xy=(x, y), xytext=(x + 0.15, ly), textcoords="data", fontsize=8,
                    color=colour, va="center", annotation_clip=False)  # fmt: skip


def lines_by_site(
    teams: pl.DataFrame,
    sites: pl.DataFrame,
    ranks: dict[str, list[str]],
    *,
    x: str,
    xs: Sequence[str],
    tick_labels: Sequence[str],
    value: str,
    target: float | None,
    language: Language,
    label: str,
) -> str:
    """Small multiples: one panel per site, every team grey, the ranked ones in colour.

    ``teams`` has ``site``, ``team``, ``x``, ``value`` and ``status``; ``sites`` the same without
    ``team``; ``ranks`` names, per site, the teams to highlight (best first, then weakest).
    """
    site_names = sorted(ranks)
    fig, axes = _figure(len(site_names), height=3.0, columns=2)
    positions = list(range(len(xs)))
    for ax, site in zip(axes, site_names, strict=True):
        _style(ax, language)
        mine = teams.filter(pl.col("site") == site)
        highlighted = ranks[site]
        half = math.ceil(len(highlighted) / 2)
        ends: list[tuple[str, int, float, str]] = []
        for team in mine["team"].unique().sort().to_list():
            ys = _values(mine.filter(pl.col("team") == team), x, value, xs)
            if team in highlighted:
                continue
            ax.plot(positions, ys, color=_GREY, linewidth=0.8, zorder=1)
        for i, team in enumerate(highlighted):
            ys = _values(mine.filter(pl.col("team") == team), x, value, xs)
            colour = _HIGH[i % 3] if i < half else _LOW[(i - half) % 3]
            ax.plot(positions, ys, color=colour, linewidth=1.8, marker="o", markersize=3, zorder=3)
            if (end := _last(ys)) is not None:
                ends.append((team, end[0], end[1], colour))
        ys = _values(sites.filter(pl.col("site") == site), x, value, xs)
        ax.plot(positions, ys, color=_INK, linewidth=2.4, zorder=4)
        if (end := _last(ys)) is not None:
            ends.append((site, end[0], end[1], _INK))
        if target is not None:
            ax.axhline(target, color=_TARGET, linestyle="--", linewidth=1, zorder=2)
        ax.set_title(site, loc="left", fontsize=11, color=_INK)
        ax.set_xticks(positions, list(tick_labels))
        ax.set_xlim(-0.3, len(xs) - 1 + 1.6)
        low, high = ax.get_ylim()
        _label_ends(ax, ends, gap=(high - low) / 14)
    return svg(fig, label)


def series_panels(
    panels: Sequence[tuple[str, dict[str, pl.DataFrame]]],
    *,
    x: str,
    xs: Sequence[str],
    tick_labels: Sequence[str],
    value: str,
    language: Language,
    label: str,
    tick_every: int = 1,
    columns: int = 3,
    target: float | None = None,
) -> str:
    """Side-by-side panels, each a few named lines (e.g. sites and the centre) over ``xs``.

    ``panels`` are ``(title, {line name: frame})``; a frame has ``x``, ``value`` and ``status``.
    The first line name in each panel is drawn black and bold (the centre).
    """
    fig, axes = _figure(len(panels), height=2.8, columns=columns, sharey=False)
    positions = list(range(len(xs)))
    palette = (*_HIGH, *_LOW)
    for ax, (title, lines) in zip(axes, panels, strict=True):
        _style(ax, language)
        ends: list[tuple[str, int, float, str]] = []
        for i, (name, frame) in enumerate(lines.items()):
            ys = _values(frame, x, value, xs)
            colour = _INK if i == 0 else palette[(i - 1) % len(palette)]
            ax.plot(positions, ys, color=colour, linewidth=2.2 if i == 0 else 1.4, zorder=3)
            if (end := _last(ys)) is not None:
                ends.append((name, end[0], end[1], colour))
        if target is not None:
            ax.axhline(target, color=_TARGET, linestyle="--", linewidth=1, zorder=2)
        ax.set_title(title, loc="left", fontsize=11, color=_INK)
        ax.set_xticks(positions[::tick_every], list(tick_labels)[::tick_every])
        ax.set_xlim(-0.3, len(xs) - 1 + max(1.6, len(xs) / 5))
        low, high = ax.get_ylim()
        if high - low < _MIN_SPAN:  # whole-percent ticks need a few points of range
            middle = (high + low) / 2
            low, high = middle - _MIN_SPAN / 2, middle + _MIN_SPAN / 2
            ax.set_ylim(low, high)
        _label_ends(ax, ends, gap=(high - low) / 12)
    return svg(fig, label)
