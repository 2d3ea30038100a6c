"""A habit is kept some days a week: the database refuses a target above the week (issue 10 §2)."""

import pytest
from django.db import IntegrityError, transaction

from accounts.roles import Role
from coaching.models import DAYS_PER_WEEK, HabitGoal
from tests.factories import PatientFactory, UserFactory, today

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("target", "stored"),
                         [(1, True), (DAYS_PER_WEEK, True), (DAYS_PER_WEEK + 1, False), (0, False)])
def test_the_database_bounds_the_weekly_target(target, stored):
    patient = PatientFactory()
    coach = UserFactory(role=Role.COACH, clinic=patient.clinic)
    create = lambda: HabitGoal.objects.create(  # noqa: E731
        patient=patient, description="Walk after lunch", target_per_week=target, start_date=today(), created_by=coach)
    if stored:
        assert create().target_per_week == target
        return
    with pytest.raises(IntegrityError), transaction.atomic():
        create()
    assert not HabitGoal.objects.exists()
