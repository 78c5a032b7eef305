"""Plain `schemathesis run` over the shipped spec, with the shipped configuration, against a fresh sandbox.

This is the run a user makes (docs: "Contract tests"): the schemathesis command
line in a subprocess, `--checks all`, every phase (stateful links included),
every operation of `socketlabs_api/openapi.yaml` (writes included, the sandbox
is disposable), each `x-servers` entry's operations sent to the sandbox's URL
for that entry through the variables the client reads. It passes only with
zero failures and zero errors. A fixed seed and a bounded number of examples
keep it deterministic and within a few minutes on 2 cores; the in-process
tests in `test_sandbox_schemathesis.py` go deeper on the same schema.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import yaml
from socketlabs_api.tables import SERVERS
from socketlabs_sandbox import FIXED_ANCHOR, Sandbox, SandboxConfig

PACKAGE = Path(str(files("socketlabs_api")))
SPEC = PACKAGE / "openapi.yaml"
CONFIG = PACKAGE / "socketlabs.schemathesis.toml"
SEED = 20260101
MAX_EXAMPLES = 5
TIMEOUT = 900


def run_environment(sandbox: Sandbox) -> dict[str, str]:
    """What `socketlabs sandbox` prints: one URL variable per x-servers entry, the key, the server id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETLABS_")}
    env.update({server.env_var: sandbox.urls[name] for name, server in SERVERS.items()})
    env["SOCKETLABS_API_KEY"] = sandbox.api_key
    env["SOCKETLABS_SERVER_ID"] = str(sandbox.server_id)
    env["SOCKETLABS_CONTRACT_WRITES"] = "all"
    return env


def schemathesis_command(*extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        str(SPEC),
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-database",
        "none",
        "--no-color",
        *extra,
    ]


def test_plain_schemathesis_finds_nothing_false_on_the_sandbox(tmp_path: Path) -> None:
    config = SandboxConfig(anchor=FIXED_ANCHOR, suppressions=5, report_messages=300)
    with Sandbox(config) as sandbox:
        done = subprocess.run(
            schemathesis_command(),
            cwd=tmp_path,
            env=run_environment(sandbox),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    output = done.stdout + done.stderr
    summary = output[output.rfind("SUMMARY") :]
    selected = re.search(r"Selected: (\d+)/(\d+)", summary)
    assert selected is not None, output[-4000:]
    assert selected[1] == selected[2], f"not every operation ran:\n{summary}"
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, f"phase {phase} did not pass:\n{summary}"
    assert done.returncode == 0, output[-20000:]
    print(summary)


def test_without_named_writes_only_reads_are_sent(tmp_path: Path) -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    methods = [
        m for item in spec["paths"].values() for m in item if m in ("get", "put", "post", "delete", "patch")
    ]
    reads = sum(m == "get" for m in methods)
    with Sandbox(SandboxConfig(anchor=FIXED_ANCHOR)) as sandbox:
        env = run_environment(sandbox)
        del env["SOCKETLABS_CONTRACT_WRITES"]
        done = subprocess.run(
            schemathesis_command("--phases", "fuzzing"),
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        processed = sandbox.processed_per_recipient()
    output = done.stdout + done.stderr
    assert f"Selected: {reads}/{len(methods)}" in output, output[-4000:]
    assert "Tested: 0" not in output, output[-4000:]
    assert done.returncode == 0, output[-4000:]
    assert not processed, "an email was sent"
