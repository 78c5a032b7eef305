"""The ``socketlabs`` command: every command is a thin call through the public client.

Built on click (with rich for tables and progress bars): click is explicit
(decorators over plain functions, no type-hint magic), long-stable, and its
``CliRunner`` drives commands in-process for tests. Settings come from the
same ``SOCKETLABS_*`` variables as the library, resolved by the library
itself; the flags override them. The key is never printed.

Exit codes: 0 success; 1 the API refused or failed (an API error, a report
error); 2 usage error (bad flags or arguments, or input the library refuses
before sending: an invalid message, filter or date); 3 configuration (no
key, a bad URL); 4 could not reach the API (connection or timeout); 5 a send
where some recipients were not accepted; 130 interrupted. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
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
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from .._config import ENV_API_KEY, ENV_SERVER_ID, SANDBOX_EXTRA, SERVER_SETTINGS, __version__

if TYPE_CHECKING:
    from .._client import SocketLabs
    from .._injection import SendReport
    from .._webhooks import WebhookEvent

__all__ = ["EXIT_API", "EXIT_CONFIG", "EXIT_CONNECTION", "EXIT_PARTIAL", "EXIT_USAGE", "cli", "main"]

EXIT_API = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_CONNECTION = 4
EXIT_PARTIAL = 5
EXIT_INTERRUPTED = 130
ENV_WEBHOOK_SECRET = "SOCKETLABS_WEBHOOK_SECRET"  # noqa: S105 - a variable's name

F = TypeVar("F", bound=Callable[..., Any])


class Failure(click.ClickException):
    """An error the command reports as one line, with its documented exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"socketlabs: error: {self.format_message()}", err=True, file=file)


def _fail(exc: BaseException) -> NoReturn:
    """Map a library error to its exit code; anything unexpected is still one line."""
    from .._errors import (  # noqa: PLC0415 - the library loads only when a command runs
        APIConnectionError,
        ConfigurationError,
        InvalidRequestError,
        MessageValidationError,
        SocketLabsError,
    )

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, ConfigurationError):
        raise Failure(text, EXIT_CONFIG) from None
    if isinstance(exc, APIConnectionError):
        raise Failure(text, EXIT_CONNECTION) from None
    if isinstance(exc, InvalidRequestError | MessageValidationError | ValueError):
        raise Failure(text, EXIT_USAGE) from None
    if isinstance(exc, SocketLabsError):
        raise Failure(text, EXIT_API) from None
    raise Failure(f"{type(exc).__name__}: {text}", EXIT_API) from None


class State:
    """Per-run settings and the lazily made client (closed when the command ends)."""

    def __init__(self, api_key: str | None, server_id: str | None, urls: dict[str, str | None]) -> None:
        self._api_key = api_key
        self.server_id = server_id
        self.urls = urls
        self._client: SocketLabs | None = None

    def __repr__(self) -> str:
        return f"State(server_id={self.server_id!r})"  # never the key

    def client(self) -> SocketLabs:
        """The ``SocketLabs`` client: flags first, then ``SOCKETLABS_*`` (the library resolves them)."""
        if self._client is None:
            from .._client import SocketLabs  # noqa: PLC0415

            arguments: dict[str, Any] = {name: value for name, value in self.urls.items() if value}
            try:
                self._client = SocketLabs(api_key=self._api_key, server_id=self.server_id, **arguments)
            except Exception as exc:  # reported as one line
                _fail(exc)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _server_options(function: F) -> F:
    """One ``--<argument>`` flag per API host, from the one table of hosts."""
    for setting in reversed(SERVER_SETTINGS):
        flag = "--" + setting.argument.replace("_", "-")
        function = click.option(
            flag,
            setting.argument,
            default=None,
            metavar="URL",
            help=f"{setting.name} host base URL [env {setting.env_var}, default {setting.default_url}].",
        )(function)
    return function


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


def _console(err: bool = False) -> Console:
    return Console(file=sys.stderr if err else sys.stdout, soft_wrap=True)


def _run(call: Callable[[], Any]) -> Any:
    """Run one library call, turning its errors into one line and an exit code."""
    try:
        return call()
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        raise Failure("interrupted", EXIT_INTERRUPTED) from None
    except Exception as exc:  # reported as one line
        _fail(exc)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="socketlabs", message="%(prog)s %(version)s")
@click.option(
    "--api-key",
    default=None,
    metavar="KEY",
    help=f"API key [env {ENV_API_KEY}]. Prefer the variable: flags show up in process lists.",
)
@click.option("--server-id", default=None, metavar="ID", help=f"Server id [env {ENV_SERVER_ID}].")
@_server_options
@click.pass_context
def cli(ctx: click.Context, /, api_key: str | None, server_id: str | None, **urls: str | None) -> None:
    """SocketLabs from the shell: send mail, manage suppressions, pull reports, receive events.

    Every command calls the socketlabs_client library (same auth, rate limits and
    retries). Exit codes: 0 ok, 1 API error, 2 usage, 3 configuration,
    4 connection, 5 some recipients not accepted, 130 interrupted.
    """
    state = State(api_key, server_id, urls)
    ctx.obj = state
    ctx.call_on_close(state.close)


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
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File to attach.",
)
@click.option(
    "--message",
    "message_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The message from a JSON file (the builders' shape) or an .eml file; flags add to it.",
)
@click.option(
    "--merge-csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Send a merge: one recipient per row (an address column, the rest merge fields).",
)
@click.option("--dry-run", is_flag=True, help="Check and plan the requests, send nothing.")
@json_option
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
        table = Table(
            "recipient", "outcome", "code", "detail", title="dry run: nothing sent" if dry_run else None
        )
        for r in report.recipients:
            code = "" if r.code is None else str(getattr(r.code, "value", r.code))
            table.add_row(r.address, r.outcome.value, code, r.detail)
        _console().print(table)
    if not dry_run and not report.ok:
        raise Failure(
            f"{len(report.recipients) - len(report.accepted)} recipient(s) not accepted", EXIT_PARTIAL
        )


def _to_address(value: str) -> Any:
    from .._injection import to_address  # noqa: PLC0415

    return to_address(value, field="From")


# suppressions ---------------------------------------------------------------


@cli.group()
def suppressions() -> None:
    """The suppression list: list, check, add, remove, export."""


@suppressions.command("list")
@click.option("--filter", "filters", multiple=True, metavar="FIELD=PRED:VALUE", help="A filter (repeatable).")
@click.option("--max", "max_items", type=click.IntRange(min=1), default=None, help="Stop after N entries.")
@json_option
@click.pass_obj
def suppressions_list(state: State, filters: tuple[str, ...], max_items: int | None, as_json: bool) -> None:
    """List suppressed addresses (every page, or up to --max)."""
    # An unverified operation (its path is this client's model): it answers plain dicts and warns once.
    entries = _run(
        lambda: list(
            state.client().unverified.suppressions.search(filters=_filters(filters), max_items=max_items)
        )
    )
    _print_rows(entries, as_json, title="suppressions")


@suppressions.command()
@click.argument("address")
@json_option
@click.pass_obj
def check(state: State, address: str, as_json: bool) -> None:
    """Whether ADDRESS is suppressed."""
    result = _run(lambda: state.client().suppressions.check(email_address=address))
    data = result.to_dict()
    if as_json:
        _echo_json(data)
    else:
        click.echo(f"{address}: {'suppressed' if result.is_suppressed else 'not suppressed'}")


@suppressions.command()
@click.argument("addresses", nargs=-1, required=True)
@json_option
@click.pass_obj
def add(state: State, addresses: tuple[str, ...], as_json: bool) -> None:
    """Suppress ADDRESSES."""
    client = state.client()
    done = [_plain(_run(functools.partial(client.suppressions.add, email_address=a))) for a in addresses]
    if as_json:
        _echo_json({"added": list(addresses), "results": done})
    else:
        for address in addresses:
            click.echo(f"suppressed {address}")


@suppressions.command()
@click.argument("addresses", nargs=-1, required=True)
@json_option
@click.pass_obj
def remove(state: State, addresses: tuple[str, ...], as_json: bool) -> None:
    """Remove ADDRESSES from the list."""
    client = state.client()
    for address in addresses:
        _run(functools.partial(client.suppressions.remove, email_address=address))
    if as_json:
        _echo_json({"removed": list(addresses)})
    else:
        for address in addresses:
            click.echo(f"removed {address}")


@suppressions.command()
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (else stdout)."
)
@click.option("--filter", "filters", multiple=True, metavar="FIELD=PRED:VALUE", help="A filter (repeatable).")
@json_option
@click.pass_obj
def export(state: State, output: Path | None, filters: tuple[str, ...], as_json: bool) -> None:
    """Stream the list as CSV, to FILE or stdout (a progress bar on a terminal); --json: a JSON array."""
    with _progress("suppressions") as progress:
        download = _run(
            lambda: state.client().suppressions.download(filters=_filters(filters), progress=progress)
        )
        if as_json and output is None:
            _echo_json(_run(lambda: [dict(row) for row in download]))
            return
        rows = _run(lambda: _write_csv(download, output))
    if as_json:
        _echo_json({"rows": rows, "output": str(output)})
    elif output is not None:
        click.echo(f"{rows} rows written to {output}", err=True)


def _write_csv(download: Iterable[Mapping[str, Any]], output: Path | None) -> int:
    """CSV rows to a file (or stdout), as they arrive; returns the row count."""
    handle: IO[str] = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    count = 0
    try:
        writer: csv.DictWriter[str] | None = None
        for row in download:
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
            count += 1
    finally:
        if output is not None:
            handle.close()
    return count


class _RateColumn(ProgressColumn):
    """Rows per second (rich's own speed column counts bytes)."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:,.0f} rows/s")


class _Progress:
    """A rich progress bar on stderr, only on a terminal: rows, rate and ETA from ``total``."""

    def __init__(self, label: str, console: Console | None = None) -> None:
        self.bar: Progress | None = None
        self.task: Any = None
        if console is not None or sys.stderr.isatty():
            self.bar = Progress(
                TextColumn(f"[bold]{label}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.completed} rows"),
                _RateColumn(),
                TimeRemainingColumn(),
                console=console or _console(err=True),
                transient=True,
            )
            self.task = self.bar.add_task(label, total=None)

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _progress(label: str) -> _Progress:
    return _Progress(label)


def _filters(values: Iterable[str]) -> str | None:
    """Repeated ``--filter`` flags as the API's wire form (the library checks each)."""
    joined = "&".join(v for v in values if v)
    return joined or None


# reports --------------------------------------------------------------------

FAMILIES = ("messages", "delivered", "failed", "complaint", "tracking")
_SINCE = re.compile(r"(\d+)([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _since(value: str) -> str:
    match = _SINCE.fullmatch(value.strip())
    if match is None:
        raise click.BadParameter("a duration such as 30m, 12h, 7d or 2w", param_hint="--since")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(**{_UNITS[match[2]]: int(match[1])})
    return start.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@cli.command()
@click.argument("family", type=click.Choice(FAMILIES))
@click.option(
    "--view",
    type=click.Choice(["detail", "overview", "aggregate"]),
    default="detail",
    show_default=True,
    help="Rows (detail), totals (overview) or per-day totals (aggregate; not for messages).",
)
@click.option("--since", metavar="DURATION", help="From this long ago until now: 30m, 12h, 7d, 2w.")
@click.option("--start", metavar="DATE", help="Start: yyyy-MM-dd or yyyy-MM-ddTHH:mm:ssZ.")
@click.option("--end", metavar="DATE", help="End (default: now).")
@click.option("--filter", "filters", multiple=True, metavar="FIELD=PRED:VALUE", help="e.g. status=eq:Failed.")
@click.option("--max", "max_items", type=click.IntRange(min=1), help="Stop after N rows.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "jsonl"]),
    default="table",
    show_default=True,
    help="How rows are written (--json: one JSON array).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write rows to FILE.")
@json_option
@click.pass_obj
def reports(
    state: State,
    family: str,
    view: str,
    since: str | None,
    start: str | None,
    end: str | None,
    filters: tuple[str, ...],
    max_items: int | None,
    fmt: str,
    output: Path | None,
    as_json: bool,
) -> None:
    """Report rows of FAMILY (messages, delivered, failed, complaint, tracking), paged with a progress bar.

    \b
    socketlabs reports messages --since 7d --filter status=eq:Failed --format csv -o failed.csv
    """
    if since and start:
        raise click.UsageError("give --since or --start, not both")
    start_date = _since(since) if since else start
    client = state.client()
    # Only the message detail report has a published path; the other families are unverified (plain dicts).
    resource: Any = client.reports if family == "messages" else client.unverified.reports
    if view != "detail":
        if family == "messages":
            raise click.UsageError("the messages report has the detail view only")
        if filters or max_items or output or fmt == "csv":
            raise click.UsageError(
                f"--filter, --max, -o and --format csv go with the detail view, not {view}"
            )
        method = getattr(resource, f"{family}_{view}")
        dates = {k: v for k, v in (("start_date", start_date), ("end_date", end)) if v}
        result = _plain(_run(lambda: method(**dates)))
        if as_json or fmt == "jsonl":
            _echo_json(result)
        else:
            _print_rows(result if isinstance(result, list) else [result], False, title=f"{family} {view}")
        return
    method = resource.messages_detail if family == "messages" else getattr(resource, f"{family}_list")
    pager = _run(
        lambda: method(start_date=start_date, end_date=end, filters=_filters(filters), max_items=max_items)
    )
    rows: list[dict[str, Any]] = []
    with _progress(f"{family} rows") as progress:

        def fetch() -> None:
            for page in pager.pages():
                plain = isinstance(page, dict)
                rows.extend(
                    item if plain else item.to_dict() for item in (page["data"] if plain else page.data)
                )
                progress(len(rows), page.get("total") if plain else getattr(page, "total", None))
                if max_items is not None and len(rows) >= max_items:
                    del rows[max_items:]
                    return

        _run(fetch)
    text = (
        json.dumps(rows, indent=2, default=str) + "\n"
        if as_json
        else _render(rows, fmt, title=f"{family} report")
    )
    if output is not None:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(rows)} rows written to {output}", err=True)
    else:
        click.echo(text, nl=False)


def _render(rows: list[dict[str, Any]], fmt: str, *, title: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(row, default=str) + "\n" for row in rows)
    if fmt == "csv":
        buffer = io.StringIO()
        columns = list(dict.fromkeys(k for row in rows for k in row))
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    console = Console(file=io.StringIO(), width=160, soft_wrap=True)
    console.print(_table(rows, title))
    return str(console.file.getvalue())  # type: ignore[attr-defined]


def _table(rows: list[dict[str, Any]], title: str) -> Table:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    table = Table(*columns, title=f"{title} ({len(rows)} rows)")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    return table


def _print_rows(rows: list[dict[str, Any]], as_json: bool, *, title: str) -> None:
    if as_json:
        _echo_json(rows)
    else:
        _console().print(_table(rows, title))


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
    "--server", default="api", show_default=True, help="The x-server of the path: api, injection, management."
)
@click.option("--filter", "filters", multiple=True, metavar="FIELD=PRED:VALUE", help="A filter (repeatable).")
@click.option("--paginate", is_flag=True, help="Follow every page of a JSON list and print all items.")
@json_option
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
        items = _run(
            lambda: list(
                client.paginate(
                    verb, path, params={**params, **values}, filters=_filters(filters), server=server
                )
            )
        )
        _echo_json(items)
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
    help=f"The endpoint's secret key, to refuse forged posts [env {ENV_WEBHOOK_SECRET}].",
)
@click.option("--server-id", "server_ids", type=int, multiple=True, help="Accept only these server ids.")
@click.option("--forward", metavar="URL", help="Also post each accepted event's body to URL.")
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

    receiver = WebhookReceiver(on_event, secrets=secret, server_ids=server_ids or None)

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
    except OSError as exc:
        raise Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_USAGE) from None
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
    help="Where the sandbox posts (e.g. the URL `listen` printed).",
)
@click.option(
    "--from", "from_", default="sandbox@example.com", show_default=True, help="Sender of the message."
)
@json_option
@click.pass_obj
def trigger(state: State, event_type: str, webhook_url: str | None, from_: str, as_json: bool) -> None:
    """Make a sandbox post TYPE's events: send one message there, then have it deliver (``stripe trigger``).

    Works against a sandbox (``socketlabs sandbox``), which has the delivery
    control path; a real account sends its webhooks by itself.
    """
    from .._injection import BasicMessage  # noqa: PLC0415

    client = state.client()
    address = f"{TRIGGERS[event_type]}.trigger@example.com"
    message = BasicMessage(
        subject=f"socketlabs events trigger {event_type}", from_=from_, to=[address], text="x"
    )
    report = _run(lambda: client.send(message))
    if not report.ok:
        raise Failure(f"the sandbox did not accept the message to {address}", EXIT_API)
    body = {"webhook_url": webhook_url} if webhook_url else {}
    answer = _run(lambda: client.request("POST", "/_sandbox/events/deliver", json=body))
    posted = answer.get("data", []) if isinstance(answer, dict) else []
    if as_json:
        _echo_json({"address": address, "posted": posted})
        return
    for item in posted:
        status = item.get("status") or f"unreachable ({item.get('error')})"
        click.echo(f"posted {item.get('type'):<10} for {item.get('address')} -> {status}")


# sandbox --------------------------------------------------------------------


def _parse_anchor(value: str | None) -> dt.datetime | None:
    if value is None or value == "now":
        return None
    try:
        anchor = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("an ISO date-time such as 2026-01-01T00:00:00Z, or 'now'") from None
    return anchor if anchor.tzinfo else anchor.replace(tzinfo=dt.UTC)


def export_lines(urls: Mapping[str, str], api_key: str, server_id: int) -> list[str]:
    """``export`` lines for every host in ``SERVER_SETTINGS`` (by x-server name), the key and server id."""
    lines = [f"export {setting.env_var}={urls[setting.name]}" for setting in SERVER_SETTINGS]
    return [*lines, f"export {ENV_SERVER_ID}={server_id}", f"export {ENV_API_KEY}={api_key}"]


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8025, show_default=True, help="0 picks a free port."
)
@click.option(
    "--server-id", "sandbox_server_id", type=int, default=12345, show_default=True, help="Its server id."
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Seed of the report log and suppressions."
)
@click.option(
    "--report-messages", type=click.IntRange(min=0), default=250, show_default=True, help="Seeded log size."
)
@click.option(
    "--suppressions", type=click.IntRange(min=0), default=0, show_default=True, help="Seeded suppressions."
)
@click.option(
    "--anchor",
    default="now",
    show_default=True,
    help="End of the seeded 30-day window: 'now' or an ISO date-time (fixed rows).",
)
@click.option("--webhook-url", metavar="URL", help="Where it posts event webhooks.")
@click.option(
    "--webhook-secret", metavar="SECRET", help="The SecretKey it puts in them (default: the sandbox's)."
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
    """Run the local SocketLabs emulator in the foreground and print how to point a client at it."""
    try:
        from socketlabs_sandbox import Sandbox, SandboxConfig  # noqa: PLC0415 - optional extra
    except ModuleNotFoundError as exc:
        if exc.name not in SANDBOX_EXTRA:
            raise
        raise Failure(
            f"socketlabs sandbox needs the 'sandbox' extra: pip install 'socketlabs-client[sandbox]' ({exc})",
            EXIT_CONFIG,
        ) from None
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
    except (ValueError, OSError) as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    try:
        _announce(running, as_json)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


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
                "webhook_url": running.events.webhook_url,
            }
        )
    else:
        click.echo(
            f"SocketLabs sandbox on {running.url}: server {running.server_id}, "
            f"{running.config.report_messages} seeded messages {start:%Y-%m-%d %H:%M} to "
            f"{running.anchor:%Y-%m-%d %H:%M} UTC, webhooks to {running.events.webhook_url or '(none)'}. "
            "Ctrl-C stops it."
        )
        for line in _exports(running):
            click.echo(line)
    sys.stdout.flush()


@cli.group(invoke_without_command=True)
@click.option("--api-key", envvar="SOCKETLABS_API_KEY", help="The API key (none: the embedded sandbox).")
@click.option("--server-id", type=int, envvar="SOCKETLABS_SERVER_ID", help="The server id.")
@click.option("--subaccount-id", type=int, help="A subaccount id for the /subaccount operations.")
@click.option("--base-url", help="v2 base URL.")
@click.option("--inject-url", help="Injection base URL.")
@click.option("--management-url", help="v1 base URL.")
@click.option("--marketing-url", help="Marketing v1 base URL.")
@click.option("--sandbox", is_flag=True, help="Check the embedded sandbox even if a key is set.")
@click.option("--live", is_flag=True, help="Insist on the real API (fail without a key).")
@click.option("--operation", "operations", multiple=True, help="Only this operationId (repeatable).")
@click.option("--write", "writes", multiple=True, help="Also run this non-GET operationId (repeatable).")
@click.option(
    "--examples", type=click.IntRange(min=1), default=1, show_default=True, help="Requests per operation."
)
@click.option(
    "--json", "json_path", help="Also write the full report as JSON to FILE ('-': print it instead)."
)
@click.option("--markdown", "markdown_path", help="Also write the Markdown table to FILE.")
@click.option(
    "--shapes", "shapes_path", help="Write the publishable shape report (names and types only) to FILE."
)
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
) -> None:
    """Check the spec against an API: the embedded sandbox, or the real one with a key.

    Read-only operations unless --write names others; a verdict per operation
    (conforms, model only, not found, auth refused, response drift). With a key,
    --shapes writes what each answer looked like (member names and JSON types,
    never values): `socketlabs contract promote FILE` turns it into spec edits.
    """
    if ctx.invoked_subcommand is not None:
        return
    from .. import contract as checker  # noqa: PLC0415 - the contract extra, loaded when used
    from .._errors import ConfigurationError  # noqa: PLC0415 - the library loads only when a command runs

    if live and not api_key:
        raise click.UsageError("--live needs --api-key (or SOCKETLABS_API_KEY)")
    urls = {
        "base_url": base_url,
        "inject_url": inject_url,
        "management_url": management_url,
        "marketing_url": marketing_url,
    }
    try:
        report = checker.run(
            api_key=api_key,
            server_id=server_id,
            subaccount_id=subaccount_id,
            urls=urls,
            sandbox=sandbox,
            operations=operations,
            writes=writes,
            examples=examples,
        )
    except ConfigurationError as exc:
        raise click.exceptions.Exit(_usage_error(f"socketlabs contract: {exc}")) from None
    markdown = report.to_markdown()
    click.echo(report.to_json() if json_path == "-" else markdown, nl=json_path == "-")
    if json_path and json_path != "-":
        Path(json_path).write_text(report.to_json(), encoding="utf-8")
    if markdown_path:
        Path(markdown_path).write_text(markdown, encoding="utf-8")
    if shapes_path:
        Path(shapes_path).write_text(json.dumps(report.shape_report(), indent=2) + "\n", encoding="utf-8")
    raise click.exceptions.Exit(1 if report.findings else 0)


@contract.command("promote")
@click.argument("report", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--spec",
    "spec_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("spec/openapi.yaml"),
    show_default=True,
    help="The spec to edit in place.",
)
def contract_promote(report: Path, spec_file: Path) -> None:
    """Mark each operation a live shape REPORT saw answer as `observed`, with its observed schema."""
    from .. import contract as checker  # noqa: PLC0415 - the contract extra, loaded when used
    from .._errors import ConfigurationError  # noqa: PLC0415 - the library loads only when a command runs

    try:
        promoted = checker.promote_file(report, spec_file)
    except ConfigurationError as exc:
        raise click.exceptions.Exit(_usage_error(f"socketlabs contract promote: {exc}")) from None
    for operation_id in promoted:
        click.echo(f"promoted {operation_id}")
    click.echo(f"{len(promoted)} operations promoted in {spec_file}; run python generator/regenerate.py")


def _usage_error(message: str) -> int:
    click.echo(message, err=True)
    return 2


def _exports(running: Any) -> list[str]:
    return export_lines(running.urls, running.api_key, running.server_id)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``socketlabs`` console script and ``python -m socketlabs_client``."""
    try:
        cli.main(args=argv, prog_name="socketlabs", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # a bare `socketlabs` or `socketlabs events`
        click.echo(exc.format_message())
        return 0
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"socketlabs: error: {exc.format_message()}{hint}", err=True)
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
