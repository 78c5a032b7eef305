"""The ledger fails closed: a Redis that forgot, or that dies mid-batch, never makes it send twice.

A real redis-server per test, killed (SIGKILL) and restarted on the same port,
with or without its append-only file; the sandbox over HTTP counts what it
accepted per address, and that count (not the client's report) says whether
anyone was mailed twice.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_client import (
    AsyncSocketLabs,
    BulkMessage,
    ConfigurationError,
    EntryState,
    LedgerNotDurableError,
    LedgerUnavailableError,
    Resolution,
    SendLedger,
    SendReport,
    SocketLabs,
    SocketLabsError,
)
from socketlabs_sandbox import Sandbox

redis = pytest.importorskip("redis", reason="the `redis` extra is not installed")


class RedisProcess:
    """One redis-server on a fixed port and directory, killed and restarted at will."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, durable: bool) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        args += ["--save", ""]
        args += ["--appendonly", "yes", "--appendfsync", "always"] if durable else ["--appendonly", "no"]
        if not durable:
            for leftover in self.directory.glob("*.aof*"):  # a restart without its file forgets
                if leftover.is_dir():
                    for part in leftover.iterdir():
                        part.unlink()
                    leftover.rmdir()
                else:
                    leftover.unlink()
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        probe = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    probe.ping()
                    return
                except redis.exceptions.BusyLoadingError:
                    pass
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"redis-server did not start on port {self.port}")
                time.sleep(0.02)
        finally:
            probe.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@pytest.fixture
def server(redis_binary: str, tmp_path: Path) -> Iterator[RedisProcess]:
    made = RedisProcess(redis_binary, tmp_path)
    yield made
    made.kill()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def _client(sb: Sandbox) -> SocketLabs:
    return SocketLabs(
        api_key=sb.api_key, server_id=sb.server_id, base_url=sb.api_url, inject_url=sb.inject_url
    )


def _bulk(count: int) -> BulkMessage:
    bulk = BulkMessage(subject="Hi %%Code%%", from_="news@example.com", text="Code %%Code%%")
    for i in range(count):
        bulk.add_recipient(f"r{i}@example.com", merge={"Code": str(i)})
    return bulk


def _ledger(url: str, **options: Any) -> SendLedger:
    return SendLedger(url, prefix="closed", stale_after=0, visibility_lag=0, **options)


def test_a_redis_without_persistence_is_refused_before_anything_is_sent(
    sandbox: Sandbox, server: RedisProcess
) -> None:
    sandbox.reset()
    server.start(durable=False)
    ledger = _ledger(server.url)
    with _client(sandbox) as client, pytest.raises(LedgerNotDurableError, match="appendonly yes") as caught:
        ledger.send(client, _bulk(3), key="k")
    assert isinstance(caught.value, ConfigurationError)
    assert sandbox.processed_per_recipient() == {}
    ledger.close()


def test_a_restart_that_lost_the_ledger_sends_nothing_twice(sandbox: Sandbox, server: RedisProcess) -> None:
    """The finding: 120 of 120 recipients sent twice after a restart without persistence."""
    sandbox.reset()
    server.start(durable=False)
    ledger = _ledger(server.url, require_persistence=False)
    bulk = _bulk(120)
    with _client(sandbox) as client:
        first = ledger.send(client, bulk, key="campaign")
        assert first.sent == 120
        server.kill()
        server.start(durable=False)  # everything the ledger knew is gone
        again = ledger.send(client, bulk, key="campaign")
        assert again.sent == 0
        assert len(again.in_doubt) == 120
        resolved = ledger.resolve_in_doubt(client, again)
        assert {e.state for e in ledger.entries("campaign")} == {EntryState.ACCEPTED}
        assert resolved.queries >= 1
        third = ledger.send(client, bulk, key="campaign")
    assert third.sent == 0
    assert third.done
    assert max(sandbox.processed_per_recipient().values()) == 1
    ledger.close()


def test_a_never_sent_batch_after_a_loss_is_sent_once_doubt_is_resolved(
    sandbox: Sandbox, server: RedisProcess
) -> None:
    sandbox.reset()
    server.start(durable=False)
    ledger = _ledger(server.url, require_persistence=False)
    with _client(sandbox) as client:
        ledger.send(client, _bulk(2), key="before")
        server.kill()
        server.start(durable=False)
        fresh = ledger.send(client, _bulk(5), key="after")  # unknown: it may have been in the lost part
        assert fresh.sent == 0
        assert len(fresh.in_doubt) == 5
        resolved = ledger.resolve_in_doubt(client, fresh)
        assert resolved.count(Resolution.NOT_FOUND) == 5  # its message ids are not in the report
        sent = ledger.send(client, _bulk(5), key="after")
    assert sent.sent == 5
    assert sent.done
    ledger.close()


class _KillingClient:
    """A client that kills Redis just before, or just after, its ``step``-th request."""

    def __init__(self, client: SocketLabs, server: RedisProcess, step: int, after: bool) -> None:
        self.client = client
        self.server = server
        self.step = step
        self.after = after
        self.requests = 0
        self.reports: list[SendReport] = []

    def send(self, messages: Any, **options: Any) -> SendReport:
        if options.get("dry_run"):
            return self.client.send(messages, **options)
        if self.requests == self.step and not self.after:
            self.server.kill()
        report = self.client.send(messages, **options)
        self.reports.append(report)
        if self.requests == self.step and self.after:
            self.server.kill()
        self.requests += 1
        return report


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(step=st.integers(0, 3), after=st.booleans(), durable_restart=st.booleans())
def test_redis_killed_at_any_step_of_a_batch_never_sends_twice(
    sandbox: Sandbox, server: RedisProcess, step: int, after: bool, durable_restart: bool
) -> None:
    sandbox.reset()
    server.kill()
    for leftover in server.directory.iterdir():
        if leftover.is_dir():
            for part in leftover.iterdir():
                part.unlink()
            leftover.rmdir()
        else:
            leftover.unlink()
    server.start(durable=True)
    ledger = _ledger(server.url)
    bulk = _bulk(8)  # four requests of two recipients
    with _client(sandbox) as client:
        killer = _KillingClient(client, server, step, after)
        with pytest.raises(LedgerUnavailableError) as caught:
            ledger.send(
                killer, bulk, key="batch", recipients_per_message=2, messages_per_request=1, concurrency=1
            )
        error = caught.value
        assert isinstance(error, SocketLabsError)
        accepted = sum(len(r.accepted) for r in killer.reports)
        if accepted:  # the API took mail: what it took reaches the caller
            assert error.report is not None
            assert {e.address for e in error.report.accepted} >= {
                r.address for report in killer.reports for r in report.accepted
            }
        server.start(durable=durable_restart)
        ledger.close()
        for _ in range(3):  # send, resolve what is in doubt, send again until done
            report = ledger.send(client, bulk, key="batch", recipients_per_message=2, messages_per_request=1)
            if report.done:
                break
            ledger.resolve_in_doubt(client, report)
    processed = sandbox.processed_per_recipient()
    assert max(processed.values()) == 1
    assert len(processed) == 8
    assert report.done
    ledger.close()


async def test_async_send_keeps_the_report_when_redis_dies_after_the_api_accepted(
    sandbox: Sandbox, server: RedisProcess
) -> None:
    sandbox.reset()
    server.start(durable=True)
    ledger = _ledger(server.url)

    class Killing:
        def __init__(self, client: AsyncSocketLabs) -> None:
            self.client = client

        async def send(self, messages: Any, **options: Any) -> SendReport:
            report = await self.client.send(messages, **options)
            if not options.get("dry_run"):
                server.kill()
            return report

    async with AsyncSocketLabs(
        api_key=sandbox.api_key,
        server_id=sandbox.server_id,
        base_url=sandbox.api_url,
        inject_url=sandbox.inject_url,
    ) as client:
        with pytest.raises(LedgerUnavailableError) as caught:
            await ledger.send_async(  # one request at a time: the second is claimed after the kill
                Killing(client),
                _bulk(4),
                key="a",
                concurrency=1,
                recipients_per_message=2,
                messages_per_request=1,
            )
    report = caught.value.report
    assert report is not None
    assert len(report.accepted) == 2  # the first request went; the second was never claimed or sent
    assert len(report.free) == 2
    assert sum(sandbox.processed_per_recipient().values()) == 2
    await ledger.aclose()
