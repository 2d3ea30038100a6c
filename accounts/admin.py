from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from accounts import services
from accounts.models import Clinic, User
from accounts.sessions import sign_out_everywhere_else
from core.admin import ServiceAdminMixin


class PasswordChangeForm(AdminPasswordChangeForm):
    """An admin setting a password (or turning password log-in off) ends the user's tokens and
    sessions too; Django's view then keeps the admin's own session when it is their password."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            sign_out_everywhere_else(user)
        return user


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "reminder_after_days", "restrict_to_care_team"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(ServiceAdminMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "clinic", "is_active", "is_superuser"]
    list_filter = ["role", "clinic", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["clinic"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name"]}),
        ("Role", {"fields": ["role", "clinic", "is_active", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "clinic", "password1", "password2"]})]
    filter_horizontal: list = []
    change_password_form = PasswordChangeForm

    def save_model(self, request, obj, form, change):
        """A new role goes through `staff_role_change`, with its checks (a clinic keeps an active
        manager; nobody changes their own role). Unticking "active" goes through `staff_deactivate`,
        so the user's sessions and tokens end for good and do not come back when the box is ticked again."""
        if change and "role" in form.changed_data:
            role, obj.role = obj.role, form.initial["role"]
            services.staff_role_change(actor=request.user, user=obj, role=role)
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.staff_deactivate(user=obj)
