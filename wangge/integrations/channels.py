"""Outbound notice channels, pluggable like Django's e-mail backends.

`WANGGE_NOTICE_CHANNELS` lists them; each entry is a dotted path or a dict
with `BACKEND` and the channel's options (upper-case keys)::

    WANGGE_NOTICE_CHANNELS = [
        "wangge.integrations.channels.InApp",
        {
            "BACKEND": "wangge.integrations.channels.Webhook",
            "NAME": "county",
            "URL": "https://county.example/wangge/notices",
            "SECRET": "…",
            "KINDS": ["emergency", "escalate"],
        },
        {
            "BACKEND": "wangge.integrations.channels.Sms",
            "GATEWAY": "wangge.integrations.channels.ConsoleSmsGateway",
            "KINDS": ["emergency"],
        },
    ]

In-app delivery is the notice row itself. Every other channel gets one
outbox row per notice, written in the notice's transaction and sent by the
worker (`wangge.integrations.outbox`).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from wangge.integrations import signing

log = logging.getLogger("wangge.notices")

DEFAULT_CHANNELS = ["wangge.integrations.channels.InApp"]


class DeliveryError(Exception):
    """A channel could not send; the worker retries later."""


class Channel:
    """One way out. `send` raises DeliveryError (or anything) to be retried."""

    name = ""
    uses_outbox = True

    def __init__(self, *, name: str = "", kinds=None, **options):
        self.name = name or self.name
        self.kinds = set(kinds) if kinds else None
        if options:
            raise TypeError(f"{type(self).__name__}: unknown options {sorted(options)}")

    def accepts(self, notice) -> bool:
        return self.kinds is None or notice.kind in self.kinds

    def send(self, notice, idempotency_key: str) -> None:
        raise NotImplementedError


class InApp(Channel):
    """The inbox in the web app: a notice is delivered once it is committed."""

    name = "in_app"
    uses_outbox = False

    def send(self, notice, idempotency_key: str) -> None:
        """Nothing to send: the page reads the notice row."""


def payload(notice, idempotency_key: str) -> dict:
    case = notice.case
    recipient = notice.recipient
    return {
        "id": idempotency_key,
        "notice": notice.pk,
        "kind": notice.kind,
        "text": notice.text,
        "created_at": timezone.localtime(notice.created_at).isoformat(),
        "town": notice.town.code if notice.town_id else None,
        "case": {"id": case.pk, "number": case.number} if case else None,
        "recipient": {
            "username": recipient.username,
            "name": recipient.get_full_name() or recipient.username,
        },
    }


def urllib_transport(url: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST with the standard library; returns the HTTP status."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Webhook(Channel):
    """POST each notice as JSON, signed like the inbound hooks, to one URL."""

    name = "webhook"

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        source: str = "wangge",
        timeout: float = 10,
        transport: Callable[[str, bytes, dict, float], int] | str | None = None,
        **options,
    ):
        super().__init__(**options)
        if not url or not secret:
            raise ValueError("Webhook channel needs URL and SECRET")
        self.url = url
        self.secret = secret
        self.source = source
        self.timeout = float(timeout)
        if isinstance(transport, str):
            transport = import_string(transport)
        self.transport = transport or urllib_transport

    def send(self, notice, idempotency_key: str) -> None:
        body = json.dumps(payload(notice, idempotency_key), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": idempotency_key,
            **signing.sign(self.secret, body, timezone.now(), source=self.source),
        }
        try:
            status = self.transport(self.url, body, headers, self.timeout)
        except OSError as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}")


class SmsGateway:
    """What an SMS provider's adapter implements."""

    def send(self, phone: str, text: str, idempotency_key: str) -> None:
        raise NotImplementedError


class ConsoleSmsGateway(SmsGateway):
    """For development, only when named as GATEWAY: writes the message to the log
    instead of sending it, to a masked number (138****5678)."""

    def send(self, phone: str, text: str, idempotency_key: str) -> None:
        from wangge.residents.pii import mask_phone

        log.info("SMS to %s [%s]: %s", mask_phone(phone), idempotency_key, text)


class Sms(Channel):
    """A text message to the recipient's work phone, through a gateway."""

    name = "sms"

    def __init__(self, *, gateway: str | SmsGateway = "", signature: str = "", **options):
        super().__init__(**options)
        if not gateway:
            # No silent default: a missing gateway would log the messages instead of sending.
            raise ImproperlyConfigured(
                "WANGGE_NOTICE_CHANNELS: the Sms channel needs a GATEWAY (an SmsGateway's"
                " dotted path, e.g. wangge.integrations.channels.ConsoleSmsGateway for"
                " development)."
            )
        self.gateway = import_string(gateway)() if isinstance(gateway, str) else gateway
        # Chinese SMS rules put the sender's signature first, e.g. 【德亭镇】.
        self.signature = signature

    def accepts(self, notice) -> bool:
        return super().accepts(notice) and bool(notice.recipient.phone)

    def send(self, notice, idempotency_key: str) -> None:
        self.gateway.send(notice.recipient.phone, self.signature + notice.text, idempotency_key)


_cache: dict = {"config": None, "channels": []}


def _build(entry) -> Channel:
    if isinstance(entry, str):
        return import_string(entry)()
    options = {key.lower(): value for key, value in entry.items() if key != "BACKEND"}
    return import_string(entry["BACKEND"])(**options)


def configured() -> list[Channel]:
    """The channels of WANGGE_NOTICE_CHANNELS, built once per configuration."""
    config = getattr(settings, "WANGGE_NOTICE_CHANNELS", DEFAULT_CHANNELS)
    if _cache["config"] is not config:
        channels = [_build(entry) for entry in config]
        names = [c.name for c in channels]
        if len(set(names)) != len(names):
            raise ValueError(f"WANGGE_NOTICE_CHANNELS: two channels share a name: {names}")
        _cache["channels"] = channels
        _cache["config"] = config
    return _cache["channels"]


def outbox_channels() -> list[Channel]:
    return [channel for channel in configured() if channel.uses_outbox]


def by_name(name: str) -> Channel | None:
    return next((c for c in configured() if c.name == name), None)
