"""Planning a send: every message checked, merges split, messages packed into requests."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from attrs import frozen
from socketlabs_api.models import (
    InjectionRequest,
    MergeData,
    Message,
)

from .._errors import (
    ConfigurationError,
    MessageValidationError,
)
from .._xml import XML_CONTENT_TYPE
from ._builders import (
    _ROW_FIELDS,
    BasicMessage,
    BulkMessage,
    BulkRecipient,
    _template_to,
)
from ._checks import MAX_RECIPIENTS_PER_MESSAGE, check_message, is_valid_address, text_pattern
from ._wire import Format, Wire, _encode, _model

MAX_MESSAGES_PER_REQUEST = 10
"""The legacy guide's documented limit of messages in one request."""


class _Recipient(NamedTuple):
    """Who one message goes to, and which passed message it came from (a tuple: made per recipient)."""

    address: str
    name: str | None
    message: int


_Built = tuple[Wire, tuple[_Recipient, ...]]


class _Part:
    """One message of a request, as its wire dict, and who it goes to.

    Given whole, or as a function that builds it: a merge's later chunks
    are checked when planned but built when their request is first encoded,
    so the first requests are on their way while the rest are still being
    built. (One request's parts are only ever built by the one thread or
    task sending it.)
    """

    __slots__ = ("_built",)

    def __init__(self, built: _Built | Callable[[], _Built]) -> None:
        self._built = built

    def _get(self) -> _Built:
        built = self._built
        if callable(built):
            built = self._built = built()
        return built

    @property
    def wire(self) -> Wire:
        """The message as ``Message.to_dict()`` makes it."""
        return self._get()[0]

    @property
    def recipients(self) -> tuple[_Recipient, ...]:
        """Who it goes to, in order."""
        return self._get()[1]


@frozen
class PlannedRequest:
    """One injection request: its body (without credentials) and how it is sent.

    ``wire`` is the body as the generated ``InjectionRequest.to_dict()``
    would make it; ``body`` turns it into that model when asked. The bytes
    are made when asked for (``content``), so a send encodes each request
    just before it goes out, while earlier ones are in flight.
    """

    index: int
    server_id: int
    format: Format
    parts: tuple[_Part, ...]

    @property
    def wire(self) -> Wire:
        """The body as ``InjectionRequest.to_dict()`` makes it (its key order; a test compares)."""
        return {"ServerId": self.server_id, "Messages": [p.wire for p in self.parts]}

    @property
    def body(self) -> InjectionRequest:
        """The body as the generated model (built from ``wire`` on each access)."""
        return _model(self.wire)

    @property
    def content(self) -> bytes:
        """The body as sent (JSON or XML), without credentials: the auth layer adds them."""
        return _encode(self.wire, self.format)

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` it is sent with."""
        return XML_CONTENT_TYPE if self.format == "xml" else "application/json"

    @property
    def recipient_count(self) -> int:
        """How many recipients the request carries."""
        return sum(len(p.recipients) for p in self.parts)


def _recipients_of(message: Message, source: int) -> tuple[_Recipient, ...]:
    merge = message.merge_data
    rows = merge.per_message if isinstance(merge, MergeData) else None
    if isinstance(rows, list) and rows:
        found = []
        for row in rows:
            fields = {f.field.casefold(): f.value for f in row}
            found.append(_Recipient(fields["deliveryaddress"], fields.get("recipientname"), source))
        return tuple(found)
    found = []
    for member in (message.to, message.cc, message.bcc):
        if isinstance(member, list):
            found.extend(
                _Recipient(
                    a.email_address, a.friendly_name if isinstance(a.friendly_name, str) else None, source
                )
                for a in member
            )
    return tuple(found)


def _model_part(message: Message, source: int, max_recipients: int, fmt: Format) -> _Part:
    """A message through the models: checked, then its ``to_dict()``."""
    wire = check_message(message, max_recipients=max_recipients, format=fmt)
    return _Part((wire, _recipients_of(message, source)))


def _row_passes(recipient: BulkRecipient, text: re.Pattern[str]) -> bool:
    """Whether the row checks of ``validate_message`` certainly pass for this recipient.

    A quick sufficient test (string types, the address syntax, named merge
    fields, no line break in the name, no character the format cannot
    carry); ``False`` only sends the chunk down the model path, which
    raises the exact error (or, if this was merely cautious, builds it).
    """
    address, name = recipient.address, recipient.name
    if type(address) is not str or not is_valid_address(address):
        return False
    if name is not None and (type(name) is not str or "\r" in name or "\n" in name):
        return False
    merge = recipient.merge
    for key, value in merge.items():
        if type(key) is not str or type(value) is not str or not key.strip():
            return False
    # one search over the row's text (the address passed the stricter syntax check above)
    return text.search("".join((name or "", *merge, *merge.values()))) is None


def _bulk_parts(bulk: BulkMessage, source: int, max_recipients: int, fmt: Format) -> list[_Part]:
    """``bulk.build()`` as wire dicts, without a model (and its ``to_dict``) per merge field.

    The chunks of a merge differ only in their rows (and whether ``To`` is
    named), so the first chunk goes through the models and
    ``validate_message`` whole, and every other row gets the row checks
    alone, here; their wire dicts are built later (``_Part``), reusing the
    first chunk's ``to_dict()`` around rows built directly. A test checks
    that the result equals the models' ``to_dict()`` for every builder
    option.
    """
    bulk._check_buildable(max_recipients)
    recipients = bulk.recipients
    first = bulk._chunk(recipients[:max_recipients])
    parts = [_model_part(first, source, max_recipients, fmt)]
    shell = dict(parts[0].wire)
    merge_shell: Wire = dict(shell["MergeData"])
    addressed = {named: [_template_to(named).to_dict()] for named in (False, True)}

    def builder(chunk: list[BulkRecipient]) -> Callable[[], _Built]:
        def build() -> _Built:
            named = any(r.name for r in chunk)
            rows: list[list[Wire]] = []
            found: list[_Recipient] = []
            for r in chunk:
                row: list[Wire] = [{"Field": "DeliveryAddress", "Value": r.address}]
                if named:
                    row.append({"Field": "RecipientName", "Value": r.name or ""})
                row.extend(
                    {"Field": k, "Value": v} for k, v in r.merge.items() if k.casefold() not in _ROW_FIELDS
                )
                rows.append(row)
                found.append(_Recipient(r.address, (r.name or "") if named else None, source))
            merge = dict(merge_shell)
            merge["PerMessage"] = rows
            wire = dict(shell)
            wire["To"] = addressed[named]
            wire["MergeData"] = merge
            return wire, tuple(found)

        return build

    text = text_pattern(fmt)
    for start in range(max_recipients, len(recipients), max_recipients):
        chunk = recipients[start : start + max_recipients]
        if all(_row_passes(r, text) for r in chunk):
            parts.append(_Part(builder(chunk)))
        else:
            parts.append(_model_part(bulk._chunk(chunk), source, max_recipients, fmt))
    return parts


Sendable = BasicMessage | BulkMessage | Message


def _parts(messages: Sendable | Sequence[Sendable], max_recipients: int, fmt: Format) -> list[_Part]:
    items: Sequence[Sendable] = (
        [messages] if isinstance(messages, BasicMessage | BulkMessage | Message) else messages
    )
    if not items:
        raise MessageValidationError("nothing to send", field="Messages", code="NoMessages")
    parts: list[_Part] = []
    for index, item in enumerate(items):
        try:
            if isinstance(item, BulkMessage):
                parts.extend(_bulk_parts(item, index, max_recipients, fmt))
            elif isinstance(item, BasicMessage):
                parts.append(_model_part(item._unchecked(), index, max_recipients, fmt))
            elif isinstance(item, Message):
                parts.append(_model_part(item, index, max_recipients, fmt))
            else:
                raise MessageValidationError(
                    f"expected BasicMessage, BulkMessage or Message, got {type(item).__name__}",
                    field="Messages",
                    code="MessageValidationInvalidMessageType",
                )
        except MessageValidationError as exc:
            raise MessageValidationError(
                exc.reason, field=exc.field, code=exc.code, message_index=index
            ) from None
    return parts


def plan(
    messages: Sendable | Sequence[Sendable],
    *,
    server_id: int,
    fmt: Format = "json",
    messages_per_request: int = MAX_MESSAGES_PER_REQUEST,
    recipients_per_message: int = MAX_RECIPIENTS_PER_MESSAGE,
) -> list[PlannedRequest]:
    """Check every message and pack them into requests within the limits."""
    if messages_per_request < 1:
        raise ConfigurationError(f"messages_per_request must be at least 1, got {messages_per_request}")
    if recipients_per_message < 1:
        raise ConfigurationError(f"recipients_per_message must be at least 1, got {recipients_per_message}")
    if fmt not in ("json", "xml"):
        raise ConfigurationError(f"format must be 'json' or 'xml', got {fmt!r}")
    parts = _parts(messages, recipients_per_message, fmt)
    requests = []
    for index, start in enumerate(range(0, len(parts), messages_per_request)):
        requests.append(
            PlannedRequest(index, server_id, fmt, tuple(parts[start : start + messages_per_request]))
        )
    return requests
