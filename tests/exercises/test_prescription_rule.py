"""One rule for who changes a plan's exercises (careplans.services.require_lead): the plan's
lead PT, like every other change to the plan; any PT of the clinic once the lead is deactivated.
The same in the API and on the patient page; a refusal writes nothing."""

import datetime as dt

import pytest
from django.contrib.messages import ERROR, get_messages
from django.urls import reverse

from accounts.services import staff_deactivate
from exercises import services
from exercises.models import Exercise, Prescription, PrescriptionVersion
from tests.factories import CarePlanFactory, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(patient, pt):
    return CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=today() - dt.timedelta(days=7))


@pytest.fixture
def exercise():
    return Exercise.objects.get(slug="bird-dog")


@pytest.fixture
def prescription(plan, pt, exercise):
    return services.prescription_create(actor=pt, care_plan=plan, exercise=exercise)


@pytest.fixture
def template(clinic, pt, exercise):
    return services.template_save(actor=pt, clinic=clinic, name="Core basics", items=[{"exercise": exercise}])


def api_calls(client, plan, prescription, exercise, template):
    return {
        "prescribe": lambda: client.post("/api/v1/prescriptions/", {"care_plan": plan.pk, "exercise": exercise.pk},
                                         format="json"),
        "modify": lambda: client.patch(f"/api/v1/prescriptions/{prescription.pk}/", {"sets": 4, "reason": "dosage"},
                                       format="json", HTTP_IF_MATCH=f'"{prescription.version}"'),
        "discontinue": lambda: client.post(f"/api/v1/prescriptions/{prescription.pk}/discontinue/",
                                           {"reason": "pain"}, format="json"),
        "apply template": lambda: client.post(f"/api/v1/templates/{template.pk}/apply/", {"care_plan": plan.pk},
                                              format="json"),
    }


def snapshot():
    return Prescription.objects.count(), PrescriptionVersion.objects.count()


ACTIONS = ["prescribe", "modify", "discontinue", "apply template"]
OK = {"prescribe": 201, "modify": 200, "discontinue": 200, "apply template": 201}


@pytest.mark.parametrize("action", ACTIONS)
def test_another_pt_of_the_clinic_may_not(client_for, other_pt, plan, prescription, exercise, template, action):
    before = snapshot()
    response = api_calls(client_for(other_pt), plan, prescription, exercise, template)[action]()
    assert response.status_code == 403, response.content
    assert snapshot() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_the_lead_pt_may(client_for, pt, plan, prescription, exercise, template, action):
    response = api_calls(client_for(pt), plan, prescription, exercise, template)[action]()
    assert response.status_code == OK[action], response.content


@pytest.mark.parametrize("action", ACTIONS)
def test_any_pt_may_once_the_lead_is_deactivated(client_for, pt, other_pt, plan, prescription, exercise, template,
                                                 action):
    staff_deactivate(user=pt)
    response = api_calls(client_for(other_pt), plan, prescription, exercise, template)[action]()
    assert response.status_code == OK[action], response.content


@pytest.mark.parametrize("lead", [True, False], ids=["lead", "other PT"])
def test_the_patient_page_follows_the_same_rule(client, pt, other_pt, plan, prescription, exercise, lead):
    client.force_login(pt if lead else other_pt)
    page = client.get(reverse("web:patient", args=[plan.patient_id])).content.decode()
    modify_url = reverse("web:modify_prescription", args=[prescription.pk])
    assert (modify_url in page) is lead  # the controls are shown only to who may use them
    before = snapshot()
    posts = [
        (reverse("web:prescribe", args=[plan.pk]), {"exercise": exercise.pk, "times_per_week": 4}),
        (modify_url, {"version": 1, "sets": 5, "reason": "progression", "note": "Stronger"}),
        (reverse("web:discontinue_prescription", args=[prescription.pk]), {"version": 2, "reason": "pain"}),
    ]
    for url, body in posts:
        response = client.post(url, body)
        assert response.status_code == 302
        refused = [message for message in get_messages(response.wsgi_request) if message.level == ERROR]
        assert bool(refused) is not lead, [str(message) for message in refused]
    prescription.refresh_from_db()
    if lead:
        assert prescription.status == "discontinued" and prescription.version == 3
    else:
        assert snapshot() == before and prescription.version == 1
