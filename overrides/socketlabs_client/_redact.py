r"""The one redaction: every text that leaves the client passes through here first.

A server can echo the API key back in any spelling: raw, percent-encoded (either
hex case, or every character escaped), inside base64 at any of its three
alignments (standard or URL-safe alphabet), as hex, as JSON ``\uXXXX`` escapes,
or split by a line break or a folded header. ``Redactor`` applies one compiled
pattern per secret that matches all of those, so each place that emits text
(error messages, reprs, reason phrases, headers, bodies, chained exceptions,
log records) calls the same function and none of them has its own list.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import logging
import math
import re
import weakref
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import httpx

__all__ = ["REDACTED", "Redactor", "redact", "redactor", "scrub_exception"]

REDACTED = "[redacted]"

_SEP = r"(?:[ \t]{0,4}(?:\r\n|\r|\n|\\r\\n|\\n|\\r)[ \t]{0,4}|[ \t]{1,2})?"
"""What may split a secret: a line break (real, or escaped as in a JSON string) or folding blanks."""
_MIN_BASE64_CORE = 8
_MARGIN_PER_CHAR = 48
"""An upper bound on how many characters one character of a secret spans in any matched form."""


def _hex(byte: int) -> str:
    """``byte`` as two hex digits of either case."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in f"{byte:02x}")


def _char(c: str) -> str:
    """One character of a secret: as itself, percent-encoded, ``+`` for space, or a JSON escape."""
    options = [re.escape(c), "".join(f"%{_hex(b)}" for b in c.encode("utf-8"))]
    if c == " ":
        options.append(r"\+")
    if c == "/":
        options.append(r"\\/")
    code = ord(c)
    high, low = divmod(code - 0x10000, 0x400)
    units = [code] if code < 0x10000 else [0xD800 + high, 0xDC00 + low]
    options.append("".join(r"\\u" + _hex(u >> 8) + _hex(u & 0xFF) for u in units))
    return "(?:" + "|".join(options) + ")"


def _spelled(units: Iterable[str]) -> str:
    return _SEP.join(units)


def _base64_cores(secret: bytes) -> Iterator[str]:
    """The base64 text ``secret`` fully determines at each of the three alignments."""
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode("ascii").rstrip("=")
        core = encoded[math.ceil(offset * 4 / 3) : ((offset + len(secret)) * 4) // 3]
        if len(core) >= _MIN_BASE64_CORE:
            yield core


_URLSAFE = {"+": "[+-]", "/": "[/_]"}


def _forms(secret: str) -> Iterator[str]:
    """Regex alternatives, one per family of spellings of ``secret``."""
    yield _spelled(_char(c) for c in secret)
    raw = secret.encode("utf-8")
    for core in _base64_cores(raw):
        yield _spelled(_URLSAFE.get(c, re.escape(c)) for c in core)
    yield _spelled(_hex(b) for b in raw)


@lru_cache(maxsize=256)
def _pattern(secret: str) -> re.Pattern[str]:
    """Every spelling of one secret, compiled once per process (a few milliseconds per key)."""
    return re.compile("|".join(_forms(secret)))


class Redactor:
    """Replaces every spelling of its secrets with ``[redacted]``; cheap to call, built once per secrets."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
        self._patterns = [_pattern(secret) for secret in self.secrets]
        self.margin = _MARGIN_PER_CHAR * max((len(s) for s in self.secrets), default=0)

    def __repr__(self) -> str:
        return f"Redactor(<{len(self.secrets)} secret(s)>)"

    def __call__(self, text: str) -> str:
        """``text`` with every spelling of every secret replaced."""
        for pattern in self._patterns:
            text = pattern.sub(REDACTED, text)
        return text

    def preview(self, text: str, limit: int) -> str:
        """The first ``limit`` characters of ``text`` once redacted (redacted before the cut, never after)."""
        return self(text[: limit + self.margin])[:limit]

    def headers(self, headers: httpx.Headers) -> httpx.Headers:
        """A copy of ``headers`` with secrets redacted in names and values."""
        return httpx.Headers([(self(name), self(value)) for name, value in headers.multi_items()])

    def value(self, value: Any) -> Any:
        """``value`` redacted if it is text (or bytes, or a tuple/list of them); anything else as is."""
        if isinstance(value, str):  # an unchanged value stays itself (a StrEnum stays a member)
            redacted = self(value)
            return value if redacted == value else redacted
        if isinstance(value, bytes | bytearray):
            shown = value.decode("latin-1")
            redacted = self(shown)
            return value if redacted == shown else redacted.encode("latin-1", "replace")
        if isinstance(value, httpx.Headers):
            return self.headers(value)
        if isinstance(value, httpx.Request):  # httpx errors keep theirs: credentials in headers and body
            return httpx.Request(value.method, self(str(value.url)), headers=self.headers(value.headers))
        if isinstance(value, tuple | list) and any(isinstance(v, str | bytes | bytearray) for v in value):
            items = [self.value(v) for v in value]
            return value if all(a is b for a, b in zip(items, value, strict=True)) else type(value)(items)
        return value


@lru_cache(maxsize=64)
def redactor(secrets: tuple[str, ...]) -> Redactor:
    """The ``Redactor`` for ``secrets`` (cached: a client builds it once, not per answer)."""
    return Redactor(secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every spelling of every secret replaced by ``[redacted]``."""
    return redactor(tuple(secrets))(text)


def scrub_exception(error: BaseException, secrets: Iterable[str]) -> BaseException:
    """Redact ``error`` in place, and every exception chained under it (cause and context).

    Its ``args``, its text attributes (``message``, ``body``, ``headers``, ...) and the
    args of chained httpx exceptions are rewritten, so ``str``, ``repr``, pickling and
    a printed traceback all show ``[redacted]`` instead of the key.
    """
    red = redactor(tuple(secrets))
    if not red.secrets:
        return error
    seen: set[int] = set()
    current: BaseException | None = error
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.args = tuple(red.value(a) for a in current.args)
        for name, value in list(vars(current).items()):
            redacted = red.value(value)
            if redacted is not value:
                setattr(current, name, redacted)
            elif _field_names(type(value)):
                if (clone := _redacted_copy(value, red)) is not value:
                    setattr(current, name, clone)
            elif isinstance(value, tuple) and value and _field_names(type(value[0])):
                clones = tuple(_redacted_copy(v, red) for v in value)
                if any(a is not b for a, b in zip(clones, value, strict=True)):
                    setattr(current, name, clones)
        notes = getattr(current, "__notes__", None)
        if isinstance(notes, list):
            current.__notes__ = [red(n) if isinstance(n, str) else n for n in notes]
        pending += [c for c in (current.__cause__, current.__context__) if c is not None]
    return error


def _field_names(kind: type) -> tuple[str, ...]:
    """The fields of a ``Record`` (``ErrorDetail``, ...), an attrs class (the models) or a dataclass.

    Read from the class, so attrs need not be imported: the client's own values are not attrs classes.
    """
    names: tuple[str, ...] | None = getattr(kind, "__record_fields__", None)
    if names is not None:
        return names
    found = getattr(kind, "__attrs_attrs__", None)
    if found is not None:
        return tuple(f.name for f in found)
    if dataclasses.is_dataclass(kind):
        return tuple(f.name for f in dataclasses.fields(kind))
    return ()


def _redacted_copy(value: Any, red: Redactor, depth: int = 0) -> Any:
    """``value`` (a ``Record``, attrs or dataclass instance: ``ErrorDetail``, a parsed answer), redacted.

    A copy when anything changed, never an edit in place: an error may hold an
    object others share (its ``Operation`` from the operations table), and a
    redaction must not reach back into it.
    """
    names = () if depth > 4 else _field_names(type(value))
    if not names:
        return value
    changes: dict[str, Any] = {}
    for name in names:
        member = getattr(value, name, None)
        if isinstance(member, str):
            new: Any = red(member)
            if new == member:
                continue
        elif isinstance(member, list):
            items = [red(i) if isinstance(i, str) else _redacted_copy(i, red, depth + 1) for i in member]
            if all(a is b or a == b for a, b in zip(items, member, strict=True)):
                continue
            new = items
        else:
            new = _redacted_copy(member, red, depth + 1)
            if new is member:
                continue
        changes[name] = new
    if not changes:
        return value
    clone = copy.copy(value)
    for name, new in changes.items():
        object.__setattr__(clone, name, new)  # frozen classes too: the clone is ours
    return clone


# -- log records -------------------------------------------------------------------------------

_LOG_SECRETS: dict[str, int] = {}
"""The key of every live client of this process, with how many live clients hold it."""

REDACTED_LOGGERS = (
    "socketlabs_client",
    "socketlabs_client.webhooks",
    "socketlabs_client.ledger",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""Loggers the client drives. A logger filter sees only its own records, so each child is named."""


class RedactingFilter(logging.Filter):
    """Rewrites a record so nothing it formats to holds a key of any client built in this process.

    The message is formatted and redacted once (``args`` cleared), and exception
    and stack text are formatted and redacted ahead of any handler.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not _LOG_SECRETS:
            return True
        red = redactor(tuple(_LOG_SECRETS))
        try:
            message = record.getMessage()
        except Exception:  # a record that does not format is left to logging's own report
            return True
        record.msg = red(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            scrub_exception(record.exc_info[1], _LOG_SECRETS)
            record.exc_text = red(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = red(record.exc_text)
        if record.stack_info:
            record.stack_info = red(record.stack_info)
        return True


_FILTER = RedactingFilter()


def protect_logs(secret: str, owner: object) -> None:
    """Redact ``secret`` from every record of the loggers the client drives while ``owner`` lives."""
    if not secret:
        return
    _LOG_SECRETS[secret] = _LOG_SECRETS.get(secret, 0) + 1
    weakref.finalize(owner, _release, secret)
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def _release(secret: str) -> None:
    left = _LOG_SECRETS.get(secret, 0) - 1
    if left > 0:
        _LOG_SECRETS[secret] = left
    else:
        _LOG_SECRETS.pop(secret, None)


def log_filter() -> logging.Filter:
    """The filter, for a handler the client installs itself (records propagated from child loggers)."""
    return _FILTER
