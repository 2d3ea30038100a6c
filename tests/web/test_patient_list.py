"""The PT's patient list: search and filters are the API's (patients.api.PatientFilter)."""

import pytest
from django.urls import reverse

from tests.world import build_world

pytestmark = pytest.mark.django_db


def names(client, **params):
    response = client.get(reverse("web:patients"), params)
    assert response.status_code == 200
    return {row["patient"].pk for row in response.context["rows"]}


def test_search_and_filters(client):
    world = build_world()
    own = world.own
    client.force_login(own.pt)
    everyone = names(client)
    assert own.patient.pk in everyone and world.other.patient.pk not in everyone
    assert names(client, q=f"{own.flagged_patient.last_name} {own.flagged_patient.first_name}") == {
        own.flagged_patient.pk}
    assert names(client, q=own.patient.email.upper()) == {own.patient.pk}
    assert names(client, flags="1") == {own.flagged_patient.pk}
    assert own.flagged_patient.pk in names(client, alerts="1") and own.patient.pk not in names(client, alerts="1")
    assert names(client, q="nobody-matches-this\x00") == set()


@pytest.mark.parametrize("sort", ["", "adherence", "-adherence"])
def test_patients_with_an_open_alert_come_first_whatever_the_sort(client, pt, clinic, sort):
    """Clinical-reference §2 (v2): an unacknowledged alert stays at the top of every work list."""
    from patients.models import Alert
    from patients.services import alert_open
    from tests.factories import PatientFactory

    quiet = [PatientFactory(clinic=clinic, last_name=f"Aaron{n}") for n in range(3)]
    alarmed = PatientFactory(clinic=clinic, last_name="Zimmer")
    alert_open(patient=alarmed, kind=Alert.Kind.SAFETY, severity=Alert.Severity.URGENT, message="Call today.")
    client.force_login(pt)
    rows = client.get(reverse("web:patients"), {"sort": sort} if sort else {}).context["rows"]
    assert rows[0]["patient"].pk == alarmed.pk
    assert {row["patient"].pk for row in rows[1:]} == {patient.pk for patient in quiet}
