"""Install Prism (npm) for the contract tests when npm is available.

Run by tox before the tests. Without npm the Prism tests skip with a reason on
a developer's machine and fail in CI (CI=true), where .ci/run installs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    if (HERE / "node_modules" / ".bin" / "prism").exists():
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print("install_prism: npm not found; Prism contract tests will be skipped", file=sys.stderr)
        return 0
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    result = subprocess.run(command, cwd=HERE, check=False)
    if result.returncode != 0:
        print(
            "install_prism: `npm ci` failed; Prism contract tests will be skipped or fail in CI",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
