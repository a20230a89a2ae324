r"""Words number formats for readers, in Norwegian bokmål and English (presentation).

Everything a person reads — the team report, the union summary, the CLI's summaries —
formats numbers, durations and dates through these functions, so a figure reads the same
everywhere and follows the reader's locale (bokmål: ``87,5 %``, ``1 341``; English:
``87.5%``, ``1,341``). Formats come from CLDR via Babel.

Examples
--------
>>> percent(87.54, "nb"), percent(87.54, "en")
('87,5\xa0%', '87.5%')
>>> number(1341, "nb"), number(1341, "en")
('1\xa0341', '1,341')
>>> clock(1_872_000), clock(3_723_400)
('31:12', '1:02:03')
>>> minutes(150_000, "nb"), minutes(150_000, "en")
('2,5 min', '2.5 min')
>>> duration(150_000, "nb"), duration(3_600_000, "en")
('2 minutter og 30 sekunder', '1 hour')
>>> listing(["Oslo", "Harstad", "Bodø"], "nb")
'Oslo, Harstad og Bodø'
>>> change(-1.25, "nb"), change(0.04, "en"), change(1234, "nb", digits=0, unit="min")
('−1,2\xa0pp', '±0.0\xa0pp', '+1\xa0234\xa0min')
>>> days(dt.date(2026, 3, 9), dt.date(2026, 3, 31), "nb")
'9.–31. mars 2026'
>>> moment(dt.datetime(2026, 3, 9, 7, 5, tzinfo=dt.UTC), "Europe/Oslo", "en")
'9 Mar 2026, 08:05 (Europe/Oslo)'
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

__all__ = [
    "LANGUAGES",
    "Language",
    "change",
    "check_language",
    "clock",
    "day",
    "days",
    "duration",
    "listing",
    "minutes",
    "moment",
    "number",
    "percent",
]

#: A reader's language: Norwegian bokmål or English.
Language = Literal["nb", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
_LOCALE: dict[Language, str] = {"nb": "nb_NO", "en": "en_GB"}


def check_language(language: object) -> Language:
    """``language`` if it is one of ``LANGUAGES``; otherwise a ``ValueError`` that lists them."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}")
    return language


def number(value: float, language: Language, *, digits: int = 0) -> str:
    """``value`` grouped by thousands, with exactly ``digits`` decimals."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=_LOCALE[language]))


def percent(value_pct: float, language: Language, *, digits: int = 1) -> str:
    """A percentage given in points (``87.5`` is 87.5 %), with ``digits`` decimals."""
    locale = Locale.parse(_LOCALE[language])
    pattern = str(locale.percent_formats[None].pattern)
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return str(format_percent(value_pct / 100, format=pattern, locale=locale))


def clock(ms: int | float) -> str:
    """A duration as ``m:ss`` under an hour, ``h:mm:ss`` from an hour (rounded to the second)."""
    seconds = round(ms / 1000)
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    mins, secs = divmod(rest, 60)
    return f"{sign}{hours}:{mins:02d}:{secs:02d}" if hours else f"{sign}{mins}:{secs:02d}"


def minutes(ms: int | float, language: Language, *, digits: int = 1) -> str:
    """A duration in minutes, e.g. ``2,5 min`` (the unit reads the same in both languages)."""
    value = number(ms / 60_000, language, digits=digits)
    return f"{value} min"


def day(date: dt.date, language: Language) -> str:
    """A date as a reader writes it: ``2. mars 2026`` / ``2 March 2026``."""
    return str(format_date(date, format="long", locale=_LOCALE[language]))


def duration(ms: int | float, language: Language) -> str:
    """A duration in words, rounded to the second: ``2 minutter og 30 sekunder`` / ``1 hour``.

    Zero parts are left out; zero itself is ``0 seconds`` (``0 sekunder``).
    """
    seconds = round(abs(ms) / 1000)
    hours, rest = divmod(seconds, 3600)
    mins, secs = divmod(rest, 60)
    parts = [
        str(format_unit(value, unit, length="long", locale=_LOCALE[language]))
        for value, unit in (
            (hours, "duration-hour"),
            (mins, "duration-minute"),
            (secs, "duration-second"),
        )
        if value
    ]
    if not parts:
        parts = [str(format_unit(0, "duration-second", length="long", locale=_LOCALE[language]))]
    return listing(parts, language)


def listing(items: list[str], language: Language) -> str:
    """Items joined as a reader lists them: ``a, b og c`` / ``a, b and c``."""
    return str(format_list(items, locale=_LOCALE[language])) if items else ""


def change(value: float, language: Language, *, digits: int = 1, unit: str = "pp") -> str:
    """A signed change, e.g. ``+1,2 pp`` (percentage points) or ``−120 min``.

    The sign is always written: ``+``, a true minus ``−``, or ``±`` when the change rounds
    to zero. ``unit`` follows after a no-break space.
    """
    shown = number(abs(value), language, digits=digits)
    rounds_to_zero = shown.strip("0,.\xa0 ") == ""
    sign = "±" if rounds_to_zero else ("+" if value > 0 else "−")
    return f"{sign}{shown}\xa0{unit}"


def days(first: dt.date, last: dt.date, language: Language) -> str:
    """The dates from ``first`` to ``last`` (inclusive), e.g. ``9.–31. mars 2026``."""
    if first == last:
        return day(first, language)
    return str(format_interval(first, last, "yMMMMd", locale=_LOCALE[language]))


def moment(instant: dt.datetime, time_zone: str, language: Language) -> str:
    """An instant as local time in ``time_zone``, with the zone named (``9 Mar 2026, 08:05``)."""
    local = format_datetime(instant, "medium", tzinfo=ZoneInfo(time_zone), locale=_LOCALE[language])
    # Babel's medium format has seconds; a report reads to the minute.
    return f"{local.rsplit(':', 1)[0]} ({time_zone})"
