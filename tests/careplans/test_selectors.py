import pytest

from careplans import services
from careplans.models import CarePlan
from careplans.selectors import TRANSITIONS, allowed_transitions
from core.errors import Conflict
from tests.factories import CarePlanFactory, GoalFactory

pytestmark = pytest.mark.django_db

STEPS = {"activate": services.care_plan_activate, "pause": services.care_plan_pause,
         "resume": services.care_plan_resume, "discharge": services.care_plan_discharge}


@pytest.mark.parametrize("status", CarePlan.Status.values)
@pytest.mark.parametrize("step", list(TRANSITIONS))
def test_the_service_takes_exactly_the_allowed_steps(patient, pt, status, step):
    """The page offers `allowed_transitions`; the service must take each of them and refuse the rest."""
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status=status)
    GoalFactory(care_plan=plan)
    allowed = step in allowed_transitions(plan)
    if allowed:
        assert STEPS[step](actor=pt, plan_id=plan.pk).status == TRANSITIONS[step][1]
    else:
        with pytest.raises(Conflict):
            STEPS[step](actor=pt, plan_id=plan.pk)
        assert CarePlan.objects.get(pk=plan.pk).status == status


@pytest.mark.parametrize(("status", "steps"), [
    ("draft", ["activate"]), ("active", ["pause", "discharge"]), ("paused", ["resume", "discharge"]),
    ("discharged", []),
])
def test_allowed_transitions_by_status(status, steps):
    assert allowed_transitions(CarePlan(status=status)) == steps
