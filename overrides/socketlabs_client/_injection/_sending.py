"""Sending planned requests through the client's request lifecycle, sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from http import HTTPStatus
from itertools import chain, islice
from typing import Any, TypedDict

import httpx
from attrs import frozen
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
from ._planning import MAX_MESSAGES_PER_REQUEST, Plan, PlannedRequest, Sendable, plan_lazily
from ._report import Collector, SendReport
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
    operation = _OPERATION.replace(accept="application/xml") if fmt == "xml" else _OPERATION
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

    def plan(self, messages: Sendable | Sequence[Sendable], server_id: int) -> Plan:
        """Check the settings and the messages; the requests are packed as they are asked for."""
        if self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {self.concurrency}")
        return plan_lazily(
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
    """Check, pack and send (sync, at most ``options.concurrency`` requests in flight).

    Requests are planned as slots free up, so a streamed merge holds only the
    requests in flight; results are gathered in this thread as they arrive.
    """
    planned = options.plan(messages, executor.resolve_server_id(options.server_id))
    collector = Collector(streamed=planned.streamed, dry_run=options.dry_run)
    per_request = options.request_options

    def answer(request: PlannedRequest) -> InjectionResponse | SocketLabsError | None:
        if options.dry_run:
            return None
        try:
            return _answer(executor.execute(*_call(request, options.format), _build, per_request))
        except SocketLabsError as exc:  # every request ends in the report, whatever failed
            return exc

    requests = iter(planned)
    head = list(islice(requests, 2))
    if options.concurrency == 1 or options.dry_run or len(head) < 2:
        for request in chain(head, requests):
            collector.add(request, answer(request))
        return collector.report(planned.refused)
    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        in_flight: dict[Future[InjectionResponse | SocketLabsError | None], PlannedRequest] = {}
        for request in chain(head, requests):
            if len(in_flight) >= options.concurrency:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    collector.add(in_flight.pop(future), future.result())
            in_flight[pool.submit(answer, request)] = request
        for future in as_completed(in_flight):
            collector.add(in_flight[future], future.result())
    return collector.report(planned.refused)


async def send_messages_async(
    executor: AsyncExecutor, messages: Sendable | Sequence[Sendable], options: SendOptions
) -> SendReport:
    """Check, pack and send (async, at most ``options.concurrency`` requests in flight)."""
    planned = options.plan(messages, executor.resolve_server_id(options.server_id))
    collector = Collector(streamed=planned.streamed, dry_run=options.dry_run)
    per_request = options.request_options
    gate = asyncio.Semaphore(options.concurrency)

    async def one(request: PlannedRequest) -> None:
        try:
            answer: InjectionResponse | SocketLabsError | None = None
            if not options.dry_run:
                answer = _answer(await executor.execute(*_call(request, options.format), _build, per_request))
        except SocketLabsError as exc:  # every request ends in the report, whatever failed
            answer = exc
        finally:
            gate.release()
        collector.add(request, answer)

    async with asyncio.TaskGroup() as group:
        for request in planned:  # planned as slots free up
            await gate.acquire()
            group.create_task(one(request))
    return collector.report(planned.refused)
