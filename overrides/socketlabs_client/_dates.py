"""Dates the caller passes, turned into the forms the v2 API reads.

The API reads three forms, UTC unless an offset is given:
``yyyy-MM-ddTHH:mm:ssK``, ``yyyy-MM-ddK`` and ``yyyy-MM-dd``. What we accept
and what we send:

| given                           | sent                                              |
|---------------------------------|---------------------------------------------------|
| ``date``                        | ``yyyy-MM-dd``                                    |
| aware ``datetime``              | ``yyyy-MM-ddTHH:mm:ssK``, its own offset kept (``Z`` for UTC) |
| naive ``datetime``              | taken as UTC (documented): ``yyyy-MM-ddTHH:mm:ssZ`` |
| a string in one of the 3 forms  | as given (checked to be a real date)              |
| another ISO 8601 string         | parsed, then sent like a ``datetime``             |

A naive ``datetime`` is never read as the machine's local time: that would
send a different instant on every machine. Fractions of a second are dropped
(the API's forms have none), so a range end keeps its whole last second.

Parsing what the API sends back is not done here: the generated models use
``socketlabs_api.types.parse_datetime``, which reads ``yyyy-MM-ddK`` correctly.
"""

from __future__ import annotations

import datetime as dt
import re

from socketlabs_api.types import parse_datetime

from ._errors import InvalidParameterError

__all__ = ["DateInput", "api_date_bounds", "check_range", "format_api_date"]

DateInput = dt.date | str
"""What a date parameter or date filter accepts (``datetime`` is a ``date``)."""

_API_FORM = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?(Z|[+-]\d{2}:\d{2})?", re.ASCII)
_MAX_OFFSET = dt.timedelta(hours=14)
_DAY = dt.timedelta(days=1)


def _offset_text(offset: dt.timedelta, parameter: str) -> str:
    """``Z`` or ``+HH:MM``; the API has no seconds in an offset, nor beyond 14 hours."""
    if offset.total_seconds() % 60 or abs(offset) > _MAX_OFFSET:
        raise InvalidParameterError(
            parameter, f"the UTC offset {offset} cannot be sent (whole minutes, <= 14 h)"
        )
    if not offset:
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _format_datetime(value: dt.datetime, parameter: str) -> str:
    """``yyyy-MM-ddTHH:mm:ssK`` keeping the value's own offset; naive means UTC."""
    offset = value.utcoffset() if value.tzinfo is not None else dt.timedelta(0)
    zone = _offset_text(offset or dt.timedelta(0), parameter)
    v = value
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}{zone}"


def _check_form(text: str, parameter: str) -> str | None:
    """The string itself when it is one of the API's three forms and a real date."""
    match = _API_FORM.fullmatch(text)
    if match is None:
        return None
    try:
        dt.datetime(
            int(match[1]),
            int(match[2]),
            int(match[3]),
            int(match[4] or 0),
            int(match[5] or 0),
            int(match[6] or 0),
        )
    except ValueError:
        raise InvalidParameterError(parameter, f"{text!r} is not a real date") from None
    if match[7] and match[7] != "Z":
        _offset_text(dt.timedelta(hours=int(match[7][1:3]), minutes=int(match[7][4:6])), parameter)
        if int(match[7][4:6]) >= 60:
            raise InvalidParameterError(parameter, f"{text!r} has an invalid offset")
    return text


def format_api_date(value: DateInput, parameter: str = "date") -> str:
    """The API form of ``value`` (see the table above); ``InvalidParameterError`` if it has none."""
    if isinstance(value, dt.datetime):
        return _format_datetime(value, parameter)
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise InvalidParameterError(
            parameter, f"expected a date, datetime or date string, got {type(value).__name__}"
        )
    text = value.strip()
    checked = _check_form(text, parameter)
    if checked is not None:
        return checked
    try:
        parsed = parse_datetime(text)
    except (ValueError, TypeError, OverflowError):
        raise InvalidParameterError(
            parameter,
            f"{value!r} is not a date (yyyy-MM-ddTHH:mm:ssK, yyyy-MM-ddK, yyyy-MM-dd or ISO 8601)",
        ) from None
    return _format_datetime(parsed, parameter)


def api_date_bounds(text: str) -> tuple[dt.datetime, dt.datetime]:
    """First and last instant an API date string stands for (a date-only value is a whole day)."""
    match = _API_FORM.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an API date")
    zone = match[7]
    tz: dt.tzinfo = dt.UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups()[:6])
    start = dt.datetime(year, month, day, hour, minute, second, tzinfo=tz)
    if match[4] is None:
        return start, start + _DAY - dt.timedelta(seconds=1)
    return start, start


def check_range(start: str | None, end: str | None) -> None:
    """Refuse a range whose start is after its end, before anything is sent."""
    if start is None or end is None:
        return
    if api_date_bounds(start)[0] > api_date_bounds(end)[1]:
        raise InvalidParameterError("startDate", f"start {start} is after end {end}")
