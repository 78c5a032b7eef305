"""The modeled report families, Inbound Parse and Marketing Mailings, computed from the logs.

Each family is the log's messages of one status: messages (all of them),
delivered (`Delivered`), failed (`Failed`), complaint (`Complaint`).
Tracking is modeled as one engagement event per delivered message: an
`Open` or a `Click` (picked by a hash of the message id), an hour after
delivery. So every figure follows from the seeded log plus what was
injected, and tests can predict it:

* overview: `count` of the family, `processed` = every message, `rate`;
  `tag` keeps only messages with that tag (both figures);
* aggregate: per UTC day (`daily`) or hour (`hourly`) that has any message
  in the range, and per value of each of up to two `aggregateTypes`
  (`mailingId`, `tag`/`superTag`: the first tag, `domain`: the recipient's,
  `ipPool`: `default`), the family's count. It builds the range's rows, so
  it is meant for logs of thousands, not millions;
* detail / download: the family's rows, with the usual paging, sorting,
  filters (message fields) and CSV `Content-Range` pages;
* inbound: the inbound posts `Sandbox.events.send_inbound` made (`Posted`
  when the endpoint answered 200, else `Failed`);
* marketing mailings: the log grouped by `mailingId` (messages without one
  are left out), with processed, delivered and failed counts.

Handlers read the data of `call.server_id`; the subaccount routes
(`_subaccounts`) call them with the server the subaccount owns.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections import Counter
from collections.abc import Callable, Sequence

from starlette.responses import Response

from ._dates import DAY, format_instant
from ._filters import FieldSpec, FieldType, Filter, parse_filters
from ._handler import Call, Handler, ListArgs, json_response, list_args, page_of
from ._log import MESSAGE_FIELDS, MessageRow
from ._objects import JsonObject, select

__all__ = [
    "FAMILIES",
    "HANDLERS",
    "INBOUND_FIELDS",
    "MAILING_FIELDS",
    "ROUTES",
    "TRACKING_FIELDS",
    "report_routes",
    "tracking_event",
]

FAMILIES: dict[str, str | None] = {
    "messages": None,
    "delivered": "Delivered",
    "failed": "Failed",
    "complaint": "Complaint",
    "tracking": "Delivered",
}
"""Each report family and the message status its rows have (`None`: every message)."""

TRACKING_FIELDS = {
    name: spec for name, spec in MESSAGE_FIELDS.items() if name not in ("status", "processedTime")
}
"""Filterable fields of tracking events (those of the underlying message)."""

INBOUND_FIELDS = {
    spec.name: spec
    for spec in (
        FieldSpec("from", FieldType.STRING),
        FieldSpec("to", FieldType.STRING),
        FieldSpec("subject", FieldType.STRING),
        FieldSpec("receivedTime", FieldType.DATE),
        FieldSpec("status", FieldType.ENUM, ("Posted", "Failed")),
    )
}
"""Filterable fields of an inbound report row."""

MAILING_FIELDS = {
    spec.name: spec
    for spec in (
        FieldSpec("mailingId", FieldType.STRING),
        FieldSpec("processed", FieldType.NUMBER),
        FieldSpec("delivered", FieldType.NUMBER),
        FieldSpec("failed", FieldType.NUMBER),
    )
}
"""Filterable fields of a marketing mailing row."""

_OVERVIEW = ("startDate", "endDate", "tag")
_AGGREGATE = ("startDate", "endDate", "interval", "aggregateTypes", "tag")
_LIST = ("pageSize", "pageNumber", "sortField", "sortDirection", "startDate", "endDate", "filters")
_MESSAGE_HEADER = (
    "messageId",
    "systemMessageId",
    "mailingId",
    "from",
    "to",
    "subject",
    "status",
    "queuedTime",
    "statusDate",
    "processedTime",
)
_TRACKING_HEADER = (
    "messageId",
    "systemMessageId",
    "mailingId",
    "from",
    "to",
    "subject",
    "eventType",
    "eventTime",
)
_OPEN_DELAY = 3600
_HOUR = 3600
_INTERVALS = {"daily": DAY, "hourly": _HOUR}
_AGGREGATE_TYPES = ("mailingId", "tag", "superTag", "domain", "ipPool")
_AGGREGATE_PATTERN = re.compile(
    "({0})(,({0}))?".format("|".join(_AGGREGATE_TYPES)),
    re.ASCII,
)


def _title(family: str) -> str:
    return family[0].upper() + family[1:]


def report_routes(prefix: str, infix: str) -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(operationId, method, path, query) of the report operations under `prefix` (server or subaccount)."""
    routes: list[tuple[str, str, str, tuple[str, ...]]] = []
    for family in FAMILIES:
        title = _title(family)
        base = f"{prefix}/reports/{family}"
        routes += [
            (f"get{infix}{title}Overview", "GET", f"{base}/overview", _OVERVIEW),
            (f"get{infix}{title}Aggregate", "GET", f"{base}/aggregate", _AGGREGATE),
        ]
        if family != "messages":
            routes.append((f"get{infix}{title}Detail", "GET", f"{base}/detail", _LIST))
            if not infix:
                routes.append((f"download{title}", "GET", f"{base}/download", _LIST))
    routes += [
        (f"get{infix}InboundOverview", "GET", f"{prefix}/reports/inbound/overview", _LIST[4:6]),
        (f"get{infix}InboundDetail", "GET", f"{prefix}/reports/inbound/detail", _LIST),
    ]
    if not infix:  # the vendor's changelog names Marketing Mailings for servers (Simple Sender) only
        routes.append((f"get{infix}MarketingMailings", "GET", f"{prefix}/reports/marketing/mailings", _LIST))
    return tuple(routes)


ROUTES = report_routes("/servers/{serverId}", "")
"""(operationId, method, path, query names) of every modeled server report operation."""


def _status_filter(status: str) -> Filter:
    return parse_filters([f"status=eq:{status}"], MESSAGE_FIELDS)[0]


def _family_filters(family: str) -> tuple[Filter, ...]:
    status = FAMILIES[family]
    return () if status is None else (_status_filter(status),)


def tracking_event(row: MessageRow) -> JsonObject:
    """The engagement event the sandbox models for a delivered message."""
    kind = "Open" if zlib.crc32(row.message_id.encode()) % 2 == 0 else "Click"
    at = (row.status_date if row.status_date is not None else row.queued_time) + _OPEN_DELAY
    return {
        "messageId": row.message_id,
        "systemMessageId": row.system_message_id,
        "mailingId": row.mailing_id,
        "from": row.from_address,
        "to": row.to,
        "subject": row.subject,
        "eventType": kind,
        "eventTime": format_instant(at),
    }


def _query(
    call: Call, start: int | None, end: int | None, filters: Sequence[Filter], limit: int
) -> tuple[int, list[MessageRow]]:
    return call.state.query_messages(
        call.server_id,
        start=start,
        end=end,
        filters=filters,
        to=None,
        sort_field="queuedTime",
        descending=False,
        offset=0,
        limit=limit,
    )


def _all_rows(call: Call, start: int | None, end: int | None, filters: Sequence[Filter]) -> list[MessageRow]:
    total, _ = _query(call, start, end, filters, 0)
    return _query(call, start, end, filters, total)[1]


def _range(call: Call) -> tuple[int | None, int | None]:
    start, end = call.query.date("startDate"), call.query.date("endDate")
    return (None if start is None else start.start, None if end is None else end.end)


def _tag(call: Call) -> str | None:
    tag = call.query.text("tag", required=False)
    if tag is not None and len(tag) > 100:
        call.query.problems.append("tag must be 1 to 100 characters")
    return tag


def _tagged(rows: list[MessageRow], tag: str | None) -> list[MessageRow]:
    return rows if tag is None else [row for row in rows if tag in row.tags]


def _overview(family: str) -> Handler:
    def handle(call: Call) -> Response | None:
        start, end = _range(call)
        tag = _tag(call)
        if call.query.problems:
            return None
        if tag is None:  # counting only: cheap however large the log
            processed = _query(call, start, end, (), 0)[0]
            count = _query(call, start, end, _family_filters(family), 0)[0]
        else:
            rows = _tagged(_all_rows(call, start, end, ()), tag)
            status = FAMILIES[family]
            processed = len(rows)
            count = sum(1 for row in rows if status is None or row.status == status)
        rate = round(count / processed, 6) if processed else 0.0
        return json_response(200, {"data": {"count": count, "processed": processed, "rate": rate}})

    return handle


def _group_value(row: MessageRow, kind: str) -> str:
    if kind == "mailingId":
        return row.mailing_id or ""
    if kind in ("tag", "superTag"):
        return row.tags[0] if row.tags else ""
    if kind == "domain":
        return row.to.rpartition("@")[2].lower()
    return "default"  # ipPool: the sandbox sends through one pool


def _aggregate_types(call: Call) -> tuple[str, ...]:
    raw = call.query.text("aggregateTypes", required=False)
    if raw is None:
        return ()
    if not _AGGREGATE_PATTERN.fullmatch(raw):
        call.query.problems.append(
            f"aggregateTypes must be one or two of {', '.join(_AGGREGATE_TYPES)}, comma-separated"
        )
        return ()
    return tuple(raw.split(","))


def _aggregate(family: str) -> Handler:
    def handle(call: Call) -> Response | None:
        start, end = _range(call)
        interval = call.query.choice("interval", tuple(_INTERVALS), "daily")
        kinds = _aggregate_types(call)
        tag = _tag(call)
        if call.query.problems:
            return None
        width = _INTERVALS[interval]
        status = FAMILIES[family]
        seen: dict[tuple[int, tuple[str, ...]], int] = {}
        for row in _tagged(_all_rows(call, start, end, ()), tag):
            key = (row.queued_time - row.queued_time % width, tuple(_group_value(row, k) for k in kinds))
            seen[key] = seen.get(key, 0) + (status is None or row.status == status)
        buckets: list[JsonObject] = []
        for (bucket_start, values), count in sorted(seen.items()):
            bucket: JsonObject = {"start": format_instant(bucket_start), "count": count}
            if kinds:
                bucket["groups"] = dict(zip(kinds, values, strict=True))
            buckets.append(bucket)
        data = {"interval": interval, "aggregateTypes": list(kinds), "buckets": buckets}
        return json_response(200, {"data": data})

    return handle


def _rows(call: Call, family: str, max_page_size: int) -> tuple[ListArgs, int, list[MessageRow]] | None:
    fields = TRACKING_FIELDS if family == "tracking" else MESSAGE_FIELDS
    args = list_args(call, max_page_size=max_page_size, fields=fields, default_sort="queuedTime")
    filters = call.query.filters(fields)
    if call.query.problems:
        return None
    total, rows = call.state.query_messages(
        call.server_id,
        start=args.start,
        end=args.end,
        filters=[*_family_filters(family), *filters],
        to=None,
        sort_field=args.sort_field,
        descending=args.descending,
        offset=args.offset,
        limit=args.page_size,
    )
    return args, total, rows


def _item(family: str, row: MessageRow) -> JsonObject:
    return tracking_event(row) if family == "tracking" else row.to_json()


def _detail(family: str) -> Handler:
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


# Inbound Parse --------------------------------------------------------------


def _inbound_rows(call: Call, start: int | None, end: int | None) -> list[JsonObject]:
    with call.state.lock:
        posts = list(call.state.inbound.get(call.server_id, []))
    kept: list[JsonObject] = []
    for post in posts:
        at = post["_at"] if isinstance(post["_at"], int) else 0
        if (start is None or at >= start) and (end is None or at <= end):
            kept.append(dict(post))
    return kept


def _inbound_overview(call: Call) -> Response | None:
    start, end = _range(call)
    if call.query.problems:
        return None
    rows = _inbound_rows(call, start, end)
    posted = sum(1 for row in rows if row["status"] == "Posted")
    return json_response(200, {"data": {"count": len(rows), "posted": posted, "failed": len(rows) - posted}})


def _inbound_detail(call: Call) -> Response | None:
    args = list_args(call, max_page_size=100, fields=INBOUND_FIELDS, default_sort="receivedTime")
    filters = call.query.filters(INBOUND_FIELDS)
    if call.query.problems:
        return None
    rows = _inbound_rows(call, args.start, args.end)
    chosen = select(rows, filters, args.sort_field, args.descending)
    return page_of([{k: v for k, v in row.items() if not k.startswith("_")} for row in chosen], args)


# Marketing mailings ---------------------------------------------------------


def _mailings(call: Call) -> Response | None:
    args = list_args(call, max_page_size=100, fields=MAILING_FIELDS, default_sort="mailingId")
    filters = call.query.filters(MAILING_FIELDS)
    if call.query.problems:
        return None
    counts: dict[str, Counter[str]] = {}
    first: dict[str, int] = {}
    for row in _all_rows(call, args.start, args.end, ()):
        if row.mailing_id is None:
            continue
        tally = counts.setdefault(row.mailing_id, Counter())
        tally["processed"] += 1
        tally["delivered"] += row.status == "Delivered"
        tally["failed"] += row.status == "Failed"
        first.setdefault(row.mailing_id, row.queued_time)
    items: list[JsonObject] = [
        {
            "mailingId": mailing,
            "processed": tally["processed"],
            "delivered": tally["delivered"],
            "failed": tally["failed"],
            "firstQueuedTime": format_instant(first[mailing]),
        }
        for mailing, tally in counts.items()
    ]
    return page_of(select(items, filters, args.sort_field, args.descending), args)


def report_handlers(infix: str) -> dict[str, Handler]:
    """The handler of each report operation, named as `report_routes(..., infix)` names them."""
    factories: tuple[tuple[str, Callable[[str], Handler]], ...] = (
        ("get{infix}{title}Overview", _overview),
        ("get{infix}{title}Aggregate", _aggregate),
        ("get{infix}{title}Detail", _detail),
        ("download{title}", _download),
    )
    handlers: dict[str, Handler] = {}
    for family in FAMILIES:
        for name, factory in factories:
            if family == "messages" and factory in (_detail, _download):
                continue
            if infix and factory is _download:
                continue
            handlers[name.format(infix=infix, title=_title(family))] = factory(family)
    handlers[f"get{infix}InboundOverview"] = _inbound_overview
    handlers[f"get{infix}InboundDetail"] = _inbound_detail
    if not infix:
        handlers[f"get{infix}MarketingMailings"] = _mailings
    return handlers


HANDLERS: dict[str, Handler] = report_handlers("")
"""The handler of each modeled server report operation."""
