"""Optional members on the wire: read as ``None`` either way, sent only when given.

The generated models type an optional member ``T | None``. Where the spec lets
it be ``null``, an update that leaves it out keeps the stored value and one
that sends ``null`` clears it, so ``to_dict`` keeps the two apart: a member
given when the model was made (to the constructor, or present in a parsed
body) is sent as ``null`` when it is ``None``; one never given is left out.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from socketlabs_api.models import Address, ContactInput, MarketingListInput, SuppressionStatus

NAMES = st.one_of(st.none(), st.text(max_size=5))


def test_left_out_is_not_sent_and_none_is_sent_as_null() -> None:
    assert ContactInput(email_address="a@example.com").to_dict() == {"emailAddress": "a@example.com"}
    cleared = ContactInput(email_address="a@example.com", last_name=None).to_dict()
    assert cleared == {"emailAddress": "a@example.com", "lastName": None}
    assert MarketingListInput("News", None).to_dict() == {"name": "News", "description": None}


def test_a_given_member_set_to_none_later_is_sent_as_null() -> None:
    body = ContactInput(email_address="a@example.com", first_name="Ann")
    body.first_name = None
    assert body.to_dict() == {"emailAddress": "a@example.com", "firstName": None}
    body.first_name = "Bo"
    assert body.to_dict() == {"emailAddress": "a@example.com", "firstName": "Bo"}
    never_given = ContactInput(email_address="a@example.com")
    never_given.first_name = None
    assert never_given.to_dict() == {"emailAddress": "a@example.com"}


def test_a_member_the_spec_forbids_as_null_is_left_out_when_none() -> None:
    assert Address(email_address="a@example.com", friendly_name=None).to_dict() == {
        "EmailAddress": "a@example.com"
    }


@given(first=NAMES, last=NAMES, give_first=st.booleans(), give_last=st.booleans())
def test_a_parsed_body_goes_back_out_as_it_came(
    first: str | None, last: str | None, give_first: bool, give_last: bool
) -> None:
    wire: dict[str, Any] = {"emailAddress": "a@example.com"}
    if give_first:
        wire["firstName"] = first
    if give_last:
        wire["lastName"] = last
    body = ContactInput.from_dict(wire)
    assert body.first_name == (first if give_first else None)
    assert body.to_dict() == wire
    assert copy.copy(body).to_dict() == wire
    assert pickle.loads(pickle.dumps(body)).to_dict() == wire  # noqa: S301 - our own bytes


def test_absent_and_null_compare_equal() -> None:
    absent = SuppressionStatus.from_dict({"emailAddress": "a", "isSuppressed": True})
    null = SuppressionStatus.from_dict({"emailAddress": "a", "isSuppressed": True, "reason": None})
    assert absent == null
    assert "reason" not in absent.to_dict()
    assert null.to_dict()["reason"] is None
