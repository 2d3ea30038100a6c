"""Forgotten password: Django's reset by e-mail, linked from the sign-in page. One answer whether the
address has an account or not; the link expires and works once; requests are throttled per client
address and per e-mail; the new password ends the user's tokens and sessions."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.tokens import token_create
from core import outbox
from core.models import AuditEvent
from tests.factories import PASSWORD, UserFactory, today

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-brand-new-long-passphrase"
RESET_URL = "/password-reset/"
# Instants across a UTC day (the link's life must not depend on the hour it was asked for).
INSTANTS = [dt.datetime.combine(today(), dt.time(hour, minute), tzinfo=dt.UTC)
            for hour, minute in [(0, 20), (11, 59), (23, 30)]]


def ask(client, email, remote="192.0.2.10"):
    """Ask for a link, then let the outbox deliver it (the request itself sends nothing)."""
    response = client.post(RESET_URL, {"email": email}, REMOTE_ADDR=remote)
    outbox.drain()
    return response


def link_in(message, settings) -> str:
    url = re.search(r"https?://\S+/password-reset/\S+/\S+/", message.body).group(0)
    assert url.startswith(settings.SITE_URL + "/")
    return url.removeprefix(settings.SITE_URL)


def set_password(client, link, password=NEW_PASSWORD):
    form = client.get(link, follow=True)
    if not form.context["validlink"]:
        return form
    return client.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})


def api_login(email, password):
    return Client().post("/api/v1/auth/token/", {"email": email, "password": password},
                         content_type="application/json")


def test_the_sign_in_page_links_to_the_reset(client):
    assert f'href="{RESET_URL}"' in client.get(reverse("web:login")).content.decode()


def test_reset_by_email_ends_the_old_password_tokens_and_sessions(client, settings, pt):
    token = token_create(user=pt)
    elsewhere = Client()
    elsewhere.force_login(pt)
    response = ask(client, pt.email.upper())
    assert response.status_code == 302 and response["Location"] == reverse("web:password_reset_done")
    assert [message.to for message in mail.outbox] == [[pt.email]]
    assert "60 minutes" in mail.outbox[0].body

    link = link_in(mail.outbox[0], settings)
    done = set_password(client, link)
    assert done.status_code == 302 and done["Location"] == reverse("web:password_reset_complete")
    assert api_login(pt.email, PASSWORD).status_code == 400
    assert api_login(pt.email, NEW_PASSWORD).status_code == 200
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert elsewhere.get(reverse("web:password_change")).status_code == 302  # signed out
    assert AuditEvent.objects.filter(table_name="accounts_user", object_id=pt.pk,
                                     changes__password=[None, "reset by e-mail"]).exists()
    assert set_password(client, link, "yet-another-long-passphrase").context["validlink"] is False  # works once


def test_the_answer_is_the_same_whether_the_address_has_an_account(client, pt):
    known, unknown = ask(client, pt.email), ask(client, "nobody@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1
    inactive = UserFactory(clinic=pt.clinic, role="coach", email="gone@riverside.example", is_active=False)
    assert ask(client, inactive.email)["Location"] == known["Location"]
    assert len(mail.outbox) == 1


def test_a_weak_password_is_refused_and_nothing_changes(client, settings, pt):
    ask(client, pt.email)
    refused = set_password(client, link_in(mail.outbox[0], settings), "123")
    assert refused.status_code == 200 and refused.context["form"].errors
    pt.refresh_from_db()
    assert pt.check_password(PASSWORD)


@pytest.mark.parametrize("asked_at", INSTANTS, ids=lambda instant: instant.strftime("%H%M"))
def test_the_link_expires(client, settings, pt, asked_at):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    with time_machine.travel(asked_at, tick=False):
        ask(client, pt.email)
    link = link_in(mail.outbox[0], settings)
    with time_machine.travel(asked_at + dt.timedelta(minutes=59), tick=False):
        assert client.get(link, follow=True).context["validlink"] is True
    with time_machine.travel(asked_at + dt.timedelta(minutes=61), tick=False):
        expired = set_password(client, link)
    assert expired.status_code == 200 and expired.context["validlink"] is False
    assert "no longer works" in expired.content.decode()
    pt.refresh_from_db()
    assert pt.check_password(PASSWORD)


def test_requests_are_throttled_per_client_address(client, settings, clinic):
    settings.PASSWORD_RESET_RATE = "3/h"
    users = [UserFactory(clinic=clinic, role="pt", email=f"pt{n}@riverside.example") for n in range(4)]
    answers = [ask(client, user.email).status_code for user in users]
    assert answers == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    assert ask(client, users[3].email, remote="192.0.2.77").status_code == 302  # another address


def test_requests_are_throttled_per_email(client, settings, pt):
    settings.PASSWORD_RESET_RATE = "3/h"
    answers = [ask(client, pt.email, remote=f"192.0.2.{n}").status_code for n in range(4)]
    assert answers == [302, 302, 302, 429]
    assert len(mail.outbox) == 3


def test_a_forged_forwarded_header_does_not_lift_the_throttle(client, settings, clinic):
    settings.PASSWORD_RESET_RATE = "1/h"
    first = client.post(RESET_URL, {"email": "a@example.org"}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = client.post(RESET_URL, {"email": "b@example.org"}, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert (first.status_code, second.status_code) == (302, 429)


def test_with_redis_down_the_reset_still_answers(client, settings, pt, caplog):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    response = ask(client, pt.email)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "password-reset throttle unavailable" in caplog.text
