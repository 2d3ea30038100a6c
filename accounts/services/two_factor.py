"""TOTP two-factor authentication (DESIGN.md, Authentication): a clinician may turn it on, and from
then on every log-in, in the browser and for an API token, needs the 6-digit code of their
authenticator app as well as the password. Devices, replay protection (a code works once) and the
throttle after wrong codes come from django-otp; each check holds the device's row lock, so
parallel guesses queue behind the throttle instead of racing past it."""

from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.sessions import sign_out_everywhere_else
from core.audit import record_change
from core.errors import Conflict, Forbidden, InvalidInput

CODE_REQUIRED = "This account uses two-factor authentication: enter the 6-digit code from your authenticator app."
CODE_WRONG = "That code is not right or has expired (each code works once). Try the current one."


def is_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def with_status(users):
    """Users annotated with `two_factor_enabled`, in the same query."""
    return users.annotate(two_factor_enabled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))


def _verified(devices, code: str) -> bool:
    """Check `code` against the devices under their row locks. The transaction commits either
    way: a wrong code must leave its mark on the throttle."""
    code = "".join((code or "").split())
    with transaction.atomic():
        return any(device.verify_token(code) for device in devices.select_for_update())


def check_code(user, code: str | None, *, field: str = "otp") -> None:
    """Pass if the user has not turned two-factor on or `code` is their current code; else refuse
    with a field error."""
    devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    if not devices.exists():
        return
    if not code or not code.strip():
        raise InvalidInput({field: [CODE_REQUIRED]})
    if not _verified(devices, code):
        raise InvalidInput({field: [CODE_WRONG]})


def pending_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


@transaction.atomic
def setup_start(user) -> TOTPDevice:
    """A new secret to scan; it does nothing until confirmed with a code from the app. Replacing
    a device that is on goes through `disable` (password and code) first."""
    if is_enabled(user):
        raise Conflict("Two-factor authentication is already on; turn it off first to set up a new app.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def setup_confirm(user, code: str, *, request=None) -> None:
    """Turn it on. Every other session and every API token of the user ends: whoever held one signs
    in again, with a code. `request`'s session (the user's own) stays signed in."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False)
    if not pending.exists():
        raise InvalidInput({"code": ["Start the set-up first."]})
    if not _verified(pending, code):
        raise InvalidInput({"code": [CODE_WRONG]})
    with transaction.atomic():
        if is_enabled(user):
            raise Conflict("Two-factor authentication is already on.")
        pending.update(confirmed=True)
        sign_out_everywhere_else(user, request=request)
        _record(user, actor=user, now=True)


def disable(user, *, password: str, code: str) -> None:
    """Turning it off needs the password and a current code: a session left open is not enough."""
    if not user.check_password(password):
        raise InvalidInput({"password": ["The password is not right."]})
    check_code(user, code, field="code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        _record(user, actor=user, now=False)


@transaction.atomic
def reset(user, *, actor) -> None:
    """For a lost phone: a manager (or an admin) removes a staff member's devices; they sign in
    with the password alone and may set it up again. Not one's own: that is `disable`."""
    if user.pk == actor.pk:
        raise Forbidden("Turn your own two-factor authentication off on the Two-factor page.")
    if TOTPDevice.objects.filter(user=user).delete()[0]:
        _record(user, actor=actor, now=False)


def _record(user, *, actor, now: bool) -> None:
    record_change(actor=actor, table="accounts_user", object_id=user.pk, clinic_id=user.clinic_id,
                  changes={"two_factor": [not now, now]})


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (made here: no network)."""
    out = BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):].replace("<svg ", '<svg role="img" aria-label="QR code to scan" ', 1)


def secret(device: TOTPDevice) -> str:
    """The key as base32, for typing into an app by hand."""
    return b32encode(device.bin_key).decode()
