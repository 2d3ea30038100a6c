import os

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.roles import Role
from coaching.schedules import REMINDER_SWEEP
from core.beat import ensure_periodic_task
from core.schedules import OUTBOX_DRAIN
from outcomes.schedules import MONTHLY_REPORTS, STALE_REPORTS
from tests.factories import AdminFactory, ClinicFactory, PatientFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"
SCHEDULES = [MONTHLY_REPORTS, STALE_REPORTS, REMINDER_SWEEP, OUTBOX_DRAIN]


def require(condition: bool, reason: str) -> None:
    """Skip locally when a tool is missing; in CI a missing tool is a failure, never a skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """Migrations load reference data (the exercise library, the beat schedule); a transactional
    test's flush empties every table. Restore it, committed, before the next test that uses the
    database."""
    if "django_db" not in {marker.name for marker in request.node.iter_markers()} and not (
            {"db", "transactional_db"} & set(request.fixturenames)):
        return
    from exercises.library import sync_library
    from exercises.models import Exercise

    request.getfixturevalue("django_db_setup")  # the test database, not the development one
    with django_db_blocker.unblock():
        if not Exercise.objects.filter(clinic__isnull=True).exists():
            sync_library(Exercise)
            for entry in SCHEDULES:
                ensure_periodic_task(django_apps, **entry)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling and lock-out state lives in the cache: each test starts clean."""
    cache.clear()
    yield


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Riverside Physio", timezone="America/New_York")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Hilltop Spine", timezone="Europe/London")


@pytest.fixture
def pt(clinic):
    return UserFactory(clinic=clinic, role=Role.PT, email="pt@riverside.example")


@pytest.fixture
def other_pt(clinic):
    return UserFactory(clinic=clinic, role=Role.PT, email="pt2@riverside.example")


@pytest.fixture
def coach(clinic):
    return UserFactory(clinic=clinic, role=Role.COACH, email="coach@riverside.example")


@pytest.fixture
def manager(clinic):
    return UserFactory(clinic=clinic, role=Role.MANAGER, email="manager@riverside.example")


@pytest.fixture
def integration(clinic):
    return UserFactory(clinic=clinic, role=Role.INTEGRATION, email="app@riverside.example")


@pytest.fixture
def admin_user(db):
    return AdminFactory(email="admin@moverx.example")


@pytest.fixture
def outsider_pt(other_clinic):
    return UserFactory(clinic=other_clinic, role=Role.PT, email="pt@hilltop.example")


@pytest.fixture
def patient(clinic, pt, coach):
    return PatientFactory(clinic=clinic, primary_pt=pt, coach=coach)


@pytest.fixture
def outsider_patient(other_clinic):
    return PatientFactory(clinic=other_clinic)


@pytest.fixture
def client_for():
    """`client_for(user)`: an API client authenticated as that user (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def api(client_for, pt):
    return client_for(pt)
