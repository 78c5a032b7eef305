"""Complex Sender subaccounts and their bounce domains, DKIM keys, tracking domains, suppressions, reports.

All in the v2 form: camelCase members, `{"data": ...}`, the v2 error envelope.

One subaccount exists from the start (`SandboxConfig.subaccount_id`): it owns
the sandbox's server, so its reports and suppression list are the server's.
A created subaccount owns nothing yet: its reports are empty and its
suppression list starts empty. Rules the sandbox enforces:

* create needs `name` and exactly one of `ipPoolId` or `useRuleEngine`
  (neither, both, or an unknown member is a 400); names are unique (409);
* every path under `/subaccount/{id}` answers 404 for an unknown subaccount
  (injection credentials excepted: that route predates subaccounts here and
  creates a key for any id);
* bounce domains are unique per subaccount (409), the first or one added
  with `isDefault` becomes the default; DKIM keys are stored per (domain,
  selector) (409 on a repeat). The sandbox has no DNS, so a private key is
  taken to match the published public key;
* bulk-remove takes 1 to 1,000 addresses and names those not on the list;
* `streamScore` of the seeded subaccount is the share of its processed
  messages that were delivered (0-100); a new subaccount's is 0.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Mapping

from starlette.responses import Response

from ._dates import ANCHOR, format_instant
from ._filters import parse_filters
from ._handler import BodyField, Call, Handler, error_response, json_response
from ._log import MESSAGE_FIELDS
from ._objects import JsonObject
from ._reports_modeled import report_handlers, report_routes
from ._tracking import TrackingForm, tracking_handlers

__all__ = ["ROUTES", "handlers"]

_BASE = "/subaccount/{subaccountId}"
_SUPPRESSION_LIST = (
    "pageSize",
    "pageNumber",
    "sortField",
    "sortDirection",
    "startDate",
    "endDate",
    "filters",
)

ROUTES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("createSubaccount", "POST", "/subaccount", ()),
    ("getSubaccount", "GET", _BASE, ()),
    ("listSubaccountBounceDomains", "GET", f"{_BASE}/bounce", ()),
    ("createSubaccountBounceDomain", "POST", f"{_BASE}/bounce", ()),
    ("deleteSubaccountBounceDomain", "DELETE", f"{_BASE}/bounce/{{domain}}", ()),
    ("listSubaccountDkimKeys", "GET", f"{_BASE}/dkim", ()),
    ("createSubaccountDkimKey", "POST", f"{_BASE}/dkim", ()),
    # Before `/dkim/{domain}`, so that `generate` is not read as a domain.
    ("generateSubaccountDkimKey", "GET", f"{_BASE}/dkim/generate", ("domain", "selector")),
    ("deleteSubaccountDkimKey", "DELETE", f"{_BASE}/dkim/{{domain}}", ("selector",)),
    ("listSubaccountTrackingDomains", "GET", f"{_BASE}/tracking", ()),
    ("createSubaccountTrackingDomain", "POST", f"{_BASE}/tracking", ()),
    ("updateSubaccountTrackingDomain", "PUT", f"{_BASE}/tracking/{{domain}}", ()),
    ("deleteSubaccountTrackingDomain", "DELETE", f"{_BASE}/tracking/{{domain}}", ()),
    ("searchSubaccountSuppressions", "GET", f"{_BASE}/suppressions/search", _SUPPRESSION_LIST),
    ("downloadSubaccountSuppressions", "GET", f"{_BASE}/suppressions/download", _SUPPRESSION_LIST),
    ("bulkRemoveSubaccountSuppressions", "POST", f"{_BASE}/suppressions/bulk-remove", ()),
    *report_routes(_BASE, "Subaccount"),
    (
        "getSubaccountMessageDetailReport",
        "GET",
        f"{_BASE}/reports/messages/detail",
        _SUPPRESSION_LIST,
    ),
    (
        "searchSubaccountRecipients",
        "GET",
        f"{_BASE}/reports/recipient-search/",
        ("toEmailAddress", *_SUPPRESSION_LIST[:-1]),
    ),
)
"""(operationId, method, path, query names) of every subaccount operation."""

_CREATE_MEMBERS = ("name", "ipPoolId", "useRuleEngine")
_CREATE = (
    BodyField("name", "string", required=True, min_length=1, max_length=100),
    BodyField("ipPoolId", "integer", minimum=1),
    BodyField("useRuleEngine", "boolean"),
)
_BOUNCE = (BodyField("domain", "domain", required=True), BodyField("isDefault", "boolean"))
_DKIM = (
    BodyField("domain", "domain", required=True),
    BodyField("selector", "selector", required=True, min_length=1, max_length=63),
    BodyField("privateKey", "string", required=True, min_length=1),
)
_BULK = (BodyField("emailAddresses", "email_list", required=True, min_length=1, max_length=1000),)
_DOMAIN = BodyField("domain", "domain")
_SELECTOR = BodyField("selector", "selector", min_length=1, max_length=63)
_TRUNCATE = 16
_ACCOUNT_ID = 1


def _not_found(subaccount: int) -> Response:
    return error_response(404, "NotFound", [f"subaccount {subaccount} does not exist"])


def _seeded(call: Call) -> JsonObject:
    """The subaccount that exists from the start; its figures follow the server's log."""
    config = call.state.config
    processed, _ = call.state.query_messages(
        config.server_id,
        start=None,
        end=None,
        filters=(),
        to=None,
        sort_field="queuedTime",
        descending=False,
        offset=0,
        limit=0,
    )
    delivered, _ = call.state.query_messages(
        config.server_id,
        start=None,
        end=None,
        filters=parse_filters(["status=eq:Delivered"], MESSAGE_FIELDS),
        to=None,
        sort_field="queuedTime",
        descending=False,
        offset=0,
        limit=0,
    )
    return {
        "subaccountId": config.subaccount_id,
        "accountId": _ACCOUNT_ID,
        "name": "Sandbox",
        "status": "Active",
        "createdOn": format_instant(ANCHOR - 365 * 86_400),
        "streamScore": round(100 * delivered / processed) if processed else 0,
        "avgDailyVolume": processed // 30,
        "useRuleEngine": True,
        "ipPoolId": None,
    }


def _lookup(call: Call, subaccount: int) -> JsonObject | None:
    if subaccount == call.state.config.subaccount_id:
        return _seeded(call)
    with call.state.lock:
        item = call.state.objects.subaccounts.get(subaccount)
        return None if item is None else dict(item)


def _owner(call: Call) -> int | Response | None:
    """The subaccount's store key (minus its id), a 404, or None after a problem."""
    subaccount = call.path_id("subaccountId")
    if call.query.problems:
        return None
    if _lookup(call, subaccount) is None:
        return _not_found(subaccount)
    return -subaccount


def _as_owner(handler: Handler) -> Handler:
    """A server handler run on the data of the server the subaccount owns (none for a created one)."""

    def handle(call: Call) -> Response | None:
        key = _owner(call)
        if key is None or isinstance(key, Response):
            return key
        seeded = -key == call.state.config.subaccount_id
        return handler(dataclasses.replace(call, server_id=call.state.config.server_id if seeded else key))

    return handle


# The subaccount ---------------------------------------------------------------


def _create(call: Call) -> Response | None:
    body = call.json_body(_CREATE)
    raw = call.json_object()
    unknown = sorted(set(raw) - set(_CREATE_MEMBERS)) if raw is not None else []
    if unknown:
        call.query.problems.append(f"unknown members: {', '.join(unknown)}")
    if raw is not None and ("ipPoolId" in raw) == ("useRuleEngine" in raw):
        call.query.problems.append("give exactly one of ipPoolId or useRuleEngine")
    if call.query.problems:
        return None
    name = str(body["name"])
    with call.state.lock:
        objects = call.state.objects
        if name == "Sandbox" or any(s["name"] == name for s in objects.subaccounts.values()):
            return error_response(409, "Conflict", [f"a subaccount named {name!r} exists"])
        subaccount = objects.next_id()
        if subaccount == call.state.config.subaccount_id:
            subaccount = objects.next_id()
        item: JsonObject = {
            "subaccountId": subaccount,
            "accountId": _ACCOUNT_ID,
            "name": name,
            "status": "Active",
            "createdOn": format_instant(call.state.now()),
            "streamScore": 0,
            "avgDailyVolume": 0,
            "useRuleEngine": bool(body.get("useRuleEngine", False)),
            "ipPoolId": body.get("ipPoolId"),
        }
        objects.subaccounts[subaccount] = item
    return json_response(200, {"data": dict(item)})


def _get(call: Call) -> Response | None:
    subaccount = call.path_id("subaccountId")
    if call.query.problems:
        return None
    item = _lookup(call, subaccount)
    return _not_found(subaccount) if item is None else json_response(200, {"data": item})


# Bounce domains ---------------------------------------------------------------


def _list_bounce(call: Call) -> Response | None:
    key = _owner(call)
    if key is None or isinstance(key, Response):
        return key
    with call.state.lock:
        domains = call.state.objects.subaccount_bounce_domains.get(-key, {})
        return json_response(200, {"data": [dict(domains[d]) for d in sorted(domains)]})


def _create_bounce(call: Call) -> Response | None:
    key = _owner(call)
    body = call.json_body(_BOUNCE)
    if call.query.problems or key is None:
        return None
    if isinstance(key, Response):
        return key
    domain = str(body["domain"]).lower()
    with call.state.lock:
        domains = call.state.objects.subaccount_bounce_domains.setdefault(-key, {})
        if domain in domains:
            return error_response(409, "Conflict", [f"bounce domain {domain} exists"])
        is_default = bool(body.get("isDefault", False)) or not domains
        if is_default:
            for other in domains.values():
                other["isDefault"] = False
        now = format_instant(call.state.now())
        item: JsonObject = {"domain": domain, "isDefault": is_default, "createdOn": now, "updatedOn": now}
        domains[domain] = item
        return json_response(200, {"data": dict(item)})


def _delete_bounce(call: Call) -> Response | None:
    key = _owner(call)
    domain = call.path_domain()
    if call.query.problems or key is None:
        return None
    if isinstance(key, Response):
        return key
    with call.state.lock:
        item = call.state.objects.subaccount_bounce_domains.get(-key, {}).pop(domain, None)
    if item is None:
        return error_response(404, "NotFound", [f"bounce domain {domain} does not exist"])
    return json_response(200, {"data": item})


# DKIM ---------------------------------------------------------------------------


def _dkim_result(item: JsonObject) -> JsonObject:
    return {
        "domain": item["domain"],
        "selector": item["selector"],
        "truncatedPrivateKey": str(item["_private"])[:_TRUNCATE],
        "validationStatus": "Valid",
    }


def _query_value(call: Call, spec: BodyField, *, required: bool) -> str | None:
    text = call.query.text(spec.name, required=required)
    if text is None:
        return None
    problem = spec.check(text)
    if problem is not None:
        call.query.problems.append(f"{spec.name} {problem}")
        return None
    return text.lower() if spec.kind == "domain" else text


def _list_dkim(call: Call) -> Response | None:
    key = _owner(call)
    if key is None or isinstance(key, Response):
        return key
    with call.state.lock:
        keys = call.state.objects.subaccount_dkim_keys.get(-key, {})
        return json_response(200, {"data": [_dkim_result(keys[k]) for k in sorted(keys)]})


def _create_dkim(call: Call) -> Response | None:
    key = _owner(call)
    body = call.json_body(_DKIM)
    if call.query.problems or key is None:
        return None
    if isinstance(key, Response):
        return key
    pair = (str(body["domain"]).lower(), str(body["selector"]))
    with call.state.lock:
        keys = call.state.objects.subaccount_dkim_keys.setdefault(-key, {})
        if pair in keys:
            message = f"a DKIM key for {pair[0]} with selector {pair[1]} exists"
            return error_response(409, "Conflict", [message])
        item: JsonObject = {"domain": pair[0], "selector": pair[1], "_private": body["privateKey"]}
        keys[pair] = item
        return json_response(200, {"data": _dkim_result(item)})


def _delete_dkim(call: Call) -> Response | None:
    key = _owner(call)
    domain = call.path_domain()
    selector = _query_value(call, _SELECTOR, required=True)
    if call.query.problems or key is None or selector is None:
        return None
    if isinstance(key, Response):
        return key
    with call.state.lock:
        item = call.state.objects.subaccount_dkim_keys.get(-key, {}).pop((domain, selector), None)
    if item is None:
        return error_response(404, "NotFound", [f"no DKIM key for {domain} with selector {selector}"])
    return json_response(200, {"data": _dkim_result(item)})


def _generate_dkim(call: Call) -> Response | None:
    key = _owner(call)
    domain = _query_value(call, _DOMAIN, required=True)
    selector = _query_value(call, _SELECTOR, required=True)
    if call.query.problems or key is None or domain is None or selector is None:
        return None
    if isinstance(key, Response):
        return key
    material = hashlib.shake_256(f"dkim:subaccount:{-key}:{domain}:{selector}".encode()).digest(900)
    public_key = base64.b64encode(material[:270]).decode()
    data = {
        "dnsHostName": f"{selector}._domainkey.{domain}",
        "domain": domain,
        "selector": selector,
        "dnsRecord": f"v=DKIM1; k=rsa; p={public_key}",
        "publicKey": public_key,
        "privateKey": base64.b64encode(material[270:]).decode(),
    }
    return json_response(200, {"data": data})


# Suppressions -------------------------------------------------------------------


def _bulk_remove(call: Call) -> Response | None:
    key = _owner(call)
    body = call.json_body(_BULK)
    if call.query.problems or key is None:
        return None
    if isinstance(key, Response):
        return key
    seeded = -key == call.state.config.subaccount_id
    owner = call.state.config.server_id if seeded else key
    removed, missing = 0, []
    for address in body["emailAddresses"]:
        if call.state.remove_suppression(owner, str(address)) is None:
            missing.append(str(address))
        else:
            removed += 1
    return json_response(200, {"data": {"removed": removed, "notFound": missing}})


def handlers(servers: Mapping[str, Handler]) -> dict[str, Handler]:
    """The handler of each subaccount operation; `servers` has the server twins it reuses."""
    tracking = tracking_handlers(TrackingForm(v1=False), _owner)
    reports = {name: _as_owner(handler) for name, handler in report_handlers("Subaccount").items()}
    return {
        "createSubaccount": _create,
        "getSubaccount": _get,
        "listSubaccountBounceDomains": _list_bounce,
        "createSubaccountBounceDomain": _create_bounce,
        "deleteSubaccountBounceDomain": _delete_bounce,
        "listSubaccountDkimKeys": _list_dkim,
        "createSubaccountDkimKey": _create_dkim,
        "generateSubaccountDkimKey": _generate_dkim,
        "deleteSubaccountDkimKey": _delete_dkim,
        "listSubaccountTrackingDomains": tracking["list"],
        "createSubaccountTrackingDomain": tracking["create"],
        "updateSubaccountTrackingDomain": tracking["update"],
        "deleteSubaccountTrackingDomain": tracking["delete"],
        "searchSubaccountSuppressions": _as_owner(servers["searchSuppressions"]),
        "downloadSubaccountSuppressions": _as_owner(servers["downloadSuppressions"]),
        "bulkRemoveSubaccountSuppressions": _bulk_remove,
        "getSubaccountMessageDetailReport": _as_owner(servers["getMessageDetailReport"]),
        "searchSubaccountRecipients": _as_owner(servers["searchRecipients"]),
        **reports,
    }
