from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdminMixin
from exercises import services
from exercises.models import Exercise, ExerciseSession, Prescription, PrescriptionVersion, ProgramTemplate, TemplateItem


@admin.register(Exercise)
class ExerciseAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Saves go through `exercise_create` / `exercise_update`, with their checks: a progression or
    regression is another exercise of the library or the same clinic, the slug comes from the name,
    and the shipped library (data/library.json, loaded by a migration) is not edited by hand."""

    list_display = ["name", "category", "difficulty", "clinic"]
    list_filter = ["category", "difficulty", ("clinic", admin.EmptyFieldListFilter)]
    search_fields = ["name", "slug", "instructions"]
    raw_id_fields = ["progression", "regression"]
    readonly_fields = ["slug", "created_by"]
    list_select_related = ["clinic"]

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            services.exercise_update(exercise=Exercise.objects.get(pk=obj.pk), **changes)
        else:
            fields = dict(form.cleaned_data)
            obj.pk = services.exercise_create(actor=request.user, clinic=fields.pop("clinic"), name=fields.pop("name"),
                                              **fields).pk


class TemplateItemInline(admin.TabularInline):
    model = TemplateItem
    extra = 0
    raw_id_fields = ["exercise"]


@admin.register(ProgramTemplate)
class ProgramTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "clinic", "updated_at"]
    list_filter = ["clinic"]
    inlines = [TemplateItemInline]
    raw_id_fields = ["created_by"]


class VersionInline(ReadOnlyInline):
    model = PrescriptionVersion
    fields = ["version", "exercise", "status", "sets", "reps", "hold_seconds", "times_per_week", "valid_from",
              "reason", "note", "changed_by", "changed_at"]


@admin.register(Prescription)
class PrescriptionAdmin(ReadOnlyAdmin):
    list_display = ["id", "care_plan", "exercise", "status", "version", "times_per_week"]
    list_filter = ["status"]
    list_select_related = ["exercise", "care_plan"]
    inlines = [VersionInline]


@admin.register(ExerciseSession)
class ExerciseSessionAdmin(ReadOnlyAdmin):
    list_display = ["performed_at", "patient", "care_plan", "source", "superseded_at"]
    list_filter = ["source"]
    list_select_related = ["patient", "care_plan"]
