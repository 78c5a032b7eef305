"""``EMAIL_BACKEND = "socketlabs_client.django.EmailBackend"``: an anymail ESP backend over the Injection API.

Built on anymail's ``AnymailBaseBackend`` and ``BasePayload`` the way anymail's
non-HTTP-library backends are (Amazon SES): anymail walks each
``EmailMessage`` and calls the payload's ``set_*`` methods; the payload
collects them into the client's builders; the backend sends through a
pooled ``SocketLabs`` client and turns its per-recipient report into
``anymail_status``. So every anymail behaviour comes along: ``SEND_DEFAULTS``,
``pre_send``/``post_send`` signals, ``IGNORE_UNSUPPORTED_FEATURES``,
``IGNORE_RECIPIENT_STATUS``, ``AnymailRecipientsRefused``.

SocketLabs returns no message id, but it echoes the ``MessageId`` a message
was sent with in every webhook event; so the backend gives each message one
(``uuid4`` hex, or yours via ``esp_extra={"MessageId": ...}``) and each
recipient of a merge its own, through a per-recipient merge field. That id
is ``anymail_status.message_id`` and the ``message_id`` of the tracking
events that come back.

A request that may have reached SocketLabs without an answer is never sent
again: its recipients get anymail's ``unknown`` status, and nothing raises.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from anymail.backends.base import AnymailBaseBackend, BasePayload
from anymail.exceptions import (
    AnymailAPIError,
    AnymailConfigurationError,
    AnymailError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailSerializationError,
)
from anymail.message import AnymailRecipientStatus, AnymailStatus
from anymail.utils import Attachment, EmailAddress, force_non_lazy, last
from django.conf import settings
from django.core.mail.message import EmailMessage
from socketlabs_api.models import Message

from .._client import SocketLabs
from .._errors import ConfigurationError, MessageValidationError, SocketLabsError
from .._injection import (
    BasicMessage,
    BulkMessage,
    BulkRecipient,
    Format,
    Outcome,
    SendReport,
    attachment,
    explain,
    failure_outcome,
)
from ._settings import ESP_NAME, client_options, esp_setting

__all__ = ["EmailBackend", "SocketLabsPayload"]

_AMP_TYPE = "text/x-amp-html"
MESSAGE_ID_FIELD = "AnymailMessageId"
"""The per-recipient merge field that carries each merge recipient's own ``MessageId``."""

_MESSAGE_MEMBERS = {
    name.casefold(): name
    for name in (
        "To",
        "From",
        "Subject",
        "Cc",
        "Bcc",
        "ReplyTo",
        "TextBody",
        "HtmlBody",
        "AmpBody",
        "ApiTemplate",
        "MessageId",
        "MailingId",
        "CharSet",
        "CustomHeaders",
        "Attachments",
        "MergeData",
        "Metadata",
        "Tags",
    )
}
"""The Injection API's message members as the models spell them (the API reads names in any case)."""

_ADDRESS_FIELDS = ("to", "cc", "bcc", "from", "replyto", "mergedata.permessage")
_REJECTED_CODES = frozenset({"NoValidRecipients", "Warning"})
"""Codes that refuse recipients (``rejected``); any other refusal is the message's own (``failed``)."""


def _merged(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` deep-merged into ``base``, matching member names in any case as the API does."""
    result = dict(base)
    for key, value in extra.items():
        name = str(key)
        existing = next((k for k in result if k.casefold() == name.casefold()), None)
        target = existing or _MESSAGE_MEMBERS.get(name.casefold(), name)
        if isinstance(value, Mapping) and isinstance(result.get(target), dict):
            result[target] = _merged(result[target], value)
        else:
            result[target] = value
    return result


class SocketLabsPayload(BasePayload):  # type: ignore[misc]  # anymail ships no type information
    """One ``EmailMessage`` as Injection API messages (anymail calls the ``set_*`` methods)."""

    esp_message_attrs: ClassVar[tuple[tuple[str, Any, Any], ...]] = (
        # The earlier backend's expando attributes, kept: esp_extra {"MessageId"/"MailingId"} does the same.
        ("message_id", last, force_non_lazy),
        ("mailing_id", last, force_non_lazy),
    )

    # ---------------------------------------------------------------- collected by anymail

    def init_payload(self) -> None:
        """Empty parts; anymail fills them through the setters below."""
        self.from_: tuple[str, str | None] | None = None
        self.recipients: dict[str, list[tuple[str, str | None]]] = {"to": [], "cc": [], "bcc": []}
        self.reply_to: tuple[str, str | None] | None = None
        self.subject: str | None = None
        self.bodies: dict[str, str] = {}
        self.headers: dict[str, str] = {}
        self.attachments: list[Any] = []
        self.metadata: dict[str, str] = {}
        self.tags: list[str] = []
        self.template_id: str | None = None
        self.merge_data: dict[str, Any] | None = None
        self.merge_global_data: dict[str, str] = {}
        self.merge_metadata: dict[str, Any] | None = None
        self.merge_headers: dict[str, Any] | None = None
        self.esp_extra: dict[str, Any] = {}
        self.message_id: str | None = None
        self.mailing_id: str | None = None
        self.charset = str(self.message.encoding or settings.DEFAULT_CHARSET)
        self.recipient_ids: dict[str, str] = {}
        """Each recipient's ``MessageId``, filled by ``messages()``."""

    def _address(self, email: EmailAddress) -> tuple[str, str | None]:
        domain = str(email.domain)
        if not domain.isascii():
            domain = self.backend.idna_encode(domain)
        return f"{email.username}@{domain}", str(email.display_name) or None

    def set_from_email(self, email: EmailAddress) -> None:
        """The From address (anymail refuses more than one first)."""
        self.from_ = self._address(email)

    def add_recipient(self, recipient_type: str, email: EmailAddress) -> None:
        """A To, Cc or Bcc recipient."""
        self.recipients[recipient_type].append(self._address(email))

    def set_subject(self, subject: str) -> None:
        """The subject."""
        self.subject = subject

    def set_reply_to(self, emails: Sequence[EmailAddress]) -> None:
        """SocketLabs carries one Reply-To address."""
        if len(emails) > 1:
            self.unsupported_feature("multiple reply_to addresses")
        if emails:
            self.reply_to = self._address(emails[0])

    def set_extra_headers(self, headers: Mapping[str, str]) -> None:
        """Custom headers (anymail has taken From, Reply-To and To out already)."""
        for name, value in headers.items():
            folded = str(name).casefold()
            if folded in ("cc", "bcc"):
                self.unsupported_feature(f"a {name} header (SocketLabs writes it from the recipients)")
                continue
            self.headers[str(name)] = str(value)

    def set_text_body(self, body: str) -> None:
        """The text/plain body (an empty one is left out, so a template's body is used)."""
        if body:
            self.bodies["text"] = body

    def set_html_body(self, body: str) -> None:
        """The text/html body (an empty one is left out)."""
        if body:
            self.bodies["html"] = body

    def add_alternative(self, content: str, mimetype: str) -> None:
        """An AMP part is the ``AmpBody``; anything else is refused as anymail refuses it."""
        if str(mimetype).lower() == _AMP_TYPE and "amp" not in self.bodies:
            self.bodies["amp"] = content if isinstance(content, str) else bytes(content).decode()
        else:
            super().add_alternative(content, mimetype)

    def add_attachment(self, item: Attachment) -> None:
        """An attachment; an inline one (with a Content-ID) keeps it as ``ContentId``."""
        content = item.content
        data = content.encode(item.charset or self.charset) if isinstance(content, str) else bytes(content)
        content_id = item.cid if item.inline and item.cid else None
        name = item.name or content_id or "attachment"
        self.attachments.append(
            attachment(data, name=str(name), content_type=str(item.mimetype), content_id=content_id)
        )

    def set_metadata(self, metadata: Mapping[str, Any]) -> None:
        """``Metadata`` pairs, echoed in every webhook event."""
        self.metadata = self._strings(metadata)

    def set_tags(self, tags: Sequence[str]) -> None:
        """``Tags``, echoed in every webhook event."""
        self.tags = [str(tag) for tag in tags]

    def set_template_id(self, template_id: Any) -> None:
        """``ApiTemplate``: a stored template's number."""
        self.template_id = str(template_id)

    def set_merge_data(self, merge_data: Mapping[str, Mapping[str, Any]]) -> None:
        """Per-recipient ``%%Field%%`` values: one ``PerMessage`` row each."""
        self.merge_data = dict(merge_data)

    def set_merge_global_data(self, merge_global_data: Mapping[str, Any]) -> None:
        """``MergeData.Global``."""
        self.merge_global_data = self._strings(merge_global_data)

    def set_merge_metadata(self, merge_metadata: Mapping[str, Mapping[str, Any]]) -> None:
        """Per-recipient metadata: each such recipient gets a message of its own."""
        self.merge_metadata = dict(merge_metadata)

    def set_merge_headers(self, merge_headers: Mapping[str, Mapping[str, Any]]) -> None:
        """Per-recipient headers: each such recipient gets a message of its own."""
        self.merge_headers = dict(merge_headers)

    def set_esp_extra(self, extra: Mapping[str, Any]) -> None:
        """Members merged into each Injection API message (``{"MailingId": ...}``, ``{"CharSet": ...}``)."""
        self.esp_extra = dict(extra)

    def set_message_id(self, message_id: str) -> None:
        """``MessageId`` (the earlier backend's ``message.message_id``)."""
        self.message_id = message_id

    def set_mailing_id(self, mailing_id: str) -> None:
        """``MailingId`` (the earlier backend's ``message.mailing_id``)."""
        self.mailing_id = mailing_id

    def _strings(self, values: Mapping[str, Any]) -> dict[str, str]:
        """SocketLabs carries text only: numbers as written, anything else as JSON."""
        return {str(k): v if isinstance(v, str) else self.serialize_json(v) for k, v in values.items()}

    # ---------------------------------------------------------------- what goes on the wire

    def _parts(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "from_": self.from_,
            "reply_to": self.reply_to,
            "text": self.bodies.get("text"),
            "html": self.bodies.get("html"),
            "amp": self.bodies.get("amp"),
            "api_template": self.template_id,
            "mailing_id": self.mailing_id,
            "charset": self.charset,
            "headers": self.headers,
            "attachments": self.attachments,
            "metadata": self.metadata,
            "tags": self.tags,
            "merge": self.merge_global_data,
        }

    def _check(self) -> None:
        if self.template_id is not None and not self.subject:
            # The API refuses an empty Subject (EmptySubject), template or not; so do the official libraries.
            self.unsupported_feature("template_id without a subject (SocketLabs requires a Subject)")

    def builders(self) -> list[BasicMessage | BulkMessage]:
        """The client's builders for this message; fills ``recipient_ids``."""
        self._check()
        to, cc, bcc = self.recipients["to"], self.recipients["cc"], self.recipients["bcc"]
        if not self.is_batch():
            message_id = self.message_id or uuid.uuid4().hex
            self.recipient_ids = {address: message_id for address, _ in to + cc + bcc}
            return [BasicMessage(to=to, cc=cc, bcc=bcc, message_id=message_id, **self._parts())]
        if cc or bcc:
            self.unsupported_feature("cc or bcc with a batch send (SocketLabs merges one message per To)")
        own = self.merge_metadata is not None or self.merge_headers is not None
        rows: list[BulkRecipient] = []
        for address, name in to:
            message_id = self.message_id or uuid.uuid4().hex
            self.recipient_ids[address] = message_id
            merge = self._strings((self.merge_data or {}).get(address) or {})
            if not own and self.message_id is None:
                merge[MESSAGE_ID_FIELD] = message_id
            rows.append(BulkRecipient(address, name, merge))
        if not own:
            message_id = self.message_id or f"%%{MESSAGE_ID_FIELD}%%"
            return [BulkMessage(recipients=rows, message_id=message_id, **self._parts())]
        built: list[BasicMessage | BulkMessage] = []
        for row in rows:  # one message each: Metadata and CustomHeaders are per message
            parts = self._parts()
            own_metadata = (self.merge_metadata or {}).get(row.address) or {}
            own_headers = (self.merge_headers or {}).get(row.address) or {}
            parts["metadata"] = {**self.metadata, **self._strings(own_metadata)}
            parts["headers"] = {**self.headers, **self._strings(own_headers)}
            built.append(BulkMessage(recipients=[row], message_id=self.recipient_ids[row.address], **parts))
        return built

    def messages(self, *, recipients_per_message: int, format: Format) -> list[Message]:
        """The Injection API messages, ``esp_extra`` merged into each (checked again when sent)."""
        models: list[Message] = []
        for builder in self.builders():
            built = builder.build(max_recipients=recipients_per_message, format=format)
            models.extend(built if isinstance(built, list) else [built])
        if not self.esp_extra:
            return models
        given = next((v for k, v in self.esp_extra.items() if str(k).casefold() == "messageid"), None)
        if given is not None:  # esp_extra's own MessageId is every recipient's
            self.recipient_ids = dict.fromkeys(self.recipient_ids, str(given))
        try:
            return [Message.from_dict(_merged(m.to_dict(), self.esp_extra)) for m in models]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a member of the wrong shape
            raise AnymailSerializationError(
                f"esp_extra does not fit an Injection API message ({type(exc).__name__}: {exc})",
                email_message=self.message,
                payload=self,
                backend=self.backend,
            ) from None


def _status(outcome: Outcome, code: str | None, request_failed: bool) -> str:
    """Anymail's word for one recipient's outcome (a request that failed as a whole: ``failed``)."""
    if outcome is Outcome.ACCEPTED:
        return "queued"
    if outcome is Outcome.IN_DOUBT:
        return "unknown"
    if request_failed:
        return "failed"
    if code == "InvalidAddress":
        return "invalid"
    return "rejected" if code is None or code in _REJECTED_CODES else "failed"


class EmailBackend(AnymailBaseBackend):  # type: ignore[misc]  # anymail ships no type information
    """Django's email backend for SocketLabs (``ANYMAIL = {"SOCKETLABS_API_KEY": ..., ...}``).

    One pooled ``SocketLabs`` client per open connection: ``with
    get_connection() as connection:`` sends every message over the same pool;
    a bare ``send_mail`` opens and closes one. Each message is one injection
    request, as with every anymail backend. Keyword arguments
    (``api_key=``, ``server_id=``, ``inject_url=``...) override the settings,
    and ``send_mail(auth_password=...)`` is taken as the API key.
    """

    esp_name = ESP_NAME

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        kwargs.pop("username", None)
        password = kwargs.pop("password", None)
        if password is not None:
            kwargs.setdefault("api_key", password)
        self.client_options = client_options(kwargs)
        fmt = esp_setting("format", kwargs) or "json"
        if fmt not in ("json", "xml"):
            raise AnymailConfigurationError(f"SOCKETLABS_FORMAT must be 'json' or 'xml', got {fmt!r}")
        self.format: Format = "xml" if fmt == "xml" else "json"
        self.recipients_per_message = int(esp_setting("recipients_per_message", kwargs) or 50)
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.client: SocketLabs | None = None

    def open(self) -> bool:
        """Create the client (and its pool) unless one is open; ``True`` when this call made it."""
        if self.client is not None:
            return False
        try:
            self.client = SocketLabs(**self.client_options)
        except ConfigurationError as exc:
            raise AnymailConfigurationError(f"SocketLabs: {exc}") from exc
        return True

    def close(self) -> None:
        """Close the client's pools."""
        client, self.client = self.client, None
        if client is not None:
            client.close()

    def _send(self, message: EmailMessage) -> bool:
        if self.client is None:  # _send is only called between open() and close()
            raise AnymailConfigurationError("the SocketLabs client is not open")
        sent: bool = super()._send(message)
        return sent

    def build_message_payload(self, message: EmailMessage, defaults: dict[str, Any]) -> SocketLabsPayload:
        """The payload anymail fills from the message."""
        return SocketLabsPayload(message, defaults, self)

    def _error(
        self, exc: SocketLabsError, message: EmailMessage, payload: SocketLabsPayload, text: str
    ) -> AnymailError:
        field = getattr(exc, "field", "") or ""
        kind = AnymailInvalidAddress if field.casefold().startswith(_ADDRESS_FIELDS) else AnymailAPIError
        return kind(text, email_message=message, payload=payload, backend=self)

    def post_to_esp(self, payload: SocketLabsPayload, message: EmailMessage) -> SendReport:
        """One ``client.send``; a refusal before or instead of processing raises, in doubt does not."""
        assert self.client is not None  # noqa: S101 - _send checked it
        try:
            models = payload.messages(recipients_per_message=self.recipients_per_message, format=self.format)
            report = self.client.send(
                list(models), format=self.format, recipients_per_message=self.recipients_per_message
            )
        except MessageValidationError as exc:
            raise self._error(exc, message, payload, f"refused before sending: {exc}") from exc
        except SocketLabsError as exc:
            raise self._error(exc, message, payload, f"the send failed: {exc}") from exc
        refused = [
            r.error
            for r in report.requests
            if r.error is not None and failure_outcome(r.error)[0] is Outcome.REJECTED
        ]
        if refused and len(refused) == len(
            report.requests
        ):  # nothing went: an error, as anymail's ESPs raise
            error = AnymailAPIError(
                f"SocketLabs refused the request: {refused[0]}",
                email_message=message,
                payload=payload,
                response=report,
                backend=self,
            )
            raise error from refused[0]
        return report  # some went (a big merge is several requests): the statuses say which

    def parse_recipient_status(
        self, response: SendReport, payload: SocketLabsPayload, message: EmailMessage
    ) -> dict[str, AnymailRecipientStatus]:
        """Each recipient's anymail status and ``MessageId`` from the client's report."""
        statuses: dict[str, AnymailRecipientStatus] = {}
        requests = {r.index: r for r in response.requests}
        for result in response.recipients:
            code = str(result.code) if result.code is not None else None
            failed = requests[result.request].error is not None
            message_id = payload.recipient_ids.get(result.address)
            statuses[result.address] = AnymailRecipientStatus(
                message_id, _status(result.outcome, code, failed)
            )
        return statuses

    def raise_for_recipient_status(
        self,
        anymail_status: AnymailStatus,
        response: SendReport,
        payload: SocketLabsPayload,
        message: EmailMessage,
    ) -> None:
        """Anymail's rule (all refused: ``AnymailRecipientsRefused``), and a message SocketLabs failed."""
        if self.ignore_recipient_status:
            return
        statuses = anymail_status.status or set()
        if statuses and statuses <= {"invalid", "rejected"}:
            codes = ", ".join(f"{r.address}: {r.code}" for r in response.recipients)
            raise AnymailRecipientsRefused(
                f"SocketLabs accepted no recipient ({codes})",
                email_message=message,
                payload=payload,
                response=response,
                backend=self,
            )
        if "failed" in statuses and not statuses & {"queued", "unknown"}:
            failures = sorted({str(r.code) for r in response.recipients if r.code is not None})
            reasons = "; ".join(explain(c) for c in failures)
            raise AnymailAPIError(
                f"SocketLabs refused the message: {reasons}",
                email_message=message,
                payload=payload,
                response=response,
                backend=self,
            )
