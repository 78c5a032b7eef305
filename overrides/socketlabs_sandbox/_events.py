"""The sandbox's outgoing side: event webhook posts and inbound parse posts.

Every recipient the injection endpoint accepted owes a short, deterministic
story of events (help.socketlabs.com/docs/event-webhooks-events), told by the recipient's local part
so a test can ask for the one it needs:

* ``Queued`` always comes first;
* a suppressed address, or a local part containing ``bounce`` or ``fail``,
  ends in ``Failed`` (``Suppressed``, or ``Permanent`` with code 2001);
* otherwise ``defer`` adds a ``Deferred`` before ``Delivered``; ``complain``
  adds a ``Complaint``; ``click``, ``open`` and ``unsub`` add that
  ``Tracking`` event; other addresses get an ``Open`` when a hash of the
  seed and the address says so (one in three).

Every event carries the message's ``MessageId`` and ``MailingId``, and its
``Tags`` and ``Metadata`` (as ``Data``) when it had any.

Nothing is posted on a timer: ``pending()`` lists what is owed and
``deliver()`` posts it, in order, to the configured URL and records each
``Delivery``; tests therefore never wait on a wall clock. ``send_inbound()``
posts one parsed inbound message. Only the standard library is used.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field

from ._dates import format_instant
from ._state import SandboxState, SentMessage, final_status

__all__ = ["Delivery", "EventOutbox", "InboundFile", "events_for"]

_USER_AGENT = "SocketLabs-Sandbox-Webhooks/1"
_DEFAULT_TIMEOUT = 10.0

Payload = dict[str, object]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One post the sandbox made: where, what, and how the receiver answered."""

    kind: str
    """``event`` or ``inbound``."""
    url: str
    payload: Payload
    status: int | None
    """The receiver's HTTP status; ``None`` when it could not be reached."""
    body: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class InboundFile:
    """An attachment or embedded media item of an inbound message."""

    name: str
    content_type: str
    content: bytes
    content_id: str | None = None


def _digest(*parts: object) -> int:
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def _timestamp(seconds: int, seed: int, address: str, step: int) -> str:
    """A ``DateTime`` with the seven fractional digits SocketLabs sends."""
    whole = format_instant(seconds + step)
    return f"{whole[:-1]}.{_digest(seed, address, step) % 10_000_000:07d}Z"


def events_for(sent: SentMessage, *, seed: int, secret: str) -> list[Payload]:
    """The events one accepted recipient produces (see the module docstring)."""
    local, _, domain = sent.address.partition("@")
    local = local.casefold()
    common: Payload = {
        "ServerId": sent.server_id,
        "SecretKey": secret,
        "Address": sent.address,
        "MailingId": sent.mailing_id or f"SL{sent.server_id}-{sent.message_id}",
        "MessageId": sent.message_id,
    }
    if sent.tags or sent.metadata:  # the message's own tags and metadata ride along on every event
        common["Data"] = {
            "Meta": [{"Key": key, "Value": value} for key, value in sent.metadata],
            "Tags": list(sent.tags),
        }
    steps: list[Payload] = [
        {
            "Type": "Queued",
            "FromAddress": sent.from_address,
            "Subject": sent.subject,
            "MessageSize": 800 + _digest(seed, sent.address, "size") % 40_000,
        }
    ]
    remote = f"mx.{domain or 'example.com'}"
    status = final_status(sent.address, suppressed=sent.status == "Suppressed")
    if status == "Suppressed":
        steps.append(
            {
                "Type": "Failed",
                "FromAddress": sent.from_address,
                "FailureType": "Suppressed",
                "Reason": "The recipient is on the suppression list",
            }
        )
    elif status == "Failed":
        steps.append(
            {
                "Type": "Failed",
                "FromAddress": sent.from_address,
                "FailureType": "Permanent",
                "FailureCode": 2001,
                "Reason": "550 5.1.1 The email account does not exist",
                "BounceStatus": "5.1.1",
                "DiagnosticCode": "smtp; 550 5.1.1 user unknown",
                "RemoteMta": remote,
            }
        )
    else:
        if "defer" in local:
            steps.append(
                {
                    "Type": "Deferred",
                    "FromAddress": sent.from_address,
                    "DeferralCode": 421,
                    "Reason": "421 4.7.0 Try again later",
                }
            )
        steps.append(
            {"Type": "Delivered", "Response": "250 2.0.0 OK", "LocalIp": "127.0.0.1", "RemoteMta": remote}
        )
        tracking = {"click": "Click", "open": "Open", "unsub": "Unsubscribe"}
        kinds = [name for word, name in tracking.items() if word in local]
        if not kinds and "complain" not in local and _digest(seed, sent.address, "open") % 3 == 0:
            kinds = ["Open"]
        for kind in kinds:
            event: Payload = {
                "Type": "Tracking",
                "TrackingType": kind,
                "ClientIp": "203.0.113.7",
                "UserAgent": "Mozilla/5.0 (sandbox)",
            }
            if kind == "Click":
                event["Url"] = "https://example.com/landing"
            steps.append(event)
        if "complain" in local:
            steps.append(
                {
                    "Type": "Complaint",
                    "FblType": "abuse",
                    "UserAgent": "SandboxFBL/1.0",
                    "From": sent.from_address,
                    "To": sent.address,
                    "Length": 2048,
                }
            )
    return [
        {**common, **step, "DateTime": _timestamp(sent.timestamp, seed, sent.address, index)}
        for index, step in enumerate(steps)
    ]


def _post(url: str, payload: Payload, timeout: float) -> tuple[int | None, str, str | None]:
    """POST JSON with the standard library; ``(status, body, connection error)``."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"webhook URLs must be http(s), got {url!r}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": _USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read().decode("utf-8", "replace"), None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), None
    except (urllib.error.URLError, OSError) as exc:
        return None, "", str(exc)


@dataclass
class EventOutbox:
    """What the sandbox owes to the webhook and inbound URLs, and what it posted.

    ``webhook_url``, ``inbound_url`` and ``secret`` start from the config and
    may be changed while the sandbox runs (a receiver's port is often known
    only after the sandbox started). ``delivered`` records every post.
    """

    state: SandboxState
    webhook_url: str | None = None
    inbound_url: str | None = None
    secret: str = ""
    delivered: list[Delivery] = field(default_factory=list)
    _queue: list[Payload] = field(default_factory=list)
    _seen: list[SentMessage] | None = None
    _cursor: int = 0

    @classmethod
    def from_state(cls, state: SandboxState) -> EventOutbox:
        """An outbox configured from the state's ``SandboxConfig``."""
        config = state.config
        return cls(state, config.webhook_url, config.inbound_url, config.webhook_secret)

    def reset(self) -> None:
        """Forget owed events and past deliveries, and go back to the configured URLs and secret.

        The sandbox's own reset calls this, so a test that pointed the outbox
        elsewhere does not leak that into the next one.
        """
        config = self.state.config
        with self.state.lock:
            self.webhook_url, self.inbound_url, self.secret = (
                config.webhook_url,
                config.inbound_url,
                config.webhook_secret,
            )
            self._queue.clear()
            self.delivered.clear()
            self._seen, self._cursor = self.state.sent, len(self.state.sent)

    def pending(self) -> list[Payload]:
        """The events owed for everything accepted so far, in posting order."""
        with self.state.lock:
            sent = self.state.sent
            if sent is not self._seen:  # the state was reset: start from its new list
                self._seen, self._cursor = sent, 0
            for message in sent[self._cursor :]:
                self._queue.extend(events_for(message, seed=self.state.config.seed, secret=self.secret))
            self._cursor = len(sent)
            return list(self._queue)

    def deliver(
        self, *, timeout: float = _DEFAULT_TIMEOUT, address: str | None = None, url: str | None = None
    ) -> list[Delivery]:
        """Post every owed event to ``url`` (else ``webhook_url``), in order; return these deliveries.

        With ``address``, only that recipient's events go; the others stay owed.
        An event the receiver did not answer with 200 is recorded, not retried.
        ``url`` is for this delivery only: ``webhook_url`` stays as it was.
        """
        url = url or self.webhook_url
        if not url:
            raise RuntimeError("no webhook_url: set SandboxConfig.webhook_url or sandbox.events.webhook_url")
        with self.state.lock:
            owed = self.pending()
            events = [
                e for e in owed if address is None or str(e.get("Address", "")).lower() == address.lower()
            ]
            self._queue[:] = [e for e in owed if not any(e is taken for taken in events)]
        done = [Delivery("event", url, event, *_post(url, event, timeout)) for event in events]
        with self.state.lock:
            self.delivered.extend(done)
        return done

    async def adeliver(
        self, *, timeout: float = _DEFAULT_TIMEOUT, address: str | None = None, url: str | None = None
    ) -> list[Delivery]:
        """``deliver`` without blocking the event loop (it runs in a worker thread)."""
        return await asyncio.to_thread(self.deliver, timeout=timeout, address=address, url=url)

    def inbound_payload(
        self,
        *,
        mail_from: str,
        rcpt_to: str,
        subject: str,
        text: str | None = None,
        html: str | None = None,
        attachments: Sequence[InboundFile] = (),
        embedded: Sequence[InboundFile] = (),
        headers: Sequence[tuple[str, str]] = (),
        spam_score: float = 0.0,
    ) -> Payload:
        """An inbound parse post as SocketLabs builds it (www.socketlabs.com/api-reference/inbound-api/)."""

        def files(items: Sequence[InboundFile]) -> list[object] | None:
            return [
                {
                    "Name": f.name,
                    "ContentType": f.content_type,
                    "Content": base64.b64encode(f.content).decode(),
                    "ContentId": f.content_id,
                    "CustomHeaders": [],
                }
                for f in items
            ] or None

        config = self.state.config
        sequence = len(self.delivered)
        original = [("Message-ID", f"<sandbox-{sequence}@{mail_from.partition('@')[2] or 'example.com'}>")]
        return {
            "SecretKey": self.secret,
            "ServerId": config.server_id,
            "InboundMailFrom": mail_from,
            "InboundRcptTo": rcpt_to,
            "InboundIpAddress": "198.51.100.25",
            "ErrorLog": None,
            "SpamScore": spam_score,
            "SpamDetails": None,
            "Message": {
                "To": [{"EmailAddress": rcpt_to, "FriendlyName": None}],
                "Cc": None,
                "Bcc": None,
                "From": {"EmailAddress": mail_from, "FriendlyName": None},
                "ReplyTo": None,
                "Subject": subject,
                "TextBody": text,
                "HtmlBody": html,
                "TextCharSet": "utf-8" if text is not None else None,
                "HtmlCharSet": "utf-8" if html is not None else None,
                "MessageId": None,
                "MailingId": None,
                "CustomHeaders": [{"Name": n, "Value": v} for n, v in [*original, *headers]],
                "Attachments": files(attachments),
                "EmbeddedMedia": files(embedded),
            },
        }

    def send_inbound(self, payload: Payload, *, timeout: float = _DEFAULT_TIMEOUT) -> Delivery:
        """Post one inbound message (built by ``inbound_payload``) to ``inbound_url``."""
        if not self.inbound_url:
            raise RuntimeError("no inbound_url: set SandboxConfig.inbound_url or sandbox.events.inbound_url")
        done = Delivery("inbound", self.inbound_url, payload, *_post(self.inbound_url, payload, timeout))
        with self.state.lock:
            self.delivered.append(done)
        server = payload.get("ServerId")
        server_id = server if isinstance(server, int) else self.state.config.server_id
        self.state.record_inbound(server_id, payload, accepted=done.status == 200)
        return done

    async def asend_inbound(self, payload: Payload, *, timeout: float = _DEFAULT_TIMEOUT) -> Delivery:
        """``send_inbound`` without blocking the event loop."""
        return await asyncio.to_thread(self.send_inbound, payload, timeout=timeout)

    def send_validation(self, *, url: str | None = None, timeout: float = _DEFAULT_TIMEOUT) -> Delivery:
        """Post a ``Validation`` event, as the portal does when an endpoint is set up.

        Goes to ``url`` or ``webhook_url``; a receiver passes when it answers 200
        with the secret in the body (``Delivery.body``).
        """
        target = url or self.webhook_url
        if not target:
            raise RuntimeError("no url given and no webhook_url configured")
        config = self.state.config
        event: Payload = {
            "Type": "Validation",
            "DateTime": _timestamp(self.state.now(), config.seed, "validation", 0),
            "ServerId": config.server_id,
            "SecretKey": self.secret,
        }
        done = Delivery("event", target, event, *_post(target, event, timeout))
        with self.state.lock:
            self.delivered.append(done)
        return done
