"""The one private core every reader in ``io`` opens its source with.

It reads what analysts hold: CSV and other delimited text, Parquet, Excel workbooks
(``.xlsx``, with the optional ``excel`` extra), and tables already in memory (polars
``DataFrame``/``LazyFrame``, pandas ``DataFrame``, pyarrow ``Table``). For text it detects
what real exports vary in (delimiter ``,`` / ``;`` / tab / ``|``, encoding, CRLF or CR-only
line ends, quoted fields, trailing empty columns), maps header names through the reader's
aliases onto canonical names, and returns a lazy frame of the canonical columns with a
1-based ``row`` number. Columns the reader does not know (names, phone numbers, e-mail, ...)
are not read at all.

Encoding is decided on the whole content: valid UTF-8 (with or without BOM) is UTF-8; UTF-16
with a BOM (Excel's "Unicode text") is read as UTF-16; a file that is mostly UTF-8 with a few
broken byte sequences stays UTF-8 and the rows holding them are quarantined
(``invalid_encoding``); anything else is given to ``charset-normalizer`` (Windows-1252 where it
cannot tell Windows-1252 from its look-alikes). The choice is reported.

Every text field read is capped at ``MAX_FIELD_CHARS`` characters: a longer one puts its row
in the quarantine (``field_too_long``) with only a short prefix kept.

Quoting is read by the fast CSV parser; when that parser's record count differs from the
file's line count (a stray quote merged lines, or a line break inside quotes) or it fails,
the file is read line by line instead, and a line whose quotes do not pair up is quarantined
(``malformed_row``). Either way one bad row never stops the file.
"""

from __future__ import annotations

import codecs
import csv
import importlib.util
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeAlias, cast

import polars as pl

from adherence.errors import OptionalDependencyError, ParseError, SourceNotFoundError

__all__ = [
    "MAX_FIELD_CHARS",
    "Encoding",
    "RawTable",
    "Source",
    "normalise_header",
    "open_table",
]


class _ArrowExportable(Protocol):
    """A table that exports itself through the Arrow stream interface (pyarrow, pandas)."""

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any: ...


#: What a reader accepts as its source.
Source: TypeAlias = "str | Path | bytes | pl.DataFrame | pl.LazyFrame | _ArrowExportable"
#: Text encodings a caller may name (detection also finds others, e.g. ``cp1250``).
Encoding = Literal["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]

#: The longest text field read [characters]; a longer one quarantines its row.
MAX_FIELD_CHARS = 1_000
#: How much of a too-long or badly encoded field the quarantine keeps [characters].
_SHOWN_CHARS = 100

_CHUNK_BYTES = 1 << 24
_SNIFF_BYTES = 1 << 20
_SEPARATORS = (",", ";", "\t", "|")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
_LINE = "_line"
# A byte no export uses as a delimiter: the line reader splits on it, i.e. not at all.
_NO_SEPARATOR = "\x1f"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Helper columns every ``RawTable.frame`` carries for the row checks of ``ingest``.
ISSUE, ISSUE_COLUMN, ISSUE_VALUE = "_issue", "_issue_column", "_issue_value"
#: Columns holding (or built from) a login id: a quarantine never shows their text (G11).
IDENTIFIER_COLUMNS = frozenset({"agent_id", "shift_id"})


@dataclass(frozen=True)
class RawTable:
    """A source opened lazily, with canonical column names.

    Attributes
    ----------
    frame
        ``row`` (Int64, 1-based record number), one column per canonical name found, and the
        row-issue helpers ``_issue`` (a quarantine reason code or null), ``_issue_column``
        and ``_issue_value``.
    name
        The source's file name (``"<bytes>"`` for in-memory data), stored in ``source``.
    dtypes
        The dtype of each canonical column (text for CSV).
    encoding
        The text encoding read (``None`` for Parquet, Excel and frames).
    lines
        For text: a one-value plan counting the file's lines after the header.
    by_lines
        For text: the same source read line by line (see the module docstring).
    """

    frame: pl.LazyFrame
    name: str
    dtypes: Mapping[str, pl.DataType]
    encoding: str | None = None
    lines: pl.LazyFrame | None = None
    by_lines: Callable[[], RawTable] | None = None


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
    """Open ``source`` lazily with canonical column names.

    Parameters
    ----------
    source
        A path (``.parquet``/``.pq`` read as Parquet, ``.xlsx`` and other workbooks as Excel,
        anything else as delimited text), bytes of delimited text, or a table in memory
        (polars ``DataFrame``/``LazyFrame``, pandas ``DataFrame``, pyarrow ``Table``).
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
        If the source has no header row or lacks a required column, or is of a type no
        reader knows.
    OptionalDependencyError
        If an Excel workbook is given and ``fastexcel`` is not installed.
    """
    if isinstance(source, pl.LazyFrame | pl.DataFrame):
        name = f"<{type(source).__name__}>"
        return _open_frame(source.lazy(), name, aliases=aliases, required=required)
    if not isinstance(source, str | Path | bytes):
        return _open_frame(
            _polars_frame(source), f"<{type(source).__name__}>", aliases=aliases, required=required
        )
    name = "<bytes>" if isinstance(source, bytes) else Path(source).name
    if not isinstance(source, bytes):
        path = Path(source)
        if not path.is_file():
            raise SourceNotFoundError(
                f"no file at {str(path)!r}", hint="check the path and the working directory"
            )
        suffix = path.suffix.lower()
        if suffix in _PARQUET_SUFFIXES:
            return _open_parquet(path, aliases=aliases, required=required)
        if suffix in _EXCEL_SUFFIXES:
            return _open_frame(_read_excel(path), path.name, aliases=aliases, required=required)
    return _open_text(
        source, name, aliases=aliases, required=required, separator=separator, encoding=encoding
    )


def _polars_frame(source: object) -> pl.LazyFrame:
    """A pandas ``DataFrame``, pyarrow ``Table`` or other Arrow-exporting table as polars."""
    module = type(source).__module__.split(".")[0]
    try:
        if module == "pandas":
            frame = pl.from_pandas(cast("Any", source))
        elif module == "pyarrow" or hasattr(source, "__arrow_c_stream__"):
            frame = pl.DataFrame(cast("Any", source))
        else:
            raise ParseError(
                f"cannot read a {type(source).__name__} as a table",
                hint="pass a path, bytes, a polars or pandas DataFrame, or a pyarrow Table",
            )
    except (pl.exceptions.PolarsError, TypeError, ValueError) as err:
        if isinstance(err, ParseError):
            raise
        raise ParseError(  # the error's own text may quote values: only its type is named
            f"cannot convert the {type(source).__name__} to a polars table ({type(err).__name__})",
            hint="convert it with polars yourself and pass the polars DataFrame",
        ) from None
    return frame.lazy() if isinstance(frame, pl.DataFrame) else pl.DataFrame(frame).lazy()


def _read_excel(path: Path) -> pl.LazyFrame:
    """The first sheet of a workbook, every cell as text (needs the ``excel`` extra)."""
    if importlib.util.find_spec("fastexcel") is None:  # polars' calamine engine
        raise OptionalDependencyError(
            f"{path.name}: reading Excel workbooks needs the fastexcel package",
            hint="pip install 'adherence[excel]', or save the sheet as CSV",
        )
    try:
        frame = pl.read_excel(path, engine="calamine", infer_schema_length=0)
    except pl.exceptions.PolarsError as err:
        raise ParseError(
            f"{path.name}: not a readable workbook ({type(err).__name__})",
            hint="check the file is complete, or save the sheet as CSV",
        ) from err
    return frame.lazy()


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
        # The header's cells are not shown: in a file without a header row they are the
        # first row's values, login ids and names among them (G11).
        raise ParseError(
            f"{name}: required column(s) missing: {wanted}; the header has {len(header)} columns",
            hint="check that the file starts with a header row, rename the column, or check "
            "the delimiter and encoding arguments",
        )
    return found


def _open_parquet(
    path: Path, *, aliases: Mapping[str, Sequence[str]], required: Sequence[str]
) -> RawTable:
    try:
        frame = pl.scan_parquet(path)
        frame.collect_schema()
    except pl.exceptions.PolarsError as err:
        raise ParseError(
            f"{path.name}: not a readable Parquet file ({type(err).__name__})",
            hint="check the file is complete, or export it again",
        ) from err
    return _open_frame(frame, path.name, aliases=aliases, required=required)


def _open_frame(
    frame: pl.LazyFrame, name: str, *, aliases: Mapping[str, Sequence[str]], required: Sequence[str]
) -> RawTable:
    """A typed table (Parquet, Excel, a frame in memory): its columns keep their dtypes."""
    try:
        schema = frame.collect_schema()
    except pl.exceptions.PolarsError as err:
        raise ParseError(
            f"{name}: the table's columns cannot be read ({type(err).__name__})",
            hint="check the table, or export it again",
        ) from err
    header = list(schema.names())
    found = _resolve(header, aliases, required, name)
    # Instants keep their type; anything else is read as text, so a value of an unexpected
    # type (an integer timestamp, a categorical status) quarantines its row, not the file.
    dtypes: dict[str, pl.DataType] = {
        c: schema[header[i]] if isinstance(schema[header[i]], pl.Datetime) else pl.String()
        for c, i in found.items()
    }
    columns = [pl.col(header[i]).cast(dtypes[c]).alias(c) for c, i in found.items()]
    indexed = frame.with_row_index("row", offset=1).select(pl.col("row").cast(pl.Int64), *columns)
    return RawTable(_with_issues(indexed, dtypes, text=False), name, dtypes)


def _with_issues(
    frame: pl.LazyFrame, dtypes: Mapping[str, pl.DataType], *, text: bool
) -> pl.LazyFrame:
    """Cap text fields and add the row-issue helper columns (see ``RawTable``).

    A field longer than ``MAX_FIELD_CHARS`` is cut to one character more (so its row is still
    recognisably too long) and its row marked ``field_too_long``; in text read from a file, a
    field holding U+FFFD (a byte sequence the encoding could not decode) is marked
    ``invalid_encoding``. The first such field of a row is named; its text is shown cut to
    a short prefix, and never for an identifier (``IDENTIFIER_COLUMNS``).
    """
    strings = [c for c, t in dtypes.items() if t == pl.String()]
    issue: pl.Expr = pl.lit(None, dtype=pl.String)
    column: pl.Expr = pl.lit(None, dtype=pl.String)
    value: pl.Expr = pl.lit(None, dtype=pl.String)
    for name in reversed(strings):
        field = pl.col(name)
        shown = (
            pl.lit(None, dtype=pl.String)
            if name in IDENTIFIER_COLUMNS
            else field.str.slice(0, _SHOWN_CHARS)
        )
        tests = [("field_too_long", field.str.len_chars() > MAX_FIELD_CHARS)]
        if text:
            tests.insert(0, ("invalid_encoding", field.str.contains("\ufffd", literal=True)))
        for reason, test in tests:
            failed = test.fill_null(value=False)
            issue = pl.when(failed).then(pl.lit(reason)).otherwise(issue)
            column = pl.when(failed).then(pl.lit(name)).otherwise(column)
            value = pl.when(failed).then(shown).otherwise(value)
    if "_malformed" in dtypes:
        malformed = pl.col("_malformed")
        issue = pl.when(malformed).then(pl.lit("malformed_row")).otherwise(issue)
        column = pl.when(malformed).then(pl.lit(None, dtype=pl.String)).otherwise(column)
        value = pl.when(malformed).then(pl.lit(None, dtype=pl.String)).otherwise(value)
    return frame.with_columns(
        issue.alias(ISSUE),
        column.alias(ISSUE_COLUMN),
        value.alias(ISSUE_VALUE),
        *[pl.col(c).str.slice(0, MAX_FIELD_CHARS + 1) for c in strings],
    )


@dataclass(frozen=True)
class _Text:
    """Delimited text ready for polars: UTF-8 bytes or a UTF-8 file, and what it was."""

    data: Path | bytes
    encoding: str
    head: str


def _open_text(
    source: str | Path | bytes,
    name: str,
    *,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    separator: str | None,
    encoding: Encoding | None,
) -> RawTable:
    text = _decoded(source if isinstance(source, bytes) else Path(source), encoding)
    header_line = next(iter(text.head.splitlines()), "")
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
    dtypes = dict.fromkeys(found, pl.String())
    frame = pl.scan_csv(
        text.data,
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
    lines = _lines(text.data)

    def by_lines() -> RawTable:
        fields = _split_line(pl.col(_LINE), separator)
        parsed = lines.with_columns(
            fields.alias("_fields"), ~_well_formed(pl.col(_LINE), separator).alias("_malformed")
        )
        by_line = parsed.select(
            pl.col("row"),
            *[
                pl.col("_fields").list.get(i, null_on_oob=True).replace("", None).alias(c)
                for c, i in found.items()
            ],
            pl.col("_malformed").fill_null(value=False),
        )
        flagged = _with_issues(by_line, {**dtypes, "_malformed": pl.Boolean()}, text=True)
        return RawTable(flagged.drop("_malformed"), name, dtypes, text.encoding)

    return RawTable(
        _with_issues(selected, dtypes, text=True),
        name,
        dtypes,
        text.encoding,
        lines=lines.select(pl.len()),
        by_lines=by_lines,
    )


def _lines(data: Path | bytes) -> pl.LazyFrame:
    """The file's lines after the header, one string each, numbered from 1."""
    return pl.scan_csv(
        data,
        separator=_NO_SEPARATOR,
        has_header=True,
        new_columns=[_LINE],
        schema={_LINE: pl.String},
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
        quote_char=None,
        row_index_name="row",
        row_index_offset=1,
    ).with_columns(pl.col("row").cast(pl.Int64))


def _field_pattern(separator: str) -> str:
    """One field: quoted (``""`` inside), unquoted (a quote inside is text), or empty."""
    sep = _escaped(separator)
    return f'"(?:[^"]|"")*"|[^{sep}"][^{sep}]*|'


def _escaped(separator: str) -> str:
    return "\\t" if separator == "\t" else "\\" + separator if separator in "|\\^]-[" else separator


def _well_formed(line: pl.Expr, separator: str) -> pl.Expr:
    """Whether a line is a sequence of fields whose quotes pair up."""
    field, sep = _field_pattern(separator), _escaped(separator)
    return line.str.contains(f"^(?:{field})(?:{sep}(?:{field}))*$") | line.is_null()


def _split_line(line: pl.Expr, separator: str) -> pl.Expr:
    """A line's fields, quotes removed. A separator is put in front so no match is empty."""
    field, sep = _field_pattern(separator), _escaped(separator)
    tokens = (pl.lit(separator) + line).str.extract_all(f"{sep}(?:{field})")
    token = pl.element().str.slice(1)
    quoted = token.str.starts_with('"') & token.str.ends_with('"') & (token.str.len_chars() > 1)
    unquoted = token.str.slice(1, token.str.len_chars() - 2).str.replace_all(
        '""', '"', literal=True
    )
    return tokens.list.eval(pl.when(quoted).then(unquoted).otherwise(token))


def _decoded(source: Path | bytes, encoding: str | None) -> _Text:
    """Decide the encoding on the whole content and give polars UTF-8 (see the module doc).

    A valid UTF-8 file with line feeds is handed to polars as the file itself (read lazily);
    anything else is transcoded, or has its CR-only line ends replaced, in memory.
    """
    if isinstance(source, Path) and encoding in (None, "utf-8", "utf-8-sig"):
        valid, has_lf, has_cr, bom = _scan_file(source)
        lossy_ok = encoding is not None or valid
        if lossy_ok and (has_lf or not has_cr) and bom != "utf-16":
            head = _read_head(source).decode("utf-8", errors="replace")
            chosen = encoding or ("utf-8-sig" if bom == "utf-8" else "utf-8")
            return _Text(source, chosen, head)
    data = source if isinstance(source, bytes) else source.read_bytes()
    chosen = encoding or _detect(data)
    if chosen not in ("utf-8", "utf-8-sig"):
        data = data.decode(chosen, errors="replace").encode("utf-8")
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")  # CR-only line ends (Excel for Mac)
    head = data[:_SNIFF_BYTES].decode("utf-8", errors="replace")
    return _Text(data, chosen, head)


def _scan_file(path: Path) -> tuple[bool, bool, bool, str | None]:
    """(valid UTF-8, has a line feed, has a carriage return, BOM) of a file, read in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid, has_lf, has_cr, bom = True, False, False, None
    with path.open("rb") as handle:
        first = True
        while chunk := handle.read(_CHUNK_BYTES):
            if first:
                bom = _bom(chunk)
                first = False
            has_lf = has_lf or b"\n" in chunk
            has_cr = has_cr or b"\r" in chunk
            if valid:
                try:
                    decoder.decode(chunk, final=False)
                except UnicodeDecodeError:
                    valid = False
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    return valid, has_lf, has_cr, bom


def _bom(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if data.startswith(_UTF16_BOMS):
        return "utf-16"
    return None


def _detect(data: bytes) -> str:
    """The encoding of a whole text (see the module docstring)."""
    bom = _bom(data)
    if bom == "utf-16":
        return "utf-16"
    if bom == "utf-8":
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    decoded_non_ascii = _non_ascii(text) - broken
    if decoded_non_ascii >= broken and decoded_non_ascii > 0:
        # UTF-8 with some broken byte sequences (an 8-bit file almost never holds a valid
        # multi-byte sequence): stays UTF-8, and the rows holding them are quarantined.
        return "utf-8"
    return _legacy_encoding(data)


def _non_ascii(text: str) -> int:
    """How many characters of ``text`` are not ASCII."""
    return len(text) - len(text.encode("ascii", errors="ignore"))


def _legacy_encoding(data: bytes) -> str:
    """An 8-bit encoding by ``charset-normalizer``.

    Windows-1252 (what Excel writes in Western Europe) when it is among the matches with the
    least chaos: on contact-centre text the look-alikes (cp1250, cp850, ...) often score the
    same or a hair better by accident. Otherwise the most coherent of those matches.
    """
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return "cp1252"
    calm = min(m.chaos for m in matches)
    candidates = [m for m in matches if m.chaos == calm]
    if any("cp1252" in (m.encoding, *m.could_be_from_charset) for m in candidates):
        return "cp1252"
    return str(max(candidates, key=lambda m: m.coherence).encoding)


def _read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_SNIFF_BYTES)


def _sniff_separator(header_line: str) -> str:
    """The candidate delimiter that splits the header into the most fields."""
    counts = {
        sep: len(next(csv.reader(io.StringIO(header_line), delimiter=sep))) for sep in _SEPARATORS
    }
    return max(_SEPARATORS, key=lambda sep: (counts[sep], -_SEPARATORS.index(sep)))
