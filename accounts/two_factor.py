"""TOTP two-factor authentication (DESIGN.md, Authentication): a clinician may turn it on, and from
then on every log-in, in the browser and for an API token, needs the 6-digit code of their
authenticator app as well as the password. Devices, replay protection (a code works once) and the
throttle after wrong codes come from django-otp."""

from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.errors import InvalidInput

CODE_REQUIRED = "This account uses two-factor authentication: enter the 6-digit code from your authenticator app."
CODE_WRONG = "That code is not right or has expired (each code works once). Try the current one."


def is_enabled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def with_status(users):
    """Users annotated with `two_factor_enabled`, in the same query."""
    return users.annotate(two_factor_enabled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))


def check_code(user, code: str | None, *, field: str = "otp") -> None:
    """Pass if the user has not turned two-factor on or `code` is their current code; else refuse
    with a field error. Not inside a transaction that the refusal rolls back: a wrong code must
    leave its mark on the device's throttle (django-otp slows the next tries down)."""
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        return
    if not code or not code.strip():
        raise InvalidInput({field: [CODE_REQUIRED]})
    code = "".join(code.split())
    if not any(device.verify_token(code) for device in devices):
        raise InvalidInput({field: [CODE_WRONG]})


def pending_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


@transaction.atomic
def setup_start(user) -> TOTPDevice:
    """A new secret to scan; it does nothing until confirmed with a code from the app."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def setup_confirm(user, code: str) -> TOTPDevice:
    device = pending_device(user)
    if device is None:
        raise InvalidInput({"code": ["Start the set-up first."]})
    if not device.verify_token("".join((code or "").split())):
        raise InvalidInput({"code": [CODE_WRONG]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device


def disable(user, *, password: str, code: str) -> None:
    """Turning it off needs the password and a current code: a session left open is not enough."""
    if not user.check_password(password):
        raise InvalidInput({"password": ["The password is not right."]})
    check_code(user, code, field="code")
    TOTPDevice.objects.filter(user=user).delete()


def reset(user) -> None:
    """For a lost phone: a manager (or an admin) removes the staff member's devices; they log in
    with the password alone and may set it up again."""
    TOTPDevice.objects.filter(user=user).delete()


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (made here: no network)."""
    out = BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):].replace("<svg ", '<svg role="img" aria-label="QR code to scan" ', 1)


def secret(device: TOTPDevice) -> str:
    """The key as base32, for typing into an app by hand."""
    return b32encode(device.bin_key).decode()
