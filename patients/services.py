from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.selectors import clinicians_of_clinic
from core.clock import local_today
from core.errors import Conflict, InvalidInput
from core.outbox import never_give_up, outbox_add
from patients.clinical import RED_FLAG_CATEGORY, is_emergency
from patients.models import Alert, Patient, RedFlagStatus, ReminderChannel


def _validate_contact(fields: dict) -> None:
    channel = fields.get("reminder_channel")
    if channel == ReminderChannel.EMAIL and not fields.get("email"):
        raise InvalidInput({"email": ["An email address is needed for email reminders."]})
    if channel == ReminderChannel.SMS and not fields.get("phone"):
        raise InvalidInput({"phone": ["A phone number is needed for SMS reminders."]})


def _validate_dates(fields: dict) -> None:
    today = local_today(fields["timezone"])  # "today" where the patient is
    if fields["date_of_birth"] > today:
        raise InvalidInput({"date_of_birth": ["Date of birth cannot be in the future."]})
    if fields["pain_onset_date"] > today:
        raise InvalidInput({"pain_onset_date": ["Pain onset cannot be in the future."]})
    if fields["pain_onset_date"] < fields["date_of_birth"]:
        raise InvalidInput({"pain_onset_date": ["Pain onset cannot be before the date of birth."]})


def _validate_team(clinic_id: int, fields: dict) -> None:
    """The care team comes from the patient's own clinic (an admin sees every clinic's staff)."""
    for name in ("primary_pt", "coach"):
        member = fields.get(name)
        if member is not None and member.clinic_id != clinic_id:
            raise InvalidInput({name: ["Choose a member of the patient's clinic."]})


def _open_red_flag_alert(patient: Patient, new_flags: list[str]) -> Alert:
    categories = sorted({RED_FLAG_CATEGORY[flag].label for flag in new_flags})
    if is_emergency(new_flags):
        severity = Alert.Severity.EMERGENCY
        message = (
            "EMERGENCY: possible cauda equina syndrome. Arrange same-day emergency assessment. "
            f"Red flags: {', '.join(categories)}."
        )
    else:
        severity = Alert.Severity.URGENT
        message = f"Positive red-flag screen ({', '.join(categories)}): review before activating a care plan."
    return alert_open(patient=patient, kind=Alert.Kind.RED_FLAG, severity=severity, message=message)


@transaction.atomic
def alert_open(*, patient: Patient, kind: str, severity: str, message: str, source_id: int | None = None,
               submitted_answers=None) -> Alert:
    """Open an alert and tell the patient's PT and coach at once: the e-mail is an outbox row of
    the same transaction, so it goes out after the commit even if the broker is down now."""
    alert = Alert.objects.create(patient=patient, kind=kind, severity=severity, message=message, source_id=source_id,
                                 submitted_answers=submitted_answers)
    outbox_add(handler="patients.services.alert_notify_staff", payload={"alert_id": alert.pk})
    return alert


def alert_recipients(patient: Patient) -> set:
    """Clinical-reference §2 (v2): the patient's PT and coach; when neither is an active staff member,
    every active PT and manager of the clinic. Never nobody: with no one to tell, the delivery fails
    and the outbox tries again until someone can be told."""
    care_team = {user for user in (patient.primary_pt, patient.coach) if user and user.is_active}
    staff = care_team or set(clinicians_of_clinic(patient.clinic_id, [Role.PT, Role.MANAGER]))
    if not staff:
        raise RuntimeError(f"No active PT or manager in clinic {patient.clinic_id} to tell of an alert.")
    return staff


@never_give_up  # an outage delays an alert, it never loses it
def alert_notify_staff(*, alert_id: int, idempotency_key: str = "") -> int:
    """E-mail the patient's PT and coach that an alert is open (an outbox handler). The message
    names no patient and no clinical detail: they read it in MoveRx. Its Message-ID comes from the
    idempotency key, so a copy sent again after a crash is recognisably the same message.
    Returns how many people were told."""
    alert = Alert.objects.select_related("patient__primary_pt", "patient__coach").filter(pk=alert_id).first()
    if alert is None or alert.acknowledged_at is not None:
        return 0
    staff = alert_recipients(alert.patient)
    urgency = "EMERGENCY" if alert.severity == Alert.Severity.EMERGENCY else "Urgent"
    link = f"{settings.SITE_URL}{reverse('web:patient', args=[alert.patient_id])}#alerts"
    headers = {"Message-ID": f"<alert-{alert.pk}-{idempotency_key}@moverx>"} if idempotency_key else {}
    EmailMessage(
        subject=f"[MoveRx] {urgency}: a patient alert needs you",
        body=f"A {alert.get_kind_display().lower()} alert is open for one of your patients.\n"
             f"Open MoveRx to review it: {link}\n",
        to=sorted(user.email for user in staff),
        headers=headers,
    ).send()
    return len(staff)


def _newly_flagged(flags: list[str], old_flags: list[str]) -> list[str]:
    """A newly reported flag makes the status `positive` and opens an alert (clinical-reference §2).
    Removing a flag does not clear it: clearance is a PT's explicit decision with a note."""
    return [flag for flag in flags if flag not in old_flags]


def _unique(values) -> list:
    return list(dict.fromkeys(values))


@transaction.atomic
def patient_create(*, actor, clinic, **fields) -> Patient:
    """Register a patient at intake (DESIGN.md, care journey step 1)."""
    fields["symptoms"] = _unique(fields.get("symptoms", []))
    fields["red_flags"] = _unique(fields.get("red_flags", []))
    _validate_dates(fields)
    _validate_contact(fields)
    _validate_team(clinic.pk, fields)
    flagged = _newly_flagged(fields["red_flags"], old_flags=[])
    if flagged:
        fields["red_flag_status"] = RedFlagStatus.POSITIVE
    patient = Patient.objects.create(clinic=clinic, created_by=actor, **fields)
    if flagged:
        _open_red_flag_alert(patient, flagged)
    return patient


@transaction.atomic
def patient_update(*, actor, patient_id: int, **changes) -> Patient:
    patient = Patient.objects.select_for_update(no_key=True).get(pk=patient_id)
    old_flags = list(patient.red_flags)
    for name in ("symptoms", "red_flags"):
        if name in changes:
            changes[name] = _unique(changes[name])
    for name, value in changes.items():
        setattr(patient, name, value)
    current = {name: getattr(patient, name) for name in
               ("date_of_birth", "pain_onset_date", "timezone", "reminder_channel", "email", "phone")}
    _validate_dates(current)
    _validate_contact(current)
    _validate_team(patient.clinic_id, changes)
    flagged = _newly_flagged(patient.red_flags, old_flags)
    if flagged:
        patient.red_flag_status = RedFlagStatus.POSITIVE
    patient.save()
    if flagged:
        _open_red_flag_alert(patient, flagged)
    return patient


@transaction.atomic
def patient_review_red_flags(*, actor, patient_id: int, outcome: str, note: str) -> Patient:
    """A PT records that positive red flags were cleared or the patient referred on; this also
    acknowledges the open red-flag alerts (clinical-reference §2)."""
    patient = Patient.objects.select_for_update(no_key=True).get(pk=patient_id)
    if patient.red_flag_status != RedFlagStatus.POSITIVE:
        raise Conflict(f"The red-flag status is '{patient.red_flag_status}', not 'positive': nothing to review.")
    if outcome not in (RedFlagStatus.CLEARED, RedFlagStatus.REFERRED):
        raise InvalidInput({"outcome": ["Choose 'cleared' or 'referred'."]})
    if not note.strip():
        raise InvalidInput({"note": ["A note is required."]})
    now = timezone.now()
    patient.red_flag_status = outcome
    patient.red_flag_reviewed_by = actor
    patient.red_flag_reviewed_at = now
    patient.red_flag_review_note = note
    patient.save(update_fields=["red_flag_status", "red_flag_reviewed_by", "red_flag_reviewed_at",
                                "red_flag_review_note", "updated_at"])
    patient.alerts.filter(kind=Alert.Kind.RED_FLAG, acknowledged_at__isnull=True).update(
        acknowledged_by=actor, acknowledged_at=now, acknowledgement_note=f"Red flags {outcome}: {note}"
    )
    return patient


def patient_set_reminder_opt_out(*, patient: Patient, opted_out: bool) -> Patient:
    patient.reminders_opted_out = opted_out
    patient.reminders_opted_out_at = timezone.now() if opted_out else None
    patient.save(update_fields=["reminders_opted_out", "reminders_opted_out_at", "updated_at"])
    return patient


@transaction.atomic
def alert_acknowledge(*, actor, alert_id: int, note: str) -> Alert:
    alert = Alert.objects.select_for_update(no_key=True).get(pk=alert_id)
    if alert.acknowledged_at is not None:
        raise Conflict("This alert was already acknowledged.")
    if not note.strip():
        raise InvalidInput({"note": ["A note is required to acknowledge an alert."]})
    alert.acknowledged_by = actor
    alert.acknowledged_at = timezone.now()
    alert.acknowledgement_note = note
    alert.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledgement_note"])
    return alert
