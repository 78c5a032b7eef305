"""The receivers behind real HTTP servers on 127.0.0.1: uvicorn (ASGI) and wsgiref (WSGI).

Plus each framework example in examples/receivers, served the same way when
its framework is installed.
"""

from __future__ import annotations

import importlib
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from socketlabs_api.models import InboundMessage, WebhookEventFailed, WebhookEventTracking
from socketlabs_client import InboundReceiver, WebhookEvent, WebhookReceiver, WebhookSecrets

from .conftest import serve_asgi, serve_wsgi

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "spec" / "examples"
SECRET = "ABC123"
LIMIT = 64 * 1024


def _example(name: str) -> bytes:
    return (EXAMPLES / f"{name}.json").read_bytes()


Server = Callable[[WebhookReceiver], AbstractContextManager[str]]


def _asgi(receiver: WebhookReceiver) -> AbstractContextManager[str]:
    return serve_asgi(receiver)


def _wsgi(receiver: WebhookReceiver) -> AbstractContextManager[str]:
    return serve_wsgi(receiver.wsgi)


@pytest.fixture(params=["asgi", "wsgi"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[WebhookEvent]]]:
    seen: list[WebhookEvent] = []
    receiver = WebhookReceiver(seen.append, secrets=[SECRET, "next-secret"], max_body_size=LIMIT)
    serve: Server = _asgi if request.param == "asgi" else _wsgi
    with serve(receiver) as url:
        yield url, seen


def _post(url: str, body: bytes, content_type: str | None = "application/json") -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return httpx.post(f"{url}/socketlabs/events", content=body, headers=headers, timeout=10)


def test_a_good_event_reaches_the_callback(served: tuple[str, list[WebhookEvent]]) -> None:
    url, seen = served
    response = _post(url, _example("webhook-failed"))
    assert (response.status_code, response.text) == (200, "")
    assert len(seen) == 1
    assert isinstance(seen[0], WebhookEventFailed)
    assert seen[0].failure_code == 2001


def test_validation_echoes_the_secret(served: tuple[str, list[WebhookEvent]]) -> None:
    url, seen = served
    response = _post(
        url, b"Type=Validation&ServerId=1&SecretKey=next-secret", "application/x-www-form-urlencoded"
    )
    assert (response.status_code, response.text) == (200, "next-secret")
    assert seen == []


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        (
            json.dumps({**json.loads(_example("webhook-failed")), "SecretKey": "forged"}).encode(),
            None,
            401,
            "Secret",
        ),
        (b'{"Type":"Queued","ServerId":1}', "application/json", 401, "no SecretKey"),
        (b'{"Type":"Queued","ServerId":1,"SecretKey":"ABC123"}', "application/json", 400, "DateTime"),
        (b"\xff\xfe\xfa", "application/json", 400, "utf-8"),
        (b"<event/>", "text/xml", 415, "neither JSON"),
        (b'{"Type": "Queued", "Pad": "' + b"x" * LIMIT + b'"}', "application/json", 413, "limit"),
    ],
    ids=["wrong-secret", "no-secret", "missing-fields", "non-utf8", "wrong-content-type", "huge"],
)
def test_hostile_posts_get_a_clear_status_and_nothing_reaches_user_code(
    served: tuple[str, list[WebhookEvent]], body: bytes, content_type: str | None, status: int, says: str
) -> None:
    url, seen = served
    response = _post(url, body, content_type)
    assert response.status_code == status
    assert says.casefold() in response.text.casefold()
    assert "forged" not in response.text
    assert seen == []


def test_only_post_is_allowed(served: tuple[str, list[WebhookEvent]]) -> None:
    url, seen = served
    response = httpx.get(f"{url}/socketlabs/events", timeout=10)
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert seen == []


def test_huge_body_is_refused_without_reading_it(served: tuple[str, list[WebhookEvent]]) -> None:
    """Only the headers are sent: the 413 comes from Content-Length alone."""
    url, seen = served
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /socketlabs/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\nConnection: close\r\n\r\n{"
        )
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.") and b" 413 " in head.split(b"\r\n")[0]
    assert seen == []


def test_asgi_stops_reading_a_chunked_body_over_the_limit() -> None:
    """No Content-Length to go by: the receiver counts while it reads."""
    seen: list[WebhookEvent] = []

    def chunks() -> Iterator[bytes]:
        yield b'{"Type": "Queued", "Pad": "'
        for _ in range(200):
            yield b"x" * 1024

    with serve_asgi(WebhookReceiver(seen.append, secrets=SECRET, max_body_size=LIMIT)) as url:
        response = httpx.post(url, content=chunks(), headers={"content-type": "application/json"}, timeout=10)
        ok = httpx.post(url, content=iter([_example("webhook-queued")]), timeout=10)
    assert "content-length" not in response.request.headers
    assert (response.status_code, ok.status_code) == (413, 200)
    assert len(seen) == 1


def test_wsgi_requires_a_content_length() -> None:
    receiver = WebhookReceiver(lambda e: None, secrets=SECRET)
    status: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json"}
    assert receiver.wsgi(environ, lambda s, h: status.append(s)) == [b"a Content-Length is required\n"]
    assert status == ["411 Length Required"]


async def test_async_callback_under_uvicorn() -> None:
    seen: list[str] = []

    async def on_event(event: WebhookEvent) -> None:
        assert isinstance(event, WebhookEventTracking)
        seen.append(str(event.tracking_type))

    with serve_asgi(WebhookReceiver(on_event, secrets=SECRET)) as url:
        async with httpx.AsyncClient(timeout=10) as client:
            for name in ("click", "open", "unsubscribe"):
                response = await client.post(url, content=_example(f"webhook-tracking-{name}"))
                assert response.status_code == 200
    assert seen == ["Click", "Open", "Unsubscribe"]


def test_inbound_receiver_over_wsgi() -> None:
    seen: list[InboundMessage] = []
    with serve_wsgi(InboundReceiver(seen.append, secrets=SECRET).wsgi) as url:
        ok = httpx.post(url, content=_example("inbound-parse"), headers={"content-type": "application/json"})
        forged = httpx.post(url, content=_example("inbound-parse").replace(b"ABC123", b"ABC124"))
    assert (ok.status_code, forged.status_code) == (200, 401)
    assert [m.message.subject for m in seen] == ["Order 42"]


# --- the examples in examples/receivers -----------------------------------------------------------


def _load(name: str) -> Any:
    return importlib.import_module(f"examples.receivers.{name}")


@pytest.fixture
def example_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))


def _exercise(url: str, path: str, seen: list[Any], example: str = "webhook-delivered") -> None:
    good = httpx.post(url + path, content=_example(example), headers={"content-type": "application/json"})
    forged = httpx.post(url + path, content=_example(example).replace(b"ABC123", b"XYZ"))
    validation = httpx.post(
        url + path, content=b"Type=Validation&ServerId=5&SecretKey=ABC123",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert (good.status_code, forged.status_code) == (200, 401)
    assert (validation.status_code, validation.text) == (200, SECRET)
    assert len(seen) == 1


@pytest.mark.usefixtures("example_path")
def test_starlette_example() -> None:
    module = _load("starlette_app")
    events: list[WebhookEvent] = []
    inbound: list[InboundMessage] = []
    with serve_asgi(module.create_app(WebhookSecrets(SECRET), events.append, inbound.append)) as url:
        _exercise(url, "/socketlabs/events", events)
        _exercise(url, "/socketlabs/inbound", inbound, "inbound-parse")
        assert httpx.get(url + "/socketlabs/events").status_code == 405


@pytest.mark.usefixtures("example_path")
def test_bare_asgi_example(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOCKETLABS_WEBHOOK_SECRETS", f"old-one, {SECRET}")
    monkeypatch.setenv("SOCKETLABS_SERVER_ID", "123456")
    with serve_asgi(_load("asgi_app").create_app_from_env()) as url:
        good = httpx.post(url, content=_example("webhook-delivered"))
        wrong_server = httpx.post(url, content=_example("webhook-queued"))  # ServerId 12345
    assert (good.status_code, wrong_server.status_code) == (200, 401)
    assert "Delivered event for to@example.com" in capsys.readouterr().out


@pytest.mark.usefixtures("example_path")
def test_bare_wsgi_example(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOCKETLABS_WEBHOOK_SECRETS", SECRET)
    monkeypatch.delenv("SOCKETLABS_SERVER_ID", raising=False)
    with serve_wsgi(_load("wsgi_app").create_app_from_env().wsgi) as url:
        response = httpx.post(url, content=_example("inbound-parse"))
    assert response.status_code == 200
    assert "inbound mail from sender@example.org: Order 42" in capsys.readouterr().out


@pytest.mark.usefixtures("example_path")
def test_fastapi_example() -> None:
    pytest.importorskip("fastapi")
    events: list[WebhookEvent] = []
    with serve_asgi(_load("fastapi_app").create_app(WebhookSecrets(SECRET), events.append)) as url:
        _exercise(url, "/socketlabs/events", events)
        big = httpx.post(url + "/socketlabs/events", content=b"x" * 300_000)
        assert big.status_code == 413


@pytest.mark.usefixtures("example_path")
def test_flask_example() -> None:
    pytest.importorskip("flask")
    events: list[WebhookEvent] = []
    with serve_wsgi(_load("flask_app").create_app(WebhookSecrets(SECRET), events.append).wsgi_app) as url:
        _exercise(url, "/socketlabs/events", events)


@pytest.mark.usefixtures("example_path")
def test_django_example() -> None:
    pytest.importorskip("django")
    from django.test.utils import override_settings

    events: list[WebhookEvent] = []
    module = _load("django_app")
    app = module.create_wsgi_app(WebhookSecrets(SECRET), events.append)
    # Django has one settings object per process: if another test configured it first (tests/django
    # does), the example's own settings.configure is skipped, so its URLs are put in place here.
    site = {"ROOT_URLCONF": module.__name__, "ALLOWED_HOSTS": ["127.0.0.1"], "MIDDLEWARE": []}
    with override_settings(**site), serve_wsgi(app) as url:
        _exercise(url, "/socketlabs/events", events)
        assert httpx.get(url + "/socketlabs/events").status_code == 405
