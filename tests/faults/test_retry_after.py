"""``Retry-After`` is obeyed only as RFC 9110 writes it: ASCII digits or an HTTP date.

``float()`` reads ``1_0`` as 10 and an Arabic-Indic one (U+0661) as 1; a server
must not steer the client's waits through such spellings. Anything else is
ignored and the policy's own backoff applies.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from socketlabs_client import RetryEvent, RetryPolicy, SocketLabs
from socketlabs_client._errors import parse_retry_after

from .rawserver import RawServer, response

KEY = "k3yPart0123456789abc.s3cretPart01234567890123456789012345678x"
CHECK_OK = b'{"data": {"emailAddress": "a@example.com", "isSuppressed": false}}'
ASCII_DIGITS = st.text(alphabet=string.digits, min_size=1, max_size=12)
OTHER_DIGITS = st.characters(categories=["Nd"]).filter(lambda c: c not in string.digits)


@given(ASCII_DIGITS, st.sampled_from(["", " ", "\t", "  "]))
def test_ascii_digits_are_whole_seconds(digits: str, space: str) -> None:
    assert parse_retry_after(f"{space}{digits}{space}") == float(int(digits))


def _spoiled(draw: st.DrawFn) -> str:
    digits = draw(ASCII_DIGITS)
    at = draw(st.integers(0, len(digits)))
    kinds = ["unicode digit", "underscore", "sign", "inner space", "fraction", "exponent"]
    kind = draw(st.sampled_from(kinds))
    if kind == "unicode digit":
        return digits[:at] + draw(OTHER_DIGITS) + digits[at:]
    if kind == "underscore":
        return f"{digits[:1]}_{digits[1:] or '0'}"
    if kind == "sign":
        return draw(st.sampled_from("+-")) + digits
    if kind == "inner space":
        return f"{digits[:1]} {digits[1:] or '0'}"
    if kind == "fraction":
        return f"{digits}.5"
    return f"{digits}e1"


spoiled = st.composite(_spoiled)()


@given(spoiled)
def test_anything_but_ascii_digits_is_ignored(value: str) -> None:
    assert parse_retry_after(value) is None


@given(OTHER_DIGITS)
def test_a_date_with_other_scripts_digits_is_ignored(digit: str) -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after(f"Wed, 2{digit} Oct 2099 07:28:00 GMT") is None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spoiled)
def test_a_spoiled_header_leaves_the_wait_to_the_backoff(raw: RawServer, value: str) -> None:
    raw.requests.clear()
    head = "HTTP/1.1 429 X\r\nContent-Type: application/json\r\nContent-Length: 2\r\nRetry-After: "
    answers = iter([head.encode() + value.encode() + b"\r\n\r\n{}"])  # UTF-8, as a server would
    raw.script = lambda _: [next(answers, response(200, CHECK_OK))]
    events: list[RetryEvent] = []
    slept: list[float] = []
    policy = RetryPolicy(
        max_retries=1, initial_backoff=0.01, max_backoff=0.02, on_retry=events.append, sleep=slept.append
    )
    with SocketLabs(KEY, 1, base_url=f"{raw.url}/v2", rate_limiter=False, retry=policy) as client:
        client.suppressions.check(email_address="a@example.com")
    assert len(raw.requests) == 2
    assert [e.wait for e in events] == slept
    assert slept[0] <= 0.02, f"Retry-After {value!r} steered the wait to {slept[0]} s"
