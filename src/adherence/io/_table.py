"""The one private core every reader in ``io`` opens its source with.

It detects what real exports vary in (delimiter ``,`` / ``;`` / tab, UTF-8 with or without BOM
or Windows-1252, CRLF, quoted fields, trailing empty columns), maps header names through the
reader's aliases onto canonical names, and returns a lazy frame of text columns with a 1-based
``row`` number. Columns the reader does not know (names, phone numbers, e-mail, ...) are not
read at all. Parquet sources keep their own dtypes.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from adherence.errors import ParseError, SourceNotFoundError

__all__ = ["Encoding", "RawTable", "Source", "normalise_header", "open_table"]

#: What a reader accepts as its source.
Source = str | Path | bytes
#: Text encodings the readers detect (or take as an argument).
Encoding = Literal["utf-8", "utf-8-sig", "cp1252"]

_SNIFF_BYTES = 1 << 20
_SEPARATORS = (",", ";", "\t", "|")
_PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class RawTable:
    """A source opened lazily, with canonical column names.

    Attributes
    ----------
    frame
        ``row`` (Int64, 1-based record number) and one column per canonical name found.
    name
        The source's file name (``"<bytes>"`` for in-memory data), stored in ``source``.
    dtypes
        The dtype of each canonical column (text for CSV).
    """

    frame: pl.LazyFrame
    name: str
    dtypes: Mapping[str, pl.DataType]


def normalise_header(name: str) -> str:
    r"""Return the matching key of a header name: lower case, ``_`` for blanks and dashes.

    Examples
    --------
    >>> normalise_header("\ufeff Event Time ")
    'event_time'
    """
    text = name.replace("\ufeff", "").strip().lower()
    return "_".join(text.replace("-", " ").split())


def open_table(
    source: Source,
    *,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    separator: str | None = None,
    encoding: Encoding | None = None,
) -> RawTable:
    """Open ``source`` (CSV or Parquet) lazily with canonical column names.

    Parameters
    ----------
    source
        A path (``.parquet``/``.pq`` read as Parquet, anything else as delimited text) or bytes.
    aliases
        Canonical name to the header names (normalised, see ``normalise_header``) that mean
        it, in order of preference.
    required
        Canonical names that must be present.
    separator, encoding
        Override the detected delimiter or text encoding.

    Raises
    ------
    SourceNotFoundError
        If the path does not exist.
    ParseError
        If the source has no header row or lacks a required column.
    """
    name = "<bytes>" if isinstance(source, bytes) else Path(source).name
    if not isinstance(source, bytes):
        path = Path(source)
        if not path.is_file():
            raise SourceNotFoundError(
                f"no file at {str(path)!r}", hint="check the path and the working directory"
            )
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            return _open_parquet(path, aliases=aliases, required=required)
    return _open_text(
        source, name, aliases=aliases, required=required, separator=separator, encoding=encoding
    )


def _resolve(
    header: Sequence[str], aliases: Mapping[str, Sequence[str]], required: Sequence[str], name: str
) -> dict[str, int]:
    """Canonical name to the position of the first header column that means it."""
    keys = [normalise_header(h) for h in header]
    found: dict[str, int] = {}
    for canonical, names in aliases.items():
        for alias in (canonical, *names):
            if alias in keys:
                found[canonical] = keys.index(alias)
                break
    missing = [c for c in required if c not in found]
    if missing:
        wanted = "; ".join(
            f"{c} (or {', '.join(aliases.get(c, ())) or 'no alias'})" for c in missing
        )
        raise ParseError(
            f"{name}: required column(s) missing: {wanted}; the header has {list(header)}",
            hint="rename the column or check the delimiter and encoding arguments",
        )
    return found


def _open_parquet(
    path: Path, *, aliases: Mapping[str, Sequence[str]], required: Sequence[str]
) -> RawTable:
    try:
        frame = pl.scan_parquet(path)
        schema = frame.collect_schema()
    except pl.exceptions.PolarsError as err:
        raise ParseError(
            f"{path.name}: not a readable Parquet file ({type(err).__name__})",
            hint="check the file is complete, or export it again",
        ) from err
    header = list(schema.names())
    found = _resolve(header, aliases, required, path.name)
    columns = [pl.col(header[i]).alias(c) for c, i in found.items()]
    dtypes = {c: schema[header[i]] for c, i in found.items()}
    indexed = frame.with_row_index("row", offset=1).select(pl.col("row").cast(pl.Int64), *columns)
    return RawTable(indexed, path.name, dtypes)


def _open_text(
    source: str | Path | bytes,
    name: str,
    *,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    separator: str | None,
    encoding: Encoding | None,
) -> RawTable:
    head = source[:_SNIFF_BYTES] if isinstance(source, bytes) else _read_head(Path(source))
    encoding = encoding or _sniff_encoding(head)
    head_text = head.decode(encoding, errors="replace")
    header_line = next(iter(head_text.splitlines()), "")
    if not header_line.strip():
        raise ParseError(
            f"{name}: the first line is empty; a header row naming the columns is required",
            hint="export the report with column headers",
        )
    separator = separator or _sniff_separator(header_line)
    header = next(csv.reader([header_line], delimiter=separator))
    found = _resolve(header, aliases, required, name)
    position_to_name = {i: c for c, i in found.items()}
    new_columns = [position_to_name.get(i, f"_unused_{i}") for i in range(len(header))]
    if encoding == "cp1252":
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        data: str | Path | bytes = raw.decode("cp1252", errors="replace").encode("utf-8")
    else:
        data = source
    frame = pl.scan_csv(
        data,
        separator=separator,
        has_header=True,
        new_columns=new_columns,
        infer_schema=False,
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
        row_index_name="row",
        row_index_offset=1,
        quote_char='"',
        missing_columns="insert",
    )
    selected = frame.select(pl.col("row").cast(pl.Int64), *[pl.col(c) for c in found])
    return RawTable(selected, name, dict.fromkeys(found, pl.String()))


def _read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_SNIFF_BYTES)


def _sniff_encoding(head: bytes) -> Encoding:
    """UTF-8 (with or without BOM) when the head decodes as UTF-8, else Windows-1252."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _sniff_separator(header_line: str) -> str:
    """The candidate delimiter that splits the header into the most fields."""
    counts = {
        sep: len(next(csv.reader(io.StringIO(header_line), delimiter=sep))) for sep in _SEPARATORS
    }
    return max(_SEPARATORS, key=lambda sep: (counts[sep], -_SEPARATORS.index(sep)))
