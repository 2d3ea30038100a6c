"""TOTP two-factor (DESIGN.md, Authentication): set up and confirmed in the browser, then needed at
every sign-in, on the web, in the admin and for an API token; turned off only with password and
code; reset by a manager for a lost phone."""

import re

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.services import two_factor
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def code(device, *, offset=0):
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"


@pytest.fixture
def device(pt):
    return TOTPDevice.objects.create(user=pt, name="Authenticator app", confirmed=True)


def token(client, user, **extra):
    return client.post(TOKEN_URL, {"email": user.email, "password": PASSWORD, **extra},
                       content_type="application/json")


def test_an_api_token_needs_the_current_code(client, pt, device):
    missing = token(client, pt)
    wrong = token(client, pt, otp="000000" if code(device) != "000000" else "111111")
    assert (missing.status_code, wrong.status_code) == (400, 400)
    assert missing.json()["otp"] == [two_factor.CODE_REQUIRED] and wrong.json()["otp"] == [two_factor.CODE_WRONG]
    assert not AuthToken.objects.filter(user=pt).exists()
    device.refresh_from_db()
    with time_machine.travel(device.throttling_failure_timestamp.timestamp() + 60, tick=False):
        right = token(client, pt, otp=code(device)[:3] + " " + code(device)[3:])  # spaces as the app shows them
        replay = token(client, pt, otp=code(device))
    assert right.status_code == 200, right.content
    assert replay.status_code == 400, "a code works once"
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {right.json()['token']}").json()
    assert me["two_factor_enabled"] is True


def test_without_two_factor_the_password_is_enough(client, pt):
    response = token(client, pt)
    assert response.status_code == 200
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}").json()[
        "two_factor_enabled"] is False


def test_the_web_sign_in_needs_the_code_too(client, pt, device):
    refused = client.post(reverse("web:login"), {"username": pt.email, "password": PASSWORD})
    assert refused.status_code == 200 and two_factor.CODE_REQUIRED in refused.content.decode()
    assert "_auth_user_id" not in client.session
    signed_in = client.post(reverse("web:login"), {"username": pt.email, "password": PASSWORD, "otp": code(device)})
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(pt.pk)


def test_the_admin_signs_in_through_the_same_form(client, admin_user):
    TOTPDevice.objects.create(user=admin_user, name="app", confirmed=True)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("web:login"))
    client.post(reverse("web:login"), {"username": admin_user.email, "password": PASSWORD})
    assert client.get("/admin/").status_code == 302, "no code, no admin"


def test_setting_it_up_in_the_browser(client, pt):
    client.force_login(pt)
    assert b"Set up two-factor" in client.get(reverse("web:two_factor")).content
    assert client.post(reverse("web:two_factor_setup")).status_code == 302
    page = client.get(reverse("web:two_factor")).content.decode()
    assert "<svg" in page and "<?xml" not in page
    pending = two_factor.pending_device(pt)
    assert re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1) == two_factor.secret(pending)
    assert not two_factor.is_enabled(pt), "nothing changes until a code from the app confirms it"

    wrong = client.post(reverse("web:two_factor_confirm"), {"code": "12345"})
    assert wrong.status_code == 400 and not two_factor.is_enabled(pt)
    pending.refresh_from_db()
    with time_machine.travel(pending.throttling_failure_timestamp.timestamp() + 60, tick=False):
        right = client.post(reverse("web:two_factor_confirm"), {"code": code(pending)})
    assert right.status_code == 302 and two_factor.is_enabled(pt)
    assert b"Turn off" in client.get(reverse("web:two_factor")).content


def test_turning_it_off_needs_the_password_and_a_code(client, pt, device):
    client.force_login(pt)
    wrong_password = client.post(reverse("web:two_factor_disable"), {"password": "guess", "code": code(device)})
    no_code = client.post(reverse("web:two_factor_disable"), {"password": PASSWORD, "code": ""})
    assert (wrong_password.status_code, no_code.status_code) == (400, 400)
    assert two_factor.is_enabled(pt)
    off = client.post(reverse("web:two_factor_disable"), {"password": PASSWORD, "code": code(device)})
    assert off.status_code == 302 and not two_factor.is_enabled(pt)


def test_a_manager_resets_it_for_a_lost_phone_in_their_clinic_only(client, manager, pt, outsider_pt, device):
    TOTPDevice.objects.create(user=outsider_pt, name="app", confirmed=True)
    client.force_login(manager)
    staff_page = client.get(reverse("web:staff")).content.decode()
    assert f"Reset two-factor of {pt.email}" in staff_page
    assert client.post(reverse("web:reset_two_factor", args=[outsider_pt.pk])).status_code == 404
    assert two_factor.is_enabled(outsider_pt)
    assert client.post(reverse("web:reset_two_factor", args=[pt.pk])).status_code == 302
    assert not two_factor.is_enabled(pt)
    assert token(client, pt).status_code == 200


def test_a_session_alone_cannot_replace_the_app(client, pt, device):
    """Replacing the device needs the password and a code (turn it off first), not just a session."""
    client.force_login(pt)
    response = client.post(reverse("web:two_factor_setup"))
    assert response.status_code == 302
    assert two_factor.pending_device(pt) is None
    assert list(TOTPDevice.objects.filter(user=pt)) == [device]


def test_a_manager_cannot_reset_their_own(client, manager):
    TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    client.force_login(manager)
    client.post(reverse("web:reset_two_factor", args=[manager.pk]))
    assert two_factor.is_enabled(manager)


def test_turning_it_on_revokes_api_tokens_and_every_change_is_in_the_audit_trail(client, pt, manager, coach):
    from core.models import AuditEvent

    assert token(client, pt).status_code == 200
    client.force_login(pt)
    client.post(reverse("web:two_factor_setup"))
    pending = two_factor.pending_device(pt)
    client.post(reverse("web:two_factor_confirm"), {"code": code(pending)})
    assert two_factor.is_enabled(pt) and not AuthToken.objects.filter(user=pt).exists()
    client.force_login(manager)
    client.post(reverse("web:reset_two_factor", args=[pt.pk]))
    trail = AuditEvent.objects.filter(table_name="accounts_user", object_id=pt.pk, changes__has_key="two_factor")
    assert [(event.actor_id, event.changes["two_factor"]) for event in trail.order_by("id")] == [
        (pt.pk, [False, True]), (manager.pk, [True, False])]
    assert set(trail.values_list("clinic_id", flat=True)) == {pt.clinic_id}


def test_signed_in_staff_who_are_not_admins_get_a_403_from_the_admin_not_a_loop(client, pt):
    client.force_login(pt)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1


def test_an_admin_with_two_factor_reaches_the_admin_with_a_code(client, admin_user):
    device = TOTPDevice.objects.create(user=admin_user, name="app", confirmed=True)
    assert client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD}).status_code == 302
    assert client.get("/admin/").status_code == 302, "posting to the admin's own login URL signs nobody in"
    response = client.post(reverse("web:login") + "?next=/admin/",
                           {"username": admin_user.email, "password": PASSWORD, "otp": code(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
