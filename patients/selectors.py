from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from accounts.roles import Role
from accounts.selectors import audit_events_visible_to, without_sign_ins
from core.models import AuditEvent
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


# clinical-reference §2 (v2): emergency and urgent alerts first; a review alert (no improvement at week 4)
# after them, but still above routine work
SEVERITY_ORDER = (Alert.Severity.EMERGENCY, Alert.Severity.URGENT, Alert.Severity.REVIEW)


def severity_rank() -> Case:
    """An alert's place in SEVERITY_ORDER, for `order_by`."""
    return Case(*(When(severity=severity, then=Value(rank)) for rank, severity in enumerate(SEVERITY_ORDER)),
                output_field=IntegerField())


def alert_rank(patient_ref) -> Case:
    """A patient's place in a work list: 0 with an open emergency or urgent alert, 1 with only an open
    review alert, 2 without an open alert (`patient_ref`: OuterRef to the patient's id)."""
    open_ones = Alert.objects.filter(patient=patient_ref, acknowledged_at__isnull=True)
    return Case(When(Exists(open_ones.exclude(severity=Alert.Severity.REVIEW)), then=Value(0)),
                When(Exists(open_ones), then=Value(1)), default=Value(2), output_field=IntegerField())


def patients_in_work_order(patients: QuerySet[Patient], *then) -> QuerySet[Patient]:
    """A work list (of `exercises.selectors.patient_list` rows, say): patients with an unacknowledged
    alert first (clinical-reference §2, v2: an alert stays at the top of every work list), emergency and
    urgent ones before review ones, then in the order `then` asks for."""
    return patients.order_by(alert_rank(OuterRef("pk")), *then)


def care_teams_of(user, member) -> QuerySet[Patient]:
    """The patients (that `user` may see) whose PT or coach `member` is."""
    return patients_visible_to(user).filter(Q(primary_pt=member) | Q(coach=member))


def patients_named(user, text: str) -> QuerySet[Patient]:
    """Patients the user may see whose first or last name holds every word of `text`."""
    patients = patients_visible_to(user)
    for word in text.split()[:5]:
        patients = patients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return patients


def audit_events(user, *, patient_name: str = "", actor=None, sign_ins: bool = False) -> QuerySet[AuditEvent]:
    """The trail a manager reads, newest first: of the patients named `patient_name`, of `actor`'s
    doing, with sign-ins only when asked for."""
    events = audit_events_visible_to(user).order_by("-id")
    if patient_name.strip():
        events = events.filter(patient_id__in=patients_named(user, patient_name).values("pk"))
    if actor is not None:
        events = events.filter(actor_id=actor.pk)
    return events if sign_ins else without_sign_ins(events)
