from __future__ import annotations

import datetime

import httpx
import pytest
from socketlabs_client import (
    DEFAULT_BASE_URL,
    DEFAULT_INJECT_CX_URL,
    DEFAULT_INJECT_URL,
    DEFAULT_MANAGEMENT_URL,
    ConfigurationError,
    SocketLabs,
    resolve_config,
)

SENTINEL = "SENTINEL-KEY-7f3a9c"


def test_constructor_beats_environment_beats_defaults() -> None:
    env = {
        "SOCKETLABS_API_KEY": "env-key",
        "SOCKETLABS_SERVER_ID": "777",
        "SOCKETLABS_BASE_URL": "http://127.0.0.1:1/v2/",
    }
    from_env = resolve_config(env=env)
    assert (from_env.api_key, from_env.server_id, from_env.base_url) == (
        "env-key",
        777,
        "http://127.0.0.1:1/v2",
    )
    assert from_env.inject_url == DEFAULT_INJECT_URL
    explicit = resolve_config(api_key="arg-key", server_id=5, base_url="https://x.example/v2", env=env)
    assert (explicit.api_key, explicit.server_id, explicit.base_url) == ("arg-key", 5, "https://x.example/v2")
    assert resolve_config(api_key="k", env={}).base_url == DEFAULT_BASE_URL


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({}, {}, "no API key: pass api_key= or set SOCKETLABS_API_KEY"),
        ({"api_key": "  "}, {}, "no API key"),
        ({"api_key": "k", "server_id": 0}, {}, "server_id must be a positive integer, got 0"),
        ({"api_key": "k", "server_id": "abc"}, {}, "server_id must be a positive integer, got 'abc'"),
        ({"api_key": "k"}, {"SOCKETLABS_SERVER_ID": "-3"}, "SOCKETLABS_SERVER_ID must be a positive integer"),
        ({"api_key": "k", "base_url": "ftp://x"}, {}, "base_url must be an http(s) URL"),
        ({"api_key": "k", "auth": "digest"}, {}, "auth must be 'bearer' or 'basic'"),
        ({"api_key": "k", "max_connections": 0}, {}, "max_connections must be at least 1"),
    ],
)
def test_bad_settings_fail_before_anything_is_sent(
    kwargs: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_config(env=env, **kwargs)  # type: ignore[arg-type]


def test_a_call_without_any_server_id_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOCKETLABS_SERVER_ID", raising=False)
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500))
    with (
        SocketLabs(api_key="k", transport=transport) as client,
        pytest.raises(ConfigurationError, match="no server id"),
    ):
        client.suppressions.check(email_address="a@example.com")
    assert sent == []


def test_timeouts_default_and_override() -> None:
    assert resolve_config(api_key="k", env={}).timeout == httpx.Timeout(60.0, connect=10.0)
    assert resolve_config(api_key="k", timeout=5, env={}).timeout == httpx.Timeout(5)


def test_with_options_changes_only_what_it_is_told() -> None:
    with SocketLabs(api_key=SENTINEL, server_id=1, base_url="https://x.example/v2") as client:
        other = client.with_options(server_id=2, timeout=3)
        assert other.server_id == 2
        assert other.config.timeout == httpx.Timeout(3)
        assert other.config.base_url == "https://x.example/v2"
        assert client.server_id == 1
        other.close()


def test_client_and_config_reprs_hide_the_key() -> None:
    with SocketLabs(api_key=SENTINEL, server_id=1) as client:
        for text in (
            repr(client),
            str(client),
            repr(client.config),
            repr(client.http_client),
            *(repr(auth) for auth in client._executor._core.auth.values()),
        ):
            assert SENTINEL not in text


def test_management_url_argument_beats_environment_beats_default() -> None:
    env = {"SOCKETLABS_API_KEY": "k", "SOCKETLABS_MANAGEMENT_URL": "http://127.0.0.1:1/v1/"}
    assert resolve_config(env=env).management_url == "http://127.0.0.1:1/v1"
    assert (
        resolve_config(management_url="https://m.example/v1", env=env).management_url
        == "https://m.example/v1"
    )
    assert resolve_config(api_key="k", env={}).management_url == DEFAULT_MANAGEMENT_URL
    with pytest.raises(ConfigurationError, match="management_url must be an http"):
        resolve_config(api_key="k", management_url="ftp://x", env={})


@pytest.mark.parametrize(
    "given",
    [
        DEFAULT_INJECT_CX_URL,
        DEFAULT_INJECT_CX_URL + "/",
        DEFAULT_INJECT_CX_URL + "/email",
        DEFAULT_INJECT_CX_URL + "/email/",
    ],
)
def test_a_gateway_url_is_accepted_as_inject_url(given: str) -> None:
    """The credentials' ``gateway`` is the full ``.../email`` URL; the client takes it as it comes."""
    assert resolve_config(api_key="k", inject_url=given, env={}).inject_url == DEFAULT_INJECT_CX_URL
    env = {"SOCKETLABS_API_KEY": "k", "SOCKETLABS_INJECT_URL": given}
    assert resolve_config(env=env).inject_url == DEFAULT_INJECT_CX_URL
    with SocketLabs(api_key="k", server_id=1) as client, client.with_options(inject_url=given) as cx:
        assert cx.config.inject_url == DEFAULT_INJECT_CX_URL
        assert client.config.inject_url == DEFAULT_INJECT_URL


def test_each_server_gets_its_own_url_and_auth_over_one_shared_pool() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    transport = httpx.MockTransport(answer)
    with SocketLabs(
        api_key="k", server_id=1, auth="basic", management_url="https://m.example/v1", transport=transport
    ) as client:
        client.dkim.list()
        assert str(seen[0].url) == "https://m.example/v1/servers/1/dkim"
        assert seen[0].headers["Authorization"] == "Bearer k", "management v1 is Bearer only"
        copy = client.with_options(timeout=5)
        assert copy.http_client is client.http_client, "with_options shares the pools"


def test_models_that_carry_keys_hide_them_in_repr() -> None:
    """Credentials, new API keys, DKIM private keys and an injection body's ApiKey never show in a repr."""
    from socketlabs_api.models import (
        ApiKeyAccess,
        ApiKeyCreated,
        DkimKeyCreate,
        InjectionCredentials,
        InjectionRequest,
    )

    created = ApiKeyCreated(
        id=1,
        name="ci",
        access=ApiKeyAccess.SOCKETLABSAPI,
        key_prefix="p",
        created_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        api_key=SENTINEL,
    )
    for model in (
        InjectionCredentials(
            server_id=1, api_key=SENTINEL, gateway="https://inject-cx.socketlabs.com/api/v1/email"
        ),
        created,
        DkimKeyCreate(domain="example.com", selector="s1", private_key=SENTINEL),
        InjectionRequest(server_id=1, messages=[], api_key=SENTINEL),
    ):
        assert SENTINEL not in repr(model)
        assert SENTINEL in str(model.to_dict()), "the value itself is kept and sent"
    assert "gateway='https://inject-cx" in repr(
        InjectionCredentials(
            server_id=1, api_key=SENTINEL, gateway="https://inject-cx.socketlabs.com/api/v1/email"
        )
    )
