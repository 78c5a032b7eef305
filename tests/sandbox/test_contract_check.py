"""The contract check finds drift: a sandbox that drifts on purpose is caught, the true sandbox is clean."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from socketlabs_client import SocketLabs
from socketlabs_client.contract import check_contract, main, spec_text
from socketlabs_sandbox import DEFAULT_SUBACCOUNT_ID, Sandbox, SandboxConfig
from socketlabs_sandbox._app import SandboxApp
from starlette.requests import Request
from starlette.responses import Response

SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"


class DriftingApp(SandboxApp):
    """The sandbox, but the API has moved on: a path moved, a member renamed, a type changed."""

    def dispatch(self, request: Request, body: bytes) -> Response:
        path = request.url.path
        if path.endswith("/suppressions/search"):  # moved to .../suppressions/list
            return Response(
                '{"error":[{"errorType":"NotFound","message":"moved"}]}', 404, media_type="application/json"
            )
        response = super().dispatch(request, body)
        if response.status_code != 200 or response.media_type != "application/json":
            return response
        data = json.loads(bytes(response.body))
        if path.endswith("/reports/messages/detail"):
            for row in data["data"]:
                row["queuedAt"] = row.pop("queuedTime")  # renamed
        elif re.search(r"/subaccount/\d+$", path):
            data["data"]["streamScore"] = str(data["data"]["streamScore"])  # integer -> string
        elif path.endswith("/credentials/injection-api"):
            data["data"]["serverId"] = self.state.config.api_key  # a value that must never be shown
        return Response(json.dumps(data), 200, media_type="application/json")


def _client(sandbox: Sandbox) -> SocketLabs:
    return SocketLabs(
        sandbox.api_key,
        sandbox.server_id,
        base_url=sandbox.api_url,
        inject_url=sandbox.inject_url,
        management_url=sandbox.management_url,
    )


@pytest.fixture
def drifting() -> Iterator[Sandbox]:
    sandbox = Sandbox(SandboxConfig())
    sandbox._app = DriftingApp(sandbox.state)  # served instead of the true app (app is read-only)
    with sandbox:
        yield sandbox


def test_the_spec_ships_inside_the_package() -> None:
    # The shipped copy is the source with strict parameter schemas (tests/generator/test_strict.py).
    shipped, source = yaml.safe_load(spec_text()), yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    assert shipped["paths"].keys() == source["paths"].keys()
    assert shipped["x-servers"] == source["x-servers"]


def test_the_true_sandbox_has_no_findings() -> None:
    with Sandbox(SandboxConfig()) as sandbox, _client(sandbox) as client:
        report = check_contract(client, subaccount_id=DEFAULT_SUBACCOUNT_ID)
    verdicts = {v.verdict for v in report.verdicts}
    assert report.findings == 0, report.to_markdown()
    assert verdicts == {"conforms", "skipped"}
    ran = [v for v in report.verdicts if v.verdict == "conforms"]
    assert len(ran) >= 60 and all(v.method == "GET" and v.requests >= 1 for v in ran)
    assert all(v.method != "GET" for v in report.verdicts if v.verdict == "skipped"), "reads always run"


def test_each_drift_is_reported_with_member_and_value(drifting: Sandbox) -> None:
    wanted = [
        "searchSuppressions",
        "getMessageDetailReport",
        "getSubaccount",
        "getInjectionCredentials",
        "checkSuppression",
    ]
    with _client(drifting) as client:
        report = check_contract(client, subaccount_id=DEFAULT_SUBACCOUNT_ID, operations=wanted)
    verdicts = {v.operation_id: v for v in report.verdicts}
    assert set(verdicts) == set(wanted)
    assert verdicts["searchSuppressions"].verdict == "not found"
    assert verdicts["checkSuppression"].verdict == "conforms"

    renamed = verdicts["getMessageDetailReport"]
    assert renamed.verdict == "response drift"
    [missing] = {f for f in renamed.findings if f.member == "data/0/queuedTime"}
    assert missing.value == "(missing)" and "queuedAt" in missing.problem

    retyped = verdicts["getSubaccount"]
    assert retyped.verdict == "response drift"
    [(member, value)] = [(f.member, f.value) for f in retyped.findings]
    assert member == "data/streamScore" and re.fullmatch(r"'\d+'", value), "a number sent as a string"

    leaked = verdicts["getInjectionCredentials"]
    assert leaked.verdict == "response drift"
    assert [f.member for f in leaked.findings] == ["data/serverId"]
    markdown, as_json = report.to_markdown(), report.to_json()
    assert drifting.api_key not in markdown and drifting.api_key not in as_json, "the key never shows"
    assert "[redacted]" in markdown
    assert json.loads(as_json)["verdicts"][0]["operation_id"] in wanted
    assert report.findings == 4


def test_writes_run_only_when_named() -> None:
    with Sandbox(SandboxConfig()) as sandbox, _client(sandbox) as client:
        report = check_contract(
            client, operations=["addSuppression", "removeSuppression"], writes=["addSuppression"]
        )
        added = sandbox.state.suppression_list(sandbox.server_id)
    verdicts = {v.operation_id: v for v in report.verdicts}
    assert (verdicts["addSuppression"].verdict, verdicts["addSuppression"].requests) == ("conforms", 1)
    assert verdicts["removeSuppression"].verdict == "skipped"
    assert len(added) == 1, "the named write really ran"


def test_main_prints_markdown_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.json"
    assert main(["--sandbox", "--operation", "checkSuppression", "--json", str(target)]) == 0
    out = capsys.readouterr().out
    assert "| checkSuppression | GET `/servers/{serverId}/suppressions` | confirmed | conforms |" in out
    assert json.loads(target.read_text())["verdicts"][0]["verdict"] == "conforms"
    assert main(["--sandbox", "--operation", "noSuchOperation"]) == 2


def test_the_sandbox_mounts_every_host_of_the_spec_table() -> None:
    from urllib.parse import urlsplit

    from socketlabs_api.tables import SERVERS

    with Sandbox(SandboxConfig()) as sandbox:
        urls = sandbox.urls
    assert set(urls) == set(SERVERS), "a host added to x-servers must be mounted by the sandbox"
    for name, server in SERVERS.items():
        assert urlsplit(urls[name]).path == urlsplit(server.default_url).path, name
