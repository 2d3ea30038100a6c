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
