"""The contract check finds drift, confirms nothing from the sandbox's model, and records shapes to promote.

A sandbox that drifts on purpose is caught; the true sandbox is clean, and its
answers to unverified operations are "model only", never "conforms". Error
answers are judged from their whole body. The shape report holds names and
JSON types only, and ``promote`` turns a live one into spec edits.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from socketlabs_api.operations import OPERATIONS
from socketlabs_client import SocketLabs
from socketlabs_client.cli import cli
from socketlabs_client.contract import answer_shape, check_contract, promote, spec_text
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


class LongErrorApp(SandboxApp):
    """Refuses the message detail report with a valid error body far longer than any preview."""

    def dispatch(self, request: Request, body: bytes) -> Response:
        if request.url.path.endswith("/reports/messages/detail"):
            errors = [
                {"errorType": "InvalidParameter", "message": f"problem {i}: " + "x" * 60} for i in range(20)
            ]
            return Response(json.dumps({"error": errors}), 400, media_type="application/json")
        return super().dispatch(request, body)


def _client(sandbox: Sandbox) -> SocketLabs:
    return SocketLabs(
        sandbox.api_key,
        sandbox.server_id,
        base_url=sandbox.api_url,
        inject_url=sandbox.inject_url,
        management_url=sandbox.management_url,
        marketing_url=sandbox.marketing_url,
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


def test_the_true_sandbox_has_no_findings_and_confirms_no_guess() -> None:
    with Sandbox(SandboxConfig()) as sandbox, _client(sandbox) as client:
        report = check_contract(client, subaccount_id=DEFAULT_SUBACCOUNT_ID)
    verdicts = {v.verdict for v in report.verdicts}
    assert report.findings == 0, report.to_markdown()
    assert verdicts == {"conforms", "model only", "skipped"}
    ran = [v for v in report.verdicts if v.verdict in ("conforms", "model only")]
    assert len(ran) >= 60 and all(v.method == "GET" and v.requests >= 1 for v in ran)
    assert all(v.method != "GET" for v in report.verdicts if v.verdict == "skipped"), "reads always run"
    for verdict in ran:  # an unverified operation is never "conforms"; an evidenced one never "model only"
        unverified = OPERATIONS[verdict.operation_id].unverified
        assert verdict.verdict == ("model only" if unverified else "conforms"), verdict.operation_id
    assert not report.live
    assert "model only" in report.to_markdown()


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
    assert verdicts["searchSuppressions"].verdict == "not found"  # moved: an unverified path is not there
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


def test_the_cli_prints_markdown_and_writes_json(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    runner = CliRunner(env={"SOCKETLABS_API_KEY": ""})
    done = runner.invoke(
        cli, ["contract", "--sandbox", "--operation", "checkSuppression", "--json-file", str(target)]
    )
    assert done.exit_code == 0, done.output
    assert (
        "| checkSuppression | GET `/servers/{serverId}/suppressions` | confirmed | conforms |" in done.output
    )
    assert json.loads(target.read_text())["verdicts"][0]["verdict"] == "conforms"
    assert runner.invoke(cli, ["contract", "--sandbox", "--operation", "noSuchOperation"]).exit_code == 2
    assert runner.invoke(cli, ["contract", "--live"]).exit_code == 2, "--live needs a key"


def test_error_answers_are_judged_from_their_whole_body() -> None:
    sandbox = Sandbox(SandboxConfig())
    sandbox._app = LongErrorApp(sandbox.state)
    with sandbox, _client(sandbox) as client:
        report = check_contract(client, operations=["getMessageDetailReport"])
    (verdict,) = report.verdicts
    assert verdict.verdict == "rejected", verdict  # a valid 400 body, read whole: not "drift, not JSON"
    assert [f.member for f in verdict.findings] == [""]


def test_shapes_hold_names_and_types_never_values() -> None:
    assert answer_shape({"data": [{"a": 1, "b": None}, {"c": "x@example.com"}], "total": 2.5}) == {
        "data": [{"a": "integer", "b": "null", "c": "string"}],
        "total": "number",
    }
    assert answer_shape({"ann@example.com": True, "12345": [], "ok": False}) == {
        "<name>": "array" if False else [],
        "ok": "boolean",
    }
    with Sandbox(SandboxConfig()) as sandbox, _client(sandbox) as client:
        report = check_contract(client, operations=["getInjectionCredentials", "getDeliveredOverview"])
        published = json.dumps(report.shape_report())
        assert sandbox.api_key not in published and str(sandbox.server_id) not in published
        assert "127.0.0.1" not in published and "@" not in published
    shapes = {o["operation_id"]: o for o in report.shape_report()["operations"]}
    assert shapes["getInjectionCredentials"]["shape"] == {
        "data": {"serverId": "integer", "apiKey": "string", "gateway": "string"}
    }
    assert shapes["getDeliveredOverview"]["verdict"] == "model only"


def _live(report: dict[str, object]) -> dict[str, object]:
    """The sandbox's report dressed as a live one: what a maintainer's run against the API writes."""
    return {**report, "live": True}


def test_a_live_report_promotes_operations_in_the_spec(tmp_path: Path) -> None:
    sys.path.insert(0, str(SPEC.parents[1] / "generator"))
    from regenerate import operations_from_spec

    wanted = ["getSubaccount", "getDeliveredOverview", "searchRecipients"]
    with Sandbox(SandboxConfig()) as sandbox, _client(sandbox) as client:
        report = check_contract(client, operations=wanted, subaccount_id=DEFAULT_SUBACCOUNT_ID)
    shapes = report.shape_report()
    for entry in shapes["operations"]:  # what the live API would have answered (not the sandbox's model)
        entry["verdict"] = "conforms"
    text, promoted = promote(_live(shapes), SPEC.read_text(encoding="utf-8"))
    assert sorted(promoted) == ["getDeliveredOverview", "getSubaccount"], "searchRecipients was evidenced"
    spec = yaml.safe_load(text)
    subaccount = spec["paths"]["/subaccount/{subaccountId}"]["get"]
    assert (subaccount["x-confidence"], subaccount["x-shape-confidence"]) == ("observed", "confirmed")
    assert "observed by the live contract check" in subaccount["x-source"]
    assert "ObservedGetSubaccount" not in spec["components"]["schemas"], "a documented shape stays"
    overview = spec["paths"]["/servers/{serverId}/reports/delivered/overview"]["get"]
    assert (overview["x-confidence"], overview["x-shape-confidence"]) == ("observed", "observed")
    ref = overview["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/ObservedGetDeliveredOverview"
    observed = spec["components"]["schemas"]["ObservedGetDeliveredOverview"]
    assert observed["properties"]["data"]["properties"]["count"] == {"type": "integer"}
    facts = operations_from_spec(spec)  # the generator accepts the promoted spec
    assert facts["getDeliveredOverview"]["confidence"] == "observed"
    with pytest.raises(Exception, match="not made against the live API"):
        promote(shapes, SPEC.read_text(encoding="utf-8"))


def test_the_promote_command_edits_the_spec_in_place(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    report = tmp_path / "shapes.json"
    shape = {"data": {"count": "integer", "processed": "integer"}}
    entry = {
        "operation_id": "getFailedOverview",
        "method": "GET",
        "path": "/servers/{serverId}/reports/failed/overview",
    }
    entry |= {"verdict": "conforms", "statuses": [200], "shape": shape}
    report.write_text(
        json.dumps({"version": 1, "live": True, "checked": "2027-01-01", "operations": [entry]})
    )
    done = CliRunner().invoke(cli, ["contract", "promote", str(report), "--spec", str(spec)])
    assert done.exit_code == 0, done.output
    assert "promoted getFailedOverview" in done.output
    assert "ObservedGetFailedOverview" in spec.read_text(encoding="utf-8")


def test_the_sandbox_mounts_every_host_of_the_spec_table() -> None:
    from urllib.parse import urlsplit

    from socketlabs_api.tables import SERVERS

    with Sandbox(SandboxConfig()) as sandbox:
        urls = sandbox.urls
    assert set(urls) == set(SERVERS), "a host added to x-servers must be mounted by the sandbox"
    for name, server in SERVERS.items():
        assert urlsplit(urls[name]).path == urlsplit(server.default_url).path, name
