"""One text check per destination: what each place a value is written to can carry.

Each function returns why ``value`` cannot go there, or ``None``; the caller
raises its own typed error (``InvalidParameterError`` for call arguments,
``MessageValidationError`` for message fields), before anything is sent.

| destination                    | rule                                                        |
|--------------------------------|-------------------------------------------------------------|
| HTTP or mail header name       | an RFC 9110 token (no ``:``, space, controls, non-ASCII)    |
| HTTP header value, id headers  | visible ASCII, space and tab: no CR/LF/NUL, no non-ASCII    |
| mail header text (subject)     | no control characters but tab; non-ASCII is fine (the API   |
|                                | encodes it), lone surrogates are not                        |
| charset                        | an RFC 2978 charset name (``utf-8``, ``iso-8859-1``)        |
| query value (and filter value) | anything UTF-8 can encode: no lone surrogates               |
| JSON string                    | no lone surrogates                                          |
| XML 1.0 text                   | the ``Char`` production: no C0 controls but tab/CR/LF, no   |
|                                | U+FFFE/U+FFFF, no lone surrogates                           |

Non-ASCII in a custom header value is refused rather than encoded: whether the
API would encode it is not documented, and an encoded word the API then encoded
again would arrive garbled. Encode it yourself (``email.header.Header(value,
"utf-8").encode()``) and pass the ASCII result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socketlabs_api.models import Message

__all__ = [
    "LONE_SURROGATE",
    "NOT_IN_XML",
    "charset_problem",
    "header_name_problem",
    "header_value_problem",
    "json_problem",
    "mail_text_problem",
    "message_problem",
    "query_problem",
    "xml_problem",
]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_CHARSET = re.compile(r"[!#$%&'+\-^_`{}~0-9A-Za-z]{1,40}")
_MAIL_TEXT_BAD = re.compile("[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""Lone surrogates (a ``str`` holds a well-formed non-BMP character as one code point): no UTF-8 for them."""

NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0 cannot hold, even as a character reference (``Char`` production), nor UTF-8 encode."""


_CODE = "MessageValidationInvalidCharacters"
_HEADER_CODE = "MessageValidationInvalidCustomHeaders"


def _shown(c: str) -> str:
    return f"U+{ord(c):04X}"


def header_name_problem(name: object) -> str | None:
    """A header name (HTTP or mail) must be an RFC 9110 token."""
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        return f"{name!r} is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)"
    return None


def header_value_problem(value: object) -> str | None:
    """A header value: visible ASCII, space and tab (no CR/LF/NUL, which end or corrupt the header)."""
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    if _HEADER_VALUE.fullmatch(value):
        return None
    bad = next(c for c in value if not _HEADER_VALUE.fullmatch(c))
    if bad in "\r\n":
        return "must not contain CR or LF (it would start a new header line)"
    if ord(bad) > 0x7E:
        return f"holds non-ASCII {_shown(bad)}: encode it first (RFC 2047), a header carries ASCII"
    return f"holds the control character {_shown(bad)}"


def mail_text_problem(value: object) -> str | None:
    """Unstructured mail header text (the subject): no controls but tab, no lone surrogates."""
    if not isinstance(value, str):
        return None
    found = _MAIL_TEXT_BAD.search(value)
    if found is None:
        return None
    if found[0] in "\r\n":
        return "must not contain CR or LF (it would start a new header line)"
    if LONE_SURROGATE.fullmatch(found[0]):
        return f"holds a lone surrogate {_shown(found[0])} (no UTF-8 for it)"
    return f"holds the control character {_shown(found[0])}"


def charset_problem(value: object) -> str | None:
    """A charset name (RFC 2978 ``mime-charset``), e.g. ``utf-8``."""
    if isinstance(value, str) and _CHARSET.fullmatch(value):
        return None
    return f"{value!r} is not a charset name (like utf-8 or iso-8859-1)"


def query_problem(value: str) -> str | None:
    """A query (or filter) value is percent-encoded UTF-8: only a lone surrogate cannot be written."""
    found = LONE_SURROGATE.search(value)
    return None if found is None else f"holds a lone surrogate {_shown(found[0])} (no UTF-8 for it)"


def json_problem(value: str) -> str | None:
    """A JSON string sent as UTF-8: only a lone surrogate cannot be written."""
    return query_problem(value)


def xml_problem(value: str) -> str | None:
    """XML 1.0 text: the ``Char`` production."""
    found = NOT_IN_XML.search(value)
    return None if found is None else f"holds {_shown(found[0])}, which XML 1.0 cannot carry"


def message_problem(message: Message) -> tuple[str, str, str] | None:
    """(field, reason, code) of the first message member that breaks its header's rule, else None.

    The members that become mail headers: ``Subject`` (mail text), ``MessageId``
    and ``MailingId`` (header values), ``CharSet`` (a charset name) and each
    ``CustomHeaders`` name and value (the message's and each attachment's).
    The body's format (JSON, XML) is checked over the whole wire form by the caller.
    """
    checks: list[tuple[str, object, Callable[[Any], str | None], str]] = [
        ("Subject", message.subject, mail_text_problem, "MessageValidationInvalidSubject"),
        ("MessageId", message.message_id, header_value_problem, _CODE),
        ("MailingId", message.mailing_id, header_value_problem, _CODE),
        ("CharSet", message.char_set, charset_problem, _CODE),
    ]
    owners: list[tuple[str, object]] = [("", message)]
    attachments = message.attachments if isinstance(message.attachments, list) else []
    owners += [(f"Attachments[{i}].", item) for i, item in enumerate(attachments)]
    for prefix, owner in owners:
        headers = getattr(owner, "custom_headers", None)
        for i, header in enumerate(headers if isinstance(headers, list) else []):
            name, value = getattr(header, "name", None), getattr(header, "value", None)
            checks.append((f"{prefix}CustomHeaders[{i}].Name", name, header_name_problem, _HEADER_CODE))
            checks.append((f"{prefix}CustomHeaders[{i}].Value", value, header_value_problem, _HEADER_CODE))
    for field, value, check, code in checks:
        if not isinstance(value, str):  # absent (None), or a type the model checks refuse
            continue
        reason = check(value)
        if reason is not None:
            return field, reason, code
    return None
