from __future__ import annotations

import base64
import json

import httpx
import pytest
from socketlabs_client import BasicAuth, BearerAuth, InjectionAuth, InvalidRequestError, is_new_format_key

SENTINEL = "SENTINEL-KEY-7f3a9c"
NEW_KEY = "A" * 20 + "." + "b" * 40


def _sent(auth: httpx.Auth, request: httpx.Request) -> httpx.Request:
    flow = auth.sync_auth_flow(request)
    return next(flow)


def test_bearer_header() -> None:
    sent = _sent(BearerAuth(SENTINEL), httpx.Request("GET", "https://api.example/v2/x"))
    assert sent.headers["Authorization"] == f"Bearer {SENTINEL}"


def test_basic_header_uses_the_key_as_password() -> None:
    sent = _sent(BasicAuth(SENTINEL, username="anyone"), httpx.Request("GET", "https://api.example/v2/x"))
    scheme, token = sent.headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == f"anyone:{SENTINEL}"


@pytest.mark.parametrize(
    ("key", "new"),
    [
        (NEW_KEY, True),
        ("A" * 20 + "." + "b" * 39, False),
        ("legacykey123", False),
        ("A" * 21 + "b" * 40, False),
    ],
)
def test_new_format_keys_are_recognised(key: str, new: bool) -> None:
    assert is_new_format_key(key) is new


def test_injection_puts_a_legacy_key_in_the_body() -> None:
    request = httpx.Request(
        "POST", "https://inject.example/api/v1/email", json={"ServerId": 1, "Messages": []}
    )
    sent = _sent(InjectionAuth(SENTINEL), request)
    assert "Authorization" not in sent.headers
    assert json.loads(sent.content) == {"ServerId": 1, "Messages": [], "ApiKey": SENTINEL}
    assert int(sent.headers["Content-Length"]) == len(sent.content)


def test_a_body_send_encoded_gets_the_key_appended_with_the_same_meaning() -> None:
    """``send`` marks its own JSON bodies; the key is appended to the bytes, not re-encoded in."""
    from socketlabs_client._auth import OWN_JSON_BODY_EXTENSION

    data = {"ServerId": 1, "Messages": [{"Subject": 'Grüße \u2028 "q"'}]}
    content = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    key = 'legacy"key\\ü'
    plain = _sent(
        InjectionAuth(key), httpx.Request("POST", "https://inject.example/api/v1/email", content=content)
    )
    marked = httpx.Request(
        "POST",
        "https://inject.example/api/v1/email",
        content=content,
        extensions={OWN_JSON_BODY_EXTENSION: True},
    )
    sent = _sent(InjectionAuth(key), marked)
    assert json.loads(sent.content) == json.loads(plain.content) == {**data, "ApiKey": key}
    assert sent.content.startswith(content[:-1])  # the body's own bytes are left as they were
    assert int(sent.headers["Content-Length"]) == len(sent.content)


def test_injection_sends_a_new_format_key_as_bearer_and_not_in_the_body() -> None:
    request = httpx.Request(
        "POST", "https://inject.example/api/v1/email", json={"ServerId": 1, "Messages": []}
    )
    sent = _sent(InjectionAuth(NEW_KEY), request)
    assert sent.headers["Authorization"] == f"Bearer {NEW_KEY}"
    assert NEW_KEY not in sent.content.decode()


def test_injection_keeps_a_key_the_caller_put_in_the_body() -> None:
    request = httpx.Request(
        "POST", "https://inject.example/api/v1/email", json={"serverId": 1, "apiKey": "theirs"}
    )
    sent = _sent(InjectionAuth(SENTINEL), request)
    assert json.loads(sent.content) == {"serverId": 1, "apiKey": "theirs"}


@pytest.mark.parametrize("auth", [BearerAuth(SENTINEL), BasicAuth(SENTINEL), InjectionAuth(SENTINEL)])
def test_auth_objects_never_show_the_key(auth: httpx.Auth) -> None:
    assert SENTINEL not in repr(auth)
    assert SENTINEL not in str(auth)
    assert "redacted" in repr(auth)


def test_an_ill_formed_xml_body_with_a_legacy_key_is_refused_not_sent_without_the_key() -> None:
    """Before, the key was silently left out and the user saw a misleading 401."""
    request = httpx.Request(
        "POST",
        "https://inject.example/api/v1/email",
        content=b"<PostBody><ServerId>1</ServerId><Messages>\x01</Messages></PostBody>",
        headers={"Content-Type": "application/xml; charset=utf-8"},
    )
    with pytest.raises(InvalidRequestError) as caught:
        _sent(InjectionAuth(SENTINEL), request)
    assert "ApiKey" in str(caught.value)
    assert SENTINEL not in str(caught.value)
    keyed = _sent(
        InjectionAuth(SENTINEL),
        httpx.Request(
            "POST",
            "https://inject.example/api/v1/email",
            content=b"<PostBody><ServerId>1</ServerId></PostBody>",
            headers={"Content-Type": "application/xml"},
        ),
    )
    assert f"<ApiKey>{SENTINEL}</ApiKey>".encode() in keyed.content
