"""``socketlabs_api.types.Record``: the value classes on the client's import path behave like attrs' did."""

from __future__ import annotations

import copy
import pickle
import weakref

import pytest
from socketlabs_api.operations import OPERATIONS, RateLimit
from socketlabs_api.types import Response
from socketlabs_client import ErrorDetail


def test_fields_compare_hash_and_show() -> None:
    detail = ErrorDetail("Invalid", "bad")
    assert detail == ErrorDetail(error_type="Invalid", message="bad")
    assert detail != ErrorDetail("Invalid", "other")
    assert hash(detail) == hash(ErrorDetail("Invalid", "bad"))
    assert repr(detail) == "ErrorDetail(error_type='Invalid', message='bad')"
    assert RateLimit(1, 2.0) == RateLimit(limit=1, period=2.0, match=None)  # defaults


def test_frozen_unless_said_otherwise() -> None:
    detail = ErrorDetail("Invalid", "bad")
    with pytest.raises(AttributeError, match="frozen"):
        detail.message = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="frozen"):
        del detail.message  # type: ignore[misc]
    response: Response[int] = Response(200, b"", {}, None)  # type: ignore[arg-type]
    response.parsed = 1
    assert response.parsed == 1
    with pytest.raises(TypeError):
        hash(response)


def test_wrong_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="missing required argument 'message'"):
        ErrorDetail("Invalid")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values"):
        ErrorDetail("Invalid", "bad", message="x")  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword"):
        ErrorDetail("Invalid", "bad", code=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="takes 2 arguments"):
        ErrorDetail("Invalid", "bad", "x")  # type: ignore[call-arg]


def test_copies_pickles_and_replaces() -> None:
    operation = next(iter(OPERATIONS.values()))
    assert pickle.loads(pickle.dumps(operation)) == operation  # noqa: S301 - our own bytes
    assert copy.copy(operation) == operation
    changed = operation.replace(accept="application/xml")
    assert changed.accept == "application/xml"
    assert operation.accept != "application/xml"  # the original is untouched
    assert changed.replace(accept=operation.accept) == operation
    assert weakref.ref(operation)() is operation
