from django.contrib import admin

from careplans.models import CarePlan, Goal, StatusChange, Visit


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "note", "changed_by", "changed_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CarePlan)
class CarePlanAdmin(admin.ModelAdmin):
    """Lifecycle changes go through the API or the workspace, which enforce the clinical rules."""

    list_display = ["id", "patient", "status", "start_date", "lead_pt", "version"]
    list_filter = ["status"]
    list_select_related = ["patient", "lead_pt"]
    raw_id_fields = ["patient", "lead_pt", "created_by"]
    readonly_fields = ["status", "activated_at", "discharged_at", "version"]
    inlines = [GoalInline, StatusChangeInline]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "care_plan", "kind", "mode"]
    raw_id_fields = ["care_plan", "recorded_by"]
