"""The send path's wire dicts: what the generated models' ``to_dict()`` makes, byte for byte.

``plan`` builds a merge's bodies without a model per merge field (the first
chunk goes through the models and ``validate_message``, later rows get the
row checks alone). These tests hold it to the models: the same dicts, the
same bytes, the same recipients, and the same first error for bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from socketlabs_api.models import Address, InjectionRequest, MergeData, MergeField, Message
from socketlabs_client import (
    BasicMessage,
    BulkMessage,
    BulkRecipient,
    ConfigurationError,
    MessageValidationError,
    SendReport,
)
from socketlabs_client._injection import Format, RequestResult, _recipients_of, plan

SERVER = 4321


def _models_of(messages: list[Message], per_request: int = 10) -> list[InjectionRequest]:
    return [
        InjectionRequest(server_id=SERVER, messages=messages[i : i + per_request])
        for i in range(0, len(messages), per_request)
    ]


def _bytes(model: InjectionRequest) -> bytes:
    return json.dumps(model.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


def _assert_same_as_models(bulk: BulkMessage | BasicMessage | Message, per_message: int) -> None:
    """Everything ``plan`` makes equals what the models make for the same input."""
    if isinstance(bulk, BulkMessage):
        built = bulk.build(max_recipients=per_message)
    elif isinstance(bulk, BasicMessage):
        built = [bulk.build(max_recipients=per_message)]
    else:
        built = [bulk]
    planned = plan(bulk, server_id=SERVER, recipients_per_message=per_message)
    models = _models_of(built)
    assert [p.wire for p in planned] == [m.to_dict() for m in models]
    assert [p.content for p in planned] == [_bytes(m) for m in models]  # the same bytes, key order included
    assert [p.body.to_dict() for p in planned] == [m.to_dict() for m in models]  # the model view round-trips
    parts = [part for p in planned for part in p.parts]
    assert [part.recipients for part in parts] == [_recipients_of(m, 0) for m in built]


def _every_option(tmp_path: Path, **parts: Any) -> dict[str, Any]:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG...")
    options: dict[str, Any] = {
        "subject": "Hi %%RecipientName%% ü",
        "from_": ("noreply@example.com", "Example"),
        "reply_to": "Help <help@example.com>",
        "message_id": "%%Code%%",
        "mailing_id": "spring-2026",
        "charset": "UTF-8",
        "headers": {"X-Campaign": "spring"},
        "metadata": {"userId": "42"},
        "tags": ["Marketing"],
        "merge": {"Brand": "Example"},
    }
    options.update(parts)
    return options


def _recipients(bulk: BulkMessage) -> BulkMessage:
    """Chunks of 3: named and unnamed mixed, all unnamed, override fields that are dropped."""
    bulk.add_recipient("ann@example.com", "Ann", {"Code": "1"})
    bulk.add_recipient("bob@example.com", merge={"Code": "2", "DeliveryAddress": "x@example.com"})
    bulk.add_recipient(BulkRecipient("carl@example.com", "", {"recipientname": "ignored", "Code": "3"}))
    for i in range(4):  # one whole chunk without names, then one row alone
        bulk.add_recipient(f"u{i}@example.com", merge={"Code": str(10 + i), "Ünï": "ç"})
    bulk.add_recipient("Dan <dan@example.com>", merge={})
    return bulk


def test_a_merge_with_every_option_is_what_the_models_make(tmp_path: Path) -> None:
    bulk = _recipients(
        BulkMessage(
            **_every_option(tmp_path),
            text="Hello %%RecipientName%%",
            html='<p>%%Code%% <img src="cid:logo"></p>',
            amp="<html amp4email></html>",
        )
        .attach(b"hello", name="a.txt", headers={"X-A": "1"})
        .add_inline_image(tmp_path / "logo.png", "logo")
        .add_header("X-Priority", "1")
        .add_metadata("plan", "pro")
        .add_tag("Sale")
        .add_global_merge("Season", "spring")
    )
    _assert_same_as_models(bulk, per_message=3)
    _assert_same_as_models(bulk, per_message=50)


def test_a_template_merge_without_globals_is_what_the_models_make(tmp_path: Path) -> None:
    options = _every_option(tmp_path, merge=None, reply_to=None, headers=None, metadata=None, tags=())
    bulk = _recipients(BulkMessage(**options, api_template=7))
    _assert_same_as_models(bulk, per_message=2)
    _assert_same_as_models(bulk, per_message=1)


def test_many_chunks_pack_into_requests_as_the_models_do() -> None:
    bulk = BulkMessage(subject="Hi", from_="noreply@example.com", text="x")
    for i in range(1_234):
        bulk.add_recipient(f"r{i}@example.com", f"R{i}" if i % 7 else None, {"Code": str(i)})
    _assert_same_as_models(bulk, per_message=50)  # 25 messages: requests of 10, 10 and 5


def test_basic_messages_and_models_go_through_the_models(tmp_path: Path) -> None:
    basic = BasicMessage(**_every_option(tmp_path), text="x", to=["a@example.com"], cc=["b@example.com"])
    _assert_same_as_models(basic, per_message=50)
    model = Message(
        to=[Address(email_address="%%DeliveryAddress%%")],
        from_=Address(email_address="noreply@example.com"),
        subject="Hi",
        text_body="x",
        merge_data=MergeData(per_message=[[MergeField(field="deliveryaddress", value="a@example.com")]]),
    )
    _assert_same_as_models(model, per_message=50)


def test_request_results_take_the_wire_or_the_model() -> None:
    (planned,) = plan(
        BulkMessage(subject="s", from_="f@example.com", text="t", recipients=["a@example.com"]), server_id=1
    )
    from_model = RequestResult(0, planned.body, 1)
    from_wire = RequestResult(0, body=planned.wire, recipient_count=1)
    assert from_model.wire == from_wire.wire == planned.wire
    assert from_model.body == from_wire.body == planned.body


def test_a_dry_run_report_lists_recipients_in_message_order() -> None:
    bulk = BulkMessage(subject="s", from_="f@example.com", text="t")
    for i in range(120):
        bulk.add_recipient(f"r{i}@example.com")
    basic = BasicMessage(subject="s", from_="f@example.com", text="t", to=["z@example.com"])
    planned = plan([basic, bulk, basic], server_id=1, messages_per_request=2)
    from socketlabs_client._injection import _dry_report

    report: SendReport = _dry_report(planned)
    assert [r.message for r in report.recipients] == [0] + [1] * 120 + [2]
    assert [r.address for r in report.recipients][1:121] == [f"r{i}@example.com" for i in range(120)]


# ---------------------------------------------------------------- bad input


def _outcome(
    bulk: BulkMessage, per_message: int, fast: bool, fmt: Format = "json"
) -> tuple[str, str, int | None] | list[Any]:
    """The first error (field, code, message index), or the bodies, from the models or from ``plan``."""
    try:
        if fast:
            planned = plan([bulk], server_id=SERVER, recipients_per_message=per_message, fmt=fmt)
            for request in planned:
                request.content  # noqa: B018 - every planned body encodes
            return [p.wire for p in planned]
        return [m.to_dict() for m in _models_of(bulk.build(max_recipients=per_message, format=fmt))]
    except MessageValidationError as exc:
        return (exc.field, exc.code, exc.message_index if fast else 0)


ADDRESSES = st.sampled_from(
    ["a@example.com", "b@example.org", "bad", "x@", "@y", "a b@example.com", "a@b@c", "%%x%%@example.com", ""]
)
# What the wire cannot carry: line breaks in a name, controls XML refuses, U+FFFF, a lone surrogate.
AWKWARD = ["A\r\nBcc: x@evil.example", "a\nb", "\x00", "\x1b", "\uffff", "\ud800", "\t ok"]
TEXT = st.sampled_from(["", " ", "Code", "deliveryaddress", "RecipientName", "Ünï", "x", "K\x01", "K\udc00"])
VALUES: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(["", "v", "ç", *AWKWARD]), st.integers(0, 2), st.none()
)
ROWS = st.builds(
    BulkRecipient,
    address=st.one_of(ADDRESSES, st.integers(0, 1)),
    name=st.one_of(st.none(), st.sampled_from(["", "Ann", "%%Code%%", *AWKWARD]), st.integers(0, 1)),
    merge=st.dictionaries(TEXT, VALUES, max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(
    rows=st.lists(ROWS, min_size=1, max_size=9),
    per_message=st.integers(1, 4),
    fmt=st.sampled_from(["json", "xml"]),
)
def test_any_rows_give_the_models_bodies_or_their_first_error(
    rows: list[BulkRecipient], per_message: int, fmt: Format
) -> None:
    bulk = BulkMessage(subject="Hi", from_="noreply@example.com", text="x", recipients=rows)
    try:
        expected = _outcome(bulk, per_message, fast=False, fmt=fmt)
    except (TypeError, AttributeError) as exc:  # a row the model path cannot even build
        with pytest.raises(type(exc)):
            _outcome(bulk, per_message, fast=True, fmt=fmt)
        return
    assert _outcome(bulk, per_message, fast=True, fmt=fmt) == expected


@pytest.mark.parametrize(
    ("name", "merge", "fmt", "field", "code"),
    [
        (
            "B\r\nBcc: x@evil.example",
            {},
            "json",
            "MergeData.PerMessage[3].RecipientName",
            "RecipientValidationInvalidRecipients",
        ),
        (
            None,
            {"Code": "\x00"},
            "xml",
            "MergeData.PerMessage[3][1].Value",
            "MessageValidationInvalidCharacters",
        ),
        (
            None,
            {"Code": "\ud800"},
            "json",
            "MergeData.PerMessage[3][1].Value",
            "MessageValidationInvalidCharacters",
        ),
    ],
)
def test_a_row_the_wire_cannot_carry_far_into_a_merge_is_refused(
    name: str | None, merge: dict[str, str], fmt: Format, field: str, code: str
) -> None:
    bulk = BulkMessage(subject="Hi", from_="noreply@example.com", text="x")
    for i in range(60):
        bulk.add_recipient(f"r{i}@example.com", merge={"Code": str(i)})
    bulk.recipients[53] = BulkRecipient("bad@example.com", name, merge or {"Code": "1"})
    with pytest.raises(MessageValidationError) as caught:
        plan(bulk, server_id=1, fmt=fmt)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert _outcome(bulk, 50, fast=True, fmt=fmt)[:2] == (field, code)


def test_a_bad_row_far_into_a_merge_is_named_as_the_models_name_it() -> None:
    bulk = BulkMessage(subject="Hi", from_="noreply@example.com", text="x")
    for i in range(130):
        bulk.add_recipient(f"r{i}@example.com", merge={"Code": str(i)})
    bulk.recipients[123] = BulkRecipient("not-an-address", None, {})
    with pytest.raises(MessageValidationError) as caught:
        plan(
            [BasicMessage(subject="s", from_="f@example.com", text="t", to=["a@example.com"]), bulk],
            server_id=1,
        )
    error = caught.value
    assert (error.field, error.code, error.message_index) == (
        "MergeData.PerMessage[23].DeliveryAddress",
        "RecipientValidationInvalidRecipients",
        1,
    )


def test_limits_are_checked_before_the_fast_path() -> None:
    with pytest.raises(ConfigurationError):
        plan(BulkMessage(subject="s", from_="f@example.com", text="t"), server_id=1, recipients_per_message=0)
    with pytest.raises(MessageValidationError) as caught:
        plan(BulkMessage(subject="s", from_="f@example.com", text="t"), server_id=1)
    assert caught.value.code == "RecipientValidationMissingTo"
