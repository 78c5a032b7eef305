"""Every ``socketlabs`` command against the sandbox, in-process (CliRunner) and as a subprocess."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from click.testing import CliRunner, Result
from socketlabs_client._config import SERVER_SETTINGS
from socketlabs_client.cli import EXIT_PARTIAL, cli
from socketlabs_client.testing import Outbox, sandbox_environment
from socketlabs_sandbox import DEFAULT_WEBHOOK_SECRET, Sandbox

ROOT = Path(__file__).resolve().parents[2]


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETLABS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])
    return env


@pytest.fixture
def run(socketlabs_sandbox: Sandbox) -> Any:
    """``run(*argv)``: the command in-process against the sandbox; the result, output checked for the key."""
    runner = CliRunner(env=sandbox_environment(socketlabs_sandbox))

    def invoke(*argv: str, code: int = 0) -> Result:
        result = runner.invoke(cli, list(argv), catch_exceptions=False)
        assert result.exit_code == code, result.output
        assert socketlabs_sandbox.api_key not in result.output
        return result

    return invoke


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


# send -------------------------------------------------------------------------


def test_send_from_flags_prints_the_report(run: Any, socketlabs_outbox: Outbox, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("attached")
    result = run(
        "send", "--from", "me@example.com", "--to", "ann@example.com", "--to", "bob@example.com",
        "--subject", "Hello", "--text", "Hi", "--html", "<p>Hi</p>", "--header", "X-Flow=cli",
        "--metadata", "user=42", "--attach", str(note), "--json",
    )  # fmt: skip
    report = _json(result)
    assert report["ok"] is True
    assert [(r["address"], r["outcome"]) for r in report["recipients"]] == [
        ("ann@example.com", "accepted"),
        ("bob@example.com", "accepted"),
    ]
    mail = socketlabs_outbox.only(to="ann@example.com")
    assert (mail.subject, mail.text, mail.html) == ("Hello", "Hi", "<p>Hi</p>")
    assert mail.headers == {"X-Flow": "cli"} and mail.metadata == {"user": "42"}
    assert [(a.name, a.content) for a in mail.attachments] == [("note.txt", b"attached")]
    table = run("send", "--from", "me@example.com", "--to", "cy@example.com", "--subject", "S", "--text", "T")
    assert "cy@example.com" in table.output and "accepted" in table.output


def test_a_refused_recipient_exits_5(run: Any) -> None:
    result = run(
        "send", "--from", "me@example.com", "--to", "ok@example.com", "--to", "no@x.invalid",
        "--subject", "S", "--text", "T", "--json", code=EXIT_PARTIAL,
    )  # fmt: skip
    outcomes = {r["address"]: r["outcome"] for r in _json(result)["recipients"]}
    assert outcomes == {"ok@example.com": "accepted", "no@x.invalid": "rejected"}
    assert result.stderr.strip() == "socketlabs: error: 1 recipient(s) not accepted"


def test_dry_run_sends_nothing(run: Any, socketlabs_outbox: Outbox) -> None:
    result = run(
        "send", "--from", "me@example.com", "--to", "a@example.com", "--subject", "S", "--text", "T",
        "--dry-run", "--json",
    )  # fmt: skip
    assert _json(result)["dry_run"] is True
    assert len(socketlabs_outbox) == 0


def test_send_a_json_message_file(run: Any, socketlabs_outbox: Outbox, tmp_path: Path) -> None:
    (tmp_path / "logo.txt").write_text("logo")
    message = tmp_path / "welcome.json"
    message.write_text(
        json.dumps(
            {
                "subject": "Welcome",
                "from": "noreply@example.com",
                "to": ["ann@example.com", ["bob@example.com", "Bob"]],
                "text": "Hello",
                "headers": {"X-Kind": "welcome"},
                "tags": ["onboarding"],
                "attachments": ["logo.txt"],
            }
        )
    )
    run("send", "--message", str(message))
    mail = socketlabs_outbox.only(subject="Welcome")
    assert mail.recipients == ("ann@example.com", "bob@example.com")
    assert mail.headers == {"X-Kind": "welcome"} and mail.tags == ["onboarding"]
    assert [a.name for a in mail.attachments] == ["logo.txt"]


def test_send_an_eml_file(run: Any, socketlabs_outbox: Outbox, tmp_path: Path) -> None:
    eml = tmp_path / "note.eml"
    eml.write_bytes(
        b"From: Me <me@example.com>\r\nTo: Ann <ann@example.com>\r\nCc: cy@example.com\r\n"
        b"Subject: From a file\r\nX-Source: eml\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nplain body\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<b>html body</b>\r\n--b--\r\n"
    )
    run("send", "--message", str(eml))
    mail = socketlabs_outbox.only(subject="From a file")
    assert mail.from_address == "me@example.com"
    assert mail.to == ["ann@example.com"] and mail.cc == ["cy@example.com"]
    assert (mail.text or "").strip() == "plain body" and "html body" in (mail.html or "")
    assert mail.headers == {"X-Source": "eml"}


def test_send_a_merge_from_csv(run: Any, socketlabs_outbox: Outbox, tmp_path: Path) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text("email,name,Plan\na@example.com,A,gold\nb@example.com,B,free\n")
    run(
        "send", "--from", "me@example.com", "--subject", "Your %%Plan%% plan",
        "--text", "Hi %%RecipientName%%",
        "--merge-csv", str(rows),
    )  # fmt: skip
    mail = socketlabs_outbox.only(to="b@example.com")
    assert mail.recipients == ("a@example.com", "b@example.com")
    assert [(r["DeliveryAddress"], r["Plan"]) for r in mail.merge_data] == [
        ("a@example.com", "gold"),
        ("b@example.com", "free"),
    ]


# suppressions -----------------------------------------------------------------


def test_suppressions_round_trip(run: Any, tmp_path: Path) -> None:
    added = _json(run("suppressions", "add", "x@example.com", "y@example.com", "--json"))
    assert [(r["address"], r["outcome"]) for r in added["results"]] == [
        ("x@example.com", "suppressed"),
        ("y@example.com", "suppressed"),
    ]
    assert _json(run("suppressions", "check", "x@example.com", "--json"))["isSuppressed"] is True
    assert "x@example.com: suppressed" in run("suppressions", "check", "x@example.com").output
    listed = _json(run("suppressions", "list", "--filter", "emailAddress=start:x", "--json"))
    assert [e["emailAddress"] for e in listed] == ["x@example.com"]
    out = tmp_path / "s.csv"
    assert "2 rows written to" in run("suppressions", "export", "-o", str(out)).stderr
    with out.open(newline="") as handle:
        assert sorted(r["emailAddress"] for r in csv.DictReader(handle)) == ["x@example.com", "y@example.com"]
    run("suppressions", "remove", "x@example.com", "--json")
    assert _json(run("suppressions", "check", "x@example.com", "--json"))["isSuppressed"] is False


def test_a_batch_reports_each_address_and_exits_5_on_a_partial_failure(run: Any) -> None:
    result = run("suppressions", "add", "ok@example.com", "not an address", code=EXIT_PARTIAL)
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["address", "outcome", "error"]
    assert lines[1].split("\t")[:2] == ["ok@example.com", "suppressed"]
    assert lines[2].split("\t")[:2] == ["not an address", "failed"]
    assert result.stderr == "socketlabs: error: 1 of 2 address(es) failed\n"
    removed = _json(
        run("suppressions", "remove", "ok@example.com", "ok@example.com", "--json", code=EXIT_PARTIAL)
    )
    assert [r["ok"] for r in removed["results"]] == [True, False]
    assert "not on the suppression list" in removed["results"][1]["error"]
    alone = run("suppressions", "remove", "nobody@example.com", code=1)  # all failed: that failure's code
    assert alone.stderr.count("\n") == 1


# reports ----------------------------------------------------------------------


def test_the_last_7_days_of_failed_messages_export_has_rows(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "failed.csv"
    run(
        "reports",
        "messages",
        "--since",
        "7d",
        "--filter",
        "status=eq:Failed",
        "--format",
        "csv",
        "-o",
        str(out),
    )
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the seeded history is anchored to now, so the last 7 days have failed messages"
    assert {r["status"] for r in rows} == {"Failed"}


def test_report_formats_and_views(run: Any) -> None:
    lines = run(
        "reports", "messages", "--since", "30d", "--max", "3", "--format", "jsonl"
    ).stdout.splitlines()
    assert len(lines) == 3 and all("messageId" in json.loads(line) for line in lines)
    piped = run("reports", "messages", "--max", "2").stdout.splitlines()
    assert len(piped) == 3 and piped[0].split("\t")[0] == "messageId"
    overview = _json(run("reports", "failed", "--view", "overview", "--since", "30d", "--json"))
    assert overview["count"] > 0
    aggregate = _json(run("reports", "delivered", "--view", "aggregate", "--json"))
    assert isinstance(aggregate, dict)
    buckets = run("reports", "delivered", "--view", "aggregate").stdout.splitlines()
    assert buckets[0].split("\t") == ["start", "count"]
    refused = run("reports", "failed", "--view", "overview", "--filter", "status=eq:Failed", code=2)
    assert "go with row views" in refused.stderr
    wrong = run("reports", "inbound", "--view", "aggregate", code=2)
    assert "the inbound report has" in wrong.stderr


def test_the_default_view_of_every_row_family_pulls_rows(run: Any) -> None:
    for family in ("messages", "delivered", "failed", "complaint", "tracking"):
        rows = _json(run("reports", family, "--since", "30d", "--json"))
        assert rows, family


def test_a_failed_pull_leaves_the_earlier_file_whole(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    out.write_text("earlier\n")
    run("reports", "messages", "--filter", "nope=eq:1", "-o", str(out), code=2)
    assert out.read_text() == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rows.csv"]
    run("reports", "messages", "-o", str(out), "--api-key", "wrong", code=1)
    run("reports", "messages", "-o", str(tmp_path / "new.csv"), "--server-id", "1", "--api-key", "x", code=1)
    assert out.read_text() == "earlier\n"
    assert [p.name for p in tmp_path.iterdir()] == ["rows.csv"]


def test_bounce_is_failed_in_reports_and_webhooks(run: Any, socketlabs_sandbox: Sandbox) -> None:
    run("send", "--from", "me@example.com", "--to", "bounce@example.com", "--subject", "S", "--text", "T")
    rows = _json(
        run("reports", "messages", "--since", "1h", "--filter", "to=eq:bounce@example.com", "--json")
    )
    assert [r["status"] for r in rows] == ["Failed"]
    assert [e["Type"] for e in socketlabs_sandbox.events.pending()] == ["Queued", "Failed"]


# api --------------------------------------------------------------------------


def test_api_escape_hatch(run: Any) -> None:
    run("api", "POST", "/servers/{serverId}/suppressions", "-q", "emailAddress=api@example.com")
    page = _json(run("api", "GET", "/servers/{serverId}/suppressions/search", "-f", "pageSize=1"))
    assert page["total"] == 1 and page["data"][0]["emailAddress"] == "api@example.com"
    items = _json(run("api", "get", "/servers/{serverId}/suppressions/search", "--paginate"))
    assert [i["emailAddress"] for i in items] == ["api@example.com"]
    assert run("api", "GET", "/servers/{serverId}/nope", code=1).stderr.startswith("socketlabs: error:")


# events -----------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def forward_target() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []
    handler = type("Recorder", (_Recorder,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/forwarded", bodies
    server.shutdown()
    server.server_close()


def _start_listen(*extra: str) -> tuple[subprocess.Popen[str], str]:
    listen = subprocess.Popen(
        [sys.executable, "-m", "socketlabs_client", "events", "listen", "--port", "0", "--json", *extra],
        env={**_base_env(), "SOCKETLABS_WEBHOOK_SECRET": DEFAULT_WEBHOOK_SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert listen.stderr is not None
    ready = listen.stderr.readline()
    assert ready.startswith("Ready: receiving event webhooks on "), ready
    return listen, ready.split(" on ")[1].split()[0]


def test_listen_prints_the_events_trigger_makes_and_forwards_them(
    run: Any, forward_target: tuple[str, list[bytes]]
) -> None:
    forward_url, forwarded = forward_target
    listen, url = _start_listen("--max-events", "2", "--forward", forward_url)
    try:
        posted = _json(run("events", "trigger", "failed", "--webhook-url", url, "--json"))["posted"]
        assert [(p["type"], p["status"]) for p in posted] == [("Queued", 200), ("Failed", 200)]
        out, err = listen.communicate(timeout=60)
    finally:
        if listen.poll() is None:
            listen.kill()
            listen.wait()
    assert listen.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["Type"] for e in events] == ["Queued", "Failed"]
    assert {e["Address"] for e in events} == {posted[0]["address"]}
    assert posted[0]["address"].startswith("bounce.trigger.")
    assert events[1]["FailureType"] == "Permanent"
    assert [json.loads(b)["Type"] for b in forwarded] == ["Queued", "Failed"]
    assert DEFAULT_WEBHOOK_SECRET not in out


def test_listen_refuses_a_forged_post(run: Any, socketlabs_sandbox: Sandbox) -> None:
    listen, url = _start_listen("--max-events", "1")
    try:
        socketlabs_sandbox.events.secret = "not-the-secret"
        refused = run("events", "trigger", "delivered", "--webhook-url", url, "--json", code=EXIT_PARTIAL)
        assert {p["status"] for p in _json(refused)["posted"]} == {401}
    finally:
        listen.kill()
        _, err = listen.communicate(timeout=30)
    assert "refused a post: 401" in err


def test_trigger_on_a_fresh_sandbox_delivers_to_its_own_inbox(run: Any, socketlabs_sandbox: Sandbox) -> None:
    posted = _json(run("events", "trigger", "open", "--json"))
    assert posted["posted"] and {p["status"] for p in posted["posted"]} == {200}
    inbox = httpx.get(
        socketlabs_sandbox.inbox_url, headers={"Authorization": f"Bearer {socketlabs_sandbox.api_key}"}
    ).json()["data"]
    assert [(e["Type"], e["Address"]) for e in inbox] == [(p["type"], p["address"]) for p in posted["posted"]]
    assert all("SecretKey" not in e for e in inbox)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"Type": "Delivered", "SecretKey": "guess"}', 401),
        (b'{"Type": "Delivered", "SecretKey": "\\ud800"}', 401),  # a lone surrogate once decoded
        (b'{"Type": "Delivered", "SecretKey": ["sandbox-webhook-secret"]}', 401),
        (b'{"Type": "Delivered"}', 401),
        (b"[" * 100_000 + b"]" * 100_000, 400),  # deeper than the JSON parser goes
        (b'"a string"', 400),
        (b"\xff\xfe", 400),
    ],
    ids=["wrong", "surrogate", "list", "none", "deep", "not-an-object", "not-utf8"],
)
def test_the_inbox_holds_posts_to_the_secret_like_a_receiver(
    socketlabs_sandbox: Sandbox, body: bytes, status: int
) -> None:
    json_type = {"Content-Type": "application/json"}
    forged = httpx.post(socketlabs_sandbox.inbox_url, content=body, headers=json_type)
    assert forged.status_code == status, forged.text
    assert httpx.get(socketlabs_sandbox.inbox_url).status_code == 401  # listing it needs the key
    assert list(socketlabs_sandbox.app.inbox) == []


def test_the_inbox_keeps_the_last_thousand(socketlabs_sandbox: Sandbox) -> None:
    secret = socketlabs_sandbox.events.secret
    with httpx.Client() as http:
        for n in range(1005):
            event = {"Type": "Open", "N": n, "SecretKey": secret}
            answer = http.post(socketlabs_sandbox.inbox_url, json=event)
            assert answer.status_code == 200 and secret not in answer.text
    kept = list(socketlabs_sandbox.app.inbox)
    assert [e["N"] for e in kept] == list(range(5, 1005))


def test_trigger_posts_only_its_own_events(
    run: Any, socketlabs_sandbox: Sandbox, forward_target: tuple[str, list[bytes]]
) -> None:
    url, received = forward_target
    run("send", "--from", "me@example.com", "--to", "earlier@example.com", "--subject", "S", "--text", "T")
    posted = _json(run("events", "trigger", "open", "--webhook-url", url, "--json"))
    assert {p["address"] for p in posted["posted"]} == {posted["address"]}
    assert {json.loads(b)["Address"] for b in received} == {posted["address"]}
    assert "earlier@example.com" in {e["Address"] for e in socketlabs_sandbox.events.pending()}


def test_a_trigger_s_webhook_url_is_for_that_trigger_only(run: Any, socketlabs_sandbox: Sandbox) -> None:
    """A later trigger without ``--webhook-url`` goes where the sandbox sends, not to the last URL given."""
    with socket.socket() as gone:
        gone.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{gone.getsockname()[1]}/"
    run("events", "trigger", "delivered", "--webhook-url", dead, code=EXIT_PARTIAL)
    posted = _json(run("events", "trigger", "open", "--json"))
    assert posted["posted"] and {p["status"] for p in posted["posted"]} == {200}
    assert {e["Address"] for e in socketlabs_sandbox.app.inbox} == {posted["address"]}
    assert socketlabs_sandbox.events.webhook_url is None  # nothing was remembered


def test_trigger_exits_5_when_the_receiver_refuses(run: Any, socketlabs_sandbox: Sandbox) -> None:
    listen, url = _start_listen("--max-events", "1")
    try:
        socketlabs_sandbox.events.secret = "not-the-secret"
        result = run("events", "trigger", "delivered", "--webhook-url", url, code=EXIT_PARTIAL)
    finally:
        listen.kill()
        listen.communicate(timeout=30)
    assert "-> 401" in result.stdout
    assert result.stderr.count("\n") == 1 and "the receiver answered 401" in result.stderr


# as subprocesses ----------------------------------------------------------------

SUBPROCESS_COMMANDS = [
    [
        "send",
        "--from",
        "me@example.com",
        "--to",
        "sub@example.com",
        "--subject",
        "S",
        "--text",
        "T",
        "--json",
    ],
    ["suppressions", "add", "sub@example.com", "--json"],
    ["suppressions", "check", "sub@example.com", "--json"],
    ["suppressions", "list", "--json"],
    ["suppressions", "export", "--json"],
    ["suppressions", "remove", "sub@example.com", "--json"],
    ["reports", "messages", "--since", "7d", "--filter", "status=eq:Failed", "--max", "5", "--json"],
    ["api", "GET", "/servers/{serverId}/suppressions/search", "--json"],
]


def test_commands_as_subprocesses(socketlabs_env: dict[str, str]) -> None:
    for argv in SUBPROCESS_COMMANDS:  # one after the other: they share the sandbox's state
        done = subprocess.run(
            [sys.executable, "-m", "socketlabs_client", *argv],
            env={**_base_env(), **socketlabs_env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, (argv, done.stderr)
        assert socketlabs_env["SOCKETLABS_API_KEY"] not in done.stdout + done.stderr
        data = json.loads(done.stdout)
        if argv[0] == "reports":
            assert [row["status"] for row in data] == ["Failed"] * 5
        elif argv[:2] == ["suppressions", "check"]:
            assert data["isSuppressed"] is True
        elif argv[:2] == ["suppressions", "export"]:
            assert [row["emailAddress"] for row in data] == ["sub@example.com"]
            assert data[0].keys() >= {"emailAddress"}


def test_the_sandbox_command_prints_an_export_for_every_server(tmp_path: Path) -> None:
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "socketlabs_client", "sandbox", "--port", "0", "--suppressions", "3"],
        env=_base_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sandbox.stdout is not None
        status = sandbox.stdout.readline()
        assert (
            status.startswith("SocketLabs sandbox on http://127.0.0.1:") and "250 seeded messages" in status
        )
        assert f"signed with secret {DEFAULT_WEBHOOK_SECRET}" in status
        exports = [sandbox.stdout.readline().strip() for _ in range(len(SERVER_SETTINGS) + 3)]
        env = dict(line.removeprefix("export ").split("=", 1) for line in exports)
        assert {s.env_var for s in SERVER_SETTINGS} <= set(env)
        assert env["SOCKETLABS_WEBHOOK_SECRET"] == DEFAULT_WEBHOOK_SECRET
        assert "SOCKETLABS_MANAGEMENT_URL" in env
        listed = subprocess.run(
            [sys.executable, "-m", "socketlabs_client", "suppressions", "list", "--json"],
            env={**_base_env(), **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert len(json.loads(listed.stdout)) == 3
        dkim = subprocess.run(  # the management host is reachable through its exported URL
            [sys.executable, "-m", "socketlabs_client", "api", "GET", "/servers/{serverId}/bounce",
             "--server", "management"],
            env={**_base_env(), **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # fmt: skip
        assert dkim.returncode == 0, dkim.stderr
    finally:
        sandbox.terminate()
        sandbox.communicate(timeout=30)


def test_the_sandbox_command_as_json_with_a_webhook_url(forward_target: tuple[str, list[bytes]]) -> None:
    url, received = forward_target
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "socketlabs_client", "sandbox", "--port", "0", "--json", "--webhook-url", url,
         "--anchor", "2026-01-01T00:00:00Z", "--report-messages", "40"],
        env=_base_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert sandbox.stdout is not None
        lines = []
        while not lines or lines[-1] != "}\n":
            line = sandbox.stdout.readline()
            assert line, sandbox.communicate(timeout=10)
            lines.append(line)
        status = json.loads("".join(lines))
        assert status["seeded"] == {
            "messages": 40,
            "suppressions": 0,
            "from": "2025-12-02T00:00:00+00:00",
            "to": "2026-01-01T00:00:00+00:00",
        }
        assert set(status["servers"]) == {s.name for s in SERVER_SETTINGS}
        assert status["webhook_url"] == url
        assert (
            status["webhook_secret"] == status["env"]["SOCKETLABS_WEBHOOK_SECRET"] == DEFAULT_WEBHOOK_SECRET
        )
        triggered = subprocess.run(  # no --webhook-url: the sandbox's own is used
            [sys.executable, "-m", "socketlabs_client", "events", "trigger", "complaint", "--json"],
            env={**_base_env(), **status["env"]},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        posted = json.loads(triggered.stdout)["posted"]
        assert [p["type"] for p in posted][-1] == "Complaint"
        assert [json.loads(body)["Type"] for body in received] == [p["type"] for p in posted]
    finally:
        sandbox.terminate()
        sandbox.communicate(timeout=30)


def test_contract_command_checks_the_spec_against_the_embedded_sandbox(tmp_path: Path) -> None:
    report = tmp_path / "contract.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "socketlabs_client",
            "contract",
            "--operation",
            "checkSuppression",
            "--json-file",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| checkSuppression |" in done.stdout and "conforms" in done.stdout
    verdicts = json.loads(report.read_text())["verdicts"]
    assert [(v["operation_id"], v["verdict"]) for v in verdicts] == [("checkSuppression", "conforms")]


def test_contract_command_prints_json_for_scripts() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "socketlabs_client", "contract", "--operation", "listBounceDomains", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [v["verdict"] for v in json.loads(done.stdout)["verdicts"]] == ["conforms"]
