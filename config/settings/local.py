"""Development: `make run`. DEBUG on, console e-mail, embedded services unless URLs are given."""

from .base import *  # noqa: F403
from .base import embedded_or_env_services, env

vars().update(embedded_or_env_services())

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-development-key-do-not-use-in-production")
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
