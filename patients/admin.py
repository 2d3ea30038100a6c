from django.contrib import admin

from patients.models import Alert, Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "clinic", "red_flag_status", "primary_pt", "coach"]
    list_filter = ["clinic", "red_flag_status", "pain_region"]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["clinic", "primary_pt", "coach"]
    raw_id_fields = ["primary_pt", "coach", "red_flag_reviewed_by", "created_by"]
    readonly_fields = ["red_flag_status", "red_flag_reviewed_by", "red_flag_reviewed_at", "red_flag_review_note"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["opened_at", "kind", "severity", "patient", "acknowledged_at"]
    list_filter = ["kind", "severity"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "acknowledged_by"]

    def has_delete_permission(self, request, obj=None):
        return False
