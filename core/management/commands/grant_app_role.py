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

from core.models import guarded_writes

DML = sql.SQL("SELECT, INSERT, UPDATE, DELETE")


def guarded_tables() -> dict[str, tuple[set[str], set[str]]]:
    """Tables whose triggers refuse UPDATE and/or DELETE (core.models.guarded_writes): the app role
    loses those rights too, so not even a session that sets `pgtrigger.ignore` can; where an UPDATE
    may still set some columns (a correctable fact's `superseded_at`), it gets UPDATE on those only."""
    guarded = {model._meta.db_table: guarded_writes(model) for model in apps.get_models()}
    return {table: writes for table, writes in sorted(guarded.items()) if writes[0]}


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
            self._revoke_memberships(cursor, name, owner)
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

    def _revoke_memberships(self, cursor, name: str, owner: str) -> None:
        """The app role inherits no other role's rights: a member of the owner could SET ROLE to it
        and ALTER, DROP or TRUNCATE; a member of any other role would get rights this command did
        not choose. Refused if a membership outlives the REVOKE (one the owner may not revoke)."""
        for granted in memberships(cursor, name):
            statement = sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(granted), sql.Identifier(name))
            cursor.execute(statement.as_string(connection.connection))
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [name, owner])
        if cursor.fetchone()[0] or memberships(cursor, name):
            raise CommandError(f"The role {name} is still a member of {', '.join(memberships(cursor, name))}:"
                               " revoke that as a superuser, then run this again.")


def memberships(cursor, role: str) -> list[str]:
    """The roles `role` is directly a member of (through them, of any others)."""
    cursor.execute("SELECT granted.rolname FROM pg_catalog.pg_auth_members m"
                   " JOIN pg_catalog.pg_roles granted ON granted.oid = m.roleid"
                   " JOIN pg_catalog.pg_roles member ON member.oid = m.member"
                   " WHERE member.rolname = %s ORDER BY 1", [role])
    return [row[0] for row in cursor.fetchall()]


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
    for table, (refused, updatable) in guarded_tables().items():
        target = sql.Identifier(schema, table)
        rights = sql.SQL(", ").join(sql.SQL(right) for right in sorted(refused))
        statements.append(sql.SQL("REVOKE {} ON {} FROM {}").format(rights, target, who))
        if updatable:
            columns = sql.SQL(", ").join(sql.Identifier(column) for column in sorted(updatable))
            statements.append(sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(columns, target, who))
    return statements
