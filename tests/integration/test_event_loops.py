"""One ``AsyncSocketLabs`` across event loops: every send is served on its own loop or refused unsent.

An httpx pool belongs to the loop that opened its connections. Reusing such a
connection from another loop once sent mail that the report then called
rejected: a caller who resent on that report sent twice. Hypothesis draws the
ways programs meet loops (``asyncio.run`` again and again, a loop in another
thread, a loop started inside a running one, a loop closed by hand) and checks,
against the sandbox's own count, that what the report says matches what was
delivered.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Callable, Coroutine
from typing import Any, Literal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_client import AsyncSocketLabs, BasicMessage, ClientStateError, Outcome, SendReport
from socketlabs_sandbox import Sandbox

Pattern = Literal["run", "thread", "inside", "closed"]
PATTERNS: tuple[Pattern, ...] = ("run", "thread", "inside", "closed")


def _in_thread(coroutine: Coroutine[Any, Any, SendReport]) -> SendReport:
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(_outcome(asyncio.run, coroutine)))
    thread.start()
    thread.join()
    return _unbox(box[0])


def _outcome(run: Callable[[Any], Any], coroutine: Coroutine[Any, Any, Any]) -> Any:
    try:
        return run(coroutine)
    except Exception as exc:  # handed back to the test's thread and raised there
        return exc


def _unbox(value: Any) -> SendReport:
    if isinstance(value, Exception):
        raise value
    report: SendReport = value
    return report


def _run(pattern: Pattern, client: AsyncSocketLabs, message: BasicMessage) -> SendReport:
    """Send ``message`` on a loop met the way ``pattern`` says."""
    if pattern == "run":
        return asyncio.run(client.send(message))
    if pattern == "thread":
        return _in_thread(client.send(message))
    if pattern == "inside":  # a second loop (in a thread) while this one runs and holds its pools

        async def outer() -> SendReport:
            await client.suppressions.check(email_address="warm@example.com")  # this loop's pools
            return await asyncio.to_thread(_in_thread, client.send(message))

        return asyncio.run(outer())
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(client.send(message))
    finally:
        loop.close()


def _message(number: int) -> BasicMessage:
    return BasicMessage(
        subject=f"loop {number}", from_="noreply@example.com", html="<p>x</p>", to=[f"r{number}@example.com"]
    )


def _client(sandbox: Sandbox, **options: Any) -> AsyncSocketLabs:
    return AsyncSocketLabs(
        api_key=sandbox.api_key,
        server_id=sandbox.server_id,
        base_url=sandbox.api_url,
        inject_url=sandbox.inject_url,
        rate_limiter=False,
        **options,
    )


def _collect() -> None:
    """Finalise the pools of ended loops now (their sockets), not in a later test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


LOOPS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _own_pools(sandbox: Sandbox, patterns: list[Pattern]) -> None:
    client = _client(sandbox)
    for number, pattern in enumerate(patterns):
        before = len(sandbox.state.sent)
        report = _run(pattern, client, _message(number))
        delivered = len(sandbox.state.sent) - before
        outcomes = [r.outcome for r in report.recipients]
        assert outcomes == [Outcome.ACCEPTED], (pattern, [r.detail for r in report.recipients])
        assert delivered == 1, pattern


def _given_transport(sandbox: Sandbox, patterns: list[Pattern]) -> None:
    client = _client(sandbox, transport=httpx.AsyncHTTPTransport())
    for number, pattern in enumerate(patterns):
        before = len(sandbox.state.sent)
        try:
            report = _run(pattern, client, _message(number))
        except ClientStateError:  # raised by the warm-up call of "inside", before its send
            assert len(sandbox.state.sent) == before
            continue
        delivered = len(sandbox.state.sent) - before
        (result,) = report.recipients
        if result.outcome is Outcome.REJECTED:
            assert delivered == 0, f"{pattern}: reported not sent, yet delivered"
            assert "ClientStateError" in result.detail
        else:
            assert result.outcome is Outcome.ACCEPTED
            assert delivered == 1


@LOOPS
@given(patterns=st.lists(st.sampled_from(PATTERNS), min_size=2, max_size=4))
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_client_that_made_its_pools_serves_every_loop(
    socketlabs_sandbox: Sandbox, patterns: list[Pattern]
) -> None:
    socketlabs_sandbox.reset()
    try:
        _own_pools(socketlabs_sandbox, patterns)
    finally:
        _collect()


@LOOPS
@given(patterns=st.lists(st.sampled_from(PATTERNS), min_size=2, max_size=4))
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_given_transport_serves_its_first_loop_and_refuses_others_unsent(
    socketlabs_sandbox: Sandbox, patterns: list[Pattern]
) -> None:
    socketlabs_sandbox.reset()
    try:
        _given_transport(socketlabs_sandbox, patterns)
    finally:
        _collect()
