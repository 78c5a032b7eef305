"""Event webhooks: read a SocketLabs post into a typed event, and refuse forged ones.

SocketLabs signs nothing: every post carries the endpoint's ``SecretKey`` and
the ``ServerId`` in its body (help.socketlabs.com/docs/event-webhooks-authentication-and-access).
So a receiver must
(1) cap the body before reading it, (2) decode it (JSON, or the legacy
form-encoded body), (3) compare ``SecretKey`` in constant time with each of
its secrets (several, for rotation) and check ``ServerId``, and only then
(4) build the typed event that user code sees. A failure at any step is a
``WebhookError`` whose ``status_code`` (413, 415, 400, 401) is the answer.

Parsing is lenient where real senders vary: member names in any case,
unknown members kept (``additional_properties``), an unknown ``Type`` read as
``WebhookEventGeneric``, enums as names or numbers, numbers as strings (form
bodies have nothing else), seven fractional digits in ``DateTime``. It is
strict where a wrong guess would mislead: a member twice (in any case), a
missing required member or a value of the wrong type is an error.

``Receiver`` turns this into a framework-agnostic ``handle(body,
content_type)``, its async twin, an ASGI app and a WSGI app; ``_inbound``
reuses it for inbound parse posts.
"""

from __future__ import annotations

import asyncio
import codecs
import datetime
import enum
import functools
import hashlib
import hmac
import inspect
import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Any, Generic, TypeAlias, TypeVar
from urllib.parse import parse_qsl

from attrs import fields, frozen
from socketlabs_api.models import (
    WebhookEventGeneric,
    WebhookEventValidation,
)
from socketlabs_api.tables import EVENT_MODELS, NUMBERED_ENUMS, WebhookEvent
from socketlabs_api.types import MemberTypeError

from ._errors import (
    REDACTED,
    WebhookAuthenticationError,
    WebhookContentTypeError,
    WebhookError,
    WebhookParseError,
    WebhookPayloadTooLargeError,
    redact,
)

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "EVENT_MODELS",
    "Receiver",
    "ReceiverResponse",
    "WebhookEvent",
    "WebhookReceiver",
    "WebhookSecrets",
    "parse_event",
]

logger = logging.getLogger("socketlabs_client.webhooks")

DEFAULT_MAX_BODY_SIZE = 256 * 1024
"""Event posts are small (one event each); anything near this size is not one."""


_MODELS_BY_FOLDED = {name.casefold(): (name, model) for name, model in EVENT_MODELS.items()}

# Enums some senders give as numbers (the spec's ``x-numbered`` enums).
_NUMBERED_ENUMS = NUMBERED_ENUMS

INTEGER_MEMBERS = frozenset(
    {"serverid", "subaccountid", "ippoolid", "messagesize", "deferralcode", "failurecode", "length"}
)
"""Integer members (folded) of event and inbound payloads; form bodies send them as text.

A test checks this set against every integer property of the spec's
``WebhookEvent*``/``Inbound*`` schemas, so the two cannot drift apart.
"""
NUMBER_MEMBERS = frozenset({"spamscore"})
"""Floating-point members (folded), likewise."""

_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,18}$")
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_JSON_TYPES = frozenset({"application/json", "text/json"})
_FORM_TYPE = "application/x-www-form-urlencoded"
_SIMPLE_TYPES: Mapping[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "None": (type(None),),
}

Body: TypeAlias = bytes | bytearray | memoryview | str
E = TypeVar("E", bound=WebhookEvent)


@functools.lru_cache(maxsize=64)  # a receiver sees one or two Content-Types, ever
def _media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """``(media type, charset)`` of a Content-Type header, lower-cased."""
    if not content_type:
        return None, None
    media, *params = content_type.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return media.strip().lower(), charset


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object hook: a member given twice (in any case) makes the post ambiguous.

    The name is not quoted: it came from the body, and a refusal never echoes the body.
    """
    data = dict(pairs)
    if len(data) != len(pairs) or len(set(map(str.casefold, data))) != len(data):
        raise WebhookParseError("a member appears more than once (names match in any case)")
    return data


_JSON = json.JSONDecoder(object_pairs_hook=_reject_duplicates)
"""One decoder for every post (``json.loads`` with a hook builds a new one per call)."""


def _text(body: bytes | bytearray | memoryview, encoding: str) -> str:
    """The body as text in the declared charset (UTF-8 by default, a BOM dropped).

    Only text encodings are accepted (``rot13``, ``zlib``, ``base64``... are
    codecs too, and decoding with them raises ``LookupError``); errors name
    the codec by Python's own name, never by what the header said.
    """
    if encoding == "utf-8":  # what every real post declares, or leaves to the default
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookParseError(f"body is not valid utf-8 (byte {exc.start})") from None
        return text[1:] if text.startswith("\ufeff") else text
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        raise WebhookContentTypeError("unknown charset") from None
    if not info._is_text_encoding:
        raise WebhookContentTypeError(f"charset {info.name} is not a text encoding")
    try:
        return bytes(body).decode("utf-8-sig" if info.name == "utf-8" else info.name)
    except UnicodeDecodeError as exc:
        raise WebhookParseError(f"body is not valid {info.name} (byte {exc.start})") from None
    except (UnicodeError, ValueError, LookupError):  # idna, punycode, "undefined" raise these
        raise WebhookParseError(f"body is not valid {info.name}") from None


def decode_body(body: Body, content_type: str | None, *, max_body_size: int | None = None) -> dict[str, Any]:
    """The post's body as a JSON object or form mapping, or a ``WebhookError`` saying why not.

    A missing Content-Type (or ``text/plain``, which WSGI servers put in for a
    missing one) is sniffed: ``{`` means JSON, else form. Any other type than
    JSON or form-encoded is refused with 415.
    """
    if max_body_size is not None and len(body) > max_body_size:
        raise WebhookPayloadTooLargeError(f"body of {len(body)} bytes is over the limit of {max_body_size}")
    media, charset = _media_type(content_type)
    if media == "text/plain":  # what wsgiref and some proxies put in for a missing Content-Type
        media = None
    if media is not None and media not in _JSON_TYPES and media != _FORM_TYPE and not media.endswith("+json"):
        raise WebhookContentTypeError(f"the content type is neither JSON nor {_FORM_TYPE}")
    text = body if isinstance(body, str) else _text(body, charset or "utf-8")
    if media is None:
        media = "application/json" if text.lstrip().startswith("{") else _FORM_TYPE
    if media == _FORM_TYPE:
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
        except ValueError:  # UnicodeDecodeError included; its text would quote the field
            raise WebhookParseError("form body does not parse (bad field or percent-encoding)") from None
        return _reject_duplicates(pairs)
    try:
        data = _JSON.decode(text)
    except (ValueError, RecursionError) as exc:
        raise WebhookParseError(f"body is not JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise WebhookParseError(f"body must be a JSON object, got {type(data).__name__}")
    return data


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def member(data: Mapping[str, Any], name: str) -> Any:
    """A member by name in any case (``None`` when absent); duplicates were refused earlier."""
    if name in data:
        return data[name]
    folded = name.casefold()
    for key, value in data.items():
        if isinstance(key, str) and key.casefold() == folded:
            return value
    return None


def _as_int(value: Any) -> Any:
    if isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class WebhookSecrets:
    """The secrets (and optionally server ids) a receiver accepts.

    Several secrets may be active at once so a key can be rotated without a
    gap. SHA-256 digests of the guess and of every configured secret are
    compared (``hmac.compare_digest``, no early exit), so the time taken says
    neither which secret matched, nor how much of a guess did, nor a secret's
    length. The secrets never appear in ``repr``.
    """

    def __init__(
        self, secrets: str | Iterable[str], *, server_ids: int | Iterable[int] | None = None
    ) -> None:
        values = [secrets] if isinstance(secrets, str) else list(secrets)
        if not values or not all(isinstance(s, str) and s for s in values):
            raise ValueError("give at least one non-empty secret")
        self._secrets = tuple((_digest(s.encode("utf-8")), s) for s in values)
        if server_ids is None:
            self.server_ids: frozenset[int] | None = None
        else:
            self.server_ids = frozenset([server_ids] if isinstance(server_ids, int) else server_ids)

    def _plain(self) -> tuple[str, ...]:
        """The secrets themselves, for redaction only."""
        return tuple(secret for _, secret in self._secrets)

    def __repr__(self) -> str:
        ids = "any" if self.server_ids is None else sorted(self.server_ids)
        return f"WebhookSecrets(<{len(self._secrets)} secret(s)>, server_ids={ids})"

    def authenticate(self, data: Mapping[str, Any]) -> str:
        """Check a decoded post's ``SecretKey`` and ``ServerId``; return the matched secret.

        Raises ``WebhookAuthenticationError`` (401) without saying what the post contained.
        """
        given = member(data, "SecretKey")
        if not isinstance(given, str) or not given:
            raise WebhookAuthenticationError("the post has no SecretKey")
        candidate = _digest(given.encode("utf-8", "surrogatepass"))
        matched: str | None = None
        for digest, secret in self._secrets:
            if hmac.compare_digest(candidate, digest):
                matched = secret
        if matched is None:
            raise WebhookAuthenticationError("SecretKey does not match any configured secret")
        if self.server_ids is not None:
            server_id = _as_int(member(data, "ServerId"))
            # any JSON type may arrive here: only an int is looked up (a list is not even hashable)
            if type(server_id) is not int or server_id not in self.server_ids:
                raise WebhookAuthenticationError("ServerId is missing or not one of the configured servers")
        return matched


def _as_number(value: Any) -> Any:
    if isinstance(value, str) and _NUMBER_TEXT.match(value.strip()):
        return float(value)
    return value


def _numbered(names: Sequence[str], value: Any) -> Any:
    number = _as_int(value)
    if not isinstance(number, int) or isinstance(number, bool):
        return value
    # an unknown number stays visible (as text) in the open enum
    return names[number] if 0 <= number < len(names) else str(number)


Normalizer: TypeAlias = Callable[[Any], Any]
_KEYS: dict[str, tuple[Normalizer | None, bool]] = {}
"""Member name as sent -> (its coercion or ``None``, whether it is ``Type``), worked out once.

Real posts use a few dozen names; a post full of invented ones stops adding at ``_KEYS_MAX``.
"""
_KEYS_MAX = 1024


def _key(key: str) -> tuple[Normalizer | None, bool]:
    folded = key.casefold()
    names = _NUMBERED_ENUMS.get(folded)
    coerce: Normalizer | None = None
    if folded in INTEGER_MEMBERS:
        coerce = _as_int
    elif folded in NUMBER_MEMBERS:
        coerce = _as_number
    elif names is not None:
        coerce = functools.partial(_numbered, names)
    found = (coerce, folded == "type")
    if len(_KEYS) < _KEYS_MAX:
        _KEYS[key] = found
    return found


def normalize(data: Mapping[str, Any], *, drop_type: bool = False) -> dict[str, Any]:
    """Coerce what senders vary in: numbers as text, numbered enums. Names stay as given.

    With ``drop_type``, the ``Type`` member (in any case) is left out.
    """
    out = dict(data)
    known = _KEYS.get
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        coerce, is_type = known(key) or _key(key)
        if is_type and drop_type:
            del out[key]
        elif coerce is not None:
            out[key] = coerce(value)
    return out


@frozen
class _FieldCheck:
    """What one generated member accepts, worked out once per model class."""

    name: str
    types: tuple[type, ...]
    class_names: frozenset[str]
    bool_ok: bool
    items: tuple[type, ...] | None
    """For a list of scalars (``list[str]``), the types each item may have."""
    nested: bool
    """May hold a model or a list of them, to be checked in turn."""


_CHECKS: dict[type, tuple[_FieldCheck, ...]] = {}


def _check_for(name: str, annotation: str) -> _FieldCheck | None:
    """The check for one member's annotation; ``None`` when there is nothing we can (or need to) judge."""
    parts = [part.strip() for part in annotation.split("|")]
    types: list[type] = []
    names: set[str] = set()
    items: tuple[type, ...] | None = None
    nested = False
    for part in parts:
        if part in _SIMPLE_TYPES:
            types.extend(_SIMPLE_TYPES[part])
        elif part.startswith("list[") and part.endswith("]"):
            types.append(list)
            items = _SIMPLE_TYPES.get(part[5:-1])
            nested = nested or items is None  # a list of models (or enums, which the parser built)
        elif part == "datetime.datetime":
            types.append(datetime.datetime)
        elif part.isidentifier():  # a generated model or enum class
            names.add(part)
            nested = True
        else:  # e.g. Literal['Queued']: the generated parser checks it
            return None
    if names and set(types) <= {type(None)} and all(_is_enum(n) for n in names):
        return None  # an enum member: the generated parser built it, or refused the value
    return _FieldCheck(name, tuple(types), frozenset(names), "bool" in parts, items, nested)


def _checks(model: type) -> tuple[_FieldCheck, ...]:
    """Checks for the members whose annotation we can judge (scalars, lists, models, enums)."""
    cached = _CHECKS.get(model)
    if cached is not None:
        return cached
    found = (
        _check_for(field.name, field.type)
        for field in fields(model)
        if isinstance(field.type, str) and field.name != "additional_properties"
    )
    _CHECKS[model] = tuple(check for check in found if check is not None)
    return _CHECKS[model]


def _is_enum(name: str) -> bool:
    """Whether a generated class name is one of the spec's enums (the parser builds those or fails)."""
    import socketlabs_api.models  # noqa: PLC0415 - names load lazily

    return isinstance(getattr(socketlabs_api.models, name, None), enum.EnumMeta)


def _is_model(kind: type) -> bool:
    return hasattr(kind, "__attrs_attrs__")


def check_types(model: Any) -> None:
    """Refuse a member whose value has the wrong JSON type (the generated parsers only cast scalars).

    Each member is checked against its generated annotation (scalars, lists
    and their items, models, enums), and nested models (alone or in lists)
    the same way.
    """
    for check in _CHECKS.get(type(model)) or _checks(type(model)):
        value = getattr(model, check.name)
        kind = type(value)
        if (kind is bool and not check.bool_ok) or not (
            isinstance(value, check.types) or kind.__name__ in check.class_names
        ):
            raise WebhookParseError(f"member {check.name} has a {kind.__name__} value")
        if kind is list:
            if check.items is not None:
                for item in value:
                    if not isinstance(item, check.items) or (type(item) is bool and bool not in check.items):
                        raise WebhookParseError(f"member {check.name} holds a {type(item).__name__} item")
            elif check.nested:
                for item in value:
                    if _is_model(type(item)):
                        check_types(item)
        elif check.nested and _is_model(kind):
            check_types(value)


def build_model(model: type[Any], data: Mapping[str, Any], what: str) -> Any:
    """``model.from_dict`` with its failures turned into a ``WebhookParseError`` that says why."""
    try:
        parsed = model.from_dict(data)
    except MemberTypeError as exc:  # names the member and its JSON type, never the value
        raise WebhookParseError(f"{what}: {exc}") from None
    except KeyError as exc:  # the generated parser's own member name, not the body's text
        raise WebhookParseError(f"{what} lacks the required member {exc.args[0]!r}") from None
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError, RecursionError) as exc:
        # the exception's text may quote a value from the body: say only what kind of failure it was
        raise WebhookParseError(f"{what} does not parse ({type(exc).__name__} on a member)") from None
    check_types(parsed)
    return parsed


def build_event(model: type[E], name: str, data: Mapping[str, Any]) -> E:
    """``model`` from a decoded post, its ``Type`` member set to the canonical ``name``."""
    fixed = normalize(data, drop_type=True)
    fixed["Type"] = name
    event: E = build_model(model, fixed, f"a {name} event")
    return event


def event_from_data(data: Mapping[str, Any]) -> WebhookEvent:
    """The typed event for a decoded (and, in a receiver, authenticated) post."""
    kind = member(data, "Type")
    if not isinstance(kind, str) or not kind.strip():
        raise WebhookParseError("the post has no Type")
    name, model = _MODELS_BY_FOLDED.get(kind.strip().casefold(), (kind, WebhookEventGeneric))
    return build_event(model, name, data)


def parse_event(
    body: Body,
    content_type: str | None = "application/json",
    *,
    secrets: WebhookSecrets | None = None,
    max_body_size: int | None = None,
) -> WebhookEvent:
    """Parse one event webhook post; with ``secrets``, authenticate it first.

    An authenticated event's ``secret_key`` is ``[redacted]``, as in a receiver.
    Raises ``WebhookError`` (a subclass saying why, with the HTTP status to answer).
    """
    data = decode_body(body, content_type, max_body_size=max_body_size)
    if secrets is None:
        return event_from_data(data)
    secrets.authenticate(data)
    event = event_from_data(data)
    event.secret_key = REDACTED
    return event


@frozen
class ReceiverResponse:
    """What a receiver answers: status, text body, headers."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("content-type", "text/plain; charset=utf-8"),)


T = TypeVar("T")
Callback: TypeAlias = Callable[[T], Awaitable[object] | object]
Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
ASGIReceive: TypeAlias = Callable[[], Awaitable[Message]]
ASGISend: TypeAlias = Callable[[Message], Awaitable[None]]
StartResponse: TypeAlias = Callable[[str, list[tuple[str, str]]], Any]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


class Receiver(ABC, Generic[T]):
    """Authenticate, parse and hand posts to a callback; the base of both receivers.

    ``callback`` may be sync or async. It sees only authenticated, parsed
    payloads whose ``secret_key`` is replaced by ``[redacted]``; ``Validation``
    posts are answered here (200, the secret as the body) and not passed on.
    A callback that raises gives 500, so SocketLabs delivers the post again.
    ``validation_key`` (legacy endpoints) is added to every 200 body.
    """

    kind = "post"
    default_max_body_size = DEFAULT_MAX_BODY_SIZE

    def __init__(
        self,
        callback: Callback[T],
        *,
        secrets: WebhookSecrets | str | Iterable[str],
        server_ids: int | Iterable[int] | None = None,
        max_body_size: int | None = None,
        validation_key: str | None = None,
    ) -> None:
        if isinstance(secrets, WebhookSecrets):
            if server_ids is not None:
                raise ValueError("give server_ids to WebhookSecrets or here, not both")
            self.secrets = secrets
        else:
            self.secrets = WebhookSecrets(secrets, server_ids=server_ids)
        self.max_body_size = self.default_max_body_size if max_body_size is None else max_body_size
        if self.max_body_size < 1:
            raise ValueError("max_body_size must be positive")
        self.callback = callback
        self._validation_key = validation_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.secrets!r}, max_body_size={self.max_body_size})"

    @abstractmethod
    def parse(self, data: Mapping[str, Any]) -> T | WebhookEventValidation:
        """The typed payload of a decoded, authenticated post (one per kind of receiver)."""

    def _accept(self, body: Body, content_type: str | None) -> tuple[T | WebhookEventValidation, str]:
        data = decode_body(body, content_type, max_body_size=self.max_body_size)
        secret = self.secrets.authenticate(data)
        payload = self.parse(data)
        payload.secret_key = REDACTED  # type: ignore[union-attr]  # every payload model has one
        return payload, secret

    def _ok(self, text: str = "") -> ReceiverResponse:
        if self._validation_key:
            text = f"{text}\n{self._validation_key}" if text else self._validation_key
        return ReceiverResponse(200, text.encode("utf-8"))

    def _refused(self, error: WebhookError) -> ReceiverResponse:
        # Messages never quote the post; the secrets are redacted anyway in case one ever does.
        message = redact(error.message, self.secrets._plain())
        logger.info("refused a %s: %s %s", self.kind, error.status_code, message)
        return ReceiverResponse(error.status_code, f"{message}\n".encode())

    def _too_large(self) -> ReceiverResponse:
        return self._refused(
            WebhookPayloadTooLargeError(f"body over the limit of {self.max_body_size} bytes")
        )

    def _failed(self) -> ReceiverResponse:
        logger.exception("the %s callback raised; answering 500 so SocketLabs retries", self.kind)
        return ReceiverResponse(500, b"callback failed\n")

    def handle(self, body: Body, content_type: str | None) -> ReceiverResponse:
        """Answer one post (sync; an async callback is run with ``asyncio.run``)."""
        try:
            payload, secret = self._accept(body, content_type)
        except WebhookError as error:
            return self._refused(error)
        if isinstance(payload, WebhookEventValidation):
            return self._ok(secret)
        try:
            result = self.callback(payload)
            if inspect.isawaitable(result):
                asyncio.run(_await(result))
        except Exception:
            return self._failed()
        return self._ok()

    async def handle_async(self, body: Body, content_type: str | None) -> ReceiverResponse:
        """Answer one post (async; a sync callback is called directly)."""
        try:
            payload, secret = self._accept(body, content_type)
        except WebhookError as error:
            return self._refused(error)
        if isinstance(payload, WebhookEventValidation):
            return self._ok(secret)
        try:
            result = self.callback(payload)
            if inspect.isawaitable(result):
                await result
        except Exception:
            return self._failed()
        return self._ok()

    async def __call__(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        """The receiver is itself an ASGI app (e.g. ``Route("/events", receiver)`` in Starlette)."""
        await self.asgi(scope, receive, send)

    async def asgi(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        """An ASGI app that answers POSTs at any path (mount it where you like)."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        response = await self._asgi_response(scope, receive)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    async def _asgi_response(self, scope: Scope, receive: ASGIReceive) -> ReceiverResponse:
        if scope["method"] != "POST":
            return ReceiverResponse(405, b"POST only\n", (("allow", "POST"), ("content-type", "text/plain")))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            declared = _content_length(headers.get("content-length"))
        except WebhookError as error:
            return self._refused(error)
        if declared is not None and declared > self.max_body_size:
            return self._too_large()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return ReceiverResponse(400, b"client went away\n")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_size:
                return self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return await self.handle_async(b"".join(chunks), headers.get("content-type"))

    def wsgi(self, environ: Mapping[str, Any], start_response: StartResponse) -> list[bytes]:
        """A WSGI app that answers POSTs at any path; the body is read only up to the limit."""
        response = self._wsgi_response(environ)
        headers = [*response.headers, ("content-length", str(len(response.body)))]
        start_response(f"{response.status} {_REASONS.get(response.status, '')}".strip(), headers)
        return [response.body]

    def _wsgi_response(self, environ: Mapping[str, Any]) -> ReceiverResponse:
        if environ.get("REQUEST_METHOD") != "POST":
            return ReceiverResponse(405, b"POST only\n", (("allow", "POST"), ("content-type", "text/plain")))
        try:
            declared = _content_length(environ.get("CONTENT_LENGTH"))
        except WebhookError as error:
            return self._refused(error)
        if declared is None:
            return ReceiverResponse(411, b"a Content-Length is required\n")
        if declared > self.max_body_size:
            return self._too_large()
        body = environ["wsgi.input"].read(declared) if declared else b""
        if len(body) < declared:
            return self._refused(WebhookParseError("body shorter than its Content-Length"))
        return self.handle(body, environ.get("CONTENT_TYPE"))


_DIGITS = re.compile(r"[0-9]{1,32}")


def _content_length(value: object) -> int | None:
    """A Content-Length as an int (``None`` when absent); 400 unless it is ASCII digits.

    ``str.isdigit`` is not enough (superscripts and other scripts' digits
    pass it, then ``int`` fails or reads them); a sign, a list or more than
    32 digits is malformed rather than merely too large.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if not _DIGITS.fullmatch(text):
        raise WebhookParseError("malformed Content-Length")
    return int(text)


async def _await(awaitable: Awaitable[object]) -> None:
    await awaitable


class WebhookReceiver(Receiver[WebhookEvent]):
    """Receives event webhook posts: ``handle``/``handle_async``, ``asgi`` and ``wsgi``.

    ```python
    receiver = WebhookReceiver(on_event, secrets=["current", "previous"], server_ids=12345)
    app = receiver.asgi   # or receiver.wsgi, or receiver.handle(body, content_type)
    ```
    """

    kind = "webhook event"

    def parse(self, data: Mapping[str, Any]) -> WebhookEvent:
        """The typed event (``WebhookEventGeneric`` for an unknown ``Type``)."""
        return event_from_data(data)
