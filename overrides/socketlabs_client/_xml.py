"""The Injection API's XML form: the same members as the JSON body, as elements.

The docs say a request may be XML (root ``PostBody``, the JSON member names as
element names) and that the status can come back as XML; they do not show
how arrays are written or how the format is chosen. Our assumptions, in this
one place (the client and the sandbox both use it):

* the request says ``Content-Type: application/xml; charset=utf-8``; the
  answer is XML when ``Accept`` asks for XML, JSON otherwise;
* an array member holds one child element per item, named after the item's
  schema as .NET's ``XmlSerializer`` writes it (``<To><Address>...``,
  ``<Tags><string>...``, ``<PerMessage><ArrayOfMergeField><MergeField>``);
  readers ignore the item element names and go by the member name, so any
  naming of items is read;
* ``null`` members are left out; booleans are ``true``/``false``.

The parser is the standard library's expat, which neither fetches external
entities nor expands nested entities without limit (expat >= 2.4.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

__all__ = ["XML_CONTENT_TYPE", "XmlError", "from_xml", "to_xml", "wants_xml", "with_xml_member"]

XML_CONTENT_TYPE = "application/xml; charset=utf-8"

_ITEM_NAMES: Mapping[str, str] = {
    "messages": "Message",
    "to": "Address",
    "cc": "Address",
    "bcc": "Address",
    "customheaders": "CustomHeader",
    "attachments": "Attachment",
    "metadata": "MetadataItem",
    "tags": "string",
    "permessage": "ArrayOfMergeField",
    "global": "MergeField",
    "messageresults": "MessageResult",
    "addressresults": "AddressResult",
}
"""Array members (folded names) and the element name of their items."""

_NESTED_ITEM = "MergeField"
"""Items of the arrays inside ``PerMessage``."""

_BOOLEANS = frozenset({"accepted"})
_INTEGERS = frozenset({"index"})


class XmlError(ValueError):
    """The text is not XML of the expected shape."""


def wants_xml(media_types: str | None) -> bool:
    """Whether a ``Content-Type`` or ``Accept`` value names an XML media type."""
    if not media_types:
        return False
    for part in media_types.split(","):
        kind = part.split(";", 1)[0].strip().lower()
        if kind in ("application/xml", "text/xml") or kind.endswith("+xml"):
            return True
    return False


def _append(parent: ET.Element, name: str, value: Any, item_name: str | None = None) -> None:
    if value is None:
        return
    element = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, member in value.items():
            _append(element, str(key), member)
    elif isinstance(value, list):
        item = item_name or _ITEM_NAMES.get(name.casefold(), "item")
        for entry in value:
            _append(element, item, entry, _NESTED_ITEM if isinstance(entry, list) else None)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def to_xml(root: str, body: Mapping[str, Any]) -> bytes:
    """Write a JSON-shaped mapping as XML under ``root`` (UTF-8, with a declaration)."""
    element = ET.Element(root)
    for key, value in body.items():
        _append(element, str(key), value)
    return _serialize(element)


def _serialize(element: ET.Element) -> bytes:
    """UTF-8 with a declaration, CRs as ``&#13;``.

    A parser turns a raw CR (and CRLF) into LF; as a character reference it
    survives. ElementTree writes no CR of its own, so every CR in its output
    came from a text member.
    """
    return bytes(ET.tostring(element, encoding="utf-8", xml_declaration=True)).replace(b"\r", b"&#13;")


def _read(element: ET.Element, name: str) -> Any:
    folded = name.casefold()
    children = list(element)
    if folded in _ITEM_NAMES:
        if folded == "permessage":
            return [[_read(field, _NESTED_ITEM) for field in row] for row in children]
        return [_read(child, child.tag) for child in children]
    if children:
        return {child.tag: _read(child, child.tag) for child in children}
    return _scalar(folded, element.text or "")


def _scalar(folded: str, text: str) -> Any:
    if folded in _BOOLEANS:
        return text.strip().lower() == "true"
    if folded in _INTEGERS and text.strip().lstrip("-").isdigit():
        return int(text)
    if folded == "transactionreceipt" and not text:
        return None
    return text


def from_xml(content: bytes) -> tuple[str, dict[str, Any]]:
    """Read XML written as ``to_xml`` writes it: ``(root name, JSON-shaped members)``."""
    try:
        root = ET.fromstring(content)  # noqa: S314 - expat: no external entities, bounded expansion
    except ET.ParseError as exc:
        raise XmlError(f"not well-formed XML: {exc}") from None
    return root.tag, {child.tag: _read(child, child.tag) for child in root}


def with_xml_member(content: bytes, name: str, value: str) -> bytes | None:
    """``content`` with ``<name>value</name>`` added under its root; ``None`` if already present.

    Raises ``XmlError`` when ``content`` is not well-formed: the member cannot
    be added, and sending the body without it would only earn a misleading 401.
    """
    try:
        root = ET.fromstring(content)  # noqa: S314 - see from_xml
    except ET.ParseError as exc:
        raise XmlError(f"not well-formed XML: {exc}") from None
    if any(child.tag.casefold() == name.casefold() for child in root):
        return None
    ET.SubElement(root, name).text = value
    return _serialize(root)
