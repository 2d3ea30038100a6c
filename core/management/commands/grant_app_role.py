"""`manage.py grant_app_role`: after `migrate`, as the schema's owner, create or update the role the
web and the Celery processes connect as, with the rights they need and no more (README, "Database
roles"): DML on the tables, the sequences, no CREATE in the schema; not the tables' owner, so it
cannot ALTER, DROP or TRUNCATE them. Safe to run after every migrate."""

from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql

DML = sql.SQL("SELECT, INSERT, UPDATE, DELETE")


def append_only_tables() -> list[str]:
    """Tables whose rows the database never lets change (an `append_only` trigger): the app role
    gets no UPDATE or DELETE on them, so not even a session that sets `pgtrigger.ignore` can."""
    return sorted(model._meta.db_table for model in apps.get_models()
                  if any(trigger.name == "append_only" for trigger in getattr(model._meta, "triggers", [])))


class Command(BaseCommand):
    help = "Create or update the application's database role (DML rights only); run as the owner after migrate."

    def add_arguments(self, parser):
        parser.add_argument("--role", help="Role name (default: the user of DATABASE_APP_URL).")

    def handle(self, *args, role=None, **options):
        name, password = self._role_and_password(role)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_schema(), current_database()")
            owner, schema, database = cursor.fetchone()
            if name == owner:
                raise CommandError(f"The application's role must not be the owner ({owner}) that migrates.")
            self._upsert_role(cursor, name, password)
            for statement in grant_statements(name, schema, database):
                cursor.execute(statement.as_string(connection.connection))
        self.stdout.write(f"Role {name}: DML rights on schema {schema} of {database}.")

    def _role_and_password(self, role: str | None) -> tuple[str, str | None]:
        url = urlsplit(settings.DATABASE_APP_URL) if settings.DATABASE_APP_URL else None
        name = role or (unquote(url.username) if url and url.username else "")
        if not name:
            raise CommandError("Set DATABASE_APP_URL (the URL the web and workers use) or pass --role.")
        password = unquote(url.password) if url and url.password and not role else None
        return name, password

    def _upsert_role(self, cursor, name: str, password: str | None) -> None:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        options = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
        statement = sql.SQL("{} ROLE {} WITH {}").format(sql.SQL(verb), sql.Identifier(name), options)
        if password is not None:
            statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
        cursor.execute(statement.as_string(connection.connection))


def grant_statements(role: str, schema: str, database: str) -> list[sql.Composed]:
    """The grants, in order; `ALTER DEFAULT PRIVILEGES` covers the tables later migrations create."""
    who, where = sql.Identifier(role), sql.Identifier(schema)
    statements = [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), who),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(where),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(where, who),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(where, who),
        # From scratch on every run: a right granted by hand earlier (TRUNCATE, ALL) does not survive.
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(where, who),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(DML, where, who),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(where, who),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON TABLES TO {}").format(where, DML, who),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(where, who),
    ]
    statements += [sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(schema, table), who)
                   for table in append_only_tables()]
    return statements
