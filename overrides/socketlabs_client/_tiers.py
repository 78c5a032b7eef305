"""What is known and what is guessed, said where the user writes the call.

An operation whose path no source publishes (``x-confidence: modeled``) lives
under ``client.unverified``: its first call in a process warns
``UnverifiedOperationWarning``, and its error messages say the path is
unverified, cite where the model comes from and name the ways forward. An
operation with an evidenced path whose answer shape is modeled is checked
after parsing: when the answer has members but none of the modeled ones, the
typed model would read as empty, so ``ShapeDriftWarning`` (the same family)
names what was expected and what came. Each warning is given once per
operation per process; filter them with the standard ``warnings`` machinery,
e.g. ``warnings.filterwarnings("ignore", category=UnverifiedOperationWarning)``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

from socketlabs_api.operations import Operation
from socketlabs_api.types import Response

__all__ = [
    "ShapeDriftWarning",
    "UnverifiedOperationWarning",
    "check_shape",
    "drift_note",
    "forget_warnings",
    "unverified_note",
    "warn_unverified",
]

CONTRACT_COMMAND = "socketlabs contract --live"
"""The command that records what the live API answers (see ``socketlabs_client.contract``)."""


class UnverifiedOperationWarning(UserWarning):
    """A call whose path (or answer shape) is this client's model, not a published fact.

    Given once per operation per process. The call still runs; to silence it once you
    have checked the operation against your account::

        warnings.filterwarnings("ignore", category=UnverifiedOperationWarning)
    """


class ShapeDriftWarning(UnverifiedOperationWarning):
    """An answer on an evidenced path has none of the members the spec models, but others.

    The typed result then holds nothing in its modeled attributes; what came is kept
    in its ``additional_properties``. Given once per operation per process.
    """


_PACKAGES = tuple(
    str(Path(module.__file__).resolve().parent)
    for module in (sys.modules["socketlabs_api"], sys.modules[__package__ or "socketlabs_client"])
    if module.__file__
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
"""A member name worth showing: an identifier of at most 40 characters (never an address or a key)."""
_lock = threading.Lock()
_warned: set[tuple[str, str]] = set()


def forget_warnings() -> None:
    """Warn again on the next call of each operation (tests start from a clean process state)."""
    with _lock:
        _warned.clear()


def _first(kind: str, operation: Operation) -> bool:
    with _lock:
        key = (kind, operation.operation_id)
        if key in _warned:
            return False
        _warned.add(key)
        return True


def _stacklevel() -> int:
    """The level of the first frame outside this package and the generated one: the user's call."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGES):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def unverified_note(operation: Operation | None) -> str:
    """The sentence an error of an unverified operation ends with ('' for any other)."""
    if operation is None or not operation.unverified:
        return ""
    return (
        f" [unverified path: {operation.method} {operation.path} is this client's model, not a"
        f" published endpoint (source: {operation.source}). Ways forward: `{CONTRACT_COMMAND}`"
        " records what the API answers, and client.request(method, path) reaches any path.]"
    )


def warn_unverified(operation: Operation) -> None:
    """Warn on the first call of an unverified operation in this process."""
    if not operation.unverified or not _first("unverified", operation):
        return
    warnings.warn(
        f"{operation.operation_id} ({operation.method} {operation.path}) is unverified: no source"
        f" publishes this path, it is this client's model (source: {operation.source}). The answer"
        f" is returned as plain JSON data. `{CONTRACT_COMMAND}` records what the API answers;"
        " client.request(method, path) reaches any path.",
        UnverifiedOperationWarning,
        stacklevel=_stacklevel(),
    )


def _answer_object(body: Any, operation: Operation) -> dict[str, Any] | None:
    """The object whose members the spec models: ``data`` (or its first item), else the body."""
    target = body.get("data", body) if isinstance(body, dict) and operation.server != "management" else body
    if isinstance(target, list):
        target = next((item for item in target if isinstance(item, dict)), None)
    return target if isinstance(target, dict) else None


def _drift(operation: Operation, content: bytes) -> list[str] | None:
    """The members received when the answer has none of the modeled ones but others, else None."""
    if not operation.modeled_members or not content:
        return None
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return None
    found = _answer_object(body, operation)
    if not found:
        return None
    expected = {name.casefold() for name in operation.modeled_members}
    if expected & {str(name).casefold() for name in found}:
        return None
    # Names only, and not even those when they could be data (an address, a key): a warning is logged.
    return sorted({str(name) if _NAME.fullmatch(str(name)) else "<name>" for name in found})


def _warn_drift(operation: Operation, received: list[str], kept: str) -> str:
    """Warn once for this operation; the sentence naming what was expected and what came."""
    said = (
        f"the answer has none of the members the spec models (expected"
        f" {', '.join(operation.modeled_members)}; received {', '.join(received)})"
    )
    if _first("shape", operation):
        warnings.warn(
            f"{operation.operation_id}: {said}. {kept} The modeled shape may be wrong"
            f" (source: {operation.source}); `{CONTRACT_COMMAND}` records the live shape.",
            ShapeDriftWarning,
            stacklevel=_stacklevel(),
        )
    return said


def check_shape(operation: Operation, response: Response[Any]) -> Response[Any]:
    """Warn once when a parsed evidenced answer has none of its modeled members but other ones."""
    received = _drift(operation, response.content)
    if received is not None:
        _warn_drift(operation, received, "The typed result keeps what came in its additional_properties.")
    return response


def drift_note(operation: Operation | None, content: bytes) -> str:
    """For an answer the model could not read: '' or why (the drift, warned once as well)."""
    received = None if operation is None else _drift(operation, content)
    if operation is None or received is None:
        return ""
    return "; " + _warn_drift(operation, received, "The answer could not be read as the model.")
