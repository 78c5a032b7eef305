"""The typed keyword arguments stay in step with the settings they stand for; SOCKETLABS_LOG."""

from __future__ import annotations

import dataclasses
import logging
import typing

import pytest
from attrs import fields
from socketlabs_client import ClientConfig, ClientOptions, RetryPolicy, SendOptions, SendOptionsDict
from socketlabs_client._logging import ENV_LOG, LOGGERS, setup_logging


def test_send_keywords_are_the_fields_of_send_options() -> None:
    assert set(typing.get_type_hints(SendOptionsDict)) == {f.name for f in fields(SendOptions)}


def test_with_options_keywords_are_the_client_and_retry_settings() -> None:
    settings = {f.name for f in dataclasses.fields(ClientConfig)} | {
        f.name for f in dataclasses.fields(RetryPolicy)
    }
    assert set(typing.get_type_hints(ClientOptions)) == settings


@pytest.fixture
def restore_levels() -> typing.Iterator[None]:
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_levels")
@pytest.mark.parametrize(("value", "level"), [("debug", logging.DEBUG), ("INFO", logging.INFO)])
def test_socketlabs_log_sets_the_level_of_the_client_and_httpx_loggers(value: str, level: int) -> None:
    assert setup_logging({ENV_LOG: value}) == level
    assert all(logging.getLogger(name).level == level for name in LOGGERS)
    handlers = [h for name in LOGGERS for h in logging.getLogger(name).handlers]
    assert setup_logging({ENV_LOG: value}) == level  # a second client adds no second handler
    assert [h for name in LOGGERS for h in logging.getLogger(name).handlers] == handlers


@pytest.mark.usefixtures("restore_levels")
@pytest.mark.parametrize("value", ["", "verbose"])
def test_unset_or_unknown_socketlabs_log_configures_nothing(value: str) -> None:
    before = {name: logging.getLogger(name).level for name in LOGGERS}
    assert setup_logging({ENV_LOG: value}) is None
    assert {name: logging.getLogger(name).level for name in LOGGERS} == before
