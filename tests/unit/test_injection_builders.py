"""Message builders: every option lands in the generated model, as the API documents it."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from socketlabs_api.models import Address, Attachment, Message
from socketlabs_client import (
    BasicMessage,
    BulkMessage,
    BulkRecipient,
    MessageValidationError,
    attachment,
    inline_image,
)


def _basic(**parts: object) -> BasicMessage:
    defaults: dict[str, object] = {"subject": "Hi", "from_": "noreply@example.com", "text": "Hello"}
    defaults.update(parts)
    return BasicMessage(**defaults)


def test_every_basic_option_lands_in_the_model(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG...")
    message = (
        BasicMessage(
            subject="Spring sale",
            from_=("noreply@example.com", "Example"),
            reply_to="Help <help@example.com>",
            text="Hello",
            html='<p>Hello <img src="cid:logo"></p>',
            amp="<html amp4email></html>",
            message_id="msg-1",
            mailing_id="spring-2026",
            charset="us-ascii",
            headers={"X-Campaign": "spring"},
            metadata={"userId": "42"},
            tags=["Marketing"],
            to=["ann@example.com"],
            cc=[("cc@example.com", "See")],
            bcc=[Address(email_address="audit@example.com")],
        )
        .add_to("bob@example.com", "Bob")
        .add_cc("Carl <carl@example.com>")
        .add_bcc("dan@example.com")
        .add_header("X-Priority", "1")
        .add_metadata("plan", "pro")
        .add_tag("Sale")
        .attach(b"hello", name="a.txt")
        .add_inline_image(logo, "logo")
        .add_global_merge("Brand", "Example")
    )
    built = message.build()
    body = built.to_dict()
    assert body["Subject"] == "Spring sale"
    assert body["From"] == {"EmailAddress": "noreply@example.com", "FriendlyName": "Example"}
    assert body["ReplyTo"] == {"EmailAddress": "help@example.com", "FriendlyName": "Help"}
    assert body["To"] == [
        {"EmailAddress": "ann@example.com"},
        {"EmailAddress": "bob@example.com", "FriendlyName": "Bob"},
    ]
    assert body["Cc"] == [
        {"EmailAddress": "cc@example.com", "FriendlyName": "See"},
        {"EmailAddress": "carl@example.com", "FriendlyName": "Carl"},
    ]
    assert body["Bcc"] == [{"EmailAddress": "audit@example.com"}, {"EmailAddress": "dan@example.com"}]
    assert (body["TextBody"], body["AmpBody"]) == ("Hello", "<html amp4email></html>")
    assert body["HtmlBody"].startswith("<p>Hello")
    assert (body["MessageId"], body["MailingId"], body["CharSet"]) == ("msg-1", "spring-2026", "us-ascii")
    assert body["CustomHeaders"] == [
        {"Name": "X-Campaign", "Value": "spring"},
        {"Name": "X-Priority", "Value": "1"},
    ]
    assert body["Metadata"] == [{"Key": "userId", "Value": "42"}, {"Key": "plan", "Value": "pro"}]
    assert body["Tags"] == ["Marketing", "Sale"]
    assert body["MergeData"] == {"Global": [{"Field": "Brand", "Value": "Example"}]}
    text, image = body["Attachments"]
    assert text == {
        "Name": "a.txt",
        "Content": base64.b64encode(b"hello").decode(),
        "ContentType": "text/plain",
    }
    assert image["ContentId"] == "logo"
    assert (image["Name"], image["ContentType"]) == ("logo.png", "image/png")
    assert base64.b64decode(image["Content"]) == b"\x89PNG..."
    assert "ApiTemplate" not in body


def test_api_template_is_sent_as_a_numeric_string() -> None:
    built = BasicMessage(
        subject="Hi", from_="noreply@example.com", api_template=42, to=["a@example.com"]
    ).build()
    assert built.api_template == "42"
    assert built.text_body is None
    assert "TextBody" not in built.to_dict()


def test_attachment_sources_and_options(tmp_path: Path) -> None:
    from_bytes = attachment(b"\x00\x01", name="blob.bin")
    assert (from_bytes.content_type, base64.b64decode(from_bytes.content)) == (
        "application/octet-stream",
        b"\x00\x01",
    )
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n")
    from_path = attachment(str(path), headers={"X-Kind": "report"})
    assert (from_path.name, from_path.content_type) == ("report.csv", "text/csv")
    assert [h.to_dict() for h in from_path.custom_headers] == [{"Name": "X-Kind", "Value": "report"}]  # type: ignore[union-attr]
    with path.open("rb") as stream:
        from_stream = attachment(stream)
    assert (from_stream.name, base64.b64decode(from_stream.content)) == ("report.csv", b"a,b\n")
    named_stream = attachment(io.BytesIO(b"x"), name="x.json", content_type="application/x-custom")
    assert (named_stream.name, named_stream.content_type) == ("x.json", "application/x-custom")
    image = inline_image(b"GIF89a", "pixel", name="p.gif")
    assert (image.content_id, image.content_type) == ("pixel", "image/gif")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: attachment(b"data"), "Attachments.Name"),
        (lambda: attachment(io.BytesIO(b"data")), "Attachments.Name"),
        (lambda: attachment("/nonexistent/file.txt"), "Attachments.Content"),
    ],
)
def test_attachment_inputs_that_cannot_work(call: object, field: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


def test_address_forms_and_a_wrong_type() -> None:
    built = _basic(to=["Ann Example <ann@example.com>", ("bob@example.com", None)]).build()
    assert [a.to_dict() for a in built.to] == [
        {"EmailAddress": "ann@example.com", "FriendlyName": "Ann Example"},
        {"EmailAddress": "bob@example.com"},
    ]
    with pytest.raises(MessageValidationError) as caught:
        _basic(to=[42])
    assert caught.value.field == "To[0]"


def test_bulk_message_rows_and_template_to() -> None:
    bulk = BulkMessage(
        subject="Hi %%RecipientName%%",
        from_="noreply@example.com",
        html="<p>%%Code%% %%Brand%%</p>",
        merge={"Brand": "Example"},
        recipients=["ann@example.com", BulkRecipient("bob@example.com", "Bob", {"Code": "7"})],
    ).add_recipient("Carl <carl@example.com>", merge={"Code": "9", "DeliveryAddress": "ignored@example.com"})
    (built,) = bulk.build()
    body = built.to_dict()
    assert body["To"] == [{"EmailAddress": "%%DeliveryAddress%%", "FriendlyName": "%%RecipientName%%"}]
    assert body["MergeData"] == {
        "PerMessage": [
            [
                {"Field": "DeliveryAddress", "Value": "ann@example.com"},
                {"Field": "RecipientName", "Value": ""},  # others have names: no raw placeholder
            ],
            [
                {"Field": "DeliveryAddress", "Value": "bob@example.com"},
                {"Field": "RecipientName", "Value": "Bob"},
                {"Field": "Code", "Value": "7"},
            ],
            [
                {"Field": "DeliveryAddress", "Value": "carl@example.com"},
                {"Field": "RecipientName", "Value": "Carl"},
                {"Field": "Code", "Value": "9"},
            ],
        ],
        "Global": [{"Field": "Brand", "Value": "Example"}],
    }


@pytest.mark.parametrize(("count", "sizes"), [(50, [50]), (51, [50, 1]), (100, [50, 50]), (1, [1])])
def test_bulk_splits_rows_at_the_per_message_limit(count: int, sizes: list[int]) -> None:
    bulk = BulkMessage(subject="Hi", from_="noreply@example.com", text="Hello")
    for i in range(count):
        bulk.add_recipient(f"r{i}@example.com")
    messages = bulk.build()
    assert [len(m.merge_data.per_message) for m in messages] == sizes  # type: ignore[union-attr, arg-type]
    delivered = [row[0].value for m in messages for row in m.merge_data.per_message]  # type: ignore[union-attr]
    assert delivered == [f"r{i}@example.com" for i in range(count)]


def test_a_merge_without_names_has_no_name_placeholder() -> None:
    bulk = BulkMessage(subject="Hi", from_="noreply@example.com", text="x", recipients=["a@example.com"])
    (built,) = bulk.build()
    assert built.to_dict()["To"] == [{"EmailAddress": "%%DeliveryAddress%%"}]
    assert built.to_dict()["MergeData"]["PerMessage"] == [
        [{"Field": "DeliveryAddress", "Value": "a@example.com"}]
    ]


def test_builders_return_generated_models() -> None:
    assert isinstance(_basic(to=["a@example.com"]).build(), Message)
    assert isinstance(attachment(b"x", name="x.txt"), Attachment)
