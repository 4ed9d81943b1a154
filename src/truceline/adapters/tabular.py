"""Streaming readers for the row formats: CSV with a header line, and JSON Lines.

Rows are numbered from 0 in file order (the CSV header is not a row; blank lines are
not rows). A CSV row with the wrong number of cells, or a JSONL line that is not a
JSON object, becomes a RowError here, before any adapter sees it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from truceline.adapters.base import Record, RowError, SourceError, clip
from truceline.adapters.lines import MAX_LINE_CHARS, lines
from truceline.codec import jcs

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".geojsonl", ".geojsons")


def csv_header(path: Path) -> list[str]:
    """The header cells, lower-cased and stripped (FIRMS files use both cases)."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        try:
            first = next(csv.reader(fh))
        except (StopIteration, csv.Error) as exc:
            raise SourceError(f"{path.name}: no CSV header line ({exc or 'empty file'})") from None
    return [cell.strip().lower() for cell in first]


def csv_records(path: Path) -> Iterator[Record | RowError]:
    """Each data row as a dict keyed by the lower-cased header."""
    header = csv_header(path)
    # errors="replace": a byte that is not UTF-8 must not end the file; it shows up as U+FFFD
    # in the field, where the field's own check reports it.
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh)
        next(reader, None)  # the header, read above
        row = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                current, row = row, row + 1
                yield RowError(current, "row", f"not valid CSV: {exc}", "")
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line is not a row
            current, row = row, row + 1
            # the raw text is only for error messages, so a plain join is enough
            raw = ",".join(cells)
            if len(cells) != len(header):
                yield RowError(
                    current, "row", f"{len(cells)} cells, the header has {len(header)}", clip(raw)
                )
                continue
            yield Record(current, raw, dict(zip(header, cells, strict=True)))


def jsonl_records(path: Path) -> Iterator[Record | RowError]:
    """Each non-blank line as a JSON object (at most 1 MiB, nested at most 64 levels)."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        row = 0
        for line, whole in lines(fh):
            if not line.strip():
                continue
            current, row = row, row + 1
            if not whole:
                yield RowError(
                    current, "line", f"longer than {MAX_LINE_CHARS} characters", clip(line)
                )
                continue
            try:
                value = jcs.loads(line)
            except json.JSONDecodeError as exc:
                yield RowError(
                    current,
                    "line",
                    f"not JSON: {exc.msg} at column {exc.colno}",
                    clip(line.rstrip()),
                )
                continue
            except ValueError as exc:  # too deep, or NaN/Infinity
                yield RowError(current, "line", f"not accepted JSON: {exc}", clip(line.rstrip()))
                continue
            if not isinstance(value, dict):
                yield RowError(
                    current,
                    "line",
                    f"expected a JSON object, got {type(value).__name__}",
                    clip(line.rstrip()),
                )
                continue
            yield Record(current, line.rstrip(), value)


def rows(path: Path) -> Iterator[Record | RowError]:
    """JSON Lines for .jsonl/.ndjson files, CSV otherwise."""
    if path.suffix.lower() in JSONL_SUFFIXES:
        return jsonl_records(path)
    return csv_records(path)
