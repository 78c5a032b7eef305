"""The checks a message passes before it is sent (the official libraries' order, then the server's limits)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from socketlabs_api.models import (
    Address,
    MergeData,
    MergeField,
    Message,
)

from .._errors import (
    MessageValidationError,
)
from .._text import LONE_SURROGATE, NOT_IN_XML, message_problem
from ._wire import Format, Wire

MAX_RECIPIENTS_PER_MESSAGE = 50
"""The official libraries' cap (To + Cc + Bcc, or merge rows)."""

_MAX_ADDRESS = 320
_ADDRESS_PART = r"[^@\s,;<>\"()\[\]\\\x00-\x1f\x7f]+"
_ADDRESS = re.compile(f"{_ADDRESS_PART}@{_ADDRESS_PART}")
_PLACEHOLDER = "%%"

_NOT_IN_UTF8 = LONE_SURROGATE
_NOT_IN_XML = NOT_IN_XML

METADATA_AND_TAGS_LIMIT = 12_800
"""12.5 KB: metadata and tags together, measured as their JSON (UTF-8) as the sandbox does."""


def is_valid_address(address: str) -> bool:
    r"""The address syntax check: one ``@``, both parts, <= 320 chars, no spaces or separators.

    The official libraries check one ``@``, non-empty parts, length and no
    ``,`` ``;`` or space; this also refuses control characters and the
    characters that only appear in display-name syntax (``<>"()[]\\``).
    """
    return 3 <= len(address) <= _MAX_ADDRESS and _ADDRESS.fullmatch(address) is not None


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def _set(value: object) -> bool:
    return value is not None


def _fail(reason: str, field: str, code: str) -> MessageValidationError:
    return MessageValidationError(reason, field=field, code=code)


def _check_line(value: object, field: str, code: str) -> None:
    """Refuse CR/LF where the value becomes one header line (header injection)."""
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        raise _fail("must not contain CR or LF (it would start a new header line)", field, code)


def _check_address(address: object, field: str, code: str, *, placeholders: bool = False) -> None:
    if not isinstance(address, Address):
        raise _fail("not an address", field, code)
    _check_line(address.friendly_name, f"{field}.FriendlyName", code)
    email = address.email_address
    if placeholders and isinstance(email, str) and _PLACEHOLDER in email:
        return
    if not isinstance(email, str) or not is_valid_address(email):
        raise _fail(f"{email!r} is not a valid email address", f"{field}.EmailAddress", code)


def _check_body(message: Message) -> None:
    has_text = not _blank(message.text_body)
    has_html = not _blank(message.html_body)
    template = message.api_template
    has_template = _set(template) and template != ""
    if has_template and not (isinstance(template, str) and template.isdigit() and int(template) > 0):
        # The vendor's libraries read such a template as none: with no body that is an empty message.
        code = "InvalidTemplateId" if has_text or has_html else "MessageValidationEmptyMessage"
        raise _fail(f"{template!r} is not a template id (a positive integer)", "ApiTemplate", code)
    if not (has_text or has_html or has_template):
        raise _fail(
            "a message needs TextBody, HtmlBody or ApiTemplate",
            "TextBody",
            "MessageValidationEmptyMessage",
        )
    if has_template and (has_text or has_html):
        raise _fail(
            "ApiTemplate cannot be combined with TextBody or HtmlBody", "ApiTemplate", "MessageBodyConflict"
        )


def _check_pairs(items: object, member: str, first: str, code: str) -> None:
    if not _set(items):
        return
    if not isinstance(items, list):
        raise _fail("must be a list", member, code)
    for i, item in enumerate(items):
        key = getattr(item, first, None)
        value = getattr(item, "value", None)
        if _blank(key) or _blank(value):
            raise _fail(f"{first.capitalize()} and Value must both be non-empty", f"{member}[{i}]", code)


def _metadata_and_tags_size(message: Message) -> int:
    size = 0
    if isinstance(message.metadata, list):
        items = [{"Key": m.key, "Value": m.value} for m in message.metadata]
        size += len(json.dumps(items, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if isinstance(message.tags, list):
        size += len(json.dumps(message.tags, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return size


def _check_tags(message: Message) -> None:
    if isinstance(message.tags, list):
        for i, tag in enumerate(message.tags):
            if _blank(tag):
                raise _fail("tags must be non-empty strings", f"Tags[{i}]", "MessageValidationInvalidTags")
    size = _metadata_and_tags_size(message)
    if size > METADATA_AND_TAGS_LIMIT:
        raise _fail(
            f"metadata and tags take {size} bytes, over the 12.5 KB limit ({METADATA_AND_TAGS_LIMIT})",
            "Metadata",
            "MetadataOrTagsAreTooLarge",
        )


def _check_merge_fields(fields: object, member: str) -> dict[str, str]:
    if not isinstance(fields, list):
        raise _fail("must be a list of {Field, Value}", member, "InvalidMergeData")
    found: dict[str, str] = {}
    for i, item in enumerate(fields):
        if not isinstance(item, MergeField) or not isinstance(item.field, str) or not item.field.strip():
            raise _fail(
                "each merge field needs a non-empty Field", f"{member}[{i}].Field", "InvalidMergeData"
            )
        value = item.value
        if not isinstance(value, str):
            raise _fail(
                f"merge values must be strings, got {type(value).__name__}",
                f"{member}[{i}].Value",
                "InvalidMergeData",
            )
        found[item.field.casefold()] = value
    return found


def _check_recipients(message: Message, max_recipients: int) -> None:
    merge = message.merge_data
    rows = merge.per_message if isinstance(merge, MergeData) else None
    if isinstance(merge, MergeData) and _set(merge.global_):
        _check_merge_fields(merge.global_, "MergeData.Global")
    bulk = isinstance(rows, list) and bool(rows)
    to = message.to if isinstance(message.to, list) else []
    cc = message.cc if isinstance(message.cc, list) else []
    bcc = message.bcc if isinstance(message.bcc, list) else []
    if bulk and not to:
        raise _fail("a merge message needs its To template", "To", "RecipientValidationMissingTo")
    if not (to or cc or bcc or bulk):  # Cc or Bcc alone is a message, as in the vendor's libraries
        raise _fail(
            "a message needs at least one recipient (To, Cc or Bcc)", "To", "RecipientValidationNoneInMessage"
        )
    count = len(rows) if isinstance(rows, list) and bulk else len(to) + len(cc) + len(bcc)
    if count > max_recipients:
        what = "merge rows" if bulk else "recipients (To + Cc + Bcc)"
        raise _fail(
            f"{count} {what}, over the limit of {max_recipients} per message",
            "MergeData.PerMessage" if bulk else "To",
            "RecipientValidationMaxExceeded",
        )
    for member, addresses in (("To", to), ("Cc", cc), ("Bcc", bcc)):
        for i, address in enumerate(addresses):
            _check_address(
                address, f"{member}[{i}]", "RecipientValidationInvalidRecipients", placeholders=bulk
            )
    if isinstance(rows, list):
        for i, row in enumerate(rows):
            fields = _check_merge_fields(row, f"MergeData.PerMessage[{i}]")
            delivery = fields.get("deliveryaddress")
            if delivery is None:
                raise _fail(
                    "each merge row needs a DeliveryAddress field",
                    f"MergeData.PerMessage[{i}]",
                    "InvalidMergeData",
                )
            if not is_valid_address(delivery):
                raise _fail(
                    f"{delivery!r} is not a valid email address",
                    f"MergeData.PerMessage[{i}].DeliveryAddress",
                    "RecipientValidationInvalidRecipients",
                )
            _check_line(
                fields.get("recipientname"),
                f"MergeData.PerMessage[{i}].RecipientName",
                "RecipientValidationInvalidRecipients",
            )


def _check_attachments(message: Message) -> None:
    if not isinstance(message.attachments, list):
        return
    for i, item in enumerate(message.attachments):
        field = f"Attachments[{i}]"
        if _blank(item.name):
            raise _fail("an attachment needs a Name", f"{field}.Name", "InvalidAttachment")
        if _blank(item.content_type):
            raise _fail("an attachment needs a ContentType", f"{field}.ContentType", "InvalidAttachment")
        named = (("Name", item.name), ("ContentType", item.content_type), ("ContentId", item.content_id))
        for member, value in named:
            _check_line(value, f"{field}.{member}", "InvalidAttachment")
        try:
            base64.b64decode(item.content, validate=True)
        except (ValueError, TypeError):
            raise _fail("Content must be base64", f"{field}.Content", "InvalidAttachment") from None
        _check_pairs(
            item.custom_headers,
            f"{field}.CustomHeaders",
            "name",
            "MessageValidationInvalidCustomHeaders",
        )


def _bad_text(value: Any, pattern: re.Pattern[str]) -> str | None:
    """The wire path (``"To[0].FriendlyName"``) of the first string ``pattern`` finds, or ``None``.

    The path is only built on the way back from a hit, so a clean message
    costs one regex search per string.
    """
    if isinstance(value, str):
        return "" if pattern.search(value) else None
    if isinstance(value, dict):
        for key, member in value.items():
            found = _bad_text(member, pattern)
            if found is not None:
                return f"{key}.{found}" if found and found[0] != "[" else f"{key}{found}"
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _bad_text(item, pattern)
            if found is not None:
                return f"[{i}].{found}" if found and found[0] != "[" else f"[{i}]{found}"
    return None


def text_pattern(fmt: Format) -> re.Pattern[str]:
    """The characters a body in this format cannot carry (every format: lone surrogates)."""
    return _NOT_IN_XML if fmt == "xml" else _NOT_IN_UTF8


_SUSPECT_IN_JSON: dict[str, re.Pattern[str]] = {
    "json": _NOT_IN_UTF8,
    "xml": re.compile(r"[\ud800-\udfff\ufffe\uffff]|\\u00(?:0[0-8bcef]|1[0-9a-f])|\\[bf]"),
}
"""What may betray such a character in ``json.dumps(ensure_ascii=False)`` output (controls come out
escaped). A prefilter only: it may also match an escaped backslash before ``b``; the walk decides."""


def _check_text(wire: Wire, fmt: Format) -> None:
    """Refuse a string member the format cannot carry, naming its path (``"To[0].FriendlyName"``).

    One C-speed ``json.dumps`` and one regex search clear an ordinary message;
    only a suspect one is walked member by member.
    """
    dumped = json.dumps(wire, ensure_ascii=False, check_circular=False)
    if _SUSPECT_IN_JSON[fmt].search(dumped) is None:
        return
    path = _bad_text(wire, text_pattern(fmt))
    if path is not None:
        what = "characters XML 1.0 cannot hold" if fmt == "xml" else "a lone surrogate (no UTF-8 for it)"
        raise _fail(f"contains {what}", path, "MessageValidationInvalidCharacters")


def validate_message(
    message: Message,
    *,
    max_recipients: int = MAX_RECIPIENTS_PER_MESSAGE,
    format: Format = "json",
) -> None:
    """Raise ``MessageValidationError`` for the first rule ``message`` breaks (see ``check_message``)."""
    check_message(message, max_recipients=max_recipients, format=format)


def check_message(
    message: Message,
    *,
    max_recipients: int = MAX_RECIPIENTS_PER_MESSAGE,
    format: Format = "json",
) -> Wire:
    """``validate_message``, returning the ``to_dict()`` it checked (the planner sends it as is).

    The official libraries' order first (subject, from present, from valid,
    reply-to valid, body, custom headers, metadata, recipients), then what
    the server documents and they do not check (template id, body conflict,
    AMP without another body, tags and the 12.5 KB limit, merge data,
    attachments), then what the wire cannot carry: each member that becomes
    a mail header by its header's rule (``_text.message_problem``: subject,
    ids, charset, custom header names and values), CR/LF in display names
    and, anywhere, characters the body's ``format`` cannot encode
    (for XML the C0 controls but tab/CR/LF, U+FFFE/U+FFFF; for both, lone
    surrogates).
    """
    if _blank(message.subject):
        raise _fail("a message needs a subject", "Subject", "MessageValidationEmptySubject")
    sender = message.from_
    if not isinstance(sender, Address) or _blank(sender.email_address):
        raise _fail("a message needs a From address", "From", "EmailAddressValidationMissingFrom")
    _check_address(sender, "From", "EmailAddressValidationInvalidFrom")
    if _set(message.reply_to):
        _check_address(message.reply_to, "ReplyTo", "RecipientValidationInvalidReplyTo")
    body_parts = (message.text_body, message.html_body)
    if not _blank(message.amp_body) and all(map(_blank, body_parts)) and not _set(message.api_template):
        raise _fail(
            "AmpBody needs an HtmlBody, TextBody or ApiTemplate beside it",
            "AmpBody",
            "MessageValidationEmptyMessage",
        )
    _check_body(message)
    _check_pairs(message.custom_headers, "CustomHeaders", "name", "MessageValidationInvalidCustomHeaders")
    _check_pairs(message.metadata, "Metadata", "key", "MessageValidationInvalidMetadata")
    _check_recipients(message, max_recipients)
    _check_tags(message)
    _check_attachments(message)
    problem = message_problem(message)  # what becomes a mail header: each its header's rule
    if problem is not None:
        raise _fail(problem[1], problem[0], problem[2])
    wire = message.to_dict()
    _check_text(wire, format)
    return wire
