"""Arbitrary posts to real receivers over HTTP on 127.0.0.1: each answer is 2xx or 4xx, never the secret.

Each example is written as raw bytes on a socket (so the Content-Length and
Content-Type can be anything, well-formed or not) to every receiver at once:
``WebhookReceiver`` and ``InboundReceiver`` under uvicorn (ASGI) and wsgiref
(WSGI), and the framework examples in examples/receivers. Then every member
of every event type (nested ``Data`` included) is given a value of any JSON
type: a post is an event or a 4xx, never a 500. A 500 would make
SocketLabs deliver the post again, forever; an echoed ``SecretKey`` would
hand a forger's guess (or the real key) to whoever reads the logs.
"""

from __future__ import annotations

import importlib
import json
import logging
import socket
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_api.models import WebhookEventGeneric, WebhookEventValidation
from socketlabs_client import InboundReceiver, WebhookReceiver, WebhookSecrets
from socketlabs_client._errors import WebhookError
from socketlabs_client._inbound import parse_inbound
from socketlabs_client._webhooks import EVENT_MODELS, parse_event

from .conftest import serve_asgi, serve_wsgi

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "spec" / "examples"
SECRET = "Sec-7c1e9a4b2d"
LIMIT = 16 * 1024


class _Capture(logging.Handler):
    """Every record from every thread, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def take(self) -> str:
        text = "\n".join(self.lines)
        self.lines.clear()
        return text


def _example_apps(stack: ExitStack) -> dict[str, str]:
    """The framework examples that are installed, served; their event URL by name."""
    sys.path.insert(0, str(ROOT))
    urls: dict[str, str] = {}
    secrets = WebhookSecrets(SECRET)
    starlette = importlib.import_module("examples.receivers.starlette_app")
    url = stack.enter_context(serve_asgi(starlette.create_app(secrets, _ignore, _ignore)))
    urls["starlette-events"] = url + "/socketlabs/events"
    urls["starlette-inbound"] = url + "/socketlabs/inbound"
    try:
        fastapi = importlib.import_module("examples.receivers.fastapi_app")
    except ImportError:  # pragma: no cover - fastapi is in the examples group
        pass
    else:
        urls["fastapi"] = (
            stack.enter_context(serve_asgi(fastapi.create_app(secrets, _ignore))) + "/socketlabs/events"
        )
    try:
        flask = importlib.import_module("examples.receivers.flask_app")
    except ImportError:  # pragma: no cover
        pass
    else:
        app = flask.create_app(secrets, _ignore).wsgi_app
        urls["flask"] = stack.enter_context(serve_wsgi(app)) + "/socketlabs/events"
    try:
        django_app = importlib.import_module("examples.receivers.django_app")
        from django.test.utils import override_settings
    except ImportError:  # pragma: no cover
        pass
    else:
        app = django_app.create_wsgi_app(secrets, _ignore)
        stack.enter_context(
            override_settings(
                ROOT_URLCONF=django_app.__name__,
                ALLOWED_HOSTS=["127.0.0.1"],
                MIDDLEWARE=[],
                DATA_UPLOAD_MAX_MEMORY_SIZE=256 * 1024,
            )
        )
        urls["django"] = stack.enter_context(serve_wsgi(app)) + "/socketlabs/events"
    return urls


def _ignore(payload: object) -> None:
    """A callback that accepts anything (a raising callback is the one case that answers 500)."""


@pytest.fixture(scope="module")
def targets() -> Iterator[tuple[dict[str, str], _Capture]]:
    capture = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    with ExitStack() as stack:
        urls = {
            "events-asgi": stack.enter_context(
                serve_asgi(WebhookReceiver(_ignore, secrets=SECRET, max_body_size=LIMIT))
            ),
            "events-wsgi": stack.enter_context(
                serve_wsgi(WebhookReceiver(_ignore, secrets=SECRET, max_body_size=LIMIT).wsgi)
            ),
            "inbound-asgi": stack.enter_context(
                serve_asgi(InboundReceiver(_ignore, secrets=SECRET, max_body_size=LIMIT))
            ),
            "inbound-wsgi": stack.enter_context(
                serve_wsgi(InboundReceiver(_ignore, secrets=SECRET, max_body_size=LIMIT).wsgi)
            ),
        }
        urls.update(_example_apps(stack))
        yield urls, capture
    root.removeHandler(capture)
    root.setLevel(old_level)


def _post(url: str, body: bytes, headers: list[tuple[bytes, bytes]], eof: bool) -> tuple[int, bytes]:
    """One raw HTTP/1.1 POST; ``(status, whole answer)``, or ``(0, b"")`` if the server hung up first."""
    address, _, path = url.removeprefix("http://").partition("/")
    host, port = address.split(":")
    head = b"POST /" + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(head + b"\r\n" + body)
            if eof:  # a Content-Length longer than the body: let the server see the end
                sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered (413) and closed before reading everything
            pass
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    if not answer:
        return 0, b""
    return int(answer.split(b" ", 2)[1]), answer


# --- what is posted -----------------------------------------------------------------------------

_KEYS = [
    "Type",
    "type",
    "SecretKey",
    "secretkey",
    "ServerId",
    "DateTime",
    "FailureType",
    "Address",
    SECRET,
    "",
]
_TYPES = ["Queued", "Delivered", "Failed", "Validation", "Tracking", "Complaint", "Deferred", "", "Nope"]
_SCALARS = st.one_of(
    st.sampled_from([SECRET, SECRET + "x", SECRET.lower(), "2024-01-01T00:00:00Z", "\ud800", "-1", "1e400"]),
    st.text(max_size=8),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4),
    max_leaves=12,
)
_OBJECTS = st.fixed_dictionaries(
    {"SecretKey": st.sampled_from([SECRET, "wrong", SECRET.upper()]), "Type": st.sampled_from(_TYPES)},
    optional={"ServerId": st.one_of(st.integers(), st.text(max_size=4)), "Extra": _JSON},
)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


def _nested(depth: int) -> bytes:
    return (
        b'{"SecretKey":"' + SECRET.encode() + b'","Type":"Queued","X":' + b"[" * depth + b"]" * depth + b"}"
    )


def _form(pairs: list[tuple[str, bytes]]) -> bytes:
    return b"&".join(
        quote_from_bytes(k.encode("utf-8", "surrogatepass")).encode() + b"=" + v for k, v in pairs
    )


_RAW_VALUES = st.one_of(
    st.sampled_from(
        [
            SECRET.encode(),
            b"%ff%fe",
            b"%",
            b"%zz",
            b"%C3%28",
            b"+",
            quote_from_bytes(SECRET.encode()).encode(),
        ]
    ),
    st.binary(max_size=8),
)
_FORMS = st.lists(st.tuples(st.sampled_from(_KEYS), _RAW_VALUES), max_size=5).map(_form)
_BARE = st.lists(
    st.sampled_from([SECRET.encode(), b"Type=Queued", b"SecretKey=" + SECRET.encode(), b"=", b"&&"]),
    max_size=4,
).map(b"&".join)

BODIES = st.one_of(
    st.binary(max_size=64),
    _OBJECTS.map(_json_bytes),
    _JSON.map(_json_bytes),
    st.integers(1, 5000).map(_nested),
    _FORMS,
    _BARE,
    st.sampled_from(
        [
            _json_bytes({**json.loads((EXAMPLES / f"{n}.json").read_bytes()), "SecretKey": SECRET})
            for n in ("webhook-failed", "inbound-parse", "webhook-validation")
        ]
    ),
)

CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            b"application/json",
            b"application/json; charset=utf-8",
            b"application/json; charset=rot13",
            b"application/json; charset=zlib",
            b"application/json; charset=idna",
            b"application/json; charset=utf-16",
            b"application/json; charset=no-such",
            b'application/json; charset="',
            b"application/x-www-form-urlencoded",
            b"application/x-www-form-urlencoded; charset=latin-1",
            b"application/x-www-form-urlencoded; charset=punycode",
            b"text/plain",
            b"application/" + SECRET.encode(),
            b"application/json; charset=" + SECRET.encode(),
            b"multipart/form-data; boundary=x",
            b";;;",
        ]
    ),
    st.binary(max_size=12).filter(lambda b: b"\r" not in b and b"\n" not in b),
)

LENGTHS = st.one_of(
    st.just("exact"),
    st.just("none"),
    st.sampled_from(["-1", "²", "١٢", "1e3", " 5", "5, 5", "0x10", "9" * 40, "99999999999", "", "+3"]),
    st.integers(0, 200).map(str),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, content_type=CONTENT_TYPES, length=LENGTHS)
def test_any_post_gets_2xx_or_4xx_and_never_the_secret_back(
    targets: tuple[dict[str, str], _Capture], body: bytes, content_type: bytes | None, length: str
) -> None:
    urls, capture = targets
    headers: list[tuple[bytes, bytes]] = []
    if content_type is not None:
        headers.append((b"Content-Type", content_type))
    eof = False
    if length == "exact":
        headers.append((b"Content-Length", str(len(body)).encode()))
    elif length != "none":
        headers.append((b"Content-Length", length.encode()))
        eof = True
    declared_type = None if content_type is None else content_type.decode("latin-1")
    validation = _is_validation(body, declared_type)
    for name, url in urls.items():
        status, answer = _post(url, body, headers, eof)
        if status == 0:
            # Only a server that read a Content-Length it could not satisfy may hang up without a word.
            assert eof, f"{name}: no answer"
            continue
        assert 200 <= status < 500, f"{name}: {status} for {body[:80]!r} {headers!r}"
        assert status // 100 != 3
        text = answer.split(b"\r\n\r\n", 1)[-1]
        if SECRET.encode() in text:  # only the validation handshake answers with the secret
            assert status == 200 and validation, f"{name}: the secret in {text!r}"
        logged = capture.take()
        assert SECRET not in logged, f"{name}: the secret in the log: {logged}"


def _is_validation(body: bytes, content_type: str | None) -> bool:
    for parse in (parse_event, parse_inbound):
        try:
            if isinstance(parse(body, content_type, secrets=WebhookSecrets(SECRET)), WebhookEventValidation):
                return True
        except WebhookError:
            pass
    return False


def test_the_fuzzer_reaches_every_kind_of_answer(targets: tuple[dict[str, str], _Capture]) -> None:
    """The strategies above are not vacuous: 200, 400, 401, 411/413 and 415 all come back."""
    urls, capture = targets
    good = _json_bytes({**json.loads((EXAMPLES / "webhook-failed.json").read_bytes()), "SecretKey": SECRET})
    cases: dict[int, tuple[bytes, list[tuple[bytes, bytes]]]] = {
        200: (good, [(b"Content-Type", b"application/json")]),
        400: (_nested(5000), [(b"Content-Type", b"application/json")]),
        401: (good.replace(SECRET.encode(), b"forged"), [(b"Content-Type", b"application/json")]),
        413: (b"x" * (LIMIT + 1), [(b"Content-Type", b"application/json")]),
        415: (good, [(b"Content-Type", b"application/json; charset=rot13")]),
    }
    receivers = {name: url for name, url in urls.items() if name.startswith("events-")}
    for status, (body, headers) in cases.items():
        for name, url in receivers.items():
            with_length = [*headers, (b"Content-Length", str(len(body)).encode())]
            got, _ = _post(url, body, with_length, eof=False)
            assert got == status, (name, status, got)
    capture.take()


# --- every member of every event type, with a value of any JSON type ----------------------------

SPEC_SCHEMAS = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text(encoding="utf-8"))["components"][
    "schemas"
]
SERVER_ID = 12345


def _members(schema_name: str) -> list[str]:
    """The JSON member names of a schema, through its ``allOf`` parts."""
    schema = SPEC_SCHEMAS[schema_name]
    names: list[str] = []
    for part in [schema, *schema.get("allOf", [])]:
        if "$ref" in part:
            names += _members(part["$ref"].rsplit("/", 1)[-1])
        names += [name for name in part.get("properties", {}) if name not in names]
    return names


def _event_examples() -> dict[str, dict[str, Any]]:
    """One valid post per event type (the spec's examples), with our secret and server."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(EXAMPLES.glob("webhook-*.json")):
        data = json.loads(path.read_bytes())
        found.setdefault(data["Type"], {**data, "SecretKey": SECRET, "ServerId": SERVER_ID})
    return found


EVENT_EXAMPLES = _event_examples()
# (event type, path to the member): every top-level member and every member of the nested Data.
MEMBER_PATHS = [
    (kind, (member,)) for kind, model in EVENT_MODELS.items() for member in _members(model.__name__)
] + [
    (kind, ("Data", member))
    for kind, model in EVENT_MODELS.items()
    if "Data" in _members(model.__name__)
    for member in _members("WebhookEventData")
]
ANY_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True),
        st.text(max_size=6),
        st.sampled_from(["", "12", "1.5", "Click", "2024-01-01T00:00:00Z", "2024-13-45", "Queued"]),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


def _with_member(kind: str, path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(EVENT_EXAMPLES[kind]))
    target = data
    for step in path[:-1]:
        if not isinstance(target.get(step), dict):
            target[step] = {}
        target = target[step]
    target[path[-1]] = value
    return data


def test_every_event_type_and_member_is_drawn_from() -> None:
    assert set(EVENT_EXAMPLES) == set(EVENT_MODELS)
    assert {kind for kind, _ in MEMBER_PATHS} == set(EVENT_MODELS)
    assert ("Queued", ("ServerId",)) in MEMBER_PATHS and ("Queued", ("Data", "Meta")) in MEMBER_PATHS


@settings(max_examples=600, deadline=None)
@given(where=st.sampled_from(MEMBER_PATHS), value=ANY_JSON)
def test_a_member_of_any_type_is_an_event_or_a_4xx_parse_error(
    where: tuple[str, tuple[str, ...]], value: Any
) -> None:
    """``parse_event`` (with and without a server check) yields an event or a 4xx ``WebhookError``."""
    body = _json_bytes(_with_member(*where, value))
    for secrets in (WebhookSecrets(SECRET), WebhookSecrets(SECRET, server_ids=SERVER_ID)):
        try:
            event = parse_event(body, "application/json", secrets=secrets)
        except WebhookError as error:
            assert 400 <= error.status_code < 500
            assert SECRET not in str(error)
        else:
            assert isinstance(event, (*EVENT_MODELS.values(), WebhookEventGeneric))


@pytest.fixture(scope="module")
def checked_receivers() -> Iterator[dict[str, str]]:
    """Event receivers that also check ServerId, next to the ones that do not."""
    with ExitStack() as stack:
        yield {
            f"{server}-{kind}": stack.enter_context(serve(receiver if kind == "asgi" else receiver.wsgi))
            for server, ids in (("any-server", None), ("one-server", SERVER_ID))
            for kind, serve in (("asgi", serve_asgi), ("wsgi", serve_wsgi))
            for receiver in [WebhookReceiver(_ignore, secrets=SECRET, server_ids=ids)]
        }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(MEMBER_PATHS), value=ANY_JSON)
def test_receivers_answer_a_member_of_any_type_with_2xx_or_4xx(
    checked_receivers: dict[str, str], where: tuple[str, tuple[str, ...]], value: Any
) -> None:
    body = _json_bytes(_with_member(*where, value))
    headers = [(b"Content-Type", b"application/json"), (b"Content-Length", str(len(body)).encode())]
    for name, url in checked_receivers.items():
        status, answer = _post(url, body, headers, eof=False)
        assert status == 200 or 400 <= status < 500, f"{name}: {status} for {where} = {value!r}"
        # The Validation handshake answers a post that carried the right SecretKey with that key
        # (the portal's protocol); any other answer, a refusal above all, never holds it.
        handshake = where[0] == "Validation" and status == 200
        assert handshake or SECRET.encode() not in answer.split(b"\r\n\r\n", 1)[-1]


def test_the_reported_case_is_a_400() -> None:
    """``"ServerId": [1]`` with the right secret: a parse error, not a TypeError (500)."""
    body = _json_bytes(_with_member("Queued", ("ServerId",), [1]))
    with pytest.raises(WebhookError) as error:
        parse_event(body, "application/json", secrets=WebhookSecrets(SECRET, server_ids=SERVER_ID))
    assert error.value.status_code in (400, 401)
