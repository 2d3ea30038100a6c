from django.contrib import admin

from core.errors import DomainError
from core.models import AuditEvent, OutboxMessage
from core.outbox import outbox_retry_failed


class _NoWrites:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdminMixin:
    """For an admin whose `save_model` calls the app's services. A refusal (a DomainError) rolls the
    save back (Django runs the change view in one transaction) and the form comes back with the
    service's messages as its errors, as for any invalid input: nothing is written."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            request.service_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "service_refusal", None)
        return form if refusal is None else refused_form(form, refusal)


def refused_form(form_class, refusal: DomainError):
    """`form_class` whose validation fails with the service's messages (on their fields when the
    form has them)."""
    detail = refusal.detail if isinstance(refusal.detail, dict) else {None: [str(refusal.detail)]}

    class Refused(form_class):
        def clean(self):
            cleaned = super().clean()
            for field, messages in detail.items():
                self.add_error(field if field in self.fields else None, messages)
            return cleaned

    return Refused


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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """What the outbox delivered or is still trying to; a failed message can be sent again."""

    list_display = ["id", "handler", "payload", "status", "attempts", "next_attempt_at", "sent_at", "created_at"]
    list_filter = ["status", "handler"]
    actions = ["send_again"]

    @admin.action(description="Send the selected failed messages again")
    def send_again(self, request, queryset):
        count = outbox_retry_failed(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} failed message(s) will be sent again within a minute.")
