"""The staff page as a new manager uses it: change a member's role, send a password-reset link; the
same services behind the API's `staff/{id}/role/` and `staff/{id}/password-reset/`."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from accounts.models import User
from core import outbox
from core.models import AuditEvent, OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def messages_of(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_a_manager_changes_a_coachs_role_and_the_trail_says_who(client, manager, coach):
    client.force_login(manager)
    page = client.get(reverse("web:staff")).content.decode()
    assert f'action="{reverse("web:change_role", args=[coach.pk])}"' in page
    assert f'action="{reverse("web:change_role", args=[manager.pk])}"' not in page  # not their own
    response = client.post(reverse("web:change_role", args=[coach.pk]), {"role": "pt"})
    assert response.status_code == 302 and "changed role" in messages_of(response)
    coach.refresh_from_db()
    assert coach.role == "pt"
    event = AuditEvent.objects.filter(table_name="accounts_user", object_id=coach.pk, action="update").latest("id")
    assert (event.actor_id, event.changes) == (manager.pk, {"role": ["coach", "pt"]})


def test_the_manager_is_told_the_member_is_still_on_care_teams(client, manager, coach, patient):
    client.force_login(manager)
    response = client.post(reverse("web:change_role", args=[coach.pk]), {"role": "pt"})
    assert "still on the care team of 1 patient:" in messages_of(response)
    patient.refresh_from_db()
    assert patient.coach_id == coach.pk  # nothing reassigned behind the manager's back


def test_a_manager_cannot_change_their_own_role(client, manager, clinic):
    UserFactory(clinic=clinic, role="manager")  # not the last manager: the refusal is about oneself
    client.force_login(manager)
    response = client.post(reverse("web:change_role", args=[manager.pk]), {"role": "pt"})
    assert "cannot change your own role" in messages_of(response)
    manager.refresh_from_db()
    assert manager.role == "manager"


@pytest.mark.parametrize("role", ["admin", "superuser", ""])
def test_no_role_makes_an_admin(client, client_for, manager, coach, role):
    client.force_login(manager)
    client.post(reverse("web:change_role", args=[coach.pk]), {"role": role})
    response = client_for(manager).post(f"/api/v1/staff/{coach.pk}/role/", {"role": role}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["role"]
    coach.refresh_from_db()
    assert (coach.role, coach.is_superuser) == ("coach", False)


def test_the_last_active_manager_is_not_demoted(client_for, admin_user, manager, clinic):
    response = client_for(admin_user).post(f"/api/v1/staff/{manager.pk}/role/", {"role": "pt"}, format="json")
    assert response.status_code == 409
    assert "last active manager" in response.json()["detail"]
    UserFactory(clinic=clinic, role="manager", is_active=False)  # a deactivated one does not count
    assert client_for(admin_user).post(f"/api/v1/staff/{manager.pk}/role/", {"role": "pt"},
                                       format="json").status_code == 409
    UserFactory(clinic=clinic, role="manager")
    response = client_for(admin_user).post(f"/api/v1/staff/{manager.pk}/role/", {"role": "pt"}, format="json")
    assert (response.status_code, response.json()["role"]) == (200, "pt")


def test_another_manager_may_be_demoted_while_one_remains(client_for, manager, clinic):
    other = UserFactory(clinic=clinic, role="manager")
    response = client_for(manager).post(f"/api/v1/staff/{other.pk}/role/", {"role": "coach"}, format="json")
    assert response.status_code == 200
    assert User.objects.get(pk=other.pk).role == "coach"


def test_another_clinics_member_is_not_found(client, client_for, manager, outsider_pt):
    client.force_login(manager)
    assert client.post(reverse("web:change_role", args=[outsider_pt.pk]), {"role": "coach"}).status_code == 404
    assert client.post(reverse("web:send_password_reset", args=[outsider_pt.pk])).status_code == 404
    assert client_for(manager).post(f"/api/v1/staff/{outsider_pt.pk}/role/", {"role": "coach"},
                                    format="json").status_code == 404
    outsider_pt.refresh_from_db()
    assert outsider_pt.role == "pt" and not OutboxMessage.objects.exists()


@pytest.mark.parametrize("role", ["pt", "coach"])
def test_clinicians_may_not(client, pt, coach, role):
    client.force_login({"pt": pt, "coach": coach}[role])
    target = coach if role == "pt" else pt
    assert client.post(reverse("web:change_role", args=[target.pk]), {"role": "manager"}).status_code == 403
    assert client.post(reverse("web:send_password_reset", args=[target.pk])).status_code == 403
    target.refresh_from_db()
    assert target.role != "manager" and not OutboxMessage.objects.exists()


def test_a_manager_sends_a_reset_link_through_the_outbox(client, manager, coach):
    client.force_login(manager)
    response = client.post(reverse("web:send_password_reset", args=[coach.pk]))
    assert "on its way" in messages_of(response)
    assert list(OutboxMessage.objects.values_list("handler", "payload")) == [
        ("accounts.services.password_reset_mail", {"user_id": coach.pk})]
    assert mail.outbox == []  # the request never waits for SMTP
    assert outbox.drain().delivered == 1
    [message] = mail.outbox
    assert message.to == [coach.email]
    assert AuditEvent.objects.filter(actor_id=manager.pk, object_id=coach.pk,
                                     changes={"password_reset": [None, "link sent"]}).exists()


def test_no_link_for_a_deactivated_member(client_for, manager, coach):
    coach.is_active = False
    coach.save()
    response = client_for(manager).post(f"/api/v1/staff/{coach.pk}/password-reset/")
    assert response.status_code == 409
    assert not OutboxMessage.objects.exists()


def test_the_api_sends_the_link_too(client_for, manager, coach):
    assert client_for(manager).post(f"/api/v1/staff/{coach.pk}/password-reset/").status_code == 202
    assert OutboxMessage.objects.filter(payload={"user_id": coach.pk}).count() == 1
