"""The API key never leaves the client, whatever spelling a hostile server echoes it in.

A property test draws the key, how the server spells it (raw, percent-encoded in
either case or in full, base64 at each alignment and URL-safe, hex, JSON escapes,
split by a line break or a folded header) and where it puts it (reason phrase,
a header, an error body, a malformed status line that httpx chains as the cause),
then looks for it in everything the caller can see: the error's str, repr, pickle
and attributes, its chained causes and printed traceback, the send report, and
every log record of the loggers the client drives.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import pickle
import re
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_client import APIError, BasicMessage, RetryPolicy, SocketLabs

from .rawserver import RawServer

KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-~+/="
ENCODINGS = (
    "raw",
    "pct-upper",
    "pct-lower",
    "pct-full-upper",
    "pct-full-lower",
    "b64-0",
    "b64-1",
    "b64-2",
    "b64url-1",
    "b64url-2",
    "hex-lower",
    "hex-upper",
    "json-escape",
    "split",
)
POSITIONS = ("reason", "header", "json-message", "body-text", "status-line")
LOGGERS = ("httpx", "httpcore", "socketlabs_client")


def _pct(key: str, *, full: bool, upper: bool) -> str:
    text = "".join(f"%{b:02X}" for b in key.encode()) if full else quote(key, safe="")
    return text if upper else re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def encode(key: str, encoding: str, split_at: int, separator: str) -> tuple[str, str]:
    """(what the server writes, the part that only the key determines: what must not show)."""
    if encoding == "raw":
        return key, key
    if encoding.startswith("pct-"):
        text = _pct(key, full="full" in encoding, upper=encoding.endswith("upper"))
        return text, text
    if encoding.startswith("b64"):
        offset = int(encoding[-1])
        encoded = base64.b64encode(b"x" * offset + key.encode() + b"yz")
        if encoding.startswith("b64url"):
            encoded = base64.urlsafe_b64encode(b"x" * offset + key.encode() + b"yz")
        text = encoded.decode()
        return text, text[math.ceil(offset * 4 / 3) : ((offset + len(key)) * 4) // 3]
    if encoding.startswith("hex"):
        text = key.encode().hex()
        text = text.upper() if encoding.endswith("upper") else text
        return text, text
    if encoding == "json-escape":
        text = "".join(f"\\u{ord(c):04x}" for c in key)
        return text, text
    assert encoding == "split"
    return key[:split_at] + separator + key[split_at:], key


def answer(position: str, text: str, status: int) -> bytes:
    """An HTTP/1.1 answer that carries ``text`` at ``position``."""
    body = json.dumps({"error": [{"errorType": "Bad", "message": "see below"}]}).encode()
    headers = [("Content-Type", "application/json")]
    reason = "Unauthorized"
    if position == "reason":
        reason = text
    elif position == "header":
        headers.append(("X-Echo", text))
    elif position == "json-message":
        # Written by hand so a JSON escape stays an escape on the wire.
        body = b'{"error": [{"errorType": "Bad", "message": "key ' + text.encode() + b' refused"}]}'
    elif position == "body-text":
        headers = [("Content-Type", "text/plain")]
        body = b"the key " + text.encode() + b" is not valid"
    elif position == "status-line":
        return b"HTTP/1.1 4x1 " + text.encode() + b"\r\n\r\n"
    head = [f"HTTP/1.1 {status} {reason}", *(f"{n}: {v}" for n, v in headers)]
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def separator_for(position: str) -> str:
    """A line break where the position allows one; a folded header where it is a header."""
    return {"header": "\r\n ", "reason": " ", "status-line": " "}.get(position, "\n")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__]


def shown_by(error: BaseException) -> list[tuple[str, str]]:
    """Every text the caller can get from ``error``, labelled by where it came from."""
    found = [("traceback", "".join(traceback.format_exception(error)))]
    for depth, current in enumerate(_chain(error)):
        found += [(f"str[{depth}]", str(current)), (f"repr[{depth}]", repr(current))]
        found += [(f"args[{depth}]", repr(current.args))]
        found.append((f"pickle[{depth}]", _pickled(current)))
        for name, value in vars(current).items():
            shown = str(list(value.multi_items())) if hasattr(value, "multi_items") else repr(value)
            found.append((f"{type(current).__name__}.{name}", shown))
    return found


def _pickled(value: Any) -> str:
    try:
        return pickle.dumps(value).decode("latin-1")
    except (pickle.PicklingError, TypeError, AttributeError):
        return ""


def _flat(text: str) -> str:
    return re.sub(r"\s+|\\[rnt]", "", text)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


@contextmanager
def captured_logs() -> Iterator[_Records]:
    """Every record of the client's loggers at DEBUG, as a handler on the root logger sees it."""
    records = _Records()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(records)
    try:
        yield records
    finally:
        root.removeHandler(records)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def leaks(raw: RawServer, key: str, encoding: str, position: str, split_at: int) -> list[str]:
    """Where the key (as the server spelled it) shows; empty when it shows nowhere."""
    text, marker = encode(key, encoding, split_at, separator_for(position))
    raw.answer(answer(position, text, 401), None)
    shown: list[tuple[str, str]] = []
    with captured_logs() as logs:
        with SocketLabs(
            api_key=key,
            server_id=1,
            base_url=f"{raw.url}/v2",
            inject_url=f"{raw.url}/api/v1",
            management_url=f"{raw.url}/v1",
            rate_limiter=False,
            retry=RetryPolicy(max_retries=0, deadline=10.0),
        ) as client:
            try:
                client.suppressions.check(email_address="a@example.com")
            except APIError as error:
                shown += shown_by(error)
            message = BasicMessage(subject="s", from_="f@example.com", text="t", to=["r@example.com"])
            report = client.send(message)
        shown += [("report", repr(report)), ("report.pickle", _pickled(report))]
        shown += [("report.detail", r.detail) for r in report.recipients]
        for request in report.requests:
            if request.error is not None:
                shown += [(f"report.{where}", value) for where, value in shown_by(request.error)]
        shown += [("log", text) for text in logs.texts]
    wanted = {_flat(marker), _flat(key)}
    return sorted({where for where, value in shown if any(w in _flat(value) for w in wanted)})


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    key=st.text(KEY_ALPHABET, min_size=24, max_size=64),
    encoding=st.sampled_from(ENCODINGS),
    position=st.sampled_from(POSITIONS),
    split=st.integers(1, 23),
)
def test_no_spelling_of_the_key_shows_anywhere(
    raw: RawServer, key: str, encoding: str, position: str, split: int
) -> None:
    assert leaks(raw, key, encoding, position, split) == []


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("encoding", ["raw", "pct-lower", "hex-upper", "split", "b64-2"])
def test_the_reported_findings_stay_redacted(raw: RawServer, encoding: str, position: str) -> None:
    assert leaks(raw, "k3yPart0123456789abc.s3cretPart0123456789", encoding, position, 12) == []


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, 10_000), start=st.integers(0, 30), length=st.integers(1, 6))
def test_redacting_an_error_never_edits_what_it_shares(index: int, start: int, length: int) -> None:
    """A key that happens to spell part of an operation id is redacted in the error, not in the table."""
    from socketlabs_api.operations import OPERATIONS
    from socketlabs_client._redact import scrub_exception

    operation = list(OPERATIONS.values())[index % len(OPERATIONS)]
    before = {op_id: (op.operation_id, op.path) for op_id, op in OPERATIONS.items()}
    secret = operation.operation_id[start : start + length] or operation.operation_id
    error = APIError(f"failed: {operation.operation_id}", operation=operation, method="GET", url="/x")
    scrub_exception(error, (secret,))

    def shown(text: str) -> str:
        return text.replace("[redacted]", "\0")  # the marker's own letters are not the key

    assert secret not in shown(str(error))
    assert error.operation is not None and secret not in shown(error.operation.operation_id)
    assert {op_id: (op.operation_id, op.path) for op_id, op in OPERATIONS.items()} == before
