"""The ``socketlabs`` command line (click and rich); ``import socketlabs_client`` never loads it."""

from __future__ import annotations

from ._app import EXIT_API, EXIT_CONFIG, EXIT_CONNECTION, EXIT_PARTIAL, EXIT_USAGE, cli, export_lines, main

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
