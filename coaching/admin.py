from django.contrib import admin

from coaching.models import CheckIn, CoachingNote, HabitGoal, OutreachItem, ReminderDelivery
from core.admin import ReadOnlyAdmin


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "patient", "coach", "channel", "mood", "confidence"]
    list_select_related = ["patient", "coach"]


@admin.register(CoachingNote)
class CoachingNoteAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "patient", "author"]
    list_select_related = ["patient", "author"]


@admin.register(HabitGoal)
class HabitGoalAdmin(ReadOnlyAdmin):
    list_display = ["description", "patient", "target_per_week", "status"]
    list_select_related = ["patient"]


@admin.register(OutreachItem)
class OutreachItemAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "patient", "cause", "resolved_at", "cleared_at"]
    list_filter = ["cause"]
    list_select_related = ["patient"]


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["slot", "patient", "channel", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["patient"]
