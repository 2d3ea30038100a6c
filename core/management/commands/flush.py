"""Django's `flush`, allowed past the TRUNCATE triggers (core.models.refuse_truncate) for the
tables' owner only, and only where the ALLOW_FLUSH setting says so (the test settings: tests that
commit, transaction=True or live_server, empty the database with it). Anywhere else it is Django's
own, which the triggers refuse: no one empties a real audit trail with one command."""

from contextlib import contextmanager

from django.conf import settings
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from core.models import ALLOW_TRUNCATE_SETTING


@contextmanager
def truncate_allowed(connection):
    """Let this connection's TRUNCATEs through the triggers while the block runs (the owner's only:
    the trigger checks that too)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', false)", [ALLOW_TRUNCATE_SETTING])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', false)", [ALLOW_TRUNCATE_SETTING])


class Command(flush.Command):
    def handle(self, **options):
        if not settings.ALLOW_FLUSH:
            return super().handle(**options)
        with truncate_allowed(connections[options.get("database") or DEFAULT_DB_ALIAS]):
            return super().handle(**options)
