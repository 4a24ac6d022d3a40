"""Django's PostgreSQL backend, with a cursor for the hot statements that
PostgreSQL plans once per connection.

Django sends each statement with its values written into the text
(client-side binding), so PostgreSQL parses and plans it anew every time;
the joined look-ups of every request (the token's user, the roles and their
places) spent 0.2–0.9 ms planning for 0.05–0.15 ms of work. `bound_cursor()`
sends the values apart from the statement (server-side binding), so psycopg
can prepare a statement on the server once it has run it
`prepare_threshold` times (settings: `WANGGE_PG_PREPARE_THRESHOLD`, "off" for
a pooler that cannot keep prepared statements). `wangge.core.rows` runs its
statements on it; everything else keeps Django's own cursor.

A prepared statement outlives a migration run by another process; if the
migration changed a column it returns, PostgreSQL refuses the statement
("cached plan must not change result type"). Outside a transaction the
cursor then drops the connection's prepared statements and runs it again; in
a transaction the error stands, and the rollback that follows drops them
(psycopg forgets its prepared statements on every rollback).
"""

from __future__ import annotations

from django.db.backends.postgresql import base
from psycopg import errors
from psycopg.pq import TransactionStatus


class BoundCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, **kwargs):
        try:
            return super().execute(query, params, **kwargs)
        except errors.FeatureNotSupported:
            if self.connection.info.transaction_status != TransactionStatus.IDLE:
                raise
            super().execute("DEALLOCATE ALL")  # psycopg forgets its own list too
            return super().execute(query, params, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    _bound = False  # the next cursor binds on the server

    def bound_cursor(self):
        """A cursor (wrapped as Django's, so query logging and execute wrappers
        still see each statement) that binds its values on the server."""
        self._bound = True
        try:
            return self.cursor()
        finally:
            self._bound = False

    def create_cursor(self, name=None):
        if not self._bound or name:
            return super().create_cursor(name)
        cursor = BoundCursor(self.connection)
        # As Django's own create_cursor: the cursor reads times in the
        # connection's zone unless the connection already does.
        loader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
        if self.timezone != loader.timezone:
            base.register_tzloader(self.timezone, cursor)
        return cursor
