"""One size and ratio guard for every body, through any stack of encodings, CSV pages included.

The decoder is exercised directly (sans-IO: any stack, any split into raw
pieces, round trips and bombs, with its memory measured by tracemalloc) and
through the raw server (a JSON answer and a CSV page, each ending in a typed
``SocketLabsError``, never a bare ``zlib.error`` or ``_csv.Error``).
"""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_client import AsyncSocketLabs, MalformedResponseError, ResponseTooLargeError, SocketLabs
from socketlabs_client._body import STEP, BodyDecoder, BodyTooLarge, BodyUndecodable

from .rawserver import RawServer, response

KEY = "k3yPart0123456789abc.s3cretPart01234567890123456789012345678x"
Encoding = str
ENCODINGS = ("gzip", "x-gzip", "deflate", "deflate-raw", "identity")


def _encode(data: bytes, name: Encoding) -> bytes:
    if name in ("gzip", "x-gzip"):
        return gzip.compress(data, compresslevel=6)
    if name == "deflate":
        return zlib.compress(data)
    if name == "deflate-raw":  # "deflate" as some servers send it: no zlib wrapper
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return packer.compress(data) + packer.flush()
    return data


def _stack(data: bytes, names: Sequence[Encoding]) -> tuple[bytes, str]:
    """``data`` encoded by each name in turn, and the ``Content-Encoding`` that says so."""
    for name in names:
        data = _encode(data, name)
    header = ", ".join("deflate" if n == "deflate-raw" else n for n in names)
    return data, header


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return pieces


def _decode(pieces: list[bytes], header: str, limit: int | None) -> bytes:
    decoder = BodyDecoder(header, limit)
    return b"".join(out for piece in pieces for out in decoder.feed(piece))


stacks = st.lists(st.sampled_from(ENCODINGS), min_size=0, max_size=4)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=4096), names=stacks, cuts=st.lists(st.integers(0, 10**6), max_size=6))
def test_any_stack_split_anywhere_decodes_to_the_body(data: bytes, names: list[str], cuts: list[int]) -> None:
    wire, header = _stack(data, names)
    assert _decode(_split(wire, cuts), header, limit=None) == data


@settings(max_examples=25, deadline=None)
@given(names=st.lists(st.sampled_from(ENCODINGS[:4]), min_size=1, max_size=3), size=st.integers(4, 64))
def test_a_bomb_in_any_stack_stops_at_the_guard_with_memory_bounded(names: list[str], size: int) -> None:
    wire, header = _stack(bytes(size * 1024 * 1024), names)
    decoder = BodyDecoder(header, limit=None)
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match="expands past"):
            for _ in decoder.feed(wire):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoder.decoded <= 100 * max(len(wire), 1) + max(1024 * 1024, STEP) + STEP
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while refusing {header}"


def test_the_size_limit_holds_within_one_step() -> None:
    wire, header = _stack(b"x" * 300_000, ["gzip"])
    decoder = BodyDecoder(header, limit=100_000)
    with pytest.raises(BodyTooLarge, match="max_response_size"):
        for _ in decoder.feed(wire):
            pass
    assert decoder.decoded <= 100_000 + STEP


@pytest.mark.parametrize(
    ("header", "wire"),
    [
        ("br", b"\x1b\x00"),  # not asked for
        ("gzip", b"not gzip at all"),
        ("deflate", b"\xff\xff\xff"),
        ("gzip, gzip, gzip, gzip, gzip", b""),  # deeper than any server needs
    ],
)
def test_what_cannot_be_decoded_is_its_own_error(header: str, wire: bytes) -> None:
    with pytest.raises(BodyUndecodable):
        _decode([wire], header, limit=None)


# -- through the raw server ---------------------------------------------------------------------


def _settings(raw: RawServer) -> dict[str, Any]:
    return {
        "api_key": KEY,
        "server_id": 1,
        "base_url": f"{raw.url}/v2",
        "rate_limiter": False,
        "max_retries": 0,
    }


def _bomb(names: Sequence[str], size: int) -> tuple[bytes, str]:
    return _stack(b"[" + b" " * size + b"]", names)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.sampled_from(["gzip", "deflate", "deflate-raw"]), min_size=1, max_size=3))
def test_a_stacked_bomb_is_a_typed_error_sync_and_async(raw: RawServer, names: list[str]) -> None:
    wire, header = _bomb(names, 48 * 1024 * 1024)
    raw.answer(response(200, wire, [("Content-Type", "application/json"), ("Content-Encoding", header)]))
    with SocketLabs(**_settings(raw)) as client, pytest.raises(ResponseTooLargeError, match="expands"):
        client.request("GET", "/servers/{serverId}/x")

    async def run() -> None:
        async with AsyncSocketLabs(**_settings(raw)) as client:
            await client.request("GET", "/servers/{serverId}/x")

    with pytest.raises(ResponseTooLargeError, match="expands"):
        asyncio.run(run())


def test_a_body_in_an_encoding_not_asked_for_is_malformed(raw: RawServer) -> None:
    raw.answer(response(200, b"\x1b\x00", [("Content-Type", "application/json"), ("Content-Encoding", "br")]))
    with SocketLabs(**_settings(raw)) as client, pytest.raises(MalformedResponseError, match="not asked for"):
        client.request("GET", "/servers/{serverId}/x")
    assert raw.requests[0].headers["accept-encoding"] == "gzip, deflate"


def _csv_page(body: bytes, encoding: str) -> bytes:
    headers = [("Content-Type", "text/csv"), ("Content-Range", "rows 0-0/1")]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    return response(200, body, headers)


CSV_CASES = {
    "endless gzipped line": (gzip.compress(b"email,name\n" + b"x" * (8 * 1024 * 1024)), "gzip"),
    "endless plain line": (b"email,name\n" + b"x" * (3 * 1024 * 1024), ""),
    "endless quoted record": (b'email,name\n"' + b"x\n" * (1024 * 1024), ""),
    "gzip, gzip bomb": _stack(b"email,name\n" + b"a,b\n" * (16 * 1024 * 1024), ["gzip", "gzip"]),
}


@pytest.mark.parametrize("case", CSV_CASES)
def test_a_hostile_csv_page_is_a_typed_error_sync_and_async(raw: RawServer, case: str) -> None:
    body, encoding = CSV_CASES[case]
    raw.answer(_csv_page(body, encoding))
    with SocketLabs(**_settings(raw)) as client, pytest.raises(ResponseTooLargeError):
        for _ in client.download("GET", "/servers/{serverId}/csv").rows():
            pass

    async def run() -> None:
        async with AsyncSocketLabs(**_settings(raw)) as client:
            async for _ in client.download("GET", "/servers/{serverId}/csv").rows():
                pass

    with pytest.raises(ResponseTooLargeError):
        asyncio.run(run())


def test_a_csv_field_over_the_csv_modules_limit_is_malformed_not_csv_error(raw: RawServer) -> None:
    raw.answer(_csv_page(b"email,name\n" + b"a" * 200_000 + b",b\n", ""))
    with SocketLabs(**_settings(raw)) as client, pytest.raises(MalformedResponseError, match="CSV"):
        list(client.download("GET", "/servers/{serverId}/csv").rows())
