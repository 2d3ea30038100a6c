import hashlib
import ipaddress
import logging

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from core.logs import email_digest

logger = logging.getLogger("moverx.auth")


def client_address(request) -> str:
    """The address a request came from, for the log-in throttle and lock-out (AXES_CLIENT_IP_CALLABLE).

    X-Forwarded-For is anyone's to write, so it counts only behind TRUSTED_PROXY_COUNT proxies, and
    then only the entry the outermost trusted proxy added (the N-th from the right): what the client
    wrote itself stays to the left of it. Without trusted proxies it is the socket's address."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if count <= 0 or not forwarded:
        return remote
    candidate = forwarded[-min(count, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class LoginThrottle(ScopedRateThrottle):
    """DRF's per-address rate, keyed by `client_address` rather than DRF's own reading of the header."""

    def get_ident(self, request):
        return client_address(request)


class _PasswordResetThrottle(SimpleRateThrottle):
    """PASSWORD_RESET_RATE for one key (a client address or an e-mail address), DRF's sliding window."""

    scope = "password_reset"

    def __init__(self, ident: str):
        self.ident = ident
        super().__init__()

    def get_rate(self):
        return settings.PASSWORD_RESET_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident}


def password_reset_allowed(request, email: str) -> bool:
    """Whether another reset e-mail may be asked for, from this address and for this e-mail. The
    counters live in Redis; when it is down the request is let through: the page must not fail, and
    the e-mail still goes only to the account's own address."""
    email_key = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    keys = [f"address:{client_address(request)}", f"email:{email_key}"]
    try:
        return all(_PasswordResetThrottle(key).allow_request(request, None) for key in keys)
    except (RedisError, OSError):
        logging.getLogger(__name__).warning("password-reset throttle unavailable (cache down)", exc_info=True)
        return True


def login_username(request, credentials) -> str | None:
    """The email whichever way it came: `email` (API) or `username` (the sign-in page)."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or request.POST.get("username", "")
    return value.strip().lower() or None


def log_login_failure(sender, credentials, request=None, **kwargs) -> None:
    """Every failed log-in (page, API, admin; locked-out ones too), from Django's `user_login_failed`.
    The address is logged as a digest: failures for one account can be followed without the logs
    holding who it is; the password never reaches the log."""
    email = str(credentials.get("email") or credentials.get("username") or "")
    logger.warning("login failed", extra={"event": "login.failed", "email_digest": email_digest(email) if email else "",
                                          "locked_out": bool(getattr(request, "axes_locked_out", False))})
