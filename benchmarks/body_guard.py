"""Hostile bodies: the client's peak memory on a decompression bomb and an endless CSV line.

Not a test: it prints figures and never fails. Each case runs the client in a
fresh child process (peak RSS read from /proc VmHWM, so only the client's own
memory counts) against a raw HTTP server in this process:

* ``bomb``: a JSON answer 1.8 KB on the wire with ``Content-Encoding: gzip, gzip``
  that decodes to 512 MiB of zeros;
* ``csv``: a gzipped CSV page whose second line never ends (256 MiB of ``x``
  streamed chunk by chunk, then the body ends).

A client that guards while decoding stops each after a few MiB with a typed
``SocketLabsError``; one that decodes whole chunks first holds hundreds of MiB.

Run: ``PYTHONPATH=overrides:generated python benchmarks/body_guard.py``
"""

from __future__ import annotations

import gzip
import json
import socket
import socketserver
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator

BOMB_SIZE = 512 * 1024 * 1024
LINE_SIZE = 256 * 1024 * 1024
_PIECE = 1024 * 1024

CHILD = r"""
import json, sys
from socketlabs_client import SocketLabs
case, url = sys.argv[1], sys.argv[2]
client = SocketLabs(api_key="k" * 20, server_id=1, base_url=url + "/v2", rate_limiter=False, max_retries=0)
try:
    if case == "bomb":
        client.request("GET", "/servers/{serverId}/bomb")
    else:
        for _ in client.download("GET", "/servers/{serverId}/csv").rows():
            pass
    outcome = "no error"
except Exception as exc:
    outcome = f"{type(exc).__module__}.{type(exc).__name__}"
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"outcome": outcome, "peak_kib": int(peak.split()[1])}))
"""


def _bomb() -> bytes:
    inner = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(_PIECE)
    parts = [inner.compress(zeros) for _ in range(BOMB_SIZE // _PIECE)]
    parts.append(inner.flush())
    return gzip.compress(b"".join(parts), 9)


def _endless_line() -> Iterator[bytes]:
    packer = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    yield packer.compress(b"email,name\n")
    line = b"x" * _PIECE
    for _ in range(LINE_SIZE // _PIECE):
        out = packer.compress(line)
        if out:
            yield out
    yield packer.flush()


class _Handler(socketserver.StreamRequestHandler):
    bomb = b""

    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1")
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        try:
            if "/bomb" in request_line:
                head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip, gzip\r\n"
                self.wfile.write(f"{head}Content-Length: {len(self.bomb)}\r\n\r\n".encode() + self.bomb)
                return
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Encoding: gzip\r\n"
                "Content-Range: rows 0-0/1\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            self.wfile.write(head.encode())
            for chunk in _endless_line():
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client stopped reading: that is the point
            pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        super().server_bind()


def main() -> None:
    _Handler.bomb = _bomb()
    with _Server(("127.0.0.1", 0), _Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        print(f"bomb: {len(_Handler.bomb)} bytes on the wire, {BOMB_SIZE >> 20} MiB decoded")
        for case in ("bomb", "csv"):
            done = subprocess.run(
                [sys.executable, "-c", CHILD, case, url], capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                print(f"{case}: the child failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{case}: peak RSS {figures['peak_kib'] / 1024:.1f} MiB, ended with {figures['outcome']}")
        server.shutdown()


if __name__ == "__main__":
    main()
