"""SQLite writers queue for the lock (wangge.core.sqlite) instead of sleeping in SQLite's retries."""

import threading
import time

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction

from wangge.core.sqlite.base import DatabaseWrapper, _qmark
from wangge.grids.models import Town

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the writer queue is part of the SQLite backend only"
)


def _town(code):
    return Town.objects.create(name=f"镇{code}", code=code, county_code="410325", case_prefix="T")


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_and_goes_in_right_after():
    held = threading.Event()
    times = {}

    def first():
        with transaction.atomic():
            _town("410325000001")
            held.set()
            time.sleep(0.3)
            times["first committed"] = time.monotonic()
        close_old_connections()

    def second():
        held.wait(5)
        with transaction.atomic():
            times["second began"] = time.monotonic()
            _town("410325000002")
        close_old_connections()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert Town.objects.filter(code__in=["410325000001", "410325000002"]).count() == 2
    waited = times["second began"] - times["first committed"]
    # In, within a few milliseconds of the commit (SQLite's own retries sleep up to 100 ms).
    assert 0 <= waited < 0.05


@pytest.mark.django_db(transaction=True)
def test_a_writer_gives_up_after_the_busy_timeout_with_database_is_locked():
    settings = {
        **connection.settings_dict,
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "timeout": 0.2},
    }
    other = DatabaseWrapper(settings, alias="other")
    other.ensure_connection()
    with transaction.atomic():
        _town("410325000003")
        began = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            other._start_transaction_under_autocommit()
        assert 0.2 <= time.monotonic() - began < 2
    # The holder committed: now the other connection gets in at once, and lets go again.
    other._start_transaction_under_autocommit()
    other.rollback()
    other.close()
    assert Town.objects.filter(code="410325000003").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_transaction_lets_the_next_writer_in():
    with pytest.raises(RuntimeError), transaction.atomic():
        _town("410325000004")
        raise RuntimeError("undone")
    done = threading.Event()

    def writer():
        with transaction.atomic():
            _town("410325000005")
        close_old_connections()
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert done.wait(3), "the rolled-back transaction kept the lock"
    thread.join()
    assert list(
        Town.objects.filter(code__startswith="41032500000").values_list("code", flat=True)
    ) == ["410325000005"]


def test_placeholders_convert_as_django_does():
    assert _qmark("SELECT %s, '%%', x FROM t WHERE a = %s") == "SELECT ?, '%', x FROM t WHERE a = ?"
