"""Outbound notices: channels, the outbox, retries with backoff, and never sending twice."""

import http.server
import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from wangge.cases.models import Notice
from wangge.cases.worker import sweep
from wangge.integrations import channels, outbox, signing
from wangge.integrations.models import OutboxEntry, OutboxStatus

from .conftest import NOW

HOOK_SECRET = "county-notice-secret-0123456789abcdef"


class FakeTransport:
    """Records each POST; fails the first `failures` of them."""

    def __init__(self, failures=0, status=200):
        self.calls = []
        self.failures = failures
        self.status = status
        self.lock = threading.Lock()

    def __call__(self, url, body, headers, timeout):
        with self.lock:
            self.calls.append((url, body, headers))
            if self.failures:
                self.failures -= 1
                raise ConnectionRefusedError("connection refused")
        return self.status


def webhook(transport, **extra):
    return {
        "BACKEND": "wangge.integrations.channels.Webhook",
        "URL": "https://county.example/wangge/notices",
        "SECRET": HOOK_SECRET,
        "TRANSPORT": transport,
        **extra,
    }


@pytest.fixture
def transport(settings):
    fake = FakeTransport()
    settings.WANGGE_NOTICE_CHANNELS = ["wangge.integrations.channels.InApp", webhook(fake)]
    return fake


def emergency(make_case, town):
    return make_case("TF04", actor=town.dispatcher, title="村民正在被冒充公检法诈骗", now=NOW)


# --- Writing the outbox -----------------------------------------------------------


def test_in_app_only_writes_no_outbox(make_case, town):
    case = emergency(make_case, town)
    assert Notice.objects.filter(case=case).count() == 2  # grid worker and police
    assert OutboxEntry.objects.count() == 0


def test_each_notice_gets_one_entry_per_outbound_channel(make_case, town, transport):
    case = emergency(make_case, town)
    notices = set(Notice.objects.filter(case=case).values_list("pk", flat=True))
    entries = OutboxEntry.objects.all()
    assert {e.notice_id for e in entries} == notices
    assert {e.channel for e in entries} == {"webhook"}
    assert all(e.status == OutboxStatus.PENDING and e.next_attempt_at == NOW for e in entries)


def test_the_outbox_is_written_in_the_notices_transaction(make_case, town, transport):
    with pytest.raises(RuntimeError), transaction.atomic():
        emergency(make_case, town)
        assert OutboxEntry.objects.count() == 2
        raise RuntimeError("the step fails after the notices")
    assert OutboxEntry.objects.count() == 0 and Notice.objects.count() == 0


def test_a_channel_takes_only_its_kinds(make_case, town, settings):
    settings.WANGGE_NOTICE_CHANNELS = [webhook(FakeTransport(), KINDS=["emergency"])]
    make_case(actor=town.grid_helper, now=NOW)  # a normal report
    assert OutboxEntry.objects.count() == 0
    emergency(make_case, town)
    assert OutboxEntry.objects.count() == 2


def test_sms_goes_only_to_people_with_a_work_phone(make_case, town, settings, caplog):
    town.police.phone = "13837901110"
    town.police.save()
    settings.WANGGE_NOTICE_CHANNELS = [
        "wangge.integrations.channels.InApp",
        {
            "BACKEND": "wangge.integrations.channels.Sms",
            "GATEWAY": "wangge.integrations.channels.ConsoleSmsGateway",
            "SIGNATURE": "【德亭镇】",
        },
    ]
    emergency(make_case, town)
    entry = OutboxEntry.objects.get()
    assert (entry.channel, entry.notice.recipient) == ("sms", town.police)
    with caplog.at_level("INFO", logger="wangge.notices"):
        assert outbox.deliver_due(NOW).sent == 1
    assert "SMS to 138****1110" in caplog.text
    assert "【德亭镇】紧急" in caplog.text


def test_two_channels_with_one_name_are_refused(settings):
    settings.WANGGE_NOTICE_CHANNELS = [webhook(FakeTransport()), webhook(FakeTransport())]
    with pytest.raises(ValueError):
        channels.configured()


def test_a_webhook_without_url_is_refused(settings):
    settings.WANGGE_NOTICE_CHANNELS = [webhook(FakeTransport(), URL="")]
    with pytest.raises(ValueError):
        channels.configured()


# --- Sending ------------------------------------------------------------------------


def test_the_webhook_posts_signed_json_with_an_idempotency_key(make_case, town, transport):
    case = emergency(make_case, town)
    report = outbox.deliver_due(NOW)
    assert report.sent == 2 and len(transport.calls) == 2
    url, body, headers = transport.calls[0]
    assert url == "https://county.example/wangge/notices"
    from django.utils import timezone

    signing.verify(
        HOOK_SECRET,
        headers["X-Wangge-Timestamp"],
        headers["X-Wangge-Signature"],
        body,
        timezone.now(),
    )
    payload = json.loads(body)
    entry = OutboxEntry.objects.get(notice_id=payload["notice"])
    assert headers["Idempotency-Key"] == payload["id"] == entry.idempotency_key
    assert payload["case"] == {"id": case.pk, "number": case.number}
    assert payload["kind"] == "emergency"
    assert entry.status == OutboxStatus.SENT and entry.sent_at == NOW and entry.attempts == 1


def test_a_sent_entry_is_not_sent_again(make_case, town, transport):
    emergency(make_case, town)
    outbox.deliver_due(NOW)
    assert outbox.deliver_due(NOW + timedelta(hours=1)).sent == 0
    assert len(transport.calls) == 2


def test_failures_are_retried_with_exponential_backoff(make_case, town, settings):
    fake = FakeTransport(failures=2)
    settings.WANGGE_NOTICE_CHANNELS = [webhook(fake, KINDS=["report"])]
    settings.WANGGE_OUTBOX_BACKOFF_SECONDS = 30
    make_case(actor=town.grid_helper, now=NOW)  # one notice: the grid worker
    entry = OutboxEntry.objects.get()

    assert outbox.deliver_due(NOW).retried == 1
    entry.refresh_from_db()
    assert entry.attempts == 1 and entry.next_attempt_at == NOW + timedelta(seconds=30)
    assert "connection refused" in entry.last_error

    assert outbox.deliver_due(NOW + timedelta(seconds=29)).retried == 0  # not due yet
    assert outbox.deliver_due(NOW + timedelta(seconds=30)).retried == 1
    entry.refresh_from_db()
    assert entry.next_attempt_at == NOW + timedelta(seconds=30 + 60)

    assert outbox.deliver_due(NOW + timedelta(seconds=90)).sent == 1
    entry.refresh_from_db()
    assert (entry.status, entry.attempts, entry.last_error) == (OutboxStatus.SENT, 3, "")
    assert len(fake.calls) == 3


def test_backoff_is_capped():
    assert outbox.backoff(1) == timedelta(seconds=30)
    assert outbox.backoff(4) == timedelta(seconds=240)
    assert outbox.backoff(20) == timedelta(hours=1)


def test_an_entry_fails_for_good_after_max_attempts(make_case, town, settings):
    fake = FakeTransport(status=503)
    settings.WANGGE_NOTICE_CHANNELS = [webhook(fake, KINDS=["report"])]
    settings.WANGGE_OUTBOX_MAX_ATTEMPTS = 3
    make_case(actor=town.grid_helper, now=NOW)
    moment = NOW
    results = []
    for _ in range(5):
        report = outbox.deliver_due(moment)
        results.append((report.retried, report.failed))
        moment += timedelta(hours=2)
    assert results == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    entry = OutboxEntry.objects.get()
    assert (entry.status, entry.attempts, entry.last_error) == (OutboxStatus.FAILED, 3, "HTTP 503")
    assert len(fake.calls) == 3

    # The administrator queues it again once the receiver is back.
    fake.status = 200
    assert outbox.retry([entry.pk], moment) == 1
    assert outbox.deliver_due(moment).sent == 1


def test_an_entry_of_a_channel_no_longer_configured_fails_visibly(make_case, town, settings):
    settings.WANGGE_NOTICE_CHANNELS = [webhook(FakeTransport(), KINDS=["report"])]
    make_case(actor=town.grid_helper, now=NOW)
    settings.WANGGE_NOTICE_CHANNELS = ["wangge.integrations.channels.InApp"]
    assert outbox.deliver_due(NOW).failed == 1
    assert "not configured" in OutboxEntry.objects.get().last_error


def test_the_worker_sweep_sends_the_outbox(make_case, town, transport):
    emergency(make_case, town)
    report = sweep(now=NOW)
    assert report.sent == 2
    assert "sent 2" in str(report)


def test_the_webhook_reaches_a_real_http_server(make_case, town, settings):
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/notices"
        settings.WANGGE_NOTICE_CHANNELS = [
            {"BACKEND": "wangge.integrations.channels.Webhook", "URL": url, "SECRET": HOOK_SECRET}
        ]
        make_case(actor=town.grid_helper, now=NOW)
        assert outbox.deliver_due(NOW).sent == 1
    finally:
        server.shutdown()
        server.server_close()
    headers, body = received[0]
    expected = signing.signature(HOOK_SECRET, headers["X-Wangge-Timestamp"], body)
    assert headers["X-Wangge-Signature"] == expected
    assert json.loads(body)["recipient"]["username"] == "worker_a1"


# --- Two workers ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_one_notice_twice(town, catalogue, make_case, transport):
    for n in range(10):
        make_case("TF04", actor=town.dispatcher, title=f"紧急求助{n}", now=NOW)
    expected = OutboxEntry.objects.count()
    assert expected == 20
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            for _ in range(3):
                outbox.deliver_due(NOW, limit=7)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    keys = [headers["Idempotency-Key"] for _, _, headers in transport.calls]
    assert len(keys) == len(set(keys)) == expected
    assert OutboxEntry.objects.filter(status=OutboxStatus.SENT, attempts=1).count() == expected
