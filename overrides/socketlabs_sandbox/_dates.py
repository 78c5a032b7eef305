"""Dates as the v2 API writes them, reduced to integer UTC seconds.

The API accepts `yyyy-MM-ddTHH:mm:ssK`, `yyyy-MM-ddK` and `yyyy-MM-dd`, UTC
unless an offset is given. The sandbox keeps every instant as an `int` of
seconds since the Unix epoch: comparing and sorting plain integers is fast
over a million seeded rows, and integer arithmetic cannot overflow the way
`datetime` does for `0001-01-01T00:00:00+14:00`.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

__all__ = [
    "ANCHOR",
    "DAY",
    "FIXED_ANCHOR",
    "ApiDate",
    "format_instant",
    "parse_api_date",
]

DAY = 86_400
"""Seconds in a day."""

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)

FIXED_ANCHOR = _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)
"""A fixed end of the seeded data (``SandboxConfig(anchor=FIXED_ANCHOR)``): the same rows any day."""

ANCHOR = int((FIXED_ANCHOR - _EPOCH).total_seconds())
"""``FIXED_ANCHOR`` in UTC seconds."""

_API_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?(Z|[+-]\d{2}:\d{2})?",
    re.ASCII,
)

_MAX_OFFSET_MINUTES = 14 * 60


@dataclass(frozen=True, slots=True)
class ApiDate:
    """A parsed API date.

    `start` is the instant written (midnight for a date-only value) and
    `has_time` says whether a time was given: a date-only value stands for the
    whole day, which matters for `endDate` and for the `eq`/`gt`/`lte` filter
    predicates.
    """

    start: int
    has_time: bool

    @property
    def end(self) -> int:
        """Last second the value covers (the whole day when no time was given)."""
        return self.start if self.has_time else self.start + DAY - 1


def parse_api_date(text: str) -> ApiDate | None:
    """Parse one of the three API date forms; `None` when it is not a real date.

    Beyond the spec's pattern this rejects impossible calendar values (month
    13, 30 February, hour 24) and offsets beyond +/-14:00, as a real server
    would.
    """
    match = _API_DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    has_time = match[4] is not None
    hour = int(match[4]) if has_time else 0
    minute = int(match[5]) if has_time else 0
    second = int(match[6]) if has_time else 0
    try:
        naive = _dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    offset_minutes = 0
    zone = match[7]
    if zone is not None and zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if minutes >= 60:
            return None
        offset_minutes = hours * 60 + minutes
        if offset_minutes > _MAX_OFFSET_MINUTES:
            return None
        if zone[0] == "-":
            offset_minutes = -offset_minutes
    local = naive - _dt.datetime(1970, 1, 1)
    seconds = local.days * DAY + local.seconds - offset_minutes * 60
    return ApiDate(start=seconds, has_time=has_time)


def format_instant(seconds: int) -> str:
    """Render UTC seconds the way the API answers: `yyyy-MM-ddTHH:mm:ssZ`."""
    m = _EPOCH + _dt.timedelta(seconds=seconds)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"
