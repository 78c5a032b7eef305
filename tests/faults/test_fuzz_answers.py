"""Hypothesis writes the server's answer; the client must end in a result or a typed error, in time.

Status, headers (``Retry-After`` in every form, content types and encodings), body
(bytes, JSON of any shape, deep nesting) and truncation are drawn at random and
sent by a raw server on 127.0.0.1, to a read and to a send, sync and async.
Whatever comes back: no exception but ``SocketLabsError``, no call past its
deadline, and a send report with one result per recipient.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import warnings
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_client import (
    AsyncSocketLabs,
    BasicMessage,
    Outcome,
    RetryPolicy,
    ShapeDriftWarning,
    SocketLabs,
    SocketLabsError,
)

from .rawserver import RawServer, response

KEY = "fuzzKey0123456789abcd.fuzzSecret0123456789012345678901234567890"
POLICY = RetryPolicy(
    max_retries=1, initial_backoff=0.01, max_backoff=0.02, max_retry_after=0.05, deadline=2.0
)
BOUND = 2.0 + 1.0  # the deadline, plus one connect timeout's worth of slack

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 50_000).map(lambda d: b"[" * d + b"]" * d),
    st.sampled_from(
        [
            b'{"data": {"emailAddress": "a@example.com", "isSuppressed": false}}',
            b'{"ErrorCode": "Success", "MessageResults": []}',
            b'{"ErrorCode": "OverQuota"}',
            b'{"ErrorCode": "Warning", "MessageResults": [{"Index": 0, "AddressResults": null}]}',
            b'{"error": [{"errorType": "X", "message": "' + KEY.encode() + b'"}]}',
            b'{"data": {"emailAddress": "a", "isSuppressed": true, "lastUpdate": "99999-13-45T99:99:99"}}',
        ]
    ),
)
retry_after = st.one_of(
    st.none(),
    st.sampled_from(
        ["inf", "-inf", "nan", "1e400", "1e300", "-1", "0", "0.01", "99999", "Wed, 21 Oct 2015 07:28:00 GMT"]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)
answers = st.fixed_dictionaries(
    {
        "status": st.sampled_from(
            [200, 201, 204, 299, 400, 401, 403, 404, 408, 409, 418, 429, 500, 502, 503, 504]
        ),
        "content_type": st.sampled_from(
            [
                "application/json",
                "application/json; charset=bogus",
                "text/plain",
                "text/csv",
                "application/xml",
                "",
            ]
        ),
        "encoding": st.sampled_from([None, "gzip", "deflate", "br", "identity", "bogus"]),
        "retry_after": retry_after,
        "body": bodies,
        "length_delta": st.sampled_from([0, 0, 0, -1, 5]),
    }
)


def _script(answer: dict[str, Any]) -> list[Any]:
    headers = [("Content-Type", answer["content_type"])] if answer["content_type"] else []
    if answer["encoding"]:
        headers.append(("Content-Encoding", answer["encoding"]))
    if answer["retry_after"] is not None:
        headers.append(("Retry-After", answer["retry_after"]))
    body = answer["body"]
    length = max(0, len(body) + answer["length_delta"])
    return [response(answer["status"], body, headers, length=length), None]


def _urls(raw: RawServer) -> dict[str, Any]:
    return {
        "base_url": f"{raw.url}/v2",
        "inject_url": f"{raw.url}/api/v1",
        "management_url": f"{raw.url}/v1",
    }


MESSAGE = BasicMessage(subject="s", from_="f@example.com", text="t", to=["a@example.com", "b@example.com"])
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check_report(report: Any) -> None:
    assert len(report.recipients) == 2
    assert all(r.outcome in (Outcome.ACCEPTED, Outcome.REJECTED, Outcome.IN_DOUBT) for r in report.recipients)


@contextlib.contextmanager
def _drift_recorded() -> Iterator[list[warnings.WarningMessage]]:
    """An answer with none of the modeled members is also named in a ShapeDriftWarning (the typed
    error follows): recorded here instead of raised, so the error is what the fuzz judges."""
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always", ShapeDriftWarning)
        yield found


@FUZZ
@given(answer=answers)
def test_any_answer_to_a_sync_call_is_a_result_or_a_typed_error(
    raw: RawServer, answer: dict[str, Any]
) -> None:
    script = _script(answer)
    raw.script = lambda _: script
    with (
        SocketLabs(KEY, 1, retry=POLICY, timeout=1.0, rate_limiter=False, **_urls(raw)) as client,
        _drift_recorded() as drifted,
    ):
        start = time.monotonic()
        try:
            client.suppressions.check(email_address="a@example.com")
        except SocketLabsError as error:
            assert KEY not in str(error)
        assert all(KEY not in str(w.message) for w in drifted)
        _check_report(client.send(MESSAGE))
        assert time.monotonic() - start < 2 * BOUND


@FUZZ
@given(answer=answers)
def test_any_answer_to_an_async_call_is_a_result_or_a_typed_error(
    raw: RawServer, answer: dict[str, Any]
) -> None:
    script = _script(answer)
    raw.script = lambda _: script

    async def run() -> None:
        async with AsyncSocketLabs(
            KEY, 1, retry=POLICY, timeout=1.0, rate_limiter=False, **_urls(raw)
        ) as client:
            start = time.monotonic()
            with _drift_recorded() as drifted:
                try:
                    await client.suppressions.check(email_address="a@example.com")
                except SocketLabsError as error:
                    assert KEY not in str(error)
            assert all(KEY not in str(w.message) for w in drifted)
            _check_report(await client.send(MESSAGE))
            assert time.monotonic() - start < 2 * BOUND

    asyncio.run(run())
