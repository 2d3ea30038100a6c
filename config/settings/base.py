"""Settings shared by every environment. Everything configurable comes from the environment
(12-factor); see `.env.example` for the full list."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])



def service_settings(database_url: str, redis_url: str) -> dict:
    """Settings that depend on where PostgreSQL and Redis are; each environment picks the URLs."""
    database = env.db_url_config(database_url)
    database.update(CONN_MAX_AGE=env.int("DATABASE_CONN_MAX_AGE", default=60), CONN_HEALTH_CHECKS=True)
    # A request either completes or leaves no row (issue 10 §2): a view that fails after a service
    # wrote (a 500, or a DRF error) rolls the whole request back. Domain errors answered by
    # core.api.errors keep what was written (e.g. django-axes' record of a failed login).
    database.update(ATOMIC_REQUESTS=True)
    broker = env("CELERY_BROKER_URL", default="") or celery_broker_url(redis_url)
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DATABASES": {"default": database},
        # a Redis that does not answer fails a request in seconds (a clear 503), not after minutes
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url,
                               "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}},
        "CELERY_BROKER_URL": broker,
    }


def with_redis_db(redis_url: str, db: int) -> str:
    """The same Redis server, another logical database (tests keep off the development data)."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}?db={db}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a Unix-socket Redis `redis+socket://` and its database `virtual_host`."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    db = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair).get("db")
    return f"redis+socket://{parts.path}" + (f"?virtual_host={db}" if db else "")


def embedded_or_env_services() -> dict:
    """The URLs when given, else the embedded PostgreSQL and Redis under .data/ (development, tests)."""
    return service_settings(
        env("DATABASE_URL", default="") or embedded.database_url(),
        env("REDIS_URL", default="") or embedded.redis_url(),
    )


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served locally: no CDN
    "pgtrigger",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_celery_beat",
    "core",
    "accounts",
    "patients",
    "careplans",
    "exercises",
    "coaching",
    "outcomes",
    "demo",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
    "core.middleware.AuditContextMiddleware",
    "core.middleware.RedisUnavailableMiddleware",  # last: the first to see a view's exception
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must come first: refuses locked-out logins
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
SESSION_COOKIE_AGE = env.int("SESSION_HOURS", default=10) * 3600
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "web.staticfinders.VendorFinder",
]

# Login throttling: 5 failures for one (email, IP) lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "MoveRx"  # the name authenticator apps show next to the code
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's key or QR code

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.BoundTokenAuthentication",  # knox's, bound to the credentials
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "core.api.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "core.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PagePagination",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_THROTTLE_RATE", default="20/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": False,
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=24 * 14)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MoveRx API",
    "DESCRIPTION": "Clinician-side care-plan management for back-pain physical therapy.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "ENUM_NAME_OVERRIDES": {
        "CarePlanStatusEnum": "careplans.models.CarePlan.Status",
        "PrescriptionStatusEnum": "exercises.models.Prescription.Status",
        "PatientEquipmentEnum": "careplans.models.Equipment",
        "ExerciseEquipmentEnum": "exercises.models.EXERCISE_EQUIPMENT",
        "GoalCategoryEnum": "careplans.models.GoalCategory",
        "ExerciseCategoryEnum": "exercises.models.Category",
        "ChangeReasonEnum": "exercises.models.ChangeReason",
        "ModifyReasonEnum": "exercises.api.MODIFY_REASONS",
        "ReportStatusEnum": "outcomes.models.OutcomeReport.Status",
        "ReminderStatusEnum": "coaching.models.ReminderDelivery.Status",
        "HabitGoalStatusEnum": "coaching.models.HabitGoal.Status",
        "ReportSegmentEnum": "outcomes.api.SEGMENT_CHOICES",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: at-least-once delivery; the database makes effects exactly-once (DESIGN.md, reliability).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Socket timeouts bound every send (a .delay() in a request, the outbox's fast path) when Redis hangs
# without closing the connection. The worker's BRPOP is unaffected: it asks Redis to answer within
# brpop_timeout (1 s), far below socket_timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 3600),
    "socket_connect_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=3.0),
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=3.0),
}
CELERY_TASK_TIME_LIMIT = 30 * 60  # longer than any task; far below the visibility timeout
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker's records go through LOGGING: JSON lines too

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="MoveRx <no-reply@moverx.local>")
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{env('PORT', default='8000')}").rstrip("/")
# The staff page of one patient (web/urls.py `web:patient`; tests/test_layers.py keeps them equal), for
# the alert e-mails of patients.services, which sit below web and so cannot reverse its URL names.
PATIENT_PAGE_PATH = "/patients/{patient_id}/"

# Adherence reminders (coaching/services/reminders.py)
REMINDER_CHANNELS = {
    "email": env("REMINDER_EMAIL_CHANNEL", default="coaching.channels.EmailChannel"),
    "sms": env("REMINDER_SMS_CHANNEL", default="coaching.channels.LoggingChannel"),
}
REMINDER_LOG_FILE = env("REMINDER_LOG_FILE", default=str(BASE_DIR / ".data" / "reminders.log"))
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
REMINDER_STUCK_AFTER_SECONDS = env.int("REMINDER_STUCK_AFTER_SECONDS", default=600)
REMINDER_REENQUEUE_AFTER_SECONDS = env.int("REMINDER_REENQUEUE_AFTER_SECONDS", default=600)
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=100)

# Transactional outbox and report recovery (core/outbox.py, outcomes/services.py; issue 10 §3)
# attempts before a message is `failed`: 12 is about 5 hours with the backoff below (30 s doubling to
# a 1 h cap). Handlers marked @never_give_up (safety alerts) ignore it and retry hourly until delivered.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=12)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_STUCK_AFTER_SECONDS = env.int("OUTBOX_STUCK_AFTER_SECONDS", default=300)  # longer than EMAIL_TIMEOUT
OUTBOX_DRAIN_BATCH = env.int("OUTBOX_DRAIN_BATCH", default=100)
OUTBOX_DRAIN_SECONDS = env.int("OUTBOX_DRAIN_SECONDS", default=20)  # a drain stops claiming then; below the 30 s tick
OUTBOX_HEALTH_UNDELIVERED_MINUTES = env.int("OUTBOX_HEALTH_UNDELIVERED_MINUTES", default=15)  # /healthz reports older
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # an SMTP server that hangs must not hold a delivery forever
REPORT_HEARTBEAT_STALE_SECONDS = env.int("REPORT_HEARTBEAT_STALE_SECONDS", default=180)
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=3)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# JSON lines on standard error, each with the request id (core/logs.py); the worker logs the same way
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "pgserver": {"level": "WARNING"},
                # runserver's access lines repeat RequestIdMiddleware's `request.finished`
                "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}

# Hostile input (DESIGN.md: bad input is a 4xx, never a 5xx). Bodies over the cap answer 413, more
# form fields than the cap 400, JSON nested deeper than the cap 400, before anything is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("MAX_REQUEST_FORM_FIELDS", default=1000)
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

AXES_LOCKOUT_CALLABLE = "web.views.auth.lockout_response"

# --- Authentication hardening (accounts.lockout, accounts.sessions, password reset) ---
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the header is ignored
# and the socket's address counts, so a forged header can neither lift the log-in throttle nor lock
# a colleague out. Set it only when every request passes through that many proxies.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT  # any other DRF throttle reads the header the same way
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_MINUTES", default=60) * 60  # the e-mailed link's life
PASSWORD_RESET_RATE = env("PASSWORD_RESET_RATE", default="5/h")  # requests per address and per e-mail

# Database roles: `migrate` runs as the schema's owner (its DATABASE_URL); the web and the Celery
# processes connect as the role in DATABASE_APP_URL, which `manage.py grant_app_role` (run by the
# owner after migrate) creates with DML rights only. Empty: one role (the embedded default).
DATABASE_APP_URL = env("DATABASE_APP_URL", default="")
# Database flush: `manage.py flush` may pass the TRUNCATE triggers (as the owner) only where this is
# True, which only config/settings/test.py sets; elsewhere the triggers refuse it.
ALLOW_FLUSH = False

# Content-Security-Policy (django-csp): scripts only from this origin, never inline (pages keep
# their code in static files and their chart data in JSON blocks). Styles may be inline: plotly and
# Swagger UI set them at run time. The API docs load their start-up script from a URL of their own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
