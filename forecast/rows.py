"""Input rows, from a CSV file or a JSON batch, read through typed accessors that name where a bad value is.

Knows nothing of series, observations or targets: `forecast.data` says which
columns a file has and what a valid row is; this module only turns cells into
text, numbers, dates, flags and enum members, or raises DataError naming the
source, the line (or the row's index in a batch) and the field.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from enum import Enum
from typing import TypeVar

from forecast.domain import month_end
from forecast.errors import DataError

MAX_TEXT_CHARS = 4000  # any one text field; the longest note in data/ has 739
# C0 and C1 control characters but tab and newline (a note may span lines), the Unicode line and paragraph
# separators, and lone surrogates: a lone carriage return in a stored field splits a CSV line where a reader does
# not expect it, and a lone surrogate (JSON "\ud800") cannot be written as UTF-8 at all.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0", ""})

E = TypeVar("E", bound=Enum)


class Row:
    """One input row, and typed accessors that raise DataError naming where it is and the field.

    A row is a line of a CSV file (`line`, values are text) or an item of a
    JSON batch (`index`, `line` 0; values are str, float, int, bool or None).
    Every accessor reads a value as the text a CSV cell would hold, so the two
    inputs pass the same checks and give the same figures.
    """

    def __init__(self, source: str, line: int, values: Mapping[str, object], index: int | None = None) -> None:
        self.source = source
        self.line = line
        self.values = values
        self.index = index

    @property
    def where(self) -> str:
        return f"row {self.index}" if self.index is not None else f"line {self.line}"

    def fail(self, field: str, reason: str) -> DataError:
        return DataError(self.source, self.line, field, reason, row=self.index)

    def text(self, field: str, required: bool = False) -> str:
        value = self._cell(field).strip()
        if required and not value:
            raise self.fail(field, "is required")
        if len(value) > MAX_TEXT_CHARS:
            raise self.fail(field, f"has {len(value):,} characters; at most {MAX_TEXT_CHARS:,} are kept")
        control = CONTROL_CHARACTERS.search(value)
        if control:
            raise self.fail(field, f"holds the control character U+{ord(control.group()):04X} at position {control.start()}")
        return value

    def _cell(self, field: str) -> str:
        """The value as CSV text: None is blank, a boolean true/false, a number as Python writes it (exactly)."""
        value = self.values.get(field)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)  # repr of a float reads back to the same float
        raise self.fail(field, f"a {type(value).__name__} is not text, a number, true/false or null")

    def number(self, field: str, required: bool = False) -> float | None:
        raw = self.text(field, required)
        if not raw:
            return None
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            raise self.fail(field, f"'{raw}' is not a number") from None
        if not math.isfinite(value):
            raise self.fail(field, f"'{raw}' is not a finite number")
        return value

    def day(self, field: str, required: bool = False) -> date | None:
        raw = self.text(field, required)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise self.fail(field, f"'{raw}' is not a date (YYYY-MM-DD)") from None

    def loose_day(self, field: str) -> tuple[date | None, bool]:
        """A date that may be given as YYYY or YYYY-MM; returns (latest day it can mean, was_partial)."""
        raw = self.text(field)
        if not raw:
            return None, False
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return self.day(field), False
        if re.fullmatch(r"\d{4}-\d{2}", raw):
            year, month = (int(part) for part in raw.split("-"))
            if not 1 <= month <= 12:
                raise self.fail(field, f"'{raw}' has no month {month}")
            if year < 1:
                raise self.fail(field, f"'{raw}' has no year 0")
            return month_end(year, month), True
        if re.fullmatch(r"\d{4}", raw):
            if int(raw) < 1:
                raise self.fail(field, f"'{raw}' has no year 0")
            return date(int(raw), 12, 31), True
        raise self.fail(field, f"'{raw}' is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")

    def flag(self, field: str) -> bool:
        raw = self.text(field).lower()
        if raw in TRUE_WORDS:
            return True
        if raw in FALSE_WORDS:
            return False
        raise self.fail(field, f"'{raw}' is not true or false")

    def strict_flag(self, field: str) -> bool:
        """A boolean spelled exactly true or false; blank is false."""
        raw = self.text(field)
        if raw not in ("true", "false", ""):
            raise self.fail(field, f"'{raw}' is not true or false")
        return raw == "true"

    def choice(self, field: str, enum: type[E], default: str | None = None) -> E:
        raw = self.text(field) or (default or "")
        try:
            return enum(raw)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(field, f"'{raw}' is not one of: {allowed}") from None


def read_csv_rows(text: str, source: str, columns: tuple[str, ...], optional: frozenset[str] = frozenset()) -> list[Row]:
    """Every line of CSV `text` after the header; the header must hold `columns` (less any `optional`) and no others."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    missing = [column for column in columns if column not in header and column not in optional]
    if missing:
        raise DataError(source, 1, missing[0], f"column is missing from the header (expected {', '.join(columns)})")
    unknown = [column for column in header if column not in columns]
    if unknown:
        raise DataError(source, 1, unknown[0], "unknown column")
    rows = []
    for row in reader:
        if None in row:
            raise DataError(source, reader.line_num, "(row)", "more fields than the header has")
        rows.append(Row(source, reader.line_num, row))
    return rows


def read_json_rows(
    items: Sequence[Mapping[str, object]], source: str, columns: tuple[str, ...], optional: frozenset[str] = frozenset()
) -> list[Row]:
    """Every item of a JSON batch; each must map exactly `columns` (less any `optional`), and a bad one is named by its index."""
    rows = []
    for index, values in enumerate(items):
        missing = [column for column in columns if column not in values and column not in optional]
        if missing:
            raise DataError(source, 0, missing[0], f"column is missing (expected {', '.join(columns)})", row=index)
        unknown = [str(column) for column in values if column not in columns]
        if unknown:
            raise DataError(source, 0, unknown[0], "unknown column", row=index)
        rows.append(Row(source, 0, values, index))
    return rows
