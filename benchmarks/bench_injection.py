"""Benchmark (not a test): 10,000 merge recipients through the sandbox, our client vs the vendor's library.

    PYTHONPATH=overrides:generated python benchmarks/bench_injection.py \\
        [--recipients N] [--concurrency N] [--plain] [--rtt MS [MS ...]]

Both clients send the same bulk (merge) message to the same sandbox, served
over TLS with a throw-away self-signed certificate (``openssl`` makes it) by
uvicorn in a child process, so the server's work does not share the clients'
interpreter. ``--plain`` serves plain HTTP instead (it flatters the vendor,
which then skips its per-request TLS handshake).

How the vendor's library is pointed at the sandbox: its
``core.httprequest`` module opens ``http.client.HTTPSConnection(host)``, always
on port 443, for every request. The benchmark replaces that module's ``http``
name with one whose ``HTTPSConnection`` connects to the sandbox's port with an
SSL context that trusts the certificate (or a plain ``HTTPConnection`` with
``--plain``); the rest of its send path runs as shipped. It sends its maximum,
one message of 50 merge recipients per request (the library is "limited to
one" message per request), one request after another, as its ``send`` does.

Ours: ``client.send(bulk)`` packs 50 recipients per message and 10 messages
per request and keeps ``--concurrency`` requests in flight (default: what
``send`` uses by default) over pooled keep-alive connections (sync: a thread
pool; async: tasks).

Loopback has no network latency, which is where one-message-per-request on a
fresh TLS connection costs most (TCP and TLS handshakes, then the request:
three round trips each time), and the real API is never on loopback.
``--rtt MS [MS ...]`` (default ``0 30``) runs every client once per
round-trip time, against the same sandbox: for ``MS > 0`` through a relay
(another child process) that holds every chunk of bytes, in each direction,
for half of MS before passing it on, and the first bytes of a new
connection one round trip more (the TCP handshake, which loopback makes
free): a round-trip time without a bandwidth limit, the same for both
clients. 30 ms is a short trip to a US data centre
from the same coast; from Europe it is 80-120 ms.

It prints, per round-trip time and client: seconds, recipients
("messages", one per recipient) per second, requests, recipients per
request; and the ratios. Speed is never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import httpx
from socketlabs_client import AsyncSocketLabs, BulkMessage, SocketLabs
from socketlabs_client._injection import SendOptions
from socketlabs_sandbox import DEFAULT_API_KEY, DEFAULT_SERVER_ID

Row = tuple[float, int, int]
"""One client's run: seconds, requests, recipients accepted."""

WATCHDOG = """
import os, sys, threading
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
"""

CHILD = """
import socket, sys, uvicorn
from socketlabs_sandbox import SandboxConfig
from socketlabs_sandbox._app import SandboxApp
from socketlabs_sandbox._state import SandboxState

certfile, keyfile = sys.argv[1] or None, sys.argv[2] or None
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
config = uvicorn.Config(
    SandboxApp(SandboxState(SandboxConfig())), log_level="warning", access_log=False, lifespan="off",
    ssl_certfile=certfile, ssl_keyfile=keyfile, timeout_keep_alive=30,
)
uvicorn.Server(config).run(sockets=[sock])
"""


RELAY = """
import asyncio, sys, time

upstream, delay = int(sys.argv[1]), float(sys.argv[2]) / 2000

async def pipe(reader, writer, not_before=0.0):
    queue = asyncio.Queue()

    async def deliver():
        while (item := await queue.get()) is not None:
            due, chunk = item
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(chunk)
            await writer.drain()
        writer.close()

    sender = asyncio.ensure_future(deliver())
    try:
        while chunk := await reader.read(65536):
            queue.put_nowait((max(time.monotonic() + delay, not_before), chunk))
    except OSError:
        pass
    queue.put_nowait(None)
    await sender

async def handle(client_reader, client_writer):
    # The TCP handshake: the client's first bytes would leave one round trip after
    # connect() began and arrive half of one later; on loopback, connect() is instant.
    opened = time.monotonic()
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", upstream)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer, opened + 3 * delay),
                         pipe(server_reader, client_writer),
                         return_exceptions=True)

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            shutil.which("openssl") or "openssl",
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _start(script: str, *args: str) -> tuple[subprocess.Popen[str], int]:
    """Run one of the child scripts; it prints the port it listens on."""
    child = subprocess.Popen(
        [sys.executable, "-c", WATCHDOG + script, *args],
        stdin=subprocess.PIPE,  # closed when this process ends, however it ends: the child follows
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None
    port = int(child.stdout.readline())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # wait until it accepts connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return child, port
        except OSError:
            time.sleep(0.05)
    child.kill()
    raise SystemExit("the sandbox did not start")


def _message(recipients: int, prefix: str) -> BulkMessage:
    bulk = BulkMessage(
        subject="Hello %%RecipientName%%",
        from_=("noreply@example.com", "Example"),
        html="<p>Your code is %%Code%%</p>",
        text="Your code is %%Code%%",
        mailing_id=f"bench-{prefix}",
    )
    for i in range(recipients):
        bulk.add_recipient(f"{prefix}{i}@example.com", f"R{i}", {"Code": str(i)})
    return bulk


def _vendor(port: int, recipients: int, context: ssl.SSLContext | None, prefix: str) -> Row:
    from socketlabs.injectionapi import SocketLabsClient
    from socketlabs.injectionapi.core import httprequest
    from socketlabs.injectionapi.message.bulkmessage import BulkMessage as VBulk
    from socketlabs.injectionapi.message.emailaddress import EmailAddress
    from socketlabs.injectionapi.sendresult import SendResult

    opened: list[http.client.HTTPConnection] = []

    def connect(
        host: str, port_: int | None = None, timeout: float | None = None
    ) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if context is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        else:
            connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
        opened.append(connection)  # it never closes them; we do, after timing
        return connection

    httprequest.http = types.SimpleNamespace(client=types.SimpleNamespace(HTTPSConnection=connect))  # type: ignore[attr-defined]
    client = SocketLabsClient(DEFAULT_SERVER_ID, DEFAULT_API_KEY)
    messages = []
    for start in range(0, recipients, 50):
        message = VBulk()
        message.subject = "Hello %%RecipientName%%"
        message.from_email_address = EmailAddress("noreply@example.com", "Example")
        message.html_body = "<p>Your code is %%Code%%</p>"
        message.plain_text_body = "Your code is %%Code%%"
        message.mailing_id = "bench-vendor"
        for i in range(start, min(start + 50, recipients)):
            message.add_to_recipient(f"{prefix}{i}@example.com", f"R{i}", {"Code": str(i)})
        messages.append(message)
    began = time.perf_counter()
    accepted = 0
    for message in messages:
        response = client.send(message)
        if response.result is SendResult.Success:
            accepted += len(message.to_recipient)
    elapsed = time.perf_counter() - began
    for connection in opened:
        connection.close()
    return elapsed, len(messages), accepted


def _ours_sync(url: str, recipients: int, concurrency: int, verify: Any, prefix: str) -> Row:
    bulk = _message(recipients, prefix)
    transport = httpx.HTTPTransport(verify=verify)
    with SocketLabs(
        api_key=DEFAULT_API_KEY, server_id=DEFAULT_SERVER_ID, inject_url=url, transport=transport
    ) as client:
        began = time.perf_counter()
        report = client.send(bulk, concurrency=concurrency)
        elapsed = time.perf_counter() - began
    return elapsed, len(report.requests), len(report.accepted)


def _ours_async(url: str, recipients: int, concurrency: int, verify: Any, prefix: str) -> Row:
    bulk = _message(recipients, prefix)

    async def run() -> Row:
        transport = httpx.AsyncHTTPTransport(verify=verify)
        async with AsyncSocketLabs(
            api_key=DEFAULT_API_KEY, server_id=DEFAULT_SERVER_ID, inject_url=url, transport=transport
        ) as client:
            began = time.perf_counter()
            report = await client.send(bulk, concurrency=concurrency)
            elapsed = time.perf_counter() - began
        return elapsed, len(report.requests), len(report.accepted)

    return asyncio.run(run())


def _round(port: int, cert: Path | None, recipients: int, concurrency: int, tag: str) -> dict[str, Row]:
    """One run of every client against the sandbox (or the relay) on ``port``."""
    scheme = "http" if cert is None else "https"
    url = f"{scheme}://127.0.0.1:{port}/api/v1"
    context = None if cert is None else ssl.create_default_context(cafile=str(cert))
    verify: Any = True if context is None else context
    _ours_sync(url, 100, 1, verify, f"w{tag}")  # warm-up: imports, first connections
    return {
        "vendor (socketlabs-injectionapi 1.4.4)": _vendor(port, recipients, context, f"v{tag}"),
        f"ours, sync (concurrency {concurrency})": _ours_sync(
            url, recipients, concurrency, verify, f"s{tag}"
        ),
        f"ours, async (concurrency {concurrency})": _ours_async(
            url, recipients, concurrency, verify, f"a{tag}"
        ),
    }


def _print(rows: dict[str, Row], recipients: int, where: str) -> None:
    print(f"{recipients} merge recipients, sandbox over {where}, one run")
    print(f"{'client':42} {'seconds':>8} {'msgs/s':>10} {'requests':>9} {'rcpt/req':>9} {'accepted':>9}")
    rates = {}
    for name, (elapsed, requests, accepted) in rows.items():
        rates[name] = recipients / elapsed
        per_request = recipients / requests
        print(f"{name:42} {elapsed:8.2f} {rates[name]:10.0f} {requests:9d} {per_request:9.0f} {accepted:9d}")
    vendor_rate = next(iter(rates.values()))
    for name, rate in list(rates.items())[1:]:
        print(f"ratio {name} / vendor: {rate / vendor_rate:.1f}x messages per second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument(
        "--concurrency", type=int, default=SendOptions().concurrency, help="ours: requests in flight"
    )
    parser.add_argument("--plain", action="store_true", help="plain HTTP instead of TLS")
    parser.add_argument(
        "--rtt", type=float, nargs="+", default=[0.0, 30.0], help="round-trip times to model, in ms"
    )
    args = parser.parse_args()
    children: list[subprocess.Popen[str]] = []
    results: list[tuple[float, dict[str, Row]]] = []
    with tempfile.TemporaryDirectory() as folder:
        cert, key = (None, None) if args.plain else _certificate(Path(folder))
        child, sandbox_port = _start(CHILD, str(cert or ""), str(key or ""))
        children.append(child)
        try:
            for number, rtt in enumerate(args.rtt):
                port = sandbox_port
                if rtt > 0:
                    relay, port = _start(RELAY, str(sandbox_port), str(rtt))
                    children.append(relay)
                results.append((rtt, _round(port, cert, args.recipients, args.concurrency, str(number))))
        finally:
            for started in children:
                started.terminate()
                started.wait(10)
    for rtt, rows in results:
        _print(rows, args.recipients, f"{'plain HTTP' if args.plain else 'TLS'}, round trip {rtt:g} ms added")
        print()


if __name__ == "__main__":
    main()
