"""``EMAIL_BACKEND = "socketlabs_client.django.EmailBackend"``: Django's mail through the Injection API.

Each ``EmailMessage`` becomes a ``BasicMessage`` (or, with ``merge_data``, a
``BulkMessage``: one message per To recipient), and the whole batch goes
out in one ``client.send`` (requests of up to ten messages). What SocketLabs
cannot carry raises ``UnsupportedFeatureError`` before anything is sent;
nothing is dropped silently. After sending, each message has
``socketlabs_status`` (also as ``anymail_status``, the shape django-anymail
users already read): a status per recipient from the client's report.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from email.message import Message as MIMEMessage
from email.utils import getaddresses
from typing import Any

from attrs import define, field
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from .._client import SocketLabs
from .._errors import MessageValidationError, SocketLabsError
from .._injection import (
    AddressLike,
    BasicMessage,
    BulkMessage,
    BulkRecipient,
    Outcome,
    RecipientResult,
    RequestResult,
    SendReport,
    attachment,
)
from ._settings import client_options, setting

__all__ = [
    "EmailBackend",
    "RecipientStatus",
    "RecipientsRefusedError",
    "SocketLabsStatus",
    "UnsupportedFeatureError",
    "to_socketlabs",
]

ESP_NAME = "SocketLabs"

_AMP_TYPE = "text/x-amp-html"
_UNSUPPORTED = ("send_at", "track_clicks", "track_opens", "envelope_sender", "merge_metadata", "esp_extra")
"""anymail attributes SocketLabs has no member for: set, they raise rather than vanish."""

_STATUS = {Outcome.ACCEPTED: "queued", Outcome.REJECTED: "rejected", Outcome.IN_DOUBT: "unknown"}
"""Outcomes in anymail's recipient status words (``queued``: accepted, not yet delivered)."""


class UnsupportedFeatureError(SocketLabsError, ValueError):
    """The message uses something the Injection API cannot carry; nothing was sent."""


class RecipientsRefusedError(SocketLabsError):
    """SocketLabs accepted none of a message's recipients (``status`` has each one's code)."""

    def __init__(self, message: str, status: SocketLabsStatus) -> None:
        super().__init__(message)
        self.status = status


@define
class RecipientStatus:
    """One recipient's fate: anymail's ``AnymailRecipientStatus`` shape plus SocketLabs' code."""

    message_id: str | None
    status: str
    """``queued`` (accepted), ``rejected``, ``invalid`` (the address) or ``unknown`` (in doubt)."""
    code: str | None = None
    """The Injection API's code for a refusal (``InvalidAddress``...)."""


@define
class SocketLabsStatus:
    """What happened to one ``EmailMessage``: anymail's ``AnymailStatus`` shape.

    ``status`` is the set of the recipients' statuses; ``recipients`` maps each
    address (as given) to its ``RecipientStatus``; ``esp_response`` holds the
    client's ``RequestResult`` for each request the message went in, and
    ``transaction_receipts`` their receipts (what SocketLabs support asks for).
    """

    message_id: str | None = None
    status: set[str] = field(factory=set)
    recipients: dict[str, RecipientStatus] = field(factory=dict)
    esp_response: list[RequestResult] = field(factory=list)

    @property
    def transaction_receipts(self) -> list[str]:
        """The requests' ``TransactionReceipt``s, in order, without repeats."""
        seen: list[str] = []
        for result in self.esp_response:
            receipt = result.transaction_receipt
            if receipt and receipt not in seen:
                seen.append(receipt)
        return seen

    @property
    def accepted(self) -> bool:
        """At least one recipient was accepted (the message counts as sent)."""
        return "queued" in self.status


# ---------------------------------------------------------------- EmailMessage -> builder


def _addresses(values: Iterable[str], what: str) -> list[tuple[str, str | None]]:
    """Django's address strings (``"Ann <ann@example.com>"``) as ``(address, name)``."""
    found: list[tuple[str, str | None]] = []
    for value in values:
        if not isinstance(value, str):
            raise UnsupportedFeatureError(f"{what}: expected address strings, got {type(value).__name__}")
        parsed = getaddresses([value])
        if len(parsed) != 1 or not parsed[0][1]:
            raise MessageValidationError(
                f"{value!r} is not one address", field=what, code="InvalidAddressValue"
            )
        name, address = parsed[0]
        found.append((address, name or None))
    return found


def _one(values: list[tuple[str, str | None]], what: str) -> AddressLike | None:
    if len(values) > 1:
        raise UnsupportedFeatureError(f"SocketLabs carries one {what} address, got {len(values)}")
    return values[0] if values else None


def _bodies(message: EmailMessage) -> dict[str, str]:
    """TextBody/HtmlBody/AmpBody from the body and the alternatives; anything else is refused."""
    bodies: dict[str, str] = {}
    subtype = getattr(message, "content_subtype", "plain")
    if subtype not in ("plain", "html"):
        raise UnsupportedFeatureError(f"a text/{subtype} body: SocketLabs carries text/plain and text/html")
    if message.body:
        bodies["text" if subtype == "plain" else "html"] = str(message.body)
    for content, mimetype in getattr(message, "alternatives", None) or ():
        kind = {"text/plain": "text", "text/html": "html", _AMP_TYPE: "amp"}.get(str(mimetype).lower())
        if kind is None:
            raise UnsupportedFeatureError(
                f"an alternative of type {mimetype!r}: SocketLabs carries text/plain, text/html, {_AMP_TYPE}"
            )
        if kind in bodies:
            raise UnsupportedFeatureError(f"two {mimetype} parts: SocketLabs carries one of each")
        bodies[kind] = content.decode() if isinstance(content, bytes) else str(content)
    return bodies


def _content_id(value: str | None) -> str | None:
    return value.strip().removeprefix("<").removesuffix(">") if value else None


def _attachments(message: EmailMessage, encoding: str) -> list[Any]:
    """Each attachment: ``(filename, content, mimetype)`` or a MIME part (inline with a Content-ID)."""
    found = []
    for item in message.attachments:
        if isinstance(item, MIMEMessage):  # MIMEBase, and the MIMEPart newer Django takes
            payload = item.get_payload(decode=True)
            if not isinstance(payload, bytes):
                raise UnsupportedFeatureError(
                    "a multipart attachment: attach its parts, or the message as bytes"
                )
            content_id = _content_id(item["Content-ID"])
            name = item.get_filename() or (f"{content_id}" if content_id else None)
            if not name:
                raise UnsupportedFeatureError("an attachment without a filename or Content-ID")
            found.append(
                attachment(payload, name=name, content_type=item.get_content_type(), content_id=content_id)
            )
            continue
        filename, content, mimetype = item
        if isinstance(content, EmailMessage):  # message/rfc822, as Django attaches a forwarded message
            content = content.message().as_bytes()
        data = content.encode(encoding) if isinstance(content, str) else bytes(content)
        name = filename or "attachment"
        kind = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
        found.append(attachment(data, name=name, content_type=kind))
    return found


def _headers(message: EmailMessage) -> tuple[dict[str, str], AddressLike | None, AddressLike | None]:
    """Custom headers, and the From and Reply-To that ``extra_headers`` override (as Django does)."""
    headers: dict[str, str] = {}
    from_override = reply_override = None
    for name, value in (message.extra_headers or {}).items():
        folded = name.casefold()
        if folded == "from":
            from_override = _one(_addresses([str(value)], "From"), "From")
        elif folded == "reply-to":
            reply_override = _one(
                _addresses([v.strip() for v in str(value).split(",")], "ReplyTo"), "Reply-To"
            )
        elif folded in ("to", "cc", "bcc"):
            raise UnsupportedFeatureError(
                f"a {name} header: SocketLabs writes it from the message's recipients"
            )
        else:
            headers[str(name)] = str(value)
    return headers, from_override, reply_override


def to_socketlabs(message: EmailMessage) -> BasicMessage | BulkMessage:
    """The client's builder for one Django message (checked when sent)."""
    for name in _UNSUPPORTED:
        if getattr(message, name, None) not in (None, {}, []):
            raise UnsupportedFeatureError(f"{name}: SocketLabs has no member for it")
    encoding = str(message.encoding or settings.DEFAULT_CHARSET)
    headers, from_override, reply_override = _headers(message)
    reply_to = reply_override or _one(_addresses(message.reply_to, "ReplyTo"), "Reply-To")
    sender = from_override or _one(_addresses([message.from_email], "From"), "From")
    template_id = getattr(message, "template_id", None)
    metadata = getattr(message, "metadata", None) or {}
    parts: dict[str, Any] = {
        "subject": str(message.subject),
        "from_": sender,
        "reply_to": reply_to,
        "charset": encoding,
        "headers": headers,
        "attachments": _attachments(message, encoding),
        "metadata": {str(k): str(v) for k, v in metadata.items()},
        "tags": [str(t) for t in getattr(message, "tags", None) or ()],
        "merge": {str(k): str(v) for k, v in (getattr(message, "merge_global_data", None) or {}).items()},
        "api_template": template_id,
        "message_id": getattr(message, "message_id", None),
        "mailing_id": getattr(message, "mailing_id", None),
        **_bodies(message),
    }
    to = _addresses(message.to, "To")
    merge_data: Mapping[str, Mapping[str, Any]] | None = getattr(message, "merge_data", None)
    if merge_data is None:
        return BasicMessage(
            to=to, cc=_addresses(message.cc, "Cc"), bcc=_addresses(message.bcc, "Bcc"), **parts
        )
    if message.cc or message.bcc:
        raise UnsupportedFeatureError("cc/bcc with merge_data: a merge sends one message per To recipient")
    recipients = [
        BulkRecipient(address, name, {str(k): str(v) for k, v in (merge_data.get(address) or {}).items()})
        for address, name in to
    ]
    return BulkMessage(recipients=recipients, **parts)


# ---------------------------------------------------------------- the backend


def _recipient_status(result: RecipientResult, message_id: str | None) -> RecipientStatus:
    code = str(result.code) if result.code is not None else None
    word = _STATUS.get(result.outcome, "unknown")
    if word == "rejected" and code == "InvalidAddress":
        word = "invalid"
    return RecipientStatus(message_id, word, code)


def _statuses(
    report: SendReport, sent: Sequence[EmailMessage], message_ids: Sequence[str | None]
) -> list[SocketLabsStatus]:
    statuses = [SocketLabsStatus(message_id=m) for m in message_ids]
    for result in report.recipients:
        status = statuses[result.message]
        recipient = _recipient_status(result, status.message_id)
        status.recipients[result.address] = recipient
        status.status.add(recipient.status)
        request = report.requests[result.request]
        if request not in status.esp_response:
            status.esp_response.append(request)
    for message, status in zip(sent, statuses, strict=True):
        message.socketlabs_status = status  # type: ignore[attr-defined]
        message.anymail_status = status  # type: ignore[attr-defined]
    return statuses


class EmailBackend(BaseEmailBackend):
    """Django's email backend for SocketLabs (settings: ``SOCKETLABS = {"API_KEY": ..., "SERVER_ID": ...}``).

    One pooled ``SocketLabs`` client per open connection: ``with
    get_connection() as connection:`` sends every message on it over the
    same pool; a bare ``send_mail`` opens and closes one. Keyword arguments
    (``api_key=``, ``server_id=``, ``inject_url=``...) override the settings.
    ``send_messages`` returns how many messages SocketLabs accepted (at least
    one recipient each) and raises, unless ``fail_silently``, on anything that
    stopped a message: a check, a refusal of every recipient, an API error.
    """

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        # send_mail(auth_user=, auth_password=) arrive as username/password: the password is the API key
        kwargs.pop("username", None)
        password = kwargs.pop("password", None)
        if password is not None:
            kwargs.setdefault("api_key", password)
        self._options = {k: kwargs.pop(k) for k in list(kwargs) if k in _CLIENT_KEYWORDS}
        self.format = kwargs.pop("format", None) or setting("FORMAT", "json")
        if kwargs:
            raise TypeError(f"unknown EmailBackend arguments: {', '.join(sorted(kwargs))}")
        self.client: SocketLabs | None = None

    def open(self) -> bool:
        """Create the client (and its pool) unless one is open; ``True`` when this call made it."""
        if self.client is not None:
            return False
        try:
            self.client = SocketLabs(**client_options(self._options))
        except SocketLabsError:
            if not self.fail_silently:
                raise
            return False
        return True

    def close(self) -> None:
        """Close the client's pools."""
        client, self.client = self.client, None
        if client is not None:
            client.close()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Send a batch; return how many messages SocketLabs accepted."""
        if not email_messages:
            return 0
        created = self.open()
        try:
            return self._send(list(email_messages))
        finally:
            if created:
                self.close()

    def _build(self, messages: list[EmailMessage]) -> list[tuple[EmailMessage, BasicMessage | BulkMessage]]:
        built: list[tuple[EmailMessage, BasicMessage | BulkMessage]] = []
        for message in messages:
            if not message.recipients():
                continue  # Django's own backends skip these too
            try:
                built.append((message, to_socketlabs(message)))
            except SocketLabsError:
                if not self.fail_silently:
                    raise
        return built

    def _report(
        self, client: SocketLabs, built: list[tuple[EmailMessage, BasicMessage | BulkMessage]]
    ) -> SendReport | None:
        """One ``client.send`` for the batch; ``fail_silently`` leaves out a message that fails its checks."""
        while built:
            try:
                return client.send([b for _, b in built], format=self.format)
            except MessageValidationError as exc:
                if not (self.fail_silently and exc.message_index is not None):
                    raise
                del built[exc.message_index]  # drop the one that cannot be sent; send the rest
            except SocketLabsError:
                if not self.fail_silently:
                    raise
                return None
        return None

    def _send(self, messages: list[EmailMessage]) -> int:
        if self.client is None:  # open() failed silently
            return 0
        built = self._build(messages)
        report = self._report(self.client, built)
        if report is None:
            return 0
        statuses = _statuses(report, [m for m, _ in built], [b.message_id for _, b in built])
        if not self.fail_silently:
            for status in statuses:
                if not status.accepted and "unknown" not in status.status:
                    codes = ", ".join(f"{a}: {r.code or r.status}" for a, r in status.recipients.items())
                    raise RecipientsRefusedError(f"SocketLabs accepted no recipient ({codes})", status)
        return sum(status.accepted for status in statuses)


_CLIENT_KEYWORDS = frozenset(
    {
        "api_key",
        "server_id",
        "base_url",
        "inject_url",
        "management_url",
        "auth",
        "timeout",
        "max_connections",
        "max_retries",
        "max_wait",
        "rate_limiter",
    }
)
