"""Tests: real PostgreSQL and Redis (the URLs or the embedded ones), nothing faked."""

from .base import *  # noqa: F403
from .base import embedded_or_env_services, env, service_settings, with_redis_db

_services = embedded_or_env_services()
# Redis database 15: tests flush it freely without touching a developer's queue or cache.
vars().update(service_settings(_services["DATABASE_URL"], with_redis_db(_services["REDIS_URL"], 15)))

# Unit tests run tasks in-process; the tests that claim to test delivery start a real worker
# against a real Redis of their own (tests/celery_harness.py).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"  # noqa: S105
# A worker process started by a test writes its e-mails where the test can count them.
EMAIL_BACKEND = env("TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5
# The suite empties the database between committing tests with `manage.py flush` (core's, past the
# TRUNCATE triggers); no other settings allow that.
ALLOW_FLUSH = True
