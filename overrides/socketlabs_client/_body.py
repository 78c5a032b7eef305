"""Reading a body: one size and ratio guard, applied while decoding, through any stack of encodings.

httpx decodes a whole received chunk at once, so a small body encoded twice
(``Content-Encoding: gzip, gzip``) expands to gigabytes before anyone can
count it. Here the raw bytes (``iter_raw``) are decoded layer by layer with
zlib's bounded output (``max_length``): no step yields more than ``STEP``
bytes, every byte is counted as it appears, and decoding stops at the first
that breaks the limit. Memory is bounded by the limit, not by the bomb.

Only the encodings the client asks for (``ACCEPT_ENCODING``) are decoded;
any other is refused, as is a stack deeper than ``MAX_LAYERS``.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

__all__ = [
    "ACCEPT_ENCODING",
    "MAX_DECOMPRESSION_RATIO",
    "BodyDecoder",
    "BodyTooLarge",
    "BodyUndecodable",
    "Unreadable",
    "araw_chunks",
    "content_encoding",
    "raw_chunks",
]

ACCEPT_ENCODING = "gzip, deflate"
MAX_DECOMPRESSION_RATIO = 100
"""An answer may expand at most this many times its size on the wire (past the first MiB)."""
RATIO_FLOOR = 1024 * 1024
STEP = 64 * 1024
"""The most one decoding step yields."""
MAX_LAYERS = 4
_GZIP_MAGIC = b"\x1f\x8b"


class Unreadable(Exception):
    """Why reading a body stopped; ``limit`` is the size it went past (0: none)."""

    def __init__(self, limit: int, what: str) -> None:
        super().__init__(what)
        self.limit = limit
        self.what = what


class BodyTooLarge(Unreadable):
    """Over the size limit, or expanding past the decompression ratio."""


class BodyUndecodable(Unreadable):
    """A body that does not follow its ``Content-Encoding`` (or names one the client did not ask for)."""

    def __init__(self, reason: str) -> None:
        super().__init__(0, f"the body cannot be decoded ({reason})")


def content_encoding(response: httpx.Response) -> str:
    """What ``iter_raw`` will yield: the encoded body, or (a transport read it already) the decoded one."""
    return "" if response.is_stream_consumed else response.headers.get("content-encoding", "")


def _zlib_header(head: bytes) -> bool:
    """Whether two bytes open a zlib stream (RFC 1950); "deflate" is also sent raw, without one."""
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class _Inflate:
    """One gzip or deflate layer: takes input only once it has used up the last."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._gzip = name in ("gzip", "x-gzip")
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16) if self._gzip else None
        self._tail = b""

    def feed(self, data: bytes) -> None:
        self._tail += data  # empty unless a deflate layer still waits for its two header bytes

    def pull(self, most: int) -> bytes:
        """Up to ``most`` decoded bytes; empty when it needs more input."""
        if self._inflater is None:
            if len(self._tail) < 2:
                return b""
            self._inflater = zlib.decompressobj(
                zlib.MAX_WBITS if _zlib_header(self._tail) else -zlib.MAX_WBITS
            )
        while self._tail:
            try:
                out = self._inflater.decompress(self._tail, most)
            except zlib.error as exc:
                raise BodyUndecodable(f"{self.name}: {exc}") from None
            if self._inflater.eof:
                rest = self._inflater.unused_data
                self._tail = rest if self._gzip and rest.startswith(_GZIP_MAGIC) else b""
                if self._tail:  # a further gzip member
                    self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            else:
                self._tail = self._inflater.unconsumed_tail
            if out:
                return out
        return b""


class BodyDecoder:
    """Decodes one body fed in raw pieces, holding it to ``limit`` bytes and the ratio."""

    def __init__(self, content_encoding: str, limit: int | None) -> None:
        names = [name.strip().lower() for name in content_encoding.split(",") if name.strip()]
        names = [name for name in names if name != "identity"]
        if len(names) > MAX_LAYERS:
            raise BodyUndecodable(f"{len(names)} stacked encodings")
        for name in names:
            if name not in ("gzip", "x-gzip", "deflate"):
                raise BodyUndecodable(f"Content-Encoding {name!r} was not asked for")
        self._layers = [_Inflate(name) for name in reversed(names)]  # the last applied comes off first
        self._limit = limit
        self.received = 0
        self.decoded = 0

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """The decoded bytes of one raw piece, in steps of at most ``STEP``; raises ``Unreadable``."""
        self.received += len(raw)
        if not self._layers:
            if raw:
                self._count(len(raw))
                yield raw
            return
        self._layers[0].feed(raw)
        while piece := self._pull(len(self._layers) - 1):
            self._count(len(piece))
            yield piece

    def _pull(self, index: int) -> bytes:
        layer = self._layers[index]
        while True:
            out = layer.pull(STEP)
            if out or index == 0:
                return out
            below = self._pull(index - 1)
            if not below:
                return b""
            layer.feed(below)

    def _count(self, size: int) -> None:
        self.decoded += size
        if self._limit is not None and self.decoded > self._limit:
            raise BodyTooLarge(self._limit, f"the answer is over max_response_size ({self._limit} bytes)")
        if self.decoded > RATIO_FLOOR and self.decoded > MAX_DECOMPRESSION_RATIO * max(self.received, 1):
            raise BodyTooLarge(
                self._limit or 0,
                f"the answer expands past {MAX_DECOMPRESSION_RATIO}x its size on the wire ({self.received})",
            )


def raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body as it came (``iter_raw``), or its content where a transport already read it."""
    if response.is_stream_consumed:
        yield response.content
    else:
        yield from response.iter_raw()


async def araw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The async ``raw_chunks``."""
    if response.is_stream_consumed:
        yield response.content
    else:
        async for chunk in response.aiter_raw():
            yield chunk
