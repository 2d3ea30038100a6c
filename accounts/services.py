from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from knox.models import AuthToken

from accounts import two_factor
from accounts.models import Clinic, User
from core.errors import DomainError, InvalidInput

WRONG_CREDENTIALS = "Unable to log in with the email and password given."


class LoginLocked(DomainError):
    status_code = 429
    default_detail = "Too many failed log-in attempts. Try again later."


def clinic_create(*, name: str, timezone: str, **settings) -> Clinic:
    """A new clinic with its reminder settings (defaults for those not given)."""
    return Clinic.objects.create(name=name, timezone=timezone, **settings)


def clinic_update(*, clinic: Clinic, **fields) -> Clinic:
    for name, value in fields.items():
        setattr(clinic, name, value)
    clinic.save(update_fields=list(fields))
    return clinic


def staff_create(*, email: str, password: str, role: str, clinic: Clinic, first_name="", last_name="") -> User:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput({"email": ["A user with this email already exists."]})
    user = User(email=email, first_name=first_name, last_name=last_name, role=role, clinic=clinic)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput({"password": list(error.messages)}) from error
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def staff_deactivate(*, user: User) -> User:
    """Deactivated staff cannot log in, and every API token they held stops working at once."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    AuthToken.objects.filter(user=user).delete()
    return user


def token_issue(*, request, email: str, password: str, otp: str = "") -> tuple[str, User]:
    """Log in for the API. Wrong credentials get one message whether the email exists or not;
    repeated failures lock the (email, address) pair out (django-axes). With two-factor on, the
    current code is needed too."""
    user = authenticate(request, email=email.strip().lower(), password=password)
    if getattr(request, "axes_locked_out", False):
        raise LoginLocked()
    if user is None:
        raise InvalidInput({"non_field_errors": [WRONG_CREDENTIALS]})
    two_factor.check_code(user, otp)
    _, token = AuthToken.objects.create(user=user)
    return token, user


def token_revoke(*, token: AuthToken) -> None:
    token.delete()
