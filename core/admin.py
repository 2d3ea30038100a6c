from django.contrib import admin

from core.models import AuditEvent


class _NoWrites:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(_NoWrites, admin.ModelAdmin):
    """For rows that change only through the services (which keep their history) or never."""


class ReadOnlyInline(_NoWrites, admin.TabularInline):
    """The same, for rows shown inside their parent's page."""

    extra = 0


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The database refuses changes to the trail anyway."""

    list_display = ["occurred_at", "action", "table_name", "object_id", "actor_id", "actor_role", "patient_id"]
    list_filter = ["action", "table_name", "actor_role"]
    search_fields = ["request_id"]
