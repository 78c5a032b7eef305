"""The Injection API's XML form, as the sandbox reads requests and writes answers.

Written apart from the client's own XML code (the sandbox imports nothing of
the client), from the same assumptions: root `PostBody`, elements named like
the JSON members, one child element per array item whatever its name
(`<To><Address>..</Address></To>`, `<PerMessage><ArrayOfMergeField>
<MergeField>..`), text for strings and numbers. Answers use the same layout
under `InjectionResponse`, items named after their schema.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

__all__ = ["is_xml", "read_post_body", "write_answer"]

Json = object

_LISTS = frozenset(
    {
        "messages",
        "to",
        "cc",
        "bcc",
        "customheaders",
        "attachments",
        "metadata",
        "tags",
        "global",
        "permessage",
    }
)
_ANSWER_ITEMS = {"MessageResults": "MessageResult", "AddressResults": "AddressResult"}


def is_xml(media_type: str | None) -> bool:
    """`application/xml`, `text/xml` or any `+xml` type, in a header that may list several."""
    for part in (media_type or "").lower().split(","):
        kind = part.split(";")[0].strip()
        if kind in {"application/xml", "text/xml"} or kind.endswith("+xml"):
            return True
    return False


def _value(element: ET.Element) -> Json:
    name = element.tag.casefold()
    if name == "permessage":
        return [[_value(field) for field in row] for row in element]
    if name in _LISTS:
        return [_value(item) for item in element]
    if len(element):
        return {child.tag: _value(child) for child in element}
    return element.text or ""


def read_post_body(body: bytes) -> Json:
    """The members of a `PostBody` document; `None` when it is not one."""
    try:
        root = ET.fromstring(body)  # noqa: S314 - see the import
    except ET.ParseError:
        return None
    if root.tag.casefold() != "postbody":
        return None
    return {child.tag: _value(child) for child in root}


def _write(parent: ET.Element, name: str, value: Json) -> None:
    if value is None:
        return
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, member in value.items():
            _write(element, key, member)
    elif isinstance(value, list):
        for item in value:
            _write(element, _ANSWER_ITEMS.get(name, "Item"), item)
    elif isinstance(value, bool):
        element.text = str(value).lower()
    else:
        element.text = str(value)


def write_answer(answer: dict[str, Json]) -> bytes:
    """An injection answer as an `InjectionResponse` XML document."""
    root = ET.Element("InjectionResponse")
    for key, value in answer.items():
        _write(root, key, value)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
