from django.contrib import admin

from core.admin import ReadOnlyAdmin
from patients.models import Alert, Patient


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin):
    """Read-only: intake changes go through patients.services (red flags open alerts and block
    activation, clinical-reference §2), from the API or the workspace."""

    list_display = ["last_name", "first_name", "clinic", "red_flag_status", "primary_pt", "coach"]
    list_filter = ["clinic", "red_flag_status", "pain_region"]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["clinic", "primary_pt", "coach"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "kind", "severity", "patient", "acknowledged_at"]
    list_filter = ["kind", "severity"]
    list_select_related = ["patient"]
