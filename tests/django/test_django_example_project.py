"""examples/django_project against the sandbox: ``sendtestemail``, then its webhook view under runserver."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from socketlabs_sandbox import Sandbox

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "django_project"
SECRET = "example-project-secret"


@pytest.fixture
def env(socketlabs_sandbox: Sandbox) -> Iterator[dict[str, str]]:
    socketlabs_sandbox.reset()
    socketlabs_sandbox.events.secret = SECRET
    yield {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "SOCKETLABS_API_KEY": socketlabs_sandbox.api_key,
        "SOCKETLABS_SERVER_ID": str(socketlabs_sandbox.server_id),
        "SOCKETLABS_INJECT_URL": socketlabs_sandbox.inject_url,
        "SOCKETLABS_WEBHOOK_SECRETS": f"old-secret,{SECRET}",
    }
    socketlabs_sandbox.events.secret = socketlabs_sandbox.config.webhook_secret
    socketlabs_sandbox.events.webhook_url = socketlabs_sandbox.config.webhook_url


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sendtestemail_goes_through_the_backend(socketlabs_sandbox: Sandbox, env: dict[str, str]) -> None:
    done = _manage(env, "sendtestemail", "ann@example.com", "--admins")
    assert done.returncode == 0, done.stderr
    sent = sorted((s.address, s.from_address) for s in socketlabs_sandbox.state.sent)
    assert sent == [("ann@example.com", "noreply@example.com"), ("ops@example.com", "errors@example.com")]
    (message,) = [
        m
        for r in socketlabs_sandbox.state.requests
        for m in r["messages"]
        if m["to"][0]["emailaddress"] == "ann@example.com"
    ]  # type: ignore[index]
    assert message["subject"].startswith("Test email from")
    assert message["from"] == {"emailaddress": "noreply@example.com", "friendlyname": "Example"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_runserver_receives_the_sandbox_events(socketlabs_sandbox: Sandbox, env: dict[str, str]) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(PROJECT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:  # the server's own start-up, not a wait on the code under test
            try:
                welcome = httpx.get(f"{base}/welcome/bounce-ann@example.com/", timeout=10)
                break
            except httpx.ConnectError:
                assert server.poll() is None and time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.1)
        assert (welcome.status_code, welcome.json()) == (200, {"bounce-ann@example.com": "queued"})
        socketlabs_sandbox.events.webhook_url = f"{base}/anymail/socketlabs/tracking/"
        deliveries = socketlabs_sandbox.events.deliver()
        assert [(d.payload["Type"], d.status) for d in deliveries] == [("Queued", 200), ("Failed", 200)]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    assert "SocketLabs: queued for bounce-ann@example.com" in stderr
    assert "SocketLabs: bounced for bounce-ann@example.com" in stderr
    assert SECRET not in stderr
