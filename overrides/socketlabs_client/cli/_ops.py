"""The commands' view of the spec: report families, their views, and the method behind each.

Everything here is read from ``socketlabs_api.operations.OPERATIONS`` (the
table the client itself sends with each request), so a renamed method or a
new report view reaches the command line by regeneration alone. A method is
found through its operation's ``tag`` and ``method_name``, on the client or
under ``client.unverified`` (where operations with modeled paths live).
"""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from socketlabs_api.operations import OPERATIONS, Operation

__all__ = ["REPORTS", "ReportFamily", "accepts", "bound", "quiet_unverified", "unverified_note"]

_REPORT_PATH = re.compile(r"/servers/\{serverId\}/reports/(?P<family>[a-z][a-z-]*)/(?P<view>[a-z][a-z-]*)")
_DOWNLOAD = "download"


@dataclass(frozen=True)
class ReportFamily:
    """One report family (``failed``): its views by name, and its CSV download if it has one."""

    name: str
    views: dict[str, Operation] = field(default_factory=dict)
    download: Operation | None = None

    @property
    def default_view(self) -> str:
        """``detail`` (the rows) where the family has it, else its first paged view, else its first."""
        if "detail" in self.views:
            return "detail"
        paged = [name for name, op in self.views.items() if op.pagination == "page"]
        return paged[0] if paged else next(iter(self.views))


def _families(operations: Mapping[str, Operation]) -> dict[str, ReportFamily]:
    found: dict[str, ReportFamily] = {}
    for op in sorted(operations.values(), key=lambda o: o.path):
        match = _REPORT_PATH.fullmatch(op.path) if op.tag == "reports" and op.method == "GET" else None
        if match is None or not op.method_name:
            continue
        family = found.setdefault(match["family"], ReportFamily(match["family"]))
        if match["view"] == _DOWNLOAD and op.pagination == "csv":
            found[family.name] = ReportFamily(family.name, family.views, op)
        else:
            family.views[match["view"]] = op
    return {name: family for name, family in sorted(found.items()) if family.views}


REPORTS: dict[str, ReportFamily] = _families(OPERATIONS)
"""Every report family of the spec (``GET /servers/{serverId}/reports/<family>/<view>``)."""


def bound(client: Any, op: Operation) -> Callable[..., Any]:
    """The client's method for ``op``: ``client.<tag>.<method>``, or under ``client.unverified``."""
    holders = [getattr(client, "unverified", None), client]
    if op.confidence != "modeled":
        holders.reverse()
    for holder in holders:
        resource = getattr(holder, op.tag, None) if holder is not None else None
        method = getattr(resource, op.method_name, None) if resource is not None else None
        if callable(method):
            return method  # type: ignore[no-any-return]
    raise LookupError(f"the client has no method for {op.operation_id} ({op.tag}.{op.method_name})")


def accepts(method: Callable[..., Any], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments the method takes (by name), the ``None`` ones left out."""
    names = inspect.signature(method).parameters
    return {name: value for name, value in arguments.items() if name in names and value is not None}


def unverified_note(op: Operation) -> str | None:
    """One line for stderr when ``op``'s path is modeled rather than known from the vendor."""
    if op.confidence != "modeled":
        return None
    return f"note: unverified: {op.method} {op.path} is modeled on the API's conventions, not confirmed"


@contextmanager
def quiet_unverified() -> Iterator[None]:
    """The library's once-per-process warning is replaced by the command's own note line."""
    category = getattr(
        importlib.import_module("socketlabs_client._errors"), "UnverifiedOperationWarning", None
    )
    with warnings.catch_warnings():
        if isinstance(category, type) and issubclass(category, Warning):
            warnings.simplefilter("ignore", category)
        yield
