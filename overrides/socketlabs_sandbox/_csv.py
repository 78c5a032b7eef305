"""The suppression list as CSV pages, with the `Content-Range` the API sends.

Every page starts with the header row
`serverId,suppressionLastUpdate,reason,emailAddress` (the address is the
fourth column, as callers of the real API index it). `Content-Range: rows
a-b/total` names the zero-based, inclusive rows of the page; every page but
the last answers 206 and the last answers 200.

An empty result (an empty list, or a page number past the end) answers 200
with the header row only and no `Content-Range`: there is no row range to
name, and the spec's `rows a-b/total` form cannot express an empty one.

The body is produced in chunks of `CHUNK_ROWS` rows, so a 500000-row page is
streamed rather than built. The truncation fault (`truncate`) cuts a page's
body short after half its rows while `Content-Range` still names them all:
what a dropped connection or a broken proxy looks like to a client.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ._dates import format_instant
from ._state import Suppression

__all__ = ["CHUNK_ROWS", "CSV_HEADER", "CsvPage", "render_page"]

CSV_HEADER = ("serverId", "suppressionLastUpdate", "reason", "emailAddress")

CHUNK_ROWS = 10_000
"""Rows per streamed chunk of a page body."""


@dataclass(frozen=True, slots=True)
class CsvPage:
    """One page: its status, `Content-Range` (or `None`) and body chunks."""

    status: int
    content_range: str | None
    chunks: Iterator[str]

    @property
    def text(self) -> str:
        """The whole body (consumes `chunks`; for small pages and tests)."""
        return "".join(self.chunks)


def _chunks(server_id: int, rows: Sequence[Suppression]) -> Iterator[str]:
    """The header row, then the rows, `CHUNK_ROWS` at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for start in range(0, len(rows), CHUNK_ROWS):
        for entry in rows[start : start + CHUNK_ROWS]:
            writer.writerow(
                (
                    server_id,
                    format_instant(entry.suppression_last_update),
                    entry.reason or "",
                    entry.email_address,
                )
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def render_page(
    server_id: int,
    entries: Sequence[Suppression],
    page_number: int,
    page_size: int,
    *,
    truncate: bool = False,
) -> CsvPage:
    """Page `page_number` (zero-based) of `entries`; `truncate` drops the second half of its rows."""
    total = len(entries)
    first = page_number * page_size
    rows = entries[first : first + page_size] if first < total else []
    if not rows:
        return CsvPage(status=200, content_range=None, chunks=_chunks(server_id, rows))
    last = first + len(rows) - 1
    status = 200 if last >= total - 1 else 206
    sent = rows[: len(rows) // 2] if truncate else rows
    return CsvPage(
        status=status, content_range=f"rows {first}-{last}/{total}", chunks=_chunks(server_id, sent)
    )
