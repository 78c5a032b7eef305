"""Every field passes the one text check of where it goes, before anything is sent.

A property test draws a character per field and puts it in the middle of an
ordinary value. The oracle below is each destination's rule written out on its
own (RFC 9110 token, header value, query, JSON, XML 1.0, mail header); the
client must send exactly when the rule allows it, and otherwise raise a typed
error with nothing on the wire (a bare ``UnicodeEncodeError`` is a failure).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from socketlabs_client import (
    BasicMessage,
    F,
    InvalidParameterError,
    MessageValidationError,
    SocketLabs,
    SocketLabsError,
)

from .rawserver import RawServer, response

TCHAR = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
CHECK_OK = json.dumps({"data": {"emailAddress": "a@example.com", "isSuppressed": False}}).encode()
SEARCH_OK = json.dumps({"data": [], "total": 0}).encode()
SENT_OK = json.dumps({"ErrorCode": "Success", "MessageResults": None}).encode()


def lone(c: str) -> bool:
    return 0xD800 <= ord(c) <= 0xDFFF


def http_value_ok(c: str) -> bool:
    return c == "\t" or " " <= c <= "~"


def mail_text_ok(c: str) -> bool:
    """Unstructured mail header text (subject): no controls but HTAB, no lone surrogates."""
    return not lone(c) and (c == "\t" or not (ord(c) < 0x20 or ord(c) == 0x7F))


def xml_ok(c: str) -> bool:
    o = ord(c)
    return c in "\t\n\r" or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000


CHARSET_OK = set("!#$%&'+-^_`{}~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

# field -> (may this character be in it, what a message with it set looks like)
MESSAGE_FIELDS: dict[str, tuple[Callable[[str], bool], Callable[[str], dict[str, Any]]]] = {
    "header-name": (lambda c: c in TCHAR, lambda v: {"headers": {v: "x"}}),
    "header-value": (http_value_ok, lambda v: {"headers": {"X-Custom": v}}),
    "mailing_id": (http_value_ok, lambda v: {"mailing_id": v}),
    "message_id": (http_value_ok, lambda v: {"message_id": v}),
    "charset": (lambda c: c in CHARSET_OK, lambda v: {"charset": v}),
    "subject": (mail_text_ok, lambda v: {"subject": v}),
    "text-json": (lambda c: not lone(c), lambda v: {"text": v}),
    "text-xml": (xml_ok, lambda v: {"text": v, "format": "xml"}),
}


def characters() -> st.SearchStrategy[str]:
    """Every code point, with the interesting neighbours drawn often."""
    edges = '\x00\t\n\r\x0b\x1f \x7f\x80\xa0\xff:;"(),/<=>?@[\\]{}é€\ud800\udfff\ufffe\uffff\U0001f600'
    return st.one_of(
        st.sampled_from(list(edges)),
        st.characters(min_codepoint=0, max_codepoint=0x7F),
        st.characters(min_codepoint=0, max_codepoint=0x10FFFF),
    )


def _client(raw: RawServer) -> SocketLabs:
    return SocketLabs(
        api_key="k3yPart0123456789abc.s3cretPart0123456789",
        server_id=1,
        base_url=f"{raw.url}/v2",
        inject_url=f"{raw.url}/api/v1",
        management_url=f"{raw.url}/v1",
        rate_limiter=False,
        max_retries=0,
    )


def _outcome(raw: RawServer, call: Callable[[SocketLabs], Any]) -> bool:
    """True when the call sent its request; False when a typed error refused it first."""
    before = len(raw.requests)
    try:
        with _client(raw) as client:
            call(client)
    except (InvalidParameterError, MessageValidationError) as error:
        assert isinstance(error, SocketLabsError)
        assert len(raw.requests) == before, "refused, yet something was sent"
        return False
    assert len(raw.requests) == before + 1
    return True


SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SLOW
@given(field=st.sampled_from(sorted(MESSAGE_FIELDS)), c=characters())
@example(field="header-name", c=":").via("finding")
@example(field="header-name", c="\x00").via("finding")
@example(field="header-name", c="\x7f").via("finding")
@example(field="header-value", c="é").via("finding")
@example(field="mailing_id", c="\n").via("finding")
@example(field="message_id", c="\r").via("finding")
@example(field="charset", c="\n").via("finding")
@example(field="subject", c="\x00").via("finding")
def test_each_message_field_gets_its_destinations_check(raw: RawServer, field: str, c: str) -> None:
    allowed, build = MESSAGE_FIELDS[field]
    raw.answer(response(200, SENT_OK))
    parts = build(f"ab{c}cd")
    fmt = parts.pop("format", "json")
    fields = {"subject": "s", "from_": "f@example.com", "text": "t", "to": ["r@example.com"], **parts}
    message = BasicMessage(**fields)
    assert _outcome(raw, lambda client: client.send(message, format=fmt)) is allowed(c)


A = "a@example.com"

QUERY_CALLS: dict[str, tuple[Callable[[str], bool], Callable[[str], Callable[[SocketLabs], Any]], bytes]] = {
    "query-value": (
        lambda c: not lone(c),
        lambda v: lambda client: client.suppressions.check(email_address=v),
        CHECK_OK,
    ),
    "extra-query": (
        lambda c: not lone(c),
        lambda v: lambda client: client.suppressions.check(email_address=A, extra_query={"x": v}),
        CHECK_OK,
    ),
    "filter-value": (
        lambda c: not lone(c),
        lambda v: lambda client: client.reports.messages_detail(filters=F.subject == v).first_page(),
        SEARCH_OK,
    ),
    "extra-header-name": (
        lambda c: c in TCHAR,
        lambda v: lambda client: client.suppressions.check(email_address=A, extra_headers={v: "x"}),
        CHECK_OK,
    ),
    "extra-header-value": (
        http_value_ok,
        lambda v: lambda client: client.suppressions.check(email_address=A, extra_headers={"X-A": v}),
        CHECK_OK,
    ),
}


@SLOW
@given(field=st.sampled_from(sorted(QUERY_CALLS)), c=characters())
@example(field="query-value", c="\ud800").via("finding")
@example(field="filter-value", c="\udfff").via("finding")
def test_each_query_and_header_value_gets_its_destinations_check(raw: RawServer, field: str, c: str) -> None:
    allowed, call, answer = QUERY_CALLS[field]
    raw.answer(response(200, answer))
    assert _outcome(raw, call(f"ab{c}cd")) is allowed(c)


@pytest.mark.parametrize("value", ["ab\ud800", "\udc00"])
def test_a_lone_surrogate_in_a_filter_string_is_a_typed_error(raw: RawServer, value: str) -> None:
    search = lambda client: client.reports.messages_detail(filters=f"subject=eq:{value}").first_page()  # noqa: E731
    assert _outcome(raw, search) is False
