"""Check the spec against a running API: the live one with a key, the embedded sandbox without.

schemathesis generates valid requests from the spec shipped in the wheel
(``socketlabs_api/openapi.yaml``): path parameters are the client's server
(and subaccount) id, required parameters and bodies are generated, optional
ones are left out so that a refusal means the model is wrong, not the
fuzzing. Every request goes through the client's own httpx clients, so it
carries the client's auth and waits for its rate limiter like any call.
Only GET operations run unless write operations are named.

Each answer is judged against the spec and each operation gets one verdict:
``conforms``, ``model only`` (the answer came from the sandbox's model of a
path no source publishes, marked ``X-Sandbox-Model: unverified``: it
confirms nothing), ``not found`` (404 where the spec promises the path exists),
``auth refused`` (401/403), ``rejected`` (another 4xx for valid input),
``response drift`` (an undocumented status or media type, or a body that
does not match: the member and the value seen are named), ``error`` (5xx or
no answer), or ``skipped`` (a write not named). That is what a maintainer
needs to move an operation from ``modeled`` to ``observed`` in one edit. The
key never appears in the report: values equal to it, or under a member whose
name says key, secret or password, are redacted. Error answers are judged
from their whole (redacted) body.

Each operation also gets the observed shape of its success answer: member
names and JSON types only, never a value (``shape_report``). Run against the
live API that report is safe to publish, and ``promote(report, spec)``
turns it into the spec edits (``x-confidence: observed`` and the response
schema). Requests go through the client's public escape hatch
(``client.request(..., raw=True)``), so they carry its auth, rate limiter and
retries. The command line is ``socketlabs contract`` (and
``socketlabs contract promote REPORT``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
from attrs import asdict, frozen
from socketlabs_api.operations import OPERATIONS

from ._config import SERVER_SETTINGS, resolve_config
from ._errors import REDACTED, APIError, APIStatusError, ConfigurationError, redact

if TYPE_CHECKING:
    from ._client import SocketLabs

__all__ = [
    "MODEL_HEADER",
    "ContractReport",
    "Finding",
    "OperationVerdict",
    "Verdict",
    "answer_shape",
    "check_contract",
    "promote",
    "run",
    "spec_path",
    "spec_text",
]

Verdict = Literal[
    "conforms", "model only", "not found", "auth refused", "rejected", "response drift", "error", "skipped"
]
_ORDER: tuple[Verdict, ...] = (
    "response drift",
    "not found",
    "error",
    "auth refused",
    "rejected",
    "conforms",
    "model only",
    "skipped",
)
MODEL_HEADER = "X-Sandbox-Model"
"""The sandbox's mark on its answers to unverified operations: such an answer is never evidence."""
SHAPE_REPORT_VERSION = 1
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
    shape: Any = None
    """The observed shape of the first success answer (``answer_shape``), or None."""


@frozen
class ContractReport:
    """Every operation's verdict, as Markdown (``to_markdown``) or JSON (``to_json``)."""

    target: str
    verdicts: tuple[OperationVerdict, ...]
    live: bool = False
    """Whether the answers came from the real API (not the sandbox): only then are shapes evidence."""

    @property
    def findings(self) -> int:
        """Operations whose verdict is not ``conforms``, ``model only`` or ``skipped``."""
        return sum(v.verdict not in ("conforms", "model only", "skipped") for v in self.verdicts)

    def shape_report(self) -> dict[str, Any]:
        """What is safe to publish: per operation its status and answer shape (names and JSON types).

        No value, no address, no key, no host: the target is named only as live or
        not. ``promote`` reads it.
        """
        return {
            "version": SHAPE_REPORT_VERSION,
            "live": self.live,
            "checked": datetime.now(UTC).date().isoformat(),
            "operations": [
                {
                    "operation_id": v.operation_id,
                    "method": v.method,
                    "path": v.path,
                    "verdict": v.verdict,
                    "statuses": list(v.statuses),
                    "shape": v.shape,
                }
                for v in sorted(self.verdicts, key=lambda x: x.operation_id)
                if v.verdict != "skipped"
            ],
        }

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


_ADDRESS = re.compile(r"@|^\d{3,}$")
"""A member name that is an address or a long number is data, not a name: it is never recorded."""


def answer_shape(value: Any, depth: int = 0) -> Any:  # noqa: PLR0911 - one return per JSON type
    """The shape of a JSON value: member names and JSON types, never a value.

    An object is ``{name: shape}`` (a name that looks like an address or an id
    is ``"<name>"``), an array is ``[shape of its items]`` (the members of all
    items merged), a scalar is its JSON type: ``string``, ``integer``,
    ``number``, ``boolean`` or ``null``.
    """
    if depth > 20:
        return "..."
    if isinstance(value, Mapping):
        return {
            ("<name>" if _ADDRESS.search(str(name)) else str(name)): answer_shape(item, depth + 1)
            for name, item in value.items()
        }
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            shape = answer_shape(item, depth + 1)
            merged = {**merged, **shape} if isinstance(merged, dict) and isinstance(shape, dict) else shape
        return [] if merged is None else [merged]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "null" if value is None else "string"


def check_contract(
    client: SocketLabs,
    *,
    subaccount_id: int | None = None,
    operations: Sequence[str] = (),
    writes: Sequence[str] = (),
    examples: int = 1,
    seed: int = 20260101,
    target: str | None = None,
    live: bool = False,
) -> ContractReport:
    """Send generated valid requests for each chosen operation through ``client``; judge every answer.

    ``operations`` limits the run to these operationIds (all when empty);
    ``writes`` names the non-GET operations that may run (none by default).
    Path parameters: ``serverId`` is the client's, ``subaccountId`` is
    ``subaccount_id`` (operations needing one are skipped without it).
    ``live`` says the client talks to the real API: the report's shapes are then
    evidence ``promote`` may use.
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
        shapes: list[Any] = []
        for case in _cases(api_operation, examples, seed):
            # Generated cases ignore the configured path parameters: pin the owners here.
            owners = {k: v for k, v in (("serverId", server_id), ("subaccountId", subaccount_id)) if v}
            case.path_parameters = {
                **(case.path_parameters or {}),
                **{k: v for k, v in owners.items() if k in (case.path_parameters or {})},
            }
            seen.append(_send(client, op, case, judge, shapes))
        verdict: Verdict = min((v for v, _, _ in seen), key=_ORDER.index, default="skipped")
        findings = tuple(f for v, fs, _ in seen if v == verdict for f in fs)
        unique = tuple(dict.fromkeys(findings))
        statuses = tuple(sorted({s for _, _, s in seen if s is not None}))
        verdicts.append(
            OperationVerdict(
                **base,
                verdict=verdict,
                requests=len(seen),
                statuses=statuses,
                findings=unique,
                shape=shapes[0] if shapes else None,
            )
        )
    shown = target or ", ".join(
        f"{s.name} {getattr(client.config, s.argument, s.default_url)}" for s in SERVER_SETTINGS
    )
    return ContractReport(target=shown, verdicts=tuple(verdicts), live=live)


def _send(
    client: SocketLabs, op: Any, case: Any, judge: _Judge, shapes: list[Any]
) -> tuple[Verdict, list[Finding], int | None]:
    """One generated request through the client's escape hatch: its auth, rate limiter and retries."""
    params = {k: v for k, v in dict(case.query or {}).items() if v is not None}
    if op.pagination is not None:  # one small page: a probe, never a whole list or a 500,000-row download
        params.setdefault("pageSize", 1)
        params.setdefault("pageNumber", 0)
    body = case.body if type(case.body).__name__ != "NotSet" else None
    try:
        response = client.request(
            op.method,
            case.formatted_path,
            params=params,
            json=body,
            server=op.server,
            accept=op.accept,
            raw=True,
        )
    except APIStatusError as error:  # judged like any other answer, from its whole (redacted) body
        response = httpx.Response(error.status_code, headers=error.headers, content=error.full_body.encode())
    except APIError as error:
        what = redact(f"no answer: {type(error).__name__}", judge.secrets)
        return ("error", [Finding(None, "", "", what)], None)
    verdict, findings = judge.judge(response)
    if response.headers.get(MODEL_HEADER) == "unverified" and verdict == "conforms":
        verdict = "model only"  # the sandbox answered from its own model: nothing is confirmed
    if 200 <= response.status_code < 300 and "json" in response.headers.get("content-type", ""):
        with contextlib.suppress(ValueError):
            shapes.append(answer_shape(response.json()))
    return (verdict, findings, response.status_code)


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


def run(
    *,
    api_key: str | None,
    server_id: int | None,
    subaccount_id: int | None,
    urls: Mapping[str, str | None],
    sandbox: bool,
    operations: Sequence[str],
    writes: Sequence[str],
    examples: int,
) -> ContractReport:
    """What ``socketlabs contract`` runs: the sandbox without a key (or with ``sandbox``), else the API."""
    count = max(1, examples)
    if sandbox or not api_key:
        with _sandbox_client() as (client, subaccount, target):
            return check_contract(
                client,
                subaccount_id=subaccount,
                target=target,
                operations=operations,
                writes=writes,
                examples=count,
            )
    from ._client import SocketLabs  # noqa: PLC0415 - see _sandbox_client

    with SocketLabs(
        api_key,
        server_id,
        base_url=urls.get("base_url"),
        inject_url=urls.get("inject_url"),
        management_url=urls.get("management_url"),
        marketing_url=urls.get("marketing_url"),
    ) as client:
        return check_contract(
            client,
            subaccount_id=subaccount_id,
            live=True,
            operations=operations,
            writes=writes,
            examples=count,
        )


# --- promotion: a live report becomes spec edits -------------------------------------------------------

_JSON_TYPES = {"string", "integer", "number", "boolean", "null"}


def _schema_of(shape: Any) -> Any:
    """A JSON Schema for an observed shape (every member seen is listed; none is required)."""
    if isinstance(shape, dict):
        members = {name: _schema_of(item) for name, item in shape.items() if name != "<name>"}
        schema: dict[str, Any] = {"type": "object", "properties": members}
        if "<name>" in shape:
            schema["additionalProperties"] = _schema_of(shape["<name>"])
        return schema
    if isinstance(shape, list):
        return {"type": "array", "items": _schema_of(shape[0])} if shape else {"type": "array"}
    if shape in _JSON_TYPES and shape != "null":
        return {"type": shape}
    return {}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _schema_name(operation_id: str) -> str:
    return "Observed" + operation_id[:1].upper() + operation_id[1:]


def _operation_block(lines: list[str], operation_id: str) -> tuple[int, int]:
    """The line range of the operation whose ``operationId`` is given (its method line to its end).

    A link names operations with the same key, deeper down: only the one right under a method counts.
    """
    for marker, line in enumerate(lines):
        if line.strip() != f"operationId: {operation_id}":
            continue
        start = marker
        while start > 0 and not re.fullmatch(r"\s*(get|put|post|delete|patch):\s*", lines[start]):
            start -= 1
        indent = _indent(lines[start])
        if _indent(line) != indent + 2:
            continue
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
            end += 1
        return start, end
    raise ConfigurationError(f"the spec has no operation {operation_id}")


def promote(report: Mapping[str, Any], spec: str) -> tuple[str, list[str]]:
    """The spec text with each operation the live report saw answer 2xx marked ``observed``.

    For each such operation: a ``modeled`` ``x-confidence`` and
    ``x-shape-confidence`` become ``observed``, ``x-source`` says so, and when
    the shape was modeled its 2xx JSON answer refers to a new
    ``components/schemas/Observed<OperationId>`` written from the observed
    shape. Only a ``live`` report promotes anything: the sandbox is the client's
    own model. Returns the new text and the promoted operationIds.
    """
    if report.get("version") != SHAPE_REPORT_VERSION:
        raise ConfigurationError(f"not a contract shape report (version {SHAPE_REPORT_VERSION})")
    if not report.get("live"):
        raise ConfigurationError("the report was not made against the live API: it is no evidence")
    lines = spec.splitlines()
    schemas: list[str] = []
    promoted: list[str] = []
    checked = str(report.get("checked", ""))
    for entry in report.get("operations", []):
        operation_id, shape = entry.get("operation_id"), entry.get("shape")
        ok = any(200 <= int(s) < 300 for s in entry.get("statuses", []))
        if operation_id not in OPERATIONS or shape is None or not ok or entry.get("verdict") == "model only":
            continue
        start, end = _operation_block(lines, operation_id)
        block = lines[start:end]
        modeled = {line.strip() for line in block} & {"x-confidence: modeled", "x-shape-confidence: modeled"}
        if not modeled:
            continue  # evidenced already: nothing to promote
        name = _schema_name(operation_id)
        block = _mark_observed(block, modeled, f"observed by the live contract check on {checked}")
        if "x-shape-confidence: modeled" in modeled:  # a documented shape stays; a modeled one is replaced
            _point_2xx_at(block, name)
            schemas.append(f"    {name}: {json.dumps(_schema_of(shape), sort_keys=True)}")
        lines[start:end] = block
        promoted.append(operation_id)
    if schemas:
        at = next(i for i, line in enumerate(lines) if line == "  schemas:") + 1
        lines[at:at] = schemas
    return "\n".join(lines) + "\n", promoted


def _mark_observed(block: list[str], modeled: set[str], note: str) -> list[str]:
    """An operation block with its modeled confidences observed and ``note`` added to ``x-source``."""
    for i, line in enumerate(block):
        stripped = line.strip()
        pad = line[: _indent(line)]
        if stripped in modeled:
            block[i] = pad + stripped.replace("modeled", "observed")
        elif stripped.startswith("x-source:"):
            block[i] = pad + "x-source: " + json.dumps(f"{_source_text(block, i)}; {note}")
            for j in range(i + 1, len(block)):  # a folded x-source's continuation lines
                if _indent(block[j]) > len(pad) and not block[j].strip().startswith("x-"):
                    block[j] = "\0"
                else:
                    break
    return [line for line in block if line != "\0"]


def _source_text(block: list[str], i: int) -> str:
    """An ``x-source`` value as one string (plain, quoted or folded over several lines)."""
    import yaml  # noqa: PLC0415 - the contract extra

    pad = len(block[i]) - len(block[i].lstrip())
    text = [block[i].strip()]
    for line in block[i + 1 :]:
        if len(line) - len(line.lstrip()) > pad and not line.strip().startswith("x-"):
            text.append(line.strip())
        else:
            break
    value = yaml.safe_load(" ".join(text))["x-source"]
    return str(value)


def _point_2xx_at(block: list[str], name: str) -> None:
    """Make the first 2xx JSON answer's schema of an operation block refer to ``name``."""
    in_success = False
    for i, line in enumerate(block):
        stripped = line.strip()
        if re.fullmatch(r"['\"]?2\d\d['\"]?:.*", stripped):
            in_success = True
        elif in_success and stripped.startswith("schema:"):
            pad = line[: len(line) - len(line.lstrip())]
            block[i] = f"{pad}schema: {{$ref: '#/components/schemas/{name}'}}"
            j = i + 1  # drop the old schema's nested lines
            while j < len(block) and len(block[j]) - len(block[j].lstrip()) > len(pad):
                block[j] = "\0"
                j += 1
            block[:] = [b for b in block if b != "\0"]
            return


def promote_file(report_path: Path, spec_path_: Path) -> list[str]:
    """``promote`` on files: rewrite the spec in place; the promoted operationIds."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    text, promoted = promote(report, spec_path_.read_text(encoding="utf-8"))
    if promoted:
        spec_path_.write_text(text, encoding="utf-8")
    return promoted
