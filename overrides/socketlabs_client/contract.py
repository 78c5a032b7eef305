"""Check the spec against a running API: the live one with a key, the embedded sandbox without.

schemathesis generates valid requests from the spec shipped in the wheel
(``socketlabs_api/openapi.yaml``): path parameters are the client's server
(and subaccount) id, required parameters and bodies are generated, optional
ones are left out so that a refusal means the model is wrong, not the
fuzzing. Every request goes through the client's own httpx clients, so it
carries the client's auth and waits for its rate limiter like any call.
Only GET operations run unless write operations are named.

Each answer is judged against the spec and each operation gets one verdict:
``conforms``, ``not found`` (404 where the spec promises the path exists),
``auth refused`` (401/403), ``rejected`` (another 4xx for valid input),
``response drift`` (an undocumented status or media type, or a body that
does not match: the member and the value seen are named), ``error`` (5xx or
no answer), or ``skipped`` (a write not named). That is what a maintainer
needs to move an operation from ``modeled`` to ``observed`` in one edit. The
key never appears in the report: values equal to it, or under a member whose
name says key, secret or password, are redacted.

``python -m socketlabs_client.contract --help``; ``main(argv)`` is the CLI.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from http import HTTPStatus
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Literal, cast

import httpx
from attrs import asdict, frozen
from socketlabs_api.operations import OPERATIONS
from socketlabs_api.types import Response

from ._config import SERVER_SETTINGS, resolve_config
from ._errors import REDACTED, APIError, APIStatusError, ConfigurationError, redact

if TYPE_CHECKING:
    from ._client import SocketLabs

__all__ = [
    "ContractReport",
    "Finding",
    "OperationVerdict",
    "Verdict",
    "check_contract",
    "main",
    "spec_path",
    "spec_text",
]

Verdict = Literal["conforms", "not found", "auth refused", "rejected", "response drift", "error", "skipped"]
_ORDER: tuple[Verdict, ...] = (
    "response drift",
    "not found",
    "error",
    "auth refused",
    "rejected",
    "conforms",
    "skipped",
)
_HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_SECRET_MEMBER = re.compile(r"key|secret|password", re.IGNORECASE)
_VALUE_PREVIEW = 80
_OWNER_PARAMETERS = frozenset({"serverId", "subaccountId"})


def spec_path() -> Any:
    """The spec shipped inside ``socketlabs_api`` (an ``importlib.resources`` traversable)."""
    return files("socketlabs_api").joinpath("openapi.yaml")


def spec_text() -> str:
    """The shipped spec's YAML text."""
    return str(spec_path().read_text(encoding="utf-8"))


@frozen
class Finding:
    """One way an answer differs from the spec: the member (a JSON path) and the value seen."""

    status: int | None
    member: str
    value: str
    problem: str


@frozen
class OperationVerdict:
    """The verdict on one operation and the evidence for it."""

    operation_id: str
    method: str
    path: str
    server: str
    confidence: str
    verdict: Verdict
    requests: int
    statuses: tuple[int, ...]
    findings: tuple[Finding, ...] = ()


@frozen
class ContractReport:
    """Every operation's verdict, as Markdown (``to_markdown``) or JSON (``to_json``)."""

    target: str
    verdicts: tuple[OperationVerdict, ...]

    @property
    def findings(self) -> int:
        """Operations whose verdict is not ``conforms`` or ``skipped``."""
        return sum(v.verdict not in ("conforms", "skipped") for v in self.verdicts)

    def to_json(self) -> str:
        """The report as JSON (one object per operation)."""
        return json.dumps(asdict(self), indent=2, sort_keys=False)

    def to_markdown(self) -> str:
        """The report as a Markdown table, findings first."""
        counts = {v: sum(x.verdict == v for x in self.verdicts) for v in _ORDER}
        summary = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        lines = [
            f"Contract check against {self.target}: {summary}.",
            "",
            "| operation | request | confidence | verdict | statuses | details |",
            "|---|---|---|---|---|---|",
        ]
        for v in sorted(self.verdicts, key=lambda x: (_ORDER.index(x.verdict), x.operation_id)):
            details = "; ".join(
                f"`{f.member}` = {f.value}: {f.problem}" if f.member else f.problem for f in v.findings
            )
            statuses = ", ".join(str(s) for s in v.statuses)
            lines.append(
                f"| {v.operation_id} | {v.method} `{v.path}` | {v.confidence} | {v.verdict} "
                f"| {statuses} | {_cell(details)} |"
            )
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        node = target
    return node


def _required_only(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with every optional query parameter removed (sent requests stay minimal and valid)."""
    narrowed = copy.deepcopy(spec)
    for item in narrowed.get("paths", {}).values():
        for method in _HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "parameters" not in operation:
                continue
            operation["parameters"] = [
                p
                for p in operation["parameters"]
                if not (_resolve(spec, p).get("in") == "query" and not _resolve(spec, p).get("required"))
            ]
    return narrowed


class _Judge:
    """Judges one operation's answers against the spec."""

    def __init__(
        self, spec: Mapping[str, Any], path: str, operation: Mapping[str, Any], secrets: Sequence[str]
    ) -> None:
        self.spec = spec
        self.responses = {str(k): _resolve(spec, v) for k, v in operation.get("responses", {}).items()}
        self.secrets = [s for s in secrets if s]
        self.names_an_item = bool(set(re.findall(r"\{(\w+)\}", path)) - _OWNER_PARAMETERS)
        """A 404 of a path naming an item (a list id, a domain) may mean the item is absent, not the path."""

    def _shown(self, member: str, value: object) -> str:
        if _SECRET_MEMBER.search(member.rsplit("/", 1)[-1]):
            return REDACTED
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
        text = redact(text, self.secrets)
        return text if len(text) <= _VALUE_PREVIEW else text[: _VALUE_PREVIEW - 3] + "..."

    def judge(self, response: httpx.Response) -> tuple[Verdict, list[Finding]]:  # noqa: PLR0911 - one return per verdict
        status = response.status_code
        documented = self.responses.get(str(status)) or self.responses.get(f"{str(status)[0]}XX")
        if status in (401, 403):
            return "auth refused", [Finding(status, "", "", f"HTTP {status}")]
        if status == 404 and (documented is None or not self.names_an_item):
            return "not found", [Finding(status, "", "", "HTTP 404: the path (or its server) does not exist")]
        if status >= 500:
            return "error", [Finding(status, "", "", f"HTTP {status}")]
        if documented is None:
            return "response drift", [Finding(status, "(status)", str(status), "status not in the spec")]
        content = documented.get("content") or {}
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content and media not in content:
            found = Finding(status, "(content-type)", media or "(none)", f"spec says {', '.join(content)}")
            return "response drift", [found]
        findings: list[Finding] = []
        for name, header in (documented.get("headers") or {}).items():
            pattern = _resolve(self.spec, _resolve(self.spec, header).get("schema", {})).get("pattern")
            value = response.headers.get(name)
            if pattern and value is not None and not re.search(pattern, value):
                findings.append(Finding(status, f"(header {name})", repr(value), f"does not match {pattern}"))
        schema = _resolve(self.spec, (content.get(media) or {}).get("schema"))
        if media == "application/json" and isinstance(schema, Mapping):
            findings += self._body_findings(status, response, schema)
        if findings:
            return "response drift", findings
        if status < 400 or status == 404:  # 404 here: the named item is absent, as documented
            return "conforms", []
        return "rejected", [Finding(status, "", "", f"HTTP {status} for valid input")]

    def _body_findings(
        self, status: int, response: httpx.Response, schema: Mapping[str, Any]
    ) -> list[Finding]:
        from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # noqa: PLC0415 - optional extra

        try:
            body = response.json()
        except ValueError:
            return [Finding(status, "(body)", "(not JSON)", "the body does not parse as JSON")]
        root = {**schema, "components": self.spec.get("components", {})}
        findings = []
        for error in sorted(Draft202012Validator(root).iter_errors(body), key=lambda e: list(e.path)):
            member = "/".join(str(p) for p in error.path)
            if error.validator == "required" and isinstance(error.instance, Mapping):
                missing = str(error.message).split("'")[1] if "'" in str(error.message) else "?"
                known = set(_resolve(root, error.schema).get("properties", {}))
                extra = sorted(set(error.instance) - known)
                note = f"; members not in the spec here: {', '.join(extra)}" if extra else ""
                path = f"{member}/{missing}" if member else missing
                findings.append(Finding(status, path, "(missing)", f"required by the spec{note}"))
            else:
                problem = redact(str(error.message), self.secrets)
                if len(problem) > 160:
                    problem = f"fails `{error.validator}`: {error.validator_value}"
                findings.append(
                    Finding(status, member or "(body)", self._shown(member, error.instance), problem)
                )
        return findings[:10]


def _cases(operation: Any, examples: int, seed: int) -> list[Any]:
    """Up to ``examples`` valid cases, deterministic for a seed."""
    import hypothesis  # noqa: PLC0415 - optional (the contract/sandbox extras), loaded when used
    from hypothesis import HealthCheck, Phase  # noqa: PLC0415 - optional (the contract/sandbox extras), loaded when used

    found: list[Any] = []

    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.seed(seed)
    @hypothesis.given(operation.as_strategy())
    def collect(case: Any) -> None:
        if len(found) < examples:
            found.append(case)

    collect()
    return found


def _whole_answer(*, response: httpx.Response) -> Response[httpx.Response]:
    """The executor's parse step for the check: the answer itself, for the judge to read."""
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=response,
    )


def check_contract(
    client: SocketLabs,
    *,
    subaccount_id: int | None = None,
    operations: Sequence[str] = (),
    writes: Sequence[str] = (),
    examples: int = 1,
    seed: int = 20260101,
    target: str | None = None,
) -> ContractReport:
    """Send generated valid requests for each chosen operation through ``client``; judge every answer.

    ``operations`` limits the run to these operationIds (all when empty);
    ``writes`` names the non-GET operations that may run (none by default).
    Path parameters: ``serverId`` is the client's, ``subaccountId`` is
    ``subaccount_id`` (operations needing one are skipped without it).
    """
    import schemathesis  # noqa: PLC0415 - optional (the contract/sandbox extras), loaded when used
    import yaml  # noqa: PLC0415 - optional (the contract/sandbox extras), loaded when used

    spec: dict[str, Any] = yaml.safe_load(spec_text())
    server_id = client.config.server_id
    if server_id is None:
        raise ConfigurationError("the contract check needs a server id (server_id= or SOCKETLABS_SERVER_ID)")
    parameters: dict[str, Any] = {"path.serverId": server_id}
    if subaccount_id is not None:
        parameters["path.subaccountId"] = subaccount_id
    config = schemathesis.Config.from_dict(
        {"parameters": parameters, "generation": {"mode": "positive", "database": "none"}}
    )
    schema = schemathesis.openapi.from_dict(_required_only(spec), config=config)
    by_route = {
        (method.upper(), path): op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in _HTTP_METHODS
    }
    wanted = set(operations)
    unknown = (wanted | set(writes)) - set(OPERATIONS)
    if unknown:
        raise ConfigurationError(f"unknown operationIds: {', '.join(sorted(unknown))}")
    secrets = [client.config.api_key]
    verdicts: list[OperationVerdict] = []
    for result in schema.get_all_operations():
        api_operation = getattr(result, "ok", lambda: None)()  # an Err: an operation the schema cannot load
        if api_operation is None:
            continue
        raw = by_route[(api_operation.method.upper(), api_operation.path)]
        op = OPERATIONS[raw["operationId"]]
        if wanted and op.operation_id not in wanted:
            continue
        base = {
            "operation_id": op.operation_id,
            "method": op.method,
            "path": op.path,
            "server": op.server,
            "confidence": op.confidence,
        }
        needs_subaccount = "{subaccountId}" in op.path and subaccount_id is None
        if (op.method != "GET" and op.operation_id not in writes) or needs_subaccount:
            reason = "no subaccount id given" if needs_subaccount else "a write operation; name it to run it"
            skip = Finding(None, "", "", reason)
            verdicts.append(
                OperationVerdict(**base, verdict="skipped", requests=0, statuses=(), findings=(skip,))
            )
            continue
        judge = _Judge(spec, op.path, raw, secrets)
        seen: list[tuple[Verdict, list[Finding], int | None]] = []
        for case in _cases(api_operation, examples, seed):
            # Generated cases ignore the configured path parameters: pin the owners here.
            owners = {k: v for k, v in (("serverId", server_id), ("subaccountId", subaccount_id)) if v}
            case.path_parameters = {
                **(case.path_parameters or {}),
                **{k: v for k, v in owners.items() if k in (case.path_parameters or {})},
            }
            seen.append(_send(client, op, case, judge))
        verdict: Verdict = min((v for v, _, _ in seen), key=_ORDER.index, default="skipped")
        findings = tuple(f for v, fs, _ in seen if v == verdict for f in fs)
        unique = tuple(dict.fromkeys(findings))
        statuses = tuple(sorted({s for _, _, s in seen if s is not None}))
        verdicts.append(
            OperationVerdict(**base, verdict=verdict, requests=len(seen), statuses=statuses, findings=unique)
        )
    shown = target or ", ".join(
        f"{s.name} {getattr(client.config, s.argument, s.default_url)}" for s in SERVER_SETTINGS
    )
    return ContractReport(target=shown, verdicts=tuple(verdicts))


def _send(client: SocketLabs, op: Any, case: Any, judge: _Judge) -> tuple[Verdict, list[Finding], int | None]:
    """One generated request through the client's own lifecycle: its auth, rate limiter and retries."""
    body = case.body
    request: dict[str, Any] = {
        "method": op.method,
        "url": case.formatted_path,
        "params": dict(case.query or {}),
    }
    if op.pagination is not None:  # one small page: a probe, never a whole list or a 500,000-row download
        request["params"].setdefault("pageSize", 1)
        request["params"].setdefault("pageNumber", 0)
    if type(body).__name__ != "NotSet":
        request["json"] = body
    try:
        answer = client._executor.execute(op, request, _whole_answer)
        response = cast("httpx.Response", answer.parsed)
    except APIStatusError as error:  # judged like any other answer: its status and headers
        response = httpx.Response(error.status_code, headers=error.headers, content=error.body.encode())
    except APIError as error:
        what = redact(f"no answer: {type(error).__name__}", judge.secrets)
        return ("error", [Finding(None, "", "", what)], None)
    return (*judge.judge(response), response.status_code)


@contextlib.contextmanager
def _sandbox_client() -> Iterator[tuple[SocketLabs, int, str]]:
    """The embedded sandbox and a client for it (needs the ``sandbox`` extra)."""
    from socketlabs_sandbox import DEFAULT_SUBACCOUNT_ID, Sandbox, SandboxConfig  # noqa: PLC0415 - optional (the contract/sandbox extras), loaded when used

    from ._client import SocketLabs  # noqa: PLC0415 - _client imports this package's siblings

    with (
        Sandbox(SandboxConfig()) as sandbox,
        SocketLabs.from_config(
            resolve_config(
                api_key=sandbox.api_key,
                server_id=sandbox.server_id,
                env={setting.env_var: sandbox.urls[setting.name] for setting in SERVER_SETTINGS},
            )
        ) as client,
    ):
        yield client, DEFAULT_SUBACCOUNT_ID, f"the embedded sandbox ({sandbox.url})"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="socketlabs contract",
        description="Check the spec against the SocketLabs API (the embedded sandbox when no key is given).",
    )
    parser.add_argument("--api-key", help="the API key (default: $SOCKETLABS_API_KEY; none: the sandbox)")
    parser.add_argument("--server-id", type=int, help="the server id (default: $SOCKETLABS_SERVER_ID)")
    parser.add_argument("--subaccount-id", type=int, help="a subaccount id for the /subaccount operations")
    parser.add_argument("--base-url", help="v2 base URL (default: $SOCKETLABS_BASE_URL or the real API)")
    parser.add_argument("--inject-url", help="injection base URL")
    parser.add_argument("--management-url", help="v1 base URL")
    parser.add_argument(
        "--sandbox", action="store_true", help="check the embedded sandbox even if a key is set"
    )
    parser.add_argument("--operation", action="append", default=[], help="only this operationId (repeatable)")
    parser.add_argument(
        "--write", action="append", default=[], help="also run this non-GET operationId (repeatable)"
    )
    parser.add_argument("--examples", type=int, default=1, help="requests per operation (default: 1)")
    parser.add_argument(
        "--json",
        dest="json_path",
        help="also write the report as JSON to this file ('-': print the JSON instead of the table)",
    )
    parser.add_argument("--markdown", dest="markdown_path", help="also write the Markdown table to this file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: print the Markdown report; exit 0 when every operation run conforms, 1 if not, 2 on bad input."""
    args = _parser().parse_args(argv)
    options = {"operations": args.operation, "writes": args.write, "examples": max(1, args.examples)}
    key = args.api_key or os.environ.get("SOCKETLABS_API_KEY")
    try:
        if args.sandbox or not key:
            with _sandbox_client() as (client, subaccount, target):
                report = check_contract(client, subaccount_id=subaccount, target=target, **options)
        else:
            from ._client import SocketLabs  # noqa: PLC0415 - see _sandbox_client

            urls = {
                "base_url": args.base_url,
                "inject_url": args.inject_url,
                "management_url": args.management_url,
            }
            with SocketLabs(key, args.server_id, **{k: v for k, v in urls.items() if v}) as client:
                report = check_contract(client, subaccount_id=args.subaccount_id, **options)
    except ConfigurationError as exc:
        print(f"socketlabs contract: {exc}", file=sys.stderr)
        return 2
    markdown = report.to_markdown()
    if args.json_path == "-":
        print(report.to_json())
    else:
        print(markdown, end="")
    if args.json_path and args.json_path != "-":
        with open(args.json_path, "w", encoding="utf-8") as handle:
            handle.write(report.to_json())
    if args.markdown_path:
        with open(args.markdown_path, "w", encoding="utf-8") as handle:
            handle.write(markdown)
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
