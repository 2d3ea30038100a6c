import datetime as dt
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Clinic, User
from accounts.roles import Role
from careplans.models import CarePlan, Goal, GoalCategory
from core.clock import local_today
from patients.models import PainRegion, Patient, RedFlagStatus, ReminderChannel

PASSWORD = "correct-horse-battery-staple"
# Hashing with Argon2 is deliberately slow: hash once, share the hash.
_PASSWORD_HASH = make_password(PASSWORD)


TZ = "America/New_York"  # the test clinics' and patients' zone unless a test says otherwise


def today() -> dt.date:
    """Today where the test patients are. The rules use local days: between midnight UTC and
    midnight in New York, the server's date is already tomorrow there."""
    return local_today(TZ)


def local_now() -> dt.datetime:
    """Now where the test clinics are: what a person there types in a date-and-time field."""
    return timezone.now().astimezone(ZoneInfo(TZ))


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    timezone = TZ


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"staff{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.PT
    clinic = factory.SubFactory(ClinicFactory)
    password = _PASSWORD_HASH


class AdminFactory(UserFactory):
    role = ""
    clinic = None
    is_superuser = True


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1975, 5, 17)
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    timezone = TZ
    reminder_channel = ReminderChannel.EMAIL
    pain_region = PainRegion.LOW_BACK
    pain_onset_date = factory.LazyFunction(lambda: today() - dt.timedelta(days=120))
    # screened with no flag, so that plans can be activated; the product's default is `not_screened`
    red_flag_status = RedFlagStatus.NONE


class CarePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarePlan

    patient = factory.SubFactory(PatientFactory)
    lead_pt = factory.SubFactory(UserFactory, clinic=factory.SelfAttribute("..patient.clinic"))
    created_by = factory.SelfAttribute("lead_pt")
    start_date = factory.LazyAttribute(lambda plan: local_today(plan.patient.timezone))  # the patient's today
    status = CarePlan.Status.DRAFT


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    care_plan = factory.SubFactory(CarePlanFactory)
    category = GoalCategory.PAIN
    description = "Less pain when sitting at work"
    target = "NPRS <= 3"
