from django.db.models import Q, QuerySet

from accounts.roles import Role
from patients.models import Alert, Patient


def patients_visible_to(user) -> QuerySet[Patient]:
    """The one scoping rule for patient data (DESIGN.md, Tenancy): a user's own clinic, narrowed to
    their care team when the clinic restricts PTs and coaches so. Every other app filters through it."""
    patients = Patient.objects.all()
    if user.is_superuser:
        return patients
    if not user.is_authenticated or user.clinic_id is None:
        return patients.none()
    patients = patients.filter(clinic_id=user.clinic_id)
    if user.role in (Role.PT, Role.COACH) and user.clinic.restrict_to_care_team:
        patients = patients.filter(Q(primary_pt=user) | Q(coach=user))
    return patients


def alerts_visible_to(user) -> QuerySet[Alert]:
    return Alert.objects.filter(patient__in=patients_visible_to(user)).select_related("patient")


def open_alerts(patient: Patient) -> QuerySet[Alert]:
    return patient.alerts.filter(acknowledged_at__isnull=True)
