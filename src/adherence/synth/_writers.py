"""Writers for ``SyntheticData``: the files a contact centre would export.

Every writer is deterministic (same data, same bytes) and writes large status logs in chunks
of rows, so memory stays bounded whatever the number of events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import polars as pl

from adherence.errors import ConfigurationError
from adherence.synth._generate import SyntheticData, generate

__all__ = [
    "write_iws_csv",
    "write_parquet",
    "write_roster_csv",
    "write_sample",
    "write_schedule_csv",
]

Variant = Literal["iws", "no"]
Encoding = Literal["utf-8", "utf-8-sig", "cp1252"]
Format = Literal["csv", "parquet"]

_CHUNK_ROWS = 500_000
_ISO_LOCAL = "%Y-%m-%dT%H:%M:%S"
_NO_LOCAL = "%d.%m.%Y %H:%M:%S"
_IWS_HEADER = ("timestamp", "agent_id", "agent_name", "team", "status", "reason")
_NO_HEADER = ("tidspunkt", "ansattnr", "navn", "team", "tilstand", "årsak")
_DEFAULT_ENCODING: dict[Variant, Encoding] = {"iws": "utf-8", "no": "cp1252"}
_FORMATS: tuple[Format, ...] = ("csv", "parquet")


def _local_text(data: SyntheticData, fmt: str) -> pl.Expr:
    return pl.col("ts_utc").dt.convert_time_zone(data.time_zone).dt.strftime(fmt)


def _quoted(expr: pl.Expr, *, always: bool = False) -> pl.Expr:
    """Quote a field for a ``;`` file: always, or when it holds ``;``, ``"`` or a line end."""
    text = expr.fill_null("")
    wrapped = pl.concat_str(pl.lit('"'), text.str.replace_all('"', '""', literal=True), pl.lit('"'))
    if always:
        return wrapped
    return pl.when(text.str.contains('[;"\r\n]')).then(wrapped).otherwise(text)


def _iws_lines(chunk: pl.DataFrame, data: SyntheticData) -> bytes:
    frame = chunk.select(
        _local_text(data, _ISO_LOCAL).alias("timestamp"),
        "agent_id",
        "agent_name",
        "team",
        "status",
        "reason",
    )
    return frame.write_csv(include_header=False).encode("utf-8")


def _no_lines(chunk: pl.DataFrame, data: SyntheticData) -> bytes:
    line = pl.concat_str(
        _local_text(data, _NO_LOCAL),
        _quoted(pl.col("agent_id")),
        _quoted(pl.col("agent_name"), always=True),
        _quoted(pl.col("team")),
        _quoted(pl.col("status").str.replace_all("-", "\u2013", literal=True)),
        _quoted(pl.col("reason")),
        pl.lit(""),
        separator=";",
    )
    frame = chunk.select(line.alias("line"))
    text = frame.write_csv(include_header=False, quote_style="never", line_terminator="\r\n")
    return text.encode("utf-8")


def write_iws_csv(
    data: SyntheticData,
    path: str | Path,
    *,
    variant: Variant = "iws",
    encoding: Encoding | None = None,
) -> Path:
    r"""Write the status log as an IWS-style CSV export.

    Both variants write naive local wall-clock timestamps in ``data.time_zone``, as the
    exporting system shows them: in the fall-back hour a local time occurs twice and only the
    row order tells the two apart. Rows are written in the order of ``data.events``.

    Parameters
    ----------
    data
        The synthetic data.
    path
        The file to write (its folder must exist).
    variant
        ``"iws"``: ``,``-separated, LF, header
        ``timestamp,agent_id,agent_name,team,status,reason``, timestamps
        ``YYYY-MM-DDTHH:MM:SS``, fields quoted only where needed.
        ``"no"`` (Norwegian Excel): ``;``-separated with a trailing ``;`` on every line (a
        trailing empty column), CRLF, header ``tidspunkt;ansattnr;navn;team;tilstand;årsak;``,
        timestamps ``dd.mm.yyyy HH:MM:SS``, the name always in ``"..."``, and every ``-`` in a
        status written as an en dash (``Not Ready – Break``).
    encoding
        ``"utf-8"`` (no BOM), ``"utf-8-sig"`` (with BOM) or ``"cp1252"``; default ``"utf-8"``
        for ``"iws"`` and ``"cp1252"`` for ``"no"``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigurationError
        If ``variant`` or ``encoding`` is unknown.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> data = generate(n_agents=12, weeks=1, seed=1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = write_iws_csv(data, Path(tmp) / "log.csv", variant="no")
    ...     raw = written.read_bytes()
    >>> raw.splitlines()[0].decode("cp1252")
    'tidspunkt;ansattnr;navn;team;tilstand;årsak;'
    >>> b"\r\n" in raw and b"\x96" in raw  # CRLF and the en dash in cp1252
    True
    """
    if variant not in _DEFAULT_ENCODING:
        raise ConfigurationError(
            f"variant must be 'iws' or 'no', got {variant!r}",
            hint="'no' writes the Norwegian Excel flavour",
        )
    chosen: Encoding = encoding if encoding is not None else _DEFAULT_ENCODING[variant]
    if chosen not in ("utf-8", "utf-8-sig", "cp1252"):
        raise ConfigurationError(
            f"encoding must be 'utf-8', 'utf-8-sig' or 'cp1252', got {encoding!r}"
        )
    if variant == "iws":
        header = ",".join(_IWS_HEADER) + "\n"
        lines = _iws_lines
    else:
        header = ";".join(_NO_HEADER) + ";\r\n"
        lines = _no_lines
    target = Path(path)
    with target.open("wb") as handle:
        if chosen == "utf-8-sig":
            handle.write(b"\xef\xbb\xbf")
        handle.write(header.encode("cp1252" if chosen == "cp1252" else "utf-8"))
        for offset in range(0, data.events.height, _CHUNK_ROWS):
            encoded = lines(data.events.slice(offset, _CHUNK_ROWS), data)
            if chosen == "cp1252":
                encoded = encoded.decode("utf-8").encode("cp1252")
            handle.write(encoded)
    return target


def write_parquet(data: SyntheticData, directory: str | Path) -> Path:
    """Write the status log as ``status_log.parquet`` in ``directory``.

    Columns: ``timestamp`` (the true instant, UTC, ms), ``agent_id``, ``agent_name``, ``team``,
    ``status``, ``reason``; rows in the order of ``data.events``; zstd-compressed.

    Parameters
    ----------
    data
        The synthetic data.
    directory
        An existing folder.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> import polars as pl
    >>> data = generate(n_agents=12, weeks=1, seed=1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = pl.read_parquet(write_parquet(data, tmp))
    >>> back.schema["timestamp"]
    Datetime(time_unit='ms', time_zone='UTC')
    >>> back.height == data.events.height
    True
    """
    target = Path(directory) / "status_log.parquet"
    data.events.rename({"ts_utc": "timestamp"}).write_parquet(
        target, compression="zstd", compression_level=10, statistics=True
    )
    return target


def write_schedule_csv(data: SyntheticData, directory: str | Path) -> Path:
    """Write the schedule as ``schedule.csv`` in ``directory``.

    Columns ``agent_id,shift_id,start,end,activity,counts_for_adherence``; ``start`` and ``end``
    are naive local wall-clock times ``YYYY-MM-DDTHH:MM:SS`` in ``data.time_zone``; booleans are
    ``true``/``false``. UTF-8 without BOM, LF.

    Parameters
    ----------
    data
        The synthetic data.
    directory
        An existing folder.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> data = generate(n_agents=12, weeks=1, seed=1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     text = write_schedule_csv(data, tmp).read_text(encoding="utf-8")
    >>> text.splitlines()[0]
    'agent_id,shift_id,start,end,activity,counts_for_adherence'
    """
    target = Path(directory) / "schedule.csv"
    data.schedule.write_csv(target, datetime_format=_ISO_LOCAL)
    return target


def write_roster_csv(data: SyntheticData, directory: str | Path) -> Path:
    """Write the roster as ``roster.csv`` in ``directory``.

    All roster columns (see ``SyntheticData``); dates ``YYYY-MM-DD``, an open
    ``valid_to`` empty. UTF-8 without BOM, LF.

    Parameters
    ----------
    data
        The synthetic data.
    directory
        An existing folder.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> data = generate(n_agents=12, weeks=1, seed=1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     header = write_roster_csv(data, tmp).read_text(encoding="utf-8").splitlines()[0]
    >>> header.split(",")[:6]
    ['agent_id', 'agent_name', 'email', 'phone', 'team', 'site']
    """
    target = Path(directory) / "roster.csv"
    data.roster.write_csv(target, date_format="%Y-%m-%d")
    return target


def write_files(
    data: SyntheticData,
    out_dir: str | Path,
    *,
    formats: Sequence[Format] = _FORMATS,
    variant: Variant = "iws",
) -> list[Path]:
    """Write the status log in ``formats``, then the schedule and the roster; make the folder."""
    unknown = [f for f in formats if f not in _FORMATS]
    if unknown or not formats:
        raise ConfigurationError(
            f"formats must be a non-empty selection of 'csv' and 'parquet', got {list(formats)!r}"
        )
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if "csv" in formats:
        written.append(write_iws_csv(data, folder / "status_log.csv", variant=variant))
    if "parquet" in formats:
        written.append(write_parquet(data, folder))
    written.append(write_schedule_csv(data, folder))
    written.append(write_roster_csv(data, folder))
    return written


def write_sample(
    out_dir: str | Path,
    *,
    n_agents: int = 60,
    start: dt.date = dt.date(2026, 3, 9),
    weeks: int = 6,
    seed: int = 2026,
    time_zone: str = "Europe/Oslo",
    formats: Sequence[Format] = _FORMATS,
    variant: Variant = "iws",
) -> list[Path]:
    """Generate a synthetic contact centre and write its files to ``out_dir``.

    Writes ``status_log.csv`` (``write_iws_csv``, ``variant``) and/or
    ``status_log.parquet`` (``write_parquet``) as ``formats`` says, then ``schedule.csv``
    and ``roster.csv``. With the defaults this is exactly the bundled ``data/samples``.

    Parameters
    ----------
    out_dir
        The folder to write to; created if missing. Existing files of the same name are
        overwritten.
    n_agents, start, weeks, seed, time_zone
        As for ``generate``.
    formats
        Which status-log files to write: ``"csv"``, ``"parquet"`` or both.
    variant
        The CSV flavour, ``"iws"`` or ``"no"`` (see ``write_iws_csv``).

    Returns
    -------
    list of Path
        The files written, in the order above.

    Raises
    ------
    ConfigurationError
        If an argument is out of range or a format is unknown.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_sample(tmp, n_agents=12, weeks=1, formats=("csv",))
    ...     names = [p.name for p in paths]
    >>> names
    ['status_log.csv', 'schedule.csv', 'roster.csv']
    """
    data = generate(n_agents=n_agents, start=start, weeks=weeks, seed=seed, time_zone=time_zone)
    return write_files(data, out_dir, formats=formats, variant=variant)
