"""The legacy marketing API v1 (lists, contacts, unsubscribes, content), with state.

Served under `/marketing/v1` with Basic auth: the user name is the server id,
the password the key, as the vendor's example code sends them. The paths are
the ones public callers use; the answers are not published, so these bodies
are the sandbox's own. Rules: `GET /lists` answers the server's marketing
lists (the ones the v2 model creates); `PUT /lists/{listId}/contacts` adds or
updates a contact keyed by its address in a list that exists (404
otherwise); `DELETE` removes it (404 when it is not in the list);
`POST /contacts/unsubscribe` records the address as unsubscribed;
`GET /content` answers an empty list (nothing in the API creates content).
"""

from __future__ import annotations

from starlette.responses import Response

from ._handler import BodyField, Call, Handler, error_response, json_response

__all__ = ["HANDLERS", "MARKETING_V1_PREFIX", "ROUTES"]

MARKETING_V1_PREFIX = "/marketing/v1"
"""Where the legacy marketing v1 paths of the spec are mounted."""

ROUTES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("listMarketingV1Lists", "GET", "/lists", ()),
    ("upsertMarketingV1Contact", "PUT", "/lists/{listId}/contacts", ()),
    ("deleteMarketingV1Contact", "DELETE", "/lists/{listId}/contacts", ("emailAddress",)),
    ("unsubscribeMarketingV1Contact", "POST", "/contacts/unsubscribe", ()),
    ("listMarketingV1Content", "GET", "/content", ()),
)
"""(operationId, method, path, query names) of every marketing v1 operation."""

_CONTACT = (
    BodyField("emailAddress", "string", required=True, min_length=1),
    BodyField("firstName", "string"),
    BodyField("lastName", "string"),
)
_UNSUBSCRIBE = (BodyField("emailAddress", "string", required=True, min_length=1),)


def _list_id(call: Call) -> int | None:
    """The path's list id when the server has that list, else None (a 404)."""
    text = call.path.get("listId", "")
    if not text.isdigit():
        return None
    with call.state.lock:
        return int(text) if int(text) in call.state.objects.lists.get(call.server_id, {}) else None


def _lists(call: Call) -> Response | None:
    with call.state.lock:
        lists = call.state.objects.lists.get(call.server_id, {})
        answer = [{"listId": key, "name": item.get("name")} for key, item in sorted(lists.items())]
    return json_response(200, answer)


def _upsert_contact(call: Call) -> Response | None:
    body = call.json_body(_CONTACT)
    if call.query.problems:
        return None
    list_id = _list_id(call)
    if list_id is None:
        return error_response(404, "NotFound", [f"list {call.path.get('listId')} does not exist"])
    address = str(body["emailAddress"])
    with call.state.lock:
        contacts = call.state.objects.v1_contacts.setdefault((call.server_id, list_id), {})
        contacts[address.casefold()] = {**(call.json_object() or {}), **body}
    return json_response(200, {"emailAddress": address, "listId": list_id})


def _delete_contact(call: Call) -> Response | None:
    address = call.query.text("emailAddress", required=True)
    list_id = _list_id(call)
    if call.query.problems or address is None:
        return None
    if list_id is None:
        return error_response(404, "NotFound", [f"list {call.path.get('listId')} does not exist"])
    with call.state.lock:
        removed = call.state.objects.v1_contacts.get((call.server_id, list_id), {}).pop(
            address.casefold(), None
        )
    if removed is None:
        return error_response(404, "NotFound", [f"{address} is not in list {list_id}"])
    return json_response(200, {"emailAddress": address, "listId": list_id})


def _unsubscribe(call: Call) -> Response | None:
    body = call.json_body(_UNSUBSCRIBE)
    if call.query.problems:
        return None
    address = str(body["emailAddress"])
    with call.state.lock:
        call.state.objects.v1_unsubscribed.setdefault(call.server_id, set()).add(address.casefold())
    return json_response(200, {"emailAddress": address, "unsubscribed": True})


def _content(call: Call) -> Response | None:
    return json_response(200, [])


HANDLERS: dict[str, Handler] = {
    "listMarketingV1Lists": _lists,
    "upsertMarketingV1Contact": _upsert_contact,
    "deleteMarketingV1Contact": _delete_contact,
    "unsubscribeMarketingV1Contact": _unsubscribe,
    "listMarketingV1Content": _content,
}
"""The handler of each marketing v1 operation."""
