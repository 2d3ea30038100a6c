from django.contrib import admin

from careplans.models import CarePlan, Goal, StatusChange, Visit
from core.admin import ReadOnlyAdmin, ReadOnlyInline


class GoalInline(ReadOnlyInline):
    model = Goal


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange


@admin.register(CarePlan)
class CarePlanAdmin(ReadOnlyAdmin):
    """Read-only: plans change through careplans.services (lead PT, version, lifecycle rules), from
    the API or the workspace."""

    list_display = ["id", "patient", "status", "start_date", "lead_pt", "version"]
    list_filter = ["status"]
    list_select_related = ["patient", "lead_pt"]
    inlines = [GoalInline, StatusChangeInline]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "care_plan", "kind", "mode"]
    list_select_related = ["care_plan"]
