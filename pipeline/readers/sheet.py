"""An analyst's metadata sheet (CSV or Excel): a row per input file, overriding what the file says of itself.

Like CoreNLP's document-date mapping file: a `file` column (a path relative to the sheet, or
a bare file name) and any metadata columns (`id`, `date`, `title`, `url`, `source`, `author`,
...). An empty cell overrides nothing. A row whose date is not ISO, or two rows for one file,
cost the file they name (it is skipped with the reason); the sheet reports its rows that
matched no input and the inputs that had no row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Messages, PolicyExtractError, shown_path
from .base import is_iso_day

FILE_COLUMN = "file"
SHEET_SUFFIXES = (".csv", ".xlsx")
# A spreadsheet program writes a date cell as "2025-03-04 00:00:00": the day is what counts.
ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00)?)?$")


@dataclass(frozen=True)
class SheetRow:
    """One row: its line in the file (the header is line 1), the file it names and its metadata."""

    line: int
    file: str
    meta: dict[str, Any]


@dataclass
class MetadataSheet:
    """The rows of a sheet, looked up by input file; remembers which rows were used."""

    path: Path
    rows: list[SheetRow]
    used: set[int] = field(default_factory=set)
    inputs_without_row: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> MetadataSheet:
        """Read a CSV file or an Excel workbook's first sheet.

        Raises:
            PolicyExtractError: when the file cannot be read as CSV or has no `file` column.
        """
        import pandas as pd

        suffix = path.suffix.lower()
        if suffix not in SHEET_SUFFIXES:
            problem = f"not a {' or '.join(SHEET_SUFFIXES)} file"
            raise PolicyExtractError(Messages.M001.format(path=shown_path(path), problem=problem))
        try:
            if suffix == ".xlsx":  # the first sheet of a workbook, every cell as text
                table = pd.read_excel(path, dtype=str, keep_default_na=False)
            else:
                table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise PolicyExtractError(Messages.M001.format(path=shown_path(path), problem=error)) from error
        columns = [str(column).strip() for column in table.columns]
        if FILE_COLUMN not in columns:
            problem = f"no `{FILE_COLUMN}` column (columns: {', '.join(columns) or 'none'})"
            raise PolicyExtractError(Messages.M001.format(path=shown_path(path), problem=problem))
        table.columns = columns
        rows = []
        for number, record in enumerate(table.to_dict("records"), start=2):
            meta = {
                key: str(value).strip() for key, value in record.items() if key != FILE_COLUMN and str(value).strip()
            }
            rows.append(SheetRow(number, str(record[FILE_COLUMN]).strip(), meta))
        return cls(path, rows)

    def meta_for(self, input_path: Path) -> tuple[dict[str, Any], str | None]:
        """The metadata the sheet gives `input_path`, and the problem that costs the file (or None).

        A row matches when its `file` is the input's path relative to the sheet's folder, or,
        written without a folder, the input's file name.
        """
        matches = [row for row in self.rows if self._names(row, input_path)]
        if not matches:
            self.inputs_without_row.append(str(input_path))
            return {}, None
        self.used.update(row.line for row in matches)
        if len(matches) > 1:
            lines = ", ".join(str(row.line) for row in matches)
            problem = f"lines {lines} all name this file; keep one row for it"
            return {}, Messages.M002.format(path=shown_path(self.path), problem=problem, file=shown_path(input_path))
        row = matches[0]
        meta = dict(row.meta)
        if "date" in meta:
            day = ISO_DAY.match(meta["date"])
            if day is None or not is_iso_day(day.group(1)):
                problem = f"line {row.line}: date {meta['date']!r} is not an ISO date; write it as YYYY-MM-DD"
                return {}, Messages.M002.format(
                    path=shown_path(self.path), problem=problem, file=shown_path(input_path)
                )
            meta["date"] = day.group(1)
        return meta, None

    def peek(self, input_path: Path) -> dict[str, Any]:
        """The first row's metadata for `input_path`, not counted as used (a pass that reads ahead, for ids)."""
        return next((row.meta for row in self.rows if self._names(row, input_path)), {})

    def rows_without_input(self) -> list[str]:
        """ "line N: file" for every row no input matched."""
        return [f"line {row.line}: {row.file}" for row in self.rows if row.line not in self.used]

    def summary(self) -> dict[str, Any]:
        """What the manifest records of the sheet."""
        return {
            "path": str(self.path),
            "rows": len(self.rows),
            "rows_without_input": self.rows_without_input(),
            "inputs_without_row": list(self.inputs_without_row),
        }

    def _names(self, row: SheetRow, input_path: Path) -> bool:
        if "/" in row.file or "\\" in row.file:
            try:
                return (self.path.parent / row.file).resolve() == input_path.resolve()
            except OSError:
                return False
        return row.file == input_path.name
