"""SQL expressions shared by the apps."""

from django.db.models import Func


class Unindexed(Func):
    """A column SQLite must not pick an index for (`+column`): a filter that names
    several indexed columns lets it use the narrower index. SQLite has no
    statistics unless ANALYZE ran, so it guesses; PostgreSQL plans by its own
    statistics and gets the plain column."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="+%(expressions)s", **extra)
