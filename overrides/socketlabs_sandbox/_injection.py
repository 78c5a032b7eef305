"""The Injection API (`POST /api/v1/email`) as the sandbox answers it.

Order of checks, each a separate answer:

1. credentials: `Authorization: Bearer KEY`, else the body's `ApiKey`; then
   the body's `ServerId` (an int, or a numeric string as the official Python
   library sends it) must be the configured server -> HTTP 401
   `InvalidAuthentication`;
2. request shape: not a JSON object, or a member of the wrong JSON type ->
   200 `InvalidData`; no messages -> `NoMessages`; more than ten ->
   `TooManyMessages`. Nothing is sent when the request fails here;
3. each message: `EmptySubject`, `InvalidFromAddress`,
   `MessageBodyConflict` / `NoValidBodyParts`, `InvalidTemplateId`,
   `InvalidAttachment`, `MetadataOrTagsAreTooLarge`, `InvalidMergeData`,
   `EmptyToAddress` (no To, Cc or Bcc at all: Cc or Bcc alone is a message,
   as the vendor's libraries send it), then per address `InvalidAddress`; a message whose
   recipients are all invalid is `NoValidRecipients`, one with some invalid
   is `Warning`. Beside the syntax check, an address in the reserved
   `.invalid` top-level domain (RFC 2606) is refused as `InvalidAddress`:
   the real server refuses addresses that pass any client-side syntax check,
   and tests need a deterministic way to make it do so.

The body may be XML (`Content-Type: application/xml`, root `PostBody`, the
same member names; `_xmlbody` has the assumed layout).

The top-level code is `Success` when everything was accepted and `Warning`
otherwise; `MessageResults` then lists only the failed messages. Member
names are matched case-insensitively at every level (PascalCase documented,
camelCase sent by some official libraries).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from dataclasses import dataclass, field

from ._params import is_valid_email
from ._state import InjectedMessage, SandboxState, SentMessage, final_status, record_request
from ._xmlbody import is_xml, read_post_body

__all__ = ["MAX_MESSAGES", "handle_injection"]

MAX_MESSAGES = 10
"""Messages per request (the legacy guide's documented limit)."""

_METADATA_LIMIT = 12_800
_MERGE_FIELD = re.compile(r"%%([^%]+)%%")
_PLACEHOLDER = "%%"
_STRING_MEMBERS = (
    "subject",
    "textbody",
    "htmlbody",
    "ampbody",
    "messageid",
    "mailingid",
    "charset",
)

Json = object


class _InvalidData(Exception):
    """The body does not have the request's structure."""


@dataclass(slots=True)
class _Outcome:
    """What happened to one message."""

    error: str | None = None
    failed: list[str] = field(default_factory=list)
    accepted: list[SentMessage] = field(default_factory=list)


def _response(code: str, results: list[dict[str, Json]] | None) -> dict[str, Json]:
    """The `InjectionResponse` body, PascalCase as the API answers."""
    return {"ErrorCode": code, "TransactionReceipt": None, "MessageResults": results}


def _fold(value: Json) -> Json:
    """Lower-case every member name, recursively (the server ignores case).

    Except inside `MergeData`: its own members are folded, but the merge
    field objects of `PerMessage` and `Global` (one per recipient and field,
    most of a bulk body) are left as they came; `_merge_fields` reads their
    names case-insensitively itself.
    """
    if isinstance(value, dict):
        folded: dict[str, Json] = {}
        for k, v in value.items():
            key = str(k).casefold()
            if key == "mergedata" and isinstance(v, dict):
                folded[key] = {str(m).casefold(): fields for m, fields in v.items()}
            else:
                folded[key] = _fold(v)
        return folded
    if isinstance(value, list):
        return [_fold(item) for item in value]
    return value


def _bearer_key(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer` header; `''` for other schemes."""
    if authorization is None or not authorization.strip():
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return credentials.strip()


def _server_id(value: Json) -> int | None:
    """`ServerId` as an int; a numeric string is accepted too."""
    if isinstance(value, bool):
        raise _InvalidData
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if value is None:
        return None
    raise _InvalidData


def _optional_str(value: Json) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _InvalidData


def _objects(value: Json) -> list[dict[str, Json]]:
    """A list of JSON objects (missing counts as empty)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _InvalidData
    return [item for item in value if isinstance(item, dict)]


def _address(value: Json) -> tuple[str, str | None] | None:
    """An `Address` object as `(EmailAddress, FriendlyName)`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _InvalidData
    email = _optional_str(value.get("emailaddress"))
    return (email or "", _optional_str(value.get("friendlyname")))


def _check_structure(message: Json) -> dict[str, Json]:
    """Raise `_InvalidData` unless every member has its JSON type."""
    if not isinstance(message, dict):
        raise _InvalidData
    for name in _STRING_MEMBERS:
        _optional_str(message.get(name))
    template = message.get("apitemplate")
    if template is not None and not isinstance(template, str | int):
        raise _InvalidData
    for name in ("to", "cc", "bcc"):
        for item in _objects(message.get(name)):
            _address(item)
    _address(message.get("from"))
    _address(message.get("replyto"))
    for name in ("customheaders", "metadata", "attachments"):
        _objects(message.get(name))
    tags = message.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise _InvalidData
    if message.get("mergedata") is not None and not isinstance(message.get("mergedata"), dict):
        raise _InvalidData
    return message


def _merge_fields(items: Json) -> dict[str, str] | None:
    """`[{Field, Value}, ...]` as a dict by folded name; `None` if malformed."""
    if items is None:
        return {}
    if not isinstance(items, list):
        return None
    fields: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict):
            return None
        if len(item) == 2 and "Field" in item and "Value" in item:  # as documented: nothing to fold
            name, value = item["Field"], item["Value"]
        else:
            folded = {str(k).casefold(): v for k, v in item.items()}
            name, value = folded.get("field"), folded.get("value")
        if not isinstance(name, str) or not name or not isinstance(value, str):
            return None
        fields[name.casefold()] = value
    return fields


def _merge(text: str | None, fields: dict[str, str]) -> str | None:
    """Replace `%%Field%%` placeholders; unknown ones are left as written."""
    if text is None or not fields or _PLACEHOLDER not in text:
        return text
    return _MERGE_FIELD.sub(lambda m: fields.get(m[1].casefold(), m[0]), text)


class _Template:
    """A text merged once per recipient: split at its placeholders once per message.

    ``render`` gives what ``_merge`` gives, without a regex pass per recipient.
    """

    __slots__ = ("_parts", "_tail", "text")

    def __init__(self, text: str | None) -> None:
        self.text = text
        self._parts: list[tuple[str, str, str]] | None = None
        self._tail = ""
        if text is not None and _PLACEHOLDER in text:
            pieces = _MERGE_FIELD.split(text)  # literal, name, literal, name, ..., literal
            self._parts = [
                (pieces[i], pieces[i + 1].casefold(), f"%%{pieces[i + 1]}%%")
                for i in range(0, len(pieces) - 1, 2)
            ]
            self._tail = pieces[-1]

    def render(self, fields: dict[str, str]) -> str | None:
        """The text with this recipient's fields in place."""
        parts = self._parts
        if parts is None or not fields:
            return self.text
        out = []
        for literal, key, written in parts:
            out.append(literal)
            out.append(fields.get(key, written))
        out.append(self._tail)
        return "".join(out)


def _body_error(message: dict[str, Json]) -> str | None:
    """`MessageBodyConflict`, `NoValidBodyParts` or `InvalidTemplateId`, if any."""
    has_body = bool(message.get("textbody")) or bool(message.get("htmlbody"))
    template = message.get("apitemplate")
    has_template = template is not None and template != ""
    if has_template and has_body:
        return "MessageBodyConflict"
    if not has_template and not has_body:
        return "NoValidBodyParts"
    if has_template and not str(template).isdigit():
        return "InvalidTemplateId"
    return None


def _attachments_valid(message: dict[str, Json]) -> bool:
    """Every attachment names itself, its type, and has base64 content."""
    for attachment in _objects(message.get("attachments")):
        name, content, kind = (attachment.get(k) for k in ("name", "content", "contenttype"))
        if not (isinstance(name, str) and name and isinstance(kind, str) and kind):
            return False
        if not isinstance(content, str):
            return False
        try:
            base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            return False
    return True


def _metadata_too_large(message: dict[str, Json]) -> bool:
    """Metadata and tags together over 12.5 KB."""
    size = 0
    for name in ("metadata", "tags"):
        value = message.get(name)
        if value is not None:
            size += len(json.dumps(value, ensure_ascii=False).encode())
    return size > _METADATA_LIMIT


def _message_error(message: dict[str, Json]) -> str | None:
    """The first message-level problem before recipients are looked at."""
    subject = message.get("subject")
    if not isinstance(subject, str) or not subject:
        return "EmptySubject"
    sender = _address(message.get("from"))
    if sender is None or not is_valid_email(sender[0]):
        return "InvalidFromAddress"
    body_error = _body_error(message)
    if body_error is not None:
        return body_error
    if not _attachments_valid(message):
        return "InvalidAttachment"
    if _metadata_too_large(message):
        return "MetadataOrTagsAreTooLarge"
    return None


_Recipient = tuple[str, str | None, dict[str, str]]
"""An address, its friendly name, and the merge fields that apply to it."""


def _recipients(message: dict[str, Json]) -> list[_Recipient] | str:
    """Who the message goes to, or the error code.

    With `MergeData.PerMessage` each inner list is one recipient (its
    `DeliveryAddress`, optional `RecipientName`) and `To` is only the
    template; otherwise `To`. `Cc` and `Bcc` are added either way. `Global`
    merge fields apply to all.
    """
    merge = message.get("mergedata")
    merge = merge if isinstance(merge, dict) else {}
    global_fields = _merge_fields(merge.get("global"))
    rows = merge.get("permessage")
    if global_fields is None or not (rows is None or isinstance(rows, list)):
        return "InvalidMergeData"
    recipients: list[_Recipient] = []
    for row in rows or []:
        row_fields = _merge_fields(row)
        if row_fields is None or "deliveryaddress" not in row_fields:
            return "InvalidMergeData"
        fields = {**global_fields, **row_fields} if global_fields else row_fields
        recipients.append((row_fields["deliveryaddress"], row_fields.get("recipientname"), fields))
    members = ("cc", "bcc") if recipients else ("to", "cc", "bcc")
    for member in members:
        for item in _objects(message.get(member)):
            email, name = _address(item) or ("", None)
            recipients.append((_merge(email, global_fields) or "", name, global_fields))
    # Cc or Bcc alone is a message (the vendor's libraries send it); no recipient at all is not.
    return recipients or "EmptyToAddress"


def _tags_and_metadata(message: dict[str, Json]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """A checked message's tags and metadata pairs (shared by all its recipients)."""
    raw_tags = message.get("tags")
    tags = tuple(t for t in raw_tags if isinstance(t, str)) if isinstance(raw_tags, list) else ()
    raw_meta = message.get("metadata")
    metadata = (
        tuple(
            (str(m.get("key")), str(m.get("value")))
            for m in raw_meta
            if isinstance(m, dict) and isinstance(m.get("key"), str)
        )
        if isinstance(raw_meta, list)
        else ()
    )
    return tags, metadata


def _process(state: SandboxState, server_id: int, index: int, message: dict[str, Json]) -> _Outcome:
    """Validate one message and accept its valid recipients."""
    error = _message_error(message)
    recipients = _recipients(message) if error is None else error
    if isinstance(recipients, str):
        return _Outcome(error=recipients)
    subject_text = str(message.get("subject"))
    subject = _Template(subject_text)
    message_id = _Template(_optional_str(message.get("messageid")))
    mailing_id = _Template(_optional_str(message.get("mailingid")))
    sender = (_address(message.get("from")) or ("", None))[0]
    tags, metadata = _tags_and_metadata(message)
    suppressions = state.suppression_list(server_id)  # the caller holds state.lock
    outcome = _Outcome()
    accepted, failed = outcome.accepted, outcome.failed
    now = state.now()
    for email, friendly, fields in recipients:
        if _refused(email):
            failed.append(email)
            continue
        accepted.append(
            SentMessage(  # positional, in field order: one per recipient
                server_id,
                index,
                email,
                _merge(friendly, fields),
                sender,
                subject.render(fields) or subject_text,
                message_id.render(fields) or state.next_message_id(),
                mailing_id.render(fields) or None,
                final_status(email, suppressed=email.casefold() in suppressions),
                now,
                tags,
                metadata,
            )
        )
    if outcome.failed:
        outcome.error = "Warning" if outcome.accepted else "NoValidRecipients"
    return outcome


def _load(body: bytes, content_type: str | None) -> Json:
    """The body (JSON, or XML rooted at `PostBody`) with folded member names; `None` if neither."""
    if is_xml(content_type):
        return _fold(read_post_body(body))
    try:
        return _fold(json.loads(body.decode("utf-8-sig")))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _refused(email: str) -> bool:
    """Addresses the sandbox refuses: bad syntax, or the reserved `.invalid` domain."""
    return not is_valid_email(email) or email.rstrip(".").casefold().endswith(".invalid")


def _authenticated(key: str, authorization: str | None, data: Json) -> bool:
    """Bearer header if sent (it wins), else the body's `ApiKey`."""
    bearer = _bearer_key(authorization)
    if bearer is None:
        api_key = data.get("apikey") if isinstance(data, dict) else None
        if not isinstance(api_key, str):
            return False
        bearer = api_key
    return hmac.compare_digest(bearer.encode(), key.encode())


def _read_request(server_id: int, data: Json) -> list[dict[str, Json]] | str:
    """The messages of an authenticated request, or its request-level code."""
    try:
        if not isinstance(data, dict):
            raise _InvalidData
        if _server_id(data.get("serverid")) != server_id:
            return "InvalidAuthentication"
        raw_messages = data.get("messages")
        if raw_messages is None or raw_messages == []:
            return "NoMessages"
        if not isinstance(raw_messages, list):
            raise _InvalidData
        messages = [_check_structure(message) for message in raw_messages]
    except _InvalidData:
        return "InvalidData"
    return "TooManyMessages" if len(messages) > MAX_MESSAGES else messages


def handle_injection(
    state: SandboxState, authorization: str | None, body: bytes, content_type: str | None = None
) -> tuple[int, dict[str, Json]]:
    """Process one injection request: `(HTTP status, JSON-shaped answer)`."""
    data = _load(body, content_type)
    if not _authenticated(state.config.api_key, authorization, data):
        return 401, _response("InvalidAuthentication", None)
    messages = _read_request(state.config.server_id, data)
    if isinstance(messages, str):
        return (401 if messages == "InvalidAuthentication" else 200), _response(messages, None)
    if isinstance(data, dict):
        record_request(state, data)
    with state.lock:
        outcomes = [
            _process(state, state.config.server_id, index, message) for index, message in enumerate(messages)
        ]
        for index, (outcome, message) in enumerate(zip(outcomes, messages, strict=True)):
            if outcome.accepted:
                accepted = tuple(sent.address for sent in outcome.accepted)
                state.messages.append(
                    InjectedMessage(
                        state.config.server_id, index, message, accepted, outcome.accepted[0].timestamp
                    )
                )
            state.record_sent_many(outcome.accepted)
    results: list[dict[str, Json]] = []
    for index, outcome in enumerate(outcomes):
        if outcome.error is None:
            continue
        address_results: list[Json] | None = None
        if outcome.failed:
            address_results = [
                {"EmailAddress": email, "Accepted": False, "ErrorCode": "InvalidAddress"}
                for email in outcome.failed
            ]
        results.append({"Index": index, "ErrorCode": outcome.error, "AddressResults": address_results})
    if not results:
        return 200, _response("Success", [])
    return 200, _response("Warning", results)
