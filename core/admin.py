from django.contrib import admin

from core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the database refuses changes to the trail anyway."""

    list_display = ["occurred_at", "action", "table_name", "object_id", "actor_id", "actor_role", "patient_id"]
    list_filter = ["action", "table_name", "actor_role"]
    search_fields = ["request_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
