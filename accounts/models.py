from datetime import time

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from accounts.roles import Role
from core.audit import audit_triggers
from core.validators import TIMEZONE_MAX_LENGTH, validate_timezone


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    timezone = models.CharField(max_length=TIMEZONE_MAX_LENGTH, validators=[validate_timezone])
    reminder_after_days = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Remind a patient after this many days without an exercise session.",
    )
    quiet_hours_start = models.TimeField(default=time(20, 0), help_text="No reminders from (patient's local time).")
    quiet_hours_end = models.TimeField(default=time(9, 0), help_text="No reminders until (patient's local time).")
    restrict_to_care_team = models.BooleanField(
        default=False, help_text="PTs and coaches see only patients whose care team they are on."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reminder_after_days__gte=1, reminder_after_days__lte=30),
                name="clinic_reminder_after_days_range",
            ),
        ]
        triggers = audit_triggers(patient=None, clinic="r.id")

    def __str__(self):
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_superuser=True, role="")
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A staff member (or the integration account) of one clinic; superusers are admins."""

    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="staff")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    session_epoch = models.PositiveIntegerField(
        default=0, editable=False, help_text="Raised to sign the user out of every other session (accounts.sessions).")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            # Stored lower-case, so the unique index is case-insensitive in effect.
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lower_case"),
            models.CheckConstraint(
                condition=models.Q(is_superuser=True)
                | (models.Q(clinic__isnull=False) & models.Q(role__in=Role.values)),
                name="user_staff_has_clinic_and_role",
            ),
        ]
        triggers = audit_triggers(patient=None, clinic="r.clinic_id", exclude=["password"])

    def __str__(self):
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's session check (an HMAC of the password hash) plus the epoch, so raising the epoch
        ends every session without a password change. Django's public get_session_auth_hash and its
        fallbacks both come here. Epoch 0 keeps Django's value: sessions opened before the epoch
        existed stay valid."""
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac("accounts.User.session_auth_hash", f"{self.password}:{self.session_epoch}",
                           secret=secret, algorithm="sha256").hexdigest()

    @property
    def is_staff(self) -> bool:
        """Django admin is for admins (superusers) only."""
        return self.is_superuser


class ApiTokenBinding(models.Model):
    """Ties an API token to the credentials it was issued with (accounts.tokens): a token is good
    only while the user's password hash and session epoch are what they were at the log-in."""

    token = models.OneToOneField("knox.AuthToken", on_delete=models.CASCADE, primary_key=True, related_name="binding")
    credentials = models.CharField(max_length=64, help_text="sha256 of the password hash and the session epoch.")

    def __str__(self):
        return f"binding of token {self.token_id[:8]}"
