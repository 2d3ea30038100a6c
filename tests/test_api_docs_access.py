"""In production the OpenAPI schema and the Swagger page need a signed-in user. drf-spectacular
binds its permissions when its views are imported, so this runs the real production settings in a
process of its own, against the test database."""

import secrets
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import UserFactory
from tests.test_deployment import ROOT, base_env

pytestmark = pytest.mark.django_db(transaction=True)  # the subprocess must see the user

PROBE = """
import sys
from django.test import Client, override_settings
from accounts.models import User
# No collectstatic here: the manifest storage of production would have no entries to look up.
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
client = Client(HTTP_HOST="moverx.example.org")
def status(path):
    return client.get(path, secure=True).status_code
anonymous = [status("/api/schema/"), status("/api/docs/"), status("/api/docs/?script=")]
client.force_login(User.objects.get(email=sys.argv[-1]))
signed_in = [status("/api/schema/"), status("/api/docs/"), status("/api/docs/?script=")]
print(anonymous, signed_in)
"""


def test_schema_and_docs_need_a_signed_in_user_in_production():
    user = UserFactory()
    test_database_url = urlsplit(settings.DATABASE_URL)._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    env = base_env(DJANGO_SETTINGS_MODULE="config.settings.production", DATABASE_URL=test_database_url,
                   REDIS_URL=settings.REDIS_URL, DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
                   DJANGO_ALLOWED_HOSTS="moverx.example.org")
    result = subprocess.run([sys.executable, "-c", _script(), user.email], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[401, 401, 401] [200, 200, 200]"


def _script() -> str:
    return "import django; django.setup()\nfrom django.conf import settings\n" + PROBE
