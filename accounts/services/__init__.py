from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken

from accounts.models import Clinic, User
from accounts.roles import Role
from accounts.services import two_factor
from accounts.sessions import sign_out_everywhere_else
from accounts.tokens import token_create
from core.audit import record_change
from core.errors import Conflict, DomainError, InvalidInput
from core.outbox import outbox_add

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
    user.set_password(_validated_password(password, user))
    user.save()
    return user


def _validated_password(password: str, user: User) -> str:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput({"password": list(error.messages)}) from error
    return password


@transaction.atomic
def staff_deactivate(*, user: User) -> User:
    """Deactivated staff cannot log in, and every session and API token they held ends at once."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    sign_out_everywhere_else(user)
    return user


@transaction.atomic
def staff_role_change(*, actor: User, user: User, role: str) -> User:
    """Move a staff member to another role (the user table's trigger records it). Nobody changes their
    own role, no role makes an admin, and a clinic keeps at least one active manager."""
    if role not in Role.values:
        raise InvalidInput({"role": [f"Choose one of: {', '.join(Role.values)}."]})
    if user.pk == actor.pk:
        raise InvalidInput({"role": ["You cannot change your own role: ask another manager or an admin."]})
    if user.is_superuser:
        raise InvalidInput({"role": ["An admin's role is not the clinic's to change."]})
    if user.role == Role.MANAGER and role != Role.MANAGER and user.is_active:
        # lock the clinic's managers: two demotions at once cannot both pass this check
        managers = User.objects.select_for_update().filter(clinic_id=user.clinic_id, role=Role.MANAGER,
                                                           is_active=True, is_superuser=False)
        if not [manager for manager in managers if manager.pk != user.pk]:
            raise Conflict(f"{user} is the clinic's last active manager: make someone else manager first.")
    user.role = role
    user.save(update_fields=["role"])
    return user


@transaction.atomic
def staff_password_reset(*, actor: User, user: User) -> None:
    """A manager sends a staff member the password-reset link (the same outbox e-mail as the sign-in
    page's "forgot password"); the trail records who asked."""
    if not user.is_active:
        raise Conflict(f"{user} is deactivated: no reset link is sent.")
    if not user.has_usable_password():
        raise Conflict(f"{user} has no password to reset.")
    password_reset_request(email=user.email)
    record_change(actor=actor, table="accounts_user", object_id=user.pk, clinic_id=user.clinic_id,
                  changes={"password_reset": [None, "link sent"]})


@transaction.atomic
def password_set(*, user: User, password: str, actor: User | None = None, request=None, how: str = "changed") -> User:
    """Every path that sets a password (change, reset by e-mail, the admin) comes here: the user's API
    tokens and every other session end; `request`'s session, the user's own, stays signed in."""
    user.set_password(_validated_password(password, user))
    user.save(update_fields=["password"])
    sign_out_everywhere_else(user, request=request)
    record_change(actor=actor or user, table="accounts_user", object_id=user.pk, clinic_id=user.clinic_id,
                  changes={"password": [None, how]})
    return user


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Someone asked for a reset link for `email`. The e-mail is an outbox row (only for an active
    account with a password), sent by a worker: the request does the same work (one short insert
    aside) whether the address has an account or not, and never waits for an SMTP server."""
    user = User.objects.filter(email=email.strip().lower(), is_active=True).first()  # stored lower-case
    if user is not None and user.has_usable_password():
        outbox_add(handler="accounts.services.password_reset_mail", payload={"user_id": user.pk})


def password_reset_mail(*, user_id: int, idempotency_key: str = "") -> int:
    """Send the reset link (an outbox handler). The link is made now, from the user's current state,
    so no token is ever stored or logged; it works once, for PASSWORD_RESET_TIMEOUT from now.
    Returns how many e-mails were sent (0 if the account was deactivated meanwhile)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return 0
    # the link names the configured site: no request, and so no Host header, is involved
    context = {"uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user),
               "site_url": settings.SITE_URL, "timeout_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    subject = "".join(render_to_string("accounts/email/password_reset_subject.txt", context).splitlines())
    headers = {"Message-ID": f"<password-reset-{idempotency_key}@moverx>"} if idempotency_key else {}
    EmailMessage(subject=subject, body=render_to_string("accounts/email/password_reset.txt", context),
                 to=[user.email], headers=headers).send()
    return 1


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
    # bound to `user` as authenticated: a password change or 2FA set-up committing meanwhile ends it
    return token_create(user=user), user


def token_revoke(*, token: AuthToken) -> None:
    token.delete()
