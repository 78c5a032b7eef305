"""The ``socketlabs`` command: thin, every command is a library call.

argparse (standard library) is enough for a handful of subcommands; it adds
no dependency to a client library.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._config import SANDBOX_EXTRA

__all__ = ["main"]


def _sandbox(args: argparse.Namespace) -> int:
    try:
        from socketlabs_sandbox import SandboxConfig, serve  # noqa: PLC0415 - optional extra
    except ModuleNotFoundError as exc:
        if exc.name not in SANDBOX_EXTRA:
            raise
        print(
            f"socketlabs sandbox needs the 'sandbox' extra: pip install 'socketlabs-client[sandbox]' ({exc})"
        )
        return 2
    config = SandboxConfig(server_id=args.server_id, seed=args.seed, report_messages=args.report_messages)
    base = f"http://{args.host}:{args.port}"
    print(f"SocketLabs sandbox on {base} (Ctrl-C to stop). Point a client at it with:")
    print(f"  export SOCKETLABS_BASE_URL={base}/v2 SOCKETLABS_INJECT_URL={base}/api/v1")
    print(f"  export SOCKETLABS_SERVER_ID={config.server_id} SOCKETLABS_API_KEY={config.api_key}")
    sys.stdout.flush()
    serve(host=args.host, port=args.port, config=config)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``socketlabs`` console script."""
    parser = argparse.ArgumentParser(prog="socketlabs", description="SocketLabs client tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="run the local SocketLabs emulator")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8025)
    sandbox.add_argument("--server-id", type=int, default=12345)
    sandbox.add_argument("--seed", type=int, default=1, help="seed of the report event log")
    sandbox.add_argument("--report-messages", type=int, default=250, help="size of the seeded report log")
    sandbox.set_defaults(handler=_sandbox)
    args = parser.parse_args(argv)
    handler = args.handler
    return int(handler(args))


if __name__ == "__main__":
    sys.exit(main())
