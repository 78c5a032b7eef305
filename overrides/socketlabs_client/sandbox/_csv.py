"""The suppression list as CSV pages, with the `Content-Range` the API sends.

Every page starts with the header row
`serverId,suppressionLastUpdate,reason,emailAddress` (the address is the
fourth column, as callers of the real API index it). `Content-Range: rows
a-b/total` names the zero-based, inclusive rows of the page; every page but
the last answers 206 and the last answers 200.

An empty result (an empty list, or a page number past the end) answers 200
with the header row only and no `Content-Range`: there is no row range to
name, and the spec's `rows a-b/total` form cannot express an empty one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from ._dates import format_instant
from ._state import Suppression

__all__ = ["CSV_HEADER", "CsvPage", "render_page"]

CSV_HEADER = ("serverId", "suppressionLastUpdate", "reason", "emailAddress")


@dataclass(frozen=True, slots=True)
class CsvPage:
    """One page: its status, `Content-Range` (or `None`) and text."""

    status: int
    content_range: str | None
    text: str


def render_page(server_id: int, entries: Sequence[Suppression], page_number: int, page_size: int) -> CsvPage:
    """Render page `page_number` (zero-based) of `entries`."""
    total = len(entries)
    first = page_number * page_size
    rows = entries[first : first + page_size] if first < total else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for entry in rows:
        writer.writerow(
            (
                server_id,
                format_instant(entry.suppression_last_update),
                entry.reason or "",
                entry.email_address,
            )
        )
    if not rows:
        return CsvPage(status=200, content_range=None, text=buffer.getvalue())
    last = first + len(rows) - 1
    status = 200 if last >= total - 1 else 206
    return CsvPage(status=status, content_range=f"rows {first}-{last}/{total}", text=buffer.getvalue())
