"""The client and the sandbox never import each other, checked in a fresh interpreter.

The sandbox is an independent reading of the spec (a referee), and the client
must not pay for, or depend on, the optional ``sandbox`` extra. An import is
checked by what lands in ``sys.modules``, so an indirect import counts too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from socketlabs_client.testing import sandbox_environment
from socketlabs_sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]  # the tests env has the sandbox extra; the drift env does not

_PROBE = """
import importlib, json, sys
package = sys.argv[1]
module = importlib.import_module(package)
if package == "socketlabs_client":
    for name in module.__all__:  # the whole public surface, not only the lazy package
        getattr(module, name)
    import socketlabs_client.testing  # the pytest plugin
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0].startswith("socketlabs_"))))
"""


def _loaded_after_importing(package: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, package],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return set(json.loads(done.stdout))


def test_importing_the_client_never_imports_the_sandbox() -> None:
    loaded = _loaded_after_importing("socketlabs_client")
    assert "socketlabs_client._client" in loaded  # the probe really loaded the surface
    assert {m for m in loaded if m.split(".")[0] == "socketlabs_sandbox"} == set()


def test_the_sandbox_imports_nothing_of_the_client() -> None:
    loaded = _loaded_after_importing("socketlabs_sandbox")
    assert "socketlabs_sandbox._server" in loaded
    assert {m for m in loaded if m.split(".")[0] in ("socketlabs_client", "socketlabs_api")} == set()


# What `from socketlabs_client import SocketLabs` must not load: each is deferred to the
# first use that needs it (the transport, an async call, a list or download, an XML
# body, webhook parsing, the version string), and click/rich belong to the `cli` extra.
# attrs only with the models: the client's own values are Records or dataclasses (cheaper to load).
_DEFERRED = (
    "asyncio",
    "attr",
    "attrs",
    "click",
    "csv",
    "decimal",
    "h11",
    "httpcore",
    "importlib.metadata",
    "pyrate_limiter",
    "rich",
    "xml.etree.ElementTree",
    "socketlabs_client._deadline",
    "socketlabs_client._filters",
    "socketlabs_client._injection",
    "socketlabs_client._ledger",
    "socketlabs_client._pagination",
    "socketlabs_client._webhooks",
    "socketlabs_client._xml",
)

_ATTRS_PROBE = """
import json, sys
from socketlabs_client import SocketLabs
with SocketLabs(api_key="k", server_id=1) as client:
    client.with_options(max_retries=0, timeout=5)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("attr", "attrs"))))
"""


def test_importing_and_building_a_client_loads_no_attrs() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])}
    done = subprocess.run(
        [sys.executable, "-c", _ATTRS_PROBE], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    assert json.loads(done.stdout) == []


_LOADED_ON_USE = ("asyncio", "httpcore", "socketlabs_client._filters", "socketlabs_client._pagination")
"""Of those, what the probe's calls (sync, async, a paged search) must have loaded by the end."""

_CLIENT_PROBE = """
import json, sys
for name in ("click", "rich", "pygments"):  # a base install: httpx then skips its command line
    sys.modules[name] = None
import httpx
before = set(sys.modules)
from socketlabs_client import SocketLabs, AsyncSocketLabs
loaded = sorted(set(sys.modules) - before)

with SocketLabs() as client:  # SOCKETLABS_* from the environment: the sandbox
    checked = client.suppressions.check(email_address="lazy@example.com").is_suppressed
    client.suppressions.add(email_address="listed@example.com")
    listed = [m.to for m in client.reports.messages_detail(page_size=5, max_items=5)]

async def main():
    import asyncio
    async with AsyncSocketLabs() as client:
        found = await client.suppressions.check(email_address="lazy@example.com")
        await asyncio.sleep(0)
        return found.is_suppressed

import asyncio
async_checked = asyncio.run(main())
print(json.dumps({
    "loaded": loaded,
    "checked": checked,
    "async_checked": async_checked,
    "listed": listed,
    "after": sorted(m for m in sys.argv[1:] if m in sys.modules),
}))
"""


def test_importing_the_client_defers_the_transport_async_and_cli(socketlabs_sandbox: Sandbox) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKETLABS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])
    done = subprocess.run(
        [sys.executable, "-c", _CLIENT_PROBE, *_LOADED_ON_USE],
        capture_output=True,
        text=True,
        env={**env, **sandbox_environment(socketlabs_sandbox)},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    loaded = set(found["loaded"])
    assert "socketlabs_client._client" in loaded  # the probe measured the real import
    assert sorted(m for m in _DEFERRED if m in loaded) == []
    models = {m for m in loaded if m.startswith("socketlabs_api.models.")}
    assert models <= {"socketlabs_api.models.injection_error_code"}  # an enum; no attrs model class
    assert {m for m in loaded if m.startswith("socketlabs_api.resources.")} == set()
    # ...and what was deferred still loads, and works, when a call needs it.
    assert found["checked"] is False
    assert found["async_checked"] is False
    assert len(found["listed"]) == 5  # a paged list, through the pager loaded on first use
    assert found["after"] == [
        "asyncio",
        "httpcore",
        "socketlabs_client._filters",
        "socketlabs_client._pagination",
    ]


def test_the_public_surface_is_listed_alike_three_times() -> None:
    """``_public`` names each public name three times: for type checkers, for loading, in ``__all__``.

    Type checkers need the literal imports and ``__all__``; the lazy loader needs
    the module of each name. A name in one list and not another is either
    unreachable at run time or untyped, so the three must hold the same names.
    """
    import ast

    from socketlabs_client import _public

    tree = ast.parse((ROOT / "overrides" / "socketlabs_client" / "_public.py").read_text(encoding="utf-8"))
    guarded = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    for_type_checkers = {
        alias.asname or alias.name
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    loaded = set(_public._LAZY)
    listed = set(_public.__all__)
    assert for_type_checkers == loaded == listed, {
        "only for type checkers": for_type_checkers - loaded,
        "only loaded": loaded - for_type_checkers,
        "loaded, not in __all__": loaded - listed,
        "in __all__, not loaded": listed - loaded,
    }
