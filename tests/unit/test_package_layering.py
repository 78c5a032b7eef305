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
