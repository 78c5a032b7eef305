"""How rows reach the output: written as they arrive, shaped for whoever reads them.

On a terminal a table (rich, which honours ``NO_COLOR``); piped, plain
tab-separated lines with a header (as ``gh`` prints for scripts: no box
characters, no colour); or CSV, JSON lines, or one JSON array. Everything but
the terminal table is streamed: a row is written when it arrives, so a long
pull shows up in a pipe at once and holds no rows in memory.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

__all__ = ["FORMATS", "OutputFile", "RowWriter", "is_terminal"]

FORMATS = ("table", "tsv", "csv", "jsonl")
"""``table`` means: a table on a terminal, tab-separated lines otherwise."""


def is_terminal(stream: IO[str]) -> bool:
    """True when a person reads ``stream`` (a TTY)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _tsv(value: Any) -> str:
    """One TSV field: tabs and line breaks escaped, so a row stays one line."""
    return _cell(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class RowWriter:
    """Writes dict rows in one format; ``close()`` finishes it and returns the row count."""

    def __init__(self, stream: IO[str] | None, fmt: str, *, as_json: bool = False, title: str = "") -> None:
        self._stream = stream
        self.fmt = "json" if as_json else fmt
        if self.fmt == "table" and not is_terminal(self.stream):
            self.fmt = "tsv"
        self.title = title
        self.count = 0
        self._columns: list[str] | None = None
        self._csv: csv.DictWriter[str] | None = None
        self._table: list[Mapping[str, Any]] = []

    @property
    def stream(self) -> IO[str]:
        """The file, or stdout as it is now (a progress bar redirects it to print above itself)."""
        return sys.stdout if self._stream is None else self._stream

    def write(self, row: Mapping[str, Any]) -> None:
        """Write one row now (the terminal table waits for all of them, to size its columns)."""
        if self.fmt == "json":
            self.stream.write(("[\n  " if self.count == 0 else ",\n  ") + json.dumps(row, default=str))
        elif self.fmt == "jsonl":
            self.stream.write(json.dumps(row, default=str) + "\n")
        elif self.fmt == "csv":
            if self._csv is None:
                self._csv = csv.DictWriter(self.stream, fieldnames=list(row), extrasaction="ignore")
                self._csv.writeheader()
            self._csv.writerow({k: _cell(v) for k, v in row.items()})
        elif self.fmt == "tsv":
            if self._columns is None:
                self._columns = list(row)
                self.stream.write("\t".join(self._columns) + "\n")
            self.stream.write("\t".join(_tsv(row.get(c)) for c in self._columns) + "\n")
        else:
            self._table.append(row)
        self.count += 1
        if self.fmt != "table":
            self.stream.flush()

    def close(self) -> int:
        """Finish the output (the JSON array's bracket, the terminal table)."""
        if self.fmt == "json":
            self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        elif self.fmt == "table":
            from rich.console import Console  # noqa: PLC0415 - only for a person's terminal
            from rich.table import Table  # noqa: PLC0415

            columns = list(dict.fromkeys(k for row in self._table for k in row))
            table = Table(*columns, title=f"{self.title} ({self.count} rows)" if self.title else None)
            for row in self._table:
                table.add_row(*(_cell(row.get(c)) for c in columns))
            Console(file=self.stream, soft_wrap=True).print(table)
            self._table.clear()
        self.stream.flush()
        return self.count


class OutputFile:
    """``-o FILE``: checked writable before anything is sent; replaced only when the pull succeeds.

    Rows go to a temporary file beside it, renamed over it at the end, so a
    failed pull leaves an earlier file whole. ``-`` (or no ``-o``) is stdout
    (``stream`` None).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = None if path is None or str(path) == "-" else path
        self._temporary: Path | None = None
        self.stream: IO[str] | None = None
        if self.path is not None:
            if self.path.is_dir():
                raise OSError(f"{self.path} is a folder")
            descriptor, name = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent or ".")
            self._temporary = Path(name)
            self.stream = os.fdopen(descriptor, "w", newline="", encoding="utf-8")

    def commit(self) -> None:
        """Move the finished rows into place."""
        if self.stream is not None and self.path is not None and self._temporary is not None:
            self.stream.close()
            self._temporary.chmod(0o644 & ~_umask())
            self._temporary.replace(self.path)
            self._temporary = None

    def discard(self) -> None:
        """Drop a partial pull (the earlier file, if any, stays)."""
        if self.stream is not None and self._temporary is not None:
            self.stream.close()
            self._temporary.unlink(missing_ok=True)
            self._temporary = None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
