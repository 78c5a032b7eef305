"""Message builders: addresses, attachments, ``BasicMessage`` and ``BulkMessage``."""

from __future__ import annotations

import base64
import mimetypes
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from email.utils import parseaddr
from pathlib import Path
from typing import IO, Any, Self

from attrs import frozen
from socketlabs_api.models import (
    Address,
    Attachment,
    CustomHeader,
    MergeData,
    MergeField,
    Message,
    MetadataItem,
)

from .._errors import (
    ConfigurationError,
    MessageValidationError,
)
from ._checks import MAX_RECIPIENTS_PER_MESSAGE, validate_message
from ._wire import Format

_ROW_FIELDS = frozenset({"deliveryaddress", "recipientname"})
AddressLike = str | tuple[str, str | None] | Address
"""``"a@x.com"``, ``"Ann <a@x.com>"``, ``("a@x.com", "Ann")`` or an ``Address``."""
Source = bytes | bytearray | str | os.PathLike[str] | IO[bytes]
"""Attachment content: the bytes, a file path, or a binary stream."""


# ---------------------------------------------------------------- addresses


def to_address(value: AddressLike, *, field: str) -> Address:
    """An ``Address`` from any accepted form; the syntax is checked later, with the message."""
    if isinstance(value, Address):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        email, name = value
        if isinstance(email, str) and (name is None or isinstance(name, str)):
            return Address(email_address=email.strip(), friendly_name=name if name else None)
    elif isinstance(value, str):
        if "<" in value and value.rstrip().endswith(">"):
            name, email = parseaddr(value)
            return Address(email_address=email, friendly_name=name or None)
        return Address(email_address=value.strip())
    raise MessageValidationError(
        f"expected an address string, (address, name) or Address, got {type(value).__name__}",
        field=field,
        code="InvalidAddressValue",
    )


# ---------------------------------------------------------------- attachments


def _read_source(source: Source, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        if not name:
            raise MessageValidationError(
                "a name is required for bytes", field="Attachments.Name", code="InvalidAttachment"
            )
        return bytes(source), name
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            return path.read_bytes(), name or path.name
        except OSError as exc:
            raise MessageValidationError(
                f"cannot read {path}: {exc.strerror}", field="Attachments.Content", code="InvalidAttachment"
            ) from None
    data = source.read()
    stream_name = getattr(source, "name", None)
    resolved = name or (Path(stream_name).name if isinstance(stream_name, str) else None)
    if not resolved:
        raise MessageValidationError(
            "a name is required for a stream without one", field="Attachments.Name", code="InvalidAttachment"
        )
    return bytes(data), resolved


def attachment(
    source: Source,
    *,
    name: str | None = None,
    content_type: str | None = None,
    content_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Attachment:
    """An attachment from bytes, a path or a binary stream (base64-encoded here).

    The content type is guessed from the name when not given; ``content_id``
    makes it an inline part that HTML refers to as ``cid:<content_id>``.
    """
    data, resolved = _read_source(source, name)
    kind = content_type or mimetypes.guess_type(resolved)[0] or "application/octet-stream"
    return Attachment(
        name=resolved,
        content=base64.b64encode(data).decode("ascii"),
        content_type=kind,
        content_id=content_id if content_id else None,
        custom_headers=[CustomHeader(name=k, value=v) for k, v in headers.items()] if headers else None,
    )


def inline_image(
    source: Source, content_id: str, *, name: str | None = None, content_type: str | None = None
) -> Attachment:
    """An inline image for ``<img src="cid:CONTENT_ID">`` in the HTML body."""
    return attachment(source, name=name, content_type=content_type, content_id=content_id)


# ---------------------------------------------------------------- builders


class _Builder:
    """What basic and bulk messages share; every adder returns ``self`` to chain."""

    def __init__(
        self,
        *,
        subject: str | None = None,
        from_: AddressLike | None = None,
        reply_to: AddressLike | None = None,
        text: str | None = None,
        html: str | None = None,
        amp: str | None = None,
        api_template: int | str | None = None,
        message_id: str | None = None,
        mailing_id: str | None = None,
        charset: str | None = None,
        headers: Mapping[str, str] | None = None,
        attachments: Iterable[Attachment] = (),
        metadata: Mapping[str, str] | None = None,
        tags: Iterable[str] = (),
        merge: Mapping[str, str] | None = None,
    ) -> None:
        self.subject = subject
        self.from_ = to_address(from_, field="From") if from_ is not None else None
        self.reply_to = to_address(reply_to, field="ReplyTo") if reply_to is not None else None
        self.text = text
        self.html = html
        self.amp = amp
        self.api_template = api_template
        self.message_id = message_id
        self.mailing_id = mailing_id
        self.charset = charset
        self.headers: list[tuple[str, str]] = list((headers or {}).items())
        self.attachments: list[Attachment] = list(attachments)
        self.metadata: list[tuple[str, str]] = list((metadata or {}).items())
        self.tags: list[str] = list(tags)
        self.merge: list[tuple[str, str]] = list((merge or {}).items())

    def add_header(self, name: str, value: str) -> Self:
        """A custom MIME header (``X-Campaign: spring``)."""
        self.headers.append((name, value))
        return self

    def add_metadata(self, key: str, value: str) -> Self:
        """A metadata pair, echoed back in webhook events."""
        self.metadata.append((key, value))
        return self

    def add_tag(self, tag: str) -> Self:
        """A tag, echoed back in webhook events."""
        self.tags.append(tag)
        return self

    def attach(self, source: Attachment | Source, **options: Any) -> Self:
        """An attachment: an ``Attachment`` (see ``attachment()``) or its source and options."""
        self.attachments.append(source if isinstance(source, Attachment) else attachment(source, **options))
        return self

    def add_inline_image(self, source: Source, content_id: str, **options: Any) -> Self:
        """An inline image referenced from the HTML as ``cid:CONTENT_ID``."""
        self.attachments.append(inline_image(source, content_id, **options))
        return self

    def add_global_merge(self, field: str, value: str) -> Self:
        """A merge field that applies to every recipient (``%%FIELD%%``)."""
        self.merge.append((field, value))
        return self

    def _message(self, to: list[Address], merge_data: MergeData | None) -> Message:
        template = self.api_template
        return Message(
            to=to,
            from_=self.from_ if self.from_ is not None else Address(email_address=""),
            subject=self.subject if self.subject is not None else "",
            reply_to=self.reply_to,
            text_body=self.text,
            html_body=self.html,
            amp_body=self.amp,
            api_template=None if template is None else str(template),
            message_id=self.message_id,
            mailing_id=self.mailing_id,
            char_set=self.charset,
            custom_headers=[CustomHeader(name=n, value=v) for n, v in self.headers] or None,
            attachments=list(self.attachments) or None,
            merge_data=merge_data,
            metadata=[MetadataItem(key=k, value=v) for k, v in self.metadata] or None,
            tags=list(self.tags) or None,
        )

    def _global_merge(self) -> list[MergeField]:
        return [MergeField(field=f, value=v) for f, v in self.merge]


class BasicMessage(_Builder):
    """One message to up to 50 To/Cc/Bcc recipients, who all see the same content.

    Keyword arguments set every part at once; ``add_to``/``add_cc``/... add
    one at a time. ``build()`` checks the message and returns the generated
    ``Message`` model.
    """

    def __init__(
        self,
        *,
        to: Iterable[AddressLike] = (),
        cc: Iterable[AddressLike] = (),
        bcc: Iterable[AddressLike] = (),
        **parts: Any,
    ) -> None:
        super().__init__(**parts)
        self.to = [to_address(a, field=f"To[{i}]") for i, a in enumerate(to)]
        self.cc = [to_address(a, field=f"Cc[{i}]") for i, a in enumerate(cc)]
        self.bcc = [to_address(a, field=f"Bcc[{i}]") for i, a in enumerate(bcc)]

    def add_to(self, address: AddressLike, name: str | None = None) -> Self:
        """A To recipient (with an optional friendly name)."""
        self.to.append(
            to_address((address, name) if isinstance(address, str) and name else address, field="To")
        )
        return self

    def add_cc(self, address: AddressLike, name: str | None = None) -> Self:
        """A Cc recipient."""
        self.cc.append(
            to_address((address, name) if isinstance(address, str) and name else address, field="Cc")
        )
        return self

    def add_bcc(self, address: AddressLike, name: str | None = None) -> Self:
        """A Bcc recipient."""
        self.bcc.append(
            to_address((address, name) if isinstance(address, str) and name else address, field="Bcc")
        )
        return self

    def build(self, *, max_recipients: int = MAX_RECIPIENTS_PER_MESSAGE, format: Format = "json") -> Message:
        """The checked ``Message`` model (``format``: the body it goes in, for the character checks)."""
        message = self._unchecked()
        validate_message(message, max_recipients=max_recipients, format=format)
        return message

    def _unchecked(self) -> Message:
        """The ``Message`` model before its checks (the planner checks it and keeps its ``to_dict()``)."""
        merge = MergeData(global_=self._global_merge()) if self.merge else None
        message = self._message(list(self.to), merge)
        message.cc = list(self.cc) or None
        message.bcc = list(self.bcc) or None
        return message


@frozen
class BulkRecipient:
    """One recipient of a merge: the address, an optional name, and its own merge fields."""

    address: str
    name: str | None = None
    merge: Mapping[str, str] = {}


class BulkMessage(_Builder):
    """One message merged per recipient (``%%Field%%`` placeholders), any number of recipients.

    Each recipient becomes a ``MergeData.PerMessage`` row with its
    ``DeliveryAddress`` (and ``RecipientName``); ``To`` is the template
    ``%%DeliveryAddress%%``. ``build()`` splits the rows into as many messages
    as the per-message limit needs.
    """

    def __init__(self, *, recipients: Iterable[BulkRecipient | AddressLike] = (), **parts: Any) -> None:
        super().__init__(**parts)
        self.recipients: list[BulkRecipient] = []
        self._stream: Iterator[BulkRecipient | AddressLike] | None = None
        if isinstance(recipients, Iterator):  # a generator, a csv.reader, a map: read while sending
            self._stream = recipients
        else:
            for recipient in recipients:
                self.add_recipient(recipient)

    @property
    def streamed(self) -> bool:
        """Whether recipients come from an iterator, read once as a send goes (memory bounded by a chunk).

        A send cannot look ahead in an iterator: the rows after the first chunk
        are checked as they are read, and a row that fails is reported as
        rejected (never sent) instead of stopping the send.
        """
        return self._stream is not None

    def add_recipient(
        self,
        address: BulkRecipient | AddressLike,
        name: str | None = None,
        merge: Mapping[str, str] | None = None,
    ) -> Self:
        """A recipient with its own merge fields (``merge={"Code": "123"}``)."""
        self.recipients.append(as_recipient(address, len(self.recipients), name, merge))
        return self

    def _rows(self) -> Iterator[BulkRecipient | AddressLike]:
        """The listed recipients, then the iterator's items (once: a second send finds none)."""
        yield from self.recipients
        if self._stream is not None:
            stream, self._stream = self._stream, iter(())
            yield from stream

    def build(
        self, *, max_recipients: int = MAX_RECIPIENTS_PER_MESSAGE, format: Format = "json"
    ) -> list[Message]:
        """The checked ``Message`` models, ``max_recipients`` rows each."""
        self._check_buildable(max_recipients)
        rows = [as_recipient(item, i) for i, item in enumerate(self._rows())]
        if not rows:
            raise no_recipients()
        messages = []
        for start in range(0, len(rows), max_recipients):
            message = self._chunk(rows[start : start + max_recipients])
            validate_message(message, max_recipients=max_recipients, format=format)
            messages.append(message)
        return messages

    def _check_buildable(self, max_recipients: int) -> None:
        if max_recipients < 1:
            raise ConfigurationError(f"max_recipients must be at least 1, got {max_recipients}")
        if not self.recipients and not self.streamed:
            raise no_recipients()

    def _chunk(self, chunk: Sequence[BulkRecipient]) -> Message:
        """The (unchecked) ``Message`` model of one chunk of rows."""
        named = any(r.name for r in chunk)
        merge = MergeData(
            per_message=[_merge_row(r, named=named) for r in chunk], global_=self._global_merge() or None
        )
        # Without names the To has none: an unmatched %%RecipientName%% would be sent as written.
        to = [_template_to(named)]
        return self._message(to, merge)


def as_recipient(
    value: BulkRecipient | AddressLike,
    position: int,
    name: str | None = None,
    merge: Mapping[str, str] | None = None,
) -> BulkRecipient:
    """One merge row from any accepted form (``position`` names it in an error)."""
    if isinstance(value, BulkRecipient):
        return value
    parsed = to_address(value, field=f"MergeData.PerMessage[{position}]")
    friendly = name or (parsed.friendly_name if isinstance(parsed.friendly_name, str) else None)
    return BulkRecipient(parsed.email_address, friendly, dict(merge or {}))


def no_recipients() -> MessageValidationError:
    """The error of a merge with no recipient (or whose iterator an earlier send used up)."""
    return MessageValidationError(
        "a bulk message needs at least one recipient (an iterator of recipients is read by one send only)",
        field="MergeData.PerMessage",
        code="RecipientValidationMissingTo",
    )


def _template_to(named: bool) -> Address:
    """The merge message's ``To``: the delivery-address placeholder, named only when rows have names."""
    return Address(email_address="%%DeliveryAddress%%", friendly_name="%%RecipientName%%" if named else None)


def _merge_row(recipient: BulkRecipient, *, named: bool) -> list[MergeField]:
    """One ``PerMessage`` row; ``RecipientName`` is ``""`` for the unnamed when others have names."""
    row = [MergeField(field="DeliveryAddress", value=recipient.address)]
    if named:
        row.append(MergeField(field="RecipientName", value=recipient.name or ""))
    for field, value in recipient.merge.items():
        if field.casefold() not in _ROW_FIELDS:
            row.append(MergeField(field=field, value=value))
    return row
