"""Who may do what (DESIGN.md, "Users and their jobs"): roles map to named capabilities, and
`can` is the one question every API permission, page and service asks."""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    PT = "pt", "Physical therapist"
    COACH = "coach", "Health coach"
    MANAGER = "manager", "Clinic manager"
    INTEGRATION = "integration", "Integration"


class Cap(StrEnum):
    READ_CLINIC = "read_clinic"  # clinic settings, staff list
    CREATE_CLINIC = "create_clinic"  # no role: admins only (superusers pass every check)
    MANAGE_CLINIC = "manage_clinic"  # reminder policy, care-team restriction
    MANAGE_STAFF = "manage_staff"
    READ_CLINICAL = "read_clinical"  # patients, plans, prescriptions, measures, coaching
    WRITE_PATIENT = "write_patient"
    REVIEW_RED_FLAGS = "review_red_flags"
    SET_REMINDER_PREFERENCE = "set_reminder_preference"
    LEAD_CARE_PLAN = "lead_care_plan"  # open, edit, activate, pause, discharge; record visits
    PRESCRIBE = "prescribe"
    MANAGE_TEMPLATES = "manage_templates"
    RECORD_SESSION = "record_session"
    RECORD_ASSESSMENT = "record_assessment"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    COACH = "coach"  # check-ins, coaching notes, habit goals, outreach
    REQUEST_REPORT = "request_report"
    READ_AUDIT = "read_audit"


_CLINICIAN_READ = {Cap.READ_CLINIC, Cap.READ_CLINICAL, Cap.REQUEST_REPORT}

ROLE_CAPABILITIES: dict[str, frozenset[Cap]] = {
    Role.PT: frozenset(
        _CLINICIAN_READ
        | {
            Cap.WRITE_PATIENT,
            Cap.REVIEW_RED_FLAGS,
            Cap.SET_REMINDER_PREFERENCE,
            Cap.LEAD_CARE_PLAN,
            Cap.PRESCRIBE,
            Cap.MANAGE_TEMPLATES,
            Cap.RECORD_SESSION,
            Cap.RECORD_ASSESSMENT,
            Cap.ACKNOWLEDGE_ALERT,
        }
    ),
    Role.COACH: frozenset(
        _CLINICIAN_READ
        | {
            Cap.SET_REMINDER_PREFERENCE,
            Cap.RECORD_SESSION,
            Cap.RECORD_ASSESSMENT,
            Cap.ACKNOWLEDGE_ALERT,
            Cap.COACH,
        }
    ),
    Role.MANAGER: frozenset(
        _CLINICIAN_READ | {Cap.MANAGE_CLINIC, Cap.MANAGE_STAFF, Cap.MANAGE_TEMPLATES, Cap.READ_AUDIT}
    ),
    Role.INTEGRATION: frozenset({Cap.RECORD_SESSION, Cap.RECORD_ASSESSMENT}),
}


def recorded_source(user) -> str:
    """Where a fact came from: the patient app's backend (the integration account) or staff."""
    return "patient_app" if getattr(user, "role", None) == Role.INTEGRATION else "staff"


def can(user, capability: Cap) -> bool:
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())
