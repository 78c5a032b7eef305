"""The injection path's quick forms answer exactly as the plain ones they replace.

The address check is one regex, placeholders are split once per message,
merge field objects are folded only when not spelled as documented, and
the suppression test needs no ``KeyError``; each is compared here with the
straightforward definition it stands for.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from socketlabs_sandbox import Sandbox
from socketlabs_sandbox._injection import _merge, _Template
from socketlabs_sandbox._params import is_valid_email
from socketlabs_sandbox._suppressions import SeededSuppressions, Suppression, SuppressionList


def _reference_email(address: str) -> bool:
    """The rule as written before: one `@`, both parts, <= 320, no whitespace or control characters."""
    if not 3 <= len(address) <= 320:
        return False
    local, at, domain = address.partition("@")
    if not at or not local or not domain or "@" in domain:
        return False
    return not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in address)


def test_the_address_regex_refuses_exactly_the_characters_the_rule_does() -> None:
    differing = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if is_valid_email(f"a{chr(code)}b@example.com") != _reference_email(f"a{chr(code)}b@example.com")
    ]
    assert differing == []


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("a@. \t\u00a0\u2028\x00\x7fé"), max_size=12))
def test_the_address_regex_is_the_rule(address: str) -> None:
    assert is_valid_email(address) == _reference_email(address)
    padded = address + "x" * 320
    assert is_valid_email(padded) == _reference_email(padded)


def _reference_merge(text: str | None, fields: dict[str, str]) -> str | None:
    if text is None or not fields:
        return text
    return re.sub(r"%%([^%]+)%%", lambda m: fields.get(m[1].casefold(), m[0]), text)


PIECES = st.lists(st.sampled_from(["%%", "%", "a", "Code", "ü", " "]), max_size=9).map("".join)
FIELDS = st.dictionaries(
    st.sampled_from(["code", "a", "ü", " "]), st.sampled_from(["", "1", "%%a%%"]), max_size=3
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.none(), PIECES), FIELDS)
def test_a_split_template_merges_as_the_regex_does(text: str | None, fields: dict[str, str]) -> None:
    assert _Template(text).render(fields) == _reference_merge(text, fields) == _merge(text, fields)


def test_the_suppression_test_agrees_with_lookups() -> None:
    lazy = SuppressionList(SeededSuppressions(seed=3, count=20))
    seeded = [lazy.seeded.address(i).casefold() for i in range(20)]
    del lazy[seeded[0]]
    lazy["added@example.com"] = Suppression("added@example.com", 0, "Manual")
    lazy[seeded[1]] = Suppression(seeded[1], 0, "Manual")
    del lazy[seeded[1]]  # an added copy of a seeded entry, removed again: the seeded one stays
    probes = [*seeded, "added@example.com", "other@example.com", seeded[2].upper(), "", "@"]
    assert [key in lazy for key in probes] == [lazy.get(key) is not None for key in probes]
    not_a_key: object = 7
    assert not_a_key not in lazy


def test_merge_fields_in_any_spelling_with_extra_members(sb: Sandbox, inject: httpx.Client) -> None:
    rows: list[list[dict[str, Any]]] = [
        [{"Field": "DeliveryAddress", "Value": "a@example.com"}, {"Field": "Code", "Value": "1"}],
        [
            {"FIELD": "deliveryaddress", "value": "b@example.com"},
            {"Field": "Code", "Value": "2", "Note": "x"},
        ],
        [
            {"field": "DeliveryAddress", "Value": "c@example.com"},
            {"Field": "X", "FIELD": "Code", "Value": "3"},
        ],
        [
            {"Field": "DeliveryAddress", "Value": "d@example.com"},
            {"Field": "Code"},
        ],  # no Value: InvalidMergeData
    ]
    message = {
        "To": [{"EmailAddress": "%%DeliveryAddress%%"}],
        "From": {"EmailAddress": "noreply@example.com"},
        "Subject": "Code %%Code%% %%Brand%%",
        "TextBody": "x",
        "MergeData": {"global": [{"FIELD": "Brand", "VALUE": "B"}], "PerMessage": rows[:3]},
    }
    broken = {**message, "MergeData": {"PerMessage": rows[3:]}}
    body = {"ServerId": sb.server_id, "Messages": [message, broken]}
    answer = inject.post("/email", json=body, headers={"Authorization": f"Bearer {sb.api_key}"}).json()
    assert answer["MessageResults"] == [{"Index": 1, "ErrorCode": "InvalidMergeData", "AddressResults": None}]
    assert [(s.address, s.subject) for s in sb.state.sent] == [
        ("a@example.com", "Code 1 B"),
        ("b@example.com", "Code 2 B"),
        ("c@example.com", "Code 3 B"),  # "Field" and "FIELD" are one member: the last one wins
    ]
