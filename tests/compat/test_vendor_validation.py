"""Our message validation against the vendor's own (``socketlabs-injectionapi``'s ``SendValidator``).

Where the vendor's library shows a rule, we follow it and use its refusal
code: a message whose only recipients are Cc or Bcc is valid, a message with
no recipient at all is ``RecipientValidationNoneInMessage``, a template id
that is not one (0) beside no body is ``MessageValidationEmptyMessage``. The
differences that remain (rules the API documents and the vendor does not
check) are asserted at the end and listed in the migration guide.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from socketlabs_client import (
    AsyncSocketLabs,
    BasicMessage,
    MessageValidationError,
    SocketLabs,
)
from socketlabs_sandbox import Sandbox

vendor = pytest.importorskip("socketlabs.injectionapi")
from socketlabs.injectionapi.core.sendvalidator import SendValidator  # noqa: E402
from socketlabs.injectionapi.message.basicmessage import BasicMessage as VBasic  # noqa: E402
from socketlabs.injectionapi.message.emailaddress import EmailAddress  # noqa: E402
from socketlabs.injectionapi.sendresult import SendResult  # noqa: E402

Recipients = dict[str, list[str]]


def _theirs(recipients: Recipients, template: int | None = None, text: str | None = "Text") -> str:
    message = VBasic()
    message.subject = "Hello"
    message.from_email_address = EmailAddress("noreply@example.com")
    if text is not None:
        message.plain_text_body = text
    if template is not None:
        message.api_template = template
    for address in recipients.get("to", []):
        message.add_to_email_address(address)
    for address in recipients.get("cc", []):
        message.add_cc_email_address(address)
    for address in recipients.get("bcc", []):
        message.add_bcc_email_address(address)
    result = SendValidator.validate_message(message).result
    return "Success" if result is SendResult.Success else str(result.name)


def _ours(recipients: Recipients, template: int | None = None, text: str | None = "Text") -> str:
    parts: dict[str, Any] = {"subject": "Hello", "from_": "noreply@example.com"}
    if text is not None:
        parts["text"] = text
    if template is not None:
        parts["api_template"] = template
    message = BasicMessage(**parts, **recipients)
    try:
        message.build()
    except MessageValidationError as error:
        return error.code
    return "Success"


AGREED: list[tuple[str, Recipients, dict[str, Any]]] = [
    ("to only", {"to": ["ann@example.com"]}, {}),
    ("cc only", {"cc": ["cc@example.com"]}, {}),
    ("bcc only", {"bcc": ["bcc@example.com"]}, {}),
    ("cc and bcc", {"cc": ["cc@example.com"], "bcc": ["bcc@example.com"]}, {}),
    ("no recipient", {}, {}),
    ("an invalid cc", {"cc": ["not an address"]}, {}),
    ("a template alone", {"to": ["ann@example.com"]}, {"template": 12, "text": None}),
    ("template zero, no body", {"to": ["ann@example.com"]}, {"template": 0, "text": None}),
    ("no body", {"to": ["ann@example.com"]}, {"text": None}),
    ("51 recipients", {"to": [f"r{i}@example.com" for i in range(51)]}, {}),
]


@pytest.mark.parametrize(("recipients", "extra"), [case[1:] for case in AGREED], ids=[c[0] for c in AGREED])
def test_we_decide_as_the_vendor_does(recipients: Recipients, extra: dict[str, Any]) -> None:
    assert _ours(recipients, **extra) == _theirs(recipients, **extra)


def test_what_the_api_documents_and_the_vendor_does_not_check() -> None:
    """The remaining differences from the vendor's validator (each listed in the migration guide)."""
    to = {"to": ["ann@example.com"]}
    # A template beside a body: the API documents it as a conflict; the vendor sends both.
    assert _theirs(to, template=12) == "Success"
    assert _ours(to, template=12) == "MessageBodyConflict"
    # A template id that is not one beside a body: the vendor ignores it; the server would refuse it.
    assert _theirs(to, template=0) == "Success"
    assert _ours(to, template=0) == "InvalidTemplateId"


def _cc_only() -> BasicMessage:
    return BasicMessage(subject="Hello", from_="noreply@example.com", text="Text", cc=["cc@example.com"])


def _settings(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "api_key": sandbox.api_key,
        "server_id": sandbox.server_id,
        "base_url": sandbox.api_url,
        "inject_url": sandbox.inject_url,
    }


def test_a_cc_only_message_is_sent_end_to_end(socketlabs_sandbox: Sandbox) -> None:
    socketlabs_sandbox.reset()
    with SocketLabs(**_settings(socketlabs_sandbox)) as client:
        report = client.send(_cc_only())
    assert report.ok, report
    assert [m.address for m in socketlabs_sandbox.state.sent] == ["cc@example.com"]
    assert _theirs({"cc": ["cc@example.com"]}) == "Success", "as the vendor's library allows"


def test_a_cc_only_message_is_sent_end_to_end_async(socketlabs_sandbox: Sandbox) -> None:
    socketlabs_sandbox.reset()

    async def run() -> Any:
        async with AsyncSocketLabs(**_settings(socketlabs_sandbox)) as client:
            return await client.send(_cc_only())

    assert asyncio.run(run()).ok
    assert [m.address for m in socketlabs_sandbox.state.sent] == ["cc@example.com"]


def test_a_message_with_no_recipient_is_refused_before_sending(socketlabs_sandbox: Sandbox) -> None:
    socketlabs_sandbox.reset()
    empty = BasicMessage(subject="Hello", from_="noreply@example.com", text="Text")
    client = SocketLabs(**_settings(socketlabs_sandbox))
    with client, pytest.raises(MessageValidationError) as refused:
        client.send(empty)
    assert refused.value.code == "RecipientValidationNoneInMessage"
    assert socketlabs_sandbox.state.sent == []
