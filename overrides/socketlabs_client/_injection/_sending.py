"""Sending planned requests through the client's request lifecycle, sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any, TypedDict

import httpx
from attrs import evolve, frozen
from socketlabs_api.models import (
    InjectionResponse,
)
from socketlabs_api.operations import OPERATIONS, Operation
from socketlabs_api.resources import AsyncExecutor, Executor, RequestOptions, request_options
from socketlabs_api.types import Response

from .._auth import OWN_JSON_BODY_EXTENSION
from .._errors import (
    ConfigurationError,
    SocketLabsError,
)
from .._xml import from_xml, wants_xml
from ._checks import MAX_RECIPIENTS_PER_MESSAGE
from ._planning import MAX_MESSAGES_PER_REQUEST, PlannedRequest, Sendable, plan
from ._report import SendReport, _Answered, _answered, _dry_report, _merged
from ._wire import Format

_OPERATION = OPERATIONS["sendEmail"]


def _parse(response: httpx.Response) -> InjectionResponse | None:
    """The answer as JSON or XML, whichever the server sent; ``None`` for an empty body."""
    if not response.content.strip():
        return None
    if wants_xml(response.headers.get("content-type")):
        _, data = from_xml(response.content)
        return InjectionResponse.from_dict(data)
    return InjectionResponse.from_dict(response.json())


def _build(*, response: httpx.Response) -> Response[Any]:
    """The executor's parse step for both formats (a success answer with a body)."""
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse(response),
    )


def _call(planned: PlannedRequest, fmt: Format) -> tuple[Operation, dict[str, Any]]:
    operation = evolve(_OPERATION, accept="application/xml") if fmt == "xml" else _OPERATION
    request: dict[str, Any] = {
        "method": "post",
        "url": "/email",
        "content": planned.content,
        "headers": {"Content-Type": planned.content_type},
    }
    if fmt == "json":  # _encode made it: a JSON object with ServerId and Messages, no ApiKey
        request["extensions"] = {OWN_JSON_BODY_EXTENSION: True}
    return operation, request


def _answer(result: Response[Any]) -> InjectionResponse:
    parsed = result.parsed
    if not isinstance(parsed, InjectionResponse):  # parse_or_raise refuses None already
        raise TypeError("the executor returned no InjectionResponse")
    return parsed


@frozen
class SendOptions:
    """How ``send`` batches and sends; see ``SocketLabs.send``."""

    server_id: int | None = None
    format: Format = "json"
    dry_run: bool = False
    concurrency: int = 8
    """Requests in flight. A request of 500 recipients takes the sandbox about 6 ms (the real
    API: unknown); with a round trip R, about 1 + R / 6 ms in flight keep the server busy, so 8
    covers trips to ~40 ms, and the benchmark gains nothing past it at 30 ms. It is not a rate:
    the limiter still holds every request to the per-key budget (100 per 60 s)."""
    messages_per_request: int = MAX_MESSAGES_PER_REQUEST
    recipients_per_message: int = MAX_RECIPIENTS_PER_MESSAGE
    timeout: float | httpx.Timeout | None = None
    """Per request of this send, instead of the client's (as on every typed call)."""
    max_retries: int | None = None
    """Retries of a request certainly not processed (429, OverQuota, 503, refused connection)."""
    extra_headers: Mapping[str, str] | None = None
    extra_query: Mapping[str, str] | None = None

    @property
    def request_options(self) -> RequestOptions | None:
        """The per-request options every request of this send carries."""
        return request_options(self.timeout, self.max_retries, self.extra_headers, self.extra_query)

    def plan(self, messages: Sendable | Sequence[Sendable], server_id: int) -> list[PlannedRequest]:
        """Check the settings and the messages, and pack the requests."""
        if self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {self.concurrency}")
        return plan(
            messages,
            server_id=server_id,
            fmt=self.format,
            messages_per_request=self.messages_per_request,
            recipients_per_message=self.recipients_per_message,
        )


class SendOptionsDict(TypedDict, total=False):
    """The keyword arguments of ``send``: the fields of ``SendOptions``, so a type checker sees typos."""

    server_id: int | None
    format: Format
    dry_run: bool
    concurrency: int
    messages_per_request: int
    recipients_per_message: int
    timeout: float | httpx.Timeout | None
    max_retries: int | None
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, str] | None


def send_messages(
    executor: Executor, messages: Sendable | Sequence[Sendable], options: SendOptions
) -> SendReport:
    """Check, pack and send (sync, ``options.concurrency`` requests in flight)."""
    planned = options.plan(messages, executor.resolve_server_id(options.server_id))
    if options.dry_run:
        return _dry_report(planned)
    per_request = options.request_options

    def one(request: PlannedRequest) -> _Answered:
        try:
            answer: InjectionResponse | SocketLabsError = _answer(
                executor.execute(*_call(request, options.format), _build, per_request)
            )
        except SocketLabsError as exc:  # every request ends in the report, whatever failed
            answer = exc
        return _answered(request, answer)

    if options.concurrency == 1 or len(planned) == 1:
        return _merged([one(r) for r in planned])
    with ThreadPoolExecutor(max_workers=min(options.concurrency, len(planned))) as pool:
        return _merged(list(pool.map(one, planned)))


async def send_messages_async(
    executor: AsyncExecutor, messages: Sendable | Sequence[Sendable], options: SendOptions
) -> SendReport:
    """Check, pack and send (async, at most ``options.concurrency`` requests in flight)."""
    planned = options.plan(messages, executor.resolve_server_id(options.server_id))
    if options.dry_run:
        return _dry_report(planned)
    per_request = options.request_options
    gate = asyncio.Semaphore(options.concurrency)

    async def one(request: PlannedRequest) -> _Answered:
        async with gate:
            try:
                answer: InjectionResponse | SocketLabsError = _answer(
                    await executor.execute(*_call(request, options.format), _build, per_request)
                )
            except SocketLabsError as exc:  # every request ends in the report, whatever failed
                answer = exc
        return _answered(request, answer)

    return _merged(await asyncio.gather(*(one(r) for r in planned)))
