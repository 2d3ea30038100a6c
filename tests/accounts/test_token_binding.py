"""An API token is bound to the credentials it was issued with (accounts.tokens): whatever path
changes the password or signs the user out everywhere else (the service, the admin's form or its
"active" box, `manage.py changepassword`, `set_password` in a shell), and even when the change
commits while the log-in is under way, the token stops working."""

import getpass

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from knox.models import AuthToken

from accounts import services
from accounts.models import ApiTokenBinding, User
from accounts.services import two_factor
from accounts.tokens import credentials_fingerprint, token_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-brand-new-long-passphrase"


def api_login(user, **extra):
    response = Client().post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD, **extra},
                             content_type="application/json", REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def token_works(token: str) -> bool:
    return Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def change_while_logging_in(monkeypatch, change):
    """Run `change` (committed, from a fresh copy of the user) after the password and code checks
    and before the token is written: the window between Argon2 and the insert."""
    real = two_factor.check_code

    def meanwhile(user, otp, **kwargs):
        real(user, otp, **kwargs)
        change(User.objects.get(pk=user.pk))

    monkeypatch.setattr(two_factor, "check_code", meanwhile)


def test_a_token_issued_across_a_password_change_does_not_work(pt, monkeypatch):
    change_while_logging_in(monkeypatch, lambda user: services.password_set(user=user, password=NEW_PASSWORD))
    token = api_login(pt)
    assert not token_works(token)
    assert not token_works(token)  # and stays refused


def test_a_token_issued_across_turning_two_factor_on_does_not_work(pt, monkeypatch):
    def turn_on(user):
        device = two_factor.setup_start(user)
        two_factor.setup_confirm(user, f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}")

    change_while_logging_in(monkeypatch, turn_on)
    token = api_login(pt)
    assert not token_works(token)


def test_a_token_issued_without_a_change_works(pt):
    assert token_works(api_login(pt))


def test_manage_py_changepassword_ends_the_tokens(pt, monkeypatch):
    token = api_login(pt)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", pt.email, stdout=None)
    pt.refresh_from_db()
    assert pt.check_password(NEW_PASSWORD)
    assert not token_works(token)


def test_set_password_anywhere_ends_the_tokens(pt):
    token = api_login(pt)
    pt.set_password(NEW_PASSWORD)
    pt.save()
    assert not token_works(token)


def test_unticking_active_in_the_admin_ends_tokens_and_sessions_for_good(pt, admin_user):
    token = api_login(pt)
    browser = Client()
    browser.force_login(pt)
    admin = Client()
    admin.force_login(admin_user)
    form = {"email": pt.email, "first_name": pt.first_name, "last_name": pt.last_name, "role": pt.role,
            "clinic": pt.clinic_id, "is_active": "", "_save": "Save"}
    assert admin.post(f"/admin/accounts/user/{pt.pk}/change/", form).status_code == 302
    form["is_active"] = "on"
    assert admin.post(f"/admin/accounts/user/{pt.pk}/change/", form).status_code == 302
    pt.refresh_from_db()
    assert pt.is_active
    assert not token_works(token)
    assert browser.get(reverse("web:password_change")).status_code == 302  # signed out
    assert token_works(api_login(pt))


def test_an_admin_edit_that_keeps_active_keeps_the_tokens(pt, admin_user):
    token = api_login(pt)
    admin = Client()
    admin.force_login(admin_user)
    form = {"email": pt.email, "first_name": "Renamed", "last_name": pt.last_name, "role": pt.role,
            "clinic": pt.clinic_id, "is_active": "on", "_save": "Save"}
    assert admin.post(f"/admin/accounts/user/{pt.pk}/change/", form).status_code == 302
    assert token_works(token)


def test_a_token_without_a_binding_is_refused(pt):
    _, token = AuthToken.objects.create(user=pt)
    assert not token_works(token)
    assert token_works(token_create(user=pt))


def test_the_migration_fingerprint_matches_the_python_one(pt):
    """The migration bound the tokens existing then with the same formula, in SQL."""
    from importlib import import_module

    sql = import_module("accounts.migrations.0005_api_token_binding").BIND_EXISTING_TOKENS
    AuthToken.objects.create(user=pt)
    with connection.cursor() as cursor:
        cursor.execute(sql)
    assert list(ApiTokenBinding.objects.values_list("credentials", flat=True)) == [credentials_fingerprint(pt)]
