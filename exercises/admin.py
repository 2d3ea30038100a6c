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
class ProgramTemplateAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """A template and its items are saved together through `template_save`, with its checks: a
    name once per clinic, exercises from the library or the template's clinic."""

    list_display = ["name", "clinic", "updated_at"]
    list_filter = ["clinic"]
    inlines = [TemplateItemInline]
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user  # the rest is written with the items, in `save_related`

    def save_related(self, request, form, formsets, change):
        items = [_template_item(item) for formset in formsets for item in _kept_rows(formset)]
        template = form.instance
        services.template_save(actor=request.user, clinic=template.clinic, template=template, name=template.name,
                               description=template.description, items=items)

    def delete_model(self, request, obj):
        services.template_delete(template=obj)


def _kept_rows(formset) -> list[dict]:
    """The inline's rows in their order, without those ticked for deletion. `save(commit=False)`
    writes nothing: it only lists the changes for the admin's history message."""
    formset.save(commit=False)
    rows = [row for row in formset.cleaned_data if row and not row.get("DELETE")]
    return sorted(rows, key=lambda row: row.get("position") or 0)


def _template_item(row: dict) -> dict:
    return {"exercise": row["exercise"], **{name: row[name] for name in Prescription.DOSAGE_FIELDS if name in row}}


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
