"""Tests: real PostgreSQL and Redis (the URLs or the embedded ones), nothing faked."""

from .base import *  # noqa: F403
from .base import embedded_or_env_services

vars().update(embedded_or_env_services())

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"  # noqa: S105
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5
