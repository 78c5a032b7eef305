"""The CLI finds each operation's method through the operation table, wherever the client keeps it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from socketlabs_api.operations import OPERATIONS
from socketlabs_client.cli._ops import REPORTS, accepts, bound, unverified_note


def _op(operation_id: str) -> Any:
    return OPERATIONS[operation_id]


def test_every_operation_names_its_method_on_the_client() -> None:
    from socketlabs_client import SocketLabs

    with SocketLabs("k", 1, base_url="http://127.0.0.1:9/v2") as client:
        for op in OPERATIONS.values():
            assert callable(bound(client, op)), op.operation_id


def test_a_modeled_operation_is_found_under_unverified_first() -> None:
    moved = lambda **_: "unverified"  # noqa: E731
    kept = lambda **_: "typed"  # noqa: E731
    op = _op("getFailedDetail")
    assert op.confidence == "modeled"
    client = SimpleNamespace(
        reports=SimpleNamespace(failed_detail=kept),
        unverified=SimpleNamespace(reports=SimpleNamespace(failed_detail=moved)),
    )
    assert bound(client, op)() == "unverified"
    assert bound(SimpleNamespace(reports=SimpleNamespace(failed_detail=kept)), op)() == "typed"
    only_moved = SimpleNamespace(reports=SimpleNamespace(), unverified=client.unverified)
    assert bound(only_moved, op)() == "unverified"
    confirmed = _op("getMessageDetailReport")
    assert confirmed.confidence != "modeled"
    client.reports.messages_detail = kept
    client.unverified.reports.messages_detail = moved
    assert bound(client, confirmed)() == "typed"  # a known path is not looked for among the guesses
    with pytest.raises(LookupError, match="getFailedOverview"):
        bound(client, _op("getFailedOverview"))


def test_reports_come_from_the_spec_paths() -> None:
    failed = REPORTS["failed"]
    assert failed.views["detail"].operation_id == "getFailedDetail"
    assert failed.download is not None and failed.download.operation_id == "downloadFailed"
    assert REPORTS["messages"].download is None and REPORTS["messages"].default_view == "detail"
    assert REPORTS["marketing"].default_view == "mailings"


def test_only_modeled_paths_get_a_note() -> None:
    assert unverified_note(_op("getMessageDetailReport")) is None
    note = unverified_note(_op("getFailedOverview"))
    assert note is not None and "/reports/failed/overview" in note and "\n" not in note


def test_accepts_passes_only_what_the_method_takes() -> None:
    def method(*, start_date: str | None = None, max_items: int | None = None) -> None:
        return None

    assert accepts(method, {"start_date": "2026-01-01", "max_rows": 5, "max_items": None}) == {
        "start_date": "2026-01-01"
    }
