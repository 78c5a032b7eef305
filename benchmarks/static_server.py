"""A static SocketLabs-shaped server for benchmarks, run in its own process.

It answers two things, as fast as a plain ``http.server`` can: the suppression
check (a fixed JSON body) and the suppression CSV download, paged with
``Content-Range`` exactly as the API pages it, rows made on the fly from their
number (so a million-row export costs the server no memory). Being another
process, its work never shares the measured client's GIL.

Usage: ``python benchmarks/static_server.py ROWS`` prints ``PORT`` on its first line.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HEADER = b"emailAddress,source,suppressionLastUpdate\r\n"
CHECK = json.dumps({"data": {"emailAddress": "a@example.com", "isSuppressed": False}}).encode()
CHUNK_ROWS = 2000


def _row(number: int) -> bytes:
    return f"user{number:08d}@example.com,Bounce,2026-01-01T00:00:00Z\r\n".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    total = 0
    wbufsize = 1 << 16  # one send per answer (flushed by the base class), not one per write
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a benchmark's output is its figures."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path.endswith("/suppressions/download"):
            self._download(parse_qs(url.query))
        else:
            self._send(200, CHECK, "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _download(self, query: dict[str, list[str]]) -> None:
        size = int(query["pageSize"][0])
        first = int(query["pageNumber"][0]) * size
        last = min(first + size, self.total) - 1
        self.send_response(206 if last < self.total - 1 else 200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Range", f"rows {first}-{last}/{self.total}")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._chunk(HEADER)
        for start in range(first, last + 1, CHUNK_ROWS):
            self._chunk(b"".join(_row(n) for n in range(start, min(start + CHUNK_ROWS, last + 1))))
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")


def main() -> None:
    Handler.total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
