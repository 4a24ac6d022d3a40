"""The shared database cache, with an atomic increment.

Django's DatabaseCache increments by a get and a set, which two processes can
interleave and which resets the entry's expiry. Rate limits (django-ratelimit)
count with `incr`, so here it runs in one transaction with the row locked and
changes the value only.
"""

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction


class SharedDatabaseCache(DatabaseCache):
    def incr(self, key, delta=1, version=None):
        full_key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"SELECT cache_key FROM {table} WHERE cache_key = %s{lock}", [full_key])
            locked = cursor.fetchone() is not None
            value = self.get(key, version=version) if locked else None  # checks the expiry
            if value is None:
                raise ValueError(f"Key '{key}' not found")
            value += delta
            stored = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET value = %s WHERE cache_key = %s", [stored, full_key]
            )
        return value
