"""How the ledger cuts a batch into units and names them: no Redis needed."""

from __future__ import annotations

import re

import pytest
from socketlabs_api.models import Address, Message
from socketlabs_client import BasicMessage, BulkMessage, ConfigurationError, SendLedger, derive_message_id
from socketlabs_client._ledger import _units


def _bulk(count: int) -> BulkMessage:
    bulk = BulkMessage(subject="Hi", from_="a@example.com", text="x")
    for i in range(count):
        bulk.add_recipient(f"R{i}@Example.com", merge={"N": str(i)})
    return bulk


def test_derived_ids_are_stable_distinct_and_shaped() -> None:
    first = derive_message_id("batch", 0, 0)
    assert first == derive_message_id("batch", 0, 0)
    assert re.fullmatch(r"sl-[0-9a-f]{32}", first)
    others = {
        derive_message_id("batch", 0, 1),
        derive_message_id("batch", 1, 0),
        derive_message_id("other", 0, 0),
    }
    assert first not in others
    assert len(others) == 3


def test_a_merge_is_cut_into_units_of_the_message_size() -> None:
    units = _units("p", "k", [_bulk(120)], 50)
    assert [len(u.fields) for u in units] == [50, 50, 20]
    assert [u.message_id for u in units] == [derive_message_id("k", 0, n) for n in range(3)]
    assert units[0].fields[0] == "r0@example.com"  # entries are keyed by the folded address
    assert len({u.key for u in units}) == 3
    # every unit of a batch shares one Redis hash slot (cluster-safe scripts)
    assert len({u.key.split("}")[0] for u in units}) == 1
    assert _units("p", "k", [_bulk(120)], 50)[2].key == units[2].key


def test_a_unit_resends_only_the_chosen_recipients_under_its_id() -> None:
    bulk = _bulk(60)
    unit = _units("p", "k", [bulk], 50)[1]
    again = unit.sendable([0, 5])
    assert isinstance(again, BulkMessage)
    assert [r.address for r in again.recipients] == ["R50@Example.com", "R55@Example.com"]
    assert again.message_id == unit.message_id
    assert len(bulk.recipients) == 60 and bulk.message_id is None  # the caller's message is untouched


def test_a_basic_message_is_one_unit_and_keeps_its_own_id() -> None:
    basic = BasicMessage(
        subject="Hi",
        from_="a@example.com",
        text="x",
        to=["t@example.com"],
        cc=["c@example.com"],
        message_id="mine",
    )
    (unit,) = _units("p", "k", [basic], 50)
    assert unit.message_id == "mine"
    assert unit.fields == ["t@example.com", "c@example.com"]
    only_cc = unit.sendable([1])
    assert isinstance(only_cc, BasicMessage)
    assert (only_cc.to, [a.email_address for a in only_cc.cc]) == ([], ["c@example.com"])


def test_the_same_address_twice_in_a_message_is_two_entries() -> None:
    model = Message(
        to=[Address(email_address="x@example.com"), Address(email_address="X@example.com")],
        from_=Address(email_address="a@example.com"),
        subject="Hi",
        text_body="x",
    )
    (unit,) = _units("p", "k", [model], 50)
    assert unit.fields == ["x@example.com", "x@example.com#2"]


def test_settings_are_checked_before_anything_else() -> None:
    with pytest.raises(ConfigurationError):
        SendLedger("redis://127.0.0.1:1/0", ttl=0)


def test_a_batch_key_is_required() -> None:
    ledger = SendLedger("redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError, match="batch key"):
        ledger.send(None, _bulk(1), key="")  # type: ignore[arg-type]
    ledger.close()
