"""A raw HTTP/1.1 server on 127.0.0.1 that answers with whatever bytes a test scripts.

Real sockets, so what the client meets is what a broken or hostile server sends:
drips, stalls, resets, truncated or absurd answers. Each connection reads one
request (headers and a ``Content-Length`` body), records it, then plays the
script: a list of steps, each bytes to write, a pause, or a close.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

Step = bytes | float | None
"""Bytes to send, seconds to pause (bounded by the server's stop), or None to close at once."""
Script = Sequence[Step]


@dataclass
class Recorded:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RawServer:
    script: Callable[[Recorded], Script] = lambda _: [b"HTTP/1.1 204 No Content\r\n\r\n"]
    requests: list[Recorded] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, *steps: Step) -> None:
        """Answer every request with the same steps."""
        self.script = lambda _: list(steps)


def _read_request(sock: socket.socket) -> Recorded | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Recorded(method, target, headers, rest[:length])


@contextmanager
def raw_server() -> Iterator[RawServer]:
    """Serve until the block ends; every pause in a script ends when the server stops."""
    state = RawServer()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.settimeout(10)
            while not state.stopping.is_set():
                try:
                    recorded = _read_request(sock)
                except OSError:
                    return
                if recorded is None:
                    return
                state.requests.append(recorded)
                keep_alive = True
                for step in state.script(recorded):
                    if step is None:
                        keep_alive = False
                        break
                    if isinstance(step, float | int):
                        if state.stopping.wait(step):
                            return
                        continue
                    try:
                        sock.sendall(step)
                    except OSError:
                        return
                if not keep_alive:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    return

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 128  # many callers connecting at once are queued, not left to retry a SYN

    server = Server(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def response(
    status: int = 200,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (("Content-Type", "application/json"),),
    *,
    length: int | None = None,
) -> bytes:
    """An HTTP/1.1 answer; ``length`` overrides the ``Content-Length`` (truncation, overrun)."""
    lines = [f"HTTP/1.1 {status} X"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def drip(payload: bytes, every: float) -> list[Step]:
    """``payload`` one byte at a time, ``every`` seconds apart."""
    steps: list[Step] = []
    for byte in payload:
        steps += [bytes([byte]), every]
    return steps


def elapsed(start: float) -> float:
    return time.monotonic() - start
