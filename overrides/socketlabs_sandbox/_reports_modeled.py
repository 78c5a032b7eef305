"""The modeled report families and StreamScore, computed from the report log.

Each family is the log's messages of one status: delivered (`Delivered`),
failed (`Failed`), complaint (`Complaint`). Tracking is modeled as one
engagement event per delivered message: an `Open` or a `Click` (picked by
a hash of the message id), an hour after delivery. So every figure follows
from the seeded log plus what was injected, and tests can predict it:

* overview: `count` of the family, `processed` = every message, `rate`;
* aggregate: per UTC day that has any message in the range, the family's count;
* list / download: the family's rows, with the usual paging, sorting,
  filters (message fields) and CSV `Content-Range` pages;
* StreamScore: `100 x delivered / processed - 500 x complaints / processed`,
  clamped to 0..100 and rounded (100 when nothing was processed).
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Sequence

from starlette.responses import Response

from ._dates import DAY, format_instant
from ._filters import Filter, parse_filters
from ._handler import Call, Handler, ListArgs, json_response, list_args
from ._log import MESSAGE_FIELDS, SPAN, MessageRow
from ._objects import JsonObject

__all__ = ["FAMILIES", "HANDLERS", "ROUTES", "TRACKING_FIELDS", "stream_score", "tracking_event"]

FAMILIES = {"delivered": "Delivered", "failed": "Failed", "complaint": "Complaint", "tracking": "Delivered"}
"""Each report family and the message status its rows have."""

TRACKING_FIELDS = {name: spec for name, spec in MESSAGE_FIELDS.items() if name != "status"}
"""Filterable fields of tracking events (those of the underlying message)."""

_DATES = ("startDate", "endDate")
_LIST = ("pageSize", "pageNumber", "sortField", "sortDirection", "startDate", "endDate", "filters")
_MESSAGE_HEADER = ("messageId", "mailingId", "from", "to", "subject", "status", "queuedTime", "statusDate")
_TRACKING_HEADER = ("messageId", "mailingId", "from", "to", "subject", "eventType", "eventTime")
_OPEN_DELAY = 3600


def _title(family: str) -> str:
    return family[0].upper() + family[1:]


ROUTES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    *(
        route
        for family in FAMILIES
        for route in (
            (
                f"get{_title(family)}Overview",
                "GET",
                f"/servers/{{serverId}}/reports/{family}/overview",
                _DATES,
            ),
            (
                f"get{_title(family)}Aggregate",
                "GET",
                f"/servers/{{serverId}}/reports/{family}/aggregate",
                _DATES,
            ),
            (f"list{_title(family)}", "GET", f"/servers/{{serverId}}/reports/{family}", _LIST),
            (f"download{_title(family)}", "GET", f"/servers/{{serverId}}/reports/{family}/download", _LIST),
        )
    ),
    ("getStreamScore", "GET", "/servers/{serverId}/stream-score", _DATES),
)
"""(operationId, method, path, query names) of every modeled report operation."""


def _status_filter(status: str) -> Filter:
    return parse_filters([f"status=eq:{status}"], MESSAGE_FIELDS)[0]


def tracking_event(row: MessageRow) -> JsonObject:
    """The engagement event the sandbox models for a delivered message."""
    kind = "Open" if zlib.crc32(row.message_id.encode()) % 2 == 0 else "Click"
    at = (row.status_date if row.status_date is not None else row.queued_time) + _OPEN_DELAY
    return {
        "messageId": row.message_id,
        "mailingId": row.mailing_id,
        "from": row.from_address,
        "to": row.to,
        "subject": row.subject,
        "eventType": kind,
        "eventTime": format_instant(at),
    }


def _count(call: Call, start: int | None, end: int | None, filters: Sequence[Filter]) -> int:
    total, _ = call.state.query_messages(
        call.server_id,
        start=start,
        end=end,
        filters=filters,
        to=None,
        sort_field="queuedTime",
        descending=False,
        offset=0,
        limit=0,
    )
    return total


def _range(call: Call) -> tuple[int | None, int | None]:
    start, end = call.query.date("startDate"), call.query.date("endDate")
    return (None if start is None else start.start, None if end is None else end.end)


def _overview(family: str) -> Handler:
    def handle(call: Call) -> Response | None:
        start, end = _range(call)
        if call.query.problems:
            return None
        processed = _count(call, start, end, ())
        count = _count(call, start, end, (_status_filter(FAMILIES[family]),))
        rate = round(count / processed, 6) if processed else 0.0
        return json_response(200, {"data": {"count": count, "processed": processed, "rate": rate}})

    return handle


def _active_days(call: Call, start: int | None, end: int | None) -> list[int]:
    """Midnights of the UTC days in the range on which the server has any message."""
    with call.state.lock:
        times = [row.queued_time for row in call.state.injected.get(call.server_id, [])]
    days = {t - t % DAY for t in times}
    if call.server_id == call.state.config.server_id and call.state.log.count:
        first = call.state.log.start
        days.update(range(first - first % DAY, first + SPAN, DAY))
    lo = -(2**62) if start is None else start - start % DAY
    hi = 2**62 if end is None else end
    return sorted(day for day in days if lo <= day <= hi)


def _aggregate(family: str) -> Handler:
    def handle(call: Call) -> Response | None:
        start, end = _range(call)
        if call.query.problems:
            return None
        family_filter = (_status_filter(FAMILIES[family]),)
        buckets = []
        for day in _active_days(call, start, end):
            lo = day if start is None else max(day, start)
            hi = day + DAY - 1 if end is None else min(day + DAY - 1, end)
            buckets.append({"date": format_instant(day)[:10], "count": _count(call, lo, hi, family_filter)})
        return json_response(200, {"data": {"interval": "day", "buckets": buckets}})

    return handle


def _rows(call: Call, family: str, max_page_size: int) -> tuple[ListArgs, int, list[MessageRow]] | None:
    args = list_args(call, max_page_size=max_page_size, fields=MESSAGE_FIELDS, default_sort="queuedTime")
    filters = call.query.filters(TRACKING_FIELDS if family == "tracking" else MESSAGE_FIELDS)
    if call.query.problems:
        return None
    total, rows = call.state.query_messages(
        call.server_id,
        start=args.start,
        end=args.end,
        filters=[_status_filter(FAMILIES[family]), *filters],
        to=None,
        sort_field=args.sort_field,
        descending=args.descending,
        offset=args.offset,
        limit=args.page_size,
    )
    return args, total, rows


def _item(family: str, row: MessageRow) -> JsonObject:
    return tracking_event(row) if family == "tracking" else row.to_json()


def _list(family: str) -> Handler:
    def handle(call: Call) -> Response | None:
        found = _rows(call, family, 100)
        if found is None:
            return None
        _, total, rows = found
        return json_response(200, {"data": [_item(family, row) for row in rows], "total": total})

    return handle


def _download(family: str) -> Handler:
    header = _TRACKING_HEADER if family == "tracking" else _MESSAGE_HEADER

    def handle(call: Call) -> Response | None:
        found = _rows(call, family, 500_000)
        if found is None:
            return None
        args, total, rows = found
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            item = _item(family, row)
            writer.writerow(["" if item[name] is None else item[name] for name in header])
        if not rows:  # nothing to name in a range, as for the suppression download
            return Response(buffer.getvalue(), status_code=200, media_type="text/csv")
        last = args.offset + len(rows) - 1
        status = 200 if last >= total - 1 else 206
        headers = {"Content-Range": f"rows {args.offset}-{last}/{total}"}
        return Response(buffer.getvalue(), status_code=status, media_type="text/csv", headers=headers)

    return handle


def stream_score(processed: int, delivered: int, complaints: int) -> tuple[int, str]:
    """The modeled score and its rating."""
    if not processed:
        return 100, "Excellent"
    raw = 100 * delivered / processed - 500 * complaints / processed
    score = max(0, min(100, round(raw)))
    rating = "Excellent" if score >= 90 else "Good" if score >= 75 else "Fair" if score >= 50 else "Poor"
    return score, rating


def _stream_score(call: Call) -> Response | None:
    start, end = _range(call)
    if call.query.problems:
        return None
    processed = _count(call, start, end, ())
    counts = {
        status: _count(call, start, end, (_status_filter(status),))
        for status in ("Delivered", "Failed", "Complaint")
    }
    score, rating = stream_score(processed, counts["Delivered"], counts["Complaint"])
    data = {
        "score": score,
        "rating": rating,
        "processed": processed,
        "delivered": counts["Delivered"],
        "failed": counts["Failed"],
        "complaints": counts["Complaint"],
    }
    return json_response(200, {"data": data})


HANDLERS: dict[str, Handler] = {
    **{
        operation_id: factory(family)
        for family in FAMILIES
        for operation_id, factory in (
            (f"get{_title(family)}Overview", _overview),
            (f"get{_title(family)}Aggregate", _aggregate),
            (f"list{_title(family)}", _list),
            (f"download{_title(family)}", _download),
        )
    },
    "getStreamScore": _stream_score,
}
"""The handler of each modeled report operation."""
