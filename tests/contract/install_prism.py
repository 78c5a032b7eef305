"""Install Prism and Spectral (npm, pinned in package.json) when npm is available.

Run by tox before the tests and the spec lint. Without npm the Prism and
Spectral tests skip with a reason on a developer's machine and fail in CI
(CI=true), where .ci/run installs them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = ("prism", "spectral")


def main() -> int:
    if all((HERE / "node_modules" / ".bin" / tool).exists() for tool in TOOLS):
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print("install_prism: npm not found; Prism and Spectral tests will be skipped", file=sys.stderr)
        return 0
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    result = subprocess.run(command, cwd=HERE, check=False)
    if result.returncode != 0:
        print(
            "install_prism: `npm ci` failed; Prism and Spectral tests will be skipped or fail in CI",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
