"""The management API v1: custom bounce domains, DKIM keys and tracking domains, with state.

Served under `/v1`, as the vendor's PowerShell module calls it: Bearer
auth only, PascalCase bodies, and errors as a bare JSON list of
`{"ErrorType", "Message"}` rather than the v2 envelope. Rules the sandbox
enforces:

* bounce domains are unique per server (409); at most one is the default:
  making one the default clears the others; `ValidationResult` is `Valid`;
* a DKIM key is stored per (domain, selector); `PUT /dkim/{domain}` replaces
  the domain's key with that selector (404 when the domain has no key);
  `DELETE` needs the selector; stored keys are answered with the private key
  truncated to its first 16 characters and `ValidationStatus: Valid`;
* `GET /dkim/generate` answers a deterministic key pair for (domain,
  selector) and stores nothing. It is random-looking base64, not a usable
  RSA key: the sandbox signs nothing.
* tracking domains follow `_tracking` (the v1 form).
"""

from __future__ import annotations

import base64
import hashlib

from starlette.responses import Response

from ._handler import BodyField, Call, Handler, json_response
from ._objects import JsonObject
from ._tracking import TrackingForm, tracking_handlers

__all__ = ["HANDLERS", "MANAGEMENT_PREFIX", "ROUTES", "management_error"]

MANAGEMENT_PREFIX = "/v1"
"""Where the management v1 paths of the spec are mounted."""

ROUTES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("listBounceDomains", "GET", "/servers/{serverId}/bounce", ()),
    ("createBounceDomain", "POST", "/servers/{serverId}/bounce", ()),
    ("getBounceDomain", "GET", "/servers/{serverId}/bounce/{domain}", ()),
    ("updateBounceDomain", "PUT", "/servers/{serverId}/bounce/{domain}", ()),
    ("deleteBounceDomain", "DELETE", "/servers/{serverId}/bounce/{domain}", ()),
    ("listDkimKeys", "GET", "/servers/{serverId}/dkim", ("domain", "selector")),
    ("createDkimKey", "POST", "/servers/{serverId}/dkim", ()),
    # Before `/dkim/{domain}`, so that `generate` is not read as a domain.
    ("generateDkimKey", "GET", "/servers/{serverId}/dkim/generate", ("domain", "selector")),
    ("updateDkimKey", "PUT", "/servers/{serverId}/dkim/{domain}", ()),
    ("deleteDkimKey", "DELETE", "/servers/{serverId}/dkim/{domain}", ("selector",)),
    ("listTrackingDomains", "GET", "/servers/{serverId}/tracking", ()),
    ("createTrackingDomain", "POST", "/servers/{serverId}/tracking", ()),
    ("updateTrackingDomain", "PUT", "/servers/{serverId}/tracking/{domain}", ()),
    ("deleteTrackingDomain", "DELETE", "/servers/{serverId}/tracking/{domain}", ()),
)
"""(operationId, method, path, query names) of every management v1 operation."""

_TRUNCATE = 16
_BOUNCE_CREATE = (
    BodyField("ServerId", "integer"),
    BodyField("Domain", "domain", required=True),
    BodyField("IsDefault", "boolean"),
)
_BOUNCE_UPDATE = (BodyField("isDefault", "boolean", required=True),)
_DKIM_CREATE = (
    BodyField("Domain", "domain", required=True),
    BodyField("Selector", "selector", required=True, min_length=1, max_length=63),
    BodyField("PrivateKey", "string", required=True, min_length=1),
)
_DKIM_UPDATE = _DKIM_CREATE[1:]
_DOMAIN = BodyField("domain", "domain")
_SELECTOR = BodyField("selector", "selector", min_length=1, max_length=63)


def management_error(
    status: int, error_type: str, messages: list[str], headers: dict[str, str] | None = None
) -> Response:
    """The v1 error body: a bare list of `{ErrorType, Message}`."""
    return json_response(status, [{"ErrorType": error_type, "Message": m} for m in messages], headers)


def _not_found(message: str) -> Response:
    return management_error(404, "NotFound", [message])


def _query_value(call: Call, spec: BodyField, *, required: bool) -> str | None:
    """An optional (or required) domain/selector query parameter, checked like the body members."""
    text = call.query.text(spec.name, required=required)
    if text is None:
        return None
    problem = spec.check(text)
    if problem is not None:
        call.query.problems.append(f"{spec.name} {problem}")
        return None
    return text.lower() if spec.kind == "domain" else text


# Bounce domains ------------------------------------------------------------


def _bounce_result(item: JsonObject) -> JsonObject:
    return {**item, "ValidationResult": "Valid"}


def _list_bounce(call: Call) -> Response | None:
    if call.query.problems:
        return None
    with call.state.lock:
        items = sorted(
            call.state.objects.bounce_domains.get(call.server_id, {}).values(), key=lambda i: i["Domain"]
        )
        return json_response(200, [dict(i) for i in items])


def _create_bounce(call: Call) -> Response | None:
    body = call.json_body(_BOUNCE_CREATE)
    if call.query.problems:
        return None
    domain = str(body["Domain"]).lower()
    with call.state.lock:
        domains = call.state.objects.bounce_domains.setdefault(call.server_id, {})
        if domain in domains:
            return management_error(409, "Conflict", [f"bounce domain {domain} exists"])
        is_default = bool(body.get("IsDefault", False)) or not domains
        if is_default:
            for other in domains.values():
                other["IsDefault"] = False
        item: JsonObject = {"ServerId": call.server_id, "Domain": domain, "IsDefault": is_default}
        domains[domain] = item
        return json_response(200, _bounce_result(item))


def _get_bounce(call: Call) -> Response | None:
    domain = call.path_domain()
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.bounce_domains.get(call.server_id, {}).get(domain)
        return (
            _not_found(f"bounce domain {domain} does not exist")
            if item is None
            else json_response(200, dict(item))
        )


def _update_bounce(call: Call) -> Response | None:
    domain = call.path_domain()
    body = call.json_body(_BOUNCE_UPDATE)
    if call.query.problems:
        return None
    with call.state.lock:
        domains = call.state.objects.bounce_domains.get(call.server_id, {})
        item = domains.get(domain)
        if item is None:
            return _not_found(f"bounce domain {domain} does not exist")
        if body["isDefault"]:
            for other in domains.values():
                other["IsDefault"] = False
        item["IsDefault"] = bool(body["isDefault"])
        return json_response(200, _bounce_result(item))


def _delete_bounce(call: Call) -> Response | None:
    domain = call.path_domain()
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.bounce_domains.get(call.server_id, {}).pop(domain, None)
    if item is None:
        return _not_found(f"bounce domain {domain} does not exist")
    return json_response(200, f"Bounce domain {domain} deleted")


# DKIM ----------------------------------------------------------------------


def _dkim_result(item: JsonObject) -> JsonObject:
    return {
        "ServerId": item["ServerId"],
        "Domain": item["Domain"],
        "Selector": item["Selector"],
        "TruncatedPrivateKey": str(item["_private"])[:_TRUNCATE],
        "ValidationStatus": "Valid",
    }


def _list_dkim(call: Call) -> Response | None:
    domain = _query_value(call, _DOMAIN, required=False)
    selector = _query_value(call, _SELECTOR, required=False)
    if call.query.problems:
        return None
    with call.state.lock:
        keys = call.state.objects.dkim_keys.get(call.server_id, {})
        items = [
            _dkim_result(item)
            for (d, s), item in sorted(keys.items())
            if (domain is None or d == domain) and (selector is None or s == selector)
        ]
    return json_response(200, items)


def _create_dkim(call: Call) -> Response | None:
    body = call.json_body(_DKIM_CREATE)
    if call.query.problems:
        return None
    key = (str(body["Domain"]).lower(), str(body["Selector"]))
    with call.state.lock:
        keys = call.state.objects.dkim_keys.setdefault(call.server_id, {})
        if key in keys:
            return management_error(
                409, "Conflict", [f"a DKIM key for {key[0]} with selector {key[1]} exists"]
            )
        item: JsonObject = {
            "ServerId": call.server_id,
            "Domain": key[0],
            "Selector": key[1],
            "_private": body["PrivateKey"],
        }
        keys[key] = item
        return json_response(200, _dkim_result(item))


def _update_dkim(call: Call) -> Response | None:
    domain = call.path_domain()
    body = call.json_body(_DKIM_UPDATE)
    if call.query.problems:
        return None
    with call.state.lock:
        keys = call.state.objects.dkim_keys.get(call.server_id, {})
        if not any(d == domain for d, _ in keys):
            return _not_found(f"no DKIM key for {domain}")
        for existing in [k for k in keys if k[0] == domain]:
            del keys[existing]
        item: JsonObject = {
            "ServerId": call.server_id,
            "Domain": domain,
            "Selector": body["Selector"],
            "_private": body["PrivateKey"],
        }
        keys[(domain, str(body["Selector"]))] = item
        return json_response(200, _dkim_result(item))


def _delete_dkim(call: Call) -> Response | None:
    domain = call.path_domain()
    selector = _query_value(call, _SELECTOR, required=True)
    if call.query.problems or selector is None:
        return None
    with call.state.lock:
        item = call.state.objects.dkim_keys.get(call.server_id, {}).pop((domain, selector), None)
    if item is None:
        return _not_found(f"no DKIM key for {domain} with selector {selector}")
    return json_response(200, f"DKIM key {selector}._domainkey.{domain} deleted")


def _generate_dkim(call: Call) -> Response | None:
    domain = _query_value(call, _DOMAIN, required=True)
    selector = _query_value(call, _SELECTOR, required=True)
    if call.query.problems or domain is None or selector is None:
        return None
    material = hashlib.shake_256(f"dkim:{call.server_id}:{domain}:{selector}".encode()).digest(900)
    public_key = base64.b64encode(material[:270]).decode()
    private_key = base64.b64encode(material[270:]).decode()
    data = {
        "ServerId": call.server_id,
        "DnsHostName": f"{selector}._domainkey.{domain}",
        "Domain": domain,
        "Selector": selector,
        "DnsRecord": f"v=DKIM1; k=rsa; p={public_key}",
        "PublicKey": public_key,
        "PrivateKey": private_key,
    }
    return json_response(200, data)


HANDLERS: dict[str, Handler] = {
    "listBounceDomains": _list_bounce,
    "createBounceDomain": _create_bounce,
    "getBounceDomain": _get_bounce,
    "updateBounceDomain": _update_bounce,
    "deleteBounceDomain": _delete_bounce,
    "listDkimKeys": _list_dkim,
    "createDkimKey": _create_dkim,
    "generateDkimKey": _generate_dkim,
    "updateDkimKey": _update_dkim,
    "deleteDkimKey": _delete_dkim,
    **{
        f"{verb}{'TrackingDomains' if verb == 'list' else 'TrackingDomain'}": handler
        for verb, handler in tracking_handlers(TrackingForm(v1=True), lambda call: call.server_id).items()
    },
}
"""The handler of each management v1 operation."""
