import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from accounts.selectors import clinicians_of_clinic
from core.clock import local_today
from core.errors import Conflict, InvalidInput
from core.outbox import never_give_up, outbox_add
from patients.clinical import RedFlagCategory, emergency_categories, red_flag_categories
from patients.models import Alert, Patient, RedFlagStatus, ReminderChannel

logger = logging.getLogger("moverx.alerts")


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


# what each emergency condition of clinical-reference §2 (v2) is, in the alert's words
EMERGENCY_CONCERNS = {
    RedFlagCategory.CAUDA_EQUINA: "possible cauda equina syndrome",
    RedFlagCategory.VASCULAR: "possible abdominal aortic aneurysm (vascular emergency)",
}
EMERGENCY_ACTION = "Arrange same-day emergency assessment (emergency department) today."


def _open_red_flag_alert(patient: Patient, new_flags: list[str]) -> Alert:
    """Clinical-reference §2 (v2): an emergency condition opens an emergency alert that says what to
    arrange; any other flag an urgent one."""
    conditions = ", ".join(RedFlagCategory(category).label for category in red_flag_categories(new_flags))
    emergencies = emergency_categories(new_flags)
    if emergencies:
        severity = Alert.Severity.EMERGENCY
        concerns = " and ".join(EMERGENCY_CONCERNS[category] for category in emergencies)
        message = f"EMERGENCY: {concerns}. {EMERGENCY_ACTION} Red flags: {conditions}."
    else:
        severity = Alert.Severity.URGENT
        message = f"Positive red-flag screen ({conditions}): review before activating a care plan."
    return alert_open(patient=patient, kind=Alert.Kind.RED_FLAG, severity=severity, message=message)


@transaction.atomic
def alert_open(*, patient: Patient, kind: str, severity: str, message: str, source_id: int | None = None,
               submitted_answers=None) -> Alert:
    """Open an alert and tell the patient's PT and coach at once: the e-mail is an outbox row of
    the same transaction, so it goes out after the commit even if the broker is down now."""
    alert = Alert.objects.create(patient=patient, kind=kind, severity=severity, message=message, source_id=source_id,
                                 submitted_answers=submitted_answers)
    outbox_add(handler="patients.services.alert_notify_staff", payload={"alert_id": alert.pk})
    # ids only: the kind and the message are clinical details
    logger.info("alert raised", extra={"event": "alert.raised", "alert_id": alert.pk, "patient_id": patient.pk})
    return alert


def alert_recipients(patient: Patient, *, pt_only: bool = False) -> set:
    """Clinical-reference §2 (v2): the patient's PT and coach (only the PT for a review alert, `pt_only`);
    when none of them is an active staff member, every active PT and manager of the clinic. Never
    nobody: with no one to tell, the delivery fails and the outbox tries again until someone can be told."""
    team = (patient.primary_pt,) if pt_only else (patient.primary_pt, patient.coach)
    care_team = {user for user in team if user and user.is_active}
    staff = care_team or set(clinicians_of_clinic(patient.clinic_id, [Role.PT, Role.MANAGER]))
    if not staff:
        raise RuntimeError(f"No active PT or manager in clinic {patient.clinic_id} to tell of an alert.")
    return staff


URGENCY_WORDS = {Alert.Severity.EMERGENCY: "EMERGENCY", Alert.Severity.URGENT: "Urgent",
                 Alert.Severity.REVIEW: "Review"}


@never_give_up  # an outage delays an alert, it never loses it
def alert_notify_staff(*, alert_id: int, idempotency_key: str = "") -> int:
    """E-mail the patient's PT and coach that an alert is open (an outbox handler). The message
    names no patient and no clinical detail: they read it in MoveRx. Its Message-ID comes from the
    idempotency key, so a copy sent again after a crash is recognisably the same message.
    Returns how many people were told."""
    alert = Alert.objects.select_related("patient__primary_pt", "patient__coach").filter(pk=alert_id).first()
    if alert is None or alert.acknowledged_at is not None:
        return 0
    staff = alert_recipients(alert.patient, pt_only=alert.severity == Alert.Severity.REVIEW)
    urgency = URGENCY_WORDS[alert.severity]
    link = f"{settings.SITE_URL}{settings.PATIENT_PAGE_PATH.format(patient_id=alert.patient_id)}#alerts"
    headers = {"Message-ID": f"<alert-{alert.pk}-{idempotency_key}@moverx>"} if idempotency_key else {}
    EmailMessage(
        subject=f"[MoveRx] {urgency}: a patient alert needs you",
        body=f"An alert is open for one of your patients ({alert.get_kind_display().lower()}).\n"
             f"Open MoveRx to review it: {link}\n",
        to=sorted(user.email for user in staff),
        headers=headers,
    ).send()
    logger.info("alert delivered", extra={"event": "alert.delivered", "alert_id": alert.pk,
                                          "patient_id": alert.patient_id, "recipient_ids": sorted(u.pk for u in staff)})
    return len(staff)


def _newly_flagged(flags: list[str], old_flags: list[str]) -> list[str]:
    """A newly reported flag makes the status `positive` and opens an alert (clinical-reference §2).
    Removing a flag does not clear it: clearance is a PT's explicit decision with a note."""
    return [flag for flag in flags if flag not in old_flags]


def _unique(values) -> list:
    return list(dict.fromkeys(values))


def _apply_screen(patient: Patient, *, actor, screened: bool, new_flags: list[str]) -> None:
    """Clinical-reference §2 (v2): the screen is explicit. A newly ticked flag is a positive screen
    whatever `screened` says (a careful clinician treats a ticked flag as found, never drops it);
    `screened` with no flag completes a not-screened patient's screen as `none`. Otherwise nothing
    changes: a screened patient cannot become unscreened."""
    if new_flags:
        patient.red_flag_status = RedFlagStatus.POSITIVE
    elif screened and patient.red_flag_status == RedFlagStatus.NOT_SCREENED:
        patient.red_flag_status = RedFlagStatus.NONE
    else:
        return
    patient.red_flag_screened_by, patient.red_flag_screened_at = actor, timezone.now()


@transaction.atomic
def patient_create(*, actor, clinic, red_flag_screened: bool = False, **fields) -> Patient:
    """Register a patient at intake (DESIGN.md, care journey step 1). Without a completed red-flag
    screen (`red_flag_screened`, or a ticked flag) the patient is `not_screened`: registered, but no
    plan can be activated until the screen is done (clinical-reference §2, v2)."""
    fields["symptoms"] = _unique(fields.get("symptoms", []))
    fields["red_flags"] = _unique(fields.get("red_flags", []))
    _validate_dates(fields)
    _validate_contact(fields)
    _validate_team(clinic.pk, fields)
    patient = Patient(clinic=clinic, created_by=actor, **fields)
    _apply_screen(patient, actor=actor, screened=red_flag_screened, new_flags=patient.red_flags)
    patient.save()
    if patient.red_flags:
        _open_red_flag_alert(patient, patient.red_flags)
    return patient


@transaction.atomic
def patient_update(*, actor, patient_id: int, red_flag_screened: bool = False, **changes) -> Patient:
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
    _apply_screen(patient, actor=actor, screened=red_flag_screened, new_flags=flagged)
    patient.save()
    if flagged:
        _open_red_flag_alert(patient, flagged)
    return patient


@transaction.atomic
def patient_complete_red_flag_screen(*, actor, patient_id: int, red_flags: list[str]) -> Patient:
    """A PT completes the screen of a patient registered without one (clinical-reference §2, v2):
    no flag found makes the status `none`; any flag `positive`, with its alert."""
    patient = Patient.objects.select_for_update(no_key=True).get(pk=patient_id)
    if patient.red_flag_status != RedFlagStatus.NOT_SCREENED:
        raise Conflict(f"The red-flag screen was already completed (status '{patient.red_flag_status}'); "
                       "record a new flag on the intake instead.")
    patient.red_flags = _unique(red_flags)
    _apply_screen(patient, actor=actor, screened=True, new_flags=patient.red_flags)
    patient.save(update_fields=["red_flags", "red_flag_status", "red_flag_screened_by", "red_flag_screened_at",
                                "updated_at"])
    if patient.red_flags:
        _open_red_flag_alert(patient, patient.red_flags)
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
