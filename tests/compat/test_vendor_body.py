"""Our request body against what the vendor's library (``socketlabs-injectionapi``) really sends.

The vendor's ``HttpRequest`` opens ``http.client.HTTPSConnection(host)`` (port
443) for every send. Here its module's ``http`` name is swapped for one whose
``HTTPSConnection`` is a plain ``HTTPConnection`` to the sandbox that also
records the body; everything else of the vendor's send path runs as shipped.

Members are compared with their names folded (the server ignores case). Each
place where the two differ is asserted explicitly below and listed in the
migration guide (docs/guides/migrating.md); in each one the vendor departs from the docs:

1. ``ServerId``: the vendor sends a string (``"12345"``); the docs and every
   other official library send an integer. We send the integer.
2. ``ApiKey``: with a new-format key the vendor still sends ``"apiKey": ""``;
   we leave the member out (the key is in ``Authorization: Bearer``).
3. ``Metadata``: the vendor fills it from the *custom headers*
   (``populate_metadata(message.custom_headers)``) and drops the real
   metadata; we send the metadata the message says.
4. Merge rows: the vendor puts ``DeliveryAddress`` last and leaves
   ``RecipientName`` out for unnamed recipients while ``To`` still says
   ``%%RecipientName%%``; what the server does with a placeholder that has
   no field is not documented, so we send ``RecipientName: ""`` for the
   unnamed (and no name placeholder at all when nobody has a name). We put
   ``DeliveryAddress`` first; the order of fields in a row carries no
   meaning, so rows are compared as field -> value mappings.
"""

from __future__ import annotations

import http.client
import json
import types
from collections.abc import Iterator
from typing import Any

import pytest
from socketlabs_client import BasicMessage, BulkMessage, SocketLabs
from socketlabs_sandbox import Sandbox

vendor = pytest.importorskip("socketlabs.injectionapi")
from socketlabs.injectionapi.core import httprequest as vendor_http  # noqa: E402
from socketlabs.injectionapi.message.attachment import Attachment as VAttachment  # noqa: E402
from socketlabs.injectionapi.message.basicmessage import BasicMessage as VBasic  # noqa: E402
from socketlabs.injectionapi.message.bulkmessage import BulkMessage as VBulk  # noqa: E402
from socketlabs.injectionapi.message.emailaddress import EmailAddress  # noqa: E402
from socketlabs.injectionapi.sendresult import SendResult  # noqa: E402


@pytest.fixture
def vendor_bodies(socketlabs_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Route the vendor's connections to the sandbox and collect the bodies it sends."""
    socketlabs_sandbox.reset()
    port = int(socketlabs_sandbox.inject_url.split(":")[2].split("/")[0])
    bodies: list[bytes] = []
    opened: list[http.client.HTTPConnection] = []

    class Recording(http.client.HTTPConnection):
        def __init__(
            self, host: str, port_: int | None = None, timeout: float | None = None, **_: Any
        ) -> None:
            super().__init__("127.0.0.1", port, timeout=timeout)
            opened.append(self)  # the vendor never closes its connections; we do, after the test

        def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any) -> None:
            bodies.append(body.encode() if isinstance(body, str) else body)
            super().request(method, url, body, headers or {}, **kw)

    fake_http = types.SimpleNamespace(client=types.SimpleNamespace(HTTPSConnection=Recording))
    monkeypatch.setattr(vendor_http, "http", fake_http)
    yield bodies
    for connection in opened:
        connection.close()


def _vendor_send(sandbox: Sandbox, message: Any) -> Any:
    client = vendor.SocketLabsClient(sandbox.server_id, sandbox.api_key)
    client.endpoint = "https://inject.socketlabs.com/api/v1/email"  # the shipped default, unchanged
    return client.send(message)


def _ours(sandbox: Sandbox, message: BasicMessage | BulkMessage) -> dict[str, Any]:
    with SocketLabs(api_key=sandbox.api_key, server_id=sandbox.server_id) as client:
        report = client.send(message, dry_run=True)
    return report.requests[0].body.to_dict()


def _fold(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.casefold(): _fold(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fold(v) for v in value]
    return value


def _compare(
    ours: dict[str, Any], theirs: dict[str, Any], sandbox: Sandbox
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fold names, check differences 1 and 2, and drop them."""
    ours, theirs = _fold(ours), _fold(theirs)
    assert theirs.pop("serverid") == str(sandbox.server_id)  # difference 1
    assert ours.pop("serverid") == sandbox.server_id
    assert theirs.pop("apikey") == ""  # difference 2: the key went in the header
    assert "apikey" not in ours
    return ours, theirs


def test_basic_message_matches_except_metadata(
    socketlabs_sandbox: Sandbox, vendor_bodies: list[bytes]
) -> None:
    theirs_msg = VBasic()
    theirs_msg.subject = "Hello"
    theirs_msg.plain_text_body = "Text"
    theirs_msg.html_body = "<p>Html</p>"
    theirs_msg.amp_body = "<html amp4email></html>"
    theirs_msg.from_email_address = EmailAddress("noreply@example.com", "Example")
    theirs_msg.reply_to_email_address = EmailAddress("help@example.com")
    theirs_msg.add_to_email_address("ann@example.com", "Ann")
    theirs_msg.add_cc_email_address("cc@example.com")
    theirs_msg.add_bcc_email_address("bcc@example.com")
    theirs_msg.message_id = "m-1"
    theirs_msg.mailing_id = "welcome"
    theirs_msg.charset = "UTF-8"
    theirs_msg.add_custom_header("X-Campaign", "welcome")
    theirs_msg.add_metadata("userId", "42")
    theirs_msg.add_tag("Transactional")
    theirs_msg.add_attachment(VAttachment(name="a.txt", mime_type="text/plain", content=b"Hello"))
    response = _vendor_send(socketlabs_sandbox, theirs_msg)
    assert response.result is SendResult.Success

    ours_msg = BasicMessage(
        subject="Hello",
        text="Text",
        html="<p>Html</p>",
        amp="<html amp4email></html>",
        from_=("noreply@example.com", "Example"),
        reply_to="help@example.com",
        to=[("ann@example.com", "Ann")],
        cc=["cc@example.com"],
        bcc=["bcc@example.com"],
        message_id="m-1",
        mailing_id="welcome",
        charset="UTF-8",
        headers={"X-Campaign": "welcome"},
        metadata={"userId": "42"},
        tags=["Transactional"],
    ).attach(b"Hello", name="a.txt", content_type="text/plain")
    ours, theirs = _compare(
        _ours(socketlabs_sandbox, ours_msg), json.loads(vendor_bodies[0]), socketlabs_sandbox
    )
    (our_message,), (their_message,) = ours.pop("messages"), theirs.pop("messages")
    assert ours == theirs == {}
    # difference 3: the vendor sends the custom headers as metadata
    assert their_message.pop("metadata") == [{"key": "X-Campaign", "value": "welcome"}]
    assert our_message.pop("metadata") == [{"key": "userId", "value": "42"}]
    assert our_message == their_message


def test_template_message_matches(socketlabs_sandbox: Sandbox, vendor_bodies: list[bytes]) -> None:
    theirs_msg = VBasic()
    theirs_msg.subject = "Your order"
    theirs_msg.api_template = 12
    theirs_msg.from_email_address = EmailAddress("noreply@example.com")
    theirs_msg.add_to_email_address("ann@example.com")
    _vendor_send(socketlabs_sandbox, theirs_msg)
    ours_msg = BasicMessage(
        subject="Your order", api_template=12, from_="noreply@example.com", to=["ann@example.com"]
    )
    ours, theirs = _compare(
        _ours(socketlabs_sandbox, ours_msg), json.loads(vendor_bodies[0]), socketlabs_sandbox
    )
    assert ours == theirs
    assert ours["messages"][0]["apitemplate"] == "12"


def _rows(message: dict[str, Any]) -> list[dict[str, str]]:
    return [{f["field"]: f["value"] for f in row} for row in message["mergedata"].pop("permessage")]


def test_bulk_merge_message_matches_except_row_layout(
    socketlabs_sandbox: Sandbox, vendor_bodies: list[bytes]
) -> None:
    theirs_msg = VBulk()
    theirs_msg.subject = "Hi %%RecipientName%%"
    theirs_msg.html_body = "<p>Code %%Code%% from %%Brand%%</p>"
    theirs_msg.from_email_address = EmailAddress("noreply@example.com")
    theirs_msg.mailing_id = "spring"
    theirs_msg.add_global_merge_data("Brand", "Example")
    theirs_msg.add_to_recipient("ann@example.com", "Ann", {"Code": "1"})
    theirs_msg.add_to_recipient("bob@example.com", "Bob", {"Code": "2"})
    theirs_msg.add_to_recipient("cat@example.com", None, {"Code": "3"})
    assert _vendor_send(socketlabs_sandbox, theirs_msg).result is SendResult.Success

    ours_msg = BulkMessage(
        subject="Hi %%RecipientName%%",
        html="<p>Code %%Code%% from %%Brand%%</p>",
        from_="noreply@example.com",
        mailing_id="spring",
        merge={"Brand": "Example"},
    )
    ours_msg.add_recipient("ann@example.com", "Ann", {"Code": "1"})
    ours_msg.add_recipient("bob@example.com", "Bob", {"Code": "2"})
    ours_msg.add_recipient("cat@example.com", merge={"Code": "3"})
    ours, theirs = _compare(
        _ours(socketlabs_sandbox, ours_msg), json.loads(vendor_bodies[0]), socketlabs_sandbox
    )
    (our_message,), (their_message,) = ours["messages"], theirs["messages"]
    our_rows, their_rows = _rows(our_message), _rows(their_message)
    # difference 4: the vendor leaves RecipientName out for the unnamed recipient...
    assert their_rows[2] == {"Code": "3", "DeliveryAddress": "cat@example.com"}
    assert our_rows[2].pop("RecipientName") == ""
    assert our_rows == their_rows
    assert ours == theirs
    socketlabs_sandbox.reset()
    with SocketLabs(
        api_key=socketlabs_sandbox.api_key,
        server_id=socketlabs_sandbox.server_id,
        inject_url=socketlabs_sandbox.inject_url,
    ) as client:
        assert client.send(ours_msg).ok
    assert ("cat@example.com", "") in {(s.address, s.friendly_name) for s in socketlabs_sandbox.state.sent}


def test_an_unknown_code_crashes_the_vendor_but_not_us() -> None:
    from socketlabs.injectionapi.core.injectionresponseparser import InjectionResponseParser
    from socketlabs_api.models import InjectionResponse

    body = '{"ErrorCode": "Warning", "MessageResults": [{"Index": 0, "ErrorCode": "BrandNewCode"}]}'
    with pytest.raises(KeyError):
        InjectionResponseParser.parse(body, 200)
    parsed = InjectionResponse.from_dict(json.loads(body))
    (result,) = parsed.message_results  # type: ignore[misc]
    assert str(result.error_code) == "BrandNewCode" and not result.error_code.is_known
