"""The sandbox's stateful account objects, per server id.

Marketing lists, contacts and custom fields; API keys; sending domains;
tracking domains; subaccounts with their bounce domains and DKIM keys; and
the management v1 custom bounce domains and DKIM keys. Items are kept as the
JSON the API answers (plus private members starting with `_`), because that
is all the handlers serve and filter on. Every access happens under `SandboxState.lock`; this class does
no locking of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._filters import Filter

__all__ = ["JsonObject", "ObjectStore", "public", "select"]

JsonObject = dict[str, Any]


@dataclass
class ObjectStore:
    """Every account object of every server; `reset()` empties it."""

    lists: dict[int, dict[int, JsonObject]] = field(default_factory=dict)
    contacts: dict[int, dict[int, JsonObject]] = field(default_factory=dict)
    custom_fields: dict[int, dict[int, JsonObject]] = field(default_factory=dict)
    api_keys: dict[int, dict[int, JsonObject]] = field(default_factory=dict)
    sending_domains: dict[int, dict[str, JsonObject]] = field(default_factory=dict)
    tracking_domains: dict[int, dict[str, JsonObject]] = field(default_factory=dict)
    """Tracking domains by owner: a server id, or minus a subaccount id."""
    subaccounts: dict[int, JsonObject] = field(default_factory=dict)
    """Created subaccounts by id (the seeded one is not stored: see `_subaccounts`)."""
    subaccount_bounce_domains: dict[int, dict[str, JsonObject]] = field(default_factory=dict)
    subaccount_dkim_keys: dict[int, dict[tuple[str, str], JsonObject]] = field(default_factory=dict)
    bounce_domains: dict[int, dict[str, JsonObject]] = field(default_factory=dict)
    dkim_keys: dict[int, dict[tuple[str, str], JsonObject]] = field(default_factory=dict)
    injection_keys: dict[str, int] = field(default_factory=dict)
    """Injection keys created for subaccounts, to the subaccount (server) id."""
    v1_contacts: dict[tuple[int, int], dict[str, JsonObject]] = field(default_factory=dict)
    """Marketing v1 contacts by (server, list), keyed by the case-folded address."""
    v1_unsubscribed: dict[int, set[str]] = field(default_factory=dict)
    """Marketing v1 unsubscribed addresses (case-folded) per server."""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        """Forget everything."""
        for table in (
            self.lists,
            self.contacts,
            self.custom_fields,
            self.api_keys,
            self.sending_domains,
            self.tracking_domains,
            self.subaccounts,
            self.subaccount_bounce_domains,
            self.subaccount_dkim_keys,
            self.bounce_domains,
            self.dkim_keys,
            self.injection_keys,
            self.v1_contacts,
            self.v1_unsubscribed,
        ):
            table.clear()
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        """A fresh id, unique across every kind of object."""
        return next(self._ids)

    def api_key_is_active(self, secret: bytes) -> bool:
        """Whether `secret` is a created, unrevoked key with access to the SocketLabs API."""
        return any(
            key.get("_secret") == secret and key["access"] == "SocketLabsApi"
            for keys in self.api_keys.values()
            for key in keys.values()
        )


def public(item: JsonObject) -> JsonObject:
    """The item without its private (`_`) members, as the API answers it."""
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _sort_key(value: object) -> tuple[int, str | float]:
    """Missing first, then numbers, then strings case-insensitively."""
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, float(value))
    if isinstance(value, int | float):
        return (1, float(value))
    return (2, str(value).casefold())


def _passes(item: JsonObject, flt: Filter, value_of: Callable[[JsonObject, str], object]) -> bool:
    value = value_of(item, flt.field)
    if isinstance(value, list):  # a membership field (a contact's lists): any member may match
        return any(flt.matches(v) for v in value)
    return flt.matches(value if value is None or isinstance(value, str | int | float | bool) else str(value))


def select(
    items: Iterable[JsonObject],
    filters: Sequence[Filter],
    sort_field: str,
    descending: bool,
    value_of: Callable[[JsonObject, str], object] = lambda item, name: item.get(name),
) -> list[JsonObject]:
    """The items passing every filter, sorted by one field (ties by id or name, stable)."""
    kept = [item for item in items if all(_passes(item, f, value_of) for f in filters)]
    kept.sort(key=lambda item: _sort_key(value_of(item, sort_field)), reverse=descending)
    return kept
