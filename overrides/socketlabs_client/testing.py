"""The ``socketlabs`` pytest plugin: your own tests against the local sandbox.

Installed with the package (entry point ``pytest11``); the fixtures need the
``sandbox`` extra: ``pip install 'socketlabs-client[sandbox]'``.

Loading the plugin imports pytest and nothing else: every pytest run in a
project that has the package installed loads it, so the client and the
sandbox are imported inside the fixtures, by the first test that asks.

| fixture | what it gives |
|---|---|
| ``socketlabs_sandbox`` | a running ``Sandbox``, reset to its seeded state for each test |
| ``socketlabs_env`` | ``SOCKETLABS_*`` set (key, server id, every server URL) for ``SocketLabs()`` |
| ``socketlabs_client`` | a ``SocketLabs`` bound to the sandbox |
| ``async_socketlabs_client`` | an ``AsyncSocketLabs``; under pytest-asyncio (strict or auto) or anyio |
| ``socketlabs_outbox`` | every accepted message, whole, with helpers to assert on it |
| ``socketlabs_sandbox_session`` | the session's default sandbox, not reset (for wider-scoped fixtures) |

Configure the sandbox of one test with the marker
``@pytest.mark.socketlabs_sandbox(report_messages=1000, suppressions=5)``
(``SandboxConfig`` fields), or with an indirect parameter:
``@pytest.mark.parametrize("socketlabs_sandbox", [{"suppressions": 5}], indirect=True)``.
Each distinct configuration starts one sandbox per session, reset before
every test that uses it.

```python
def test_welcome_mail(socketlabs_client, socketlabs_outbox):
    my_app.send_welcome(client=socketlabs_client, to="ann@example.com")
    assert socketlabs_outbox.only(to="ann@example.com").subject == "Welcome"
```
"""

from __future__ import annotations

import base64
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from socketlabs_sandbox import InjectedMessage, Sandbox, SandboxConfig

    from ._client import AsyncSocketLabs, SocketLabs

__all__ = [
    "Outbox",
    "OutboxAttachment",
    "OutboxMessage",
    "async_socketlabs_client",
    "socketlabs_client",
    "socketlabs_env",
    "socketlabs_outbox",
    "socketlabs_sandbox",
    "socketlabs_sandbox_session",
]

MARKER = "socketlabs_sandbox"
_ASYNC_FIXTURE = "async_socketlabs_client"


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker, so ``--strict-markers`` projects accept it."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**settings): run this test against a sandbox made with these SandboxConfig settings",
    )


# Sandboxes ------------------------------------------------------------------


class _Sandboxes:
    """One running sandbox per distinct configuration, for the whole session."""

    def __init__(self) -> None:
        self.running: dict[SandboxConfig, Sandbox] = {}

    def get(self, config: SandboxConfig) -> Sandbox:
        sandbox = self.running.get(config)
        if sandbox is None:
            from socketlabs_sandbox import Sandbox  # noqa: PLC0415 - checked by _sandbox_module

            sandbox = self.running[config] = Sandbox(config).start()
        return sandbox

    def stop(self) -> None:
        for sandbox in self.running.values():
            sandbox.stop()
        self.running.clear()


def _sandbox_module() -> None:
    """Import the sandbox, or skip with the install line when the extra is missing."""
    from ._config import SANDBOX_EXTRA  # noqa: PLC0415 - lazy: see the module docstring

    try:
        import socketlabs_sandbox  # noqa: F401, PLC0415
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the installed extras
        if exc.name not in SANDBOX_EXTRA:
            raise
        pytest.skip(f"the socketlabs fixtures need the 'sandbox' extra (starlette, uvicorn): {exc}")


@pytest.fixture(scope="session")
def _socketlabs_sandboxes() -> Iterator[_Sandboxes]:
    sandboxes = _Sandboxes()
    yield sandboxes
    sandboxes.stop()


@pytest.fixture(scope="session")
def socketlabs_sandbox_session(_socketlabs_sandboxes: _Sandboxes) -> Sandbox:
    """The session's sandbox with the default settings; never reset for you (call ``reset()``)."""
    _sandbox_module()
    from socketlabs_sandbox import SandboxConfig  # noqa: PLC0415

    return _socketlabs_sandboxes.get(SandboxConfig())


def _requested_config(request: pytest.FixtureRequest) -> SandboxConfig:
    """The test's settings: an indirect parameter, else the nearest marker, else the defaults."""
    from socketlabs_sandbox import SandboxConfig  # noqa: PLC0415

    settings: object = getattr(request, "param", None)
    if settings is None:
        marker = request.node.get_closest_marker(MARKER)
        settings = {} if marker is None else dict(marker.kwargs)
    if isinstance(settings, SandboxConfig):
        return settings
    if not isinstance(settings, Mapping):
        raise TypeError(f"a {MARKER} parameter must be a SandboxConfig or a dict of its fields")
    return SandboxConfig(**settings)


@pytest.fixture
def socketlabs_sandbox(request: pytest.FixtureRequest, _socketlabs_sandboxes: _Sandboxes) -> Sandbox:
    """A running sandbox, back in its seeded state (configurable per test: see the module docstring)."""
    _sandbox_module()
    sandbox = _socketlabs_sandboxes.get(_requested_config(request))
    sandbox.reset()
    return sandbox


# Environment and clients ----------------------------------------------------


def sandbox_environment(sandbox: Sandbox) -> dict[str, str]:
    """The ``SOCKETLABS_*`` variables that point a client at ``sandbox``: key, server id, every host.

    The hosts come from the client's one table of servers (``SERVER_SETTINGS``),
    so a host added there cannot be forgotten here.
    """
    from ._config import ENV_API_KEY, ENV_SERVER_ID, SERVER_SETTINGS  # noqa: PLC0415

    urls = sandbox.urls
    return {
        ENV_API_KEY: sandbox.api_key,
        ENV_SERVER_ID: str(sandbox.server_id),
        **{setting.env_var: urls[setting.name] for setting in SERVER_SETTINGS},
    }


def _client_arguments(sandbox: Sandbox) -> dict[str, Any]:
    from ._config import SERVER_SETTINGS  # noqa: PLC0415

    urls = sandbox.urls
    return {
        "api_key": sandbox.api_key,
        "server_id": sandbox.server_id,
        **{setting.argument: urls[setting.name] for setting in SERVER_SETTINGS},
    }


@pytest.fixture
def socketlabs_env(socketlabs_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Set the ``SOCKETLABS_*`` variables for code that builds ``SocketLabs()`` itself; returns them."""
    variables = sandbox_environment(socketlabs_sandbox)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


@pytest.fixture
def socketlabs_client(socketlabs_sandbox: Sandbox) -> Iterator[SocketLabs]:
    """A ``SocketLabs`` client bound to the (reset) sandbox."""
    from ._client import SocketLabs  # noqa: PLC0415

    with SocketLabs(**_client_arguments(socketlabs_sandbox)) as client:
        yield client


@pytest.fixture
async def async_socketlabs_client(socketlabs_sandbox: Sandbox) -> AsyncIterator[AsyncSocketLabs]:
    """The async twin of ``socketlabs_client``, opened and closed in the test's own event loop."""
    from ._client import AsyncSocketLabs  # noqa: PLC0415

    async with AsyncSocketLabs(**_client_arguments(socketlabs_sandbox)) as client:
        yield client


@functools.cache
def _for_pytest_asyncio(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` marked as a pytest-asyncio fixture (a copy: the original stays free for anyio)."""
    import pytest_asyncio  # noqa: PLC0415 - only present when the test uses it

    @functools.wraps(func)
    async def copy(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async for value in func(*args, **kwargs):
            yield value

    # pytest_asyncio.fixture marks the function itself and wraps it for pytest's
    # collection; a fixture being set up needs the marked function, unwrapped.
    definition = pytest_asyncio.fixture(copy)
    unwrapped: Callable[..., Any] = getattr(definition, "_get_wrapped_function", lambda: definition)()
    return unwrapped


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    """Hand ``async_socketlabs_client`` to the async plugin the test runs under.

    anyio runs the async fixtures of tests that use ``anyio_backend``;
    pytest-asyncio in its default strict mode runs (and, at call time,
    accepts) only fixtures marked as its own. So the fixture is marked for
    pytest-asyncio, except while anyio sets it up for an anyio test: one
    fixture serves both, each in the test's own event loop.
    """
    if fixturedef.argname != _ASYNC_FIXTURE:
        return (yield)
    current = fixturedef.func
    original = getattr(current, "__wrapped__", current)
    if not inspect.isasyncgenfunction(original):  # redefined by the project: leave it alone
        return (yield)
    if "anyio_backend" in request.fixturenames or not request.config.pluginmanager.has_plugin("asyncio"):
        fixturedef.func = original  # type: ignore[misc]
        try:
            return (yield)
        finally:
            fixturedef.func = current  # type: ignore[misc]
    fixturedef.func = _for_pytest_asyncio(original)  # type: ignore[misc]
    return (yield)


# The outbox -----------------------------------------------------------------


def _folded(item: object) -> dict[str, Any]:
    return {str(k).casefold(): v for k, v in item.items()} if isinstance(item, dict) else {}


def _items(value: object) -> list[dict[str, Any]]:
    return [_folded(item) for item in value] if isinstance(value, list) else []


def _address(value: object) -> str | None:
    address = _folded(value).get("emailaddress")
    return address if isinstance(address, str) else None


def _pairs(value: object, name: str, content: str) -> dict[str, str]:
    return {str(item.get(name)): str(item.get(content)) for item in _items(value)}


@dataclass(frozen=True, slots=True)
class OutboxAttachment:
    """An attachment of a sent message, decoded."""

    name: str
    content_type: str
    content: bytes
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message the sandbox accepted, whole: what your code really sent."""

    raw: Mapping[str, Any]
    """The message as posted, member names lower-cased (``subject``, ``textbody``, ``mergedata``...)."""
    recipients: tuple[str, ...]
    """The addresses it was accepted for (for a merge: every ``DeliveryAddress``)."""
    server_id: int

    @property
    def subject(self) -> str | None:
        """The subject as sent (merge placeholders unexpanded)."""
        value = self.raw.get("subject")
        return value if isinstance(value, str) else None

    @property
    def text(self) -> str | None:
        """The plain-text body."""
        value = self.raw.get("textbody")
        return value if isinstance(value, str) else None

    @property
    def html(self) -> str | None:
        """The HTML body."""
        value = self.raw.get("htmlbody")
        return value if isinstance(value, str) else None

    @property
    def amp(self) -> str | None:
        """The AMP body."""
        value = self.raw.get("ampbody")
        return value if isinstance(value, str) else None

    @property
    def from_address(self) -> str | None:
        """The ``From`` address."""
        return _address(self.raw.get("from"))

    @property
    def reply_to(self) -> str | None:
        """The ``Reply-To`` address."""
        return _address(self.raw.get("replyto"))

    def _addresses(self, member: str) -> list[str]:
        return [a for a in (_address(item) for item in _items(self.raw.get(member))) if a]

    @property
    def to(self) -> list[str]:
        """The ``To`` addresses as written (``%%DeliveryAddress%%`` for a merge)."""
        return self._addresses("to")

    @property
    def cc(self) -> list[str]:
        """The ``Cc`` addresses."""
        return self._addresses("cc")

    @property
    def bcc(self) -> list[str]:
        """The ``Bcc`` addresses."""
        return self._addresses("bcc")

    @property
    def headers(self) -> dict[str, str]:
        """The custom headers, by name."""
        return _pairs(self.raw.get("customheaders"), "name", "value")

    @property
    def metadata(self) -> dict[str, str]:
        """The metadata, by key."""
        return _pairs(self.raw.get("metadata"), "key", "value")

    @property
    def tags(self) -> list[str]:
        """The tags."""
        tags = self.raw.get("tags")
        return [str(t) for t in tags] if isinstance(tags, list) else []

    @property
    def merge_data(self) -> list[dict[str, str]]:
        """One dict of merge fields per recipient (``PerMessage``), ``DeliveryAddress`` included."""
        merge = _folded(self.raw.get("mergedata"))
        rows = merge.get("permessage")
        if not isinstance(rows, list):
            return []
        return [_pairs(row, "field", "value") for row in rows]

    @property
    def global_merge_data(self) -> dict[str, str]:
        """The merge fields shared by every recipient (``Global``)."""
        return _pairs(_folded(self.raw.get("mergedata")).get("global"), "field", "value")

    @property
    def attachments(self) -> list[OutboxAttachment]:
        """The attachments, their content decoded from base64."""
        return [
            OutboxAttachment(
                name=str(item.get("name")),
                content_type=str(item.get("contenttype")),
                content=base64.b64decode(str(item.get("content") or "")),
                content_id=item.get("contentid"),
            )
            for item in _items(self.raw.get("attachments"))
        ]

    @property
    def message_id(self) -> str | None:
        """The ``MessageId`` it was sent with, if any."""
        value = self.raw.get("messageid")
        return value if isinstance(value, str) else None

    @property
    def mailing_id(self) -> str | None:
        """The ``MailingId`` it was sent with, if any."""
        value = self.raw.get("mailingid")
        return value if isinstance(value, str) else None


class Outbox(Sequence[OutboxMessage]):
    """Every message the sandbox accepted since the test began, in order (like Django's ``mail.outbox``).

    Read live from the sandbox, so it is current whenever it is looked at.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    def _messages(self) -> list[OutboxMessage]:
        with self._sandbox.state.lock:
            recorded: list[InjectedMessage] = list(self._sandbox.state.messages)
        return [OutboxMessage(m.message, m.accepted, m.server_id) for m in recorded]

    def __len__(self) -> int:
        return len(self._sandbox.state.messages)

    def __getitem__(self, index: Any) -> Any:
        return self._messages()[index]

    def __repr__(self) -> str:
        return f"<Outbox of {len(self)} message(s)>"

    @property
    def recipients(self) -> list[str]:
        """Every accepted recipient address, in order."""
        return [address for message in self._messages() for address in message.recipients]

    def filter(self, *, to: str | None = None, subject: str | None = None) -> list[OutboxMessage]:
        """The messages accepted for ``to`` (case-insensitive) and/or with this exact ``subject``."""
        wanted = None if to is None else to.casefold()
        return [
            message
            for message in self._messages()
            if (wanted is None or wanted in (r.casefold() for r in message.recipients))
            and (subject is None or message.subject == subject)
        ]

    def only(self, *, to: str | None = None, subject: str | None = None) -> OutboxMessage:
        """The one message matching (see ``filter``); an ``AssertionError`` saying what was sent otherwise."""
        found = self.filter(to=to, subject=subject)
        if len(found) != 1:
            sent = [(m.subject, list(m.recipients)) for m in self._messages()]
            raise AssertionError(
                f"expected one message (to={to!r}, subject={subject!r}), found {len(found)}; sent: {sent}"
            )
        return found[0]

    def clear(self) -> None:
        """Forget what was sent so far (the rest of the sandbox's state stays)."""
        with self._sandbox.state.lock:
            self._sandbox.state.messages.clear()


@pytest.fixture
def socketlabs_outbox(socketlabs_sandbox: Sandbox) -> Outbox:
    """The messages your code sent to the sandbox during this test (empty at its start)."""
    return Outbox(socketlabs_sandbox)
