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
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}},
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
    "axes.middleware.AxesMiddleware",
    "core.middleware.AuditContextMiddleware",
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
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PagePagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
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
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 3600)}
CELERY_TASK_TIME_LIMIT = 30 * 60  # longer than any task; far below the visibility timeout
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="MoveRx <no-reply@moverx.local>")
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{env('PORT', default='8000')}").rstrip("/")

# Adherence reminders (coaching/reminders.py)
REMINDER_CHANNELS = {
    "email": env("REMINDER_EMAIL_CHANNEL", default="coaching.channels.EmailChannel"),
    "sms": env("REMINDER_SMS_CHANNEL", default="coaching.channels.LoggingChannel"),
}
REMINDER_LOG_FILE = env("REMINDER_LOG_FILE", default=str(BASE_DIR / ".data" / "reminders.log"))
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
REMINDER_STUCK_AFTER_SECONDS = env.int("REMINDER_STUCK_AFTER_SECONDS", default=600)
REMINDER_REENQUEUE_AFTER_SECONDS = env.int("REMINDER_REENQUEUE_AFTER_SECONDS", default=600)
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=100)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}},
}
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
