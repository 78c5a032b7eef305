"""The README's quickstart and the `socketlabs sandbox` command, run as a user runs them."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_runs_against_the_embedded_sandbox() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1. sent a message to 2 recipients: accepted=2" in out
    assert "a merge to 2: accepted=1, rejected=[('eve@unknown.invalid', 'InvalidAddress')]" in out
    assert "2. suppressed bounced@example.com: is_suppressed=True" in out
    assert "suppressed now: False" in out
    assert "NotFoundError (404)" in out
    assert "our welcome mail in the report: ['ann@example.com', 'bob@example.com']" in out
    assert "4. downloaded the suppression list: 25 rows streamed to suppressions.csv" in out
    assert (
        "5. received 7 of 7 webhook events: [('WebhookEventDelivered', 3), ('WebhookEventQueued', 3),"
        " ('WebhookEventTracking', 1)]" in out
    )
    assert out.rstrip().endswith("quickstart finished")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_sandbox_command_serves_until_stopped() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "socketlabs_client",
            "sandbox",
            "--port",
            str(port),
            "--server-id",
            "777",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.communicate()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v2/servers/777/suppressions/search")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the sandbox command did not start"
                time.sleep(0.05)
        assert response.status_code == 401
        assert response.json()["error"][0]["errorType"]
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f"export SOCKETLABS_BASE_URL=http://127.0.0.1:{port}/v2" in out
    assert "SOCKETLABS_SERVER_ID=777" in out
