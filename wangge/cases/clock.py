"""The lifecycle's notion of "now": the real time, or a simulated one for the demo."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_simulated: ContextVar[datetime | None] = ContextVar("wangge_simulated_now", default=None)


def now() -> datetime:
    return _simulated.get() or timezone.now()


@contextmanager
def simulated(moment: datetime):
    """Run lifecycle functions as if it were `moment` (the demo's year of cases)."""
    token = _simulated.set(moment)
    try:
        yield
    finally:
        _simulated.reset(token)
