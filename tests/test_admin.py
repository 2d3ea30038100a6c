"""Every admin page an admin can open renders (no 500), with real rows in it."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.world import build_world

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
def test_admin_pages_render(client, admin_user, model):
    build_world()
    client.force_login(admin_user)
    info = model._meta.app_label, model._meta.model_name
    assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    obj = model._default_manager.order_by("pk").first()
    if obj is not None:
        assert client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200


def test_staff_cannot_open_the_admin(client, pt):
    client.force_login(pt)
    assert client.get("/admin/").status_code == 302


def test_clinical_rows_cannot_be_changed_in_the_admin(client, admin_user, patient):
    """Red flags added here would open no alert and block nothing (patients.services does that)."""
    client.force_login(admin_user)
    response = client.post(reverse("admin:patients_patient_change", args=[patient.pk]),
                           {"red_flags": "saddle_anaesthesia", "first_name": "Changed"})
    patient.refresh_from_db()
    assert response.status_code == 403 and patient.red_flags == [] and patient.first_name != "Changed"
    assert client.get(reverse("admin:careplans_careplan_add")).status_code == 403
