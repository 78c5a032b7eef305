"""Messages for ``socketlabs send`` from flags, a JSON file, an ``.eml`` file, or a merge CSV.

Each reader builds the library's own builders (``BasicMessage``,
``BulkMessage``), so the CLI checks and sends exactly what code would.
"""

from __future__ import annotations

import csv
import email
import email.policy
import json
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from .._errors import InvalidRequestError
from .._injection import BasicMessage, BulkMessage, BulkRecipient, attachment

__all__ = ["from_eml", "from_json", "merge_recipients", "pairs"]

_JSON_KEYS = {
    "subject": "subject",
    "from": "from_",
    "from_": "from_",
    "reply_to": "reply_to",
    "text": "text",
    "html": "html",
    "amp": "amp",
    "api_template": "api_template",
    "message_id": "message_id",
    "mailing_id": "mailing_id",
    "charset": "charset",
    "headers": "headers",
    "metadata": "metadata",
    "tags": "tags",
    "merge": "merge",
}
_ADDRESS_COLUMNS = ("DeliveryAddress", "email", "address", "to")


def pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """``KEY=VALUE`` flags as a dict; a value without ``=`` is a usage error."""
    result: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise InvalidRequestError(f"{option} takes KEY=VALUE, got {value!r}")
        result[key] = rest
    return result


def _addresses(value: object) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [tuple(item) if isinstance(item, list) else item for item in items]


def from_json(path: Path) -> BasicMessage | BulkMessage:
    """A message in the builders' shape: ``{"subject", "from", "to", "text", "html", "headers", ...}``.

    With ``"recipients": [{"address", "name", "merge"}]`` it is a merge
    (``BulkMessage``); ``"attachments"`` lists file paths, relative to the file.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidRequestError(f"cannot read the message file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequestError(f"{path}: a message file holds one JSON object")
    unknown = set(data) - set(_JSON_KEYS) - {"to", "cc", "bcc", "recipients", "attachments"}
    if unknown:
        raise InvalidRequestError(f"{path}: unknown member(s) {', '.join(sorted(unknown))}")
    parts: dict[str, Any] = {_JSON_KEYS[k]: v for k, v in data.items() if k in _JSON_KEYS}
    parts["attachments"] = [attachment(path.parent / str(p)) for p in data.get("attachments") or []]
    if "recipients" in data:
        recipients = [
            BulkRecipient(r["address"], r.get("name"), r.get("merge") or {}) if isinstance(r, dict) else r
            for r in data["recipients"]
        ]
        return BulkMessage(recipients=recipients, **parts)
    return BasicMessage(
        to=_addresses(data.get("to")), cc=_addresses(data.get("cc")), bcc=_addresses(data.get("bcc")), **parts
    )


def _address_list(message: EmailMessage, header: str) -> list[tuple[str, str | None]]:
    found = message.get_all(header) or []
    return [(addr, name or None) for name, addr in email.utils.getaddresses([str(h) for h in found]) if addr]


def from_eml(path: Path) -> BasicMessage:
    """A message from an RFC 5322 file: addresses, subject, text/HTML bodies, attachments, ``X-`` headers."""
    try:
        with path.open("rb") as handle:
            parsed = email.message_from_binary_file(handle, policy=email.policy.default)
    except OSError as exc:
        raise InvalidRequestError(f"cannot read {path}: {exc}") from None
    if not isinstance(parsed, EmailMessage):  # the default policy always builds one
        raise InvalidRequestError(f"{path} is not an RFC 5322 message")
    senders = _address_list(parsed, "From")
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    files = [
        attachment(
            part.get_content() if isinstance(part.get_content(), bytes) else str(part.get_content()).encode(),
            name=part.get_filename() or "attachment",
            content_type=part.get_content_type(),
        )
        for part in parsed.iter_attachments()
    ]
    reply_to = _address_list(parsed, "Reply-To")
    return BasicMessage(
        subject=str(parsed.get("Subject", "")) or None,
        from_=senders[0] if senders else None,
        reply_to=reply_to[0] if reply_to else None,
        to=_address_list(parsed, "To"),
        cc=_address_list(parsed, "Cc"),
        bcc=_address_list(parsed, "Bcc"),
        text=None if text is None else str(text.get_content()),
        html=None if html is None else str(html.get_content()),
        headers={k: str(v) for k, v in parsed.items() if k.lower().startswith("x-")},
        attachments=files,
    )


def merge_recipients(path: Path) -> list[BulkRecipient]:
    """One recipient per CSV row: an address column (``DeliveryAddress``, ``email``...), then merge fields."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise InvalidRequestError(f"cannot read the merge CSV {path}: {exc}") from None
    if not rows:
        raise InvalidRequestError(f"{path}: the merge CSV has no rows")
    header = list(rows[0])
    column = next((c for c in header if c.casefold() in {a.casefold() for a in _ADDRESS_COLUMNS}), None)
    if column is None:
        raise InvalidRequestError(f"{path}: no address column (one of {', '.join(_ADDRESS_COLUMNS)})")
    name_column = next((c for c in header if c.casefold() in ("recipientname", "name")), None)
    return [
        BulkRecipient(
            row[column],
            row.get(name_column) if name_column else None,
            _fields(row, exclude={column, name_column}),
        )
        for row in rows
    ]


def _fields(row: Mapping[str, str | None], *, exclude: set[str | None]) -> dict[str, str]:
    return {k: v or "" for k, v in row.items() if k not in exclude and k is not None}
