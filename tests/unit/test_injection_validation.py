"""Every rule checked before sending: the error names the field and the rule, in the vendor's order."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from socketlabs_api.models import (
    Address,
    Attachment,
    CustomHeader,
    MergeData,
    MergeField,
    Message,
    MetadataItem,
)
from socketlabs_client import (
    BasicMessage,
    BulkMessage,
    MessageValidationError,
    SocketLabsError,
    is_valid_address,
    validate_message,
)
from socketlabs_client._injection import Format, plan
from socketlabs_client._xml import from_xml, with_xml_member


def _message(**changes: Any) -> Message:
    values: dict[str, Any] = {
        "to": [Address(email_address="ann@example.com")],
        "from_": Address(email_address="noreply@example.com"),
        "subject": "Hello",
        "text_body": "Hello",
    }
    values.update(changes)
    return Message(**values)


def _rows(*rows: list[tuple[str, object]]) -> MergeData:
    return MergeData(per_message=[[MergeField(field=f, value=v) for f, v in row] for row in rows])  # type: ignore[arg-type]


_BULK_TO = [Address(email_address="%%DeliveryAddress%%")]

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("empty subject", {"subject": ""}, "Subject", "MessageValidationEmptySubject"),
    ("blank subject", {"subject": "   "}, "Subject", "MessageValidationEmptySubject"),
    ("no from", {"from_": Address(email_address="")}, "From", "EmailAddressValidationMissingFrom"),
    (
        "bad from",
        {"from_": Address(email_address="nobody")},
        "From.EmailAddress",
        "EmailAddressValidationInvalidFrom",
    ),
    (
        "bad reply-to",
        {"reply_to": Address(email_address="a@b@c")},
        "ReplyTo.EmailAddress",
        "RecipientValidationInvalidReplyTo",
    ),
    (
        "amp alone",
        {"text_body": "", "amp_body": "<html amp4email>"},
        "AmpBody",
        "MessageValidationEmptyMessage",
    ),
    ("no body", {"text_body": " "}, "TextBody", "MessageValidationEmptyMessage"),
    ("template and body", {"api_template": "12"}, "ApiTemplate", "MessageBodyConflict"),
    (
        "template not a number",
        {"text_body": "", "api_template": "abc"},
        "ApiTemplate",
        "MessageValidationEmptyMessage",
    ),
    ("template zero", {"text_body": "", "api_template": "0"}, "ApiTemplate", "MessageValidationEmptyMessage"),
    ("template zero beside a body", {"api_template": "0"}, "ApiTemplate", "InvalidTemplateId"),
    (
        "empty header value",
        {"custom_headers": [CustomHeader(name="X-A", value="")]},
        "CustomHeaders[0]",
        "MessageValidationInvalidCustomHeaders",
    ),
    (
        "empty metadata key",
        {"metadata": [MetadataItem(key="ok", value="1"), MetadataItem(key=" ", value="1")]},
        "Metadata[1]",
        "MessageValidationInvalidMetadata",
    ),
    ("no recipient", {"to": []}, "To", "RecipientValidationNoneInMessage"),
    (
        "51 recipients",
        {
            "to": [Address(email_address=f"r{i}@example.com") for i in range(49)],
            "cc": [Address(email_address="c@example.com")],
            "bcc": [Address(email_address="b@example.com")],
        },
        "To",
        "RecipientValidationMaxExceeded",
    ),
    (
        "bad to",
        {"to": [Address(email_address="ann@example.com"), Address(email_address="bad address@example.com")]},
        "To[1].EmailAddress",
        "RecipientValidationInvalidRecipients",
    ),
    (
        "bad cc",
        {"cc": [Address(email_address="no-at-sign")]},
        "Cc[0].EmailAddress",
        "RecipientValidationInvalidRecipients",
    ),
    (
        "bad bcc",
        {"bcc": [Address(email_address="a,b@example.com")]},
        "Bcc[0].EmailAddress",
        "RecipientValidationInvalidRecipients",
    ),
    (
        "51 merge rows",
        {
            "to": _BULK_TO,
            "merge_data": _rows(*[[("DeliveryAddress", f"r{i}@example.com")] for i in range(51)]),
        },
        "MergeData.PerMessage",
        "RecipientValidationMaxExceeded",
    ),
    (
        "row without delivery address",
        {"to": _BULK_TO, "merge_data": _rows([("DeliveryAddress", "a@example.com")], [("Name", "x")])},
        "MergeData.PerMessage[1]",
        "InvalidMergeData",
    ),
    (
        "merge value not a string",
        {"to": _BULK_TO, "merge_data": _rows([("DeliveryAddress", "a@example.com"), ("Code", 7)])},
        "MergeData.PerMessage[0][1].Value",
        "InvalidMergeData",
    ),
    (
        "merge field without name",
        {"to": _BULK_TO, "merge_data": _rows([("DeliveryAddress", "a@example.com"), ("", "x")])},
        "MergeData.PerMessage[0][1].Field",
        "InvalidMergeData",
    ),
    (
        "global value not a string",
        {"merge_data": MergeData(global_=[MergeField(field="Brand", value=None)])},
        "MergeData.Global[0].Value",
        "InvalidMergeData",
    ),  # type: ignore[arg-type]
    (
        "bad delivery address",
        {"to": _BULK_TO, "merge_data": _rows([("DeliveryAddress", "not-an-address")])},
        "MergeData.PerMessage[0].DeliveryAddress",
        "RecipientValidationInvalidRecipients",
    ),
    ("empty tag", {"tags": ["ok", ""]}, "Tags[1]", "MessageValidationInvalidTags"),
    (
        "metadata and tags over 12.5 KB",
        {"metadata": [MetadataItem(key="k", value="v" * 12_000)], "tags": ["t" * 800]},
        "Metadata",
        "MetadataOrTagsAreTooLarge",
    ),
    (
        "attachment without name",
        {"attachments": [Attachment(name="", content="eA==", content_type="text/plain")]},
        "Attachments[0].Name",
        "InvalidAttachment",
    ),
    (
        "attachment without type",
        {"attachments": [Attachment(name="a", content="eA==", content_type="")]},
        "Attachments[0].ContentType",
        "InvalidAttachment",
    ),
    (
        "attachment not base64",
        {"attachments": [Attachment(name="a", content="not base64!", content_type="text/plain")]},
        "Attachments[0].Content",
        "InvalidAttachment",
    ),
    (
        "attachment header empty",
        {
            "attachments": [
                Attachment(
                    name="a",
                    content="eA==",
                    content_type="text/plain",
                    custom_headers=[CustomHeader(name="", value="v")],
                )
            ]
        },
        "Attachments[0].CustomHeaders[0]",
        "MessageValidationInvalidCustomHeaders",
    ),
]

_HEADERS = [CustomHeader(name="X-A", value="1"), CustomHeader(name="X-B", value="2")]
_NAMED = Address(email_address="ann@example.com", friendly_name="Ann")

INJECTION_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "CRLF in subject",
        {"subject": "Hi\r\nBcc: x@evil.example"},
        "Subject",
        "MessageValidationInvalidSubject",
    ),
    ("LF in subject", {"subject": "Hi\nthere"}, "Subject", "MessageValidationInvalidSubject"),
    # a mail header carries no control character but tab, whatever the body's format
    ("a control in the subject", {"subject": "Hi\x07"}, "Subject", "MessageValidationInvalidSubject"),
    ("NUL in the subject", {"subject": "Hi\x00"}, "Subject", "MessageValidationInvalidSubject"),
    (
        "non-ASCII in a header value",
        {"custom_headers": [CustomHeader(name="X", value="\ufffe")]},
        "CustomHeaders[0].Value",
        "MessageValidationInvalidCustomHeaders",
    ),
    (
        "a colon in a header name",
        {"custom_headers": [CustomHeader(name="X:Y", value="v")]},
        "CustomHeaders[0].Name",
        "MessageValidationInvalidCustomHeaders",
    ),
    ("CR in the mailing id", {"mailing_id": "m\r"}, "MailingId", "MessageValidationInvalidCharacters"),
    ("CR in subject", {"subject": "Hi\rthere"}, "Subject", "MessageValidationInvalidSubject"),
    (
        "CRLF in a header name",
        {"custom_headers": [*_HEADERS, CustomHeader(name="X-C\r\nBcc", value="v")]},
        "CustomHeaders[2].Name",
        "MessageValidationInvalidCustomHeaders",
    ),
    (
        "LF in a header value",
        {"custom_headers": [*_HEADERS, CustomHeader(name="X-C", value="v\nBcc: x@evil.example")]},
        "CustomHeaders[2].Value",
        "MessageValidationInvalidCustomHeaders",
    ),
    (
        "CR in an attachment header",
        {
            "attachments": [
                Attachment(
                    name="a",
                    content="eA==",
                    content_type="text/plain",
                    custom_headers=[CustomHeader(name="X-A", value="v\r")],
                )
            ]
        },
        "Attachments[0].CustomHeaders[0].Value",
        "MessageValidationInvalidCustomHeaders",
    ),
    (
        "LF in an attachment name",
        {"attachments": [Attachment(name="a\n.txt", content="eA==", content_type="text/plain")]},
        "Attachments[0].Name",
        "InvalidAttachment",
    ),
    (
        "LF in the From name",
        {"from_": Address(email_address="noreply@example.com", friendly_name="Ex\nBcc: x@evil.example")},
        "From.FriendlyName",
        "EmailAddressValidationInvalidFrom",
    ),
    (
        "CR in the ReplyTo name",
        {"reply_to": Address(email_address="help@example.com", friendly_name="Help\r")},
        "ReplyTo.FriendlyName",
        "RecipientValidationInvalidReplyTo",
    ),
    (
        "CRLF in a To name",
        {"to": [_NAMED, Address(email_address="bob@example.com", friendly_name="Bob\r\n")]},
        "To[1].FriendlyName",
        "RecipientValidationInvalidRecipients",
    ),
    (
        "LF in a Cc name",
        {"cc": [Address(email_address="bob@example.com", friendly_name="B\nob")]},
        "Cc[0].FriendlyName",
        "RecipientValidationInvalidRecipients",
    ),
    (
        "LF in a Bcc name",
        {"bcc": [Address(email_address="bob@example.com", friendly_name="B\nob")]},
        "Bcc[0].FriendlyName",
        "RecipientValidationInvalidRecipients",
    ),
    (
        "LF in a merge RecipientName",
        {
            "to": _BULK_TO,
            "merge_data": _rows(
                [("DeliveryAddress", "a@example.com"), ("RecipientName", "Ann")],
                [("DeliveryAddress", "b@example.com"), ("recipientname", "B\nob")],
            ),
        },
        "MergeData.PerMessage[1].RecipientName",
        "RecipientValidationInvalidRecipients",
    ),
    (
        "a lone surrogate in the text body",
        {"text_body": "Hello \ud800"},
        "TextBody",
        "MessageValidationInvalidCharacters",
    ),
    (
        "a lone surrogate in a merge value",
        {
            "to": _BULK_TO,
            "merge_data": _rows([("DeliveryAddress", "a@example.com"), ("Code", "x\udfff")]),
        },
        "MergeData.PerMessage[0][1].Value",
        "MessageValidationInvalidCharacters",
    ),
]

XML_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("NUL in the text body", {"text_body": "a\x00b"}, "TextBody"),
    ("escape in the html body", {"html_body": "<p>\x1b[31m</p>"}, "HtmlBody"),
    (
        "form feed in a To name",
        {"to": [_NAMED, Address(email_address="b@example.com", friendly_name="\x0c")]},
        "To[1].FriendlyName",
    ),
    ("U+FFFE in the subject", {"subject": "Hi\ufffe"}, "Subject"),
    ("U+FFFF in a tag", {"tags": ["ok", "\uffff"]}, "Tags[1]"),
    (
        "a lone surrogate in metadata",
        {"metadata": [MetadataItem(key="k", value="\ud83d")]},
        "Metadata[0].Value",
    ),
    (
        "vertical tab in a merge global",
        {"merge_data": MergeData(global_=[MergeField(field="Brand", value="a\x0bb")])},
        "MergeData.Global[0].Value",
    ),
]


@pytest.mark.parametrize(("changes", "field", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_names_its_field(changes: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        validate_message(_message(**changes))
    assert (caught.value.field, caught.value.code) == (field, code)
    assert field in str(caught.value)
    assert isinstance(caught.value, SocketLabsError)


def test_limits_at_their_edges_pass() -> None:
    fifty = [Address(email_address=f"r{i}@example.com") for i in range(50)]
    validate_message(_message(to=fifty))
    rows = _rows(*[[("DeliveryAddress", f"r{i}@example.com")] for i in range(50)])
    validate_message(_message(to=_BULK_TO, merge_data=rows))
    # 12,800 bytes exactly: json.dumps of [{"Key": "k", "Value": "..."}] is 27 bytes + the value
    validate_message(_message(metadata=[MetadataItem(key="k", value="v" * (12_800 - 27))]))
    with pytest.raises(MessageValidationError):
        validate_message(_message(metadata=[MetadataItem(key="k", value="v" * (12_800 - 26))]))
    validate_message(_message(text_body="", api_template="7", amp_body="<html amp4email>"))
    validate_message(_message(text_body="", html_body="<p>x</p>", amp_body="<html amp4email>"))


def test_the_vendor_order_decides_which_error_comes_first() -> None:
    everything_wrong = _message(
        subject="", from_=Address(email_address="bad"), text_body="", to=[Address(email_address="bad")]
    )
    steps: list[tuple[Callable[[Message], None], str]] = [
        (lambda m: setattr(m, "subject", "ok"), "EmailAddressValidationInvalidFrom"),
        (
            lambda m: setattr(m, "from_", Address(email_address="a@example.com")),
            "MessageValidationEmptyMessage",
        ),
        (lambda m: setattr(m, "text_body", "x"), "RecipientValidationInvalidRecipients"),
    ]
    with pytest.raises(MessageValidationError) as caught:
        validate_message(everything_wrong)
    assert caught.value.code == "MessageValidationEmptySubject"
    for fix, next_code in steps:
        fix(everything_wrong)
        with pytest.raises(MessageValidationError) as caught:
            validate_message(everything_wrong)
        assert caught.value.code == next_code


def test_a_bulk_message_without_recipients_and_a_bad_merge_value_from_the_builder() -> None:
    with pytest.raises(MessageValidationError) as caught:
        BulkMessage(subject="Hi", from_="a@example.com", text="x").build()
    assert caught.value.field == "MergeData.PerMessage"
    bulk = BulkMessage(subject="Hi", from_="a@example.com", text="x")
    bulk.add_recipient("b@example.com", merge={"Count": 3})  # type: ignore[dict-item]
    with pytest.raises(MessageValidationError) as caught:
        bulk.build()
    assert caught.value.field == "MergeData.PerMessage[0][1].Value"


def test_a_basic_message_is_not_split() -> None:
    message = BasicMessage(
        subject="Hi", from_="a@example.com", text="x", to=[f"r{i}@example.com" for i in range(51)]
    )
    with pytest.raises(MessageValidationError) as caught:
        message.build()
    assert caught.value.code == "RecipientValidationMaxExceeded"


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("a@example.com", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("a@b", True),  # three characters is the shortest address
        ("", False),
        ("no-at.example.com", False),
        ("two@@example.com", False),
        ("@example.com", False),
        ("a@", False),
        ("a b@example.com", False),
        ("a;b@example.com", False),
        ("a,b@example.com", False),
        ("Ann <a@example.com>", False),
        ("a\x00@example.com", False),
        ("x" * 310 + "@example.com", False),
    ],
)
def test_address_syntax(address: str, valid: bool) -> None:
    assert is_valid_address(address) is valid


@pytest.mark.parametrize(
    ("changes", "field", "code"), [c[1:] for c in INJECTION_CASES], ids=[c[0] for c in INJECTION_CASES]
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_what_would_inject_headers_or_cannot_be_encoded_is_refused(
    changes: dict[str, Any], field: str, code: str, fmt: Format
) -> None:
    with pytest.raises(MessageValidationError) as caught:
        validate_message(_message(**changes), format=fmt)
    assert (caught.value.field, caught.value.code) == (field, code)
    with pytest.raises(MessageValidationError) as planned:  # and nothing is planned, so nothing is sent
        plan(_message(**changes), server_id=1, fmt=fmt)
    assert (planned.value.field, planned.value.code, planned.value.message_index) == (field, code, 0)


@pytest.mark.parametrize(("changes", "field"), [c[1:] for c in XML_CASES], ids=[c[0] for c in XML_CASES])
def test_characters_xml_cannot_hold_are_refused_for_an_xml_body(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        plan(_message(**changes), server_id=1, fmt="xml")
    assert (caught.value.field, caught.value.code) == (field, "MessageValidationInvalidCharacters")
    if field == "Metadata[0].Value":
        return  # a lone surrogate is refused in JSON too (above)
    # JSON escapes controls and U+FFFE/U+FFFF, so the same message is planned, and its bytes parse back.
    (request,) = plan(_message(**changes), server_id=1, fmt="json")
    assert json.loads(request.content) == request.wire


def test_tab_cr_lf_in_bodies_and_a_non_bmp_character_are_fine_in_both_formats() -> None:
    message = _message(
        text_body="a\tb\r\nc\n",
        html_body="<p>\U0001f600</p>",
        to=[Address(email_address="a@example.com", friendly_name="Ann \U0001f600")],
    )
    for fmt in ("json", "xml"):
        (request,) = plan(message, server_id=1, fmt=fmt)
        if fmt == "xml":
            _root, members = from_xml(request.content)
            assert members["Messages"][0]["HtmlBody"] == "<p>\U0001f600</p>"
        else:
            assert json.loads(request.content) == request.wire


def test_every_planned_xml_body_is_well_formed_and_carries_a_legacy_key() -> None:
    """What an XML plan produces always takes the ``ApiKey`` member (it was silently dropped before)."""
    bulk = BulkMessage(subject="Hi\t%%Code%%", from_=("noreply@example.com", "Ex <&> ample"), text="x & y")
    for i in range(120):
        bulk.add_recipient(f"r{i}@example.com", f"R&{i}", {"Code": f"<{i}>"})
    for request in plan(bulk, server_id=1, fmt="xml"):
        keyed = with_xml_member(request.content, "ApiKey", "legacy-key")
        assert keyed is not None
        assert from_xml(keyed)[1]["ApiKey"] == "legacy-key"
