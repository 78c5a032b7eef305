"""What the wire cannot carry never leaves the client (a legacy key in the body, JSON and XML)."""

from __future__ import annotations

import pytest
from socketlabs_client import BasicMessage, BulkMessage, MessageValidationError, SocketLabs
from socketlabs_sandbox import Sandbox, SandboxConfig

LEGACY_KEY = "legacyKey0123456789"  # not the 20.40 format: the key goes in the body, XML included


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    with Sandbox(SandboxConfig(api_key=LEGACY_KEY)) as sandbox:
        yield sandbox


def _client(sandbox: Sandbox) -> SocketLabs:
    return SocketLabs(api_key=LEGACY_KEY, server_id=sandbox.server_id, inject_url=sandbox.inject_url)


@pytest.mark.parametrize(
    ("fmt", "change", "field"),
    [
        ("xml", {"text": "a\x00b"}, "TextBody"),
        ("xml", {"subject": "Hi\x1b"}, "Subject"),
        ("json", {"html": "<p>\ud800</p>"}, "HtmlBody"),
        ("json", {"subject": "Hi\r\nBcc: x@evil.example"}, "Subject"),
        ("xml", {"headers": {"X-A": "1\nBcc: x@evil.example"}}, "CustomHeaders[0].Value"),
        ("json", {"from_": ("noreply@example.com", "Ex\r\nample")}, "From.FriendlyName"),
    ],
)
def test_refused_before_anything_is_sent(
    sandbox: Sandbox, fmt: str, change: dict[str, object], field: str
) -> None:
    sandbox.reset()
    parts: dict[str, object] = {
        "subject": "Hi",
        "from_": "noreply@example.com",
        "text": "x",
        "to": ["ann@example.com"],
    }
    parts.update(change)
    ok = BasicMessage(subject="fine", from_="noreply@example.com", text="x", to=["bob@example.com"])
    with _client(sandbox) as client, pytest.raises(MessageValidationError) as caught:
        client.send([ok, BasicMessage(**parts)], format=fmt)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.message_index) == (field, 1)
    assert list(sandbox.state.requests) == [] and sandbox.state.sent == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_what_both_formats_carry_arrives_intact(sandbox: Sandbox, fmt: str) -> None:
    sandbox.reset()
    subject = "Tab\there <&> ü \U0001f600 %%Code%%"
    bulk = BulkMessage(
        subject=subject, from_=("noreply@example.com", "Ex <&> ample"), text="line 1\r\nline 2"
    )
    for i in range(60):
        bulk.add_recipient(f"r{i}@example.com", f"R&{i}", {"Code": f"<{i}>"})
    with _client(sandbox) as client:
        report = client.send(bulk, format=fmt)
    assert report.ok and len(report.accepted) == 60
    assert [s.subject for s in sandbox.state.sent][:2] == [
        "Tab\there <&> ü \U0001f600 <0>",
        "Tab\there <&> ü \U0001f600 <1>",
    ]
    assert sandbox.state.sent[59].friendly_name == "R&59"
    first = sandbox.state.requests[0]["messages"][0]  # type: ignore[index]
    assert (first["subject"], first["textbody"]) == (subject, "line 1\r\nline 2")  # XML keeps the CR too
