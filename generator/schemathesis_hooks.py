"""schemathesis hooks for the SocketLabs spec: what its configuration file cannot declare.

Loaded by ``socketlabs.schemathesis.toml`` (``hooks = "socketlabs_api.schemathesis_hooks"``).
Everything is read from the spec being tested, so a new ``x-servers`` entry
is covered as soon as it is in the spec:

* routing: each ``x-servers`` entry's operations (those the spec serves from
  the entry's URL) go to the URL in the entry's environment variable
  (``env``, the variable the client reads), or to its default URL when that
  is unset. This applies whatever ``--url`` says: one base URL cannot serve
  operations that live on several hosts;
* the server id: ``SOCKETLABS_SERVER_ID`` (the client's) goes in every
  path that is not itself the invalid part of a case;
* writes: POST, PUT, PATCH and DELETE operations are turned off (never sent,
  not even as an unexpected method) unless ``SOCKETLABS_CONTRACT_WRITES``
  names them: operationIds separated by commas, or ``all``;
* ``injection_refusal``: on a server whose errors are the Injection API's
  (``errors: injection``), a refused request is answered HTTP 200 with an
  ``ErrorCode`` other than ``Success``, as the real API does. The
  configuration counts 200 among such an operation's rejection statuses
  for ``negative_data_rejection``; this check fails a schema-violating
  request answered 200 with ``Success`` (or with no code at all).
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
from schemathesis.config import OperationConfig
from schemathesis.core.parameters import ParameterLocation

WRITES_ENV = "SOCKETLABS_CONTRACT_WRITES"
WRITE_METHODS = ("post", "put", "patch", "delete")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ACCEPTED = "Success"
PATH_VALUES = {"serverId": "SOCKETLABS_SERVER_ID"}
"""Path parameters a run fixes to the account's own value (when the variable is set), as the client does."""


def _servers(raw_schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    table = raw_schema.get("x-servers")
    return {str(k): v for k, v in table.items() if isinstance(v, dict)} if isinstance(table, dict) else {}


def routed_urls(raw_schema: dict[str, Any], environ: dict[str, str]) -> dict[str, str]:
    """Each ``x-servers`` default URL -> the URL to test it at (its variable's value, else itself)."""
    return {
        str(facts["url"]): environ.get(str(facts.get("env")), "") or str(facts["url"])
        for facts in _servers(raw_schema).values()
        if "url" in facts
    }


def _first_url(holder: Any) -> str | None:
    servers = holder.get("servers") if isinstance(holder, dict) else None
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = servers[0].get("url")
        return url if isinstance(url, str) else None
    return None


def declared_url(raw_schema: dict[str, Any], path: str, operation: dict[str, Any]) -> str | None:
    """The URL the spec serves an operation from: its own ``servers``, its path's, else the top level's."""
    item = raw_schema.get("paths", {}).get(path, {})
    return _first_url(operation) or _first_url(item) or _first_url(raw_schema)


@schemathesis.hook
def after_load_schema(ctx: Any, schema: Any) -> None:
    """Route the spec's default server and turn off the writes ``SOCKETLABS_CONTRACT_WRITES`` does not name.

    The default server's URL becomes the run's base URL (so no ``--url`` is
    needed for a spec file); ``before_init_operation`` routes the others.
    """
    raw = schema.raw_schema
    default = _first_url(raw)
    urls = routed_urls(raw, dict(os.environ))
    if schema.config.base_url is None and default is not None:
        schema.config.update(base_url=urls.get(default, default))
    off = unnamed_writes(raw, os.environ.get(WRITES_ENV, ""))
    if off:
        entry = OperationConfig.from_dict({"include-operation-id": off, "enabled": False})
        schema.config.operations.operations.append(entry)


@schemathesis.hook
def before_init_operation(ctx: Any, operation: Any) -> None:
    """Send the operation to its ``x-servers`` entry's URL (its environment variable, else the default)."""
    raw = operation.schema.raw_schema
    url = declared_url(raw, operation.path, operation.definition.raw)
    urls = routed_urls(raw, dict(os.environ))
    if url in urls:
        operation.base_url = urls[url]


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """Put the account's server id in the path, unless the path is what the case makes invalid.

    Not a ``[parameters]`` entry of the configuration: that would also replace
    the invalid ids of negative cases, which the API then rightly accepts.
    """
    path = case.path_parameters
    if not path or (case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)):
        return
    for name, variable in PATH_VALUES.items():
        value = os.environ.get(variable, "")
        if name in path and value:
            path[name] = int(value) if value.isdigit() else value


def unnamed_writes(raw_schema: dict[str, Any], named: str) -> list[str]:
    """The write operations ``named`` (the variable's value) does not name."""
    wanted = {part.strip() for part in named.split(",") if part.strip()}
    if "all" in wanted:
        return []
    return [
        str(op["operationId"])
        for item in raw_schema.get("paths", {}).values()
        if isinstance(item, dict)
        for method in WRITE_METHODS
        if isinstance(op := item.get(method), dict) and op.get("operationId") not in wanted
    ]


def refusal_code(raw_schema: dict[str, Any], case: Any, response: Any) -> str | None:
    """The ``ErrorCode`` of an HTTP 200 refusal from a server with the Injection API's errors, else None."""
    operation = case.operation.definition.raw
    facts = _servers(raw_schema).get(str(operation.get("x-server", "api")), {})
    if facts.get("errors") != "injection" or response.status_code != 200:
        return None
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    code = body.get("ErrorCode") if isinstance(body, dict) else None
    return code if isinstance(code, str) and code != ACCEPTED else None


@schemathesis.check
def injection_refusal(ctx: Any, response: Any, case: Any) -> bool | None:
    """A schema-violating request to the Injection API is not answered HTTP 200 with ``ErrorCode: Success``.

    Its refusals are HTTP 200 with another ``ErrorCode`` (the configuration
    lists 200 among that operation's rejection statuses), so the status alone
    cannot tell a refusal from an acceptance: the code does.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative or response.status_code != 200:
        return None
    raw_schema = case.operation.schema.raw_schema
    operation = case.operation.definition.raw
    facts = _servers(raw_schema).get(str(operation.get("x-server", "api")), {})
    if facts.get("errors") != "injection":
        return None
    if refusal_code(raw_schema, case, response) is None:
        raise AssertionError(
            "Schema-violating request accepted: the Injection API answered HTTP 200 without a refusal"
            f" ErrorCode (expected anything but {ACCEPTED!r})"
        )
    return True
