"""The wire form of an injection request: JSON or XML bytes from the models' ``to_dict()`` shape."""

from __future__ import annotations

import json
from typing import Any, Literal

from socketlabs_api.models import (
    InjectionRequest,
)

from .._xml import to_xml

XML_ROOT = "PostBody"
"""Root element of an XML request; the spec's ``x-xml.root`` on ``sendEmail`` (a test checks)."""

Format = Literal["json", "xml"]

Wire = dict[str, Any]
"""A JSON-shaped body as the generated models' ``to_dict()`` makes it (member names as sent)."""


def _model(body: InjectionRequest | Wire) -> InjectionRequest:
    return body if isinstance(body, InjectionRequest) else InjectionRequest.from_dict(body)


def _wire(body: InjectionRequest | Wire | None) -> Wire | None:
    return body.to_dict() if isinstance(body, InjectionRequest) else body


def _encode(data: Wire, fmt: Format) -> bytes:
    if fmt == "xml":
        return to_xml(XML_ROOT, data)
    # The wire dicts are made by to_dict() or here, so they hold no cycles: skip that check (20 %).
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), check_circular=False).encode()
