"""Several counters redeem at once: balances and stock never go below zero.

Threads start on a barrier, each with its own connection. Run on SQLite and on
PostgreSQL (DATABASE_URL=postgres://…): the conditional UPDATEs hold on both.
"""

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from wangge.points import services
from wangge.points.errors import Insufficient, PointsError
from wangge.points.models import Good, PointAccount, PointEntry, Redemption
from wangge.residents.models import Household

pytestmark = pytest.mark.django_db(transaction=True)
N = 8


def race(n, attempt):
    """Run `attempt(i)` in n threads released together; return (results, refusals, crashes)."""
    barrier = threading.Barrier(n)
    results, refusals, crashes = [], [], []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait(timeout=30)
            outcome = attempt(i)
            with lock:
                results.append(outcome)
        except PointsError as error:
            with lock:
                refusals.append(error)
        except Exception as error:  # noqa: BLE001 - reported by the test
            with lock:
                crashes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, refusals, crashes


def fund(t, household, times, now):
    for _ in range(times):
        services.record(t.grid_leader, household, t.rule_small, now=now)  # +5 each


def test_concurrent_redemptions_never_overdraw_a_balance(village_rules, now):
    t = village_rules
    Good.objects.filter(pk=t.oil.pk).update(stock=100)
    fund(t, t.h_a1w, 20, now)  # 100 points: three oils (90) at most
    results, refusals, crashes = race(
        N, lambda i: services.redeem(t.grid_worker, t.h_a1w, Good.objects.get(pk=t.oil.pk), 1)
    )
    assert not crashes, crashes
    assert len(results) == 3
    assert len(refusals) == N - 3 and all(isinstance(e, Insufficient) for e in refusals)
    assert PointAccount.objects.get(household=t.h_a1w).balance == 10
    assert Good.objects.get(pk=t.oil.pk).stock == 97
    ledger = PointEntry.objects.filter(household=t.h_a1w).aggregate(s=Sum("points"))["s"]
    assert ledger == 10


def test_concurrent_redemptions_never_take_stock_below_zero(village_rules, now):
    t = village_rules
    households = [t.h_a1w, t.h_a1e, t.h_a2]
    for number in range(3, N):
        households.append(
            Household.objects.create(
                town=t.town, village=t.va, grid=t.a1, number=f"A1-{number:03d}", address="杨村"
            )
        )
    for household in households:
        fund(t, household, 8, now)  # 40 points each: one oil each is affordable
    results, refusals, crashes = race(
        N,
        lambda i: services.redeem(t.grid_leader, households[i], Good.objects.get(pk=t.oil.pk), 1),
    )
    assert not crashes, crashes
    assert len(results) == 5  # the stock
    assert len(refusals) == N - 5 and all(isinstance(e, Insufficient) for e in refusals)
    assert Good.objects.get(pk=t.oil.pk).stock == 0
    assert Redemption.objects.count() == 5
    # The refused ones kept every point.
    balances = sorted(PointAccount.objects.values_list("balance", flat=True))
    assert balances == [10] * 5 + [40] * (N - 5)


def test_mixed_race_on_balance_and_stock(village_rules, now):
    """Two goods, one balance: the sum of what was taken equals what the ledger says."""
    t = village_rules
    fund(t, t.h_a1w, 10, now)  # 50 points
    goods = [t.oil.pk, t.soap.pk]

    def attempt(i):
        return services.redeem(t.grid_worker, t.h_a1w, Good.objects.get(pk=goods[i % 2]), 1)

    results, refusals, crashes = race(N, attempt)
    assert not crashes, crashes
    spent = sum(r.points for r in results)
    balance = PointAccount.objects.get(household=t.h_a1w).balance
    assert balance >= 0 and balance == 50 - spent
    assert spent <= 50
    oil_sold = sum(1 for r in results if r.good_id == t.oil.pk)
    soap_sold = len(results) - oil_sold
    assert Good.objects.get(pk=t.oil.pk).stock == 5 - oil_sold
    assert Good.objects.get(pk=t.soap.pk).stock == 100 - soap_sold
