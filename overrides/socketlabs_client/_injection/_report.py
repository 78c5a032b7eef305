"""The per-recipient report of a send, read from each request's verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

from attrs import evolve, frozen
from attrs import field as attr_field
from socketlabs_api.models import (
    InjectionErrorCode,
    InjectionRequest,
    InjectionResponse,
)

from .._errors import (
    INJECTION_CODE_MEANINGS,
    APIError,
    APIStatusError,
    InjectionError,
    NotListedError,
    Processed,
    SocketLabsError,
)
from ._planning import PlannedRequest, Refused
from ._wire import Wire, _model, _wire


class Outcome(StrEnum):
    """What happened to one recipient."""

    ACCEPTED = "accepted"
    """The API accepted the message for this recipient."""
    REJECTED = "rejected"
    """Not sent: the API refused it (``code`` says why) or it certainly never reached the API."""
    IN_DOUBT = "in_doubt"
    """The request may have reached the API but no answer came back: check before resending."""
    NOT_SENT = "not_sent"
    """``dry_run``: checked and built, not sent."""


def explain(code: InjectionErrorCode | str | None) -> str:
    """A sentence for a result code; unknown codes say so instead of failing."""
    if code is None:
        return ""
    name = str(code)
    return INJECTION_CODE_MEANINGS.get(name, f"{name}: a code this client does not know")


@frozen
class RecipientResult:
    """One recipient's outcome.

    ``message`` is the position of its message in what was passed to
    ``send``; ``request`` the request it went in; ``code`` the API's code
    (``None`` when accepted without remark); ``retryable`` says it certainly
    was not processed and may be sent again later (rate limits).
    """

    address: str
    name: str | None
    message: int
    request: int
    outcome: Outcome
    code: InjectionErrorCode | None = None
    retryable: bool = False
    detail: str = ""


@frozen
class RequestResult:
    """One request's answer: the parsed response, or the error it raised.

    ``wire`` is the request's body as sent (without credentials); ``body``
    the same as the generated model. Either may be passed as ``body``.
    """

    index: int
    wire: Wire | None = attr_field(alias="body", converter=_wire)
    """``None`` when the send read its recipients from an iterator: bodies are not kept then."""
    recipient_count: int
    response: InjectionResponse | None = None
    error: SocketLabsError | None = None

    @property
    def body(self) -> InjectionRequest | None:
        """The request's body as the generated model (built from ``wire`` on each access)."""
        return None if self.wire is None else _model(self.wire)

    @property
    def error_code(self) -> InjectionErrorCode | None:
        """The top-level ``ErrorCode`` (also for failures raised as ``InjectionError``)."""
        if self.response is not None:
            return self.response.error_code
        if isinstance(self.error, InjectionError):
            return self.error.error_code
        return None

    @property
    def transaction_receipt(self) -> str | None:
        """The receipt to give SocketLabs support, when the API sent one."""
        if isinstance(self.error, InjectionError):
            return self.error.transaction_receipt
        receipt = self.response.transaction_receipt if self.response is not None else None
        return receipt if isinstance(receipt, str) and receipt else None


@frozen
class SendReport:
    """Everything a ``send`` did: one result per recipient, one per request.

    A send whose merge recipients came from an iterator (``BulkMessage.streamed``)
    keeps its memory bounded by what is in flight: its report lists only the
    recipients that were not accepted (rejected or in doubt, the ones to act on),
    counts the rest in ``counts``, and keeps no request bodies.
    """

    recipients: tuple[RecipientResult, ...]
    requests: tuple[RequestResult, ...]
    dry_run: bool = False
    counts: Mapping[Outcome, int] = attr_field(factory=dict, repr=False)
    """Recipients per outcome, listed or not (``report.counts[Outcome.ACCEPTED]``)."""
    streamed: bool = False
    """Recipients came from an iterator: accepted (and dry-run) recipients are counted, not listed."""

    def __attrs_post_init__(self) -> None:
        if not self.counts:  # made from a full list: count it
            object.__setattr__(self, "counts", Counter(r.outcome for r in self.recipients))

    def _with(self, outcome: Outcome) -> tuple[RecipientResult, ...]:
        if self.streamed and outcome in (Outcome.ACCEPTED, Outcome.NOT_SENT):
            raise NotListedError(
                f"{self.counts.get(outcome, 0):,} recipient(s) {outcome.value}: counted, not listed, because"
                " the recipients came from an iterator (report.counts has the figure; report.rejected and"
                " report.in_doubt list the rest)"
            )
        return tuple(r for r in self.recipients if r.outcome is outcome)

    @property
    def accepted(self) -> tuple[RecipientResult, ...]:
        """Recipients the API accepted (a streamed send's report raises ``NotListedError``)."""
        return self._with(Outcome.ACCEPTED)

    @property
    def rejected(self) -> tuple[RecipientResult, ...]:
        """Recipients not sent, with the code saying why."""
        return self._with(Outcome.REJECTED)

    @property
    def in_doubt(self) -> tuple[RecipientResult, ...]:
        """Recipients whose request may or may not have been processed."""
        return self._with(Outcome.IN_DOUBT)

    @property
    def ok(self) -> bool:
        """Every recipient was accepted."""
        total = sum(self.counts.values())
        return not self.dry_run and total > 0 and self.counts.get(Outcome.ACCEPTED, 0) == total

    @property
    def recipients_per_request(self) -> float:
        """Average recipients per request (the batching figure)."""
        return sum(self.counts.values()) / len(self.requests) if self.requests else 0.0

    def __repr__(self) -> str:
        counts = {o.value: self.counts[o] for o in Outcome if self.counts.get(o)}
        return f"SendReport(requests={len(self.requests)}, {counts})"


def failure_outcome(error: SocketLabsError) -> tuple[Outcome, bool]:
    """Whether the recipients of a request that raised ``error`` were rejected or are in doubt.

    Returns ``(outcome, retryable)``. It reads the request lifecycle's one
    verdict (``APIError.processed`` and ``retryable``) and nothing else: certainly
    not processed is rejected (retryable when the refusal was a rate limit, a
    503, or the request never left), possibly processed is in doubt, since resending could deliver
    the mail twice. An error raised before anything was sent (a closed client)
    is rejected.
    """
    if not isinstance(error, APIError):
        return Outcome.REJECTED, False
    if error.processed is Processed.UNKNOWN:
        return Outcome.IN_DOUBT, False
    if error.processed is Processed.YES:  # processed, yet its answer could not be used
        return Outcome.IN_DOUBT, False
    return Outcome.REJECTED, error.retryable


def _error_code(error: SocketLabsError) -> InjectionErrorCode | None:
    if isinstance(error, InjectionError):
        return error.error_code
    if isinstance(error, APIStatusError) and error.status_code == 401:
        return InjectionErrorCode.INVALIDAUTHENTICATION
    return None


def _from_error(planned: PlannedRequest, error: SocketLabsError) -> list[RecipientResult]:
    outcome, retryable = failure_outcome(error)
    code = _error_code(error)
    detail = f"{type(error).__name__}: {error}"
    return [
        RecipientResult(r.address, r.name, r.message, planned.index, outcome, code, retryable, detail)
        for p in planned.parts
        for r in p.recipients
    ]


def _from_response(planned: PlannedRequest, response: InjectionResponse) -> list[RecipientResult]:
    by_index = {}
    if isinstance(response.message_results, list):
        by_index = {m.index: m for m in response.message_results}
    results: list[RecipientResult] = []
    for position, part in enumerate(planned.parts):
        found = by_index.get(position)
        if found is None:
            results.extend(
                RecipientResult(r.address, r.name, r.message, planned.index, Outcome.ACCEPTED)
                for r in part.recipients
            )
            continue
        addresses: dict[str, list[tuple[bool, InjectionErrorCode]]] = {}
        if isinstance(found.address_results, list):
            for a in found.address_results:
                addresses.setdefault(a.email_address.casefold(), []).append((a.accepted, a.error_code))
        message_code = found.error_code
        for r in part.recipients:
            listed = addresses.get(r.address.casefold())
            if listed:
                accepted, code = listed.pop(0)
            else:
                accepted = message_code is InjectionErrorCode.WARNING
                code = message_code
            outcome = Outcome.ACCEPTED if accepted else Outcome.REJECTED
            if accepted:
                detail = f"accepted; the message's result is {message_code}: {explain(message_code)}"
            elif code is message_code:
                detail = f"message {message_code}: {explain(message_code)}"
            else:
                detail = f"address {code}: {explain(code)} (message {message_code})"
            results.append(
                RecipientResult(
                    r.address,
                    r.name,
                    r.message,
                    planned.index,
                    outcome,
                    None if accepted else code,
                    False,
                    detail,
                )
            )
    return results


_Answered = tuple[RequestResult, list[RecipientResult]]


def _answered(request: PlannedRequest, answer: InjectionResponse | SocketLabsError) -> _Answered:
    """One request's results; made as each answer comes in, while later requests are in flight."""
    if isinstance(answer, SocketLabsError):
        result = RequestResult(request.index, request.wire, request.recipient_count, error=answer)
        return result, _from_error(request, answer)
    result = RequestResult(request.index, request.wire, request.recipient_count, response=answer)
    try:
        return result, _from_response(request, answer)
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        # A 2xx whose per-message results do not hold together: the server took the
        # request, so its recipients are in doubt rather than guessed or dropped.
        detail = f"the answer's results cannot be read ({type(exc).__name__}); check before resending"
        return result, [
            RecipientResult(
                r.address, r.name, r.message, request.index, Outcome.IN_DOUBT, None, False, detail
            )
            for p in request.parts
            for r in p.recipients
        ]


class Collector:
    """A send's results, gathered as each answer comes in (in any order) and merged into its report.

    For a streamed send it keeps only what is not accepted, so memory follows
    the failures, not the recipients.
    """

    def __init__(self, *, streamed: bool, dry_run: bool = False) -> None:
        self.streamed = streamed
        self.dry_run = dry_run
        self._counts: Counter[Outcome] = Counter()
        self._answered: dict[int, _Answered] = {}

    def add(self, request: PlannedRequest, answer: InjectionResponse | SocketLabsError | None) -> None:
        """One request's answer (``None``: a dry run, nothing sent)."""
        if answer is None:
            result = RequestResult(request.index, request.wire, request.recipient_count)
            results = [
                RecipientResult(r.address, r.name, r.message, request.index, Outcome.NOT_SENT)
                for p in request.parts
                for r in p.recipients
            ]
        else:
            result, results = _answered(request, answer)
        self._counts.update(r.outcome for r in results)
        if self.streamed:
            result = evolve(result, body=None)
            results = [r for r in results if r.outcome not in (Outcome.ACCEPTED, Outcome.NOT_SENT)]
        self._answered[request.index] = (result, results)

    def report(self, refused: Sequence[Refused] = ()) -> SendReport:
        """The report: requests in order, recipients by message (requests hold consecutive parts)."""
        answered = [self._answered[i] for i in sorted(self._answered)]
        recipients = [r for _, results in answered for r in results]
        if refused:
            recipients.extend(
                RecipientResult(
                    r.address,
                    r.name,
                    r.message,
                    -1,
                    Outcome.REJECTED,
                    None,
                    False,
                    f"not sent: refused by the client's checks: {r.error}",
                )
                for r in refused
            )
            recipients.sort(key=lambda r: r.message)  # stable: keeps each message's order
            self._counts[Outcome.REJECTED] += len(refused)
        return SendReport(
            tuple(recipients),
            tuple(result for result, _ in answered),
            dry_run=self.dry_run,
            counts=dict(self._counts),
            streamed=self.streamed,
        )


def _merged(answered: Sequence[_Answered]) -> SendReport:
    # Requests hold consecutive parts in message order, so the list is already by message.
    recipients = [r for _, results in answered for r in results]
    return SendReport(tuple(recipients), tuple(result for result, _ in answered))


def _dry_report(planned: Iterable[PlannedRequest]) -> SendReport:
    collector = Collector(streamed=False, dry_run=True)
    for request in planned:
        collector.add(request, None)
    return collector.report()
