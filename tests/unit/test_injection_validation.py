"""Every rule checked before sending: the error names the field and the rule, in the vendor's order."""

from __future__ import annotations

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
    ("template not a number", {"text_body": "", "api_template": "abc"}, "ApiTemplate", "InvalidTemplateId"),
    ("template zero", {"text_body": "", "api_template": "0"}, "ApiTemplate", "InvalidTemplateId"),
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
    ("no to", {"to": []}, "To", "RecipientValidationMissingTo"),
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
