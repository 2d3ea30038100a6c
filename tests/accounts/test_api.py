import pytest
from django.contrib.auth.hashers import identify_hasher

from accounts.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def login(client, email, password):
    return client.post(TOKEN_URL, {"email": email, "password": password}, content_type="application/json")


def test_token_login_me_and_logout(client, pt):
    response = login(client, pt.email.upper(), PASSWORD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"] == {"id": pt.pk, "email": pt.email, "first_name": pt.first_name,
                            "last_name": pt.last_name, "role": "pt", "clinic": pt.clinic_id, "is_active": True}
    auth = {"HTTP_AUTHORIZATION": f"Token {body['token']}"}
    assert client.get("/api/v1/me/", **auth).json()["email"] == pt.email
    assert client.post("/api/v1/auth/logout/", **auth).status_code == 204
    assert client.get("/api/v1/me/", **auth).status_code == 401


def test_wrong_credentials_same_answer_whether_email_exists(client, pt):
    wrong_password = login(client, pt.email, "not-the-password")
    unknown_email = login(client, "nobody@example.org", "not-the-password")
    assert wrong_password.status_code == unknown_email.status_code == 400
    assert wrong_password.json() == unknown_email.json()


def test_repeated_failures_lock_the_login_out(client, pt, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, pt.email, "guess").status_code == 400
    locked = login(client, pt.email, "guess")
    assert locked.status_code == 429
    assert set(locked.json()) == {"detail"}
    assert login(client, pt.email, PASSWORD).status_code == 429  # even the right password, until cool-off


def test_passwords_are_hashed_with_argon2(client_for, manager):
    response = client_for(manager).post("/api/v1/staff/", {
        "email": "New.Coach@Example.org", "password": "a-long-enough-passphrase", "role": "coach",
        "first_name": "Nia", "last_name": "Okafor"}, format="json")
    assert response.status_code == 201, response.content
    user = User.objects.get(pk=response.json()["id"])
    assert user.email == "new.coach@example.org" and user.clinic_id == manager.clinic_id
    assert identify_hasher(user.password).algorithm == "argon2"


def test_weak_password_and_duplicate_email_are_400(client_for, manager, pt):
    client = client_for(manager)
    weak = client.post("/api/v1/staff/", {"email": "x@example.org", "password": "123", "role": "pt"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()
    duplicate = client.post("/api/v1/staff/", {"email": pt.email.upper(), "password": "a-long-enough-passphrase",
                                               "role": "pt"}, format="json")
    assert duplicate.status_code == 400 and "email" in duplicate.json()


def test_deactivated_staff_lose_their_tokens(client, client_for, manager, coach):
    token = login(client, coach.email, PASSWORD).json()["token"]
    assert client_for(manager).post(f"/api/v1/staff/{coach.pk}/deactivate/").status_code == 200
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert login(client, coach.email, PASSWORD).status_code == 400


def test_manager_updates_reminder_settings_with_validation(client_for, manager, clinic):
    client = client_for(manager)
    bad = client.patch(f"/api/v1/clinics/{clinic.pk}/", {"reminder_after_days": 0, "timezone": "Nowhere"},
                       format="json")
    assert bad.status_code == 400 and {"reminder_after_days", "timezone"} <= set(bad.json())
    good = client.patch(f"/api/v1/clinics/{clinic.pk}/", {"quiet_hours_start": "21:30", "restrict_to_care_team": True},
                        format="json")
    assert good.status_code == 200
    assert good.json()["quiet_hours_start"] == "21:30"


def test_admin_creates_clinics(client_for, admin_user):
    response = client_for(admin_user).post("/api/v1/clinics/", {"name": "Lakeside", "timezone": "Asia/Tokyo"},
                                           format="json")
    assert response.status_code == 201
    assert response.json()["reminder_after_days"] == 2


def test_a_new_clinic_keeps_the_settings_it_was_given_and_only_admins_create(client_for, admin_user, manager):
    body = {"name": "Harbour", "timezone": "Europe/Dublin", "reminder_after_days": 4, "quiet_hours_start": "22:30",
            "restrict_to_care_team": True}
    response = client_for(admin_user).post("/api/v1/clinics/", body, format="json")
    assert response.status_code == 201, response.content
    assert {name: response.json()[name] for name in body} == body
    assert client_for(manager).post("/api/v1/clinics/", {**body, "name": "Mine"}, format="json").status_code == 403
