"""Marketing lists, contacts and custom fields (modeled operations), with state.

Rules the sandbox enforces (the spec's model of the API): list names,
contact addresses and custom field names are unique per server
(case-insensitively; a clash answers 409); a contact's `listIds` and the
names in its `customFields` must exist on the server (404 otherwise);
deleting a list or a custom field removes it from every contact; a list's
`contactCount` is the number of contacts in it. Values of custom fields are
stored as given (strings), whatever the field's `dataType`.
"""

from __future__ import annotations

from starlette.responses import Response

from ._dates import format_instant
from ._filters import FieldSpec, FieldType
from ._handler import BodyField, Call, Handler, error_response, json_response, list_args, page_of
from ._objects import JsonObject, public, select

__all__ = ["HANDLERS", "ROUTES"]

_LIST_QUERY = ("pageSize", "pageNumber", "sortField", "sortDirection", "filters")

ROUTES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = tuple(
    route
    for plural, name, id_name in (
        ("lists", "List", "listId"),
        ("contacts", "Contact", "contactId"),
        ("custom-fields", "CustomField", "customFieldId"),
    )
    for route in (
        (f"list{name}s", "GET", f"/servers/{{serverId}}/{plural}", _LIST_QUERY),
        (f"create{name}", "POST", f"/servers/{{serverId}}/{plural}", ()),
        (f"get{name}", "GET", f"/servers/{{serverId}}/{plural}/{{{id_name}}}", ()),
        (f"update{name}", "PUT", f"/servers/{{serverId}}/{plural}/{{{id_name}}}", ()),
        (f"delete{name}", "DELETE", f"/servers/{{serverId}}/{plural}/{{{id_name}}}", ()),
    )
)
"""(operationId, method, path, query names) of every marketing operation."""

DATA_TYPES = ("Text", "Number", "Date", "Boolean")

LIST_FIELDS = {
    "name": FieldSpec("name", FieldType.STRING),
    "contactCount": FieldSpec("contactCount", FieldType.NUMBER),
}
CONTACT_FIELDS = {
    "emailAddress": FieldSpec("emailAddress", FieldType.STRING),
    "firstName": FieldSpec("firstName", FieldType.STRING),
    "lastName": FieldSpec("lastName", FieldType.STRING),
    "listId": FieldSpec("listId", FieldType.NUMBER),
}
CUSTOM_FIELD_FIELDS = {
    "name": FieldSpec("name", FieldType.STRING),
    "dataType": FieldSpec("dataType", FieldType.ENUM, DATA_TYPES),
}
_LIST_SORT = ("id", "name", "contactCount", "createdDate")
_CONTACT_SORT = ("id", "emailAddress", "firstName", "lastName", "createdDate")
_CUSTOM_FIELD_SORT = ("id", "name", "dataType")

_LIST_BODY = (
    BodyField("name", "string", required=True, min_length=1, max_length=100),
    BodyField("description", "string", nullable=True, max_length=500),
)
_CONTACT_BODY = (
    BodyField("emailAddress", "email", required=True),
    BodyField("firstName", "string", nullable=True, max_length=100),
    BodyField("lastName", "string", nullable=True, max_length=100),
    BodyField("listIds", "id_list", max_length=100),
    BodyField("customFields", "string_map", max_length=1000),
)
_CUSTOM_FIELD_BODY = (
    BodyField("name", "identifier", required=True, min_length=1, max_length=50),
    BodyField("dataType", "enum", required=True, choices=DATA_TYPES),
)


def _not_found(what: str, ident: object, server_id: int) -> Response:
    return error_response(404, "NotFound", [f"{what} {ident} does not exist on server {server_id}"])


def _conflict(message: str) -> Response:
    return error_response(409, "Conflict", [message])


# Lists ---------------------------------------------------------------------


def _list_json(call: Call, item: JsonObject) -> JsonObject:
    contacts = call.state.objects.contacts.get(call.server_id, {}).values()
    count = sum(1 for contact in contacts if item["id"] in contact["listIds"])
    return {**public(item), "contactCount": count}


def _list_name_taken(call: Call, name: str, except_id: int = 0) -> bool:
    lists = call.state.objects.lists.get(call.server_id, {})
    return any(str(i["name"]).casefold() == name.casefold() and i["id"] != except_id for i in lists.values())


def _list_lists(call: Call) -> Response | None:
    args = list_args(call, max_page_size=100, fields=_LIST_SORT, default_sort="id", dates=False)
    filters = call.query.filters(LIST_FIELDS)
    if call.query.problems:
        return None
    with call.state.lock:
        items = [_list_json(call, i) for i in call.state.objects.lists.get(call.server_id, {}).values()]
    return page_of(select(items, filters, args.sort_field, args.descending), args)


def _create_list(call: Call) -> Response | None:
    body = call.json_body(_LIST_BODY)
    if call.query.problems:
        return None
    with call.state.lock:
        if _list_name_taken(call, str(body["name"])):
            return _conflict(f"a list named '{body['name']}' exists")
        item: JsonObject = {
            "id": call.state.objects.next_id(),
            "name": body["name"],
            "description": body.get("description"),
            "createdDate": format_instant(call.state.now()),
        }
        call.state.objects.lists.setdefault(call.server_id, {})[int(item["id"])] = item
        return json_response(200, {"data": _list_json(call, item)})


def _get_list(call: Call) -> Response | None:
    list_id = call.path_id("listId")
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.lists.get(call.server_id, {}).get(list_id)
        return (
            _not_found("list", list_id, call.server_id)
            if item is None
            else json_response(200, {"data": _list_json(call, item)})
        )


def _update_list(call: Call) -> Response | None:
    list_id = call.path_id("listId")
    body = call.json_body(_LIST_BODY)
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.lists.get(call.server_id, {}).get(list_id)
        if item is None:
            return _not_found("list", list_id, call.server_id)
        if _list_name_taken(call, str(body["name"]), except_id=list_id):
            return _conflict(f"a list named '{body['name']}' exists")
        item.update(name=body["name"], description=body.get("description"))
        return json_response(200, {"data": _list_json(call, item)})


def _delete_list(call: Call) -> Response | None:
    list_id = call.path_id("listId")
    if call.query.problems:
        return None
    with call.state.lock:
        lists = call.state.objects.lists.get(call.server_id, {})
        if list_id not in lists:
            return _not_found("list", list_id, call.server_id)
        data = _list_json(call, lists.pop(list_id))
        for contact in call.state.objects.contacts.get(call.server_id, {}).values():
            contact["listIds"] = [i for i in contact["listIds"] if i != list_id]
        return json_response(200, {"data": data})


# Contacts ------------------------------------------------------------------


def _contact_value(item: JsonObject, name: str) -> object:
    return item["listIds"] if name == "listId" else item.get(name)


def _check_references(call: Call, body: JsonObject) -> Response | None:
    """409 when a contact names a list or custom field the server lacks.

    Not 404: the contact at the URL exists (or is being created), and not 400:
    the body is well formed; it conflicts with the server's current state.
    """
    lists = call.state.objects.lists.get(call.server_id, {})
    missing_lists = [i for i in body.get("listIds", []) if int(i) not in lists]
    names = {str(f["name"]) for f in call.state.objects.custom_fields.get(call.server_id, {}).values()}
    missing_fields = sorted(set(body.get("customFields", {})) - names)
    problems = [f"list {i} does not exist on server {call.server_id}" for i in missing_lists]
    problems += [f"custom field '{n}' does not exist on server {call.server_id}" for n in missing_fields]
    return error_response(409, "Conflict", problems) if problems else None


def _contact_fields(body: JsonObject) -> JsonObject:
    return {
        "emailAddress": body["emailAddress"],
        "firstName": body.get("firstName"),
        "lastName": body.get("lastName"),
        "listIds": sorted({int(i) for i in body.get("listIds", [])}),
        "customFields": dict(body.get("customFields", {})),
    }


def _address_taken(call: Call, address: str, except_id: int = 0) -> bool:
    contacts = call.state.objects.contacts.get(call.server_id, {})
    wanted = address.casefold()
    return any(
        str(c["emailAddress"]).casefold() == wanted and c["id"] != except_id for c in contacts.values()
    )


def _list_contacts(call: Call) -> Response | None:
    args = list_args(call, max_page_size=100, fields=_CONTACT_SORT, default_sort="id", dates=False)
    filters = call.query.filters(CONTACT_FIELDS)
    if call.query.problems:
        return None
    with call.state.lock:
        items = [public(c) for c in call.state.objects.contacts.get(call.server_id, {}).values()]
    return page_of(select(items, filters, args.sort_field, args.descending, _contact_value), args)


def _create_contact(call: Call) -> Response | None:
    body = call.json_body(_CONTACT_BODY)
    if call.query.problems:
        return None
    with call.state.lock:
        missing = _check_references(call, body)
        if missing is not None:
            return missing
        if _address_taken(call, str(body["emailAddress"])):
            return _conflict(f"a contact with address {body['emailAddress']} exists")
        item: JsonObject = {
            "id": call.state.objects.next_id(),
            **_contact_fields(body),
            "createdDate": format_instant(call.state.now()),
        }
        call.state.objects.contacts.setdefault(call.server_id, {})[int(item["id"])] = item
        return json_response(200, {"data": public(item)})


def _get_contact(call: Call) -> Response | None:
    contact_id = call.path_id("contactId")
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.contacts.get(call.server_id, {}).get(contact_id)
        if item is None:
            return _not_found("contact", contact_id, call.server_id)
        return json_response(200, {"data": public(item)})


def _update_contact(call: Call) -> Response | None:
    contact_id = call.path_id("contactId")
    body = call.json_body(_CONTACT_BODY)
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.contacts.get(call.server_id, {}).get(contact_id)
        if item is None:
            return _not_found("contact", contact_id, call.server_id)
        missing = _check_references(call, body)
        if missing is not None:
            return missing
        if _address_taken(call, str(body["emailAddress"]), except_id=contact_id):
            return _conflict(f"a contact with address {body['emailAddress']} exists")
        item.update(_contact_fields(body))
        return json_response(200, {"data": public(item)})


def _delete_contact(call: Call) -> Response | None:
    contact_id = call.path_id("contactId")
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.contacts.get(call.server_id, {}).pop(contact_id, None)
    if item is None:
        return _not_found("contact", contact_id, call.server_id)
    return json_response(200, {"data": public(item)})


# Custom fields -------------------------------------------------------------


def _field_name_taken(call: Call, name: str, except_id: int = 0) -> bool:
    fields = call.state.objects.custom_fields.get(call.server_id, {})
    return any(str(f["name"]).casefold() == name.casefold() and f["id"] != except_id for f in fields.values())


def _list_custom_fields(call: Call) -> Response | None:
    args = list_args(call, max_page_size=100, fields=_CUSTOM_FIELD_SORT, default_sort="id", dates=False)
    filters = call.query.filters(CUSTOM_FIELD_FIELDS)
    if call.query.problems:
        return None
    with call.state.lock:
        items = [public(f) for f in call.state.objects.custom_fields.get(call.server_id, {}).values()]
    return page_of(select(items, filters, args.sort_field, args.descending), args)


def _create_custom_field(call: Call) -> Response | None:
    body = call.json_body(_CUSTOM_FIELD_BODY)
    if call.query.problems:
        return None
    with call.state.lock:
        if _field_name_taken(call, str(body["name"])):
            return _conflict(f"a custom field named '{body['name']}' exists")
        item: JsonObject = {
            "id": call.state.objects.next_id(),
            "name": body["name"],
            "dataType": body["dataType"],
        }
        call.state.objects.custom_fields.setdefault(call.server_id, {})[int(item["id"])] = item
        return json_response(200, {"data": item})


def _get_custom_field(call: Call) -> Response | None:
    field_id = call.path_id("customFieldId")
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.custom_fields.get(call.server_id, {}).get(field_id)
    if item is None:
        return _not_found("custom field", field_id, call.server_id)
    return json_response(200, {"data": item})


def _update_custom_field(call: Call) -> Response | None:
    field_id = call.path_id("customFieldId")
    body = call.json_body(_CUSTOM_FIELD_BODY)
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.custom_fields.get(call.server_id, {}).get(field_id)
        if item is None:
            return _not_found("custom field", field_id, call.server_id)
        if _field_name_taken(call, str(body["name"]), except_id=field_id):
            return _conflict(f"a custom field named '{body['name']}' exists")
        old_name = str(item["name"])
        item.update(name=body["name"], dataType=body["dataType"])
        for contact in call.state.objects.contacts.get(call.server_id, {}).values():
            values = contact["customFields"]
            if isinstance(values, dict) and old_name in values:
                values[str(body["name"])] = values.pop(old_name)
        return json_response(200, {"data": dict(item)})


def _delete_custom_field(call: Call) -> Response | None:
    field_id = call.path_id("customFieldId")
    if call.query.problems:
        return None
    with call.state.lock:
        item = call.state.objects.custom_fields.get(call.server_id, {}).pop(field_id, None)
        if item is None:
            return _not_found("custom field", field_id, call.server_id)
        for contact in call.state.objects.contacts.get(call.server_id, {}).values():
            values = contact["customFields"]
            if isinstance(values, dict):
                values.pop(str(item["name"]), None)
        return json_response(200, {"data": item})


HANDLERS: dict[str, Handler] = {
    "listLists": _list_lists,
    "createList": _create_list,
    "getList": _get_list,
    "updateList": _update_list,
    "deleteList": _delete_list,
    "listContacts": _list_contacts,
    "createContact": _create_contact,
    "getContact": _get_contact,
    "updateContact": _update_contact,
    "deleteContact": _delete_contact,
    "listCustomFields": _list_custom_fields,
    "createCustomField": _create_custom_field,
    "getCustomField": _get_custom_field,
    "updateCustomField": _update_custom_field,
    "deleteCustomField": _delete_custom_field,
}
"""The handler of each marketing operation."""
