"""SQLite writers queue for the lock (wangge.core.sqlite) instead of sleeping in SQLite's retries.

The backend is tested on a SQLite file of its own, whichever database the
suite runs on: each "process" here is a DatabaseWrapper as Django makes one
per thread.
"""

import subprocess
import sys
import threading
import time

import pytest
from django.db import OperationalError

from wangge.core.sqlite.base import DatabaseWrapper, _qmark


@pytest.fixture
def database(tmp_path, django_db_blocker):
    path = tmp_path / "writers.sqlite3"
    made = []

    def connect(timeout=5):
        wrapper = DatabaseWrapper(
            {
                "NAME": str(path),
                "ENGINE": "wangge.core.sqlite",
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
                "TIME_ZONE": None,
                "CONN_MAX_AGE": 0,
                "CONN_HEALTH_CHECKS": False,
                "AUTOCOMMIT": True,
                "ATOMIC_REQUESTS": False,
                "TEST": {},
                "USER": "",
                "PASSWORD": "",
                "HOST": "",
                "PORT": "",
            },
            alias=f"writers-{len(made)}",
        )
        wrapper.inc_thread_sharing()  # made here, used in the test's threads too
        wrapper.ensure_connection()
        made.append(wrapper)
        return wrapper

    with django_db_blocker.unblock():  # a database of the test's own, not the suite's
        first = connect()
        with first.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("CREATE TABLE town (code TEXT PRIMARY KEY)")
        yield connect
        for wrapper in made:
            wrapper.close()


def _begin(wrapper):
    wrapper._start_transaction_under_autocommit()  # what transaction.atomic() does on SQLite


def _insert(wrapper, code):
    with wrapper.cursor() as cursor:
        cursor.execute("INSERT INTO town (code) VALUES (%s)", [code])


def _codes(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT code FROM town ORDER BY code")
        return [code for (code,) in cursor.fetchall()]


def test_a_second_writer_waits_for_the_first_and_goes_in_right_after(database):
    first, second = database(), database()
    times = {}
    _begin(first)
    _insert(first, "A")

    def write():
        _begin(second)
        times["second began"] = time.monotonic()
        _insert(second, "B")
        second.commit()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    assert "second began" not in times  # queued behind the first
    times["first committed"] = time.monotonic()
    first.commit()
    thread.join(5)
    assert _codes(first) == ["A", "B"]
    waited = times["second began"] - times["first committed"]
    # In within milliseconds of the commit (SQLite's own retries sleep up to 100 ms).
    assert 0 <= waited < 0.05


def test_a_writer_gives_up_after_the_busy_timeout_with_database_is_locked(database):
    holder, other = database(), database(timeout=0.2)
    _begin(holder)
    _insert(holder, "A")
    began = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        _begin(other)
    assert 0.2 <= time.monotonic() - began < 2
    holder.commit()
    _begin(other)  # the holder let go: in at once
    _insert(other, "B")
    other.commit()
    assert _codes(holder) == ["A", "B"]


def test_a_rolled_back_or_closed_writer_lets_the_next_one_in(database):
    first, second, third = database(), database(timeout=1), database(timeout=1)
    _begin(first)
    _insert(first, "undone")
    first.rollback()
    _begin(second)
    _insert(second, "B")
    second.close()  # a connection closed mid-transaction must not keep the lock
    _begin(third)
    _insert(third, "C")
    third.commit()
    assert _codes(third) == ["C"]


def test_a_writer_in_another_process_is_waited_for_too(database, tmp_path):
    writer = database()
    lock = f"{writer.settings_dict['NAME']}-writer.lock"
    # Another process holds the file lock for 0.4 s, as a gunicorn worker would.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"f = os.open({lock!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(0.4)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    began = time.monotonic()
    _begin(writer)
    waited = time.monotonic() - began
    _insert(writer, "A")
    writer.commit()
    holder.wait(5)
    assert 0.2 < waited < 2
    assert _codes(writer) == ["A"]


def test_placeholders_convert_as_django_does():
    assert _qmark("SELECT %s, '%%', x FROM t WHERE a = %s") == "SELECT ?, '%', x FROM t WHERE a = ?"
