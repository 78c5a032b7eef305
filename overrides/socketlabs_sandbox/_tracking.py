"""Engagement tracking domains: a collection per server (v1) and per subaccount (v2).

Each tracking domain carries its own switches (opens, clicks, unsubscribes,
automatic tracking, Google Analytics, HTTPS) and at most one is the default.
Servers answer in the v1 form (PascalCase members, `ServerId`, bare JSON,
errors as a bare list); subaccounts in the v2 form (camelCase, `{"data":
...}`, the v2 error envelope). Rules the sandbox enforces, for both:

* domains are unique per owner (409); the first one added is the default,
  and making one the default clears the others;
* a new domain's switches not given default to opens, clicks and HTTPS on,
  the rest off; an update changes only the switches it names;
* an unknown domain is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import Response

from ._handler import BodyField, Call, Handler, error_response, json_response
from ._objects import JsonObject

__all__ = ["SWITCHES", "TrackingForm", "tracking_handlers"]

SWITCHES: dict[str, bool] = {
    "opensEnabled": True,
    "clicksEnabled": True,
    "unsubscribesEnabled": False,
    "automaticTrackingEnabled": False,
    "googleAnalyticsEnabled": False,
    "httpsEnabled": True,
}
"""Each switch of a tracking domain and its value when a new domain does not name it."""


def _pascal(name: str) -> str:
    return name[0].upper() + name[1:]


@dataclass(frozen=True, slots=True)
class TrackingForm:
    """How one API version spells tracking domains: member casing, envelope and errors."""

    v1: bool

    def name(self, camel: str) -> str:
        """A member's wire name in this form."""
        return _pascal(camel) if self.v1 else camel

    def answer(self, body: object) -> Response:
        """A success answer: bare in v1, in the `data` envelope in v2."""
        return json_response(200, body if self.v1 else {"data": body})

    def error(self, status: int, error_type: str, message: str) -> Response:
        """An error in this form's envelope."""
        if self.v1:
            return json_response(status, [{"ErrorType": error_type, "Message": message}])
        return error_response(status, error_type, [message])


def tracking_handlers(  # noqa: PLR0915 - four small closures over one form and owner
    form: TrackingForm, owner: Callable[[Call], int | Response | None]
) -> dict[str, Handler]:
    """list/create/update/delete handlers; `owner` gives the call's store key, an error, or None (a 400)."""
    n = form.name
    switch_fields = tuple(BodyField(n(name), "boolean") for name in (*SWITCHES, "isDefault"))
    create_fields = (BodyField(n("domain"), "domain", required=True), *switch_fields)

    def store(call: Call, key: int) -> dict[str, JsonObject]:
        return call.state.objects.tracking_domains.setdefault(key, {})

    def public(call: Call, item: JsonObject) -> JsonObject:
        shown = {n(k): v for k, v in item.items() if not k.startswith("_")}
        if form.v1:
            shown = {"ServerId": call.server_id, **shown}
        return shown

    def make_default(domains: dict[str, JsonObject], chosen: JsonObject) -> None:
        for other in domains.values():
            other["isDefault"] = False
        chosen["isDefault"] = True

    def list_domains(call: Call) -> Response | None:
        key = owner(call)
        if call.query.problems or key is None:
            return None
        if isinstance(key, Response):
            return key
        with call.state.lock:
            items = [public(call, store(call, key)[d]) for d in sorted(store(call, key))]
        return form.answer(items)

    def create(call: Call) -> Response | None:
        key = owner(call)
        body = call.json_body(create_fields)
        if call.query.problems or key is None:
            return None
        if isinstance(key, Response):
            return key
        domain = str(body[n("domain")]).lower()
        with call.state.lock:
            domains = store(call, key)
            if domain in domains:
                return form.error(409, "Conflict", f"tracking domain {domain} exists")
            item: JsonObject = {"domain": domain}
            item.update({name: bool(body.get(n(name), default)) for name, default in SWITCHES.items()})
            item["isDefault"] = False
            if body.get(n("isDefault")) or not domains:
                make_default(domains, item)
            domains[domain] = item
            return form.answer(public(call, item))

    def update(call: Call) -> Response | None:
        key = owner(call)
        domain = call.path_domain()
        body = call.json_body(switch_fields)
        if call.query.problems or key is None:
            return None
        if isinstance(key, Response):
            return key
        with call.state.lock:
            domains = store(call, key)
            item = domains.get(domain)
            if item is None:
                return form.error(404, "NotFound", f"tracking domain {domain} does not exist")
            item.update({name: bool(body[n(name)]) for name in SWITCHES if n(name) in body})
            if body.get(n("isDefault")) is True:
                make_default(domains, item)
            elif body.get(n("isDefault")) is False:
                item["isDefault"] = False
            return form.answer(public(call, item))

    def delete(call: Call) -> Response | None:
        key = owner(call)
        domain = call.path_domain()
        if call.query.problems or key is None:
            return None
        if isinstance(key, Response):
            return key
        with call.state.lock:
            item = store(call, key).pop(domain, None)
            if item is None:
                return form.error(404, "NotFound", f"tracking domain {domain} does not exist")
            return form.answer(public(call, item))

    return {"list": list_domains, "create": create, "update": update, "delete": delete}
