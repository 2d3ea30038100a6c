"""Every admin page an admin can open renders (no 500), with real rows in it; its saves go through the services."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from accounts.roles import Role
from exercises import services as exercise_services
from exercises.models import Exercise, ProgramTemplate
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


# --- Admin saves go through the services (issue 12, item 4) ------------------------------------


def admin_form_data(request_user, obj) -> dict:
    """What the admin's change form of `obj` posts when the admin changes nothing."""
    model_admin = admin.site._registry[type(obj)]
    request = RequestFactory().get("/")
    request.user = request_user
    form = model_admin.get_form(request, obj, change=True)(instance=obj)
    values = {field.name: field.field.prepare_value(field.value()) for field in form}
    return {name: value for name, value in values.items() if value is not None and value is not False}


def custom_exercise(clinic, actor, **links):
    return exercise_services.exercise_create(
        actor=actor, clinic=clinic, name="Wall sit", category="strengthening", body_regions=["low_back"],
        equipment=["none"], difficulty=2, instructions="Slide down the wall.", default_sets=2, default_hold_seconds=30,
        **links)


def test_the_admin_cannot_demote_a_clinics_last_active_manager(client, admin_user, manager):
    """`staff_role_change` refuses it from the staff page; the admin's user form refuses it too."""
    client.force_login(admin_user)
    response = client.post(reverse("admin:accounts_user_change", args=[manager.pk]),
                           admin_form_data(admin_user, manager) | {"role": Role.PT, "first_name": "Changed"})
    manager.refresh_from_db()
    assert response.status_code == 200 and "last active manager" in response.content.decode()
    assert manager.role == Role.MANAGER and manager.first_name != "Changed"


def test_the_admin_changes_a_role_through_the_service(client, admin_user, manager, pt):
    client.force_login(admin_user)
    response = client.post(reverse("admin:accounts_user_change", args=[pt.pk]),
                           admin_form_data(admin_user, pt) | {"role": Role.COACH})
    pt.refresh_from_db()
    assert response.status_code == 302 and pt.role == Role.COACH


def test_the_admin_cannot_link_another_clinics_exercise(client, admin_user, clinic, other_clinic, pt, outsider_pt):
    """A progression from another clinic would show that clinic's exercise to this one's patients."""
    mine, theirs = custom_exercise(clinic, pt), custom_exercise(other_clinic, outsider_pt)
    client.force_login(admin_user)
    response = client.post(reverse("admin:exercises_exercise_change", args=[mine.pk]),
                           admin_form_data(admin_user, mine) | {"progression": theirs.pk, "name": "Changed"})
    mine.refresh_from_db()
    assert response.status_code == 200, response.context["adminform"].form.errors
    assert "Choose another exercise" in response.content.decode(), response.context["adminform"].form.errors
    assert mine.progression_id is None and mine.name == "Wall sit"


def test_the_admin_does_not_edit_the_shipped_library(client, admin_user):
    shipped = Exercise.objects.filter(clinic=None).order_by("pk").first()
    client.force_login(admin_user)
    response = client.post(reverse("admin:exercises_exercise_change", args=[shipped.pk]),
                           admin_form_data(admin_user, shipped) | {"name": "Changed"})
    assert response.status_code == 200 and "shared library cannot be edited" in response.content.decode()
    assert Exercise.objects.get(pk=shipped.pk).name == shipped.name


def test_the_admin_adds_a_custom_exercise_through_the_service(client, admin_user, clinic, pt):
    template = custom_exercise(clinic, pt)
    client.force_login(admin_user)
    response = client.post(reverse("admin:exercises_exercise_add"),
                           admin_form_data(admin_user, template) | {"name": "Wall sit", "progression": template.pk})
    created = Exercise.objects.exclude(pk=template.pk).get(clinic=clinic, name="Wall sit")
    assert response.status_code == 302
    assert created.slug == "wall-sit-2" and created.created_by == admin_user and created.progression == template


def template_form(clinic, name, *exercises) -> dict:
    rows = {"items-TOTAL_FORMS": len(exercises), "items-INITIAL_FORMS": 0, "items-MIN_NUM_FORMS": 0,
            "items-MAX_NUM_FORMS": 1000}
    for n, exercise in enumerate(exercises):
        rows |= {f"items-{n}-exercise": exercise.pk, f"items-{n}-position": n, f"items-{n}-sets": 2,
                 f"items-{n}-reps": 10, f"items-{n}-times_per_week": 3, f"items-{n}-side": "both"}
    return {"clinic": clinic.pk, "name": name, "description": ""} | rows


def test_the_admin_cannot_put_another_clinics_exercise_in_a_template(client, admin_user, clinic, other_clinic,
                                                                     outsider_pt):
    theirs = custom_exercise(other_clinic, outsider_pt)
    client.force_login(admin_user)
    response = client.post(reverse("admin:exercises_programtemplate_add"), template_form(clinic, "Low back", theirs))
    assert response.status_code == 200 and "the template&#x27;s clinic" in response.content.decode()
    assert not ProgramTemplate.objects.filter(name="Low back").exists()


def test_the_admin_saves_a_template_with_its_items_through_the_service(client, admin_user, clinic, pt):
    shipped = list(Exercise.objects.filter(clinic=None).order_by("pk")[:2])
    mine = custom_exercise(clinic, pt)
    client.force_login(admin_user)
    response = client.post(reverse("admin:exercises_programtemplate_add"),
                           template_form(clinic, "Low back", mine, *shipped))
    template = ProgramTemplate.objects.get(clinic=clinic, name="Low back")
    assert response.status_code == 302 and template.created_by == admin_user
    assert [item.exercise for item in template.items.all()] == [mine, *shipped]
