"""Authentication, as ``httpx.Auth`` objects that never show the key.

The v2 API takes ``Authorization: Bearer KEY`` or HTTP Basic with any user
name and the key as the password. The Injection API takes the key in the body
(``ApiKey``, next to ``ServerId``) or, for keys in the new format (20
characters, a dot, 40 characters), as a Bearer token; the official libraries
decide by the key's shape, and so does ``InjectionAuth``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Generator
from typing import Literal

import httpx

from ._errors import InvalidRequestError

__all__ = ["OWN_JSON_BODY_EXTENSION", "BasicAuth", "BearerAuth", "InjectionAuth", "is_new_format_key"]

OWN_JSON_BODY_EXTENSION = "socketlabs.own_json_body"
"""Request extension set by ``send``: the body is a non-empty JSON object it encoded, without ``ApiKey``.

``InjectionAuth`` then appends the key's member to the bytes instead of
decoding and re-encoding the whole body (a bulk request is ~100 KB).
"""

_NEW_FORMAT_KEY = re.compile(r"[^.]{20}\.[^.]{40}")
_MASK = "<redacted>"

AuthScheme = Literal["bearer", "basic"]


def is_new_format_key(api_key: str) -> bool:
    """True for keys the Injection API expects as a Bearer token, not in the body."""
    return _NEW_FORMAT_KEY.fullmatch(api_key) is not None


class _KeyAuth(httpx.Auth):
    __slots__ = ("_api_key",)

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_key={_MASK})"


class BearerAuth(_KeyAuth):
    """``Authorization: Bearer KEY``."""

    __slots__ = ()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header."""
        request.headers["Authorization"] = f"Bearer {self._api_key}"
        yield request


class BasicAuth(_KeyAuth):
    """HTTP Basic with any user name and the key as the password."""

    __slots__ = ("_username",)

    def __init__(self, api_key: str, username: str = "socketlabs") -> None:
        super().__init__(api_key)
        self._username = username

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header."""
        token = base64.b64encode(f"{self._username}:{self._api_key}".encode()).decode("ascii")
        request.headers["Authorization"] = f"Basic {token}"
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(username={self._username!r}, api_key={_MASK})"


class InjectionAuth(_KeyAuth):
    """Bearer for new-format keys; otherwise ``ApiKey`` in the JSON body."""

    __slots__ = ()
    requires_request_body = True

    @property
    def uses_bearer(self) -> bool:
        """Whether the key goes in the header (new format) rather than the body."""
        return is_new_format_key(self._api_key)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the key where the Injection API expects it for this kind of key."""
        if self.uses_bearer:
            request.headers["Authorization"] = f"Bearer {self._api_key}"
            yield request
            return
        yield self._with_body_key(request)

    def _with_body_key(self, request: httpx.Request) -> httpx.Request:
        content: bytes | None
        from ._xml import XmlError, wants_xml, with_xml_member  # noqa: PLC0415 - ElementTree on first use

        if wants_xml(request.headers.get("content-type")):
            try:
                content = with_xml_member(request.content, "ApiKey", self._api_key)
            except XmlError as exc:
                raise InvalidRequestError(
                    f"the XML body cannot carry the API key (ApiKey), so it is not sent: {exc}"
                ) from None
        elif request.extensions.get(OWN_JSON_BODY_EXTENSION) and request.content.endswith(b"}"):
            member = json.dumps(self._api_key, ensure_ascii=False).encode()
            content = request.content[:-1] + b',"ApiKey":' + member + b"}"
        else:
            try:
                body = json.loads(request.content)
            except ValueError:
                return request  # neither JSON nor XML: the caller supplies credentials
            if not isinstance(body, dict) or any(k.casefold() == "apikey" for k in body):
                return request
            body["ApiKey"] = self._api_key
            content = json.dumps(body).encode()
        if content is None:
            return request
        headers = httpx.Headers(request.headers)
        headers.pop("Content-Length", None)
        return httpx.Request(
            request.method, request.url, headers=headers, content=content, extensions=request.extensions
        )


def v2_auth(api_key: str, scheme: AuthScheme) -> httpx.Auth:
    """The auth object for the v2 API in the chosen scheme."""
    return BasicAuth(api_key) if scheme == "basic" else BearerAuth(api_key)
