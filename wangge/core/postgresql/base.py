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
"""

from __future__ import annotations

from django.db.backends.postgresql import base


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
        factory = self.connection.cursor_factory
        self.connection.cursor_factory = base.ServerBindingCursor
        try:
            return super().create_cursor(name)
        finally:
            self.connection.cursor_factory = factory
