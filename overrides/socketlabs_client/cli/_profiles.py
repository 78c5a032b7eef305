"""Saved logins (``socketlabs login``): named profiles of key, server id and host URLs.

The settings live in ``$XDG_CONFIG_HOME/socketlabs/config.ini`` (``~/.config``
when unset; ``SOCKETLABS_CONFIG_DIR`` overrides the folder). The key goes to
the OS keyring through the ``keyring`` library when a real backend exists,
else into that file, which is then written 0600 in a 0700 folder (as gh and
the AWS CLI do on machines without a keyring).
"""

from __future__ import annotations

import configparser
import contextlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DEFAULT_PROFILE",
    "ENV_CONFIG_DIR",
    "ENV_PROFILE",
    "KEYRING_SERVICE",
    "Profile",
    "ProfileError",
    "config_path",
    "delete",
    "load",
    "names",
    "save",
]

ENV_PROFILE = "SOCKETLABS_PROFILE"
ENV_CONFIG_DIR = "SOCKETLABS_CONFIG_DIR"
DEFAULT_PROFILE = "default"
KEYRING_SERVICE = "socketlabs-client"
_SECTION = "profile "


class ProfileError(Exception):
    """A profile cannot be read or written (the message names what to do)."""


@dataclass
class Profile:
    """One saved login; ``key_store`` says where its key is (``keyring`` or ``file``)."""

    name: str
    api_key: str | None = None
    server_id: int | None = None
    urls: dict[str, str] = field(default_factory=dict)
    key_store: Literal["keyring", "file"] | None = None


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file: ``SOCKETLABS_CONFIG_DIR``, else the XDG config folder's ``socketlabs``."""
    env = os.environ if env is None else env
    folder = env.get(ENV_CONFIG_DIR)
    if not folder:
        base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        folder = str(Path(base) / "socketlabs")
    return Path(folder) / "config.ini"


def _read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise ProfileError(f"cannot read {path}: {exc}") from None
    return parser


def _write(path: Path, parser: configparser.ConfigParser) -> None:
    """Replace the file atomically, 0600 from its first byte (the key may be in it)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".config-", dir=path.parent)
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                parser.write(handle)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ProfileError(f"cannot write {path}: {exc.strerror or exc}") from None


def _keyring() -> Any | None:
    """The ``keyring`` module when it is installed and has a real backend, else None."""
    try:
        import keyring  # noqa: PLC0415 - optional: part of the cli extra, absent on minimal installs
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken backend configuration: fall back to the file
        return None
    return keyring if getattr(backend, "priority", 0) > 0 else None


def names(env: Mapping[str, str] | None = None) -> list[str]:
    """Every saved profile's name."""
    parser = _read(config_path(env))
    return [s.removeprefix(_SECTION) for s in parser.sections() if s.startswith(_SECTION)]


def load(name: str, env: Mapping[str, str] | None = None) -> Profile | None:
    """The saved profile ``name`` with its key, or None when there is none."""
    path = config_path(env)
    parser = _read(path)
    section = _SECTION + name
    if not parser.has_section(section):
        return None
    data = parser[section]
    profile = Profile(name)
    server_id = data.get("server_id")
    if server_id:
        try:
            profile.server_id = int(server_id)
        except ValueError:
            raise ProfileError(f"{path}: profile {name!r} has a server_id that is not a number") from None
    profile.urls = {k.removesuffix("_url"): v for k, v in data.items() if k.endswith("_url") and v}
    store = data.get("key_store")
    if store == "keyring":
        keyring = _keyring()
        if keyring is None:
            raise ProfileError(
                f"profile {name!r} keeps its key in the OS keyring, which is not available here:"
                f" run 'socketlabs login --profile {name}' again"
            )
        try:
            profile.api_key = keyring.get_password(KEYRING_SERVICE, name)
        except Exception as exc:  # keyring's errors vary by backend
            raise ProfileError(f"cannot read the key of profile {name!r} from the keyring: {exc}") from None
        profile.key_store = "keyring"
    elif store == "file":
        profile.api_key = data.get("api_key") or None
        profile.key_store = "file"
    return profile


def save(
    name: str,
    api_key: str,
    server_id: int | None,
    urls: Mapping[str, str],
    env: Mapping[str, str] | None = None,
) -> str:
    """Save a profile; returns where the key went (``the OS keyring`` or the file's path)."""
    path = config_path(env)
    parser = _read(path)
    section = _SECTION + name
    if parser.has_section(section):
        parser.remove_section(section)
    parser.add_section(section)
    if server_id is not None:
        parser[section]["server_id"] = str(server_id)
    for server, url in sorted(urls.items()):
        parser[section][f"{server}_url"] = url
    keyring = _keyring()
    stored = False
    if keyring is not None:
        try:
            keyring.set_password(KEYRING_SERVICE, name, api_key)
            stored = True
        except Exception:  # a locked or refusing keyring: the file will do  # noqa: S110
            pass
    if stored:
        parser[section]["key_store"] = "keyring"
        where = "the OS keyring"
    else:
        parser[section]["key_store"] = "file"
        parser[section]["api_key"] = api_key
        where = str(path)
    _write(path, parser)
    return where


def delete(name: str, env: Mapping[str, str] | None = None) -> bool:
    """Forget a profile and its key; False when there was none."""
    path = config_path(env)
    parser = _read(path)
    section = _SECTION + name
    if not parser.has_section(section):
        return False
    if parser[section].get("key_store") == "keyring":
        keyring = _keyring()
        if keyring is not None:
            with contextlib.suppress(Exception):  # already gone from the keyring
                keyring.delete_password(KEYRING_SERVICE, name)
    parser.remove_section(section)
    _write(path, parser)
    return True
