"""The plan's reporting history: how far back the report operations reach.

The docs say a date range outside the plan's reporting history is an API
error but not how it is answered. The sandbox assumes the v2 error envelope
with status 400 and `errorType` `ReportingHistoryExceeded` (the client maps
exactly that to `ReportingHistoryError`). The window is
`SandboxConfig.reporting_history_days` whole UTC days back from the start of
today by the sandbox's clock; `None` means no limit.
"""

from __future__ import annotations

from ._dates import DAY, format_instant

__all__ = ["REPORTING_HISTORY_ERROR", "history_problem"]

REPORTING_HISTORY_ERROR = "ReportingHistoryExceeded"


def history_problem(days: int | None, now: int, start: int | None, end: int | None) -> str | None:
    """Why `[start, end]` (UTC seconds) reaches outside the history, or `None` when it does not."""
    if days is None:
        return None
    earliest = (now // DAY - days) * DAY
    if start is not None and start < earliest:
        return (
            f"startDate {format_instant(start)} is before the plan's reporting history of {days} days"
            f" (earliest {format_instant(earliest)})"
        )
    if start is None and end is not None and end < earliest:
        return f"endDate {format_instant(end)} is before the plan's reporting history of {days} days"
    return None
