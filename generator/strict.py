"""The shipped spec's strict parameter schemas and its schemathesis configuration, from the spec's facts.

``spec/openapi.yaml`` states each rule once, as a fact the client and the
sandbox act on: ``x-filters`` (the fields of ``filters`` and their types),
the JSON items a list answers, the date forms of ``ApiDate``, ``x-servers``.
Its parameter schemas stay loose where a schema would only repeat a fact (and
where a per-operation enum would change the generated client's types). The
copy shipped in the wheel is the same spec with those facts written out as
JSON Schema, so a plain ``schemathesis run`` over it sends only what the API
accepts and checks that everything else is refused:

* ``ApiDate``: the three documented forms with real calendar values (leap
  years included, so 30 February and 29 February 2023 are refused by the
  pattern itself) and offsets up to +/-14:00;
* ``filters``: per operation, a pattern of its ``x-filters`` fields, each
  with the predicates of its type and values of that type;
* ``sortField``: per operation, the enum of its sortable fields: the
  parameter's ``x-sort-fields`` where the spec states them, else its
  ``x-filters`` fields that its JSON items carry (all of them for a CSV
  download, which has no JSON items), else the items' members.

``schemathesis_config`` renders the configuration shipped beside it. The
generator writes both (``generator/regenerate.py``), so the schema, the
client's checks (which read the same ``x-filters``) and the sandbox (held to
them by schemathesis) cannot disagree. Pure functions: same spec, same output.
"""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = [
    "API_DATE",
    "CONFIG_NAME",
    "HOOKS_MODULE",
    "WRITE_METHODS",
    "filter_pattern",
    "schemathesis_config",
    "sort_fields",
    "strict_spec",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WRITE_METHODS = ("post", "put", "patch", "delete")
CONFIG_NAME = "socketlabs.schemathesis.toml"
"""The configuration's file name, in the package and at the repository root.

Not ``schemathesis.toml``: schemathesis loads a file of that name from the
working directory on its own, also inside other tools' test runs.
"""
HOOKS_MODULE = "socketlabs_api.schemathesis_hooks"

_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_TIME = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_ZONE = "(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
API_DATE = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)(?:{_TIME})?{_ZONE}?"
"""`yyyy-MM-dd`, `yyyy-MM-ddK`, `yyyy-MM-ddTHH:mm:ssK`: real dates from year 0001, hours 00-23."""

REJECTION_STATUSES = ["200", "400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429"]
REJECTION_STATUSES.append("5xx")
"""schemathesis's default rejection statuses for ``negative_data_rejection``, and 200."""

_NUMBER = "-?[0-9]+(?:\\.[0-9]+)?"


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


def _value_form(kind: str | list[str]) -> str:
    """The predicates and values a field of this ``x-filters`` type takes (enums and booleans in any case)."""
    if isinstance(kind, list):
        return f"(?:eq|neq):(?:{'|'.join(_any_case(value) for value in kind)})"
    forms = {
        "string": "(?:eq|neq|like|nlike|start|end):[^&]*",
        "number": f"(?:eq|neq|gt|lt|gte|lte):{_NUMBER}",
        "date": f"(?:eq|gt|lt|gte|lte):{API_DATE}",
        "boolean": f"(?:eq|neq):(?:{_any_case('true')}|{_any_case('false')})",
    }
    return forms[kind]


def filter_pattern(fields: dict[str, str | list[str]]) -> str:
    """The anchored pattern of a ``filters`` value over these ``x-filters`` fields (joined by ``&``)."""
    one = "(?:" + "|".join(f"{re.escape(name)}={_value_form(kind)}" for name, kind in fields.items()) + ")"
    return f"^{one}(?:&{one})*$"


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        node = target
    return node


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(path, method, path item, operation) for every operation under ``paths:``, in spec order."""
    return [
        (path, method, item, item[method])
        for path, item in spec.get("paths", {}).items()
        for method in HTTP_METHODS
        if isinstance(item.get(method), dict)
    ]


def item_members(spec: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    """The members of the items of the operation's JSON list answer (none for a CSV download)."""
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            media = _resolve(spec, response).get("content", {}).get("application/json", {})
            body = _resolve(spec, media.get("schema", {}))
            data = _resolve(spec, body.get("properties", {}).get("data", {}))
            items = _resolve(spec, data.get("items", {}))
            if items.get("properties"):
                return list(items["properties"])
    return []


def sort_fields(spec: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    """Without ``x-sort-fields``: its ``x-filters`` fields its JSON items carry, else the items' members.

    A filter field the items lack (a contact's ``listId``) cannot order them;
    a CSV download has no JSON items, so all its filter fields count.
    """
    members = item_members(spec, operation)
    if "x-filters" in operation:
        fields = list(operation["x-filters"])
        return [f for f in fields if f in members] if members else fields
    return members


def _strict_parameter(spec: dict[str, Any], operation: dict[str, Any], raw: Any) -> Any:
    """The parameter with its schema narrowed to the operation's facts, or unchanged."""
    parameter = _resolve(spec, raw)
    if not isinstance(parameter, dict) or parameter.get("in") != "query":
        return raw
    name = parameter.get("name")
    if name == "filters" and "x-filters" in operation:
        narrowed = copy.deepcopy(parameter)
        pattern = filter_pattern(operation["x-filters"])
        narrowed["schema"] = {"type": "string", "minLength": 1, "pattern": pattern}
        return narrowed
    if name == "sortField":
        declared = parameter.get("x-sort-fields")
        fields = list(declared) if isinstance(declared, list) else sort_fields(spec, operation)
        if fields:
            narrowed = copy.deepcopy(parameter)
            narrowed["schema"] = {"type": "string", "enum": fields}
            return narrowed
    return raw


def _key(spec: dict[str, Any], raw: Any) -> tuple[Any, Any]:
    parameter = _resolve(spec, raw)
    return (parameter.get("name"), parameter.get("in")) if isinstance(parameter, dict) else (None, None)


def strict_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` whose parameter schemas state the API's rules (see the module docstring)."""
    strict = copy.deepcopy(spec)
    schemas = strict.get("components", {}).get("schemas", {})
    if "ApiDate" in schemas:
        schemas["ApiDate"]["pattern"] = f"^{API_DATE}$"
    for _path, _method, item, operation in operations(strict):
        own = operation.get("parameters", [])
        names = {_key(strict, raw) for raw in own}
        # A path-level parameter is narrowed by an operation-level one of the same name (OpenAPI's rule).
        inherited = [raw for raw in item.get("parameters", []) if _key(strict, raw) not in names]
        narrowed = [_strict_parameter(strict, operation, raw) for raw in own]
        narrowed += [n for raw in inherited if (n := _strict_parameter(strict, operation, raw)) is not raw]
        if narrowed:
            operation["parameters"] = narrowed
    return strict


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_string(v) for v in values) + "]"


def schemathesis_config(spec: dict[str, Any]) -> str:
    """The schemathesis configuration shipped beside the spec (TOML text).

    Declared here: credentials from ``SOCKETLABS_API_KEY`` and, for each ``x-servers`` entry whose
    errors are the Injection API's (HTTP 200 with an ``ErrorCode``), the
    refusal check in place of ``negative_data_rejection``. The hooks module
    does what a configuration cannot: it routes each ``x-servers`` entry's
    operations to the URL in that entry's environment variable (the client's
    own), runs write operations only when ``SOCKETLABS_CONTRACT_WRITES`` names
    them, and judges an ``ErrorCode`` refusal as a refusal.
    """
    servers: dict[str, Any] = spec.get("x-servers", {})
    injection_like = [name for name, facts in servers.items() if facts.get("errors") == "injection"]
    refused_in_body = [
        str(operation["operationId"])
        for _path, _method, _item, operation in operations(spec)
        if operation.get("x-server", "api") in injection_like
    ]
    routing = "\n".join(
        f"#   {name:<12} {facts['env']:<28} (unset: {facts['url']})" for name, facts in servers.items()
    )
    lines = [
        "# schemathesis configuration for the SocketLabs spec shipped beside it (openapi.yaml).",
        "# Generated by generator/regenerate.py from spec/openapi.yaml; do not edit.",
        "#",
        "#   schemathesis --config-file socketlabs.schemathesis.toml run openapi.yaml --checks all",
        "#",
        "# No --url: each x-servers entry's operations go to the URL in its environment",
        "# variable, the one the client reads (the hooks module routes them, over --url):",
        routing,
        "# SOCKETLABS_API_KEY is required, SOCKETLABS_SERVER_ID goes in the paths (`socketlabs",
        "# sandbox` prints all of these). Write operations (POST, PUT, PATCH, DELETE) run only when",
        "# SOCKETLABS_CONTRACT_WRITES names them: operationIds separated by commas, or `all`.",
        "",
        f"hooks = {_toml_string(HOOKS_MODULE)}",
        "",
        "[auth.openapi.bearerAuth]",
        'bearer = "${SOCKETLABS_API_KEY}"',
        "",
        "# No query parameter, header or member the spec does not declare: nothing the vendor",
        "# published says the API refuses unknown ones, so a check that it does would test a guess.",
        "[generation]",
        "allow-extra-parameters = false",
    ]
    if refused_in_body:
        lines += [
            "",
            "# These answer a refused request with HTTP 200 and an `ErrorCode` other than",
            "# `Success` (x-servers errors: injection), as the real API does. 200 is one of",
            "# their rejection statuses; the hooks' `injection_refusal` check then fails a",
            "# schema-violating request answered 200 with `Success`.",
            "[[operations]]",
            f"include-operation-id = {_toml_list(refused_in_body)}",
            f"checks.negative_data_rejection.expected-statuses = {_toml_list(REJECTION_STATUSES)}",
        ]
    return "\n".join(lines) + "\n"
