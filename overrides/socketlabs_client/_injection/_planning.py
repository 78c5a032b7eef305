"""Planning a send: every message checked, merges split, messages packed into requests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import chain, islice
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
    as_recipient,
    no_recipients,
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


class Refused(NamedTuple):
    """A recipient of a streamed merge that failed the checks: reported, never sent."""

    address: str
    name: str | None
    message: int
    error: MessageValidationError


def _bulk_parts(
    bulk: BulkMessage, source: int, max_recipients: int, fmt: Format, refused: list[Refused] | None
) -> Iterator[_Part]:
    """``bulk.build()`` as wire dicts, without a model (and its ``to_dict``) per merge field.

    The chunks of a merge differ only in their rows (and whether ``To`` is
    named), so the first chunk goes through the models and
    ``validate_message`` whole, and every other row gets the row checks
    alone, here; their wire dicts are built later (``_Part``), reusing the
    first chunk's ``to_dict()`` around rows built directly. A test checks
    that the result equals the models' ``to_dict()`` for every builder
    option.

    The first chunk is checked when the generator is made (so its errors
    raise before anything is sent). Later chunks are read from the merge's
    rows as the parts are asked for: with ``refused`` given (recipients from
    an iterator, which cannot be looked ahead), a later row that fails its
    checks is appended there instead of raising; without it, it raises.
    """
    bulk._check_buildable(max_recipients)
    items = enumerate(bulk._rows())

    def take(sink: list[Refused] | None) -> list[BulkRecipient] | None:
        """The next chunk's rows (``None`` when none are left); unreadable items go to ``sink``."""
        batch = list(islice(items, max_recipients))
        if not batch:
            return None
        chunk = []
        for position, item in batch:
            try:
                chunk.append(as_recipient(item, position))
            except MessageValidationError as exc:
                if sink is None:
                    raise
                sink.append(Refused(repr(item)[:200], None, source, exc))
        return chunk

    rows = take(None)
    if rows is None:
        raise no_recipients()
    first = bulk._chunk(rows)
    head = _model_part(first, source, max_recipients, fmt)
    build = _RowBuilder(head.wire, source)

    def later() -> Iterator[_Part]:
        text = text_pattern(fmt)
        while (chunk := take(refused)) is not None:
            if chunk and all(_row_passes(r, text) for r in chunk):
                yield _Part(partial(build, chunk))
            elif chunk and refused is None:
                yield _model_part(bulk._chunk(chunk), source, max_recipients, fmt)
            elif chunk and refused is not None:
                kept = [
                    r for r in chunk if _row_passes(r, text) or _row_checked(bulk, r, source, fmt, refused)
                ]
                if kept:
                    yield _model_part(bulk._chunk(kept), source, max_recipients, fmt)

    return chain((head,), later())


class _RowBuilder:
    """Builds a later chunk's wire dict around the first chunk's ``to_dict()``, rows written directly."""

    def __init__(self, first: Wire, source: int) -> None:
        self._shell = dict(first)
        self._merge_shell: Wire = dict(first["MergeData"])
        self._addressed = {named: [_template_to(named).to_dict()] for named in (False, True)}
        self._source = source

    def __call__(self, chunk: list[BulkRecipient]) -> _Built:
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
            found.append(_Recipient(r.address, (r.name or "") if named else None, self._source))
        merge = dict(self._merge_shell)
        merge["PerMessage"] = rows
        wire = dict(self._shell)
        wire["To"] = self._addressed[named]
        wire["MergeData"] = merge
        return wire, tuple(found)


def _row_checked(
    bulk: BulkMessage, row: BulkRecipient, source: int, fmt: Format, refused: list[Refused]
) -> bool:
    """Whether one row passes the full checks on its own; if not, it is recorded as refused."""
    try:
        check_message(bulk._chunk([row]), max_recipients=1, format=fmt)
    except MessageValidationError as exc:
        name = row.name if isinstance(row.name, str) else None
        address = row.address if isinstance(row.address, str) else repr(row.address)
        refused.append(Refused(address, name, source, exc))
        return False
    return True


Sendable = BasicMessage | BulkMessage | Message


def _checked(
    item: Sendable, index: int, max_recipients: int, fmt: Format, refused: list[Refused]
) -> Iterable[_Part]:
    """One passed item's parts: a list (checked now), or lazily for a merge whose rows are streamed."""
    if isinstance(item, BulkMessage):
        parts = _bulk_parts(item, index, max_recipients, fmt, refused if item.streamed else None)
        return parts if item.streamed else list(parts)
    if isinstance(item, BasicMessage):
        return [_model_part(item._unchecked(), index, max_recipients, fmt)]
    if isinstance(item, Message):
        return [_model_part(item, index, max_recipients, fmt)]
    raise MessageValidationError(
        f"expected BasicMessage, BulkMessage or Message, got {type(item).__name__}",
        field="Messages",
        code="MessageValidationInvalidMessageType",
    )


def _indexed(error: MessageValidationError, index: int) -> MessageValidationError:
    return MessageValidationError(error.reason, field=error.field, code=error.code, message_index=index)


def _parts(
    messages: Sendable | Sequence[Sendable], max_recipients: int, fmt: Format, refused: list[Refused]
) -> Iterator[_Part]:
    """Every part in message order.

    Each item is checked before the first part is handed out, except the later
    rows of streamed merges, which are checked as they are read.
    """
    items: Sequence[Sendable] = (
        [messages] if isinstance(messages, BasicMessage | BulkMessage | Message) else messages
    )
    if not items:
        raise MessageValidationError("nothing to send", field="Messages", code="NoMessages")
    checked: list[Iterable[_Part]] = []
    for index, item in enumerate(items):
        try:
            checked.append(_checked(item, index, max_recipients, fmt, refused))
        except MessageValidationError as exc:
            raise _indexed(exc, index) from None

    def parts() -> Iterator[_Part]:
        for index, item_parts in enumerate(checked):
            try:
                yield from item_parts
            except MessageValidationError as exc:  # a streamed merge's rows, read late
                raise _indexed(exc, index) from None

    return parts()


class Plan:
    """The requests of a send, packed as they are asked for.

    Iterating it yields each ``PlannedRequest`` once; a merge whose
    recipients come from an iterator is read a chunk at a time, so a send
    holds the requests in flight, not the whole list. ``refused`` collects
    the streamed rows that failed their checks (never sent).
    """

    def __init__(
        self,
        parts: Iterator[_Part],
        *,
        server_id: int,
        fmt: Format,
        per_request: int,
        refused: list[Refused],
        streamed: bool,
    ) -> None:
        self._parts = parts
        self._server_id = server_id
        self._format: Format = fmt
        self._per_request = per_request
        self.refused = refused
        self.streamed = streamed

    def __iter__(self) -> Iterator[PlannedRequest]:
        index = 0
        while batch := tuple(islice(self._parts, self._per_request)):
            yield PlannedRequest(index, self._server_id, self._format, batch)
            index += 1


def plan_lazily(
    messages: Sendable | Sequence[Sendable],
    *,
    server_id: int,
    fmt: Format = "json",
    messages_per_request: int = MAX_MESSAGES_PER_REQUEST,
    recipients_per_message: int = MAX_RECIPIENTS_PER_MESSAGE,
) -> Plan:
    """Check the messages (all but the later rows of streamed merges) and plan their requests lazily."""
    if messages_per_request < 1:
        raise ConfigurationError(f"messages_per_request must be at least 1, got {messages_per_request}")
    if recipients_per_message < 1:
        raise ConfigurationError(f"recipients_per_message must be at least 1, got {recipients_per_message}")
    if fmt not in ("json", "xml"):
        raise ConfigurationError(f"format must be 'json' or 'xml', got {fmt!r}")
    items = [messages] if isinstance(messages, BasicMessage | BulkMessage | Message) else messages
    streamed = any(isinstance(item, BulkMessage) and item.streamed for item in items)
    refused: list[Refused] = []
    parts = _parts(messages, recipients_per_message, fmt, refused)
    return Plan(
        parts,
        server_id=server_id,
        fmt=fmt,
        per_request=messages_per_request,
        refused=refused,
        streamed=streamed,
    )


def plan(
    messages: Sendable | Sequence[Sendable],
    *,
    server_id: int,
    fmt: Format = "json",
    messages_per_request: int = MAX_MESSAGES_PER_REQUEST,
    recipients_per_message: int = MAX_RECIPIENTS_PER_MESSAGE,
) -> list[PlannedRequest]:
    """Check every message and pack them into requests within the limits."""
    return list(
        plan_lazily(
            messages,
            server_id=server_id,
            fmt=fmt,
            messages_per_request=messages_per_request,
            recipients_per_message=recipients_per_message,
        )
    )
