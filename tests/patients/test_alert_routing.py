"""Alert routing (clinical-reference §2, v2): the patient's PT and coach; when neither is an active
staff member, every active PT and manager of the clinic; never nobody. And an open alert stays at the
top of the coach's work list."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from coaching.models import OutreachItem
from core import outbox
from core.models import OutboxMessage
from patients.models import Alert
from patients.services import alert_open
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def open_alert(patient) -> Alert:
    return alert_open(patient=patient, kind=Alert.Kind.SAFETY, severity=Alert.Severity.URGENT, message="Call today.")


@pytest.fixture
def clinic_staff(clinic, other_clinic):
    return {
        "pts": [UserFactory(clinic=clinic, role=Role.PT), UserFactory(clinic=clinic, role=Role.PT)],
        "manager": UserFactory(clinic=clinic, role=Role.MANAGER),
        "coach": UserFactory(clinic=clinic, role=Role.COACH),
        "gone": UserFactory(clinic=clinic, role=Role.PT, is_active=False),
        "elsewhere": UserFactory(clinic=other_clinic, role=Role.PT),
    }


def test_the_care_team_is_told(patient, pt, coach, clinic_staff, mailoutbox):
    open_alert(patient)
    outbox.drain()
    assert sorted(mailoutbox[0].to) == sorted([pt.email, coach.email])


@pytest.mark.parametrize("team", ["none", "inactive"])
def test_without_an_active_care_team_every_active_pt_and_manager_of_the_clinic_is_told(clinic, clinic_staff,
                                                                                       mailoutbox, team):
    gone = clinic_staff["gone"]
    patient = PatientFactory(clinic=clinic, **({"primary_pt": gone} if team == "inactive" else {}))
    open_alert(patient)
    assert outbox.drain().delivered == 1
    told = {*clinic_staff["pts"], clinic_staff["manager"]}
    assert sorted(mailoutbox[0].to) == sorted(user.email for user in told)


def test_with_nobody_to_tell_the_alert_waits_and_is_never_dropped(clinic, mailoutbox):
    patient = PatientFactory(clinic=clinic)
    open_alert(patient)
    result = outbox.drain()
    assert (result.delivered, result.retrying) == (0, 1) and mailoutbox == []
    message = OutboxMessage.objects.get()
    assert message.status == "pending" and "No active PT or manager" in message.last_error
    manager = UserFactory(clinic=clinic, role=Role.MANAGER)
    outbox.drain(now=timezone.now() + dt.timedelta(hours=2))
    assert mailoutbox[0].to == [manager.email]


def test_an_open_alert_tops_the_coachs_queue(client_for, client, coach, clinic):
    patients = [PatientFactory(clinic=clinic, coach=coach) for _ in range(26)]
    for patient in patients[:25]:
        OutreachItem.objects.create(patient=patient, coach=coach, cause=OutreachItem.Cause.NO_RECENT_SESSION,
                                    detail="No session for 2 days")
    alert_item = OutreachItem.objects.create(patient=patients[25], coach=coach, cause=OutreachItem.Cause.OPEN_ALERT,
                                             detail="Open safety alert")
    listed = client_for(coach).get("/api/v1/outreach/").json()["results"]
    assert listed[0]["id"] == alert_item.pk
    client.force_login(coach)
    assert client.get(reverse("web:coach")).context["queue"][0].pk == alert_item.pk
