"""Changing a password, turning two-factor on, an admin setting a password and deactivation all end
the user's API tokens and every other browser session (accounts.sessions); the session that made
the change stays signed in."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django_otp.oath import totp

from accounts.services import two_factor
from accounts.tokens import token_create
from core.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-brand-new-long-passphrase"


def signed_in(client) -> bool:
    response = client.get(reverse("web:password_change"))
    assert response.status_code in (200, 302)
    return response.status_code == 200


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_works(token: str) -> bool:
    return Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


@pytest.fixture
def elsewhere(pt):
    """Another browser and an API client, both signed in as the PT before the change."""
    token = token_create(user=pt)
    other = browser(pt)
    assert signed_in(other) and token_works(token)
    return other, token


def test_changing_the_password_signs_out_everywhere_else(pt, elsewhere):
    other, token = elsewhere
    here = browser(pt)
    response = here.post(reverse("web:password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/password/done/"
    assert signed_in(here)
    assert not signed_in(other)
    assert not token_works(token)
    pt.refresh_from_db()
    assert pt.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(table_name="accounts_user", object_id=pt.pk,
                                     changes__password=[None, "changed"], actor_id=pt.pk).exists()


def test_a_refused_password_change_signs_no_one_out(pt, elsewhere):
    other, token = elsewhere
    here = browser(pt)
    response = here.post(reverse("web:password_change"), {
        "old_password": "wrong-password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert signed_in(here) and signed_in(other) and token_works(token)


def test_turning_two_factor_on_signs_out_everywhere_else(pt, elsewhere):
    other, token = elsewhere
    here = browser(pt)
    device = two_factor.setup_start(pt)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = here.post(reverse("web:two_factor_confirm"), {"code": code})
    assert response.status_code == 302
    assert two_factor.is_enabled(pt)
    assert signed_in(here)
    assert not signed_in(other)
    assert not token_works(token)


def test_turning_two_factor_on_with_a_wrong_code_signs_no_one_out(pt, elsewhere):
    other, token = elsewhere
    device = two_factor.setup_start(pt)
    right = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = browser(pt).post(reverse("web:two_factor_confirm"), {"code": "000000" if right != "000000" else "1"})
    assert response.status_code == 400
    assert signed_in(other) and token_works(token)


def test_an_admin_setting_a_password_signs_the_user_out(pt, admin_user, elsewhere):
    other, token = elsewhere
    admin = browser(admin_user)
    response = admin.post(f"/admin/accounts/user/{pt.pk}/password/", {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302, response.content
    assert not signed_in(other)
    assert not token_works(token)
    assert signed_in(admin)


def test_an_admin_changing_their_own_password_stays_signed_in(admin_user):
    admin, other = browser(admin_user), browser(admin_user)
    response = admin.post(f"/admin/accounts/user/{admin_user.pk}/password/", {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302, response.content
    assert signed_in(admin) and not signed_in(other)


def test_deactivation_ends_sessions_and_tokens(client_for, manager, pt, elsewhere):
    other, token = elsewhere
    assert client_for(manager).post(f"/api/v1/staff/{pt.pk}/deactivate/").status_code == 200
    assert not signed_in(other)
    assert not token_works(token)


def test_sessions_opened_before_any_sign_out_stay_valid(pt):
    """Epoch 0 keeps Django's own session hash: deploying the epoch signs no one out."""
    django_hash = salted_hmac("django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", pt.password,
                              algorithm="sha256").hexdigest()
    assert pt.session_epoch == 0
    assert pt.get_session_auth_hash() == django_hash
