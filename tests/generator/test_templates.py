"""The custom templates' promises, checked on the generated package itself."""

from __future__ import annotations

import datetime
import inspect
from typing import Any

import pytest
from socketlabs_api import resources
from socketlabs_api.models import (
    InjectionErrorCode,
    InjectionResponse,
    MessageDetail,
    MessageStatus,
    Suppression,
)
from socketlabs_api.operations import OPERATIONS, Operation
from socketlabs_api.types import parse_date, parse_datetime, remap_keys


def test_member_names_match_in_any_case_and_unknown_members_are_kept() -> None:
    parsed = InjectionResponse.from_dict(
        {
            "errorCode": "Warning",
            "TRANSACTIONRECEIPT": None,
            "messageresults": [{"index": 0, "errorcode": "NoValidRecipients", "AddressResults": None}],
            "BrandNewField": {"x": 1},
        }
    )
    assert parsed.error_code is InjectionErrorCode.WARNING
    assert parsed.message_results[0].error_code is InjectionErrorCode.NOVALIDRECIPIENTS
    assert parsed.additional_properties == {"BrandNewField": {"x": 1}}


def test_exact_name_wins_over_a_case_variant() -> None:
    assert remap_keys({"to": "a", "TO": "b"}, ("to",)) == {"to": "a", "TO": "b"}
    assert remap_keys({"To": "b"}, ("to",)) == {"to": "b"}
    with pytest.raises(TypeError):
        remap_keys(["not", "an", "object"], ("to",))  # type: ignore[arg-type]


def test_unknown_enum_values_are_kept_not_crashed_on() -> None:
    status = MessageStatus("Bounced")
    assert isinstance(status, MessageStatus)
    assert status == "Bounced"
    assert not status.is_known
    assert MessageStatus("delivered") is MessageStatus.DELIVERED
    assert MessageStatus.DELIVERED.is_known
    detail = MessageDetail.from_dict(
        {
            "messageId": "1",
            "to": "a@example.com",
            "status": "Quarantined",
            "queuedTime": "2024-01-01T00:00:00Z",
        }
    )
    assert detail.status == "Quarantined"
    assert detail.to_dict()["status"] == "Quarantined"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2022-02-28+02:00",
            datetime.datetime(2022, 2, 28, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        ),
        ("2022-02-28", datetime.datetime(2022, 2, 28, tzinfo=datetime.UTC)),
        ("2022-02-28Z", datetime.datetime(2022, 2, 28, tzinfo=datetime.UTC)),
        (
            "2023-06-12T10:04:56.3694682Z",
            datetime.datetime(2023, 6, 12, 10, 4, 56, 369468, tzinfo=datetime.UTC),
        ),
        ("2023-06-12t10:04:56z", datetime.datetime(2023, 6, 12, 10, 4, 56, tzinfo=datetime.UTC)),
        ("2023-06-12T10:04:56", datetime.datetime(2023, 6, 12, 10, 4, 56, tzinfo=datetime.UTC)),
        (
            "2023-06-12T10:04:56-05:30",
            datetime.datetime(
                2023, 6, 12, 10, 4, 56, tzinfo=datetime.timezone(-datetime.timedelta(hours=5, minutes=30))
            ),
        ),
    ],
)
def test_dates_in_every_documented_form(text: str, expected: datetime.datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_dates_in_models_use_the_robust_parser() -> None:
    entry = Suppression.from_dict(
        {"emailAddress": "a@example.com", "suppressionLastUpdate": "2022-02-28-03:00"}
    )
    assert entry.suppression_last_update == datetime.datetime(
        2022, 2, 28, tzinfo=datetime.timezone(-datetime.timedelta(hours=3))
    )
    assert parse_date("2022-02-28T23:00:00+02:00") == datetime.date(2022, 2, 28)
    with pytest.raises(ValueError):
        parse_datetime("yesterday")
    with pytest.raises(TypeError):
        parse_datetime(12)


def _class_name(operation: Operation, prefix: str = "") -> str:
    """The resource class of an operation: ``Unverified...`` when its path is modeled."""
    tier = "Unverified" if operation.unverified else ""
    return prefix + tier + "".join(part.capitalize() for part in operation.tag.split("_"))


def test_every_operation_has_a_typed_sync_and_async_method() -> None:
    for operation in OPERATIONS.values():
        for prefix in ("", "Async"):
            cls = getattr(resources, _class_name(operation, prefix))
            methods = {
                name: fn
                for name, fn in inspect.getmembers(cls, inspect.isfunction)
                if not name.startswith("_")
            }
            # Each generated method names its operation exactly once in its body.
            owners = [
                n
                for n, fn in methods.items()
                if f'OPERATIONS["{operation.operation_id}"]' in inspect.getsource(fn)
            ]
            assert len(owners) == 1, (prefix, operation.operation_id, owners)
            fn = methods[owners[0]]
            hints = inspect.get_annotations(fn)
            assert "return" in hints
            # Plain data (an unverified path, or an answer the spec leaves open) is typed Any.
            assert hints["return"] != "None"
            plain = hints["return"] is Any or str(hints["return"]) in ("Any", "Response[Any]")
            assert plain == (
                (operation.unverified and operation.pagination is None) or operation.server == "marketing"
            ), operation.operation_id
            if operation.pagination is None:
                assert inspect.iscoroutinefunction(fn) == bool(prefix)
            else:  # a pager (or CSV stream) is returned at once; its iteration is async
                assert not inspect.iscoroutinefunction(fn)
                pager = {"page": "Pager", "csv": "CsvDownload"}[operation.pagination]
                assert getattr(hints["return"], "__name__", str(hints["return"])).startswith(prefix + pager)


def test_every_operation_carries_its_source_and_confidence() -> None:
    for operation in OPERATIONS.values():
        assert operation.source
        assert operation.confidence in ("confirmed", "observed", "modeled")
        assert operation.retry in ("idempotent", "send", "once")
        assert operation.server in ("api", "injection", "management", "marketing")
        assert operation.unverified == (operation.confidence == "modeled")
        if operation.method == "POST" and operation.operation_id.startswith("create"):
            assert operation.retry == "once", (
                f"{operation.operation_id} creates: it may not be repeated blindly"
            )
    assert OPERATIONS["sendEmail"].retry == "send"
    assert OPERATIONS["listDkimKeys"].server == "management"
    assert OPERATIONS["getMessageDetailReport"].rate_limit_family == "reports-message"


def test_docstrings_say_plainly_which_calls_are_modeled() -> None:
    """A modeled call says so in its docstring; a call whose path is known does not."""
    for operation in OPERATIONS.values():
        cls = getattr(resources, _class_name(operation))
        (doc,) = [
            fn.__doc__ or ""
            for _, fn in inspect.getmembers(cls, inspect.isfunction)
            if f'OPERATIONS["{operation.operation_id}"]' in inspect.getsource(fn)
        ]
        assert ("Unverified: the docs name this feature" in doc) == (operation.confidence == "modeled"), (
            operation.operation_id
        )
        assert f"Confidence: {operation.confidence}" in doc
