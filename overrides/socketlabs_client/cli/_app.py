"""The ``socketlabs`` command: every command is a thin call through the public client.

Built on click (with rich for terminal tables and progress bars): click is
explicit (decorators over plain functions), long-stable, completes in bash,
zsh and fish, and its ``CliRunner`` drives commands in-process for tests.
Settings come from the flags, then the ``SOCKETLABS_*`` variables, then the
saved profile (``socketlabs login``). The flags that pick the account
(``--api-key``, ``--server-id``, ``--profile``, the host URLs) are accepted
before or after the subcommand, as gh's are. The key is never printed.

Report families, their views and filters come from the operation table the
client sends with each request (``socketlabs_api.operations``), so the
command line follows the spec by regeneration alone.

Exit codes: 0 success; 1 the API refused or failed; 2 usage error (bad flags
or arguments, or input the library refuses before sending: an invalid
message, filter, date or output path); 3 configuration (no key, a bad URL, a
missing extra); 4 could not reach the API (connection or timeout); 5 some
items of a batch failed (recipients of a send, addresses of ``suppressions
add``/``remove``, events the receiver refused); 130 interrupted. Errors are
one line on stderr, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
)
from rich.text import Text
from socketlabs_api.operations import OPERATIONS, Operation

from .._config import ENV_API_KEY, ENV_SERVER_ID, SANDBOX_EXTRA, SERVER_SETTINGS, __version__
from . import _profiles
from ._ops import REPORTS, accepts, bound, quiet_unverified, unverified_note
from ._output import FORMATS, OutputFile, RowWriter, is_terminal

if TYPE_CHECKING:
    from .._client import SocketLabs
    from .._injection import SendReport
    from .._webhooks import WebhookEvent

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

EXIT_API = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_CONNECTION = 4
EXIT_PARTIAL = 5
EXIT_INTERRUPTED = 130
ENV_WEBHOOK_SECRET = "SOCKETLABS_WEBHOOK_SECRET"  # noqa: S105 - a variable's name
CONTRACT_EXTRA = frozenset({"schemathesis", "yaml", "jsonschema", "referencing", "hypothesis"})

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class Failure(click.ClickException):
    """An error the command reports as one line, with its documented exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"socketlabs: error: {self.format_message()}", err=True, file=file)


class _Path(click.Path):
    """click's path, with the names the OS cannot take (a NUL, a lone surrogate) as usage errors."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except ValueError as exc:  # os.stat's "embedded null byte", UnicodeEncodeError
            self.fail(f"{str(value)!r} cannot be a file name: {exc}", param, ctx)


def _extra_missing(command: str, extra: str) -> Failure:
    return Failure(
        f"socketlabs {command} needs the '{extra}' extra: pip install 'socketlabs-client[{extra}]'",
        EXIT_CONFIG,
    )


# errors in flag language -------------------------------------------------------

_ARGUMENT_FLAGS = {
    "api_key": "--api-key",
    "server_id": "--server-id",
    **{s.argument: "--" + s.argument.replace("_", "-") for s in SERVER_SETTINGS},
    "params": "-q/-f",
    "json": "-f",
    "filters": "--filter",
    "page_size": "-f pageSize",
    "page_number": "-f pageNumber",
    "sort_field": "-f sortField",
    "sort_direction": "-f sortDirection",
    "start_date": "--start",
    "end_date": "--end",
    "path_params": "the PATH",
    "headers": "a header",
}
"""The library's argument names, as the flags that set them."""

_PARAMETER_FLAGS = {
    "startDate": "--start",
    "endDate": "--end",
    "filters": "--filter",
    "pageSize": "--page-size",
    "sortField": "--sort",
    "sortDirection": "--sort",
}
"""The API's parameter names (``InvalidParameterError.parameter``), as flags."""

_ARGUMENT = re.compile(r"\b(" + "|".join(map(re.escape, _ARGUMENT_FLAGS)) + r")=")


def _in_flags(exc: BaseException, text: str) -> str:
    """The library's message, with Python argument names turned into the flags a user types."""
    from .._errors import ConfigurationError, InvalidParameterError  # noqa: PLC0415

    if isinstance(exc, ConfigurationError) and text.startswith("no server id"):
        return f"no server id: give --server-id, set {ENV_SERVER_ID}, or save one with 'socketlabs login'"
    if isinstance(exc, ConfigurationError) and text.startswith("no API key"):
        return f"no API key: give --api-key, set {ENV_API_KEY}, or run 'socketlabs login'"
    if isinstance(exc, InvalidParameterError):
        flag = _PARAMETER_FLAGS.get(exc.parameter)
        if flag is not None and text.startswith(f"{exc.parameter}: "):
            text = f"{flag}: {text.removeprefix(exc.parameter + ': ')}"
    text = _ARGUMENT.sub(lambda m: _ARGUMENT_FLAGS[m[1]], text)
    for argument, flag in _ARGUMENT_FLAGS.items():
        if text.startswith(f"{argument} must "):  # the settings' checks: "base_url must be ..."
            text = flag + text.removeprefix(argument)
    return text


def _fail(exc: BaseException) -> NoReturn:
    """Map a library error to its exit code; anything unexpected is still one line."""
    from .._errors import (  # noqa: PLC0415 - the library loads only when a command runs
        APIConnectionError,
        ConfigurationError,
        InvalidRequestError,
        MessageValidationError,
        SocketLabsError,
    )

    lines = str(exc).strip().splitlines()
    text = _in_flags(exc, lines[0]) if lines else type(exc).__name__
    if isinstance(exc, ConfigurationError | _profiles.ProfileError):
        raise Failure(text, EXIT_CONFIG) from None
    if isinstance(exc, APIConnectionError):
        raise Failure(text, EXIT_CONNECTION) from None
    if isinstance(exc, InvalidRequestError | MessageValidationError | ValueError | OverflowError):
        raise Failure(text, EXIT_USAGE) from None
    if isinstance(exc, SocketLabsError):
        raise Failure(text, EXIT_API) from None
    if isinstance(exc, OSError):
        raise Failure(f"{getattr(exc, 'filename', None) or ''}: {exc.strerror or exc}".lstrip(": "), EXIT_API)
    raise Failure(f"{type(exc).__name__}: {text}", EXIT_API) from None


def _run(call: Callable[[], Any]) -> Any:
    """Run one library call, turning its errors into one line and an exit code."""
    try:
        return call()
    except (click.ClickException, BrokenPipeError):  # click ends a run whose reader left quietly (exit 1)
        raise
    except KeyboardInterrupt:
        raise Failure("interrupted", EXIT_INTERRUPTED) from None
    except Exception as exc:  # reported as one line
        _fail(exc)


# settings, profiles and the client -----------------------------------------------


class State:
    """Per-run settings and the lazily made client (closed when the command ends)."""

    def __init__(
        self,
        api_key: str | None,
        server_id: int | None,
        urls: dict[str, str | None],
        profile: str | None,
    ) -> None:
        self._api_key = api_key
        self.server_id = server_id
        self.urls = urls
        self.profile = profile
        self._client: SocketLabs | None = None
        self.on_wait: Callable[[float], None] | None = None
        self.sleep: Callable[[float], None] = time.sleep

    def __repr__(self) -> str:
        return f"State(server_id={self.server_id!r}, profile={self.profile!r})"  # never the key

    def override(self, name: str, value: Any) -> None:
        """A flag given after the subcommand (it wins over the same flag before it)."""
        if name == "api_key":
            self._api_key = value
        elif name == "server_id":
            self.server_id = value
        elif name == "profile":
            self.profile = value
        else:
            self.urls[name] = value

    def saved(self) -> _profiles.Profile | None:
        """The profile named by ``--profile`` or ``SOCKETLABS_PROFILE``, else ``default`` if saved."""
        name = self.profile or os.environ.get(_profiles.ENV_PROFILE)
        profile = _run(lambda: _profiles.load(name or _profiles.DEFAULT_PROFILE))
        if profile is None and name:
            # A --profile flag that names nothing is a usage error; the variable's, configuration.
            code = EXIT_USAGE if self.profile else EXIT_CONFIG
            raise Failure(f"no profile {name!r}: run 'socketlabs login --profile {name}'", code)
        return profile  # type: ignore[no-any-return]

    def client(self, *, saved: bool = True) -> SocketLabs:
        """The client: flags first, then ``SOCKETLABS_*``, then the saved profile (unless not ``saved``)."""
        if self._client is None:
            from .._client import SocketLabs  # noqa: PLC0415
            from .._ratelimit import RateLimiter  # noqa: PLC0415

            env = os.environ
            profile = self.saved() if saved else None
            key = self._api_key or env.get(ENV_API_KEY) or (profile.api_key if profile else None)
            if not key or not key.strip():
                raise Failure(
                    f"no API key: give --api-key, set {ENV_API_KEY}, or run 'socketlabs login'", EXIT_CONFIG
                )
            server_id = self.server_id
            if server_id is None and not env.get(ENV_SERVER_ID) and profile is not None:
                server_id = profile.server_id
            arguments: dict[str, Any] = {}
            for setting in SERVER_SETTINGS:
                url = self.urls.get(setting.argument)
                if not url and not env.get(setting.env_var) and profile is not None:
                    url = profile.urls.get(setting.name)
                if url:
                    arguments[setting.argument] = url
            limiter = RateLimiter(sleep=self._limiter_sleep)
            try:
                self._client = SocketLabs(api_key=key, server_id=server_id, rate_limiter=limiter, **arguments)
            except Exception as exc:  # reported as one line
                _fail(exc)
        return self._client

    def _limiter_sleep(self, seconds: float) -> None:
        """The limiter's wait, shown where a progress bar is listening."""
        listener = self.on_wait
        if listener is not None:
            listener(seconds)
        try:
            self.sleep(seconds)
        finally:
            if listener is not None:
                listener(0.0)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _checked(name: str, value: Any) -> Any:
    """An account flag's value, refused as a usage error when it cannot be one (never echoing a key)."""
    if value is None:
        return None
    if name == "api_key":
        if not value.strip() or not value.isascii() or not value.isprintable() or " " in value.strip():
            raise click.BadParameter("not an API key (printable ASCII without spaces)")
        return value.strip()
    if name == "secret":
        if not value or not value.isascii() or not value.isprintable() or " " in value:
            raise click.BadParameter("not a webhook secret (printable ASCII without spaces)")
        return value
    if name == "profile":
        if not _PROFILE_NAME.fullmatch(value):
            raise click.BadParameter("a profile name is letters, digits, '.', '_' or '-' (at most 64)")
        return value
    if name.endswith("_url"):
        import httpx  # noqa: PLC0415

        try:
            url = httpx.URL(value)
        except (httpx.InvalidURL, ValueError, TypeError):
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise click.BadParameter(f"an http(s) URL, got {value!r}")
    return value


def _keep(name: str, *, after: bool) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        value = _checked(name, value)
        state = ctx.find_object(State)
        if after and state is not None and value is not None:
            state.override(name, value)
        return value

    return callback


def _account_options(function: F, *, after: bool) -> F:
    """``--api-key``, ``--server-id``, ``--profile`` and one ``--<host>-url`` per API host.

    On the group they are read normally; on a subcommand (``after``) the same
    flags update the run's settings, so ``socketlabs suppressions check X
    --server-id 7`` works as gh's flags do.
    """

    def option(*names: str, dest: str, **attrs: Any) -> None:
        nonlocal function
        attrs = {**attrs, "callback": _keep(dest, after=after)}
        if after:
            attrs["expose_value"] = False
        function = click.option(*names, dest, default=None, **attrs)(function)

    for setting in reversed(SERVER_SETTINGS):
        option(
            "--" + setting.argument.replace("_", "-"),
            dest=setting.argument,
            metavar="URL",
            help=f"{setting.name} host base URL [env {setting.env_var}, default {setting.default_url}].",
        )
    option(
        "--profile",
        dest="profile",
        metavar="NAME",
        help=f"A login saved by 'socketlabs login' [env {_profiles.ENV_PROFILE}, default 'default'].",
    )
    option(
        "--server-id",
        dest="server_id",
        type=click.IntRange(1, 2**31 - 1),
        metavar="ID",
        help=f"Server id [env {ENV_SERVER_ID}].",
    )
    option(
        "--api-key",
        dest="api_key",
        metavar="KEY",
        help=f"API key [env {ENV_API_KEY}]. Prefer the variable or a profile: flags show in process lists.",
    )
    return function


def account_options(function: F) -> F:
    """The account flags, accepted after a subcommand too."""
    return _account_options(function, after=True)


def json_option(function: F) -> F:
    """``--json``: machine-readable output for scripts (every command has it)."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(function)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, sort_keys=False))


def _plain(value: Any) -> Any:
    """A model (or list of them) as plain JSON-able data."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _member(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def _rows(rows: Iterable[Mapping[str, Any]], as_json: bool, *, title: str, fmt: str = "table") -> int:
    """Rows to stdout: a table on a terminal, tab-separated when piped, or JSON."""
    writer = RowWriter(sys.stdout, fmt, as_json=as_json, title=title)
    for row in rows:
        writer.write(row)
    return writer.close()


def _note(line: str | None) -> None:
    if line:
        click.echo(line, err=True)


def _noting(items: Iterable[T], line: str | None) -> Iterator[T]:
    """``items``, with ``line`` noted once the first answer came (an error stays stderr's only line)."""
    noted = False
    for item in items:
        if not noted:
            _note(line)
            noted = True
        yield item
    if not noted:
        _note(line)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="socketlabs", message="%(prog)s %(version)s")
@functools.partial(_account_options, after=False)
@click.pass_context
def cli(
    ctx: click.Context,
    /,
    api_key: str | None,
    server_id: int | None,
    profile: str | None,
    **urls: str | None,
) -> None:
    """SocketLabs from the shell: send mail, manage suppressions, pull reports, receive events.

    Every command calls the socketlabs_client library (same auth, rate limits and
    retries). Tables on a terminal, tab-separated lines when piped, --json for
    scripts. Exit codes: 0 ok, 1 API error, 2 usage, 3 configuration,
    4 connection, 5 some items of a batch failed, 130 interrupted.
    """
    state = State(api_key, server_id, urls, profile)
    ctx.obj = state
    ctx.call_on_close(state.close)
    # A command says so itself (one note line) when its operation is unverified.
    ctx.with_resource(quiet_unverified())


# send -----------------------------------------------------------------------


def _report_json(report: SendReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "dry_run": report.dry_run,
        "recipients": [
            {
                "address": r.address,
                "outcome": r.outcome.value,
                "code": None if r.code is None else str(getattr(r.code, "value", r.code)),
                "retryable": r.retryable,
                "detail": r.detail,
            }
            for r in report.recipients
        ],
    }


@cli.command()
@click.option("--from", "from_", metavar="ADDRESS", help="Sender address.")
@click.option("--to", "to", multiple=True, metavar="ADDRESS", help="Recipient (repeatable).")
@click.option("--cc", multiple=True, metavar="ADDRESS", help="Cc recipient (repeatable).")
@click.option("--bcc", multiple=True, metavar="ADDRESS", help="Bcc recipient (repeatable).")
@click.option("--subject", help="Subject line.")
@click.option("--text", help="Plain-text body.")
@click.option("--html", help="HTML body.")
@click.option("--header", multiple=True, metavar="NAME=VALUE", help="Custom header (repeatable).")
@click.option("--metadata", multiple=True, metavar="KEY=VALUE", help="Metadata pair (repeatable).")
@click.option(
    "--attach",
    multiple=True,
    type=_Path(exists=True, dir_okay=False, path_type=Path),
    help="File to attach.",
)
@click.option(
    "--message",
    "message_file",
    type=_Path(exists=True, dir_okay=False, path_type=Path),
    help="The message from a JSON file (the builders' shape) or an .eml file; flags add to it.",
)
@click.option(
    "--merge-csv",
    type=_Path(exists=True, dir_okay=False, path_type=Path),
    help="Send a merge: one recipient per row (an address column, the rest merge fields).",
)
@click.option("--dry-run", is_flag=True, help="Check and plan the requests, send nothing.")
@json_option
@account_options
@click.pass_obj
def send(
    state: State,
    from_: str | None,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    bcc: tuple[str, ...],
    subject: str | None,
    text: str | None,
    html: str | None,
    header: tuple[str, ...],
    metadata: tuple[str, ...],
    attach: tuple[Path, ...],
    message_file: Path | None,
    merge_csv: Path | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Send one message (or a merge) and print the per-recipient report."""
    from .._injection import BasicMessage, BulkMessage, attachment  # noqa: PLC0415
    from ._messages import from_eml, from_json, merge_recipients, pairs  # noqa: PLC0415

    def build() -> BasicMessage | BulkMessage:
        message: BasicMessage | BulkMessage
        if message_file is not None:
            message = (
                from_eml(message_file) if message_file.suffix.lower() == ".eml" else from_json(message_file)
            )
        elif merge_csv is not None:
            message = BulkMessage()
        else:
            message = BasicMessage()
        if merge_csv is not None:
            if isinstance(message, BasicMessage) and message_file is not None:
                raise click.UsageError(
                    "--merge-csv goes with flags or a merge message file, not a single message"
                )
            if to or cc or bcc:
                raise click.UsageError("--merge-csv takes its recipients from the CSV, not --to/--cc/--bcc")
            assert isinstance(message, BulkMessage)  # noqa: S101 - built just above
            for recipient in merge_recipients(merge_csv):
                message.add_recipient(recipient)
        for field, value in (("subject", subject), ("text", text), ("html", html)):
            if value is not None:
                setattr(message, field, value)
        if from_ is not None:
            message.from_ = _to_address(from_)
        if isinstance(message, BasicMessage):
            for address in to:
                message.add_to(address)
            for address in cc:
                message.add_cc(address)
            for address in bcc:
                message.add_bcc(address)
        for name, value in pairs(header, "--header").items():
            message.add_header(name, value)
        for key, value in pairs(metadata, "--metadata").items():
            message.add_metadata(key, value)
        message.attachments.extend(attachment(path) for path in attach)
        return message

    message = _run(build)
    report: SendReport = _run(lambda: state.client().send(message, dry_run=dry_run))
    if as_json:
        _echo_json(_report_json(report))
    else:
        _rows(
            (
                {
                    "recipient": r["address"],
                    "outcome": r["outcome"],
                    "code": r["code"] or "",
                    "detail": r["detail"] or "",
                }
                for r in _report_json(report)["recipients"]
            ),
            False,
            title="dry run: nothing sent" if dry_run else "send",
        )
    if not dry_run and not report.ok:
        raise Failure(
            f"{len(report.recipients) - len(report.accepted)} recipient(s) not accepted", EXIT_PARTIAL
        )


def _to_address(value: str) -> Any:
    from .._injection import to_address  # noqa: PLC0415

    return to_address(value, field="From")


# suppressions ---------------------------------------------------------------


def _filters(values: Iterable[str]) -> str | None:
    """Repeated ``--filter`` flags as the API's wire form (the library checks each)."""
    joined = "&".join(v for v in values if v)
    return joined or None


def filter_option(function: F) -> F:
    """``--filter FIELD=PRED:VALUE``, repeatable; the fields are the operation's ``x-filters``."""
    return click.option(
        "--filter",
        "filters",
        multiple=True,
        metavar="FIELD=PRED:VALUE",
        help="A filter (repeatable), e.g. status=eq:Failed.",
    )(function)


@cli.group()
def suppressions() -> None:
    """The suppression list: list, check, add, remove, export."""


@suppressions.command("list")
@filter_option
@click.option("--max", "max_items", type=click.IntRange(min=1), default=None, help="Stop after N entries.")
@json_option
@account_options
@click.pass_obj
def suppressions_list(state: State, filters: tuple[str, ...], max_items: int | None, as_json: bool) -> None:
    """List suppressed addresses (every page, or up to --max), streamed as they arrive."""
    op = _op("suppressions", "search")
    search = bound(state.client(), op)
    pager = _run(lambda: search(filters=_filters(filters), max_items=max_items))
    _run(
        lambda: _rows((_plain(e) for e in _noting(pager, unverified_note(op))), as_json, title="suppressions")
    )


@suppressions.command()
@click.argument("address")
@json_option
@account_options
@click.pass_obj
def check(state: State, address: str, as_json: bool) -> None:
    """Whether ADDRESS is suppressed."""
    check = bound(state.client(), _op("suppressions", "check"))
    result = _run(lambda: check(email_address=address))
    if as_json:
        _echo_json(_plain(result))
    else:
        click.echo(f"{address}: {'suppressed' if _member(result, 'is_suppressed') else 'not suppressed'}")


def _batch(state: State, addresses: tuple[str, ...], op: Operation, done: str, as_json: bool) -> None:
    """One call per address; each outcome printed; exit 5 when some (not all) failed, else that error."""
    call = bound(state.client(), op)
    results: list[dict[str, Any]] = []
    failures: list[Failure] = []
    for address in addresses:
        try:
            _run(functools.partial(call, email_address=address))
        except Failure as exc:
            failures.append(exc)
            results.append({"address": address, "ok": False, "outcome": "failed", "error": exc.message})
        else:
            results.append({"address": address, "ok": True, "outcome": done, "error": None})
    if as_json:
        _echo_json({"ok": not failures, "results": results})
    else:
        _rows(({k: v or "" for k, v in r.items() if k != "ok"} for r in results), False, title=done)
    if failures:
        if len(failures) == len(addresses):
            raise Failure(failures[0].message, failures[0].exit_code)
        raise Failure(f"{len(failures)} of {len(addresses)} address(es) failed", EXIT_PARTIAL)


@suppressions.command()
@click.argument("addresses", nargs=-1, required=True)
@json_option
@account_options
@click.pass_obj
def add(state: State, addresses: tuple[str, ...], as_json: bool) -> None:
    """Suppress ADDRESSES (each one's outcome printed; exit 5 when some failed)."""
    _batch(state, addresses, _op("suppressions", "add"), "suppressed", as_json)


@suppressions.command()
@click.argument("addresses", nargs=-1, required=True)
@json_option
@account_options
@click.pass_obj
def remove(state: State, addresses: tuple[str, ...], as_json: bool) -> None:
    """Remove ADDRESSES from the list (each one's outcome printed; exit 5 when some failed)."""
    _batch(state, addresses, _op("suppressions", "remove"), "removed", as_json)


def output_option(function: F) -> F:
    """``-o FILE``: checked before anything is sent, replaced only when the pull completes."""
    return click.option(
        "-o",
        "--output",
        type=_Path(dir_okay=False, path_type=Path, allow_dash=True),
        help="Write to FILE (replaced only when complete; '-': stdout).",
    )(function)


def _open_output(output: Path | None) -> OutputFile:
    try:
        return OutputFile(output)
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise click.BadParameter(
            f"cannot write {str(output)!r}: {why}", param_hint="'-o' / '--output'"
        ) from None


@suppressions.command()
@output_option
@filter_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", *[f for f in FORMATS if f != "csv"]]),
    default="csv",
    show_default=True,
    help="How rows are written (--json: one JSON array).",
)
@json_option
@account_options
@click.pass_obj
def export(state: State, output: Path | None, filters: tuple[str, ...], fmt: str, as_json: bool) -> None:
    """Stream the list as CSV (one download, the largest page the API allows), to FILE or stdout."""
    _pull(
        state,
        _op("suppressions", "download"),
        {"filters": _filters(filters)},
        label="suppressions",
        output=output,
        fmt=fmt,
        as_json=as_json,
        max_items=None,
    )


def _op(tag: str, method_name: str) -> Operation:
    """The spec operation ``client.<tag>.<method_name>`` calls (``LookupError`` when there is none)."""
    for op in OPERATIONS.values():
        if op.tag == tag and op.method_name == method_name:
            return op
    raise LookupError(f"the spec has no operation {tag}.{method_name}")


# pulling rows: the fewest requests, streamed, with the limiter's waits shown ------


class _StatusColumn(ProgressColumn):
    """The limiter's wait as it counts down, else the time left (estimated over a whole window)."""

    def render(self, task: Task) -> Text:
        until = task.fields.get("wait_until")
        if until is not None:
            left = until - time.monotonic()
            if left > 0:
                return Text(f"waiting for the rate limit, {left:.0f} s", style="yellow")
        remaining = task.time_remaining
        if remaining is None or not task.total:
            return Text("")
        return Text(f"{dt.timedelta(seconds=round(remaining))} left")


class _RateColumn(ProgressColumn):
    """Rows per second (rich's own speed column counts bytes)."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.completed:,.0f} rows, {task.speed or 0:,.0f}/s")


class _Progress:
    """A progress bar on stderr, only on a terminal: rows, rate, time left and the limiter's waits.

    The speed is averaged over two minutes, longer than the API's rate-limit
    window, so the time left counts the waits that a burst of fast pages is
    followed by, instead of promising the burst's pace.
    """

    def __init__(self, label: str, console: Console | None = None) -> None:
        self.bar: Progress | None = None
        self.task: Any = None
        if console is not None or is_terminal(sys.stderr):
            self.bar = Progress(
                TextColumn(f"[bold]{label}"),
                BarColumn(),
                TaskProgressColumn(),
                _RateColumn(),
                _StatusColumn(),
                console=console or Console(file=sys.stderr),
                transient=True,
                speed_estimate_period=120,
            )
            self.task = self.bar.add_task(label, total=None, wait_until=None)

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)

    def wait(self, seconds: float) -> None:
        """The limiter is about to wait ``seconds`` (0: it is done waiting)."""
        if self.bar is not None:
            until = time.monotonic() + seconds if seconds > 0 else None
            self.bar.update(self.task, wait_until=until)
            self.bar.refresh()

    @contextmanager
    def listening(self, state: State) -> Iterator[_Progress]:
        """Shown while the bar runs; the limiter's waits go to it."""
        if self.bar is not None:
            self.bar.start()
        state.on_wait = self.wait
        try:
            yield self
        finally:
            state.on_wait = None
            if self.bar is not None:
                self.bar.stop()


def _pull(
    state: State,
    op: Operation,
    arguments: Mapping[str, Any],
    *,
    label: str,
    output: Path | None,
    fmt: str,
    as_json: bool,
    max_items: int | None,
) -> None:
    """Stream one list operation's rows to the output, in the fewest requests it allows.

    A CSV download asks for its largest page (one request for most pulls); a
    JSON list for its largest page too. Rows are written as they arrive; the
    output file is checked before the first request and replaced at the end.
    """
    method = bound(state.client(), op)  # settings first: a run that cannot start leaves no file behind
    out = _open_output(output)
    writer = RowWriter(out.stream, fmt, as_json=as_json, title=label)
    note = unverified_note(op)
    progress = _Progress(label)

    def fetch() -> None:
        size = {"page_size": op.max_page_size}
        with progress.listening(state):
            if op.pagination == "csv":
                rows = method(
                    **accepts(method, {**arguments, **size, "max_rows": max_items, "progress": progress})
                )
                for row in _noting(rows, note):
                    writer.write(row)
            else:
                pager = method(**accepts(method, {**arguments, **size, "max_items": max_items}))
                for page in _noting(pager.pages(), note):
                    for item in _member(page, "data") or []:
                        if max_items is not None and writer.count >= max_items:
                            break
                        writer.write(_plain(item))
                    total = _member(page, "total")
                    progress(writer.count, total if isinstance(total, int) else None)
        writer.close()

    try:
        _run(fetch)
    except BaseException:
        out.discard()
        raise
    out.commit()
    if out.path is not None:
        click.echo(f"{writer.count} rows written to {out.path}", err=True)


# reports --------------------------------------------------------------------

_SINCE = re.compile(r"(\d{1,12})([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _since(value: str) -> str:
    match = _SINCE.fullmatch(value.strip())
    if match is None:
        raise click.BadParameter("a duration such as 30m, 12h, 7d or 2w", param_hint="'--since'")
    try:
        start = dt.datetime.now(dt.UTC) - dt.timedelta(**{_UNITS[match[2]]: int(match[1])})
    except (OverflowError, ValueError):
        raise click.BadParameter(f"{value} reaches back before the year 1", param_hint="'--since'") from None
    return start.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _api_date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A date the API reads (``yyyy-MM-dd``, ``yyyy-MM-ddTHH:mm:ssZ``), checked by the library's parser."""
    from .._dates import format_api_date  # noqa: PLC0415

    if value is None:
        return None
    try:
        return format_api_date(value, "date")
    except (ValueError, OverflowError) as exc:
        problem = str(exc).removeprefix("date: ")
        raise click.BadParameter(f"{problem} (yyyy-MM-dd or yyyy-MM-ddTHH:mm:ssZ)") from None


def _complete_filter(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """``--filter`` completes to the report's fields (``x-filters``) as ``field=``.

    Every family's fields when the family is not parsed yet (click leaves the
    arguments unset while an option waits for its value).
    """
    family = REPORTS.get(str(ctx.params.get("family")))
    families = [family] if family is not None else list(REPORTS.values())
    fields = {f.name for each in families for op in each.views.values() for f in op.filters}
    return sorted(f"{name}=" for name in fields if name.startswith(incomplete))


_VIEWS = sorted({view for family in REPORTS.values() for view in family.views})


@cli.command()
@click.argument("family", type=click.Choice(sorted(REPORTS)))
@click.option(
    "--view",
    type=click.Choice(_VIEWS),
    default=None,
    help="Rows (detail, the default where the family has it) or totals (overview, aggregate, ...).",
)
@click.option("--since", metavar="DURATION", help="From this long ago until now: 30m, 12h, 7d, 2w.")
@click.option(
    "--start", callback=_api_date, metavar="DATE", help="Start: yyyy-MM-dd or yyyy-MM-ddTHH:mm:ssZ."
)
@click.option("--end", callback=_api_date, metavar="DATE", help="End (default: now).")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="FIELD=PRED:VALUE",
    shell_complete=_complete_filter,
    help="e.g. status=eq:Failed (repeatable; the fields are the report's).",
)
@click.option("--max", "max_items", type=click.IntRange(min=1), help="Stop after N rows.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table (tab-separated when piped), tsv, csv or jsonl (--json: one JSON array).",
)
@output_option
@json_option
@account_options
@click.pass_obj
def reports(
    state: State,
    family: str,
    view: str | None,
    since: str | None,
    start: str | None,
    end: str | None,
    filters: tuple[str, ...],
    max_items: int | None,
    fmt: str,
    output: Path | None,
    as_json: bool,
) -> None:
    """A report of FAMILY: its rows (streamed, the fewest requests the API allows) or its totals.

    The families and their views are the spec's report operations; a view
    whose path is modeled rather than confirmed says so on stderr.

    \b
    socketlabs reports messages --since 7d --filter status=eq:Failed --format csv -o failed.csv
    socketlabs reports failed --view overview --since 30d
    """
    reports_family = REPORTS[family]
    chosen = view or reports_family.default_view
    if chosen not in reports_family.views:
        raise click.BadParameter(
            f"the {family} report has {', '.join(reports_family.views)}", param_hint="'--view'"
        )
    if since and start:
        raise click.UsageError("give --since or --start, not both")
    dates = {"start_date": _since(since) if since else start, "end_date": end}
    op = reports_family.views[chosen]
    if op.pagination is None:
        if filters or max_items or output or fmt not in ("table", "jsonl"):
            raise click.UsageError(f"--filter, --max, -o and --format go with row views, not {chosen}")
        _summary(state, op, dates, as_json or fmt == "jsonl", title=f"{family} {chosen}")
        return
    source = reports_family.download if chosen == "detail" and reports_family.download else op
    _pull(
        state,
        source,
        {**dates, "filters": _filters(filters)},
        label=f"{family} {chosen}",
        output=output,
        fmt=fmt,
        as_json=as_json,
        max_items=max_items,
    )


def _unwrapped(op: Operation, body: Any) -> Any:
    """What the answer holds: an unverified operation's plain JSON keeps the API's ``data`` envelope."""
    if unverified_note(op) and isinstance(body, Mapping) and "data" in body:
        return body["data"]
    return body


def _summary(state: State, op: Operation, arguments: Mapping[str, Any], as_json: bool, *, title: str) -> None:
    """A totals view: one object (or a list of them)."""
    method = bound(state.client(), op)
    result = _unwrapped(op, _plain(_run(lambda: method(**accepts(method, arguments)))))
    _note(unverified_note(op))
    if as_json:
        _echo_json(result)
        return
    if isinstance(result, Mapping):
        # Totals with one list of objects (an aggregate's buckets): those are the rows.
        lists = [v for v in result.values() if isinstance(v, list) and v and isinstance(v[0], Mapping)]
        result = lists[0] if len(lists) == 1 else [result]
    _rows(result, False, title=title)


# api ------------------------------------------------------------------------


@cli.command()
@click.argument("method", type=str)
@click.argument("path")
@click.option(
    "-f",
    "--field",
    "fields",
    multiple=True,
    metavar="KEY=VALUE",
    help="A body member (POST, PUT, PATCH), else a query parameter.",
)
@click.option(
    "-q",
    "--query",
    "query",
    multiple=True,
    metavar="KEY=VALUE",
    help="A query parameter, whatever the method.",
)
@click.option(
    "--server",
    type=click.Choice([s.name for s in SERVER_SETTINGS]),
    default="api",
    show_default=True,
    help="The API host the path is on (the spec's x-servers).",
)
@click.option("--filter", "filters", multiple=True, metavar="FIELD=PRED:VALUE", help="A filter (repeatable).")
@click.option("--paginate", is_flag=True, help="Follow every page of a JSON list and print all items.")
@json_option
@account_options
@click.pass_obj
def api(
    state: State,
    method: str,
    path: str,
    fields: tuple[str, ...],
    query: tuple[str, ...],
    server: str,
    filters: tuple[str, ...],
    paginate: bool,
    as_json: bool,
) -> None:
    """Call any PATH with the same auth, rate limits and retries (like ``gh api``).

    \b
    socketlabs api GET /servers/{serverId}/suppressions/search -f pageSize=5
    socketlabs api POST /servers/{serverId}/suppressions -q emailAddress=a@example.com
    """
    from ._messages import pairs  # noqa: PLC0415

    verb = method.upper()
    values: dict[str, Any] = _run(lambda: {k: _scalar(v) for k, v in pairs(fields, "-f").items()})
    params: dict[str, Any] = _run(lambda: {k: _scalar(v) for k, v in pairs(query, "-q").items()})
    client = state.client()
    if paginate:
        if verb != "GET":
            raise click.UsageError("--paginate follows GET lists only")
        listing = {**params, **values}
        paging = {_LIST_ARGUMENTS[k]: listing.pop(k) for k in list(listing) if k in _LIST_ARGUMENTS}
        paging["filters"] = _filters([str(paging.pop("filters", "") or ""), *filters])
        pager = _run(lambda: client.paginate(verb, path, params=listing, server=server, **paging))
        _run(lambda: _rows(pager, True, title=""))
        return
    body_verb = verb in ("POST", "PUT", "PATCH")
    result = _run(
        lambda: client.request(
            verb,
            path,
            params=params if body_verb else {**params, **values},
            json=values if body_verb and values else None,
            filters=_filters(filters),
            server=server,
        )
    )
    if isinstance(result, str) and not as_json:
        click.echo(result)
    else:
        _echo_json(result)


_LIST_ARGUMENTS = {
    "pageSize": "page_size",
    "pageNumber": "page_number",
    "sortField": "sort_field",
    "sortDirection": "sort_direction",
    "startDate": "start_date",
    "endDate": "end_date",
    "filters": "filters",
}
"""With ``--paginate``, the list parameters given as ``-f``/``-q`` steer the pager instead."""


def _scalar(value: str) -> Any:
    """``-f`` values as JSON when they read as one (numbers, true/false, null), else text (``gh api -F``)."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return parsed if isinstance(parsed, int | float | bool) or parsed is None else value


# events ---------------------------------------------------------------------


@cli.group()
def events() -> None:
    """Event webhooks: receive them locally (listen) or make the sandbox post some (trigger)."""


def _event_line(event: WebhookEvent) -> dict[str, Any]:
    data = event.to_dict()
    keep = ("Type", "DateTime", "Address", "MessageId", "MailingId", "FailureType", "TrackingType", "Reason")
    return {k: data[k] for k in keep if data.get(k) is not None}


@events.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8026, show_default=True, help="0 picks a free port."
)
@click.option(
    "--secret",
    envvar=ENV_WEBHOOK_SECRET,
    required=True,
    metavar="SECRET",
    callback=lambda ctx, param, value: _checked("secret", value),
    help=f"The endpoint's secret key, to refuse forged posts [env {ENV_WEBHOOK_SECRET}].",
)
@click.option("--server-id", "server_ids", type=int, multiple=True, help="Accept only these server ids.")
@click.option(
    "--forward",
    metavar="URL",
    callback=lambda ctx, param, value: _checked("forward_url", value),
    help="Also post each accepted event's body to URL.",
)
@click.option("--max-events", type=click.IntRange(min=1), help="Exit after N accepted events.")
@json_option
def listen(
    host: str,
    port: int,
    secret: str,
    server_ids: tuple[int, ...],
    forward: str | None,
    max_events: int | None,
    as_json: bool,
) -> None:
    """Receive event webhooks locally, validate them, print each typed event (like ``stripe listen``)."""
    import httpx  # noqa: PLC0415

    from .._webhooks import WebhookReceiver  # noqa: PLC0415

    seen = 0
    finished = threading.Event()
    lock = threading.Lock()
    forwarder = httpx.Client(timeout=10.0) if forward else None

    def on_event(event: WebhookEvent) -> None:
        nonlocal seen
        line = _event_line(event)
        with lock:
            seen += 1
            if as_json:
                click.echo(json.dumps(line, default=str))
            else:
                details = " ".join(f"{k}={v}" for k, v in line.items() if k not in ("Type", "DateTime"))
                click.echo(f"{line.get('DateTime', '')}  {line.get('Type', '?'):<10} {details}")

    try:
        receiver = WebhookReceiver(on_event, secrets=secret, server_ids=server_ids or None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--secret' / '--server-id'") from None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, receiver.max_body_size + 1))
            answer = receiver.handle(body, self.headers.get("Content-Type"))
            if answer.status != 200:
                click.echo(f"refused a post: {answer.status} {answer.body.decode().strip()}", err=True)
            elif forwarder is not None and forward is not None:
                try:
                    forwarded = forwarder.post(
                        forward, content=body, headers={"Content-Type": self.headers.get("Content-Type", "")}
                    )
                    click.echo(f"  -> {forward} [{forwarded.status_code}]", err=True)
                except httpx.HTTPError as exc:
                    click.echo(f"  -> {forward} failed: {exc}", err=True)
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
            if max_events is not None and seen >= max_events:  # only once this answer is out
                finished.set()

        def log_message(self, format: str, *args: Any) -> None:  # the stdlib's signature
            return

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except (OSError, ValueError, TypeError, UnicodeError, OverflowError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise Failure(f"cannot listen on {host!r} port {port}: {why}", EXIT_USAGE) from None
    url = f"http://{host}:{server.server_address[1]}/"
    click.echo(f"Ready: receiving event webhooks on {url} (Ctrl-C to stop)", err=True)
    sys.stderr.flush()
    thread = threading.Thread(target=server.serve_forever, name="socketlabs-listen", daemon=True)
    thread.start()
    try:
        while not finished.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
        if forwarder is not None:
            forwarder.close()


TRIGGERS = {
    "delivered": "delivered",
    "failed": "bounce",
    "deferred": "defer",
    "complaint": "complain",
    "open": "open",
    "click": "click",
    "unsubscribe": "unsub",
}
"""Event type -> the local part that makes the sandbox tell that story (``socketlabs_sandbox._events``)."""


@events.command()
@click.argument("event_type", metavar="TYPE", type=click.Choice(sorted(TRIGGERS)))
@click.option(
    "--webhook-url",
    "webhook_url",
    metavar="URL",
    callback=lambda ctx, param, value: _checked("webhook_url", value),
    help="Where the sandbox posts (e.g. the URL `listen` printed); default: the URL the sandbox was "
    "started with, else its own inbox.",
)
@click.option(
    "--from", "from_", default="sandbox@example.com", show_default=True, help="Sender of the message."
)
@json_option
@account_options
@click.pass_obj
def trigger(state: State, event_type: str, webhook_url: str | None, from_: str, as_json: bool) -> None:
    """Make a sandbox post TYPE's events: send one message there, then have it deliver (``stripe trigger``).

    Only this message's events are posted (not those of earlier sends), to
    --webhook-url, else the URL the sandbox was started with, else the
    sandbox's own inbox (which checks the secret like a receiver). Exits
    5 when the receiver refused or could not be reached (a wrong secret gets
    401: give the receiver the secret `socketlabs sandbox` prints). Works
    against a sandbox, which has the delivery control path; a real account
    sends its webhooks by itself.
    """
    import secrets  # noqa: PLC0415

    from .._injection import BasicMessage  # noqa: PLC0415

    client = state.client()
    address = f"{TRIGGERS[event_type]}.trigger.{secrets.token_hex(4)}@example.com"
    message = BasicMessage(
        subject=f"socketlabs events trigger {event_type}", from_=from_, to=[address], text="x"
    )
    report = _run(lambda: client.send(message))
    if not report.ok:
        why = next((f"{r.code or ''} {r.detail or ''}".strip() for r in report.recipients), "")
        raise Failure(
            f"the sandbox did not accept the message to {address}: {why or 'no reason given'}", EXIT_API
        )
    body = {"address": address, **({"webhook_url": webhook_url} if webhook_url else {})}
    answer = _run(lambda: client.request("POST", "/_sandbox/events/deliver", json=body))
    posted = answer.get("data", []) if isinstance(answer, dict) else []
    if as_json:
        _echo_json({"address": address, "posted": posted})
    else:
        for item in posted:
            status = item.get("status") or f"unreachable ({item.get('error')})"
            click.echo(f"posted {item.get('type'):<10} for {item.get('address')} -> {status}")
    refused = [p for p in posted if p.get("status") != 200]
    if refused:
        first = refused[0]
        why = f"answered {first['status']}" if first.get("status") else f"unreachable: {first.get('error')}"
        hint = (
            " (is the receiver's secret the one 'socketlabs sandbox' printed?)"
            if first.get("status")
            in (
                401,
                403,
            )
            else ""
        )
        raise Failure(
            f"{len(refused)} of {len(posted)} event(s) not taken: the receiver {why}{hint}", EXIT_PARTIAL
        )


# sandbox --------------------------------------------------------------------


def _parse_anchor(value: str | None) -> dt.datetime | None:
    if value is None or value == "now":
        return None
    try:
        anchor = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("an ISO date-time such as 2026-01-01T00:00:00Z, or 'now'") from None
    return anchor if anchor.tzinfo else anchor.replace(tzinfo=dt.UTC)


def export_lines(
    urls: Mapping[str, str], api_key: str, server_id: int, webhook_secret: str | None = None
) -> list[str]:
    """``export`` lines for every host in ``SERVER_SETTINGS``, the key, server id and webhook secret."""
    lines = [f"export {setting.env_var}={urls[setting.name]}" for setting in SERVER_SETTINGS]
    lines += [f"export {ENV_SERVER_ID}={server_id}", f"export {ENV_API_KEY}={api_key}"]
    if webhook_secret is not None:
        lines.append(f"export {ENV_WEBHOOK_SECRET}={webhook_secret}")
    return lines


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8025, show_default=True, help="0 picks a free port."
)
@click.option(
    "--server-id",
    "sandbox_server_id",
    type=click.IntRange(1, 2**31 - 1),
    default=12345,
    show_default=True,
    help="Its server id.",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**63 - 1), default=1, show_default=True, help="Seed of the log."
)
@click.option(
    "--report-messages",
    type=click.IntRange(0, 10_000_000),
    default=250,
    show_default=True,
    help="Seeded log size.",
)
@click.option(
    "--suppressions",
    type=click.IntRange(0, 10_000_000),
    default=0,
    show_default=True,
    help="Seeded suppressions.",
)
@click.option(
    "--anchor",
    default="now",
    show_default=True,
    help="End of the seeded 30-day window: 'now' or an ISO date-time (fixed rows).",
)
@click.option(
    "--webhook-url",
    metavar="URL",
    callback=lambda ctx, param, value: _checked("webhook_url", value),
    help="Where it posts event webhooks.",
)
@click.option(
    "--webhook-secret",
    metavar="SECRET",
    callback=lambda ctx, param, value: _checked("secret", value),
    help="The SecretKey it puts in them (default: the sandbox's).",
)
@json_option
def sandbox(
    host: str,
    port: int,
    sandbox_server_id: int,
    seed: int,
    report_messages: int,
    suppressions: int,
    anchor: str,
    webhook_url: str | None,
    webhook_secret: str | None,
    as_json: bool,
) -> None:
    """Run the local SocketLabs emulator in the foreground and print how to point a client at it.

    It prints ``export`` lines for the key, server id, hosts and the webhook
    secret: ``eval "$(socketlabs sandbox | sed -n '/^export/p')"`` in another
    shell, or ``socketlabs sandbox --json`` for scripts.
    """
    try:
        from socketlabs_sandbox import Sandbox, SandboxConfig  # noqa: PLC0415 - optional extra
    except ModuleNotFoundError as exc:
        if exc.name not in SANDBOX_EXTRA:
            raise
        raise _extra_missing("sandbox", "sandbox") from None
    extra: dict[str, Any] = {"webhook_secret": webhook_secret} if webhook_secret else {}
    try:
        config = SandboxConfig(
            server_id=sandbox_server_id,
            seed=seed,
            report_messages=report_messages,
            suppressions=suppressions,
            anchor=_parse_anchor(anchor),
            webhook_url=webhook_url,
            **extra,
        )
        running = Sandbox(config, host=host, port=port).start()
    except (ValueError, OSError, OverflowError, TypeError, UnicodeError) as exc:
        raise Failure(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, EXIT_USAGE) from None
    try:
        _announce(running, as_json)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


def _exports(running: Any) -> list[str]:
    return export_lines(running.urls, running.api_key, running.server_id, running.events.secret)


def _announce(running: Any, as_json: bool) -> None:
    start = running.anchor - dt.timedelta(days=30)
    if as_json:
        env = dict(line.removeprefix("export ").split("=", 1) for line in _exports(running))
        _echo_json(
            {
                "url": running.url,
                "servers": running.urls,
                "env": env,
                "seeded": {
                    "messages": running.config.report_messages,
                    "suppressions": running.config.suppressions,
                    "from": start.isoformat(),
                    "to": running.anchor.isoformat(),
                },
                "webhook_url": running.events.webhook_url or running.inbox_url,
                "webhook_secret": running.events.secret,
            }
        )
    else:
        click.echo(
            f"SocketLabs sandbox on {running.url}: server {running.server_id}, "
            f"{running.config.report_messages} seeded messages {start:%Y-%m-%d %H:%M} to "
            f"{running.anchor:%Y-%m-%d %H:%M} UTC, "
            f"webhooks to {running.events.webhook_url or running.inbox_url} "
            f"signed with secret {running.events.secret}. Ctrl-C stops it."
        )
        for line in _exports(running):
            click.echo(line)
    sys.stdout.flush()


# login, profiles, completion ----------------------------------------------------


@cli.command()
@click.option(
    "--with-key", is_flag=True, help="Read the key from stdin (echo $KEY | socketlabs login --with-key)."
)
@click.option("--no-verify", is_flag=True, help="Save without checking the key against the API.")
@json_option
@account_options
@click.pass_obj
def login(state: State, with_key: bool, no_verify: bool, as_json: bool) -> None:
    """Save a key (and server id, hosts) as a profile: in the OS keyring, else a 0600 config file.

    The key comes from --api-key, stdin (--with-key), or a hidden prompt on a
    terminal. Later commands use the profile when no flag or variable is given;
    --profile NAME (or SOCKETLABS_PROFILE) picks one, 'default' otherwise.
    """
    name = state.profile or os.environ.get(_profiles.ENV_PROFILE) or _profiles.DEFAULT_PROFILE
    key = state._api_key
    if key is None and with_key:
        key = sys.stdin.readline().strip()
    elif key is None and is_terminal(sys.stdin):
        key = click.prompt("SocketLabs API key", hide_input=True, err=True).strip()
    elif key is None:
        raise click.UsageError("no key: give --api-key, --with-key (stdin), or run it on a terminal")
    if not key:
        raise click.UsageError("the key is empty")
    urls = {s.name: v for s in SERVER_SETTINGS if (v := state.urls.get(s.argument))}
    if not no_verify:
        if state.server_id is None:
            raise click.UsageError("give --server-id to check the key (or --no-verify)")
        state._api_key = key
        # A confirmed read: a modeled path could answer 404 to a good key.
        read = bound(state.client(saved=False), _op("reports", "messages_detail"))
        _run(lambda: next(iter(read(page_size=1, max_items=1)), None))
    where = _run(lambda: _profiles.save(name, key, state.server_id, urls))
    if as_json:
        _echo_json({"profile": name, "server_id": state.server_id, "stored_in": where, "urls": urls})
    else:
        click.echo(f"profile {name!r} saved; its key is in {where}")


@cli.command()
@json_option
@account_options
@click.pass_obj
def logout(state: State, as_json: bool) -> None:
    """Forget a saved profile and its key (--profile NAME, else 'default')."""
    name = state.profile or os.environ.get(_profiles.ENV_PROFILE) or _profiles.DEFAULT_PROFILE
    removed = _run(lambda: _profiles.delete(name))
    if as_json:
        _echo_json({"profile": name, "removed": removed})
    else:
        click.echo(f"profile {name!r} removed" if removed else f"no profile {name!r}: nothing to remove")


@cli.command()
@json_option
def profiles(as_json: bool) -> None:
    """List the saved profiles: name, server id, hosts, and where each key is kept."""

    def listing() -> list[dict[str, Any]]:
        found = []
        for name in _profiles.names():
            saved = _profiles.load(name)
            if saved is not None:
                found.append(
                    {
                        "profile": name,
                        "server_id": saved.server_id,
                        "key_in": saved.key_store,
                        **{f"{server}_url": url for server, url in saved.urls.items()},
                    }
                )
        return found

    _rows(_run(listing), as_json, title="profiles")


@cli.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    bash: eval "$(socketlabs completion bash)"    (in ~/.bashrc)
    zsh:  eval "$(socketlabs completion zsh)"     (in ~/.zshrc)
    fish: socketlabs completion fish > ~/.config/fish/completions/socketlabs.fish
    """
    from click.shell_completion import get_completion_class  # noqa: PLC0415

    completer = get_completion_class(shell)
    if completer is None:  # the Choice above lists only the shells click ships
        raise click.BadParameter(f"no completion for {shell}")
    click.echo(completer(cli, {}, "socketlabs", "_SOCKETLABS_COMPLETE").source())


# contract -------------------------------------------------------------------


def _contract_module() -> Any:
    """The contract check (the 'contract' extra), or a one-line usage of what to install."""
    with _contract_extra():
        from .. import contract as checker  # noqa: PLC0415 - the contract extra, loaded when used
    return checker


@contextlib.contextmanager
def _contract_extra() -> Iterator[None]:
    """A module of the extra missing, when it is imported (some only as the check starts): one line."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in CONTRACT_EXTRA | SANDBOX_EXTRA:
            raise
        raise _extra_missing("contract", "contract") from None


@cli.group(invoke_without_command=True)
@click.option("--api-key", envvar="SOCKETLABS_API_KEY", help="The API key (none: the embedded sandbox).")
@click.option(
    "--server-id", type=click.IntRange(1, 2**31 - 1), envvar="SOCKETLABS_SERVER_ID", help="The server id."
)
@click.option(
    "--subaccount-id", type=click.IntRange(1, 2**31 - 1), help="A subaccount id for /subaccount calls."
)
@click.option("--base-url", help="v2 base URL.")
@click.option("--inject-url", help="Injection base URL.")
@click.option("--management-url", help="v1 base URL.")
@click.option("--marketing-url", help="Marketing v1 base URL.")
@click.option("--sandbox", is_flag=True, help="Check the embedded sandbox even if a key is set.")
@click.option("--live", is_flag=True, help="Insist on the real API (fail without a key).")
@click.option("--operation", "operations", multiple=True, help="Only this operationId (repeatable).")
@click.option("--write", "writes", multiple=True, help="Also run this non-GET operationId (repeatable).")
@click.option(
    "--examples", type=click.IntRange(1, 1000), default=1, show_default=True, help="Requests per operation."
)
@click.option("--json-file", "json_path", metavar="FILE", help="Also write the full report as JSON to FILE.")
@click.option("--markdown", "markdown_path", metavar="FILE", help="Also write the Markdown table to FILE.")
@click.option(
    "--shapes",
    "shapes_path",
    metavar="FILE",
    help="Write the publishable shape report (names and types only) to FILE.",
)
@json_option
@click.pass_context
def contract(
    ctx: click.Context,
    api_key: str | None,
    server_id: int | None,
    subaccount_id: int | None,
    base_url: str | None,
    inject_url: str | None,
    management_url: str | None,
    marketing_url: str | None,
    sandbox: bool,
    live: bool,
    operations: tuple[str, ...],
    writes: tuple[str, ...],
    examples: int,
    json_path: str | None,
    markdown_path: str | None,
    shapes_path: str | None,
    as_json: bool,
) -> None:
    """Check the spec against an API: the embedded sandbox, or the real one with a key.

    Read-only operations unless --write names others; a verdict per operation
    (conforms, model only, not found, auth refused, response drift): a Markdown
    table, or with --json the full report as JSON. With a key,
    --shapes writes what each answer looked like (member names and JSON types,
    never values): `socketlabs contract promote FILE` turns it into spec edits.
    Needs the 'contract' extra.
    """
    if ctx.invoked_subcommand is not None:
        return
    checker = _contract_module()
    from .._errors import ConfigurationError  # noqa: PLC0415 - the library loads only when a command runs

    if live and not api_key:
        raise click.UsageError("--live needs --api-key (or SOCKETLABS_API_KEY)")
    urls = {
        "base_url": _checked("base_url", base_url),
        "inject_url": _checked("inject_url", inject_url),
        "management_url": _checked("management_url", management_url),
        "marketing_url": _checked("marketing_url", marketing_url),
    }
    with _contract_extra():
        try:
            report = checker.run(
                api_key=_checked("api_key", api_key),
                server_id=server_id,
                subaccount_id=subaccount_id,
                urls=urls,
                sandbox=sandbox,
                operations=operations,
                writes=writes,
                examples=examples,
            )
        except ConfigurationError as exc:
            raise Failure(f"contract: {exc}", EXIT_USAGE) from None
    markdown = report.to_markdown()
    click.echo(report.to_json() if as_json else markdown, nl=as_json)
    for path, text in (
        (json_path, report.to_json()),
        (markdown_path, markdown),
        (shapes_path, json.dumps(report.shape_report(), indent=2) + "\n"),
    ):
        if path:
            try:
                Path(path).write_text(text, encoding="utf-8")
            except (OSError, ValueError) as exc:
                raise Failure(f"cannot write {path!r}: {exc}", EXIT_USAGE) from None
    raise click.exceptions.Exit(1 if report.findings else 0)


@contract.command("promote")
@click.argument("report", type=_Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--spec",
    "spec_file",
    type=_Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("spec/openapi.yaml"),
    show_default=True,
    help="The spec to edit in place.",
)
@json_option
def contract_promote(report: Path, spec_file: Path, as_json: bool) -> None:
    """Mark each operation a live shape REPORT saw answer as `observed`, with its observed schema."""
    checker = _contract_module()
    from .._errors import ConfigurationError  # noqa: PLC0415 - the library loads only when a command runs

    with _contract_extra():
        try:
            promoted = checker.promote_file(report, spec_file)
        except ConfigurationError as exc:
            raise Failure(f"contract promote: {exc}", EXIT_USAGE) from None
    if as_json:
        _echo_json({"promoted": promoted, "spec": str(spec_file)})
        return
    for operation_id in promoted:
        click.echo(f"promoted {operation_id}")
    click.echo(f"{len(promoted)} operations promoted in {spec_file}; run python generator/regenerate.py")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``socketlabs`` console script and ``python -m socketlabs_client``."""
    try:
        cli.main(args=argv, prog_name="socketlabs", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # a bare `socketlabs` or `socketlabs events`
        click.echo(exc.format_message())
        return 0
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        message = " ".join(exc.format_message().split())
        click.echo(f"socketlabs: error: {message}{hint}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("socketlabs: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("socketlabs: interrupted", err=True)
        return EXIT_INTERRUPTED
    return 0
