"""Account operations: injection credentials, API keys, sending domains.

Rules the sandbox enforces:

* `GET /servers/{id}/credentials/injection-api` answers the sandbox's own key
  and, as `gateway`, the sandbox's own injection URL, so a client that sends
  to the `gateway` it was given reaches this sandbox. `POST
  /subaccount/{id}/credentials/injection-api` creates a new key (new format)
  for that subaccount and answers it once (the sandbox's injection endpoint
  still accepts only its configured key and server).
* A created API key's secret is answered once; with `SocketLabsApi` access it
  authenticates v2 and management calls until it is revoked. Revoking an
  unknown id is a 404; the sandbox's configured key is not listed.
* A sending domain starts `Pending`; `verify` marks it `Verified`, except a
  domain whose first label starts with `fail`, which becomes `Failed` (a
  deterministic stand-in for a DNS lookup). Domains are unique per server.
"""

from __future__ import annotations

import hashlib

from starlette.responses import Response

from ._dates import format_instant
from ._filters import FieldSpec, FieldType
from ._handler import BodyField, Call, Handler, error_response, json_response, list_args, page_of
from ._management import management_error
from ._objects import JsonObject, public, select

__all__ = ["HANDLERS", "INJECTION_GATEWAY_PATH", "ROUTES", "V1_ROUTES"]

INJECTION_GATEWAY_PATH = "/api/v1/email"
"""Where the sandbox serves injection, relative to its origin."""

_LIST_QUERY = ("pageSize", "pageNumber", "sortField", "sortDirection", "filters")

ROUTES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("createInjectionCredentials", "POST", "/subaccount/{subaccountId}/credentials/injection-api", ()),
    ("getInjectionCredentials", "GET", "/servers/{serverId}/credentials/injection-api", ()),
    ("listApiKeys", "GET", "/servers/{serverId}/credentials/api-keys", _LIST_QUERY),
    ("createApiKey", "POST", "/servers/{serverId}/credentials/api-keys", ()),
    ("revokeApiKey", "DELETE", "/servers/{serverId}/credentials/api-keys/{apiKeyId}", ()),
)
"""(operationId, method, path, query names) of the account operations on the v2 base."""

V1_ROUTES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # Sending domains of servers live on the v1 base (the vendor's changelog, 2022-09).
    ("listSendingDomains", "GET", "/servers/{serverId}/sending-domains", _LIST_QUERY),
    ("createSendingDomain", "POST", "/servers/{serverId}/sending-domains", ()),
    ("getSendingDomain", "GET", "/servers/{serverId}/sending-domains/{domain}", ()),
    ("deleteSendingDomain", "DELETE", "/servers/{serverId}/sending-domains/{domain}", ()),
    ("verifySendingDomain", "POST", "/servers/{serverId}/sending-domains/{domain}/verify", ()),
)
"""(operationId, method, path, query names) of the sending-domain operations, mounted on the v1 base."""

ACCESS = ("SocketLabsApi", "InjectionApi")
DOMAIN_STATUSES = ("Pending", "Verified", "Failed")
API_KEY_FIELDS = {
    "name": FieldSpec("name", FieldType.STRING),
    "access": FieldSpec("access", FieldType.ENUM, ACCESS),
}
DOMAIN_FIELDS = {
    "domain": FieldSpec("domain", FieldType.STRING),
    "status": FieldSpec("status", FieldType.ENUM, DOMAIN_STATUSES),
}
_API_KEY_SORT = ("id", "name", "access", "createdDate")
_DOMAIN_SORT = ("domain", "status", "createdDate")
_API_KEY_BODY = (
    BodyField("name", "string", required=True, min_length=1, max_length=100),
    BodyField("access", "enum", required=True, choices=ACCESS),
)
_DOMAIN_BODY = (BodyField("domain", "domain", required=True),)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def new_format_key(seed: str) -> str:
    """A key in the new format (20 characters, a dot, 40), derived from `seed`."""
    digest = hashlib.shake_256(seed.encode()).digest(60)
    chars = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest)
    return f"{chars[:20]}.{chars[20:]}"


# Injection credentials -----------------------------------------------------


def _credentials(call: Call, server_id: int, key: str) -> Response:
    data = {"serverId": server_id, "apiKey": key, "gateway": call.origin + INJECTION_GATEWAY_PATH}
    return json_response(200, {"data": data})


def _get_injection_credentials(call: Call) -> Response | None:
    if call.query.problems:
        return None
    return _credentials(call, call.server_id, call.state.config.api_key)


def _create_injection_credentials(call: Call) -> Response | None:
    subaccount = call.path_id("subaccountId")
    if call.query.problems:
        return None
    with call.state.lock:
        objects = call.state.objects
        key = new_format_key(f"{call.state.config.seed}:injection:{subaccount}:{objects.next_id()}")
        objects.injection_keys[key] = subaccount
    return _credentials(call, subaccount, key)


# API keys ------------------------------------------------------------------


def _list_api_keys(call: Call) -> Response | None:
    args = list_args(call, max_page_size=100, fields=_API_KEY_SORT, default_sort="id", dates=False)
    filters = call.query.filters(API_KEY_FIELDS)
    if call.query.problems:
        return None
    with call.state.lock:
        items = [public(k) for k in call.state.objects.api_keys.get(call.server_id, {}).values()]
    return page_of(select(items, filters, args.sort_field, args.descending), args)


def _create_api_key(call: Call) -> Response | None:
    body = call.json_body(_API_KEY_BODY)
    if call.query.problems:
        return None
    with call.state.lock:
        objects = call.state.objects
        key_id = objects.next_id()
        secret = new_format_key(f"{call.state.config.seed}:api-key:{call.server_id}:{key_id}")
        item: JsonObject = {
            "id": key_id,
            "name": body["name"],
            "access": body["access"],
            "keyPrefix": secret.split(".", 1)[0],
            "createdDate": format_instant(call.state.now()),
            "_secret": secret.encode(),
        }
        objects.api_keys.setdefault(call.server_id, {})[key_id] = item
    return json_response(200, {"data": {**public(item), "apiKey": secret}})


def _revoke_api_key(call: Call) -> Response | None:
    key_id = call.path_id("apiKeyId")
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.api_keys.get(call.server_id, {}).pop(key_id, None)
    if item is None:
        return error_response(
            404, "NotFound", [f"API key {key_id} does not exist on server {call.server_id}"]
        )
    return json_response(200, {"data": public(item)})


# Sending domains -----------------------------------------------------------


def _domain_not_found(call: Call, domain: str) -> Response:
    return management_error(
        404, "NotFound", [f"sending domain {domain} does not exist on server {call.server_id}"]
    )


def _list_sending_domains(call: Call) -> Response | None:
    args = list_args(call, max_page_size=100, fields=_DOMAIN_SORT, default_sort="domain", dates=False)
    filters = call.query.filters(DOMAIN_FIELDS)
    if call.query.problems:
        return None
    with call.state.lock:
        items = [dict(d) for d in call.state.objects.sending_domains.get(call.server_id, {}).values()]
    return page_of(select(items, filters, args.sort_field, args.descending), args)


def _create_sending_domain(call: Call) -> Response | None:
    body = call.json_body(_DOMAIN_BODY)
    if call.query.problems:
        return None
    domain = str(body["domain"]).lower()
    with call.state.lock:
        domains = call.state.objects.sending_domains.setdefault(call.server_id, {})
        if domain in domains:
            return management_error(409, "Conflict", [f"sending domain {domain} exists"])
        item: JsonObject = {
            "domain": domain,
            "status": "Pending",
            "spfValid": False,
            "dkimValid": False,
            "createdDate": format_instant(call.state.now()),
            "verifiedDate": None,
        }
        domains[domain] = item
        return json_response(200, {"data": dict(item)})


def _get_sending_domain(call: Call) -> Response | None:
    domain = call.path_domain()
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.sending_domains.get(call.server_id, {}).get(domain)
        return _domain_not_found(call, domain) if item is None else json_response(200, {"data": dict(item)})


def _delete_sending_domain(call: Call) -> Response | None:
    domain = call.path_domain()
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.sending_domains.get(call.server_id, {}).pop(domain, None)
    return _domain_not_found(call, domain) if item is None else json_response(200, {"data": item})


def _verify_sending_domain(call: Call) -> Response | None:
    domain = call.path_domain()
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.sending_domains.get(call.server_id, {}).get(domain)
        if item is None:
            return _domain_not_found(call, domain)
        valid = not domain.startswith("fail")
        item.update(
            status="Verified" if valid else "Failed",
            spfValid=valid,
            dkimValid=valid,
            verifiedDate=format_instant(call.state.now()) if valid else None,
        )
        return json_response(200, {"data": dict(item)})


HANDLERS: dict[str, Handler] = {
    "createInjectionCredentials": _create_injection_credentials,
    "getInjectionCredentials": _get_injection_credentials,
    "listApiKeys": _list_api_keys,
    "createApiKey": _create_api_key,
    "revokeApiKey": _revoke_api_key,
    "listSendingDomains": _list_sending_domains,
    "createSendingDomain": _create_sending_domain,
    "getSendingDomain": _get_sending_domain,
    "deleteSendingDomain": _delete_sending_domain,
    "verifySendingDomain": _verify_sending_domain,
}
"""The handler of each account operation."""
