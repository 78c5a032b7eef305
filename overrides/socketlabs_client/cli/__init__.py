"""The ``socketlabs`` command line: the ``cli`` extra (click, rich, keyring).

This module imports nothing from click, so the console script can say in one
line what to install when the extra is missing; ``import socketlabs_client``
never loads it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import EXIT_API, EXIT_CONFIG, EXIT_CONNECTION, EXIT_PARTIAL, EXIT_USAGE, cli, export_lines

__all__ = [
    "EXIT_API",
    "EXIT_CONFIG",
    "EXIT_CONNECTION",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "cli",
    "export_lines",
    "main",
]

CLI_EXTRA = ("click", "rich")
"""The modules of the ``cli`` extra the command cannot start without (keyring is optional)."""

INSTALL_HINT = "socketlabs: the command line needs the 'cli' extra: pip install 'socketlabs-client[cli]'"


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a finder that refuses, or a module without a spec
        return False


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``socketlabs`` console script and ``python -m socketlabs_client``."""
    if not all(_importable(name) for name in CLI_EXTRA):
        print(INSTALL_HINT, file=sys.stderr)
        return 3  # EXIT_CONFIG, without importing _app
    app = importlib.import_module(f"{__name__}._app")
    return int(app.main(argv))


def __getattr__(name: str) -> Any:
    """``cli``, the exit codes and ``export_lines`` load click on first use (PEP 562)."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}._app"), name)
    globals()[name] = value
    return value
